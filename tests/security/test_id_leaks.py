"""No full resident ID in any log line, Celery task argument, error page, export or API/page response.

One realistic pass through the system — intake through the API and the page, the online application
and status query, the whole procedure to approval, enrolment, a payment roll and its exports, the
charity hand-off with its ledger reports, searches by full ID, the audited reveal, a 404 and a 500
with the full ID in the URL/exception — while everything that leaves the process is captured:

- every log record of every logger at DEBUG, both raw (application loggers must never pass an ID)
  and as formatted by each handler configured in ``settings.LOGGING`` (filters + formatter);
- every Celery task as sent (``Task.apply_async``/``send_task`` args and kwargs, publish headers/body);
- every HTTP response (JSON, HTML, CSV; .xlsx files are opened with openpyxl and every cell read);
- the audit log rows.

The numbers looked for are all the IDs in the database (decrypted) plus those typed in, in the
18-digit form, with a lower-case ``x``, and in the old 15-digit form.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import pytest
from celery import Celery, signals
from celery.app.task import Task
from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.test import Client
from django.utils.module_loading import import_string
from openpyxl import load_workbook

from accounts.crypto import blind_index
from accounts.models import AuditLog, User
from applications.models import Application, Member
from casework.models import Case, CaseStatus
from charity.models import Fund
from tests.casework.helpers import end_notice, intake_payload, investigate, post, run_on_commit
from tests.casework.test_enrolment import dibao_family, enrol
from tests.charity.conftest import charity_shushan, county_fund  # noqa: F401 (fixtures)
from tests.charity.helpers import approved, donate, make_case, refer
from tests.support import COMMUNITY_A, STREET_A, api_client, make_resident_id

X_BIRTH = dt.date(1979, 11, 23)
# An ID whose check digit is X, to look for the lower-case variant too.
X_ID = next(
    make_resident_id(birth=X_BIRTH, seq=s) for s in range(100, 999) if make_resident_id(birth=X_BIRTH, seq=s)[-1] == "X"
)
PAGE_ID = make_resident_id(birth=dt.date(1990, 2, 14), seq=555)
ONLINE_ID = make_resident_id(birth=dt.date(1985, 4, 2), seq=611)
STRANGER_ID = make_resident_id(birth=dt.date(1966, 6, 6), seq=777)  # typed into URLs, never registered
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REVEAL = re.compile(r"/members/\d+/reveal/$")


def variants(number: str) -> set[str]:
    """The 18-digit number (both cases of X) and the old 15-digit form (no century, no check digit)."""
    return {number, number.lower(), number.upper(), number[:6] + number[8:17]}


@dataclass
class Sink:
    records: list[logging.LogRecord] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    responses: list[tuple[str, int, str]] = field(default_factory=list)
    revealed: list[str] = field(default_factory=list)

    def add_response(self, path: str, response: Any) -> None:
        if REVEAL.search(path):
            self.revealed.append(path)  # the audited reveal shows the number on purpose
            return
        if getattr(response, "streaming", False):
            return  # scanned images (authorisation forms, photos)
        content: bytes = response.content
        kind = response.get("Content-Type", "")
        if kind.startswith(XLSX):
            text = _xlsx_text(content)
        else:
            text = content.decode("utf-8", errors="replace")
        self.responses.append((path, response.status_code, text))


def _xlsx_text(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content))
    cells = [
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    assert cells, "an empty workbook proves nothing"
    return "\n".join(cells)


class _Capture(logging.Handler):
    def __init__(self, sink: Sink) -> None:
        super().__init__(level=logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.records.append(record)


def _configured_handlers() -> list[tuple[str, list[Any], logging.Formatter]]:
    """Each handler of ``settings.LOGGING`` as (name, its filters, its formatter)."""
    config: dict[str, Any] = dict(settings.LOGGING)
    built = []
    for name, spec in config.get("handlers", {}).items():
        filters = []
        for filter_name in spec.get("filters", []):
            f_spec = dict(config["filters"][filter_name])
            factory = f_spec.pop("()", "logging.Filter")
            filters.append(import_string(factory)(**f_spec) if isinstance(factory, str) else factory(**f_spec))
        f_spec = dict(config.get("formatters", {}).get(spec.get("formatter", ""), {}))
        if "()" in f_spec:
            factory = f_spec.pop("()")
            formatter = import_string(factory)(**f_spec) if isinstance(factory, str) else factory(**f_spec)
        else:
            formatter = logging.Formatter(f_spec.get("format"), f_spec.get("datefmt"))
        built.append((name, filters, formatter))
    assert built, "settings.LOGGING configures no handler"
    return built


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Iterator[Sink]:
    captured = Sink()
    handler = _Capture(captured)
    watched = ["", "django", "django.request", "django.server", "celery", "celery.task", "celery.app.trace"]
    old_levels = {}
    for name in watched:
        logger = logging.getLogger(name)
        old_levels[name] = logger.level
        logger.setLevel(logging.DEBUG)
    for name in watched:
        logger = logging.getLogger(name)
        if name == "" or not logger.propagate:
            logger.addHandler(handler)
    caplog.set_level(logging.DEBUG)

    real_get_response = BaseHandler.get_response

    def recording_get_response(self: BaseHandler, request: Any) -> Any:
        response = real_get_response(self, request)
        captured.add_response(request.get_full_path(), response)
        return response

    monkeypatch.setattr(BaseHandler, "get_response", recording_get_response)

    real_apply_async = Task.apply_async

    def spy_apply_async(self: Task, args: Any = None, kwargs: Any = None, *rest: Any, **options: Any) -> Any:
        captured.tasks.append(f"{self.name} args={args!r} kwargs={kwargs!r}")
        return real_apply_async(self, args, kwargs, *rest, **options)

    real_send_task = Celery.send_task

    def spy_send_task(self: Celery, name: str, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        captured.tasks.append(f"send_task {name} args={args!r} kwargs={kwargs!r}")
        return real_send_task(self, name, args, kwargs, **options)

    def on_publish(sender: Any = None, body: Any = None, headers: Any = None, **kw: Any) -> None:
        captured.tasks.append(f"publish {sender} body={body!r} headers={headers!r}")

    def on_prerun(sender: Any = None, args: Any = None, kwargs: Any = None, **kw: Any) -> None:
        captured.tasks.append(f"run {getattr(sender, 'name', sender)} args={args!r} kwargs={kwargs!r}")

    monkeypatch.setattr(Task, "apply_async", spy_apply_async)
    monkeypatch.setattr(Celery, "send_task", spy_send_task)
    signals.before_task_publish.connect(on_publish, weak=False)
    signals.task_prerun.connect(on_prerun, weak=False)
    try:
        yield captured
    finally:
        signals.before_task_publish.disconnect(on_publish)
        signals.task_prerun.disconnect(on_prerun)
        for name in watched:
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).setLevel(old_levels[name])


def _all_ids(typed: list[str]) -> set[str]:
    numbers = set(typed)
    numbers.update(m.id_number for m in Member.objects.all())
    numbers.update(a.applicant_id_number for a in Application.objects.exclude(applicant_id_number=""))
    return {n for n in numbers if n}


def _leaks(text: str, numbers: set[str]) -> list[str]:
    return sorted({n for n in numbers for v in variants(n) if v in text})


def _web(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _intake_form() -> dict[str, str]:
    from tests.casework.test_pages import _intake_form as page_form

    return page_form(**{"m-0-id_number": PAGE_ID})


def _online_form() -> dict[str, str]:
    return {
        "assistance_types": "dibao",
        "help_text": "失业在家，孩子上学，生活困难",
        "community": COMMUNITY_A,
        "address": "梅山路8号",
        "phone": "13912345678",
        "financial_assets": "2000",
        "homes": "1",
        "vehicle_price": "0",
        "promise": "on",
        "m-TOTAL_FORMS": "1",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "1",
        "m-MAX_NUM_FORMS": "10",
        "m-0-name": "孙丽",
        "m-0-id_number": ONLINE_ID,
        "m-0-relation": "self",
        "m-0-monthly_income": "900",
        "m-0-income_kind": "wage",
    }


def _get_ok(client: Any, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


@pytest.mark.django_db
def test_no_full_id_leaves_the_system(
    sink: Sink,
    clerk_a: User,
    reviewer_a: User,
    reviewer_a2: User,
    approver_a: User,
    supervisor_shushan: User,
    charity_shushan: User,  # noqa: F811
    county_fund: Fund,  # noqa: F811
) -> None:
    assert settings.DEBUG is False  # error pages as in production
    typed = [X_ID, PAGE_ID, ONLINE_ID, STRANGER_ID]

    # 1. Window intake through the API: a family whose spouse's ID ends in X. The economic check task
    #    is sent on commit.
    payload = intake_payload()
    payload["members"][1]["id_number"] = X_ID
    typed += [m["id_number"] for m in payload["members"]]
    with run_on_commit():
        created = api_client(clerk_a).post("/api/v1/intake/", payload, format="json")
    assert created.status_code == 201, created.content
    case_id = created.json()["case"]["id"]
    # The same family again: refused as a duplicate — the message names the member masked.
    again = api_client(clerk_a).post("/api/v1/intake/", payload, format="json")
    assert again.status_code in (400, 409), again.content

    # 2. Window intake through the page.
    with run_on_commit():
        page = _web(clerk_a).post("/intake/", _intake_form())
    assert page.status_code == 302, page.content.decode()[:2000]

    # 3. 掌上办: online application and the status query (with the full ID in the form).
    public = Client()
    applied = public.post(f"/apply/?street={STREET_A}", _online_form(), REMOTE_ADDR="10.3.0.1")
    assert applied.status_code == 302, applied.content.decode()[:2000]
    receipt = Application.objects.get(channel="online").receipt_no
    status_page = public.post("/apply/status/", {"receipt_no": receipt, "id_number": ONLINE_ID}, REMOTE_ADDR="10.3.0.1")
    assert status_page.status_code == 200 and 'id="status-result"' in status_page.content.decode()
    public.post("/apply/status/", {"receipt_no": receipt, "id_number": STRANGER_ID}, REMOTE_ADDR="10.3.0.1")

    # 4. The procedure to approval (investigation, opinion, notice, objection-free close, confirm).
    assert investigate(reviewer_a, reviewer_a2, case_id).status_code == 200
    assert post(reviewer_a, case_id, "opinion").status_code == 200
    assert post(reviewer_a, case_id, "notice").status_code == 200
    end_notice(case_id)
    assert post(reviewer_a, case_id, "close-notice").status_code == 200
    assert post(approver_a, case_id, "confirm", {"note": "同意"}).status_code == 200
    assert Case.objects.get(pk=case_id).status == CaseStatus.APPROVED

    # 5. Enrolment paid for months already, its payment roll and the exports.
    enrolment = enrol(approver_a, dibao_family(clerk_a))
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    rolled = api_client(approver_a).post("/api/v1/payment-rolls/", {"street": STREET_A, "month": last_month})
    assert rolled.status_code == 201, rolled.content
    roll_id = rolled.json()["id"]

    # 6. Charity: a case handed off, approved and paid through the API, the ledger reports.
    charity_case = make_case(clerk_a, seq=701)
    donate(charity_shushan, county_fund, "8000.00")
    handoff = approved(charity_shushan, refer(clerk_a, charity_case, county_fund, asked="3000.00"), "3000.00")
    paid = api_client(charity_shushan).post(f"/api/v1/charity/handoffs/{handoff.pk}/pay/", {}, format="json")
    assert paid.status_code == 200, paid.content

    # 7. The audited reveal (its own response is the one place the number may appear).
    member = Member.objects.get(household=Case.objects.get(pk=case_id).household, id_index=blind_index(X_ID))
    revealed = api_client(approver_a).post(f"/api/v1/members/{member.pk}/reveal/", {"reason": "核对银行代发信息"})
    assert revealed.status_code == 200 and revealed.json()["id_number"] == X_ID
    web_approver = _web(approver_a)
    assert web_approver.post(f"/members/{member.pk}/reveal/", {"reason": "核对银行代发信息"}).status_code == 200
    assert len(sink.revealed) == 2

    # 8. Every list, detail, print and export page and endpoint, as the people who use them.
    case = Case.objects.select_related("household").get(pk=case_id)
    household_id = case.household_id
    application_id = case.application_id
    clerk, web_clerk = api_client(clerk_a), _web(clerk_a)
    for url in (
        "/api/v1/households/",
        f"/api/v1/households/?q={X_ID}",
        f"/api/v1/households/{household_id}/",
        f"/api/v1/members/{member.pk}/",
        "/api/v1/applications/",
        f"/api/v1/applications/{application_id}/",
        "/api/v1/cases/",
        f"/api/v1/cases/?q={X_ID}",
        f"/api/v1/cases/{case_id}/",
        "/api/v1/enrolments/",
        f"/api/v1/enrolments/{enrolment.pk}/",
        "/api/v1/payment-rolls/",
        f"/api/v1/payment-rolls/{roll_id}/",
        f"/api/v1/payment-rolls/{roll_id}/xlsx/",
        f"/api/v1/payment-rolls/{roll_id}/csv/",
        "/api/v1/emergency-payments/",
    ):
        _get_ok(clerk if "payment-rolls" not in url else api_client(approver_a), url)
    for url in (
        "/households/",
        f"/households/?q={X_ID}",
        f"/households/{household_id}/",
        "/intake/applications/",
        f"/intake/applications/{application_id}/",
        "/cases/",
        f"/cases/?q={X_ID}",
        f"/cases/{case_id}/",
        f"/cases/{case_id}/print/acceptance/",
        f"/cases/{case_id}/print/notice/",
        f"/cases/{case_id}/print/decision/",
        "/notices/board/",
        "/enrolments/",
        f"/enrolments/{enrolment.pk}/",
    ):
        _get_ok(web_clerk, url)
    for url in (
        "/payment-rolls/",
        f"/payment-rolls/{roll_id}/",
        f"/payment-rolls/{roll_id}/export.xlsx",
        f"/payment-rolls/{roll_id}/export.csv",
    ):
        _get_ok(web_approver, url)
    today = dt.date.today()
    period = f"start={today.replace(day=1) - dt.timedelta(days=40)}&end={today}"
    officer, web_officer = api_client(charity_shushan), _web(charity_shushan)
    for url in (
        "/api/v1/charity/handoffs/",
        f"/api/v1/charity/handoffs/{handoff.pk}/",
        "/api/v1/charity/entries/",
        "/api/v1/charity/donations/",
        f"/api/v1/charity/funds/{county_fund.pk}/statement/?{period}",
        f"/api/v1/charity/reports/grants/?{period}",
    ):
        _get_ok(officer, url)
    for url in (
        "/charity/handoffs/",
        f"/charity/handoffs/{handoff.pk}/",
        f"/charity/cases/{charity_case.pk}/",
        f"/charity/funds/{county_fund.pk}/statement/?{period}",
        f"/charity/funds/{county_fund.pk}/statement/?{period}&format=xlsx",
        f"/charity/reports/grants/?{period}",
        f"/charity/reports/grants/?{period}&format=xlsx",
    ):
        _get_ok(web_officer, url)
    _get_ok(_web(supervisor_shushan), f"/cases/{case_id}/")

    # 9. Error pages: a 404 with a full ID in the URL, a 500 whose exception carries one.
    assert web_clerk.get(f"/households/{STRANGER_ID}/").status_code == 404
    assert clerk.get(f"/api/v1/members/{STRANGER_ID}/").status_code == 404
    crashing = _web(clerk_a)
    crashing.raise_request_exception = False
    with mock.patch(
        "applications.views._detail_context", side_effect=RuntimeError(f"cannot decrypt member {X_ID} / {STRANGER_ID}")
    ):
        crashed = crashing.get(f"/households/{household_id}/?id={STRANGER_ID}")
    assert crashed.status_code == 500
    assert any(r.levelno >= logging.ERROR and r.name == "django.request" for r in sink.records)

    # --- the scan ---------------------------------------------------------------------------------------
    numbers = _all_ids(typed)
    assert X_ID in numbers and PAGE_ID in numbers and len(numbers) >= 8
    problems: list[str] = []
    for path, code, text in sink.responses:
        found = _leaks(text, numbers)
        if found:
            problems.append(f"response {code} {path}: {found}")
    assert len(sink.responses) > 60
    xlsx_seen = sum(1 for path, _c, _t in sink.responses if "xlsx" in path)
    assert xlsx_seen == 4, xlsx_seen

    for task in sink.tasks:
        if _leaks(task, numbers):
            problems.append(f"celery: {task}")
    assert any("run_economic_check" in t for t in sink.tasks), sink.tasks

    handlers = _configured_handlers()
    for record in sink.records:
        if not (record.name.startswith(("django", "celery", "py.warnings", "asyncio", "urllib3", "faker"))):
            # Our own loggers must not pass an ID to logging at all (other handlers may not mask).
            raw = record.getMessage()
            if _leaks(raw, numbers):
                problems.append(f"log record {record.name}: {raw[:200]}")
        for name, filters, formatter in handlers:
            copy = logging.makeLogRecord(dict(record.__dict__))
            if all(f.filter(copy) if hasattr(f, "filter") else f(copy) for f in filters):
                line = formatter.format(copy)
                if _leaks(line, numbers):
                    problems.append(f"log handler {name} / {record.name}: {_leaks(line, numbers)}")
    assert any(r.name == "django.request" and r.exc_info for r in sink.records)

    for entry in AuditLog.objects.all():
        text = json.dumps([entry.before, entry.after, entry.reason, entry.object_id], ensure_ascii=False, default=str)
        if _leaks(text, numbers):
            problems.append(f"audit {entry.action}: {_leaks(text, numbers)}")

    assert not problems, "\n".join(problems)


def test_log_filter_masks_message_arguments_and_tracebacks() -> None:
    from accounts.logging import MaskResidentIdFilter

    try:
        raise ValueError(f"bad member {X_ID}")
    except ValueError:
        import sys

        record = logging.LogRecord("app", logging.ERROR, __file__, 1, "lookup %s failed", (PAGE_ID,), sys.exc_info())
    record.stack_info = f"Stack (most recent call last):\n  frame with {PAGE_ID.lower()}"
    assert MaskResidentIdFilter().filter(record) is True
    line = logging.Formatter("%(levelname)s %(message)s").format(record)
    assert _leaks(line, {X_ID, PAGE_ID}) == []
    assert f"lookup {PAGE_ID[:6]}********{PAGE_ID[-4:]} failed" in line
    assert f"bad member {X_ID[:6]}********{X_ID[-4:]}" in line and "Traceback" in line


def test_gunicorn_access_log_masks_ids_in_path_query_and_referer() -> None:
    from types import SimpleNamespace

    from gunicorn.config import Config

    from accounts.logging import MaskingGunicornLogger

    cfg = Config()
    logger = MaskingGunicornLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/households/?q={X_ID}",
        "PATH_INFO": f"/households/{PAGE_ID}/",
        "QUERY_STRING": f"q={X_ID.lower()}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.5",
        "HTTP_REFERER": f"https://aid.example/cases/?q={X_ID}",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    request = SimpleNamespace(headers=[("REFERER", f"https://aid.example/cases/?q={X_ID}")])
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[])
    atoms = logger.atoms(response, request, environ, dt.timedelta(milliseconds=12))
    line = cfg.access_log_format % atoms
    assert _leaks(line + repr(atoms), {X_ID, PAGE_ID}) == []
    assert f"GET /households/?q={X_ID[:6]}********{X_ID[-4:]} HTTP/1.1" in line and " 200 1234 " in line
