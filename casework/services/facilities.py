"""Care facilities and the placement of institutional 特困 persons (集中供养).

``facility_place`` locks the facility row, then counts the beds in use: two placements racing for
the last bed are serialised, and the second one is refused.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record, snapshot
from accounts.errors import BusinessError
from accounts.models import Region, Role, User
from applications.models import CareMode, Member
from casework.models import Case
from casework.models.facilities import CareFacility, FacilityKind, Placement
from casework.services.plans import not_in_future, require_case, require_role
from casework.services.services_catalogue import require_county

PLACERS = frozenset({Role.SUPERVISOR, Role.APPROVER})


def _check_beds(beds: int, care_beds: int) -> None:
    errors: dict[str, list[str]] = {}
    if beds <= 0:
        errors["beds"] = [_("床位数须大于0。")]
    if care_beds < 0 or care_beds > beds:
        errors["care_beds"] = [_("护理型床位数须在 0 至床位数之间。")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def facility_create(
    *,
    actor: User,
    county: Region,
    name: str,
    kind: str,
    beds: int,
    care_beds: int,
    street: Region | None = None,
    address: str = "",
) -> CareFacility:
    county_code = require_county(actor, county, _("登记供养服务设施"))
    _check_beds(beds, care_beds)
    if kind not in FacilityKind.values:
        raise ValidationError({"kind": [_("请选择设施类型。")]})
    if street is not None and not street.code.startswith(county_code):
        raise ValidationError({"street": [_("所在街道(乡镇)须属于本县(市、区)。")]})
    if CareFacility.objects.filter(county_id=county_code, name=name).exists():
        raise ValidationError({"name": [_("该设施已登记。")]})
    facility = CareFacility.objects.create(
        county_id=county_code,
        street=street,
        name=name,
        kind=kind,
        address=address,
        beds=beds,
        care_beds=care_beds,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="facility.create",
        obj=facility,
        region_code=county_code,
        after=snapshot(facility, ["name", "kind", "street", "beds", "care_beds"]),
    )
    return facility


@transaction.atomic
def facility_update_beds(
    *, actor: User, facility: CareFacility | int, beds: int, care_beds: int, reason: str
) -> CareFacility:
    pk = facility if isinstance(facility, int) else facility.pk
    locked = CareFacility.objects.select_for_update().get(pk=pk)
    county_code = require_county(actor, locked.county_id, _("调整床位"))
    if (locked.beds, locked.care_beds) == (beds, care_beds):
        return locked
    _check_beds(beds, care_beds)
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写调整原因。")]})
    active = locked.placements.filter(ended_on__isnull=True)
    if beds < active.count():
        raise ValidationError({"beds": [_("床位数不能少于在住人数(%(n)d)。") % {"n": active.count()}]})
    if care_beds < active.filter(care_bed=True).count():
        raise ValidationError({"care_beds": [_("护理型床位数不能少于占用护理型床位的在住人数。")]})
    before = snapshot(locked, ["beds", "care_beds"])
    locked.beds, locked.care_beds = beds, care_beds
    locked.save(update_fields=["beds", "care_beds"])
    audit_record(
        actor=actor,
        action="facility.update_beds",
        obj=locked,
        region_code=county_code,
        before=before,
        after=snapshot(locked, ["beds", "care_beds"]),
        reason=reason,
    )
    return locked


@transaction.atomic
def facility_place(
    *,
    actor: User,
    facility: CareFacility | int,
    case: Case | int,
    member: Member,
    care_bed: bool | None = None,
    placed_on: dt.date | None = None,
) -> Placement:
    """Place an institutional 特困 person of ``case``; refused when no (care-type) bed is free."""
    require_role(actor, PLACERS, _("安排集中供养入住"))
    found = require_case(actor, case)
    pk = facility if isinstance(facility, int) else facility.pk
    locked = CareFacility.objects.select_for_update().filter(pk=pk).first()
    if locked is None or not found.street_id.startswith(locked.county_id):
        raise ValidationError({"facility": [_("请选择本县(市、区)的供养服务设施。")]})
    decision = getattr(found, "decision", None)
    if decision is None or decision.outcome != "approved" or decision.tier != "tekun":
        raise BusinessError(_("只有已批准的特困人员救助供养案件才能安排集中供养。"), code="not_tekun", status=409)
    if member.household_id != found.household_id or not member.active:
        raise ValidationError({"member": [_("请选择本案家庭的在册成员。")]})
    if member.care_mode != CareMode.INSTITUTIONAL:
        raise ValidationError({"member": [_("该成员的供养方式为分散供养，不能安排集中供养。")]})
    if not locked.active:
        raise BusinessError(_("该设施已停止运营。"), code="facility_inactive", status=409)
    if Placement.objects.filter(member=member, ended_on__isnull=True).exists():
        raise BusinessError(_("该对象已在供养服务设施入住。"), code="already_placed", status=409)
    day = placed_on or timezone.localdate()
    not_in_future(day, "placed_on")
    needs_care = member.adl_incapable > 0 if care_bed is None else care_bed
    active = locked.placements.filter(ended_on__isnull=True)
    if active.count() >= locked.beds:
        raise BusinessError(_("%(f)s 床位已满。") % {"f": locked.name}, code="no_bed", status=409)
    if needs_care and active.filter(care_bed=True).count() >= locked.care_beds:
        raise BusinessError(_("%(f)s 护理型床位已满。") % {"f": locked.name}, code="no_care_bed", status=409)
    placement = Placement.objects.create(
        facility=locked, case=found, member=member, care_bed=needs_care, placed_on=day, placed_by=actor
    )
    audit_record(
        actor=actor,
        action="facility.place",
        obj=placement,
        region_code=found.street_id,
        after={"facility": locked.pk, "member": member.pk, "care_bed": needs_care, "placed_on": day},
    )
    return placement


@transaction.atomic
def facility_discharge(
    *, actor: User, placement: Placement | int, reason: str, ended_on: dt.date | None = None
) -> Placement:
    require_role(actor, PLACERS, _("办理离院"))
    pk = placement if isinstance(placement, int) else placement.pk
    locked = Placement.objects.select_for_update().get(pk=pk)
    case = require_case(actor, locked.case_id)
    if locked.ended_on is not None:
        return locked
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写离院原因。")]})
    day = ended_on or timezone.localdate()
    not_in_future(day, "ended_on")
    if day < locked.placed_on:
        raise ValidationError({"ended_on": [_("离院日期不能早于入住日期。")]})
    locked.ended_on, locked.end_reason, locked.ended_by = day, reason.strip(), actor
    locked.save(update_fields=["ended_on", "end_reason", "ended_by"])
    audit_record(
        actor=actor,
        action="facility.discharge",
        obj=locked,
        region_code=case.street_id,
        before={"ended_on": None},
        after={"ended_on": day},
        reason=reason,
    )
    return locked
