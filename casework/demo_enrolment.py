"""Demo data of issue 5 (called by ``casework.demo`` after the cases): enrolments, payment rolls,
re-verification runs with review tasks, monitoring alerts on the demo department data, and a grid
worker's report.

- the demo's approved cases are enrolled (one with the bridging month);
- per street a few "historical" recipients (在册对象导入) who have been paid for months;
- last month's payment roll of every demo street, street A's locked by the county supervisor;
- some households changed since their last verification (a job found, income lost), then a
  scheduled re-verification run: review tasks with raise / lower / 渐退 proposals, one resolved
  (with its printable notice);
- department data for monitoring (医保 out-of-pocket costs, a 残联 certification, an unemployment
  registration, a wage that fell) and a scan: alerts in the streets' queues (the demo's 支出型
  households also trip "rigid expenditure above last year's income"), and an immediate re-check;
- a grid worker's report of a household in difficulty (a lead with its follow-up deadline).

Everything goes through the services; chunk tasks are processed in-process so the demo does not
depend on a running worker (a worker that gets the queued messages later finds them done).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_STREETS, DemoContext
from accounts.models import Region, User
from applications.models import Household, IncomeKind, Member
from applications.services import member_update
from casework.models import Case, DataExchangeRecord, Decision, Department, Outcome, RecordKind
from casework.models.enrolment import CASH_TIERS, Enrolment, add_months, month_start
from casework.models.monitoring import (
    Difficulty,
    MonitoringDepartment,
    MonitoringKind,
    MonitoringRecord,
    ReporterRole,
)
from casework.models.reverification import ReviewOutcome, ReviewTask, RunKind
from casework.services import enrolment as enrolment_svc
from casework.services import monitoring as monitoring_svc
from casework.services import payments as payments_svc
from casework.services import reverification as reverification_svc
from eligibility.rules.parameters import MissingParameter
from eligibility.services import evaluate_household

HISTORICAL_PER_STREET = 6


def _user(context: DemoContext, street: str, role: str) -> User:
    return sorted(
        (u for u in context.staff.values() if u.region_id == street and u.role == role), key=lambda u: u.username
    )[0]


def _supervisor(context: DemoContext, street: str) -> User:
    return next(u for u in context.staff.values() if u.role == "supervisor" and street.startswith(u.region_id or "-"))


def _evaluation(household: Household, on: dt.date) -> dict[str, object] | None:
    try:
        return evaluate_household(household, as_of=on)
    except (MissingParameter, ValueError):
        return None


def _enrol_approved(context: DemoContext) -> list[Enrolment]:
    enrolled = []
    for decision in Decision.objects.filter(outcome=Outcome.APPROVED).select_related("case").order_by("id"):
        approver = _user(context, decision.case.street_id, "approver")
        enrolment = enrolment_svc.enrolment_create_from_decision(decision=decision, actor=approver)
        if enrolment is not None:
            enrolled.append(enrolment)
    first = next((e for e in enrolled if e.street_id == DEMO_STREETS[0] and e.tier in CASH_TIERS), None)
    if first is not None and first.monthly_amount > 0:
        enrolment_svc.bridging_grant(
            actor=_user(context, first.street_id, "approver"),
            enrolment=first,
            reason="新纳入低保，发放一个月过渡期临时救助",
        )
    return enrolled


def _historical(context: DemoContext, today: dt.date) -> list[Enrolment]:
    """Households already receiving assistance before the system (paid for eight months)."""
    busy = set(Case.objects.values_list("household_id", flat=True))
    start = add_months(month_start(today), -8)
    verified = today - dt.timedelta(days=200)  # 6-month households are due now, yearly ones not
    out: list[Enrolment] = []
    for street in DEMO_STREETS:
        approver = _user(context, street, "approver")
        count = 0
        for household in Household.objects.filter(street_id=street).exclude(pk__in=busy).order_by("id"):
            evaluation = _evaluation(household, verified)
            if evaluation is None or evaluation["primary_tier"] not in CASH_TIERS:
                continue
            out.append(
                enrolment_svc.enrolment_import(
                    actor=approver,
                    household=household,
                    tier=str(evaluation["primary_tier"]),
                    monthly_amount=Decimal(str(evaluation["monthly_amount"])),
                    start_month=start,
                    verified_on=verified,
                    evaluation=evaluation,
                    reason=f"原低保系统在册对象导入(审批文号 蜀民救〔{start.year}〕{100 + len(out)}号)",
                )
            )
            count += 1
            if count >= HISTORICAL_PER_STREET:
                break
    return out


def _rolls(context: DemoContext, today: dt.date) -> None:
    last_month = add_months(month_start(today), -1)
    for street in DEMO_STREETS:
        roll = payments_svc.payment_roll_generate(
            street=Region.objects.get(code=street), month=last_month, actor=_user(context, street, "approver")
        )
        if street == DEMO_STREETS[0]:
            payments_svc.payment_roll_lock(actor=_supervisor(context, street), roll=roll)


def _wage_member(household: Household) -> Member | None:
    return (
        household.members.filter(active=True, incomes__kind=IncomeKind.WAGE).order_by("id").first()
        or household.members.filter(active=True).order_by("id").first()
    )


def _changes(context: DemoContext, historical: list[Enrolment]) -> None:
    """Since their last verification: one family found work, one lost income, one earns a bit more."""

    def vulnerable(e: Enrolment) -> bool:  # such a member would stay as a 单人户 case
        members = e.household.members.filter(active=True)
        return members.filter(serious_illness=True).exists() or members.filter(disability_grade__in=[1, 2]).exists()

    dibao = sorted((e for e in historical if e.tier == "dibao" and e.review_interval_months == 6), key=vulnerable)
    plan = [
        ("job", "户主在合肥某物流公司找到工作"),
        ("300.00", "户主所在工厂停产，收入减少"),
        ("more", "打零工收入增加"),
    ]
    for enrolment, (wage, reason) in zip(dibao, plan, strict=False):
        member = _wage_member(enrolment.household)
        if member is None:
            continue
        clerk = _user(context, enrolment.street_id, "clerk")
        current = sum((i.monthly for i in member.incomes.filter(kind=IncomeKind.WAGE)), Decimal("0"))
        if wage == "job":  # enough for the household to reach the standard: 渐退
            evaluation = _evaluation(enrolment.household, timezone.localdate()) or {}
            standard = Decimal(str(evaluation.get("dibao_standard", "924")))
            new = standard * int(str(evaluation.get("household_size", 3))) + Decimal("600.00")
        elif wage == "more":
            new = current + Decimal("350.00")
        else:
            new = Decimal(wage)
        member_update(
            actor=clerk,
            member=member,
            data={"incomes": [{"kind": IncomeKind.WAGE, "monthly": new, "note": reason}]},
            reason=reason,
        )


def _process(run_id: int) -> None:
    from casework.models.reverification import ReverificationRun

    run = ReverificationRun.objects.get(pk=run_id)
    for chunk_id in run.chunks.values_list("pk", flat=True):
        reverification_svc.reverification_chunk_process(chunk_id=chunk_id, token=f"demo-{chunk_id}")


def _reverify(context: DemoContext, today: dt.date) -> None:
    run = reverification_svc.reverification_run_create(
        kind=RunKind.SCHEDULED, as_of=today, actor=None, trigger=DEMO_RUN_TRIGGER
    )
    _process(run.pk)
    task = (
        ReviewTask.objects.filter(run=run, proposed_outcome=ReviewOutcome.RAISE, street_id=DEMO_STREETS[0]).first()
        or ReviewTask.objects.filter(run=run, proposed_outcome=ReviewOutcome.RAISE).first()
    )
    if task is not None:
        reverification_svc.review_task_resolve(
            actor=_user(context, task.street_id, "reviewer"),
            task=task,
            outcome=ReviewOutcome.RAISE,
            reason="入户核实：户主收入减少，按复核测算提高救助金",
        )


def _monitoring_data(today: dt.date) -> None:
    """What 医保, 残联, 人社 and the tax bureau sent since the last import."""
    expenditure = Household.objects.filter(street_id__in=DEMO_STREETS, medical_expense_annual__gte=40000).order_by("id")
    for household in expenditure[:2]:
        member = household.members.filter(active=True, serious_illness=True).first() or household.members.first()
        if member is not None:
            MonitoringRecord.objects.create(
                department=MonitoringDepartment.MEDICAL_INSURANCE,
                kind=MonitoringKind.MEDICAL_OUT_OF_POCKET,
                id_index=member.id_index,
                amount=Decimal("36800.00"),
                value="住院(尿毒症透析)个人自付",
                as_of=today - dt.timedelta(days=3),
                source_ref="YB-DEMO-1",
            )
    others = Household.objects.filter(street_id__in=DEMO_STREETS, enrolments__isnull=True).order_by("-id")
    plain = [m for h in others[:40] for m in h.members.filter(active=True, disability_grade__isnull=True)[:1]]
    if plain:
        MonitoringRecord.objects.create(
            department=MonitoringDepartment.DISABLED_FEDERATION,
            kind=MonitoringKind.DISABILITY_CERTIFIED,
            id_index=plain[0].id_index,
            grade=2,
            value="肢体残疾二级(新办残疾人证)",
            as_of=today - dt.timedelta(days=10),
            source_ref="CL-DEMO-1",
        )
    if len(plain) > 1:
        MonitoringRecord.objects.create(
            department=MonitoringDepartment.HUMAN_RESOURCES,
            kind=MonitoringKind.UNEMPLOYMENT_REGISTERED,
            id_index=plain[1].id_index,
            value="失业登记(原单位裁员)",
            as_of=today - dt.timedelta(days=5),
            source_ref="RS-DEMO-1",
        )
    wage = (
        DataExchangeRecord.objects.filter(kind=RecordKind.WAGE_INCOME, amount__gte=1500)
        .exclude(id_index__in=Member.objects.filter(household__enrolments__isnull=False).values("id_index"))
        .order_by("id")
        .first()
    )
    if wage is not None and wage.amount is not None:
        # Last quarter's figure, then this period's: the wage fell by 60 %.
        DataExchangeRecord.objects.create(
            department=Department.TAX,
            id_index=wage.id_index,
            kind=RecordKind.WAGE_INCOME,
            amount=wage.amount,
            value="工资薪金所得(上期)",
            as_of=today - dt.timedelta(days=92),
            source_ref="SW-DEMO-1",
        )
        DataExchangeRecord.objects.create(
            department=Department.TAX,
            id_index=wage.id_index,
            kind=RecordKind.WAGE_INCOME,
            amount=(wage.amount * Decimal("0.40")).quantize(Decimal("0.01")),
            value="工资薪金所得(本期)",
            as_of=today,
            source_ref="SW-DEMO-2",
        )
    # Insured employment stopped for a member of an enrolled household: an alert and a re-check.
    enrolled = (
        Member.objects.filter(household__enrolments__status="active", active=True, incomes__kind=IncomeKind.WAGE)
        .order_by("id")
        .first()
    )
    if enrolled is not None:
        DataExchangeRecord.objects.create(
            department=Department.SOCIAL_INSURANCE,
            id_index=enrolled.id_index,
            kind=RecordKind.INSURED_EMPLOYMENT,
            value="中断",
            as_of=today,
            source_ref="SB-DEMO-3",
        )


def _lead(context: DemoContext) -> None:
    street = Region.objects.get(code=DEMO_STREETS[0])
    community = Region.objects.filter(parent=street, level=Region.Level.COMMUNITY).order_by("code").first()
    worker = _user(context, DEMO_STREETS[0], "social_worker")
    monitoring_svc.lead_report(
        actor=worker,
        street=street,
        community=community,
        subject_name="胡秀英",
        subject_phone="13965012345",
        address="琥珀山庄南村12栋403室",
        difficulties=[Difficulty.ELDERLY_ALONE, Difficulty.ILLNESS],
        description="独居老人，七十八岁，近期中风后行动不便，子女在外地，家中无人照料，生活困难。",
        reporter_name="王建华",
        reporter_role=ReporterRole.GRID_WORKER,
        urgent=True,
    )
    other = Household.objects.filter(street=street, enrolments__isnull=True).order_by("id").first()
    if other is not None:
        head = other.head
        monitoring_svc.lead_report(
            actor=worker,
            street=street,
            community=other.community,
            subject_name=head.name if head else "某户",
            address=other.address,
            difficulties=[Difficulty.UNEMPLOYMENT],
            description="网格走访发现户主近两个月失业在家，孩子上学开支较大。",
            reporter_name="王建华",
            reporter_role=ReporterRole.GRID_WORKER,
            household=other,
        )


DEMO_RUN_TRIGGER = "演示：到期定期复核"


@transaction.atomic
def load(context: DemoContext) -> None:
    from casework.models.reverification import ReverificationRun

    if ReverificationRun.objects.filter(trigger=DEMO_RUN_TRIGGER).exists():
        return  # loaded already
    today = timezone.localdate()
    _enrol_approved(context)
    historical = _historical(context, today)
    _rolls(context, today)
    _changes(context, historical)
    _reverify(context, today)
    _monitoring_data(today)
    result = monitoring_svc.monitoring_scan(today=today)
    if result.recheck_run is not None:
        _process(result.recheck_run)
    _lead(context)
