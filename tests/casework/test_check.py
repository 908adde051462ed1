"""Economic check: the authorisation guard, logged queries, department mismatches, the task contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import User
from applications.models import EconomicCheckAuthorisation, Household, Member
from casework.checks import adapters
from casework.checks.adapters import AdapterUnavailable, Finding, Person
from casework.models import (
    Case,
    CaseStatus,
    CheckStatus,
    DataExchangeRecord,
    Department,
    EconomicCheck,
    EconomicCheckQuery,
    RecordKind,
)
from casework.services.check import check_run
from tests.casework.helpers import accept, intake_payload, post, run_on_commit
from tests.support import api_client, make_resident_id

HEAD = make_resident_id(seq=123)
SPOUSE = make_resident_id(birth=dt.date(1982, 3, 9), seq=246)


def _records(**by_kind: Any) -> None:
    from accounts.crypto import blind_index

    today = dt.date.today()
    for kind, (department, number, amount, value) in by_kind.items():
        DataExchangeRecord.objects.create(
            department=department, id_index=blind_index(number), kind=kind, amount=amount, value=value, as_of=today
        )


@pytest.mark.django_db
def test_check_refuses_without_every_adults_authorisation(clerk_a: User, reviewer_a: User) -> None:
    payload = intake_payload()
    payload["members"][1]["authorisation_signed"] = False
    with run_on_commit():
        body = api_client(clerk_a).post("/api/v1/intake/", payload, format="json").json()
    case_id = body["case"]["id"]
    assert body["case"]["status"] == CaseStatus.ACCEPTED  # accepted, but the check did not start
    assert not EconomicCheckQuery.objects.exists()
    response = post(reviewer_a, case_id, "check")
    assert response.status_code == 409
    assert response.json()["code"] == "authorisation_missing"
    assert "李梅" in response.json()["detail"] and "340104********" in response.json()["detail"]
    assert SPOUSE not in response.content.decode()
    # The clerk records the missing authorisation; then the check can start.
    member = Member.objects.get(name="李梅")
    response = api_client(clerk_a).post(
        f"/api/v1/applications/{body['application']['id']}/authorisations/",
        {"member": member.pk, "signed": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert post(reviewer_a, case_id, "check").status_code == 200
    assert Case.objects.get(pk=case_id).status == CaseStatus.INVESTIGATION


@pytest.mark.django_db
def test_minors_need_no_authorisation(clerk_a: User) -> None:
    payload = intake_payload()
    payload["members"].append(
        {"name": "张小明", "id_number": make_resident_id(birth=dt.date(2015, 6, 1), seq=357), "relation": "child"}
    )
    body = accept(clerk_a, **{"members": payload["members"]})
    assert Case.objects.get(pk=body["case"]["id"]).status == CaseStatus.INVESTIGATION


@pytest.mark.django_db
def test_task_refuses_when_an_authorisation_is_withdrawn_before_it_runs(clerk_a: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    case = Case.objects.get(pk=case_id)
    # Put the case back into "checking" with a queued check, then withdraw one authorisation.
    Case.objects.filter(pk=case_id).update(status=CaseStatus.CHECKING)
    EconomicCheck.objects.create(case=case, purpose="复核", requested_by=clerk_a)
    EconomicCheckAuthorisation.objects.filter(member__name="李梅").update(signed=False, signed_on=None)
    queries_before = EconomicCheckQuery.objects.count()
    assert check_run(case_id=case_id) == "refused"
    assert EconomicCheckQuery.objects.count() == queries_before  # no department was asked
    assert Case.objects.get(pk=case_id).status == CaseStatus.ACCEPTED
    assert EconomicCheck.objects.filter(case=case).order_by("-id").first().status == CheckStatus.REFUSED  # type: ignore[union-attr]


@pytest.mark.django_db
def test_every_query_is_logged_with_purpose_and_operator_and_task_is_idempotent(clerk_a: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    queries = EconomicCheckQuery.objects.filter(case_id=case_id)
    assert queries.count() == len(Department.values) * 2
    assert {q.department for q in queries} == set(Department.values)
    assert all(q.purpose and q.operator_id == clerk_a.pk for q in queries)
    assert {q.subject_masked for q in queries} == {
        HEAD[:6] + "********" + HEAD[-4:],
        SPOUSE[:6] + "********" + SPOUSE[-4:],
    }
    assert check_run(case_id=case_id) == "nothing"
    from casework.tasks import run_economic_check

    assert run_economic_check.delay(case_id).get() == "nothing"
    assert queries.count() == len(Department.values) * 2


@pytest.mark.django_db
def test_mismatches_are_shown_to_the_reviewer(clerk_a: User, reviewer_a: User) -> None:
    _records(
        wage_income=(Department.TAX, HEAD, Decimal("3200.00"), "某物流公司"),
        vehicle=(Department.VEHICLES, HEAD, Decimal("150000.00"), "大众帕萨特"),
        home=(Department.REAL_ESTATE, SPOUSE, None, "滨湖新区云谷路88号"),
    )
    _records(home=(Department.REAL_ESTATE, HEAD, None, "长江西路100号"))
    body = accept(clerk_a)
    detail = api_client(reviewer_a).get(f"/api/v1/cases/{body['case']['id']}/").json()
    codes = {d["code"]: d for d in detail["checks"][0]["discrepancies"]}
    assert set(codes) == {"wage_higher", "undeclared_vehicle", "more_homes"}
    assert codes["wage_higher"]["declared"] == "1200.00" and codes["wage_higher"]["found"] == "3200.00"
    assert codes["more_homes"]["found"] == "2"
    page = api_client(reviewer_a).get(f"/cases/{body['case']['id']}/")
    # The reviewer's case page (session login) lists them too.
    from django.test import Client

    client = Client()
    client.force_login(reviewer_a)
    html = client.get(f"/cases/{body['case']['id']}/").content.decode()
    assert "高于申报" in html and "未在申报中" in html and "共有住房 2 套" in html
    assert page.status_code in {200, 302}


@pytest.mark.django_db
def test_adopting_a_difference_corrects_the_household_before_the_opinion(
    clerk_a: User, reviewer_a: User, reviewer_a2: User
) -> None:
    _records(wage_income=(Department.TAX, HEAD, Decimal("3200.00"), ""))
    case_id = accept(clerk_a)["case"]["id"]
    from tests.casework.helpers import investigate

    assert investigate(reviewer_a, reviewer_a2, case_id, adopt=["d1"]).status_code == 200
    head = Member.objects.get(name="张三")
    assert [(i.kind, i.monthly) for i in head.incomes.all()] == [("wage", Decimal("3200.00"))]
    opinion = post(reviewer_a, case_id, "opinion").json()["opinions"][-1]
    assert opinion["tier"] != "dibao" or Decimal(opinion["monthly_amount"]) < Decimal("925.20")


@pytest.mark.django_db
def test_unavailable_department_keeps_the_check_queued_and_retries(
    clerk_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}

    class FlakyTax(adapters.LocalDataExchangeAdapter):
        department = Department.TAX

        def query(self, person: Person, *, as_of: dt.date) -> list[Finding]:
            calls["n"] += 1
            if calls["n"] <= 1:
                raise AdapterUnavailable("税务接口超时")
            return super().query(person, as_of=as_of)

    monkeypatch.setitem(adapters.REGISTRY, Department.TAX, FlakyTax)
    # Accept without running the on-commit hook: the check stays queued for the worker.
    body = api_client(clerk_a).post("/api/v1/intake/", intake_payload(), format="json").json()
    case = Case.objects.get(pk=body["case"]["id"])
    assert case.status == CaseStatus.CHECKING
    from casework.tasks import run_economic_check

    # As a worker would: the first attempt fails, Celery retries, the second succeeds.
    result = run_economic_check.apply(args=[case.pk], throw=False)
    assert result.get() == "done"
    case.refresh_from_db()
    check = EconomicCheck.objects.get(case=case)
    assert check.status == CheckStatus.DONE and check.attempts == 2
    assert case.status == CaseStatus.INVESTIGATION
    # The first attempt's queries (before the failure) stay logged.
    assert EconomicCheckQuery.objects.filter(case=case).count() > len(Department.values) * 2


def test_the_task_takes_the_case_id_only() -> None:
    import inspect

    from casework.tasks import run_economic_check

    assert list(inspect.signature(run_economic_check.run).parameters) == ["case_id"]


@pytest.mark.django_db
def test_household_fixture_is_untouched_by_checks(household_a: Household) -> None:
    assert household_a.members.count() == 2
    assert not DataExchangeRecord.objects.filter(kind=RecordKind.VEHICLE).exists()
