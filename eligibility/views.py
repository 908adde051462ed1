from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.api import staff_user
from accounts.errors import BusinessError
from accounts.models import AuditLog, Region, Role
from eligibility import services
from eligibility.forms import ParameterCorrectionForm, ParameterForm
from eligibility.models import ParameterName, PolicyParameter


def _editable_regions(user: object) -> object:
    staff = user  # type: ignore[assignment]
    if staff.is_superuser or staff.role == Role.ADMIN:  # type: ignore[attr-defined]
        return Region.objects.filter(level__in=[Region.Level.CITY, Region.Level.COUNTY, Region.Level.STREET])
    if staff.role == Role.SUPERVISOR and staff.region_id:  # type: ignore[attr-defined]
        return Region.objects.filter(
            code__startswith=staff.region_id,  # type: ignore[attr-defined]
            level__in=[Region.Level.COUNTY, Region.Level.STREET],
        )
    return Region.objects.none()


@login_required
def parameter_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    name = request.GET.get("name", "")
    rows = PolicyParameter.objects.select_related("region", "changed_by").order_by(
        "name", "region_id", "-effective_from"
    )
    if name:
        rows = rows.filter(name=name)
    grouped: dict[str, list[PolicyParameter]] = defaultdict(list)
    in_force_seen: set[tuple[str, str]] = set()
    today = services.today()
    for row in rows:  # newest first within (name, region)
        if not name and row.effective_from <= today:
            # The overview shows future values and the one in force; ?name= shows the full history.
            if (row.name, row.region_id) in in_force_seen:
                continue
            in_force_seen.add((row.name, row.region_id))
        grouped[row.get_name_display()].append(row)
    history = AuditLog.objects.filter(Q(action__startswith="parameter."))[:30]
    return render(
        request,
        "eligibility/parameter_list.html",
        {
            "grouped": dict(grouped),
            "names": ParameterName.choices,
            "name": name,
            "history": history,
            "can_edit": _editable_regions(user).exists(),  # type: ignore[attr-defined]
            "today": today,
        },
    )


@login_required
def parameter_new(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    regions = _editable_regions(user)
    if not regions.exists():  # type: ignore[attr-defined]
        raise PermissionDenied
    form = ParameterForm(request.POST or None, regions=regions, initial={"name": request.GET.get("name", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.parameter_add(
                actor=user,
                name=data["name"],
                region=data["region"],
                effective_from=data["effective_from"],
                value=data["typed_value"],
                source=data["source"],
                note=data.get("note", ""),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except BusinessError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已新增参数取值，自生效日期起适用；此前的认定不受影响。")
            return redirect("parameter-list")
    return render(request, "eligibility/parameter_form.html", {"form": form})


@login_required
def parameter_correct(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    parameter = get_object_or_404(PolicyParameter.objects.select_related("region"), pk=pk)
    if not services.can_edit_parameters_of(user, parameter.region):
        raise PermissionDenied
    form = ParameterCorrectionForm(
        request.POST or None, initial={"value": parameter.value, "source": parameter.source, "note": parameter.note}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.parameter_update(
                actor=user,
                parameter=parameter,
                value=data["value"],
                source=data["source"],
                note=data["note"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except BusinessError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已更正尚未生效的参数取值。")
            return redirect("parameter-list")
    return render(request, "eligibility/parameter_correct.html", {"form": form, "parameter": parameter})
