"""Demo cases for the one-window workflow (loaded by ``manage.py load_demo`` after the households).

Every case is created and moved on through the same services the pages call; only then are
some of them shifted back in time (dates only) so the work queue shows overdue cases. Department
records for the economic check include the mismatches a reviewer must see: an undeclared car,
a second home, wages higher than declared. A county supervisor's public emergency (强降雨内涝)
holds two fast-track cases, one paid first within the street limit and one above it, waiting for
the county.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric

from accounts.demo import DEMO_STREETS, DemoContext
from accounts.models import Region, User
from applications import intake as app_intake
from applications.models import AssistanceType, Channel, Household, IncomeKind
from casework.models import (
    Case,
    CaseStatus,
    CaseTransition,
    DataExchangeRecord,
    Department,
    PublicNotice,
    RecordKind,
)
from casework.services import check, emergency, investigation, notice, review
from casework.services.intake import CASE_DAYS, CHECK_DAYS, OPINION_DAYS, case_accept
from casework.workdays import working_deadline
from eligibility.rules.parameters import MissingParameter
from eligibility.services import evaluate_household

CASH = {"dibao", "tekun"}


def _staff(context: DemoContext, street: str, role: str, n: int = 0) -> User:
    users = sorted(
        (u for u in context.staff.values() if u.region_id == street and u.role == role), key=lambda u: u.username
    )
    return users[min(n, len(users) - 1)]


def _supporter(context: DemoContext, street: str) -> User:
    """Second investigator: the street's social worker if it has one, else its second reviewer."""
    workers = [u for u in context.staff.values() if u.region_id == street and u.role == "social_worker"]
    return workers[0] if workers else _staff(context, street, "reviewer", 1)


def _tier(household: Household, today: dt.date) -> str:
    try:
        return str(evaluate_household(household, as_of=today)["primary_tier"])
    except (MissingParameter, ValueError):
        return "none"


def _consistent_records(household: Household, today: dt.date) -> None:
    """What the departments hold when the declaration is honest."""
    for m in household.members.filter(active=True):
        DataExchangeRecord.objects.create(
            department=Department.HUKOU, id_index=m.id_index, kind=RecordKind.HUKOU_STATUS, value="normal", as_of=today
        )
        for income in m.incomes.all():
            if income.kind == IncomeKind.WAGE:
                DataExchangeRecord.objects.create(
                    department=Department.TAX,
                    id_index=m.id_index,
                    kind=RecordKind.WAGE_INCOME,
                    amount=income.monthly,
                    as_of=today,
                )
            if income.kind == IncomeKind.PENSION:
                DataExchangeRecord.objects.create(
                    department=Department.SOCIAL_INSURANCE,
                    id_index=m.id_index,
                    kind=RecordKind.PENSION,
                    amount=income.monthly,
                    as_of=today,
                )
    head = household.head
    if head is not None:
        for n in range(household.homes):
            DataExchangeRecord.objects.create(
                department=Department.REAL_ESTATE,
                id_index=head.id_index,
                kind=RecordKind.HOME,
                value=f"{household.address}" if n == 0 else "",
                as_of=today,
            )
        if household.financial_assets:
            DataExchangeRecord.objects.create(
                department=Department.BANK_SECURITIES,
                id_index=head.id_index,
                kind=RecordKind.FINANCIAL_ASSET,
                amount=household.financial_assets,
                as_of=today,
            )


def _mismatch_records(household: Household, today: dt.date) -> None:
    """An undeclared car, a second home, and wages higher than declared."""
    members = list(household.members.filter(active=True).order_by("id"))
    head = members[0]
    wage = sum((i.monthly for i in head.incomes.filter(kind=IncomeKind.WAGE)), Decimal("0"))
    DataExchangeRecord.objects.filter(id_index=head.id_index, kind=RecordKind.WAGE_INCOME).delete()
    DataExchangeRecord.objects.create(
        department=Department.TAX,
        id_index=head.id_index,
        kind=RecordKind.WAGE_INCOME,
        amount=wage + Decimal("1850.00"),
        value="合肥某物流有限公司",
        as_of=today,
    )
    DataExchangeRecord.objects.create(
        department=Department.VEHICLES,
        id_index=head.id_index,
        kind=RecordKind.VEHICLE,
        value="大众帕萨特(皖A·D1234)",
        amount=Decimal("168000.00"),
        as_of=today,
    )
    DataExchangeRecord.objects.create(
        department=Department.REAL_ESTATE,
        id_index=head.id_index,
        kind=RecordKind.HOME,
        value="滨湖新区云谷路88号2幢1203室",
        as_of=today,
    )
    if len(members) > 1:
        DataExchangeRecord.objects.create(
            department=Department.HOUSING_FUND,
            id_index=members[1].id_index,
            kind=RecordKind.FUND_DEPOSIT,
            amount=Decimal("3200.00"),
            value="住房公积金缴存基数",
            as_of=today,
        )


def _open_case(
    household: Household,
    clerk: User,
    *,
    types: list[str],
    help_text: str,
    sign_all: bool = True,
    channel: str = Channel.WINDOW,
    emergency_data: dict[str, Any] | None = None,
) -> Case:
    application = app_intake.application_register(
        actor=clerk,
        household=household,
        channel=channel,
        assistance_types=types,
        help_text=help_text,
        emergency=emergency_data,
    )
    adults = app_intake.adult_members(household, on=timezone.localdate())
    signing = adults if sign_all else adults[:-1]  # leave the last adult unsigned
    for member in signing:
        app_intake.authorisation_record(
            actor=clerk, application=application, member=member, signed=True, signed_on=timezone.localdate()
        )
    case = case_accept(actor=clerk, application=application)
    check.check_run(case_id=case.pk)  # eager Celery already ran it; with a broker this runs it now
    case.refresh_from_db()
    return case


STOP: dict[str, int] = {
    CaseStatus.OPINION: 1,
    CaseStatus.NOTICE_PENDING: 2,
    CaseStatus.NOTICE: 3,
    CaseStatus.REVIEW: 4,
    CaseStatus.APPROVED: 5,
    CaseStatus.REFUSED: 2,
}


def _walk(case: Case, target: str, context: DemoContext) -> Case:
    """Move a freshly checked case on to ``target`` through the services (REFUSED: opinion says no)."""
    street = case.street_id
    reviewer = _staff(context, street, "reviewer")
    approver = _staff(context, street, "approver")
    if target == CaseStatus.WITHDRAWN:
        review.case_withdraw(
            actor=_staff(context, street, "clerk"), case=case, reason="申请人家庭情况好转，主动撤回申请"
        )
        return case
    stop = STOP.get(target, 0)
    today = timezone.localdate()
    if stop >= 1:
        last = check.latest_check(case)
        adopt = [d["id"] for d in (last.discrepancies if last else []) if d.get("fix")]
        investigation.investigation_record(
            actor=reviewer,
            case=case,
            visited_on=today,
            investigator_ids=[reviewer.pk, _supporter(context, street).pk],
            findings="入户查看居住情况，核实家庭成员、收入和财产；家中陈设简单，与申报基本一致。",
            adopt=adopt,
        )
    if target == CaseStatus.REFUSED:
        review.opinion_issue(
            actor=reviewer,
            case=case,
            tier="none",
            monthly_amount=Decimal("0"),
            one_off_amount=Decimal("0"),
            adjustment_reason="入户调查核实家庭收入高于低保标准",
        )
        review.case_refuse(
            actor=approver, case=case, reasons="经核对，家庭人均月收入高于当地最低生活保障标准，不符合低保条件。"
        )
        return case
    if stop >= 2:
        review.opinion_issue(actor=reviewer, case=case)
    if stop >= 3:
        notice.notice_publish(actor=reviewer, case=case)
    if stop >= 4:
        PublicNotice.objects.filter(case=case, closed_at__isnull=True).update(
            starts_on=today - dt.timedelta(days=8), ends_on=today - dt.timedelta(days=2)
        )
        notice.notice_close(actor=None, case=case)
    if stop >= 5:
        review.case_confirm(actor=approver, case=case, note="材料齐全，公示无异议，同意")
    return case


def _backdate(case: Case, days: int) -> None:
    """Demo only: move a case's dates ``days`` calendar days into the past (overdue examples)."""
    shift = dt.timedelta(days=days)
    case.refresh_from_db()
    accepted = case.accepted_on - shift
    check_due = working_deadline(accepted, CHECK_DAYS)
    opinion_due = working_deadline(accepted, OPINION_DAYS)
    case_due = working_deadline(accepted, CASE_DAYS)
    Case.objects.filter(pk=case.pk).update(
        accepted_on=accepted,
        check_due=check_due.date,
        opinion_due=opinion_due.date,
        case_due=case_due.date,
        check_started_on=(case.check_started_on - shift) if case.check_started_on else None,
        deadlines_provisional=check_due.provisional or opinion_due.provisional or case_due.provisional,
    )
    for t in CaseTransition.objects.filter(case=case):
        CaseTransition.objects.filter(pk=t.pk).update(at=t.at - shift)


def _new_person_id(county: str, birth: dt.date, seq: int) -> str:
    body = f"{county}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _online_applications(street: Region, community: Region) -> None:
    county = street.code[:6]
    app_intake.application_submit_online(
        street=street,
        community=community,
        address="合作化路18号5栋301室",
        phone="13905510123",
        assistance_types=[AssistanceType.DIBAO, AssistanceType.MEDICAL],
        help_text="丈夫今年查出尿毒症需长期透析，家里只有我打零工，孩子上初中，生活困难。",
        members=[
            {
                "name": "刘桂芳",
                "id_number": _new_person_id(county, dt.date(1983, 6, 12), 902),
                "relation": "self",
                "incomes": [{"kind": "wage", "monthly": "1100"}],
            },
            {
                "name": "陈建国",
                "id_number": _new_person_id(county, dt.date(1981, 2, 3), 911),
                "relation": "spouse",
                "serious_illness": True,
            },
            {
                "name": "陈雨涵",
                "id_number": _new_person_id(county, dt.date(2012, 9, 1), 924),
                "relation": "child",
            },
        ],
        assets={"financial_assets": "3000", "homes": 1, "vehicle_price": "0"},
    )


def _pick(pool: list[Household], mismatched: bool) -> Household | None:
    """Next household of the pool; for a mismatch example, a family of two or more with a wage."""

    def suits(h: Household) -> bool:
        members = list(h.members.filter(active=True))
        return len(members) >= 2 and any(i.kind == IncomeKind.WAGE for m in members for i in m.incomes.all())

    choice = next((h for h in pool if suits(h)), None) if mismatched else None
    choice = choice or (pool[0] if pool else None)
    if choice is not None:
        pool.remove(choice)
    return choice


def _eligible_households(street: str, today: dt.date, limit: int) -> tuple[list[Household], list[Household]]:
    """(cash-tier households, households above the line) of a street, by the engine."""
    cash: list[Household] = []
    other: list[Household] = []
    busy = set(Case.objects.values_list("household_id", flat=True))
    for household in Household.objects.filter(street_id=street).exclude(pk__in=busy).order_by("id"):
        tier = _tier(household, today)
        if tier in CASH and len(cash) < limit:
            cash.append(household)
        elif tier in {"none", "low_income"} and len(other) < 3:
            other.append(household)
        if len(cash) >= limit and len(other) >= 3:
            break
    return cash, other


@transaction.atomic
def load(context: DemoContext) -> None:
    today = timezone.localdate()
    for street in DEMO_STREETS:
        emergency.reserve_fund_top_up(
            actor=_staff(context, street, "approver"),
            street=Region.objects.get(code=street),
            amount=Decimal("50000.00"),
            note=f"{today.year}年度街道临时救助备用金",
        )
    for street in DEMO_STREETS:
        cash, other = _eligible_households(street, today, limit=11)
        for household in cash + other:
            _consistent_records(household, today)
        clerk = _staff(context, street, "clerk")
        full = street == DEMO_STREETS[0]
        plan: list[tuple[str, int, bool]] = (
            [
                (CaseStatus.ACCEPTED, 6, False),  # one adult has not signed: check cannot start, overdue
                (CaseStatus.INVESTIGATION, 0, True),  # department data disagree: car, second home, wage
                (CaseStatus.INVESTIGATION, 14, False),  # opinion overdue
                (CaseStatus.OPINION, 0, False),
                (CaseStatus.NOTICE_PENDING, 0, False),
                (CaseStatus.NOTICE, 0, False),
                (CaseStatus.REVIEW, 10, False),
                (CaseStatus.APPROVED, 0, False),
                (CaseStatus.WITHDRAWN, 0, False),
            ]
            if full
            else [
                (CaseStatus.INVESTIGATION, 0, True),
                (CaseStatus.NOTICE, 0, False),
                (CaseStatus.REVIEW, 0, False),
                (CaseStatus.APPROVED, 0, False),
                (CaseStatus.INVESTIGATION, 12, False),
            ]
        )
        pool = list(cash)
        for target, days, mismatched in plan:
            picked = _pick(pool, mismatched)
            if picked is None:
                break
            if mismatched:
                _mismatch_records(picked, today)
            case = _open_case(
                picked,
                clerk,
                types=[AssistanceType.DIBAO],
                help_text="家庭收入低，申请最低生活保障。",
                sign_all=target != CaseStatus.ACCEPTED,
            )
            _walk(case, target, context)
            if days:
                _backdate(case, days)
        for household in other[:1]:
            case = _open_case(household, clerk, types=[AssistanceType.DIBAO], help_text="申请低保。")
            _walk(case, CaseStatus.REFUSED, context)
        if full:
            street_region = Region.objects.get(code=street)
            community = Region.objects.filter(parent=street_region, level=Region.Level.COMMUNITY).order_by("code")
            _online_applications(street_region, community.first() or street_region)
            _public_emergency(context, street_region)
    # Enrolment, payment rolls, re-verification and alerts (issue 5), then plans, services and
    # referrals (issue 6) build on the approved cases above.
    from casework import demo_enrolment, demo_plans

    demo_enrolment.load(context)
    demo_plans.load(context)


def _public_emergency(context: DemoContext, street: Region) -> None:
    """Declared over one community; two of its families apply for emergency assistance."""
    busy = set(Case.objects.values_list("household_id", flat=True))
    free = Household.objects.filter(street=street).exclude(pk__in=busy).order_by("id")
    first = free.first()
    if first is None:
        return
    area = first.community
    households = list(free.filter(community=area)[:2])
    today = timezone.localdate()
    supervisor = next(
        u for u in context.staff.values() if u.role == "supervisor" and street.code.startswith(u.region_id or "-")
    )
    declared = emergency.public_emergency_declare(
        actor=supervisor,
        region=area,
        kind="disaster",
        title=f"{today:%Y年%m月}强降雨内涝",
        starts_on=today - dt.timedelta(days=3),
        ends_on=today + dt.timedelta(days=27),
        description=f"{area.name}低洼小区进水，部分居民家庭财产受损，启动急难救助快速通道。",
    )
    clerk = _staff(context, street.code, "clerk")
    approver = _staff(context, street.code, "approver")
    for household, cost, pay in zip(households[:2], ("8600.00", "26000.00"), ("3000.00", "6000.00"), strict=False):
        case = _open_case(
            household,
            clerk,
            types=[AssistanceType.EMERGENCY],
            help_text="暴雨内涝家中进水，家具家电损毁，生活暂时困难。",
            emergency_data={
                "emergency_kind": "disaster",
                "emergency_date": today - dt.timedelta(days=2),
                "emergency_cost": Decimal(cost),
                "emergency_insurance": Decimal("0"),
                "emergency_other_aid": Decimal("500"),
            },
        )
        assert case.public_emergency_id == declared.pk
        emergency.emergency_pay(actor=approver, case=case, amount=Decimal(pay), reason="强降雨内涝受灾，先行救助")
