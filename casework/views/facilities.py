"""Care facilities per county (beds, care-type beds against the ≥ 50 % target) and placements."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Region, Role, User
from accounts.selectors import streets_visible_to
from applications.models import CareMode
from casework import forms_plans as f
from casework import selectors_plans as sel
from casework.models.facilities import CARE_BED_TARGET, CareFacility, Placement
from casework.services import facilities as fac
from casework.views.plans import submit, user_of


def _county(user: User) -> Region | None:
    if user.role == Role.SUPERVISOR and user.region_id and len(user.region_id) == 6:
        return user.region
    return None


def _facilities_context(request: HttpRequest, form: Form | None = None) -> dict[str, Any]:
    user = user_of(request)
    county = _county(user)
    facilities = sel.facilities_visible_to(user)
    counties = []
    for region in sel.counties_visible_to(user):
        own = facilities.filter(county=region)
        rows = list(own)
        if rows or region.code == getattr(county, "code", None):
            counties.append({"region": region, "facilities": rows, "share": sel.care_share(own)})
    return {
        "counties": counties,
        "target_percent": int(CARE_BED_TARGET * 100),
        "county": county,
        "facility_form": ((form or f.FacilityForm(streets=streets_visible_to(user))) if county is not None else None),
    }


@login_required
def facilities_page(request: HttpRequest) -> HttpResponse:
    return render(request, "casework/plans/facilities.html", _facilities_context(request))


@login_required
@require_POST
def facility_create(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    county = _county(user)
    if county is None:
        messages.error(request, _("只有县级民政部门可以登记供养服务设施。"))
        return redirect("facilities")
    form = f.FacilityForm(request.POST, streets=streets_visible_to(user))
    _result, status = submit(form, lambda cd: fac.facility_create(actor=user, county=county, **cd))
    if status != 200:
        return render(request, "casework/plans/facilities.html", _facilities_context(request, form), status=status)
    messages.success(request, _("供养服务设施已登记。"))
    return redirect("facilities")


def _candidates(user: User, facility: CareFacility) -> list[tuple[Any, Any]]:
    """(case, member) of approved 特困 cases in the county, institutional care, not yet placed."""
    placed = set(Placement.objects.filter(ended_on__isnull=True).values_list("member_id", flat=True))
    out = []
    for case in sel.tekun_cases(user, facility.county_id).prefetch_related("household__members"):
        for m in case.household.members.all():
            if m.active and m.care_mode == CareMode.INSTITUTIONAL and m.pk not in placed:
                out.append((case, m))
    return out


def _facility_context(
    request: HttpRequest, facility: CareFacility, bound: dict[str, Form] | None = None
) -> dict[str, Any]:
    user = user_of(request)
    bound = bound or {}
    placements = list(sel.placements_of(user, facility))
    can_place = user.role in fac.PLACERS
    return {
        "facility": facility,
        "placements": [(p, bound.get(f"discharge-{p.pk}") or f.DischargeForm(prefix=f"x{p.pk}")) for p in placements],
        "can_place": can_place,
        "place_form": (bound.get("place") or f.PlacementForm(candidates=_candidates(user, facility)))
        if can_place
        else None,
        "beds_form": (bound.get("beds") or f.BedsForm(initial={"beds": facility.beds, "care_beds": facility.care_beds}))
        if _county(user) is not None
        else None,
        "open_action": next(iter(bound), ""),
    }


@login_required
def facility_page(request: HttpRequest, pk: int) -> HttpResponse:
    facility = get_object_or_404(sel.facilities_visible_to(request.user), pk=pk)
    return render(request, "casework/plans/facility.html", _facility_context(request, facility))


@login_required
@require_POST
def facility_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = user_of(request)
    facility = get_object_or_404(sel.facilities_visible_to(user), pk=pk)
    key = action
    form: Form
    if action == "place":
        form = f.PlacementForm(request.POST, candidates=_candidates(user, facility))

        def call(cd: dict[str, Any]) -> Any:
            case_id, member_id = cd["person"]
            member = next(m for c, m in _candidates(user, facility) if c.pk == case_id and m.pk == member_id)
            care = {"auto": None, "yes": True, "no": False}[cd["care"]]
            return fac.facility_place(
                actor=user, facility=facility, case=case_id, member=member, care_bed=care, placed_on=cd["placed_on"]
            )

        message = _("已安排入住。")
    elif action == "beds":
        form = f.BedsForm(request.POST)

        def call(cd: dict[str, Any]) -> Any:
            return fac.facility_update_beds(actor=user, facility=facility, **cd)

        message = _("床位已调整。")
    elif action == "discharge":
        placement = get_object_or_404(Placement, pk=request.POST.get("placement", 0), facility=facility)
        key = f"discharge-{placement.pk}"
        form = f.DischargeForm(request.POST, prefix=f"x{placement.pk}")

        def call(cd: dict[str, Any]) -> Any:
            return fac.facility_discharge(actor=user, placement=placement, **cd)

        message = _("已办理离院。")
    else:
        raise Http404
    _result, status = submit(form, call)
    if status != 200:
        fresh = get_object_or_404(sel.facilities_visible_to(user), pk=pk)
        return render(
            request, "casework/plans/facility.html", _facility_context(request, fresh, {key: form}), status=status
        )
    messages.success(request, message)
    return redirect("facility-detail", pk=facility.pk)
