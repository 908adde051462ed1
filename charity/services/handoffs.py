"""The hand-off life cycle: refer (with the family's consent), accept, decline, withdraw, close.

``apply_transition`` is the one guard (STYLE §4–5): the row is locked by the caller, nothing happens
when the status is already the target, a move the table does not allow (or a role that may not take
it) is refused with a clear Chinese message, and the timeline row and the audit row are written in
the same transaction. Approving and paying live in ``charity.services.grants``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError, Conflict
from accounts.models import Role, User
from accounts.selectors import region_visible_to
from charity.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    REFERRER_ROLES,
    TRANSITIONS,
    Fund,
    HandOff,
    HandOffEvent,
    HandOffStatus,
    NeedType,
    Step,
)
from charity.services.common import money, require_reason

SCAN_EXTENSIONS = {"pdf": b"%PDF-", "jpg": b"\xff\xd8\xff", "jpeg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n"}
SCAN_MAX_BYTES = 5 * 1024 * 1024


def _status_label(status: str) -> str:
    return str(HandOffStatus(status).label) if status in HandOffStatus.values else status


def lock_handoff(handoff: HandOff | int | None) -> HandOff:
    """Re-read the hand-off under a row lock (inside the caller's transaction)."""
    assert handoff is not None
    pk = handoff if isinstance(handoff, int) else handoff.pk
    return (
        HandOff.objects.select_for_update(of=("self",))
        .select_related("fund", "street", "case", "case__household")
        .get(pk=pk)
    )


def check_step(*, handoff: HandOff, to: str, actor: User) -> Step:
    """The Step for ``handoff.status → to`` if ``actor`` may take it; otherwise raise."""
    if not region_visible_to(actor, handoff.street_id):
        raise BusinessError(_("该衔接记录不在您的管辖范围内。"), code="out_of_scope", status=404)
    step = TRANSITIONS.get(handoff.status, {}).get(to)
    if step is None:
        if handoff.status in FINAL_STATUSES:
            message = _("该衔接已办结(%(from)s)，不能再变更为“%(to)s”。")
        else:
            message = _("该衔接当前状态为“%(from)s”，不能变更为“%(to)s”。")
        raise Conflict(
            message % {"from": _status_label(handoff.status), "to": _status_label(to)},
            code="forbidden_transition",
            current_status=handoff.status,
        )
    if actor.role not in step.roles:
        raise BusinessError(
            _("您的岗位(%(role)s)不能执行“%(a)s”。") % {"role": Role(actor.role).label, "a": step.label},
            code="role_forbidden",
            status=403,
        )
    return step


def apply_transition(
    *,
    handoff: HandOff,
    to: str,
    actor: User,
    reason: str = "",
    amount: Decimal | None = None,
    changes: dict[str, Any] | None = None,
) -> bool:
    """Move an already locked ``handoff`` to ``to``; False (and no rows) when it is already there."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_transition must run inside the caller's transaction")
    if handoff.status == to:
        return False
    step = check_step(handoff=handoff, to=to, actor=actor)
    if step.needs_reason:
        reason = require_reason(reason)
    before = {"status": handoff.status}
    now = timezone.now()
    handoff.status = to
    handoff.status_changed_at = now
    fields = ["status", "status_changed_at"]
    for name, value in (changes or {}).items():
        before[name] = getattr(handoff, name)
        setattr(handoff, name, value)
        fields.append(name)
    handoff.save(update_fields=fields)
    HandOffEvent.objects.create(
        handoff=handoff,
        action=step.action,
        from_status=before["status"],
        to_status=to,
        actor=actor,
        at=now,
        amount=amount,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action=f"charity.handoff_{step.action}",
        obj=handoff,
        region_code=handoff.street_id,
        before=before,
        after={"status": to, **(changes or {}), **({"amount": amount} if amount is not None else {})},
        reason=reason,
    )
    return True


def validate_consent_scan(upload: File) -> None:
    """PDF, JPG or PNG only (by extension *and* leading bytes), at most 5 MB."""
    name = (upload.name or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext not in SCAN_EXTENSIONS:
        raise ValidationError({"consent_scan": _("同意书扫描件只接受 PDF、JPG 或 PNG 文件。")})
    if upload.size is not None and upload.size > SCAN_MAX_BYTES:
        raise ValidationError({"consent_scan": _("同意书扫描件不能超过 5 MB。")})
    handle = upload.file
    assert handle is not None
    handle.seek(0)
    head = handle.read(8)
    handle.seek(0)
    if not bytes(head).startswith(SCAN_EXTENSIONS[ext]):
        raise ValidationError({"consent_scan": _("文件内容与扩展名不符，请上传真实的 PDF、JPG 或 PNG 文件。")})


def _referral_errors(
    *,
    case: Any,
    fund: Fund,
    need_type: str,
    description: str,
    consent_by: str,
    consent_on: dt.date | None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not consent_by:
        errors["consent_by"] = _("必须记录家庭同意转介的同意人；未经家庭同意不得将其信息转介慈善组织。")
    if consent_on is None:
        errors["consent_on"] = _("请填写家庭同意转介的日期。")
    elif consent_on > timezone.localdate():
        errors["consent_on"] = _("同意日期不能晚于今天。")
    if need_type not in NeedType.values:
        errors["need_type"] = _("请选择需求类别。")
    if len(description) < 4:
        errors["description"] = _("请说明政府救助未能覆盖的需求(至少 4 个字)。")
    home = case.household.community_id or case.street_id
    if not fund.active or not fund.covers(home):
        errors["fund"] = _("基金“%(f)s”不承接本案件所在区域的转介，请另选基金。") % {"f": fund.name}
    return errors


@transaction.atomic
def handoff_refer(
    *,
    actor: User,
    case: Any,
    fund: Fund,
    need_type: str,
    description: str,
    amount_asked: Decimal | str,
    consent_by: str,
    consent_on: dt.date | None,
    consent_relation: str = "",
    consent_scan: File | None = None,
) -> HandOff:
    """转介: refer a case's unmet need to a fund. Any case status will do — a case refused by
    government assistance whose family is still in hardship is exactly what the fund is for."""
    if actor.role not in REFERRER_ROLES:
        raise BusinessError(
            _("只有街道工作人员或县级民政监督人员可以转介慈善救助。"), code="role_forbidden", status=403
        )
    if not region_visible_to(actor, case.street_id):
        raise BusinessError(_("该案件不在您的管辖范围内。"), code="out_of_scope", status=404)
    description = (description or "").strip()
    consent_by = (consent_by or "").strip()
    errors = _referral_errors(
        case=case,
        fund=fund,
        need_type=need_type,
        description=description,
        consent_by=consent_by,
        consent_on=consent_on,
    )
    try:
        amount = money(amount_asked, field="amount_asked")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if consent_scan:
        try:
            validate_consent_scan(consent_scan)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    assert consent_on is not None
    open_one = HandOff.objects.filter(case=case, need_type=need_type, status__in=OPEN_STATUSES).first()
    if open_one is not None:
        raise Conflict(
            _("该案件已有进行中的“%(n)s”慈善衔接(%(h)s)，请勿重复转介。")
            % {"n": NeedType(need_type).label, "h": open_one.number},
            code="duplicate_handoff",
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            handoff = HandOff.objects.create(
                case=case,
                street_id=case.street_id,
                fund=fund,
                need_type=need_type,
                description=description,
                amount_asked=amount,
                consent_by=consent_by,
                consent_relation=(consent_relation or "").strip(),
                consent_on=consent_on,
                consent_scan=consent_scan or "",
                referred_by=actor,
                referred_at=now,
                status_changed_at=now,
            )
    except IntegrityError:  # a concurrent referral of the same need won the race
        raise Conflict(_("该案件已有进行中的同类慈善衔接，请勿重复转介。"), code="duplicate_handoff") from None
    HandOffEvent.objects.create(
        handoff=handoff,
        action="refer",
        from_status="",
        to_status=HandOffStatus.REFERRED,
        actor=actor,
        at=now,
        amount=amount,
        reason=description,
    )
    audit_record(
        actor=actor,
        action="charity.handoff_refer",
        obj=handoff,
        region_code=handoff.street_id,
        after={
            "case": case.pk,
            "fund": fund.name,
            "need_type": need_type,
            "amount_asked": amount,
            "consent_by": consent_by,
            "consent_on": consent_on,
            "consent_scan": bool(consent_scan),
        },
        reason=description,
    )
    return handoff


@transaction.atomic
def handoff_accept(*, actor: User, handoff: HandOff, note: str = "") -> HandOff:
    locked = lock_handoff(handoff)
    apply_transition(handoff=locked, to=HandOffStatus.ACCEPTED, actor=actor, reason=note, changes={"handled_by": actor})
    return locked


@transaction.atomic
def handoff_decline(*, actor: User, handoff: HandOff, reason: str) -> HandOff:
    """不予资助 (from referred or accepted) or 撤销资助 (from approved, before payment)."""
    locked = lock_handoff(handoff)
    if locked.status == HandOffStatus.DECLINED:
        return locked
    check_step(handoff=locked, to=HandOffStatus.DECLINED, actor=actor)
    reason = require_reason(reason)
    apply_transition(
        handoff=locked,
        to=HandOffStatus.DECLINED,
        actor=actor,
        reason=reason,
        changes={"decision_reason": reason, "handled_by": locked.handled_by or actor},
    )
    return locked


@transaction.atomic
def handoff_withdraw(*, actor: User, handoff: HandOff, reason: str) -> HandOff:
    locked = lock_handoff(handoff)
    if locked.status == HandOffStatus.WITHDRAWN:
        return locked
    check_step(handoff=locked, to=HandOffStatus.WITHDRAWN, actor=actor)
    reason = require_reason(reason)
    apply_transition(
        handoff=locked, to=HandOffStatus.WITHDRAWN, actor=actor, reason=reason, changes={"decision_reason": reason}
    )
    return locked


@transaction.atomic
def handoff_close(*, actor: User, handoff: HandOff, note: str = "") -> HandOff:
    locked = lock_handoff(handoff)
    apply_transition(
        handoff=locked, to=HandOffStatus.CLOSED, actor=actor, reason=note, changes={"closed_at": timezone.now()}
    )
    return locked
