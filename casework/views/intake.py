"""The one-page intake (一门受理) and the window's list of applications waiting to be accepted."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import BusinessError
from accounts.models import Region, Role, User
from applications import intake as app_intake
from applications.models import Application, ApplicationStatus, Channel, Household
from applications.selectors import households_visible_to
from applications.services import MEMBER_FIELDS
from casework import selectors
from casework.forms import IncomeFormSet, IntakeForm, MemberFormSet, ReasonForm, VehicleFormSet
from casework.services.intake import DuplicateApplication, application_accept, intake_register

HOUSEHOLD_FIELDS = [
    "community",
    "address",
    "phone",
    "bank_name",
    "bank_account",
    "financial_assets",
    "homes",
    "business_employs_others_12m",
    "business_avg_monthly_net_profit",
    "medical_expense_annual",
    "education_expense_annual",
    "rehabilitation_expense_annual",
]
APPLICATION_FIELDS = [
    "assistance_types",
    "help_text",
    "emergency_kind",
    "emergency_date",
    "emergency_cost",
    "emergency_insurance",
    "emergency_other_aid",
]


def _initial_from_household(
    household: Household,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    main = {f: getattr(household, f) for f in HOUSEHOLD_FIELDS if f != "community"}
    main["community"] = household.community_id
    members: list[dict[str, Any]] = []
    incomes: list[dict[str, Any]] = []
    for no, m in enumerate(household.members.filter(active=True).order_by("id"), start=1):
        row = {f: getattr(m, f) for f in MEMBER_FIELDS}
        row["member_id"] = m.pk
        row["id_masked"] = m.id_masked
        members.append(row)
        incomes.extend({"member_no": no, "kind": i.kind, "monthly": i.monthly, "note": i.note} for i in m.incomes.all())
    vehicles = [
        {"description": v.description, "price": v.price, "business_use": v.business_use}
        for v in household.vehicles.all()
    ]
    return main, members, incomes, vehicles


def _initial_from_online(
    application: Application,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    payload = app_intake.online_payload(application)
    assets = payload.get("assets", {})
    main: dict[str, Any] = {
        "community": application.community_id,
        "address": payload.get("address", ""),
        "phone": payload.get("phone", ""),
        "financial_assets": assets.get("financial_assets", "0"),
        "homes": assets.get("homes", 1),
        "channel": Channel.ONLINE,
    }
    main.update({f: getattr(application, f) for f in APPLICATION_FIELDS})
    members: list[dict[str, Any]] = []
    incomes: list[dict[str, Any]] = []
    from accounts.crypto import mask_id

    for no, m in enumerate(payload.get("members", []), start=1):
        members.append(
            {
                "name": m["name"],
                "relation": m.get("relation", "other"),
                "id_masked": mask_id(m["id_number"]),
                "auth_signed": False,
                "serious_illness": bool(m.get("serious_illness")),
                "disability_grade": m.get("disability_grade"),
                "disability_kind": m.get("disability_kind", ""),
                "lives_together": True,
                "has_able_supporter": True,
                "adl_incapable": 0,
            }
        )
        incomes.extend({"member_no": no, "kind": i["kind"], "monthly": i["monthly"]} for i in m.get("incomes", []))
    vehicles = []
    if assets.get("vehicle_price") not in (None, "", "0", "0.00"):
        vehicles.append({"description": _("网上申报车辆"), "price": assets["vehicle_price"], "business_use": False})
    return main, members, incomes, vehicles


def _collect(
    form: IntakeForm, members: Any, incomes: Any, vehicles: Any, street: Region, existing: bool
) -> dict[str, Any]:
    """Forms → the ``data`` mapping of ``intake_register``."""
    cd = form.cleaned_data
    per_member: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in incomes.forms:
        c = f.cleaned_data
        if c and c.get("member_no") and c.get("monthly") is not None:
            per_member[c["member_no"]].append({"kind": c["kind"], "monthly": c["monthly"], "note": c.get("note", "")})
    member_rows, authorisations = [], []
    for no, f in enumerate((f for f in members.forms if f.cleaned_data), start=1):
        c = f.cleaned_data
        row: dict[str, Any] = {k: c.get(k) for k in MEMBER_FIELDS}
        row["incomes"] = per_member.get(no, [])
        if c.get("member_id"):
            row["member_id"] = c["member_id"]
        if c.get("id_number"):
            row["id_number"] = c["id_number"]
        member_rows.append(row)
        authorisations.append(
            {"signed": c.get("auth_signed", False), "signed_on": c.get("auth_signed_on"), "scan": c.get("auth_scan")}
        )
    data: dict[str, Any] = {f: cd.get(f) for f in HOUSEHOLD_FIELDS}
    data["phone"] = cd.get("phone") or ""
    data["bank_account"] = cd.get("bank_account") or ""
    data["bank_name"] = cd.get("bank_name") or ""
    data["street"] = street
    data["members"] = member_rows
    data["vehicles"] = [
        {
            "description": f.cleaned_data.get("description", ""),
            "price": f.cleaned_data["price"],
            "business_use": f.cleaned_data.get("business_use", False),
        }
        for f in vehicles.forms
        if f.cleaned_data and f.cleaned_data.get("price") is not None
    ]
    data["authorisations"] = authorisations
    data["application"] = {f: cd.get(f) for f in APPLICATION_FIELDS}
    data["application"]["channel"] = cd.get("channel") or Channel.WINDOW
    data["application"]["agent_note"] = cd.get("agent_note") or ""
    return data


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        out: list[str] = []
        for field, errors in exc.message_dict.items():
            out.extend(f"{field}: {e}" if field not in {"__all__", "members"} else e for e in errors)
        return out
    return list(exc.messages)


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """一门受理 page: ?household=<户号> for an existing family, ?application=<id> for an online one."""
    user = request.user
    assert isinstance(user, User)
    if user.role != Role.CLERK:
        messages.error(request, _("只有窗口受理人员可以登记和受理申请。"))
        return redirect("case-queue")
    household: Household | None = None
    online: Application | None = None
    if request.GET.get("household"):
        household = get_object_or_404(households_visible_to(user), pk=request.GET["household"])
    if request.GET.get("application"):
        online = get_object_or_404(
            selectors.applications_visible_to(user).filter(status=ApplicationStatus.SUBMITTED),
            pk=request.GET["application"],
        )
        household = online.household
    street = household.street if household else (online.street if online else Region.objects.get(code=user.region_id))

    if household is not None:
        main, member_init, income_init, vehicle_init = _initial_from_household(household)
        if online is not None:
            main.update({f: getattr(online, f) for f in APPLICATION_FIELDS})
    elif online is not None:
        main, member_init, income_init, vehicle_init = _initial_from_online(online)
    else:
        main, member_init, income_init, vehicle_init = {}, [{"relation": "self"}], [], []
    if online is not None:
        main["channel"] = Channel.ONLINE

    duplicates: list[str] = []
    if request.method == "POST":
        form = IntakeForm(request.POST, street=street, lock_channel=online is not None, initial=main)
        members = MemberFormSet(request.POST, request.FILES, prefix="m", initial=member_init)
        incomes = IncomeFormSet(request.POST, prefix="inc")
        vehicles = VehicleFormSet(request.POST, prefix="veh")
        if all(x.is_valid() for x in (form, members, incomes, vehicles)):
            data = _collect(form, members, incomes, vehicles, street, household is not None)
            try:
                result = intake_register(
                    actor=user,
                    data=data,
                    household=household,
                    online_application=online,
                    accept=form.cleaned_data.get("accept_now", False),
                    allow_duplicates=form.cleaned_data.get("allow_duplicates", False),
                )
            except DuplicateApplication as exc:
                duplicates = [d.message for d in exc.duplicates]
                form.add_error(None, exc.message)
            except ValidationError as exc:
                for message in _error_messages(exc):
                    form.add_error(None, message)
            except BusinessError as exc:
                form.add_error(None, exc.message)
            else:
                if result.case is not None:
                    messages.success(
                        request,
                        _("已受理，受理编号 %(no)s。请打印受理通知书交申请人。") % {"no": result.case.receipt_no},
                    )
                    return redirect("case-detail", pk=result.case.pk)
                messages.success(
                    request, _("已登记，受理编号 %(no)s，待受理。") % {"no": result.application.receipt_no}
                )
                return redirect("application-list")
    else:
        form = IntakeForm(street=street, lock_channel=online is not None, initial=main)
        members = MemberFormSet(prefix="m", initial=member_init)
        incomes = IncomeFormSet(prefix="inc", initial=income_init)
        vehicles = VehicleFormSet(prefix="veh", initial=vehicle_init)
    masked = [row.get("id_masked", "") for row in member_init]
    return render(
        request,
        "casework/intake.html",
        {
            "form": form,
            "members": members,
            "member_rows": list(zip(members.forms, masked + [""] * (len(members.forms) - len(masked)), strict=False)),
            "incomes": incomes,
            "vehicles": vehicles,
            "household": household,
            "online": online,
            "street": street,
            "duplicates": duplicates,
            "today": timezone.localdate(),
        },
    )


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    """待受理申请: online and registered-but-not-accepted applications of the area."""
    qs = selectors.submitted_applications(request.user)
    return render(request, "casework/application_list.html", {"applications": qs[:200]})


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
    payload = app_intake.online_payload(application)
    from accounts.crypto import mask_id

    members = [{**m, "id_masked": mask_id(m["id_number"]), "id_number": None} for m in payload.get("members", [])]
    case = getattr(application, "case", None) if application.status == ApplicationStatus.ACCEPTED else None
    return render(
        request,
        "casework/application_detail.html",
        {
            "application": application,
            "members": members,
            "assets": payload.get("assets", {}),
            "address": payload.get("address", ""),
            "case": case,
            "reason_form": ReasonForm(),
        },
    )


@login_required
@require_POST
def application_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    application = get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
    user = request.user
    assert isinstance(user, User)
    try:
        if action == "accept":
            case = application_accept(
                actor=user, application=application, allow_duplicates=bool(request.POST.get("allow_duplicates"))
            )
            messages.success(request, _("已受理，受理编号 %(no)s。") % {"no": case.receipt_no})
            return redirect("case-detail", pk=case.pk)
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写原因。"))
        elif action == "reject":
            app_intake.application_reject(actor=user, application=application, reason=form.cleaned_data["reason"])
            messages.success(request, _("已不予受理。"))
        elif action == "withdraw":
            app_intake.application_withdraw(actor=user, application=application, reason=form.cleaned_data["reason"])
            messages.success(request, _("申请已撤回。"))
    except DuplicateApplication as exc:
        messages.error(request, exc.message + " " + "；".join(d.message for d in exc.duplicates))
    except ValidationError as exc:
        messages.error(request, "；".join(_error_messages(exc)))
    except BusinessError as exc:
        messages.error(request, exc.message)
    return redirect("application-detail", pk=application.pk)
