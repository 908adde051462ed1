"""The one guard for case status changes (STYLE §4–5).

Lock the row, return early when nothing changes, refuse a transition the table does not allow
(or a role that may not take it) with a clear Chinese message, then write the history row and
the audit row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError
from accounts.models import Role, User
from accounts.selectors import region_visible_to
from casework.models import CLOSED_STATUSES, TRANSITIONS, Case, CaseStatus, CaseTransition, Step

SYSTEM_LABEL = "system"


def _label(status: str) -> str:
    return str(CaseStatus(status).label) if status in CaseStatus.values else status


def lock_case(case: Case | int) -> Case:
    """Re-read the case under a row lock (inside the caller's transaction)."""
    pk = case if isinstance(case, int) else case.pk
    return Case.objects.select_for_update().select_related("application", "household", "street").get(pk=pk)


def check_step(*, case: Case, to: str, actor: User | None) -> Step:
    """The Step for ``case.status → to`` if ``actor`` (``None`` = the system) may take it; else raise."""
    step = TRANSITIONS.get(case.status, {}).get(to)
    if step is None:
        if case.status in CLOSED_STATUSES:
            message = _("案件已办结(%(from)s)，不能再变更为“%(to)s”。")
        else:
            message = _("案件当前状态为“%(from)s”，不能变更为“%(to)s”。")
        raise BusinessError(
            message % {"from": _label(case.status), "to": _label(to)},
            code="forbidden_transition",
            status=409,
            current_status=case.status,
        )
    if actor is None:
        if not step.system:
            raise BusinessError(_("“%(a)s”须由工作人员操作。") % {"a": step.label}, code="needs_person")
        return step
    if not region_visible_to(actor, case.street_id):
        raise BusinessError(_("该案件不在您的管辖范围内。"), code="out_of_scope", status=404)
    if actor.role not in step.roles:
        raise BusinessError(
            _("您的岗位(%(role)s)不能执行“%(a)s”。") % {"role": Role(actor.role).label, "a": step.label},
            code="role_forbidden",
            status=403,
        )
    return step


def apply_transition(
    *, case: Case, to: str, actor: User | None, reason: str = "", also_save: Sequence[str] = ()
) -> bool:
    """Move an already locked ``case`` to ``to``; False (and no rows) when it is already there.

    ``also_save``: other fields of ``case`` the caller changed, written by the status's UPDATE (so not
    at all when this returns False).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_transition must run inside the caller's transaction")
    if case.status == to:
        return False
    step = check_step(case=case, to=to, actor=actor)
    from_status = case.status
    case.status = to
    case.status_changed_at = timezone.now()
    update = ["status", "status_changed_at", *also_save]
    if to in CLOSED_STATUSES:
        case.closed_on = timezone.localdate()
        update.append("closed_on")
    case.save(update_fields=update)
    label = actor.username if actor is not None else SYSTEM_LABEL
    CaseTransition.objects.create(
        case=case,
        from_status=from_status,
        to_status=to,
        action=step.action,
        actor=actor,
        actor_label=label,
        reason=reason,
    )
    audit_record(
        actor=actor,
        actor_label=label,
        action=f"case.{step.action}",
        obj=case,
        region_code=case.street_id,
        before={"status": from_status},
        after={"status": to},
        reason=reason,
    )
    return True


@transaction.atomic
def case_transition(*, case: Case | int, to: str, actor: User | None, reason: str = "") -> Case:
    """Public guard for a plain status change (no other data): lock, check, record."""
    locked = lock_case(case)
    apply_transition(case=locked, to=to, actor=actor, reason=reason)
    return locked
