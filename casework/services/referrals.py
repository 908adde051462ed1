"""Referrals (转介): the one guard over ``REFERRAL_TRANSITIONS`` and the services around it.

Lock the referral, return early if it is already in the target status, refuse a transition the
table does not allow (or a role that may not take it), then write the event row and the audit row
in the same transaction. Sending sets the answer deadline in working days (``casework.workdays``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError
from accounts.models import Role, User
from casework.models import Case, Step
from casework.models.plans import CASE_HANDLERS, SpecialAssistanceItem
from casework.models.referrals import (
    ACTION_TARGETS,
    REFERRAL_TRANSITIONS,
    CaseConference,
    Referral,
    ReferralEvent,
    ReferralResult,
    ReferralStatus,
    TargetKind,
)
from casework.services.plans import not_in_future, require_case, require_role
from casework.workdays import working_deadline


def answer_workdays() -> int:
    """Working days a department has to answer a referral (settings.REFERRAL_ANSWER_WORKDAYS)."""
    return int(getattr(settings, "REFERRAL_ANSWER_WORKDAYS", 10))


def _label(status: str) -> str:
    return str(ReferralStatus(status).label)


def check_referral_step(*, referral: Referral, to: str, actor: User, action: str | None = None) -> Step:
    """The Step for ``referral.status → to`` (taken as ``action`` when named) if ``actor`` may take it."""
    step = REFERRAL_TRANSITIONS.get(referral.status, {}).get(to)
    if step is None or (action is not None and step.action != action):
        raise BusinessError(
            _("转介当前状态为“%(from)s”，不能变更为“%(to)s”。") % {"from": _label(referral.status), "to": _label(to)},
            code="forbidden_transition",
            status=409,
            current_status=referral.status,
        )
    if actor.role not in step.roles:
        raise BusinessError(
            _("您的岗位(%(role)s)不能执行“%(a)s”。") % {"role": Role(actor.role).label, "a": step.label},
            code="role_forbidden",
            status=403,
        )
    return step


@transaction.atomic
def referral_create(
    *,
    actor: User,
    case: Case | int,
    target_kind: str,
    target: str,
    need: str,
    special_item: SpecialAssistanceItem | None = None,
    conference: CaseConference | None = None,
) -> Referral:
    require_role(actor, CASE_HANDLERS, _("转介"))
    locked = require_case(actor, case)
    if target_kind not in TargetKind.values:
        raise ValidationError({"target_kind": [_("请选择接收方类型。")]})
    if not target.strip():
        raise ValidationError({"target": [_("请填写接收部门或机构。")]})
    if not need.strip():
        raise ValidationError({"need": [_("请填写转介事项。")]})
    if conference is not None and conference.case_id != locked.pk:
        raise ValidationError({"conference": [_("会商记录不属于本案件。")]})
    referral = Referral.objects.create(
        case=locked,
        special_item=special_item,
        conference=conference,
        target_kind=target_kind,
        target=target.strip(),
        need=need.strip(),
        created_by=actor,
    )
    ReferralEvent.objects.create(referral=referral, to_status=ReferralStatus.DRAFTED, action="create", actor=actor)
    audit_record(
        actor=actor,
        action="referral.create",
        obj=referral,
        region_code=locked.street_id,
        after={"status": referral.status, "target": referral.target, "need": referral.need},
    )
    return referral


@transaction.atomic
def referral_transition(
    *,
    actor: User,
    referral: Referral | int,
    to: str,
    note: str = "",
    result: str = "",
    answer: str = "",
    on: dt.date | None = None,
    action: str | None = None,
) -> Referral:
    """Move a referral to ``to``. Answering needs ``result`` and the department's ``answer``."""
    pk = referral if isinstance(referral, int) else referral.pk
    locked = Referral.objects.select_for_update().get(pk=pk)
    case = require_case(actor, locked.case_id)
    if locked.status == to:
        return locked
    step = check_referral_step(referral=locked, to=to, actor=actor, action=action)
    today = timezone.localdate()
    day = on or today
    not_in_future(day, "on")
    before = {"status": locked.status}
    after: dict[str, object] = {"status": to}
    update = ["status", "status_changed_at"]
    if to == ReferralStatus.SENT:
        if day < timezone.localtime(locked.created_at).date():
            raise ValidationError({"on": [_("发送日期不能早于转介草拟日期。")]})
        deadline = working_deadline(day, answer_workdays())
        locked.sent_on, locked.due_on, locked.due_provisional = day, deadline.date, deadline.provisional
        update += ["sent_on", "due_on", "due_provisional"]
        after["due_on"] = deadline.date
    elif to == ReferralStatus.ACKNOWLEDGED:
        _not_before_sent(locked, day)
        locked.acknowledged_on = day
        update.append("acknowledged_on")
    elif to == ReferralStatus.ANSWERED:
        errors: dict[str, list[str]] = {}
        if result not in ReferralResult.values:
            errors["result"] = [_("请选择答复结果(予以救助/受理或不予受理)。")]
        if not answer.strip():
            errors["answer"] = [_("请填写对方的答复内容。")]
        if errors:
            raise ValidationError(errors)
        _not_before_sent(locked, day)
        locked.result, locked.answer, locked.answered_on = result, answer.strip(), day
        update += ["result", "answer", "answered_on"]
        after.update(result=result, answer=locked.answer)
    elif to == ReferralStatus.CLOSED:
        if step.action == "withdraw" and not note.strip():
            raise ValidationError({"note": [_("请填写撤销转介的原因。")]})
        locked.closed_on = day
        update.append("closed_on")
    locked.status = to
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=update)
    ReferralEvent.objects.create(
        referral=locked,
        from_status=before["status"],
        to_status=to,
        action=step.action,
        actor=actor,
        note=note or answer,
    )
    audit_record(
        actor=actor,
        action=f"referral.{step.action}",
        obj=locked,
        region_code=case.street_id,
        before=before,
        after=after,
        reason=note,
    )
    return locked


def _not_before_sent(referral: Referral, day: dt.date) -> None:
    if referral.sent_on is not None and day < referral.sent_on:
        raise ValidationError({"on": [_("日期不能早于转介发送日期。")]})


def referral_act(
    *,
    actor: User,
    referral: Referral | int,
    action: str,
    note: str = "",
    result: str = "",
    answer: str = "",
    on: dt.date | None = None,
) -> Referral:
    """``referral_transition`` by action name (send, acknowledge, answer, close, withdraw)."""
    if action not in ACTION_TARGETS:
        raise BusinessError(_("未知的转介操作。"), code="unknown_action")
    return referral_transition(
        actor=actor,
        referral=referral,
        to=ACTION_TARGETS[action],
        note=note,
        result=result,
        answer=answer,
        on=on,
        action=action,
    )
