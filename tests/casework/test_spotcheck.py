"""Spot checks (抽查, issue 7): population, reproducible sampling, results, the street's rectification
(整改) through the re-verification procedure, the supervisor's close, audit rows, scoping and roles.

Data: one real case walked through the whole procedure and confirmed (低保, enrolled) on TODAY, and 22
copies of it confirmed on TODAY-1 … TODAY-22 — 23 confirmed cases of 三里庵街道 in the last 30 days.
Outside the population: a refused case, a case confirmed 60 days ago, a confirmed case of 稻香村街道.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.errors import BusinessError, Conflict
from accounts.models import AuditLog, User
from casework.models import Case, CaseStatus, Decision
from casework.models.enrolment import Enrolment, EnrolmentStatus
from casework.models.reverification import ReviewTask, TaskStatus, TaskTrigger
from casework.models.spotcheck import (
    CheckResult,
    RectificationStatus,
    SpotCheck,
    SpotCheckItem,
    SpotCheckStatus,
    StreetResponse,
)
from casework.services import enrolment as enrolment_svc
from casework.services import spotcheck as svc
from casework.services.reverification import review_task_resolve
from tests.casework.helpers import walk_to_review
from tests.support import STREET_A, STREET_B

TODAY = timezone.localdate()  # Asia/Shanghai, as the services date decisions
MONTH_AGO = TODAY - dt.timedelta(days=30)


def _clone(case: Case, n: int, *, decided_on: dt.date, street: str = STREET_A, refused: bool = False) -> Case:
    """A copy of ``case`` (application, case, decision) decided on ``decided_on``."""
    application = case.application
    application.pk = None
    application.id = None
    application.receipt_no = f"T{n:05d}"
    application.save()
    decision = Decision.objects.get(case=case)
    clone = Case.objects.get(pk=case.pk)
    clone.pk = None
    clone.id = None
    clone.application = application
    clone.receipt_no = f"T{n:05d}"
    clone.street_id = street
    clone.status = CaseStatus.REFUSED if refused else CaseStatus.APPROVED
    clone.save()
    decision.pk = None
    decision.id = None
    decision.case = clone
    decision.document_no = f"DOC-T{n:05d}"
    decision.decided_on = decided_on
    if refused:
        decision.outcome = "refused"
        decision.reasons = "家庭人均收入高于低保标准"
    decision.save()
    return clone


@pytest.fixture
def caseload(clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User) -> dict[str, Any]:
    case_id = walk_to_review(clerk_a, reviewer_a, reviewer_a2)
    enrolment_svc.case_confirm_and_enrol(actor=approver_a, case=Case.objects.get(pk=case_id), note="同意")
    real = Case.objects.get(pk=case_id)
    assert real.status == CaseStatus.APPROVED
    clones = [_clone(real, n, decided_on=TODAY - dt.timedelta(days=n)) for n in range(1, 23)]
    excluded = [
        _clone(real, 90, decided_on=TODAY - dt.timedelta(days=3), refused=True),
        _clone(real, 91, decided_on=TODAY - dt.timedelta(days=60)),
        _clone(real, 92, decided_on=TODAY - dt.timedelta(days=3), street=STREET_B),
    ]
    population = sorted([real.pk, *(c.pk for c in clones)])
    return {"real": real, "population": population, "excluded": [c.pk for c in excluded]}


def _create(actor: User, **overrides: Any) -> SpotCheck:
    data: dict[str, Any] = {
        "actor": actor,
        "street_code": STREET_A,
        "period_start": MONTH_AGO,
        "period_end": TODAY,
        "percentage": Decimal("10"),
        "seed": "hefei-2026-q4",
    }
    data.update(overrides)
    return svc.spot_check_create(**data)


def _real_only(actor: User) -> SpotCheckItem:
    """A 100 % check of today's confirmations: exactly the real (enrolled) case."""
    check = _create(actor, period_start=TODAY, percentage=Decimal("100"))
    assert check.population_size == 1 and check.sample_size == 1
    return check.items.get()


# --- sampling rule (pure) ----------------------------------------------------------------------------


def test_sample_size_is_the_ceiling_with_at_least_one() -> None:
    assert svc.sample_size(23, Decimal("10")) == 3  # 2.3 → 3
    assert svc.sample_size(20, Decimal("10")) == 2  # exactly 2
    assert svc.sample_size(7, Decimal("33.33")) == 3  # 2.3331 → 3
    assert svc.sample_size(1, Decimal("5")) == 1  # 0.05 → at least 1
    assert svc.sample_size(9, Decimal("0.01")) == 1
    assert svc.sample_size(23, Decimal("100")) == 23
    assert svc.sample_size(0, Decimal("10")) == 0


def test_the_same_ids_and_seed_give_the_same_sample_and_another_seed_another() -> None:
    ids = [105, 101, 130, 117, 122, 109, 111, 140, 103, 150]
    first = svc.draw_sample(ids, Decimal("30"), "seed-A")
    assert len(first) == 3
    assert first == svc.draw_sample(list(reversed(ids)), Decimal("30"), "seed-A")  # input order irrelevant
    assert first == sorted(random.Random("seed-A").sample(sorted(ids), 3))  # the documented recipe
    assert svc.draw_sample(ids, Decimal("30"), "seed-B") != first
    assert set(first) <= set(ids)


# --- create --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_street_with_23_confirmed_cases_at_10_percent_gives_3(
    caseload: dict[str, Any], supervisor_shushan: User
) -> None:
    check = _create(supervisor_shushan, note="2026年第四季度抽查")
    assert check.population_size == 23
    assert check.population_ids == caseload["population"]
    assert not set(caseload["excluded"]) & set(check.population_ids)
    assert check.sample_size == 3
    assert check.seed == "hefei-2026-q4"
    assert check.sample_ids == sorted(random.Random("hefei-2026-q4").sample(caseload["population"], 3))
    items = list(check.items.order_by("seq"))
    assert [i.case_id for i in items] == check.sample_ids
    assert [i.seq for i in items] == [1, 2, 3]
    assert all(i.result == CheckResult.PENDING for i in items)
    assert check.status == SpotCheckStatus.CHECKING
    row = AuditLog.objects.get(action="spot_check.create", object_id=str(check.pk))
    assert row.actor == supervisor_shushan and row.region_code == STREET_A
    assert row.after["population_size"] == 23 and row.after["seed"] == "hefei-2026-q4"
    assert row.after["sample_ids"] == check.sample_ids


@pytest.mark.django_db
def test_same_seed_same_sample_other_seed_other_sample(caseload: dict[str, Any], supervisor_shushan: User) -> None:
    a = _create(supervisor_shushan)
    b = _create(supervisor_shushan)
    c = _create(supervisor_shushan, seed="another-seed")
    assert a.sample_ids == b.sample_ids
    assert c.sample_ids != a.sample_ids
    assert len(c.sample_ids) == 3


@pytest.mark.django_db
def test_a_seed_is_generated_and_recorded_when_none_is_given(
    caseload: dict[str, Any], supervisor_shushan: User
) -> None:
    check = _create(supervisor_shushan, seed="")
    assert len(check.seed) == 16 and int(check.seed, 16) >= 0
    assert check.sample_ids == sorted(random.Random(check.seed).sample(caseload["population"], 3))


@pytest.mark.django_db
def test_create_refuses_bad_input_roles_and_other_counties(
    caseload: dict[str, Any], supervisor_shushan: User, supervisor_feixi: User, reviewer_a: User
) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(supervisor_shushan, percentage=Decimal("0"))
    assert "percentage" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _create(supervisor_shushan, percentage=Decimal("100.5"))
    assert "percentage" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _create(supervisor_shushan, period_start=TODAY, period_end=TODAY - dt.timedelta(days=1))
    assert "period_end" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # nothing confirmed in that period
        _create(
            supervisor_shushan, period_start=TODAY - dt.timedelta(days=400), period_end=TODAY - dt.timedelta(days=300)
        )
    assert "period_start" in exc.value.message_dict
    with pytest.raises(BusinessError) as err:
        _create(supervisor_feixi)
    assert err.value.status == 404
    with pytest.raises(BusinessError) as err:
        _create(reviewer_a)
    assert err.value.status == 403
    assert SpotCheck.objects.count() == 0


# --- results and the rectification loop ---------------------------------------------------------------


@pytest.mark.django_db
def test_correct_results_close_the_check_without_a_rectification(
    caseload: dict[str, Any], supervisor_shushan: User
) -> None:
    check = _create(supervisor_shushan)
    for item in check.items.all():
        svc.spot_check_record(actor=supervisor_shushan, item=item, result=CheckResult.CORRECT)
    check.refresh_from_db()
    assert check.status == SpotCheckStatus.CLOSED and check.closed_at is not None
    again = svc.spot_check_record(actor=supervisor_shushan, item=check.items.all()[0], result=CheckResult.CORRECT)
    assert again.result == CheckResult.CORRECT  # unchanged: no second audit row
    assert set(check.items.values_list("rectification_status", flat=True)) == {RectificationStatus.NONE}
    assert AuditLog.objects.filter(action="spot_check.result", region_code=STREET_A).count() == 3


@pytest.mark.django_db
def test_result_validation(caseload: dict[str, Any], supervisor_shushan: User, reviewer_a: User) -> None:
    item = _real_only(supervisor_shushan)
    assert item.amount_at_draw == item.enrolment.monthly_amount
    with pytest.raises(ValidationError) as exc:
        svc.spot_check_record(actor=supervisor_shushan, item=item, result=CheckResult.WRONG_AMOUNT, note="金额算错")
    assert "correct_amount" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.spot_check_record(actor=supervisor_shushan, item=item, result=CheckResult.MISSING_DOCUMENTS, note="")
    assert "note" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # the same amount is not "wrong"
        svc.spot_check_record(
            actor=supervisor_shushan,
            item=item,
            result=CheckResult.WRONG_AMOUNT,
            note="金额算错了",
            correct_amount=item.amount_at_draw,
        )
    assert "correct_amount" in exc.value.message_dict
    with pytest.raises(BusinessError) as err:
        svc.spot_check_record(actor=reviewer_a, item=item, result=CheckResult.CORRECT)
    assert err.value.status == 403
    item.refresh_from_db()
    assert item.result == CheckResult.PENDING
    assert not AuditLog.objects.filter(action="spot_check.result").exists()


@pytest.mark.django_db
def test_should_not_be_enrolled_goes_back_to_the_street_and_is_stopped_through_a_review_task(
    caseload: dict[str, Any], supervisor_shushan: User, reviewer_a: User, approver_a: User
) -> None:
    item = _real_only(supervisor_shushan)
    enrolment = item.enrolment
    assert enrolment is not None and enrolment.status == EnrolmentStatus.ACTIVE
    amount = enrolment.monthly_amount
    item = svc.spot_check_record(
        actor=supervisor_shushan,
        item=item,
        result=CheckResult.SHOULD_NOT_BE_ENROLLED,
        note="户主名下有未申报的营运车辆",
    )
    assert item.rectification_status == RectificationStatus.OPEN
    assert item.rectify_due == TODAY + dt.timedelta(days=30)
    item.spot_check.refresh_from_db()
    assert item.spot_check.status == SpotCheckStatus.CHECKING or item.spot_check.status == SpotCheckStatus.RECTIFYING
    assert item.spot_check.status == SpotCheckStatus.RECTIFYING  # the only item now has a result

    # "Rectified" while the household is still paid: refused, money is not touched here.
    with pytest.raises(ValidationError) as exc:
        svc.rectification_respond(actor=reviewer_a, item=item, response=StreetResponse.RECTIFIED, note="已停止救助")
    assert "response" in exc.value.message_dict
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ACTIVE and enrolment.monthly_amount == amount

    # The street goes through the re-verification procedure: a review task, decided "stop".
    task = ReviewTask.objects.create(
        enrolment=enrolment,
        household_id=enrolment.household_id,
        street_id=STREET_A,
        trigger=TaskTrigger.REPORTED,
        proposed_outcome="stop",
        old_tier=enrolment.tier,
        old_amount=amount,
        new_tier=enrolment.tier,
        new_amount=amount,
        as_of=TODAY,
    )
    review_task_resolve(actor=approver_a, task=task, outcome="stop", reason="县级抽查发现隐瞒车辆，停止救助")
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.CLOSED

    with pytest.raises(BusinessError) as err:  # a supervisor does not answer for the street
        svc.rectification_respond(
            actor=supervisor_shushan, item=item, response=StreetResponse.RECTIFIED, note="已停止救助"
        )
    assert err.value.status == 403
    item = svc.rectification_respond(
        actor=reviewer_a, item=item, response=StreetResponse.RECTIFIED, note="已入户核实并停止救助"
    )
    assert item.rectification_status == RectificationStatus.RESPONDED
    assert item.review_task_id == task.pk
    with pytest.raises(Conflict):  # the result is frozen once the street has answered
        svc.spot_check_record(actor=supervisor_shushan, item=item, result=CheckResult.CORRECT)

    item = svc.rectification_close(actor=supervisor_shushan, item=item, accept=True, note="整改到位")
    assert item.rectification_status == RectificationStatus.CLOSED and item.closed_by == supervisor_shushan
    item.spot_check.refresh_from_db()
    assert item.spot_check.status == SpotCheckStatus.CLOSED
    actions = list(
        AuditLog.objects.filter(object_type="casework.spotcheckitem", object_id=str(item.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["spot_check.result", "spot_check.respond", "spot_check.close"]
    respond = AuditLog.objects.get(action="spot_check.respond", object_id=str(item.pk))
    assert respond.actor == reviewer_a and respond.after["enrolment_status"] == "closed"
    assert respond.after["review_task"] == task.pk
    assert task.status == TaskStatus.OPEN  # the local object; the row was resolved
    assert ReviewTask.objects.get(pk=task.pk).status == TaskStatus.RESOLVED


@pytest.mark.django_db
def test_wrong_amount_dispute_return_and_rectify(
    caseload: dict[str, Any], supervisor_shushan: User, reviewer_a: User
) -> None:
    item = _real_only(supervisor_shushan)
    correct = (item.amount_at_draw or Decimal("0")) - Decimal("100.00")
    item = svc.spot_check_record(
        actor=supervisor_shushan,
        item=item,
        result=CheckResult.WRONG_AMOUNT,
        note="工资收入少计100元",
        correct_amount=correct,
    )
    assert item.correct_amount == correct and item.rectification_status == RectificationStatus.OPEN
    with pytest.raises(ValidationError):
        svc.rectification_respond(actor=reviewer_a, item=item, response=StreetResponse.RECTIFIED, note="已调整金额")
    item = svc.rectification_respond(
        actor=reviewer_a, item=item, response=StreetResponse.DISPUTED, note="该收入为一次性补贴，不计入"
    )
    assert item.rectification_status == RectificationStatus.RESPONDED and item.review_task is None
    with pytest.raises(ValidationError) as exc:
        svc.rectification_close(actor=supervisor_shushan, item=item, accept=False, note="")
    assert "note" in exc.value.message_dict
    item = svc.rectification_close(actor=supervisor_shushan, item=item, accept=False, note="补贴按月发放，应计入")
    assert item.rectification_status == RectificationStatus.OPEN and item.returned_count == 1
    assert item.response == ""
    item.spot_check.refresh_from_db()
    assert item.spot_check.status == SpotCheckStatus.RECTIFYING
    # The street adjusts the amount (a re-verification decision in practice; the enrolment shows it).
    Enrolment.objects.filter(pk=item.enrolment_id).update(monthly_amount=correct)
    item = svc.rectification_respond(
        actor=reviewer_a, item=item, response=StreetResponse.RECTIFIED, note="已按核定金额调整"
    )
    assert item.rectification_status == RectificationStatus.RESPONDED
    assert AuditLog.objects.filter(action="spot_check.return", object_id=str(item.pk)).get().reason == (
        "补贴按月发放，应计入"
    )


@pytest.mark.django_db
def test_missing_documents_and_correcting_a_result_before_the_street_answers(
    caseload: dict[str, Any], supervisor_shushan: User, reviewer_a: User
) -> None:
    item = _real_only(supervisor_shushan)
    item = svc.spot_check_record(
        actor=supervisor_shushan, item=item, result=CheckResult.MISSING_DOCUMENTS, note="缺少入户调查照片"
    )
    assert item.rectification_status == RectificationStatus.OPEN
    item = svc.spot_check_record(actor=supervisor_shushan, item=item, result=CheckResult.CORRECT)
    assert item.rectification_status == RectificationStatus.NONE and item.rectify_due is None
    with pytest.raises(Conflict):
        svc.rectification_respond(actor=reviewer_a, item=item, response=StreetResponse.RECTIFIED, note="已补齐材料")
    item = svc.spot_check_record(
        actor=supervisor_shushan, item=item, result=CheckResult.MISSING_DOCUMENTS, note="缺少入户调查照片"
    )
    item = svc.rectification_respond(
        actor=reviewer_a, item=item, response=StreetResponse.RECTIFIED, note="已补齐入户照片并归档"
    )
    assert item.rectification_status == RectificationStatus.RESPONDED
    row = AuditLog.objects.filter(action="spot_check.result", object_id=str(item.pk)).order_by("id")[1]
    assert row.before["result"] == "missing_documents" and row.after["result"] == "correct"
