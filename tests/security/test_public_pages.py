"""掌上办 public pages (issue 8): rate-limited, and they never reveal whether an ID number exists.

The status query answers the same page — byte for byte once the CSRF token is removed, with the same
number of database queries (a deterministic stand-in for timing) — for an ID that is registered in
the system and one that is not. An online application with an ID that already has an open case goes
through like any other: the window, not the public page, deals with duplicates.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from applications.models import Application, ApplicationStatus, Channel
from casework.models import Case
from tests.casework.helpers import accept
from tests.support import COMMUNITY_A, STREET_A, make_resident_id

# The household the clerk registers through the window (tests.support.household_payload): its
# applicant's ID exists in the system and has an open case.
REGISTERED = make_resident_id(seq=123)
UNKNOWN = make_resident_id(birth=dt.date(1977, 8, 30), seq=555)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    cache.clear()
    yield
    cache.clear()


def _form(applicant: str, *, name: str = "孙丽", child: str | None = None) -> dict[str, str]:
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
        "m-TOTAL_FORMS": "2",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "1",
        "m-MAX_NUM_FORMS": "10",
        "m-0-name": name,
        "m-0-id_number": applicant,
        "m-0-relation": "self",
        "m-0-monthly_income": "900",
        "m-0-income_kind": "wage",
        "m-1-name": "孙小宝",
        "m-1-id_number": child or make_resident_id(birth=dt.date(2014, 1, 5), seq=622),
        "m-1-relation": "child",
        "m-1-income_kind": "wage",
    }


def _apply(client: Client, applicant: str, ip: str = "10.9.0.1", **kw: Any) -> Any:
    return client.post(f"/apply/?street={STREET_A}", _form(applicant, **kw), REMOTE_ADDR=ip)


def _status(client: Client, receipt: str, number: str, ip: str = "10.8.0.1", **extra: Any) -> Any:
    return client.post("/apply/status/", {"receipt_no": receipt, "id_number": number}, REMOTE_ADDR=ip, **extra)


def _page(response: Any) -> str:
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())


@pytest.mark.django_db
def test_status_query_cannot_tell_a_registered_id_from_an_unknown_one(clerk_a: User) -> None:
    receipt = accept(clerk_a)["application"]["receipt_no"]  # REGISTERED's real receipt, case open
    assert Case.objects.get().household.members.filter(id_masked__endswith=REGISTERED[-4:]).exists()
    client = Client()
    probes = {
        "registered id, made-up receipt": (receipt[:-4] + "9999", REGISTERED),
        "unknown id, made-up receipt": (receipt[:-4] + "9999", UNKNOWN),
        "real receipt, unknown id": (receipt, UNKNOWN),
        "real receipt, registered id of another member": (
            receipt,
            make_resident_id(birth=dt.date(1982, 3, 9), seq=246),
        ),
    }
    pages: dict[str, str] = {}
    queries: dict[str, int] = {}
    for n, (label, (r, number)) in enumerate(probes.items()):
        with CaptureQueriesContext(connection) as captured:
            response = _status(client, r, number, ip=f"10.8.1.{n}")
        assert response.status_code == 200, label
        assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
        # The page keeps the receipt number typed (never the ID number): blank it to compare the rest.
        pages[label] = _page(response).replace(f'value="{r}"', 'value=""')
        queries[label] = len(captured)
    first = next(iter(pages.values()))
    assert "未找到与受理编号和身份证号码相符的申请" in first and 'id="status-result"' not in first
    for label, html in pages.items():
        assert html == first, label  # byte-identical: nothing tells which part was wrong
        assert REGISTERED not in html and UNKNOWN not in html  # the ID is never echoed
    # The same work is done whether or not the receipt/ID exist (no timing side channel from the DB).
    assert len(set(queries.values())) == 1, queries
    # And the right pair does answer (so the test above compared failures, not a broken page).
    right = _page(_status(client, receipt, REGISTERED, ip="10.8.2.1"))
    assert 'id="status-result"' in right and "340104********" in right and REGISTERED not in right


@pytest.mark.django_db
def test_status_query_returns_429_after_ten_per_hour_and_forwarded_for_does_not_help() -> None:
    client = Client()
    for n in range(10):
        assert _status(client, f"340104001-2026-00000{n}", UNKNOWN, ip="10.7.0.1").status_code == 200
    for spoofed in ("1.2.3.4", "5.6.7.8"):
        blocked = _status(client, "340104001-2026-000011", UNKNOWN, ip="10.7.0.1", HTTP_X_FORWARDED_FOR=spoofed)
        assert blocked.status_code == 429
        html = blocked.content.decode()
        assert "查询过于频繁" in html and "未找到" not in html  # the limit answers before any lookup
    assert _status(client, "340104001-2026-000011", UNKNOWN, ip="10.7.0.2").status_code == 200


@pytest.mark.django_db
def test_behind_one_trusted_proxy_each_client_has_its_own_bucket_and_spoofing_does_not_help(settings: Any) -> None:
    """TRUSTED_PROXY_COUNT=1 (one reverse proxy at 10.0.0.1): the limiter counts per address the proxy
    appended to X-Forwarded-For — the same address django-axes locks (accounts.security.client_ip)."""
    from accounts.security import client_ip
    from casework.ratelimit import client_ip as limiter_ip

    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    client = Client()
    for n in range(10):
        ok = _status(client, f"340104001-2026-00000{n}", UNKNOWN, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
        assert ok.status_code == 200
    # The 11th query of 203.0.113.7 is refused, whatever the client writes in front of its real address.
    for forwarded in ("203.0.113.7", "1.2.3.4, 203.0.113.7", "5.6.7.8,9.9.9.9, 203.0.113.7"):
        blocked = _status(client, "340104001-2026-000011", UNKNOWN, ip=proxy, HTTP_X_FORWARDED_FOR=forwarded)
        assert blocked.status_code == 429, forwarded
    # Another resident behind the same proxy is not in that bucket (with REMOTE_ADDR only, all would be).
    other = _status(client, "340104001-2026-000011", UNKNOWN, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 200
    # One source of truth: the limiter's address is axes' address.
    request = RequestFactory().get("/", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert limiter_ip(request.META) == client_ip(request) == "203.0.113.7"
    settings.TRUSTED_PROXY_COUNT = 0
    assert limiter_ip(request.META) == client_ip(request) == proxy  # no proxy trusted: the header is ignored
    assert limiter_ip({}) == "unknown"


@pytest.mark.django_db
def test_online_application_is_limited_to_five_per_hour_with_429() -> None:
    client = Client()
    for n in range(5):
        response = _apply(client, make_resident_id(birth=dt.date(1985, 4, 2), seq=611 + 2 * n), ip="10.6.0.1")
        assert response.status_code == 302, response.content.decode()[:2000]
    blocked = _apply(client, make_resident_id(birth=dt.date(1985, 4, 2), seq=631), ip="10.6.0.1")
    assert blocked.status_code == 429 and "提交过于频繁" in blocked.content.decode()
    assert Application.objects.count() == 5
    assert _apply(client, make_resident_id(birth=dt.date(1985, 4, 2), seq=631), ip="10.6.0.2").status_code == 302


@pytest.mark.django_db
def test_online_application_with_an_id_that_has_an_open_case_says_nothing_about_it(clerk_a: User) -> None:
    accept(clerk_a)  # REGISTERED now has an open case at the window
    pages = []
    for n, number in enumerate((REGISTERED, UNKNOWN)):
        client = Client()
        response = _apply(client, number, ip=f"10.5.0.{n}", name="张三")
        assert response.status_code == 302  # both accepted as online submissions
        html = _page(client.get(response["Location"]))
        pages.append(re.sub(r'id="receipt-no">[^<]*<', 'id="receipt-no"><', html))
    assert pages[0] == pages[1]  # the same done page (only the receipt number differed)
    online = Application.objects.filter(channel=Channel.ONLINE).order_by("id")
    assert online.count() == 2 and {a.status for a in online} == {ApplicationStatus.SUBMITTED}
    # The resident's status query shows their own online submission only, not the open window case.
    html = _page(_status(Client(), online[0].receipt_no, REGISTERED, ip="10.5.1.1"))
    assert "已提交，请全体成年家庭成员" in html and "340104********" in html and REGISTERED not in html


@pytest.mark.django_db
def test_online_form_errors_do_not_depend_on_whether_the_id_exists(clerk_a: User) -> None:
    """A form error elsewhere gives the same messages whether the applicant's ID is registered or not."""
    accept(clerk_a)
    bad_child = make_resident_id(birth=dt.date(2014, 1, 5), seq=622)[:-1] + "0"
    if bad_child == make_resident_id(birth=dt.date(2014, 1, 5), seq=622):
        bad_child = bad_child[:-1] + "1"
    known = _apply(Client(), REGISTERED, ip="10.4.0.1", child=bad_child)
    unknown = _apply(Client(), UNKNOWN, ip="10.4.0.2", child=bad_child)
    assert known.status_code == unknown.status_code == 200
    errors = [re.findall(r'<div class="error-box">(.*?)\n', r.content.decode()) for r in (known, unknown)]
    assert errors[0] == errors[1] and len(errors[0]) == 1 and "第2位成员：身份证号码校验位不正确" in errors[0][0]
    assert Application.objects.filter(channel=Channel.ONLINE).count() == 0
