"""Assistance plans (资金+实物+服务): the plan, in-kind items, special assistance, social workers.

Each service is one transaction with one audit row per change. ``require_case`` is the access
check every case-linked write shares: the case must be in ``cases_for_user(actor)`` (so another
street's case, or an unassigned case for a social worker, is a 404 — as on the pages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record, snapshot
from accounts.errors import BusinessError
from accounts.models import Role, User
from casework.models import Case, CaseStatus
from casework.models.plans import (
    CASE_HANDLERS,
    SPECIAL_RULES,
    STREET_LEADS,
    AssistancePlan,
    CaseAssignment,
    InKindItem,
    SpecialAssistanceItem,
    entitlement_for,
)
from casework.models.referrals import TargetKind
from casework.selectors_plans import cases_for_user


def require_role(actor: User, roles: Iterable[str], what: str) -> None:
    if actor.role not in set(roles):
        raise BusinessError(
            _("您的岗位(%(role)s)不能%(what)s。") % {"role": Role(actor.role).label, "what": what},
            code="role_forbidden",
            status=403,
        )


def require_case(actor: User, case: Case | int, *, lock: bool = False) -> Case:
    """The case if ``actor`` may work on it (row-locked when ``lock``), else a 404 business error."""
    pk = case if isinstance(case, int) else case.pk
    qs = cases_for_user(actor).filter(pk=pk)
    if lock:
        qs = qs.select_for_update(of=("self",))
    found = qs.first()
    if found is None:
        raise BusinessError(_("该案件不在您的管辖范围内。"), code="out_of_scope", status=404)
    if found.status == CaseStatus.WITHDRAWN:
        raise BusinessError(_("申请已撤回的案件不能制定救助方案。"), code="case_withdrawn", status=409)
    return found


def not_in_future(day: dt.date, field: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: [_("日期不能晚于今天。")]})


def case_tier(case: Case) -> str:
    """The household's tier: the decision's if approved, else the latest opinion's (else blank)."""
    decision = getattr(case, "decision", None)
    if decision is not None and decision.outcome == "approved":
        return str(decision.tier)
    opinion = case.opinions.order_by("-created_at", "-id").first()
    return str(opinion.tier) if opinion is not None else ""


def _ensure_plan(actor: User, case: Case) -> AssistancePlan:
    """The case's plan, created (and audited) on first use; call with the case row locked."""
    plan = AssistancePlan.objects.filter(case=case).first()
    if plan is not None:
        return plan
    plan = AssistancePlan.objects.create(case=case, created_by=actor)
    audit_record(actor=actor, action="plan.create", obj=plan, region_code=case.street_id, after={"case": case.pk})
    return plan


@transaction.atomic
def plan_create(*, actor: User, case: Case | int, goals: str = "") -> AssistancePlan:
    require_role(actor, STREET_LEADS, _("制定救助方案"))
    locked = require_case(actor, case, lock=True)
    plan = _ensure_plan(actor, locked)
    if goals and goals != plan.goals:
        before = snapshot(plan, ["goals"])
        plan.goals = goals
        plan.save(update_fields=["goals", "updated_at"])
        audit_record(
            actor=actor,
            action="plan.update",
            obj=plan,
            region_code=locked.street_id,
            before=before,
            after={"goals": goals},
        )
    return plan


@transaction.atomic
def in_kind_add(
    *,
    actor: User,
    case: Case | int,
    name: str,
    quantity: Decimal,
    unit: str,
    value: Decimal,
    source: str = "",
) -> InKindItem:
    require_role(actor, STREET_LEADS, _("安排实物救助"))
    locked = require_case(actor, case, lock=True)
    if quantity <= 0:
        raise ValidationError({"quantity": [_("数量须大于0。")]})
    if value < 0:
        raise ValidationError({"value": [_("折合金额不能为负数。")]})
    plan = _ensure_plan(actor, locked)
    item = InKindItem.objects.create(
        plan=plan, name=name, quantity=quantity, unit=unit, value=value, source=source, created_by=actor
    )
    audit_record(
        actor=actor,
        action="plan.in_kind_add",
        obj=item,
        region_code=locked.street_id,
        after=snapshot(item, ["name", "quantity", "unit", "value", "source"]),
    )
    return item


@transaction.atomic
def in_kind_deliver(*, actor: User, item: InKindItem | int, delivered_on: dt.date, note: str = "") -> InKindItem:
    require_role(actor, CASE_HANDLERS, _("登记实物发放"))
    pk = item if isinstance(item, int) else item.pk
    locked = InKindItem.objects.select_for_update().select_related("plan").get(pk=pk)
    case = require_case(actor, locked.plan.case_id)
    if locked.delivered_on is not None:
        return locked  # already handed over: nothing changes
    not_in_future(delivered_on, "delivered_on")
    locked.delivered_on = delivered_on
    locked.delivered_by = actor
    locked.delivery_note = note
    locked.save(update_fields=["delivered_on", "delivered_by", "delivery_note"])
    audit_record(
        actor=actor,
        action="plan.in_kind_deliver",
        obj=locked,
        region_code=case.street_id,
        before={"delivered_on": None},
        after={"delivered_on": delivered_on, "note": note},
    )
    return locked


@transaction.atomic
def special_assistance_add(
    *,
    actor: User,
    case: Case | int,
    kind: str,
    need: str,
    department: str = "",
) -> SpecialAssistanceItem:
    """A 专项救助 item with its entitlement, and the drafted referral that will track it."""
    from casework.services.referrals import referral_create

    require_role(actor, STREET_LEADS, _("安排专项救助"))
    locked = require_case(actor, case, lock=True)
    if kind not in SPECIAL_RULES:
        raise ValidationError({"kind": [_("请选择救助类别。")]})
    rule = SPECIAL_RULES[kind]
    tier = case_tier(locked)
    plan = _ensure_plan(actor, locked)
    item = SpecialAssistanceItem.objects.create(
        plan=plan,
        kind=kind,
        department=department or str(rule.department),
        need=need,
        tier=tier,
        entitlement=entitlement_for(kind, tier),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="plan.special_add",
        obj=item,
        region_code=locked.street_id,
        after=snapshot(item, ["kind", "department", "need", "tier", "entitlement"]),
    )
    referral_create(
        actor=actor,
        case=locked,
        target_kind=TargetKind.DEPARTMENT,
        target=item.department,
        need=f"{item.get_kind_display()}：{need}",
        special_item=item,
    )
    return item


@transaction.atomic
def case_assign_social_worker(*, actor: User, case: Case | int, social_worker: User, note: str = "") -> CaseAssignment:
    require_role(actor, STREET_LEADS, _("指派社工"))
    locked = require_case(actor, case, lock=True)
    if social_worker.role != Role.SOCIAL_WORKER or not social_worker.is_active:
        raise ValidationError({"social_worker": [_("请选择在岗的社工。")]})
    if social_worker.region_id != locked.street_id:
        raise ValidationError({"social_worker": [_("只能指派本街道(乡镇)的社工。")]})
    current = CaseAssignment.objects.filter(case=locked, social_worker=social_worker, ended_at__isnull=True).first()
    if current is not None:
        return current
    assignment = CaseAssignment.objects.create(case=locked, social_worker=social_worker, assigned_by=actor, note=note)
    audit_record(
        actor=actor,
        action="case.assign_social_worker",
        obj=locked,
        region_code=locked.street_id,
        after={"social_worker": social_worker.username},
        reason=note,
    )
    return assignment


@transaction.atomic
def case_unassign_social_worker(*, actor: User, assignment: CaseAssignment | int, reason: str) -> CaseAssignment:
    require_role(actor, STREET_LEADS, _("取消社工指派"))
    pk = assignment if isinstance(assignment, int) else assignment.pk
    locked = CaseAssignment.objects.select_for_update().select_related("social_worker").get(pk=pk)
    case = require_case(actor, locked.case_id)
    if locked.ended_at is not None:
        return locked
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写取消指派的原因。")]})
    locked.ended_at = timezone.now()
    locked.ended_by = actor
    locked.save(update_fields=["ended_at", "ended_by"])
    audit_record(
        actor=actor,
        action="case.unassign_social_worker",
        obj=case,
        region_code=case.street_id,
        before={"social_worker": locked.social_worker.username},
        after={"social_worker": None},
        reason=reason,
    )
    return locked
