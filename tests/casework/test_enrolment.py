"""Enrolment from an approved decision: values stored, idempotent, append-only history, schedules,
bridging. Also the shared builders of the issue-5 tests (``make_household``, ``enrol``)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.errors import BusinessError, Conflict
from accounts.models import AuditLog, Region, User
from applications.models import Household
from applications.services import household_create
from casework.models import Case, Decision
from casework.models.enrolment import (
    BridgingPayment,
    ChangeKind,
    Enrolment,
    EnrolmentPeriod,
    EnrolmentStatus,
    add_months,
    add_months_to_day,
    month_start,
)
from casework.services import enrolment as svc
from casework.services.review import case_confirm, case_refuse
from eligibility.services import evaluate_household
from tests.casework.helpers import walk_to_review
from tests.support import COMMUNITY_A, STREET_A, make_resident_id

_SEQ = itertools.count(301, 2)
TODAY = dt.date.today()


def person(
    name: str, born: dt.date, relation: str = "self", incomes: list[tuple[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "id_number": make_resident_id(birth=born, seq=next(_SEQ) % 1000),
        "relation": relation,
        "incomes": [{"kind": k, "monthly": Decimal(v)} for k, v in (incomes or [])],
        **extra,
    }


def make_household(
    actor: User, members: list[dict[str, Any]], street: str = STREET_A, community: str = COMMUNITY_A, **extra: Any
) -> Household:
    data: dict[str, Any] = {
        "street": Region.objects.get(code=street),
        "community": Region.objects.get(code=community),
        "address": "长江西路100号",
        "phone": "13812345678",
        "bank_name": "徽商银行",
        "bank_account": "6228480012345678901",
        "financial_assets": Decimal("2000"),
        "homes": 1,
        "members": members,
    }
    data.update(extra)
    return household_create(actor=actor, data=data)


def dibao_family(actor: User, wage: str = "1200", **extra: Any) -> Household:
    """Worker aged ~46 with a wage and a spouse: 低保 925.20 at S = 924 with wage 1200."""
    return make_household(
        actor,
        [
            person("张三", dt.date(1980, 5, 17), incomes=[("wage", wage)]),
            person("李梅", dt.date(1982, 3, 9), "spouse"),
        ],
        **extra,
    )


def enrol(
    approver: User, household: Household, *, start: dt.date | None = None, verified_on: dt.date | None = None
) -> Enrolment:
    """A household already receiving its engine amount (historical import), from ``start``."""
    evaluation = evaluate_household(household, as_of=TODAY)
    return svc.enrolment_import(
        actor=approver,
        household=household,
        tier=evaluation["primary_tier"],
        monthly_amount=Decimal(evaluation["monthly_amount"]),
        start_month=start or add_months(month_start(TODAY), -3),
        verified_on=verified_on or TODAY - dt.timedelta(days=200),
        evaluation=evaluation,
        reason="原系统在册对象导入",
    )


def approved_case(clerk: User, reviewer: User, reviewer2: User, approver: User, **kwargs: Any) -> Decision:
    case_id = walk_to_review(clerk, reviewer, reviewer2, **kwargs)
    return svc.case_confirm_and_enrol(actor=approver, case=Case.objects.get(pk=case_id), note="同意")


# --- from a decision -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_approval_enrols_with_tier_amount_start_month_and_parameters(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User
) -> None:
    decision = approved_case(clerk_a, reviewer_a, reviewer_a2, approver_a)
    enrolment = Enrolment.objects.get(household=decision.case.household)
    assert (enrolment.tier, enrolment.monthly_amount, enrolment.status) == ("dibao", Decimal("925.20"), "active")
    assert enrolment.start_month == decision.start_month == add_months(month_start(timezone.localdate()), 1)
    period = enrolment.current_period
    assert period is not None and period.kind == ChangeKind.ENROL and period.decision == decision
    assert {p["name"] for p in period.parameters_used} >= {"dibao_standard", "employment_cost_deduction_ratio"}
    assert period.earned_income == Decimal("1200.00")
    # 张三 (46, wage) is able to work: a 低保 household re-verified every 6 months.
    assert enrolment.review_interval_months == 6
    assert enrolment.next_review_due == add_months_to_day(decision.decided_on, 6)
    assert (enrolment.basis_tier, enrolment.basis_amount) == ("dibao", Decimal("925.20"))
    assert AuditLog.objects.filter(action="enrolment.create", object_id=str(enrolment.pk), actor=approver_a).exists()


@pytest.mark.django_db
def test_enrolment_from_a_decision_is_idempotent_and_backfill_catches_unwired_approvals(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User
) -> None:
    case_id = walk_to_review(clerk_a, reviewer_a, reviewer_a2)
    decision = case_confirm(actor=approver_a, case=Case.objects.get(pk=case_id))  # the plain approval
    assert not Enrolment.objects.exists()
    assert list(svc.decisions_waiting_for_enrolment(approver_a)) == [decision]
    assert svc.enrolments_backfill() == 1
    assert svc.enrolments_backfill() == 0
    first = Enrolment.objects.get()
    assert svc.enrolment_create_from_decision(decision=decision, actor=None) == first
    assert EnrolmentPeriod.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_decision_enrols_nobody(clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User) -> None:
    case_id = walk_to_review(clerk_a, reviewer_a, reviewer_a2)
    decision = case_refuse(actor=approver_a, case=Case.objects.get(pk=case_id), reasons="家庭收入核实高于标准。")
    assert svc.enrolment_create_from_decision(decision=decision, actor=approver_a) is None
    assert svc.enrolments_backfill() == 0 and not Enrolment.objects.exists()
    assert "emergency" not in svc.ENROLLABLE_TIERS


@pytest.mark.django_db
def test_a_new_decision_for_an_enrolled_household_closes_the_period_and_opens_another(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User
) -> None:
    decision = approved_case(clerk_a, reviewer_a, reviewer_a2, approver_a)
    enrolment = Enrolment.objects.get()
    first = enrolment.current_period
    # A later decision for the same household (e.g. after a new application), starting later.
    later = Decision.objects.filter(pk=decision.pk).values()[0]
    assert later["start_month"] is not None
    with transaction.atomic():
        new_period = svc.period_open(
            enrolment=Enrolment.objects.select_for_update().get(pk=enrolment.pk),
            kind=ChangeKind.REDECISION,
            tier="dibao",
            amount=Decimal("800.00"),
            start_month=add_months(decision.start_month, 2),
            actor=approver_a,
        )
    first.refresh_from_db()
    assert first.end_month == add_months(decision.start_month, 1)
    assert new_period.seq == 2 and new_period.end_month is None
    enrolment.refresh_from_db()
    assert (enrolment.monthly_amount, enrolment.current_period_id) == (Decimal("800.00"), new_period.pk)


@pytest.mark.django_db
def test_periods_are_append_only_in_the_database(clerk_a: User, approver_a: User) -> None:
    enrolment = enrol(approver_a, dibao_family(clerk_a))
    period = enrolment.current_period
    assert period is not None
    for attempt in (
        lambda: EnrolmentPeriod.objects.filter(pk=period.pk).update(monthly_amount=Decimal("1")),
        lambda: EnrolmentPeriod.objects.filter(pk=period.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    # The end month may be set once, and only once.
    EnrolmentPeriod.objects.filter(pk=period.pk).update(end_month=month_start(TODAY), closed_at=timezone.now())
    with pytest.raises(DatabaseError), transaction.atomic():
        EnrolmentPeriod.objects.filter(pk=period.pk).update(end_month=add_months(month_start(TODAY), 1))


@pytest.mark.django_db
def test_import_needs_a_reason_and_refuses_a_household_already_enrolled(
    clerk_a: User, approver_a: User, clerk_b: User
) -> None:
    household = dibao_family(clerk_a)
    enrol(approver_a, household)
    with pytest.raises(Conflict):
        enrol(approver_a, household)
    with pytest.raises(BusinessError) as refused:
        svc.enrolment_import(
            actor=clerk_b,
            household=household,
            tier="dibao",
            monthly_amount=Decimal("1"),
            start_month=TODAY,
            verified_on=TODAY,
            evaluation=None,
            reason="导入",
        )
    assert refused.value.status in {403, 404}


# --- re-verification schedules (DOMAIN §6 step 10) --------------------------------------------------


def _interval(household: Household, tier: str) -> int:
    facts = svc.schedule_facts_for([household.pk], as_of=TODAY).get(household.pk, svc.NO_FACTS)
    return svc.review_interval_months(tier=tier, able_member=facts.able_member, irregular_income=facts.irregular_income)


@pytest.mark.django_db
def test_every_schedule_rule(clerk_a: User, approver_a: User) -> None:
    born_40 = dt.date(TODAY.year - 40, 1, 1)
    born_70 = dt.date(TODAY.year - 70, 1, 1)
    born_10 = dt.date(TODAY.year - 10, 1, 1)
    able = make_household(clerk_a, [person("甲", born_40, incomes=[("wage", "800")])])
    elderly_and_child = make_household(
        clerk_a, [person("乙", born_70, incomes=[("pension", "300")]), person("丙", born_10, "grandchild")]
    )
    elderly_farming = make_household(clerk_a, [person("丁", born_70, incomes=[("agriculture", "200")])])
    elderly_odd_jobs = make_household(clerk_a, [person("戊", born_70, incomes=[("other", "150")])])
    declared_unable = make_household(clerk_a, [person("己", born_40, work_capacity="none")])
    severely_disabled = make_household(clerk_a, [person("庚", born_40, disability_grade=1, disability_kind="physical")])
    away = make_household(clerk_a, [person("辛", born_70), person("壬", born_40, "child", lives_together=False)])
    # 低保: a member able to work (18–59, capacity not none) or irregular income → 6 months.
    assert _interval(able, "dibao") == 6
    assert _interval(elderly_farming, "dibao") == 6
    assert _interval(elderly_odd_jobs, "dibao") == 6
    # …otherwise yearly: the old and the young, declared or graded unable, members not counted.
    assert _interval(elderly_and_child, "dibao") == 12
    assert _interval(declared_unable, "dibao") == 12
    assert _interval(severely_disabled, "dibao") == 12
    assert _interval(away, "dibao") == 12
    # 特困 and the non-cash tiers: yearly whatever the members.
    for tier in ("tekun", "low_income", "expenditure_hardship"):
        assert _interval(able, tier) == 12
        assert _interval(elderly_farming, tier) == 12
    # The batch path of the re-verification job agrees (低保 enrolments of an id range).
    households = [able, elderly_farming, elderly_odd_jobs, elderly_and_child, declared_unable, severely_disabled, away]
    for h in households:
        Enrolment.objects.create(
            household=h,
            street_id=h.street_id,
            tier="dibao",
            monthly_amount=Decimal("100"),
            start_month=TODAY,
            next_review_due=TODAY,
            last_verified_on=TODAY,
        )
    lo, hi = min(h.pk for h in households), max(h.pk for h in households) + 1
    assert svc.six_month_households(as_of=TODAY, id_from=lo, id_to=hi) == {
        able.pk,
        elderly_farming.pk,
        elderly_odd_jobs.pk,
    }
    assert svc.six_month_households(as_of=TODAY, id_from=lo, id_to=hi, failures=[able.pk]) == {
        elderly_farming.pk,
        elderly_odd_jobs.pk,
    }


def test_due_dates_clamp_to_the_end_of_the_month() -> None:
    assert svc.next_due(verified_on=dt.date(2026, 8, 31), interval=6) == dt.date(2027, 2, 28)
    assert svc.next_due(verified_on=dt.date(2027, 8, 31), interval=6) == dt.date(2028, 2, 29)
    assert svc.next_due(verified_on=dt.date(2026, 3, 15), interval=12) == dt.date(2027, 3, 15)


# --- bridging (DOMAIN §6 step 8) ---------------------------------------------------------------------


@pytest.mark.django_db
def test_bridging_is_granted_once_to_a_new_cash_enrolment(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User
) -> None:
    decision = approved_case(clerk_a, reviewer_a, reviewer_a2, approver_a)
    enrolment = Enrolment.objects.get(household=decision.case.household)
    payment = svc.bridging_grant(actor=approver_a, enrolment=enrolment, reason="过渡")
    assert payment.amount == Decimal("925.20") and payment.pay_from_month == enrolment.start_month
    with pytest.raises(Conflict):
        svc.bridging_grant(actor=approver_a, enrolment=enrolment)
    with pytest.raises(BusinessError):
        svc.bridging_grant(actor=reviewer_a, enrolment=enrolment)  # approvers grant it
    assert BridgingPayment.objects.count() == 1
    assert AuditLog.objects.filter(action="enrolment.bridging").count() == 1


@pytest.mark.django_db
def test_bridging_is_refused_for_an_imported_or_non_cash_enrolment(clerk_a: User, approver_a: User) -> None:
    enrolment = enrol(approver_a, dibao_family(clerk_a))
    with pytest.raises(BusinessError) as refused:
        svc.bridging_grant(actor=approver_a, enrolment=enrolment)
    assert refused.value.code == "bridging_not_new"


@pytest.mark.django_db
def test_gradual_exit_closes_when_its_last_month_has_passed(clerk_a: User, approver_a: User) -> None:
    enrolment = enrol(approver_a, dibao_family(clerk_a))
    Enrolment.objects.filter(pk=enrolment.pk).update(
        status=EnrolmentStatus.EXITING, end_month=add_months(month_start(TODAY), -1)
    )
    assert svc.enrolments_close_ended(today=TODAY) == 1
    assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.CLOSED
    assert svc.enrolments_close_ended(today=TODAY) == 0
    assert AuditLog.objects.filter(action="enrolment.close", object_id=str(enrolment.pk)).exists()


@pytest.mark.django_db
def test_enrolment_pages_and_api(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User, clerk_b: User
) -> None:
    from django.test import Client

    from tests.support import api_client

    case_id = walk_to_review(clerk_a, reviewer_a, reviewer_a2)
    decision = case_confirm(actor=approver_a, case=Case.objects.get(pk=case_id))
    client = Client()
    client.force_login(approver_a)
    waiting = client.get("/enrolments/").content.decode()
    assert decision.document_no in waiting and "纳入保障" in waiting
    response = client.post(f"/enrolments/enrol/{decision.pk}/")
    enrolment = Enrolment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/enrolments/{enrolment.pk}/"
    page = client.get(f"/enrolments/{enrolment.pk}/").content.decode()
    assert "925.20" in page and "dibao_standard" in page and "过渡期临时救助" in page
    assert client.post(f"/enrolments/{enrolment.pk}/bridging/", {"reason": "过渡"}).status_code == 302
    assert BridgingPayment.objects.filter(enrolment=enrolment).count() == 1
    household = client.get(f"/households/{enrolment.household_id}/").content.decode()
    assert "保障情况" in household and f"/enrolments/{enrolment.pk}/" in household
    body = api_client(approver_a).get(f"/api/v1/enrolments/{enrolment.pk}/").json()
    assert body["tier"] == "dibao" and body["periods"][0]["parameters_used"]
    assert api_client(clerk_b).get(f"/api/v1/enrolments/{enrolment.pk}/").status_code == 404
    other = Client()
    other.force_login(clerk_b)
    assert other.get(f"/enrolments/{enrolment.pk}/").status_code == 404
    assert other.post(f"/enrolments/enrol/{decision.pk}/").status_code == 404
