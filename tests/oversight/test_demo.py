"""The demo departments of the recipient-status interface (oversight/demo.py): registered and given a
token by ``manage.py load_demo``, the tokens printed once with the demo accounts, never in production."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditLog, User
from applications.models import Member
from casework.models.enrolment import Enrolment, EnrolmentStatus, month_start
from oversight import departments as svc
from oversight.demo import TOKEN_LABEL
from oversight.models import DepartmentClient, DepartmentToken

URL = "/api/v1/departments/recipient-status/"
TOKEN_LINE = re.compile(r"^    Authorization: Department (\S+)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def _clear_rate_limits() -> Any:
    cache.clear()
    yield
    cache.clear()


def _covered_member(county: str) -> Member:
    """A member covered by the current 低保/特困 period of an open enrolment of ``county``."""
    enrolments = (
        Enrolment.objects.filter(
            street__code__startswith=county,
            status=EnrolmentStatus.ACTIVE,
            current_period__tier__in=["dibao", "tekun"],
        )
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=month_start(timezone.localdate())))
        .select_related("current_period")
        .order_by("id")
    )
    for enrolment in enrolments:
        period = enrolment.current_period
        assert period is not None
        for member in Member.objects.filter(household_id=enrolment.household_id, active=True).order_by("id"):
            if (member.pk in period.members) if period.members else member.is_counted:
                return member
    raise AssertionError(f"the demo has no covered 低保/特困 member in {county}")


def _ask(raw: str, id_number: str) -> dict[str, Any]:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Department {raw}")
    response = api.post(URL, {"id_number": id_number}, format="json")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.django_db
def test_load_demo_refuses_without_demo_data_allowed(settings: Any) -> None:
    settings.DEMO_DATA_ALLOWED = False  # DEBUG=0 without DEMO_DATA=1
    with pytest.raises(CommandError, match="DEMO_DATA=1"):
        call_command("load_demo", stdout=StringIO())
    assert not User.objects.exists() and not DepartmentClient.objects.exists()


@pytest.mark.django_db
def test_load_demo_registers_two_departments_and_prints_their_tokens_once() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    printed = out.getvalue()
    admin = User.objects.get(username="admin")

    medical = DepartmentClient.objects.get(code="medical_insurance")
    assert (medical.name, medical.region_id) == ("合肥市医疗保障局", "3401")
    assert medical.allowed_tiers == ["dibao", "expenditure_hardship", "low_income", "tekun"]  # the preset
    assert medical.may_see_since and not medical.may_see_amount and medical.is_active
    housing = DepartmentClient.objects.get(code="housing_shushan")
    assert (housing.name, housing.region_id) == ("蜀山区住房和城乡建设局", "340104")
    assert housing.allowed_tiers == ["dibao", "tekun"]  # the housing preset
    assert housing.may_see_since and not housing.may_see_amount
    assert DepartmentClient.objects.count() == 2

    # One usable token each, issued by the demo administrator and audited.
    for client in (medical, housing):
        token = DepartmentToken.objects.get(client=client)
        assert token.is_usable and token.label == TOKEN_LABEL and token.created_by == admin
    assert AuditLog.objects.filter(action="department_client.create", actor=admin).count() == 2
    assert AuditLog.objects.filter(action="department_token.issue", actor=admin).count() == 2

    # Printed after the demo accounts, in the order medical, housing; each authenticates as its department.
    assert printed.index("supervisor_shushan") < printed.index("演示部门接口令牌")
    raws = TOKEN_LINE.findall(printed)
    assert len(raws) == 2
    for raw, client in zip(raws, (medical, housing), strict=True):
        found = svc.department_token_authenticate(raw)
        assert found is not None and found.client == client
        assert raw.split(".")[0] == found.prefix and found.secret_hash not in printed

    # What each may learn: 医保局 the whole city, the 蜀山区 housing bureau only its own county.
    shushan = _covered_member("340104")
    feixi = _covered_member("340123")
    medical_raw, housing_raw = raws
    for member in (shushan, feixi):
        answer = _ask(medical_raw, member.id_number)
        assert answer["recipient"] is True and answer["tiers"][0]["tier"] in {"dibao", "tekun"}
        assert "since" in answer["tiers"][0] and "monthly_amount" not in answer["tiers"][0]
    assert _ask(housing_raw, shushan.id_number)["recipient"] is True
    assert _ask(housing_raw, feixi.id_number) == {
        "recipient": False,
        "tiers": [],
        "as_of": timezone.localdate().isoformat(),
    }

    # A second run issues nothing and prints no secret.
    again = StringIO()
    call_command("load_demo", stdout=again)
    assert DepartmentToken.objects.count() == 2 and DepartmentClient.objects.count() == 2
    assert TOKEN_LINE.findall(again.getvalue()) == []
    assert again.getvalue().count("令牌已在首次载入时显示") == 2
    for raw in raws:
        assert raw not in again.getvalue()


@pytest.mark.django_db
def test_quiet_accounts_prints_neither_accounts_nor_tokens() -> None:
    from accounts.demo import load_staff
    from oversight import demo

    context = load_staff()
    issued = demo.load(context)
    assert [t.client.code for t in issued] == ["medical_insurance", "housing_shushan"]
    assert demo.load(context) == []  # loaded once per department code
    out = StringIO()
    call_command("load_demo", quiet_accounts=True, stdout=out)  # clerk_a exists: only the additions run
    assert "Authorization" not in out.getvalue() and "Hefei-demo-2026" not in out.getvalue()
    assert DepartmentToken.objects.count() == 2
