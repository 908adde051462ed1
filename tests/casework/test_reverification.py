"""Re-verification: runs over the households due, chunk claims (no household twice, reruns finish
what a dead worker left, a failing chunk is retried), review tasks with the proposals, every
outcome with its dates and notice, immediate re-checks, scoping."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.test import Client, TestCase
from django.utils import timezone

from accounts.errors import BusinessError, Conflict
from accounts.models import AuditLog, User
from applications.models import Household
from applications.services import member_update
from casework.models import DataExchangeRecord
from casework.models.enrolment import (
    ChangeKind,
    Enrolment,
    EnrolmentPeriod,
    EnrolmentStatus,
    add_months,
    add_months_to_day,
    month_start,
)
from casework.models.payments import RollLine
from casework.models.reverification import (
    ChunkStatus,
    ReverificationChunk,
    ReverificationRun,
    ReviewOutcome,
    ReviewTask,
    RunKind,
    RunStatus,
    TaskStatus,
    TaskTrigger,
)
from casework.services import reverification as svc
from casework.services.enrolment import enrolments_close_ended
from casework.services.payments import payment_roll_generate
from hefei_aid.celery import app as celery_app
from tests.casework.helpers import run_on_commit
from tests.casework.test_enrolment import TODAY, dibao_family, enrol, make_household, person
from tests.support import STREET_A, api_client

Tier = str


def _set_wage(actor: User, household: Household, wage: str) -> None:
    head = household.members.get(relation="self")
    member_update(
        actor=actor, member=head, data={"incomes": [{"kind": "wage", "monthly": Decimal(wage)}]}, reason="复核"
    )


@contextlib.contextmanager
def eager_retries() -> Iterator[None]:
    """Eager Celery re-runs a retried task only when it does not propagate the Retry."""
    old = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    try:
        yield
    finally:
        celery_app.conf.task_eager_propagates = old


def _run(kind: str = RunKind.SCHEDULED, **kwargs: Any) -> ReverificationRun:
    with run_on_commit():
        run = svc.reverification_run_create(kind=kind, as_of=TODAY, actor=None, **kwargs)
    run.refresh_from_db()
    return run


@pytest.fixture
def caseload(clerk_a: User, approver_a: User) -> dict[str, Enrolment]:
    """Four 低保 families verified 200 days ago (due: every 6 months) and a 特困 elder (yearly: not due)."""
    out = {name: enrol(approver_a, dibao_family(clerk_a, wage="1200")) for name in ("same", "job", "poorer", "richer")}
    elder = make_household(
        clerk_a,
        [
            person(
                "孤老",
                dt.date(TODAY.year - 80, 1, 1),
                incomes=[("resident_basic_pension", "165")],
                has_able_supporter=False,
            )
        ],
    )
    out["elder"] = enrol(approver_a, elder)
    assert {e.review_interval_months for e in out.values()} == {6, 12}
    _set_wage(clerk_a, out["job"].household, "3000")  # p ≥ S through employment → 渐退
    _set_wage(clerk_a, out["poorer"].household, "500")  # raise
    _set_wage(clerk_a, out["richer"].household, "1500")  # lower
    return out


# --- the job ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_scheduled_run_checks_households_due_and_proposes(caseload: dict[str, Enrolment]) -> None:
    run = _run(chunk_size=2)
    assert run.status == RunStatus.DONE and run.chunks_total == 2 and run.chunks_done == 2
    assert (run.households_total, run.checked, run.unchanged, run.changed, run.failed) == (4, 4, 1, 3, 0)
    assert run.seconds is not None and run.finished_at is not None
    tasks = {t.enrolment_id: t for t in ReviewTask.objects.all()}
    assert set(tasks) == {caseload[k].pk for k in ("job", "poorer", "richer")}
    job = tasks[caseload["job"].pk]
    assert (job.proposed_outcome, job.employment_driven, job.new_tier, job.new_amount) == (
        ReviewOutcome.GRADUAL_EXIT,
        True,
        "low_income",
        Decimal("0.00"),
    )
    poorer = tasks[caseload["poorer"].pk]
    assert (poorer.proposed_outcome, poorer.old_amount, poorer.new_amount) == (
        "raise",
        Decimal("925.20"),
        Decimal("1625.20"),
    )
    richer = tasks[caseload["richer"].pk]
    assert (richer.proposed_outcome, richer.new_amount) == ("lower", Decimal("625.20"))
    assert all(t.trigger == TaskTrigger.SCHEDULED and t.status == TaskStatus.OPEN for t in tasks.values())
    # Payments untouched: the job proposes, people decide.
    for key in ("job", "poorer", "richer"):
        enrolment = Enrolment.objects.get(pk=caseload[key].pk)
        assert enrolment.monthly_amount == Decimal("925.20") and enrolment.periods.count() == 1
    # Checked households are due again in 6 months; the elder (yearly, not due) was not touched.
    same = Enrolment.objects.get(pk=caseload["same"].pk)
    assert (same.last_verified_on, same.next_review_due, same.last_run_id) == (
        TODAY,
        add_months_to_day(TODAY, 6),
        run.pk,
    )
    elder = Enrolment.objects.get(pk=caseload["elder"].pk)
    assert elder.last_run_id is None and elder.next_review_due > TODAY


@pytest.mark.django_db
def test_a_rerun_processes_no_household_twice(caseload: dict[str, Enrolment]) -> None:
    run = _run(chunk_size=2)
    chunk = run.chunks.first()
    assert chunk is not None
    # Another worker handed a finished chunk (a duplicate message) does nothing.
    assert svc.reverification_chunk_process(chunk_id=chunk.pk, token="other-worker") == "skipped"
    # Even forcing the chunk open again claims nobody: each enrolment already carries this run.
    ReverificationChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.PENDING)
    assert svc.reverification_chunk_process(chunk_id=chunk.pk, token="again") == "done"
    run.refresh_from_db()
    assert (run.checked, run.changed) == (4, 3)
    assert ReviewTask.objects.count() == 3


@pytest.mark.django_db
def test_a_dead_workers_chunk_is_finished_by_resuming_the_run(caseload: dict[str, Enrolment]) -> None:
    with TestCase.captureOnCommitCallbacks(execute=False):  # the dispatch is lost: worker(s) down
        run = svc.reverification_run_create(kind=RunKind.SCHEDULED, as_of=TODAY, actor=None, chunk_size=2)
    first, second = run.chunks.order_by("seq")
    assert svc.reverification_chunk_process(chunk_id=first.pk, token="worker-1") == "done"
    # A worker claimed the second chunk and died before committing anything.
    assert svc.claim_chunk(chunk_id=second.pk, token="worker-2") is not None
    ReverificationChunk.objects.filter(pk=second.pk).update(
        claimed_at=timezone.now() - svc.LEASE - dt.timedelta(seconds=1)
    )
    # Its lease holds against others until it expires; the resume re-dispatches it.
    with run_on_commit():
        resumed = svc.reverification_run_resume(run=run, actor=None)
    assert resumed == [second.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and (run.checked, run.unchanged, run.changed) == (4, 1, 3)
    assert ReverificationChunk.objects.get(pk=second.pk).attempts == 2
    assert Enrolment.objects.filter(last_run=run).count() == 4


@pytest.mark.django_db
def test_a_chunk_that_fails_once_is_retried(caseload: dict[str, Enrolment], monkeypatch: pytest.MonkeyPatch) -> None:
    real = svc.reevaluate_chunk
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("could not obtain lock on row (simulated)")
        return real(*args, **kwargs)

    monkeypatch.setattr(svc, "reevaluate_chunk", flaky)
    with eager_retries():
        run = _run()
    assert len(calls) == 2 and run.status == RunStatus.DONE
    chunk = run.chunks.get()
    assert (chunk.status, chunk.attempts, chunk.checked) == (ChunkStatus.DONE, 2, 4)
    assert (run.checked, run.changed) == (4, 3)


@pytest.mark.django_db
def test_a_chunk_that_keeps_failing_marks_the_run_incomplete(
    caseload: dict[str, Enrolment], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("database unavailable (simulated)")

    monkeypatch.setattr(svc, "reevaluate_chunk", broken)
    with eager_retries():
        _run()
    run = ReverificationRun.objects.get()
    assert run.status == RunStatus.INCOMPLETE
    chunk = run.chunks.get()
    assert chunk.status == ChunkStatus.FAILED and "OperationalError" in chunk.error
    assert chunk.attempts == 9  # the first try and 8 retries
    assert not Enrolment.objects.filter(last_run=run).exists()
    monkeypatch.undo()
    with run_on_commit():
        svc.reverification_run_resume(run=run, actor=None)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.checked == 4


@pytest.mark.django_db
def test_a_household_the_engine_cannot_evaluate_counts_as_failed(caseload: dict[str, Enrolment], clerk_a: User) -> None:
    from applications.models import IncomeItem

    broken = caseload["same"]
    IncomeItem.objects.filter(member__household=broken.household).update(kind="lottery")  # unknown kind
    run = _run()
    assert (run.checked, run.failed, run.changed) == (4, 1, 3)
    stays_due = Enrolment.objects.get(pk=broken.pk)
    assert stays_due.next_review_due <= TODAY and stays_due.last_verified_on < TODAY


@pytest.mark.django_db
def test_full_run_of_an_area_and_nothing_due(caseload: dict[str, Enrolment], clerk_b: User) -> None:
    run = _run(RunKind.FULL, scope_code=STREET_A)
    assert run.households_total == 5 and run.checked == 5
    again = _run()  # everything was just verified: nothing due
    assert again.status == RunStatus.DONE and again.households_total == 0 and again.chunks_total == 0
    assert _run(RunKind.FULL, scope_code="340104002").households_total == 0  # another street
    with pytest.raises(BusinessError):
        svc.reverification_run_create(kind=RunKind.FULL, as_of=TODAY, actor=clerk_b, scope_code=STREET_A)


@pytest.mark.django_db
def test_daily_job_starts_one_scheduled_run_per_day(caseload: dict[str, Enrolment]) -> None:
    with run_on_commit():
        run = svc.reverification_due_run(as_of=TODAY)
    assert run is not None
    assert svc.reverification_due_run(as_of=TODAY) == run
    assert ReverificationRun.objects.count() == 1


@pytest.mark.django_db
def test_reported_change_triggers_an_immediate_recheck(
    caseload: dict[str, Enrolment], clerk_a: User, clerk_b: User
) -> None:
    household = caseload["poorer"].household
    with pytest.raises(ValidationError):
        svc.reverification_request(actor=clerk_a, household=household, reason="")
    with pytest.raises(BusinessError):
        svc.reverification_request(actor=clerk_b, household=household, reason="家中有变化")
    with run_on_commit():
        run = svc.reverification_request(actor=clerk_a, household=household, reason="户主失业，工资下降")
    run.refresh_from_db()
    assert run.kind == RunKind.IMMEDIATE and run.checked == 1 and run.changed == 1
    task = ReviewTask.objects.get()
    assert task.trigger == TaskTrigger.REPORTED and task.proposed_outcome == "raise"


@pytest.mark.django_db
def test_new_department_data_opens_a_task_with_the_discrepancy(caseload: dict[str, Enrolment]) -> None:
    enrolment = caseload["same"]
    head = enrolment.household.members.get(relation="self")
    DataExchangeRecord.objects.create(
        department="tax", id_index=head.id_index, kind="wage_income", amount=Decimal("3800.00"), as_of=TODAY
    )
    run = _run(RunKind.IMMEDIATE, household_ids=[enrolment.household_id])
    assert run.changed == 1
    task = ReviewTask.objects.get()
    assert task.proposed_outcome == ReviewOutcome.KEEP  # the declaration did not change; staff verify
    assert [d["code"] for d in task.discrepancies] == ["wage_higher"]
    assert "3800.00" in task.discrepancies[0]["message"]
    # Seen once: the next run compares only data newer than this verification; the open task stays.
    assert _run(RunKind.IMMEDIATE, household_ids=[enrolment.household_id]).changed == 0
    task.refresh_from_db()
    assert ReviewTask.objects.count() == 1 and task.status == TaskStatus.OPEN and task.discrepancies


# --- proposals and outcomes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_tier", "old", "new_tier", "new", "employment", "expected"),
    [
        ("dibao", "900", "dibao", "1000", False, "raise"),
        ("low_income", "0", "dibao", "300", False, "raise"),
        ("dibao", "900", "dibao", "500", False, "lower"),
        ("dibao", "900", "low_income", "0", True, "gradual_exit"),
        ("dibao", "900", "none", "0", True, "gradual_exit"),
        ("dibao", "900", "low_income", "0", False, "stop"),
        ("tekun", "1500", "none", "0", True, "stop"),
        ("low_income", "0", "none", "0", False, "stop"),
        ("low_income", "0", "expenditure_hardship", "0", False, "keep"),
    ],
)
def test_proposed_outcome(old_tier: str, old: str, new_tier: str, new: str, employment: bool, expected: str) -> None:
    assert (
        svc.propose_outcome(
            old_tier=old_tier,
            old_amount=Decimal(old),
            new_tier=new_tier,
            new_amount=Decimal(new),
            employment_driven=employment,
        )
        == expected
    )


def test_gradual_exit_dates() -> None:
    # Decided 15 March 2026 with 6 months: paid through September 2026, nothing from October.
    assert svc.gradual_exit_last_month(decided_on=dt.date(2026, 3, 15), months=6) == dt.date(2026, 9, 1)
    assert svc.gradual_exit_last_month(decided_on=dt.date(2026, 3, 31), months=6) == dt.date(2026, 9, 1)
    assert svc.gradual_exit_last_month(decided_on=dt.date(2026, 11, 2), months=3) == dt.date(2027, 2, 1)
    assert svc.gradual_exit_last_month(decided_on=dt.date(2026, 12, 1), months=0) == dt.date(2026, 12, 1)


def _task(caseload: dict[str, Enrolment], key: str) -> ReviewTask:
    _run()
    return ReviewTask.objects.get(enrolment=caseload[key])


@pytest.mark.django_db
def test_gradual_exit_keeps_the_amount_for_the_parameter_months_then_closes(
    caseload: dict[str, Enrolment], reviewer_a: User, approver_a: User
) -> None:
    task = _task(caseload, "job")
    with pytest.raises(ValidationError) as missing:
        svc.review_task_resolve(actor=reviewer_a, task=task, outcome="gradual_exit", on=dt.date(2026, 3, 15))
    assert "reason" in missing.value.message_dict
    task = svc.review_task_resolve(
        actor=reviewer_a,
        task=task,
        outcome="gradual_exit",
        reason="户主就业后家庭人均收入超过低保标准，给予渐退",
        on=dt.date(2026, 3, 15),
    )
    assert (task.effective_month, task.last_paid_month, task.final_amount) == (
        dt.date(2026, 4, 1),
        dt.date(2026, 9, 1),
        Decimal("925.20"),
    )
    enrolment = Enrolment.objects.get(pk=caseload["job"].pk)
    assert (enrolment.status, enrolment.end_month, enrolment.monthly_amount) == (
        EnrolmentStatus.EXITING,
        dt.date(2026, 9, 1),
        Decimal("925.20"),
    )
    period = enrolment.current_period
    assert period is not None
    assert (period.kind, period.start_month, period.end_month) == (
        ChangeKind.GRADUAL_EXIT,
        dt.date(2026, 4, 1),
        dt.date(2026, 9, 1),
    )
    street = enrolment.street
    paid = payment_roll_generate(street=street, month=dt.date(2026, 9, 1), actor=approver_a)
    assert paid.lines.filter(enrolment=enrolment, amount=Decimal("925.20")).exists()
    unpaid = payment_roll_generate(street=street, month=dt.date(2026, 10, 1), actor=approver_a)
    assert not unpaid.lines.filter(enrolment=enrolment).exists()
    assert enrolments_close_ended(today=dt.date(2026, 9, 30)) == 0
    assert enrolments_close_ended(today=dt.date(2026, 10, 1)) == 1
    assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.CLOSED


@pytest.mark.django_db
def test_raise_applies_from_next_month_with_a_new_period_and_notice(
    caseload: dict[str, Enrolment], reviewer_a: User, approver_a: User
) -> None:
    task = svc.review_task_resolve(actor=reviewer_a, task=_task(caseload, "poorer"), outcome="raise")
    enrolment = Enrolment.objects.get(pk=caseload["poorer"].pk)
    next_month = add_months(month_start(TODAY), 1)
    assert (enrolment.monthly_amount, task.final_amount, task.effective_month) == (
        Decimal("1625.20"),
        Decimal("1625.20"),
        next_month,
    )
    periods = list(enrolment.periods.order_by("seq"))
    assert [p.kind for p in periods] == [ChangeKind.IMPORT, ChangeKind.RAISE]
    assert periods[0].end_month == month_start(TODAY) and periods[1].start_month == next_month
    assert periods[1].parameters_used and periods[1].review_task_id == task.pk
    assert task.document_no and task.document_no.startswith(f"{STREET_A}-FH-")
    assert AuditLog.objects.filter(action="review_task.resolve", object_id=str(task.pk), actor=reviewer_a).exists()
    client = Client()
    client.force_login(reviewer_a)
    notice = client.get(f"/review-tasks/{task.pk}/notice/")
    body = notice.content.decode()
    assert notice.status_code == 200 and "动态复核决定通知书" in body and "1625.20" in body and "行政复议" in body
    this_month = payment_roll_generate(street=enrolment.street, month=month_start(TODAY), actor=approver_a)
    assert this_month.lines.get(enrolment=enrolment).amount == Decimal("925.20")
    following = payment_roll_generate(street=enrolment.street, month=next_month, actor=approver_a)
    assert following.lines.get(enrolment=enrolment).amount == Decimal("1625.20")
    with pytest.raises(Conflict):
        svc.review_task_resolve(actor=reviewer_a, task=task, outcome="raise")


@pytest.mark.django_db
def test_lower_needs_a_reason_and_a_lower_amount(caseload: dict[str, Enrolment], reviewer_a: User) -> None:
    task = _task(caseload, "richer")
    client = Client()
    client.force_login(reviewer_a)
    page = client.post(f"/review-tasks/{task.pk}/", {"outcome": "lower", "monthly_amount": "625.20", "reason": ""})
    assert page.status_code == 400 and "须填写书面理由" in page.content.decode()
    with pytest.raises(ValidationError) as too_high:
        svc.review_task_resolve(
            actor=reviewer_a, task=task, outcome="lower", monthly_amount=Decimal("990"), reason="工资上涨"
        )
    assert "monthly_amount" in too_high.value.message_dict
    assert EnrolmentPeriod.objects.filter(enrolment=caseload["richer"]).count() == 1  # nothing half-written
    response = api_client(reviewer_a).post(
        f"/api/v1/review-tasks/{task.pk}/resolve/",
        {"outcome": "lower", "reason": "户主工资上涨，按测算降低"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["final_amount"] == "625.20"
    assert Enrolment.objects.get(pk=caseload["richer"].pk).monthly_amount == Decimal("625.20")


@pytest.mark.django_db
def test_stop_pays_through_the_decision_month(
    caseload: dict[str, Enrolment], reviewer_a: User, approver_a: User
) -> None:
    task = _task(caseload, "job")
    task = svc.review_task_resolve(actor=reviewer_a, task=task, outcome="stop", reason="家庭收入明显高于标准，停止救助")
    enrolment = Enrolment.objects.get(pk=caseload["job"].pk)
    assert enrolment.status == EnrolmentStatus.CLOSED and task.last_paid_month == month_start(TODAY)
    assert [p.kind for p in enrolment.periods.order_by("seq")] == [ChangeKind.IMPORT, ChangeKind.STOP]
    assert (
        not payment_roll_generate(street=enrolment.street, month=add_months(month_start(TODAY), 1), actor=approver_a)
        .lines.filter(enrolment=enrolment)
        .exists()
    )
    assert RollLine.objects.filter(enrolment=enrolment, roll__month=month_start(TODAY)).count() == 0  # not generated
    assert _run(RunKind.FULL, scope_code=STREET_A).households_total == 4  # a closed enrolment is not re-verified


@pytest.mark.django_db
def test_keep_changes_no_period_and_the_next_run_does_not_reopen(
    caseload: dict[str, Enrolment], reviewer_a: User
) -> None:
    task = svc.review_task_resolve(actor=reviewer_a, task=_task(caseload, "poorer"), outcome="keep", reason="")
    assert task.outcome == "keep" and task.effective_month is None and task.new_period is None
    assert Enrolment.objects.get(pk=caseload["poorer"].pk).periods.count() == 1
    _run(RunKind.FULL, scope_code=STREET_A)
    assert not ReviewTask.objects.filter(enrolment=caseload["poorer"], status=TaskStatus.OPEN).exists()


@pytest.mark.django_db
def test_review_tasks_are_scoped_and_resolved_by_street_staff(
    caseload: dict[str, Enrolment], clerk_a: User, clerk_b: User
) -> None:
    task = _task(caseload, "poorer")
    other = Client()
    other.force_login(clerk_b)
    assert other.get(f"/review-tasks/{task.pk}/").status_code == 404
    assert other.get(f"/enrolments/{caseload['poorer'].pk}/").status_code == 404
    assert api_client(clerk_b).get(f"/api/v1/review-tasks/{task.pk}/").status_code == 404
    assert (
        api_client(clerk_b)
        .post(f"/api/v1/review-tasks/{task.pk}/resolve/", {"outcome": "keep"}, format="json")
        .status_code
        == 404
    )
    assert api_client(clerk_b).get("/api/v1/review-tasks/").json()["count"] == 0
    response = api_client(clerk_a).post(f"/api/v1/review-tasks/{task.pk}/resolve/", {"outcome": "keep"}, format="json")
    assert response.status_code == 403  # clerks do not decide
    own = Client()
    own.force_login(clerk_a)
    assert own.get(f"/review-tasks/{task.pk}/").status_code == 200
    assert own.get("/review-tasks/").status_code == 200
    assert own.get(f"/enrolments/{caseload['poorer'].pk}/").status_code == 200


@pytest.mark.django_db
def test_schedules_are_stored_in_the_database_and_shown_to_supervisors(
    caseload: dict[str, Enrolment], supervisor_shushan: User, supervisor_feixi: User, clerk_a: User
) -> None:
    from django_celery_beat.models import PeriodicTask

    tasks = {t.task: t for t in PeriodicTask.objects.filter(task__startswith="casework.")}
    assert {
        "casework.generate_payment_rolls",
        "casework.reverification_daily",
        "casework.reverification_watchdog",
        "casework.monitoring_scan",
    } <= set(tasks)
    assert tasks["casework.generate_payment_rolls"].crontab.day_of_month == "1"
    client = Client()
    client.force_login(supervisor_shushan)
    page = client.get("/reverification/").content.decode()
    assert "每日到期家庭复核" in page and "每月1日 02:00" in page and "每 15 分钟" in page.replace("分钟 ", "分钟")
    schedules = api_client(supervisor_shushan).get("/api/v1/reverification-schedules/").json()
    assert {s["task"] for s in schedules} >= {"casework.reverification_daily", "casework.monitoring_scan"}
    # A supervisor starts a run for the county from the page; another county's supervisor sees none of it.
    response = client.post(
        "/reverification/runs/", {"kind": "scheduled", "scope": "340104", "as_of": TODAY.isoformat()}
    )
    run = ReverificationRun.objects.get()
    assert response.status_code == 302 and run.scope_code == "340104" and run.requested_by == supervisor_shushan
    other = Client()
    other.force_login(supervisor_feixi)
    assert other.get(f"/reverification/runs/{run.pk}/").status_code == 404
    assert api_client(supervisor_feixi).get(f"/api/v1/reverification-runs/{run.pk}/").status_code == 404
    assert api_client(clerk_a).post("/api/v1/reverification-runs/", {"kind": "full"}, format="json").status_code == 403
