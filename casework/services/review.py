"""Preliminary opinion and the joint review's decision (DOMAIN §6.5, §6.7–6.8).

Separation of duties: the clerk who accepted a case and its investigators cannot decide it. Two
approvers acting at once produce exactly one decision: the case row is locked, the status is
re-checked under the lock, and ``Decision.case`` is one-to-one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import BusinessError, Conflict
from accounts.models import Role, User
from casework.models import (
    ApprovalLevel,
    Case,
    CaseStatus,
    Decision,
    Opinion,
    Outcome,
    Recommendation,
    Tier,
)
from casework.services.evaluation import engine_proposal, evaluate_case, street_limit
from casework.services.investigation import investigator_ids
from casework.services.transitions import apply_transition, check_step, lock_case

CASH_TIERS = frozenset({Tier.TEKUN, Tier.DIBAO})


def latest_opinion(case: Case) -> Opinion | None:
    return case.opinions.order_by("-id").first()


@transaction.atomic
def opinion_issue(
    *,
    actor: User,
    case: Case,
    as_of: dt.date | None = None,
    tier: str | None = None,
    monthly_amount: Decimal | None = None,
    one_off_amount: Decimal | None = None,
    recommendation: str | None = None,
    adjustment_reason: str = "",
    note: str = "",
) -> Opinion:
    """初审意见: the engine on the verified household data; the reviewer may adjust with a reason."""
    case = lock_case(case)
    check_step(case=case, to=CaseStatus.NOTICE_PENDING, actor=actor)
    today = timezone.localdate()
    as_of = as_of or today
    evaluation = evaluate_case(case, as_of=as_of)
    engine_tier, engine_monthly, engine_one_off, level = engine_proposal(evaluation)
    tier = tier or engine_tier
    monthly = engine_monthly if monthly_amount is None else monthly_amount
    one_off = engine_one_off if one_off_amount is None else one_off_amount
    errors: dict[str, list[str]] = {}
    if tier not in Tier.values:
        errors["tier"] = [_("未知的救助类别。")]
    if monthly < 0 or one_off < 0:
        errors["monthly_amount"] = [_("金额不能为负数。")]
    if tier not in CASH_TIERS and monthly > 0:
        errors["monthly_amount"] = [_("只有特困和低保有按月救助金。")]
    if tier != Tier.EMERGENCY and one_off > 0 and engine_one_off == 0:
        errors["one_off_amount"] = [_("只有急难/临时救助有一次性救助金。")]
    adjusted = (tier, monthly, one_off) != (engine_tier, engine_monthly, engine_one_off)
    if adjusted and len(adjustment_reason.strip()) < 4:
        errors["adjustment_reason"] = [_("调整系统测算结果时须填写调整理由(至少4个字)。")]
    recommendation = recommendation or (Recommendation.REFUSE if tier == Tier.NONE else Recommendation.APPROVE)
    if recommendation not in Recommendation.values:
        errors["recommendation"] = [_("未知的初审建议。")]
    if recommendation == Recommendation.APPROVE and tier == Tier.NONE:
        errors["recommendation"] = [_("类别为“不符合条件”时只能建议不予批准。")]
    if errors:
        raise ValidationError(errors)
    if one_off > 0:
        level = ApprovalLevel.COUNTY if one_off > street_limit(case, evaluation, as_of) else ApprovalLevel.STREET
    opinion = Opinion.objects.create(
        case=case,
        as_of=as_of,
        evaluation=evaluation,
        engine_tier=engine_tier,
        engine_monthly_amount=engine_monthly,
        engine_one_off_amount=engine_one_off,
        tier=tier,
        monthly_amount=monthly,
        one_off_amount=one_off,
        recommendation=recommendation,
        approval_level=level,
        adjusted=adjusted,
        adjustment_reason=adjustment_reason.strip(),
        note=note.strip(),
        author=actor,
    )
    case.opinion_on = today
    case.approval_level = level
    case.save(update_fields=["opinion_on", "approval_level"])
    summary = _("初审：%(tier)s，月救助金 %(m)s 元，临时救助金 %(o)s 元，%(rec)s") % {
        "tier": Tier(tier).label,
        "m": monthly,
        "o": one_off,
        "rec": Recommendation(recommendation).label,
    }
    apply_transition(
        case=case,
        to=CaseStatus.NOTICE_PENDING,
        actor=actor,
        reason=summary + (f"；{_('调整理由')}：{adjustment_reason.strip()}" if adjusted else ""),
    )
    return opinion


def _require_reason(reason: str, field: str = "reason", minimum: int = 4) -> str:
    if len(reason.strip()) < minimum:
        raise ValidationError({field: [_("请填写理由(至少%(n)d个字)。") % {"n": minimum}]})
    return reason.strip()


@transaction.atomic
def case_reinvestigate(*, actor: User, case: Case, reason: str) -> Case:
    case = lock_case(case)
    apply_transition(case=case, to=CaseStatus.INVESTIGATION, actor=actor, reason=_require_reason(reason))
    return case


@transaction.atomic
def opinion_revise(*, actor: User, case: Case, reason: str) -> Case:
    """Back from 待公示 to 待出具初审意见 (e.g. data corrected after the opinion)."""
    case = lock_case(case)
    apply_transition(case=case, to=CaseStatus.OPINION, actor=actor, reason=_require_reason(reason))
    return case


def check_separation_of_duties(case: Case, actor: User) -> None:
    if actor.pk == case.accepted_by_id or actor.pk in investigator_ids(case):
        raise BusinessError(
            _("职责分离：受理本案件或参与本案件入户调查的人员不能审批本案件。"),
            code="separation_of_duties",
            status=403,
        )


def _check_level(case: Case, actor: User) -> None:
    if case.approval_level == ApprovalLevel.COUNTY and actor.role != Role.SUPERVISOR:
        raise BusinessError(
            _("救助金额超出街道审批限额，须报县级民政部门审批。"), code="county_approval_required", status=403
        )
    if case.approval_level != ApprovalLevel.COUNTY and actor.role == Role.SUPERVISOR:
        raise BusinessError(
            _("审核确认权限已下放街道：本案件由街道审批。"), code="street_approval_required", status=403
        )


def _first_of_next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _decide_guard(case: Case, actor: User, to: str) -> None:
    if case.status in {CaseStatus.APPROVED, CaseStatus.REFUSED} or Decision.objects.filter(case=case).exists():
        raise Conflict(_("该案件已作出审批决定，不能重复审批。"), code="already_decided")
    check_step(case=case, to=to, actor=actor)
    check_separation_of_duties(case, actor)
    _check_level(case, actor)


@transaction.atomic
def case_confirm(*, actor: User, case: Case, note: str = "") -> Decision:
    """确认批准 after the notice: tier, amounts, start month = month after confirmation, parameters used."""
    case = lock_case(case)
    _decide_guard(case, actor, CaseStatus.APPROVED)
    opinion = latest_opinion(case)
    if opinion is None or opinion.recommendation != Recommendation.APPROVE:
        raise BusinessError(_("初审意见为不予批准，不能确认批准；如有不同意见请退回重新调查。"), code="opinion_refuses")
    today = timezone.localdate()
    decision = Decision.objects.create(
        case=case,
        outcome=Outcome.APPROVED,
        document_no=f"{case.receipt_no}-P",
        tier=opinion.tier,
        monthly_amount=opinion.monthly_amount,
        one_off_amount=opinion.one_off_amount,
        start_month=_first_of_next_month(today),
        evaluation=opinion.evaluation,
        reasons=note.strip(),
        approval_level=case.approval_level,
        decided_on=today,
        decided_by=actor,
    )
    apply_transition(
        case=case,
        to=CaseStatus.APPROVED,
        actor=actor,
        reason=_("批准：%(tier)s，月救助金 %(m)s 元，自 %(start)s 起发放")
        % {
            "tier": Tier(opinion.tier).label,
            "m": opinion.monthly_amount,
            "start": decision.start_month.strftime("%Y-%m") if decision.start_month else "",
        },
    )
    return decision


@transaction.atomic
def case_refuse(*, actor: User, case: Case, reasons: str) -> Decision:
    """不予批准 with written reasons (a printable refusal notice follows)."""
    case = lock_case(case)
    _decide_guard(case, actor, CaseStatus.REFUSED)
    reasons = _require_reason(reasons, "reasons")
    opinion = latest_opinion(case)
    decision = Decision.objects.create(
        case=case,
        outcome=Outcome.REFUSED,
        document_no=f"{case.receipt_no}-R",
        tier=opinion.tier if opinion else "",
        evaluation=opinion.evaluation if opinion else None,
        reasons=reasons,
        approval_level=case.approval_level,
        decided_on=timezone.localdate(),
        decided_by=actor,
    )
    apply_transition(case=case, to=CaseStatus.REFUSED, actor=actor, reason=reasons)
    return decision


@transaction.atomic
def case_send_back(*, actor: User, case: Case, reason: str) -> Case:
    case = lock_case(case)
    check_step(case=case, to=CaseStatus.INVESTIGATION, actor=actor)
    check_separation_of_duties(case, actor)
    case.confirm_due = None
    case.save(update_fields=["confirm_due"])
    apply_transition(case=case, to=CaseStatus.INVESTIGATION, actor=actor, reason=_require_reason(reason))
    return case


@transaction.atomic
def case_withdraw(*, actor: User, case: Case, reason: str) -> Case:
    case = lock_case(case)
    apply_transition(case=case, to=CaseStatus.WITHDRAWN, actor=actor, reason=_require_reason(reason, minimum=2))
    return case
