"""Volunteers (社工+志愿者): street register, tasks under a social worker, hours recorded."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record, snapshot
from accounts.errors import BusinessError
from accounts.models import Region, Role, User
from accounts.selectors import region_visible_to
from casework.models import Case
from casework.models.volunteers import MAX_HOURS_A_DAY, TaskStatus, Volunteer, VolunteerHours, VolunteerTask
from casework.services.plans import not_in_future, require_case, require_role

VOLUNTEER_STAFF = frozenset({Role.REVIEWER, Role.APPROVER, Role.SOCIAL_WORKER})
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _require_street(actor: User, street_code: str) -> None:
    if len(street_code) != 9 or not region_visible_to(actor, street_code):
        raise BusinessError(_("该街道(乡镇)不在您的管辖范围内。"), code="out_of_scope", status=404)


@transaction.atomic
def volunteer_register(*, actor: User, street: Region, name: str, phone: str, skills: str = "") -> Volunteer:
    require_role(actor, VOLUNTEER_STAFF, _("登记志愿者"))
    _require_street(actor, street.code)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("请填写姓名。")]
    if not MOBILE.match(phone):
        errors["phone"] = [_("请填写11位手机号码。")]
    elif Volunteer.objects.filter(street=street, phone=phone).exists():
        errors["phone"] = [_("该手机号已在本街道登记为志愿者。")]
    if errors:
        raise ValidationError(errors)
    volunteer = Volunteer.objects.create(
        street=street,
        name=name.strip(),
        phone=phone,
        skills=skills,
        registered_on=timezone.localdate(),
        registered_by=actor,
    )
    audit_record(
        actor=actor,
        action="volunteer.register",
        obj=volunteer,
        region_code=street.code,
        after={"name": volunteer.name, "phone": volunteer.phone_masked, "skills": skills},
    )
    return volunteer


@transaction.atomic
def volunteer_task_create(
    *,
    actor: User,
    street: Region,
    social_worker: User,
    title: str,
    scheduled_on: dt.date,
    volunteers: list[Volunteer],
    description: str = "",
    case: Case | None = None,
) -> VolunteerTask:
    """A task led by ``social_worker``; a social worker creates tasks under herself only."""
    require_role(actor, VOLUNTEER_STAFF, _("派发志愿服务任务"))
    _require_street(actor, street.code)
    errors: dict[str, list[str]] = {}
    if social_worker.role != Role.SOCIAL_WORKER or social_worker.region_id != street.code:
        errors["social_worker"] = [_("负责人须为本街道(乡镇)的社工。")]
    elif actor.role == Role.SOCIAL_WORKER and social_worker.pk != actor.pk:
        errors["social_worker"] = [_("社工只能派发由本人负责的任务。")]
    if not title.strip():
        errors["title"] = [_("请填写任务。")]
    if not volunteers:
        errors["volunteers"] = [_("请至少选择一名志愿者。")]
    elif any(v.street_id != street.code or not v.active for v in volunteers):
        errors["volunteers"] = [_("只能选择本街道在册的志愿者。")]
    if errors:
        raise ValidationError(errors)
    if case is not None:
        found = require_case(actor, case)
        if found.street_id != street.code:
            raise ValidationError({"case": [_("案件须属于本街道(乡镇)。")]})
    task = VolunteerTask.objects.create(
        street=street,
        case=case,
        social_worker=social_worker,
        title=title.strip(),
        description=description,
        scheduled_on=scheduled_on,
        created_by=actor,
    )
    task.volunteers.set(volunteers)
    audit_record(
        actor=actor,
        action="volunteer.task_create",
        obj=task,
        region_code=street.code,
        after={
            **snapshot(task, ["title", "social_worker", "scheduled_on", "case"]),
            "volunteers": sorted(v.pk for v in volunteers),
        },
    )
    return task


def _lock_task(actor: User, task: VolunteerTask | int) -> VolunteerTask:
    pk = task if isinstance(task, int) else task.pk
    locked = VolunteerTask.objects.select_for_update().get(pk=pk)
    _require_street(actor, locked.street_id)
    if actor.role == Role.SOCIAL_WORKER and locked.social_worker_id != actor.pk:
        raise BusinessError(_("只有负责该任务的社工可以操作。"), code="not_task_worker", status=403)
    return locked


@transaction.atomic
def volunteer_hours_record(
    *,
    actor: User,
    task: VolunteerTask | int,
    volunteer: Volunteer,
    worked_on: dt.date,
    hours: Decimal,
    note: str = "",
) -> VolunteerHours:
    require_role(actor, VOLUNTEER_STAFF, _("登记志愿服务时长"))
    locked = _lock_task(actor, task)
    if locked.status != TaskStatus.OPEN:
        raise BusinessError(_("任务已完成，不能再登记时长。"), code="task_closed", status=409)
    errors: dict[str, list[str]] = {}
    if not locked.volunteers.filter(pk=volunteer.pk).exists():
        errors["volunteer"] = [_("该志愿者未参加本任务。")]
    if not Decimal("0") < hours <= MAX_HOURS_A_DAY:
        errors["hours"] = [_("服务时长须大于0且不超过%(h)s小时。") % {"h": MAX_HOURS_A_DAY}]
    if VolunteerHours.objects.filter(task=locked, volunteer=volunteer, worked_on=worked_on).exists():
        errors["worked_on"] = [_("该志愿者当天的服务时长已登记。")]
    if errors:
        raise ValidationError(errors)
    not_in_future(worked_on, "worked_on")
    row = VolunteerHours.objects.create(
        task=locked, volunteer=volunteer, worked_on=worked_on, hours=hours, note=note, recorded_by=actor
    )
    audit_record(
        actor=actor,
        action="volunteer.hours",
        obj=row,
        region_code=locked.street_id,
        after={"task": locked.pk, "volunteer": volunteer.pk, "worked_on": worked_on, "hours": hours},
    )
    return row


@transaction.atomic
def volunteer_task_close(*, actor: User, task: VolunteerTask | int, note: str = "") -> VolunteerTask:
    require_role(actor, VOLUNTEER_STAFF, _("结束志愿服务任务"))
    locked = _lock_task(actor, task)
    if locked.status == TaskStatus.DONE:
        return locked
    locked.status = TaskStatus.DONE
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action="volunteer.task_close",
        obj=locked,
        region_code=locked.street_id,
        before={"status": TaskStatus.OPEN},
        after={"status": TaskStatus.DONE},
        reason=note,
    )
    return locked
