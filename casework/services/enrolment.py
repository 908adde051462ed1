"""Enrolment (纳入保障) from an approved decision, its append-only periods, bridging assistance, and
the re-verification schedule (DOMAIN §6 steps 8 and 10).

Wiring: ``case_confirm`` (casework.services.review) has no post-approval hook, so
``case_confirm_and_enrol`` wraps it (approval + enrolment in one transaction), and
``enrolments_backfill`` — run daily by Celery beat and from the enrolment page — enrols any approved
decision that is not enrolled yet. ``enrolment_create_from_decision`` is idempotent: one period per
decision (unique constraint).

Schedule rule (DOMAIN §6 step 10): a 低保 household with a counted member able to work (work
capacity not ``none`` per DOMAIN §8 — so aged 18–59 — ) or with irregular income (business,
agriculture, other) is re-verified every 6 months; every other household, and 特困, yearly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError, Conflict
from accounts.models import Role, User
from accounts.selectors import region_visible_to, scope_by_region
from applications.models import Household, IncomeItem, Member
from casework.models import Case, Decision, Outcome, Tier
from casework.models.enrolment import (
    CASH_TIERS,
    ENROLLABLE_TIERS,
    BridgingPayment,
    ChangeKind,
    Enrolment,
    EnrolmentPeriod,
    EnrolmentStatus,
    add_months,
    add_months_to_day,
    month_start,
)
from eligibility.batch import MEMBER_FLAGS_SQL, age_cutoff

CENT = Decimal("0.01")
IRREGULAR_INCOME_KINDS = ("business", "agriculture", "other")
EARNED_KINDS = ("wage", "business")
STREET_STAFF = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SOCIAL_WORKER})
BRIDGING_WINDOW_DAYS = 92

# --- schedule (pure rule + the query that feeds it) --------------------------------------------


def review_interval_months(*, tier: str, able_member: bool, irregular_income: bool) -> int:
    """6 for a 低保 household with a member able to work or irregular income; otherwise 12."""
    if tier == Tier.DIBAO and (able_member or irregular_income):
        return 6
    return 12


@dataclass(frozen=True)
class ScheduleFacts:
    able_member: bool  # a counted member whose work capacity is not ``none`` (hence aged 18–59)
    irregular_income: bool  # a counted member with business, agriculture or other income
    earned_fen: int  # wage + business income of the counted members, fen per month


NO_FACTS = ScheduleFacts(False, False, 0)


def _facts_sql(where: str) -> str:
    m, i = Member._meta.db_table, IncomeItem._meta.db_table
    irregular = ", ".join(f"'{k}'" for k in IRREGULAR_INCOME_KINDS)
    earned = ", ".join(f"'{k}'" for k in EARNED_KINDS)
    # The work-capacity test is the engine's own (eligibility.batch.MEMBER_FLAGS_SQL, bit 4 = none).
    return f"""
SELECT household_id, bool_or((flags & 4) = 0), bool_or(irregular), sum(earned)
FROM (
    SELECT mb.household_id, ({MEMBER_FLAGS_SQL}) AS flags,
           coalesce(bool_or(i.kind IN ({irregular}) AND i.monthly > 0), false) AS irregular,
           coalesce((sum(i.monthly) FILTER (WHERE i.kind IN ({earned})) * 100)::bigint, 0) AS earned
    FROM {m} mb LEFT JOIN {i} i ON i.member_id = mb.id
    WHERE {where} AND mb.active AND mb.lives_together AND mb.excluded = '' AND mb.birth_date <= %(as_of)s
    GROUP BY mb.id
) per_member
GROUP BY household_id
"""  # noqa: S608 (table names from the models; values are parameters)


def schedule_facts(*, as_of: dt.date, id_from: int, id_to: int) -> dict[int, ScheduleFacts]:
    """Facts per household with ``id_from ≤ id < id_to`` (households without counted members absent)."""
    params = {"lo": id_from, "hi": id_to, **_age_params(as_of)}
    with connection.cursor() as cur:
        cur.execute(_facts_sql("mb.household_id >= %(lo)s AND mb.household_id < %(hi)s"), params)
        return {hid: ScheduleFacts(bool(able), bool(irr), int(earned or 0)) for hid, able, irr, earned in cur}


def schedule_facts_for(household_ids: Sequence[int], *, as_of: dt.date) -> dict[int, ScheduleFacts]:
    params = {"ids": list(household_ids), **_age_params(as_of)}
    with connection.cursor() as cur:
        cur.execute(_facts_sql("mb.household_id = ANY(%(ids)s)"), params)
        return {hid: ScheduleFacts(bool(able), bool(irr), int(earned or 0)) for hid, able, irr, earned in cur}


def six_month_households(*, as_of: dt.date, id_from: int, id_to: int, failures: Iterable[int] = ()) -> set[int]:
    """Households of the range on a 6-month schedule (the batch path of ``review_interval_months``).

    The rule only looks at members and incomes for 低保 enrolments (everything else is yearly), so
    the fact query reads just those households' members — about a tenth of a second per 10,000.
    """
    m, i, e = Member._meta.db_table, IncomeItem._meta.db_table, Enrolment._meta.db_table
    irregular_kinds = ", ".join(f"'{k}'" for k in IRREGULAR_INCOME_KINDS)
    params = {"lo": id_from, "hi": id_to, **_age_params(as_of)}
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT mb.household_id, bool_or((({MEMBER_FLAGS_SQL}) & 4) = 0), bool_or(it.member_id IS NOT NULL)
                FROM {m} mb
                LEFT JOIN {i} it ON it.member_id = mb.id AND it.kind IN ({irregular_kinds}) AND it.monthly > 0
                WHERE mb.household_id >= %(lo)s AND mb.household_id < %(hi)s
                  AND mb.active AND mb.lives_together AND mb.excluded = '' AND mb.birth_date <= %(as_of)s
                  AND mb.household_id IN (SELECT household_id FROM {e} WHERE household_id >= %(lo)s
                                          AND household_id < %(hi)s AND tier = 'dibao' AND status = 'active')
                GROUP BY mb.household_id""",  # noqa: S608 (table names from the models; values are parameters)
            params,
        )
        facts = cur.fetchall()
    skip = set(failures)
    return {
        hid
        for hid, able, irregular in facts
        if hid not in skip
        and review_interval_months(tier=Tier.DIBAO, able_member=bool(able), irregular_income=bool(irregular)) == 6
    }


def _age_params(as_of: dt.date) -> dict[str, Any]:
    return {"as_of": as_of, "cut60": age_cutoff(as_of, 60), "cut18": age_cutoff(as_of, 18)}


def next_due(*, verified_on: dt.date, interval: int) -> dt.date:
    return add_months_to_day(verified_on, interval)


# --- selectors -----------------------------------------------------------------------------------


def enrolments_visible_to(user: Any) -> QuerySet[Enrolment]:
    qs = Enrolment.objects.select_related("household", "household__community", "street", "case", "current_period")
    return scope_by_region(qs, user, "street__code")


def decisions_waiting_for_enrolment(user: Any) -> QuerySet[Decision]:
    """Approved decisions of an enrollable tier that have no enrolment period yet."""
    enrolled = EnrolmentPeriod.objects.filter(decision__isnull=False).values("decision_id")
    qs = (
        Decision.objects.filter(outcome=Outcome.APPROVED, tier__in=list(ENROLLABLE_TIERS))
        .exclude(pk__in=enrolled)
        .select_related("case", "case__household", "case__street")
        .order_by("decided_on", "id")
    )
    return scope_by_region(qs, user, "case__street__code")


# --- periods --------------------------------------------------------------------------------------


def _members_of(evaluation: dict[str, Any] | None, tier: str) -> list[int]:
    """Member ids a 特困 or 单人户 amount covers (empty: the whole household)."""
    if not evaluation:
        return []
    refs: list[int] = []
    for entry in evaluation.get("tiers", []):
        if not entry.get("eligible"):
            continue
        if entry["tier"] == "tekun" and tier == Tier.TEKUN:
            refs.extend(int(r) for r in entry.get("members", []) if str(r).isdigit())
    return sorted(set(refs))


def period_snapshot(period: EnrolmentPeriod) -> dict[str, Any]:
    return {
        "period": period.pk,
        "seq": period.seq,
        "kind": period.kind,
        "tier": period.tier,
        "monthly_amount": period.monthly_amount,
        "start_month": period.start_month,
        "end_month": period.end_month,
    }


def period_close(*, period: EnrolmentPeriod, last_month: dt.date) -> EnrolmentPeriod:
    """Set the last paid month of the open ``period`` (once; the trigger refuses anything else)."""
    if period.end_month is not None:
        return period
    period.end_month = last_month
    period.closed_at = timezone.now()
    period.save(update_fields=["end_month", "closed_at"])
    return period


def period_open(
    *,
    enrolment: Enrolment,
    kind: str,
    tier: str,
    amount: Decimal,
    start_month: dt.date,
    actor: User | None,
    end_month: dt.date | None = None,
    evaluation: dict[str, Any] | None = None,
    earned_income: Decimal = Decimal("0"),
    decision: Decision | None = None,
    review_task: Any = None,
    reason: str = "",
) -> EnrolmentPeriod:
    """Close the current period (the month before ``start_month``) and append a new one.

    Runs inside the caller's transaction, with ``enrolment`` locked by the caller.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("period_open must run inside the caller's transaction")
    current = enrolment.current_period
    if current is not None and current.end_month is None:
        period_close(period=current, last_month=add_months(start_month, -1))
    seq = (enrolment.periods.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    period = EnrolmentPeriod.objects.create(
        enrolment=enrolment,
        seq=seq,
        kind=kind,
        tier=tier,
        monthly_amount=amount.quantize(CENT),
        start_month=start_month,
        end_month=end_month,
        members=_members_of(evaluation, tier),
        parameters_used=(evaluation or {}).get("parameters_used", []),
        evaluation=evaluation,
        earned_income=earned_income,
        decision=decision,
        review_task=review_task,
        reason=reason,
        created_by=actor,
    )
    enrolment.current_period = period
    enrolment.tier = tier
    enrolment.monthly_amount = period.monthly_amount
    enrolment.save(update_fields=["current_period", "tier", "monthly_amount"])
    return period


def _engine_basis(evaluation: dict[str, Any] | None, tier: str, amount: Decimal) -> tuple[str, Decimal]:
    """The engine's (primary tier, monthly amount) a standing rests on — what re-verification compares."""
    if evaluation and evaluation.get("primary_tier"):
        return str(evaluation["primary_tier"]), Decimal(str(evaluation.get("monthly_amount") or "0"))
    return tier, amount


# --- enrolment from a decision ---------------------------------------------------------------


def _require_street_role(actor: User, roles: Iterable[str], street_code: str) -> None:
    if not (actor.is_superuser or actor.role in roles):
        raise BusinessError(_("您的岗位不能办理此项业务。"), code="role_forbidden", status=403)
    if not region_visible_to(actor, street_code):
        raise BusinessError(_("该街道不在您的管辖范围内。"), code="out_of_scope", status=404)


def _lock_open_enrolment(household_id: int) -> Enrolment | None:
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("current_period")
        .filter(household_id=household_id)
        .exclude(status=EnrolmentStatus.CLOSED)
        .first()
    )


@transaction.atomic
def enrolment_create_from_decision(*, decision: Decision, actor: User | None) -> Enrolment | None:
    """Enrol the household of an approved decision (tier, amount, start month, parameters used).

    Idempotent: a decision already enrolled returns its enrolment. A household already enrolled
    gets a new period (``redecision``) from the decision's start month. 急难-only decisions enrol
    nobody (``None``).
    """
    decision = Decision.objects.select_related("case", "case__household").get(pk=decision.pk)
    if decision.outcome != Outcome.APPROVED or decision.tier not in ENROLLABLE_TIERS:
        return None
    case: Case = decision.case
    # The household lock serialises concurrent enrolments of it (the approval wrapper and the
    # daily backfill); checked under the lock, a decision is enrolled once.
    household = Household.objects.select_for_update().get(pk=case.household_id)
    existing = EnrolmentPeriod.objects.filter(decision=decision).select_related("enrolment").first()
    if existing is not None:
        return existing.enrolment
    assert decision.start_month is not None  # the decision_approved_has_start constraint
    facts = schedule_facts_for([household.pk], as_of=decision.decided_on).get(household.pk, NO_FACTS)
    interval = review_interval_months(
        tier=decision.tier, able_member=facts.able_member, irregular_income=facts.irregular_income
    )
    enrolment = _lock_open_enrolment(household.pk)
    kind = ChangeKind.ENROL
    before: dict[str, Any] | None = None
    if enrolment is None:
        enrolment = Enrolment.objects.create(
            household=household,
            street_id=case.street_id,
            case=case,
            tier=decision.tier,
            monthly_amount=decision.monthly_amount,
            start_month=decision.start_month,
            review_interval_months=interval,
            next_review_due=next_due(verified_on=decision.decided_on, interval=interval),
            last_verified_on=decision.decided_on,
            created_by=actor,
        )
    else:
        kind = ChangeKind.REDECISION
        before = {"status": enrolment.status, "tier": enrolment.tier, "monthly_amount": enrolment.monthly_amount}
        enrolment.status = EnrolmentStatus.ACTIVE
        enrolment.end_month = None
        enrolment.review_interval_months = interval
        enrolment.last_verified_on = decision.decided_on
        enrolment.next_review_due = next_due(verified_on=decision.decided_on, interval=interval)
        enrolment.save(
            update_fields=["status", "end_month", "review_interval_months", "last_verified_on", "next_review_due"]
        )
    basis_tier, basis_amount = _engine_basis(decision.evaluation, decision.tier, decision.monthly_amount)
    period = period_open(
        enrolment=enrolment,
        kind=kind,
        tier=decision.tier,
        amount=decision.monthly_amount,
        start_month=decision.start_month,
        actor=actor,
        evaluation=decision.evaluation,
        earned_income=Decimal(facts.earned_fen) / 100,
        decision=decision,
        reason=_("审批决定 %(no)s") % {"no": decision.document_no},
    )
    enrolment.basis_tier, enrolment.basis_amount = basis_tier, basis_amount
    enrolment.save(update_fields=["basis_tier", "basis_amount"])
    audit_record(
        actor=actor,
        action="enrolment.create" if kind == ChangeKind.ENROL else "enrolment.redecision",
        obj=enrolment,
        region_code=enrolment.street_id,
        before=before,
        after={
            **period_snapshot(period),
            "decision": decision.document_no,
            "next_review_due": enrolment.next_review_due,
        },
        reason=decision.reasons,
    )
    return enrolment


@transaction.atomic
def case_confirm_and_enrol(*, actor: User, case: Case, note: str = "", bridging: bool = False) -> Decision:
    """确认批准 followed by enrolment in the same transaction (the post-approval step)."""
    from casework.services.review import case_confirm

    decision = case_confirm(actor=actor, case=case, note=note)
    enrolment = enrolment_create_from_decision(decision=decision, actor=actor)
    if bridging and enrolment is not None and enrolment.tier in CASH_TIERS and enrolment.monthly_amount > 0:
        bridging_grant(actor=actor, enrolment=enrolment, reason=_("新纳入低保/特困，发放一个月过渡期临时救助"))
    return decision


def enrolments_backfill(*, actor: User | None = None, limit: int = 500) -> int:
    """Enrol approved decisions that are not enrolled yet (each in its own transaction)."""
    count = 0
    for decision in decisions_waiting_for_enrolment_all()[:limit]:
        if enrolment_create_from_decision(decision=decision, actor=actor) is not None:
            count += 1
    return count


def decisions_waiting_for_enrolment_all() -> QuerySet[Decision]:
    enrolled = EnrolmentPeriod.objects.filter(decision__isnull=False).values("decision_id")
    return (
        Decision.objects.filter(outcome=Outcome.APPROVED, tier__in=list(ENROLLABLE_TIERS))
        .exclude(pk__in=enrolled)
        .order_by("decided_on", "id")
    )


@transaction.atomic
def enrolment_import(
    *,
    actor: User,
    household: Household,
    tier: str,
    monthly_amount: Decimal,
    start_month: dt.date,
    verified_on: dt.date,
    evaluation: dict[str, Any] | None,
    reason: str,
) -> Enrolment:
    """历史在册对象导入: a household already receiving assistance under the old system."""
    _require_street_role(actor, {Role.APPROVER, Role.ADMIN}, household.street_id)
    if tier not in ENROLLABLE_TIERS:
        raise ValidationError({"tier": [_("该类别不能纳入保障。")]})
    if len(reason.strip()) < 4:
        raise ValidationError({"reason": [_("请填写导入依据(原审批文号等，至少4个字)。")]})
    household = Household.objects.select_for_update().get(pk=household.pk)
    if _lock_open_enrolment(household.pk) is not None:
        raise Conflict(_("该家庭已在保障中。"), code="already_enrolled")
    facts = schedule_facts_for([household.pk], as_of=verified_on).get(household.pk, NO_FACTS)
    interval = review_interval_months(tier=tier, able_member=facts.able_member, irregular_income=facts.irregular_income)
    enrolment = Enrolment.objects.create(
        household=household,
        street_id=household.street_id,
        tier=tier,
        monthly_amount=monthly_amount,
        start_month=month_start(start_month),
        review_interval_months=interval,
        next_review_due=next_due(verified_on=verified_on, interval=interval),
        last_verified_on=verified_on,
        created_by=actor,
    )
    period = period_open(
        enrolment=enrolment,
        kind=ChangeKind.IMPORT,
        tier=tier,
        amount=monthly_amount,
        start_month=month_start(start_month),
        actor=actor,
        evaluation=evaluation,
        earned_income=Decimal(facts.earned_fen) / 100,
        reason=reason.strip(),
    )
    enrolment.basis_tier, enrolment.basis_amount = _engine_basis(evaluation, tier, monthly_amount)
    enrolment.save(update_fields=["basis_tier", "basis_amount"])
    audit_record(
        actor=actor,
        action="enrolment.import",
        obj=enrolment,
        region_code=enrolment.street_id,
        after=period_snapshot(period),
        reason=reason.strip(),
    )
    return enrolment


# --- bridging (一个月过渡期临时救助) -------------------------------------------------------------


@transaction.atomic
def bridging_grant(*, actor: User, enrolment: Enrolment, reason: str = "") -> BridgingPayment:
    """One month's amount once, for a newly confirmed 低保/特困 household; paid on the next roll."""
    _require_street_role(actor, {Role.APPROVER}, enrolment.street_id)
    enrolment = Enrolment.objects.select_for_update(of=("self",)).select_related("current_period").get(pk=enrolment.pk)
    if BridgingPayment.objects.filter(enrolment=enrolment).exists():
        raise Conflict(_("该家庭已发放过过渡期临时救助，只能发放一次。"), code="bridging_once")
    if enrolment.status != EnrolmentStatus.ACTIVE or enrolment.tier not in CASH_TIERS or enrolment.monthly_amount <= 0:
        raise BusinessError(_("只有在保的低保、特困家庭可以发放过渡期临时救助。"), code="bridging_tier")
    first = enrolment.periods.order_by("seq").first()
    today = timezone.localdate()
    if (
        first is None
        or first.kind not in {ChangeKind.ENROL}
        or (today - first.created_at.date()).days > BRIDGING_WINDOW_DAYS
    ):
        raise BusinessError(
            _("过渡期临时救助只适用于新批准纳入(%(d)d天内)的家庭。") % {"d": BRIDGING_WINDOW_DAYS},
            code="bridging_not_new",
        )
    payment = BridgingPayment.objects.create(
        enrolment=enrolment,
        amount=enrolment.monthly_amount,
        pay_from_month=max(enrolment.start_month, month_start(today)),
        reason=reason.strip(),
        granted_by=actor,
    )
    audit_record(
        actor=actor,
        action="enrolment.bridging",
        obj=payment,
        region_code=enrolment.street_id,
        after={"enrolment": enrolment.pk, "amount": payment.amount, "pay_from_month": payment.pay_from_month},
        reason=reason.strip(),
    )
    return payment


# --- end of 渐退 --------------------------------------------------------------------------------


def enrolments_close_ended(*, today: dt.date | None = None) -> int:
    """Close enrolments whose 渐退 has run out (last paid month before the current month)."""
    today = today or timezone.localdate()
    closed = 0
    ids = list(
        Enrolment.objects.filter(status=EnrolmentStatus.EXITING, end_month__lt=month_start(today)).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        with transaction.atomic():
            enrolment = Enrolment.objects.select_for_update().get(pk=pk)
            if enrolment.status != EnrolmentStatus.EXITING or enrolment.end_month is None:
                continue
            if enrolment.end_month >= month_start(today):
                continue
            enrolment.status = EnrolmentStatus.CLOSED
            enrolment.save(update_fields=["status"])
            audit_record(
                actor=None,
                action="enrolment.close",
                obj=enrolment,
                region_code=enrolment.street_id,
                before={"status": EnrolmentStatus.EXITING},
                after={"status": EnrolmentStatus.CLOSED, "end_month": enrolment.end_month},
                reason=_("渐退期满，停止发放"),
            )
            closed += 1
    return closed
