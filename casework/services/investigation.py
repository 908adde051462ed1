"""Home investigation (入户调查, DOMAIN §6.4): at least two staff of the street, findings, photos.

The investigators may adopt differences found by the economic check as the verified values;
the household is then corrected through the audited ``applications`` services, so the
preliminary opinion runs the engine on verified data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import STREET_ROLES, User
from applications.models import Member
from applications.services import household_update, member_update
from casework.models import Case, CaseStatus, Investigation, InvestigationPhoto
from casework.models.investigation import validate_photo
from casework.services.check import latest_check
from casework.services.transitions import apply_transition, check_step, lock_case

MIN_INVESTIGATORS = 2
MAX_PHOTOS = 10


def eligible_investigators(case: Case) -> list[User]:
    return list(
        User.objects.filter(region_id=case.street_id, role__in=STREET_ROLES, is_active=True).order_by("username")
    )


def _apply_fix(*, actor: User, case: Case, fix: dict[str, Any], reason: str) -> None:
    household = case.household
    op = fix.get("op")
    if op == "set_income":
        member = Member.objects.get(pk=fix["member_id"], household=household, active=True)
        incomes = [
            {"kind": i.kind, "monthly": i.monthly, "note": i.note}
            for i in member.incomes.all()
            if i.kind != fix["kind"]
        ]
        incomes.append({"kind": fix["kind"], "monthly": Decimal(fix["monthly"]), "note": _("入户调查核实")})
        member_update(actor=actor, member=member, data={"incomes": incomes}, reason=reason)
    elif op == "add_vehicle":
        vehicles = [
            {"description": v.description, "price": v.price, "business_use": v.business_use}
            for v in household.vehicles.all()
        ]
        vehicles.append(
            {"description": fix.get("description", ""), "price": Decimal(fix["price"]), "business_use": False}
        )
        household_update(actor=actor, household=household, data={"vehicles": vehicles}, reason=reason)
    elif op == "set_homes":
        household_update(actor=actor, household=household, data={"homes": int(fix["value"])}, reason=reason)
    elif op == "set_financial_assets":
        household_update(
            actor=actor, household=household, data={"financial_assets": Decimal(fix["value"])}, reason=reason
        )
    elif op == "set_business":
        household_update(
            actor=actor,
            household=household,
            data={
                "business_employs_others_12m": bool(fix["employs_others"]),
                "business_avg_monthly_net_profit": Decimal(fix["profit"]),
            },
            reason=reason,
        )


@transaction.atomic
def investigation_record(
    *,
    actor: User,
    case: Case,
    visited_on: dt.date,
    investigator_ids: Sequence[int],
    findings: str,
    adopt: Sequence[str] = (),
    photos: Sequence[UploadedFile] = (),
) -> Investigation:
    case = lock_case(case)
    check_step(case=case, to=CaseStatus.OPINION, actor=actor)
    errors: dict[str, list[str]] = {}
    allowed = {u.pk: u for u in eligible_investigators(case)}
    chosen = list(dict.fromkeys(int(i) for i in investigator_ids))
    if len(chosen) < MIN_INVESTIGATORS:
        errors["investigators"] = [_("入户调查须至少由两名工作人员共同进行。")]
    elif any(i not in allowed for i in chosen):
        errors["investigators"] = [_("调查人员须为本街道在岗工作人员。")]
    today = timezone.localdate()
    if visited_on > today or visited_on < case.accepted_on:
        errors["visited_on"] = [_("入户日期须在受理日期之后、且不晚于今天。")]
    if len(findings.strip()) < 10:
        errors["findings"] = [_("请填写调查情况(至少10个字)。")]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("照片最多上传 %(n)d 张。") % {"n": MAX_PHOTOS}]
    for photo in photos:
        try:
            validate_photo(photo)
        except ValidationError as exc:
            errors.setdefault("photos", []).extend(exc.messages)
    check = latest_check(case)
    available = {d["id"]: d for d in (check.discrepancies if check else [])}
    unknown = [a for a in adopt if a not in available]
    if unknown:
        errors["adopt"] = [_("未知的核对差异：%(ids)s") % {"ids": "、".join(unknown)}]
    if errors:
        raise ValidationError(errors)

    investigation = Investigation.objects.create(
        case=case,
        visited_on=visited_on,
        findings=findings.strip(),
        adopted=[available[a] for a in adopt],
        recorded_by=actor,
    )
    investigation.investigators.set([allowed[i] for i in chosen])
    for photo in photos:
        InvestigationPhoto.objects.create(investigation=investigation, image=photo)
    for item in investigation.adopted:
        if item.get("fix"):
            _apply_fix(
                actor=actor, case=case, fix=item["fix"], reason=_("入户调查核实：%(m)s") % {"m": item["message"]}
            )
    apply_transition(
        case=case,
        to=CaseStatus.OPINION,
        actor=actor,
        reason=_("入户调查(%(d)s)，采纳核对差异 %(n)d 项") % {"d": visited_on.isoformat(), "n": len(adopt)},
    )
    return investigation


def investigator_ids(case: Case) -> set[int]:
    return set(
        Investigation.investigators.through.objects.filter(investigation__case=case).values_list("user_id", flat=True)
    )
