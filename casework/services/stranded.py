"""Stranded persons (生活无着的流浪乞讨人员): register, short-term help, and the guarded transitions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record, snapshot
from accounts.errors import BusinessError
from accounts.models import Region, Role, User
from accounts.selectors import region_visible_to
from casework.models.stranded import (
    STRANDED_ACTION_TARGETS,
    STRANDED_CLOSED,
    STRANDED_STAFF,
    STRANDED_TRANSITIONS,
    StrandedEvent,
    StrandedHelp,
    StrandedPerson,
    StrandedStatus,
)
from casework.services.plans import not_in_future, require_role

NEEDS_OUTCOME = {StrandedStatus.RETURNED, StrandedStatus.SETTLED}


def _require_street(actor: User, street_code: str) -> None:
    if len(street_code) != 9 or not region_visible_to(actor, street_code):
        raise BusinessError(_("该街道(乡镇)不在您的管辖范围内。"), code="out_of_scope", status=404)


def _lock(actor: User, person: StrandedPerson | int) -> StrandedPerson:
    pk = person if isinstance(person, int) else person.pk
    locked = StrandedPerson.objects.select_for_update().get(pk=pk)
    _require_street(actor, locked.street_id)
    return locked


@transaction.atomic
def stranded_register(
    *,
    actor: User,
    street: Region,
    found_on: dt.date,
    found_place: str,
    name: str = "",
    sex: str = "U",
    approx_age: int | None = None,
    description: str = "",
    claimed_origin: str = "",
) -> StrandedPerson:
    require_role(actor, STRANDED_STAFF, _("登记流浪乞讨人员"))
    _require_street(actor, street.code)
    not_in_future(found_on, "found_on")
    if not found_place.strip():
        raise ValidationError({"found_place": [_("请填写发现地点。")]})
    person = StrandedPerson.objects.create(
        street=street,
        found_on=found_on,
        found_place=found_place.strip(),
        name=name.strip(),
        sex=sex,
        approx_age=approx_age,
        description=description,
        claimed_origin=claimed_origin,
        registered_by=actor,
    )
    StrandedEvent.objects.create(person=person, to_status=person.status, action="register", actor=actor)
    audit_record(
        actor=actor,
        action="stranded.register",
        obj=person,
        region_code=street.code,
        after=snapshot(person, ["found_on", "found_place", "name", "sex", "approx_age", "claimed_origin", "status"]),
    )
    return person


def _apply(actor: User, person: StrandedPerson, to: str, note: str = "", outcome: str = "") -> bool:
    """Move a locked ``person`` to ``to`` through the table; False when it is already there."""
    if person.status == to:
        return False
    step = STRANDED_TRANSITIONS.get(person.status, {}).get(to)
    if step is None:
        raise BusinessError(
            _("当前状态为“%(from)s”，不能变更为“%(to)s”。")
            % {"from": StrandedStatus(person.status).label, "to": StrandedStatus(to).label},
            code="forbidden_transition",
            status=409,
        )
    if actor.role not in step.roles:
        raise BusinessError(
            _("您的岗位(%(role)s)不能执行“%(a)s”。") % {"role": Role(actor.role).label, "a": step.label},
            code="role_forbidden",
            status=403,
        )
    if to in NEEDS_OUTCOME and not outcome.strip():
        field_label = _("返乡目的地") if to == StrandedStatus.RETURNED else _("落户安置地点")
        raise ValidationError({"outcome": [_("请填写%(f)s。") % {"f": field_label}]})
    if to == StrandedStatus.LEFT and not note.strip():
        raise ValidationError({"note": [_("请填写离开情况。")]})
    before = {"status": person.status}
    person.status = to
    update = ["status"]
    if outcome.strip():
        person.outcome = outcome.strip()
        update.append("outcome")
    if to in STRANDED_CLOSED:
        person.closed_on = timezone.localdate()
        update.append("closed_on")
    person.save(update_fields=update)
    StrandedEvent.objects.create(
        person=person, from_status=before["status"], to_status=to, action=step.action, actor=actor, note=note
    )
    audit_record(
        actor=actor,
        action=f"stranded.{step.action}",
        obj=person,
        region_code=person.street_id,
        before=before,
        after={"status": to, "outcome": person.outcome},
        reason=note,
    )
    return True


@transaction.atomic
def stranded_transition(
    *, actor: User, person: StrandedPerson | int, action: str, note: str = "", outcome: str = ""
) -> StrandedPerson:
    if action not in STRANDED_ACTION_TARGETS:
        raise BusinessError(_("未知的操作。"), code="unknown_action")
    locked = _lock(actor, person)
    _apply(actor, locked, STRANDED_ACTION_TARGETS[action], note=note, outcome=outcome)
    return locked


@transaction.atomic
def stranded_help_record(
    *,
    actor: User,
    person: StrandedPerson | int,
    kind: str,
    given_on: dt.date,
    amount: Decimal = Decimal("0"),
    note: str = "",
) -> StrandedHelp:
    """Short-term help; the first help of a newly registered person starts the helping stage."""
    require_role(actor, STRANDED_STAFF, _("登记临时救助"))
    locked = _lock(actor, person)
    if locked.status in STRANDED_CLOSED:
        raise BusinessError(_("该人员已结案，不能再登记救助。"), code="closed", status=409)
    not_in_future(given_on, "given_on")
    if amount < 0:
        raise ValidationError({"amount": [_("金额不能为负数。")]})
    help_row = StrandedHelp.objects.create(
        person=locked, kind=kind, given_on=given_on, amount=amount, note=note, given_by=actor
    )
    audit_record(
        actor=actor,
        action="stranded.help",
        obj=locked,
        region_code=locked.street_id,
        after=snapshot(help_row, ["kind", "given_on", "amount", "note"]),
    )
    if locked.status == StrandedStatus.REGISTERED:
        _apply(actor, locked, StrandedStatus.HELPING, note=help_row.get_kind_display())
    return help_row
