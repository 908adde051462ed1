"""Department recipient-status query: entitlements, region, enrolment state, validation, token
authentication (and its separation from staff authentication), rate limit, the masked query log,
the token command, the log page and the OpenAPI description."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import AuditLog, Region, Role, User
from applications.models import Household, Member
from casework.models.enrolment import ChangeKind, Enrolment, EnrolmentStatus, add_months, month_start
from casework.services import enrolment as enrolment_svc
from oversight import departments as svc
from oversight.models import DepartmentClient, DepartmentQueryLog, DepartmentToken, QueryOutcome
from tests.casework.test_enrolment import make_household, person
from tests.support import STREET_A, STREET_F, make_resident_id

URL = "/api/v1/departments/recipient-status/"
THIS_MONTH = month_start(timezone.localdate())
START = add_months(THIS_MONTH, -8)
STREET_F_COMMUNITY = "340123100001"


@pytest.fixture(autouse=True)
def _clear_rate_limits() -> Any:
    cache.clear()
    yield
    cache.clear()


def _user(username: str, role: str, region: str) -> User:
    return User.objects.create_user(username=username, password="pw-Test-12345", role=role, region_id=region)


def _import(approver: User, household: Household, tier: str, amount: str, **kw: Any) -> Enrolment:
    return enrolment_svc.enrolment_import(
        actor=approver,
        household=household,
        tier=tier,
        monthly_amount=Decimal(amount),
        start_month=kw.pop("start", START),
        verified_on=timezone.localdate() - dt.timedelta(days=30),
        evaluation=kw.pop("evaluation", None),
        reason="原系统在册对象导入",
    )


def _client(code: str, tiers: list[str], region: str = "3401", **kw: Any) -> DepartmentClient:
    return DepartmentClient.objects.create(code=code, name=code, region_id=region, allowed_tiers=tiers, **kw)


def _token(client: DepartmentClient) -> str:
    return svc.department_token_issue(client=client, actor=None)[1]


def _ask(raw_token: str | None, id_number: Any, scheme: str = "Department", **extra: Any) -> Any:
    api = APIClient()
    if raw_token is not None:
        api.credentials(HTTP_AUTHORIZATION=f"{scheme} {raw_token}")
    return api.post(URL, {"id_number": id_number}, format="json", **extra)


@pytest.fixture
def people(clerk_a: User, approver_a: User) -> dict[str, str]:
    """ID numbers of: a 低保 head, a 低收入 head, a 特困 elder and his (not covered) son, a Feixi 低保
    head, a stopped 低保 head, a person on no enrolment."""
    ids: dict[str, str] = {}

    def hh(name: str, born: dt.date, tier: str, amount: str, **kw: Any) -> tuple[Enrolment, Household]:
        household = make_household(clerk_a, [person(name, born)])
        ids[name] = household.members.get().id_number
        return _import(approver_a, household, tier, amount, **kw), household

    hh("低保户主", dt.date(1975, 1, 2), "dibao", "925.20")
    hh("低收入户主", dt.date(1976, 3, 4), "low_income", "0")
    stopped, _h = hh("停保户主", dt.date(1977, 5, 6), "dibao", "300")
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=stopped.pk)
        enrolment_svc.period_open(
            enrolment=enrolment,
            kind=ChangeKind.STOP,
            tier="dibao",
            amount=Decimal("0"),
            start_month=THIS_MONTH,
            actor=approver_a,
            reason="收入超标，停止救助",
        )
        enrolment.status, enrolment.end_month = EnrolmentStatus.CLOSED, add_months(THIS_MONTH, -1)
        enrolment.save(update_fields=["status", "end_month"])

    elder_home = make_household(
        clerk_a,
        [person("特困老人", dt.date(1940, 7, 8)), person("老人之子", dt.date(1970, 9, 10), "child")],
    )
    elder = elder_home.members.get(name="特困老人")
    ids["特困老人"], ids["老人之子"] = elder.id_number, elder_home.members.get(name="老人之子").id_number
    evaluation = {"tiers": [{"tier": "tekun", "eligible": True, "members": [str(elder.pk)]}]}
    _import(approver_a, elder_home, "tekun", "2368.25", evaluation=evaluation)

    clerk_f = _user("clerk_f", Role.CLERK, STREET_F)
    approver_f = _user("approver_f", Role.APPROVER, STREET_F)
    feixi = make_household(
        clerk_f,
        [person("肥西户主", dt.date(1978, 11, 12))],
        street=STREET_F,
        community=STREET_F_COMMUNITY,
    )
    ids["肥西户主"] = feixi.members.get().id_number
    _import(approver_f, feixi, "dibao", "600")
    ids["无关人员"] = make_resident_id(birth=dt.date(1990, 1, 1), seq=555)
    return ids


# --- answers --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_medical_insurance_learns_tier_and_since_but_no_amount(people: dict[str, str]) -> None:
    raw = _token(_client("medical_insurance", ["tekun", "dibao", "low_income", "expenditure_hardship"]))
    response = _ask(raw, people["低保户主"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {
        "recipient": True,
        "tiers": [{"tier": "dibao", "since": START.isoformat()}],
        "as_of": timezone.localdate().isoformat(),
    }
    assert _ask(raw, people["低收入户主"]).json()["tiers"] == [{"tier": "low_income", "since": START.isoformat()}]
    assert _ask(raw, people["特困老人"]).json()["tiers"] == [{"tier": "tekun", "since": START.isoformat()}]
    assert _ask(raw, people["无关人员"]).json() == {
        "recipient": False,
        "tiers": [],
        "as_of": timezone.localdate().isoformat(),
    }


@pytest.mark.django_db
def test_housing_learns_only_dibao_and_tekun_and_no_since_when_not_entitled(people: dict[str, str]) -> None:
    raw = _token(_client("housing", ["tekun", "dibao"], may_see_since=False))
    assert _ask(raw, people["低保户主"]).json()["tiers"] == [{"tier": "dibao"}]
    # A 低收入 household is not something housing may learn: the same answer as "nobody".
    assert _ask(raw, people["低收入户主"]).json() == {
        "recipient": False,
        "tiers": [],
        "as_of": timezone.localdate().isoformat(),
    }


@pytest.mark.django_db
def test_amount_only_for_a_department_entitled_to_it(people: dict[str, str]) -> None:
    raw = _token(_client("civil_affairs_fin", ["dibao"], may_see_amount=True))
    assert _ask(raw, people["低保户主"]).json()["tiers"] == [
        {"tier": "dibao", "since": START.isoformat(), "monthly_amount": "925.20"}
    ]
    other = _token(_client("education", ["dibao"]))
    assert "monthly_amount" not in _ask(other, people["低保户主"]).json()["tiers"][0]


@pytest.mark.django_db
def test_person_enrolled_in_another_county_is_not_found_by_a_county_department(people: dict[str, str]) -> None:
    shushan = _token(_client("medical_shushan", ["dibao"], region="340104"))
    city = _token(_client("medical_city", ["dibao"], region="3401"))
    feixi = _token(_client("medical_feixi", ["dibao"], region="340123"))
    assert _ask(shushan, people["肥西户主"]).json()["recipient"] is False
    assert _ask(city, people["肥西户主"]).json()["recipient"] is True
    assert _ask(feixi, people["肥西户主"]).json()["recipient"] is True
    assert _ask(feixi, people["低保户主"]).json()["recipient"] is False


@pytest.mark.django_db
def test_stopped_enrolment_and_uncovered_member_are_not_recipients(people: dict[str, str]) -> None:
    raw = _token(_client("medical_insurance", ["tekun", "dibao", "low_income", "expenditure_hardship"]))
    assert _ask(raw, people["停保户主"]).json()["recipient"] is False
    # The 特困 amount covers the elder only; his son in the same household is no recipient.
    assert _ask(raw, people["老人之子"]).json()["recipient"] is False
    assert _ask(raw, people["特困老人"]).json()["recipient"] is True


@pytest.mark.django_db
def test_gradual_exit_counts_until_its_last_month_and_since_spans_a_raise(
    people: dict[str, str], approver_a: User
) -> None:
    raw = _token(_client("medical_insurance", ["dibao"]))
    enrolment = Enrolment.objects.get(household__members__name="低保户主")
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        enrolment_svc.period_open(
            enrolment=locked,
            kind=ChangeKind.RAISE,
            tier="dibao",
            amount=Decimal("1000"),
            start_month=add_months(THIS_MONTH, -2),
            actor=approver_a,
            reason="新增重病成员，提高救助金",
        )
    # The raise opened a new period two months ago: the dibao status still dates from START.
    assert _ask(raw, people["低保户主"]).json()["tiers"] == [{"tier": "dibao", "since": START.isoformat()}]
    Enrolment.objects.filter(pk=enrolment.pk).update(status=EnrolmentStatus.EXITING, end_month=THIS_MONTH)
    assert _ask(raw, people["低保户主"]).json()["recipient"] is True  # 渐退: still paid this month
    Enrolment.objects.filter(pk=enrolment.pk).update(end_month=add_months(THIS_MONTH, -1))
    assert _ask(raw, people["低保户主"]).json()["recipient"] is False  # 渐退 over (close job not yet run)


# --- validation, authentication -----------------------------------------------------------------


@pytest.mark.django_db
def test_invalid_id_is_a_400_with_a_field_message_and_is_logged_masked(people: dict[str, str]) -> None:
    raw = _token(_client("medical_insurance", ["dibao"]))
    bad = people["低保户主"][:17] + ("0" if people["低保户主"][17] != "0" else "1")
    response = _ask(raw, bad)
    assert response.status_code == 400
    assert "校验位" in response.json()["id_number"][0]
    assert _ask(raw, "12345").json()["id_number"] == ["身份证号码应为18位，当前为5位。"]
    log = DepartmentQueryLog.objects.filter(outcome=QueryOutcome.INVALID).order_by("id").first()
    assert log is not None and log.id_masked == bad[:6] + "********" + bad[-4:] and log.id_index == ""
    assert _ask(raw, "").status_code == 400  # missing value: DRF field error, logged too
    assert DepartmentQueryLog.objects.filter(outcome=QueryOutcome.INVALID).count() == 3


@pytest.mark.django_db
def test_missing_wrong_revoked_expired_or_inactive_token_is_401(people: dict[str, str]) -> None:
    client = _client("medical_insurance", ["dibao"])
    token, raw = svc.department_token_issue(client=client, actor=None)
    assert _ask(raw, people["低保户主"]).status_code == 200
    missing = _ask(None, people["低保户主"])
    assert missing.status_code == 401 and missing["WWW-Authenticate"] == "Department"
    assert _ask(token.prefix + ".wrong-secret", people["低保户主"]).status_code == 401
    assert _ask("garbage", people["低保户主"]).status_code == 401
    assert _ask(raw + " extra", people["低保户主"]).status_code == 401
    svc.department_token_revoke(token=token, actor=None, reason="测试吊销")
    assert _ask(raw, people["低保户主"]).status_code == 401

    _token2, raw2 = svc.department_token_issue(
        client=client, actor=None, expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert _ask(raw2, people["低保户主"]).status_code == 401
    _token3, raw3 = svc.department_token_issue(client=client, actor=None)
    DepartmentClient.objects.filter(pk=client.pk).update(is_active=False)
    assert _ask(raw3, people["低保户主"]).status_code == 401
    assert not DepartmentQueryLog.objects.filter(outcome=QueryOutcome.ANSWERED).exclude(token=token).exists()


@pytest.mark.django_db
def test_staff_credentials_do_not_open_the_department_endpoint_and_vice_versa(
    people: dict[str, str], supervisor_shushan: User
) -> None:
    staff_key = Token.objects.create(user=supervisor_shushan).key
    assert _ask(staff_key, people["低保户主"], scheme="Token").status_code == 401
    session = APIClient()
    session.force_login(supervisor_shushan)
    assert session.post(URL, {"id_number": people["低保户主"]}, format="json").status_code == 401
    raw = _token(_client("medical_insurance", ["dibao"]))
    # A department token (under either keyword) authenticates no staff endpoint.
    for scheme in ("Department", "Token"):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"{scheme} {raw}")
        assert api.get("/api/v1/households/").status_code in (401, 403)
        assert api.get("/api/v1/enrolments/").status_code in (401, 403)


@pytest.mark.django_db
def test_token_is_stored_hashed_with_a_lookup_prefix(people: dict[str, str]) -> None:
    token, raw = svc.department_token_issue(client=_client("education", ["dibao"]), actor=None)
    prefix, secret = raw.split(".", 1)
    assert token.prefix == prefix and len(prefix) == 8
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = json.dumps(list(DepartmentToken.objects.values()), default=str)
    assert secret not in stored
    assert secret not in json.dumps(list(AuditLog.objects.values()), default=str)


@pytest.mark.django_db
def test_rate_limit_per_token_answers_429_and_logs_it(people: dict[str, str]) -> None:
    client = _client("medical_insurance", ["dibao"], rate_limit_per_minute=2)
    raw = _token(client)
    other = _token(client)
    assert _ask(raw, people["低保户主"]).status_code == 200
    assert _ask(raw, people["低保户主"]).status_code == 200
    limited = _ask(raw, people["低保户主"])
    assert limited.status_code == 429
    assert _ask(other, people["低保户主"]).status_code == 200  # per token
    assert DepartmentQueryLog.objects.filter(outcome=QueryOutcome.RATE_LIMITED).count() == 1


# --- the query log ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_query_is_logged_with_masked_id_and_never_the_full_number(people: dict[str, str]) -> None:
    client = _client("medical_insurance", ["dibao"])
    raw = _token(client)
    number = people["低保户主"]
    _ask(raw, number, REMOTE_ADDR="10.1.2.3")
    _ask(raw, people["无关人员"])
    logs = list(DepartmentQueryLog.objects.order_by("id"))
    assert len(logs) == 2
    first = logs[0]
    assert first.client == client and first.outcome == QueryOutcome.ANSWERED and first.recipient is True
    assert first.id_masked == number[:6] + "********" + number[-4:]
    assert first.id_index == Member.objects.get(name="低保户主").id_index
    assert first.answer == {"tiers": [{"tier": "dibao", "since": START.isoformat()}]}
    assert first.client_ip == "10.1.2.3" and first.region_code == STREET_A
    assert logs[1].recipient is False and logs[1].region_code == ""
    assert number not in json.dumps(list(DepartmentQueryLog.objects.values()), default=str)
    assert number not in json.dumps(list(AuditLog.objects.values()), default=str)
    with pytest.raises(DatabaseError), transaction.atomic():
        DepartmentQueryLog.objects.filter(pk=first.pk).update(id_masked="x")


@pytest.mark.django_db
def test_query_log_page_for_supervisors_of_their_county_only(
    people: dict[str, str], supervisor_shushan: User, supervisor_feixi: User, city_admin: User, clerk_a: User
) -> None:
    city = _token(_client("medical_insurance", ["dibao"], region="3401"))
    _ask(city, people["低保户主"])  # found in 蜀山区
    _ask(city, people["肥西户主"])  # found in 肥西县
    _ask(_token(_client("housing_feixi", ["dibao"], region="340123")), people["无关人员"])
    shushan_log = DepartmentQueryLog.objects.get(region_code=STREET_A)
    feixi_logs = DepartmentQueryLog.objects.exclude(region_code=STREET_A)
    assert list(svc.query_logs_visible_to(supervisor_shushan)) == [shushan_log]
    assert set(svc.query_logs_visible_to(supervisor_feixi)) == set(feixi_logs)
    assert svc.query_logs_visible_to(city_admin).count() == 3
    browser = Client()
    browser.force_login(supervisor_shushan)
    page = browser.get("/oversight/departments/queries/")
    assert page.status_code == 200
    html = page.content.decode()
    number = people["低保户主"]
    assert number[:6] + "********" + number[-4:] in html and number not in html
    assert people["肥西户主"][-4:] + "</td>" not in html
    browser.force_login(clerk_a)
    assert browser.get("/oversight/departments/queries/").status_code == 403


# --- the command, the schema ------------------------------------------------------------------


@pytest.mark.django_db
def test_issue_department_token_command_registers_rotates_and_revokes(people: dict[str, str]) -> None:
    out = io.StringIO()
    call_command("issue_department_token", "medical_insurance", "--region", "3401", stdout=out)
    client = DepartmentClient.objects.get(code="medical_insurance")
    assert client.name == "医疗保障局"
    assert client.allowed_tiers == sorted(["tekun", "dibao", "low_income", "expenditure_hardship"])
    assert (client.may_see_since, client.may_see_amount) == (True, False)
    raw = out.getvalue().strip().splitlines()[-1].removeprefix("请求头：Authorization: Department ")
    assert _ask(raw, people["低保户主"]).json()["recipient"] is True

    out2 = io.StringIO()
    call_command("issue_department_token", "medical_insurance", "--rotate", stdout=out2)
    new_raw = out2.getvalue().strip().splitlines()[-1].removeprefix("请求头：Authorization: Department ")
    assert _ask(raw, people["低保户主"]).status_code == 401
    assert _ask(new_raw, people["低保户主"]).status_code == 200

    call_command("issue_department_token", "--revoke", new_raw.split(".")[0], "--reason", "部门停止对接")
    assert _ask(new_raw, people["低保户主"]).status_code == 401
    listing = io.StringIO()
    call_command("issue_department_token", "--list", stdout=listing)
    assert "medical_insurance" in listing.getvalue() and new_raw.split(".")[1] not in listing.getvalue()
    assert AuditLog.objects.filter(action="department_token.issue").count() == 2
    assert AuditLog.objects.filter(action="department_token.revoke").count() == 2


@pytest.mark.django_db
def test_schema_documents_the_endpoint_with_the_department_security_scheme(db: Any) -> None:
    admin = User.objects.create_user(username="schema_admin", password="pw-Test-12345", role=Role.ADMIN)
    admin.region = Region.objects.get(code="3401")
    admin.save()
    api = APIClient()
    api.force_authenticate(admin)
    schema = api.get("/api/schema/?format=json").json()
    assert schema["components"]["securitySchemes"]["departmentToken"]["name"] == "Authorization"
    operation = schema["paths"]["/api/v1/departments/recipient-status/"]["post"]
    assert operation["security"] == [{"departmentToken": []}]
    assert list(operation["requestBody"]["content"]) == ["application/json"]
    assert schema["components"]["schemas"]["RecipientStatusInRequest"]["required"] == ["id_number"]
    tier = schema["components"]["schemas"]["RecipientTier"]["properties"]
    assert set(tier) == {"tier", "since", "monthly_amount"}
    assert set(operation["responses"]) >= {"200", "400", "401", "429"}


@pytest.mark.django_db
def test_admin_issues_a_token_shown_once_and_revokes_it(people: dict[str, str]) -> None:
    root = User.objects.create_superuser(username="root", password="pw-Test-12345", role=Role.ADMIN)
    client = _client("medical_insurance", ["dibao"])
    browser = Client()
    browser.force_login(root)
    response = browser.post(
        "/admin/oversight/departmentclient/",
        {"action": "issue_token", "_selected_action": [client.pk]},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    found = re.search(r"Authorization: Department ([0-9a-f]{8}\.[A-Za-z0-9_\-]+)", response.content.decode())
    assert found is not None
    raw = found.group(1)
    assert _ask(raw, people["低保户主"]).status_code == 200
    token = DepartmentToken.objects.get(prefix=raw.split(".")[0])
    assert browser.get(f"/admin/oversight/departmenttoken/{token.pk}/change/").status_code == 200
    assert raw.split(".")[1] not in browser.get(f"/admin/oversight/departmenttoken/{token.pk}/change/").content.decode()
    browser.post("/admin/oversight/departmenttoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert _ask(raw, people["低保户主"]).status_code == 401
    page = browser.get("/admin/oversight/departmentquerylog/")
    assert page.status_code == 200 and people["低保户主"] not in page.content.decode()


@pytest.mark.django_db
def test_household_confirmed_this_month_is_a_recipient_from_next_month(
    clerk_a: User, approver_a: User, db: Any
) -> None:
    household = make_household(clerk_a, [person("新纳入", dt.date(1979, 8, 9))])
    _import(approver_a, household, "dibao", "700", start=add_months(THIS_MONTH, 1))
    raw = _token(_client("medical_insurance", ["dibao"]))
    body = _ask(raw, household.members.get().id_number).json()
    assert body["recipient"] is True and body["tiers"] == [
        {"tier": "dibao", "since": add_months(THIS_MONTH, 1).isoformat()}
    ]


@pytest.mark.django_db
def test_command_refuses_an_unknown_department_without_entitlements(db: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="保障类别"):
        call_command("issue_department_token", "tax_bureau", "--region", "3401", stdout=io.StringIO())
    with pytest.raises(CommandError, match="全市或一个县"):
        call_command(
            "issue_department_token", "tax_bureau", "--region", STREET_A, "--tiers", "dibao", stdout=io.StringIO()
        )
    call_command(
        "issue_department_token", "tax_bureau", "--region", "340104", "--tiers", "dibao", "--name", "蜀山区税务局",
        stdout=io.StringIO(),
    )  # fmt: skip
    client = DepartmentClient.objects.get(code="tax_bureau")
    assert (client.name, client.region_id, client.allowed_tiers) == ("蜀山区税务局", "340104", ["dibao"])
