"""Monitoring pages (主动发现): the street's queue of alerts and leads, the phone-friendly report
form for grid workers, lead follow-up, and "open an application" into the one-window intake."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.errors import BusinessError
from accounts.models import STREET_ROLES, Region, Role
from accounts.selectors import streets_visible_to
from applications.models import Household
from applications.selectors import households_visible_to
from casework.models.monitoring import (
    AlertRule,
    AlertStatus,
    Difficulty,
    LeadStatus,
    ReporterRole,
)
from casework.services import monitoring as svc
from casework.views.enrolment import apply_errors, error_text, staff

TABS = {
    "alerts": gettext_lazy("监测预警"),
    "leads": gettext_lazy("主动发现线索"),
    "overdue": gettext_lazy("逾期未跟进"),
    "handled": gettext_lazy("已处理"),
}


@login_required
def monitoring_queue(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    today = timezone.localdate()
    tab = request.GET.get("tab", "alerts")
    alerts = svc.alerts_visible_to(user)
    leads = svc.leads_visible_to(user)
    rule = request.GET.get("rule", "")
    if rule:
        alerts = alerts.filter(rule_id=rule)
    rows: Any
    if tab == "leads":
        rows = leads.filter(status__in=[LeadStatus.OPEN, LeadStatus.FOLLOWED]).order_by("follow_up_due", "id")
    elif tab == "overdue":
        rows = leads.filter(status=LeadStatus.OPEN, follow_up_due__lt=today).order_by("follow_up_due", "id")
    elif tab == "handled":
        rows = alerts.exclude(status=AlertStatus.OPEN).order_by("-handled_at", "-id")
    else:
        tab = "alerts"
        rows = alerts.filter(status=AlertStatus.OPEN).order_by("-created_at", "-id")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    counts = {
        "alerts": alerts.filter(status=AlertStatus.OPEN).count(),
        "leads": leads.filter(status__in=[LeadStatus.OPEN, LeadStatus.FOLLOWED]).count(),
        "overdue": leads.filter(status=LeadStatus.OPEN, follow_up_due__lt=today).count(),
    }
    return render(
        request,
        "casework/monitoring/queue.html",
        {
            "tab": tab,
            "tab_items": [(key, label, counts.get(key, 0)) for key, label in TABS.items()],
            "page_obj": page,
            "today": today,
            "rules": AlertRule.objects.all(),
            "rule": rule,
            "is_street_staff": user.role in STREET_ROLES,
            "is_clerk": user.role == Role.CLERK,
            "can_scan": user.role in {Role.APPROVER, Role.SUPERVISOR, Role.ADMIN},
        },
    )


class DismissForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("核实情况"), min_length=4, max_length=500)


@login_required
@require_POST
def alert_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = staff(request)
    alert = get_object_or_404(svc.alerts_visible_to(user), pk=pk)
    try:
        if action == "application":
            svc.alert_to_application(actor=user, alert=alert)
            # Into the one-window intake with the household preselected (clerks register there).
            if user.role == Role.CLERK:
                return redirect(f"{reverse('intake')}?household={alert.household_id}")
            messages.success(request, _("已转入申请，请窗口受理人员在“一门受理”登记。"))
        elif action == "dismiss":
            form = DismissForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("请填写核实情况(至少4个字)。"))
                return redirect("monitoring-queue")
            svc.alert_dismiss(actor=user, alert=alert, note=form.cleaned_data["note"])
            messages.success(request, _("预警已处理。"))
        else:
            messages.error(request, _("未知操作。"))
    except (ValidationError, BusinessError) as exc:
        messages.error(request, error_text(exc))
    return redirect("monitoring-queue")


@login_required
@require_POST
def monitoring_scan_now(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    if user.role not in {Role.APPROVER, Role.SUPERVISOR, Role.ADMIN}:
        messages.error(request, _("您的岗位不能执行扫描。"))
        return redirect("monitoring-queue")
    result = svc.monitoring_scan()
    messages.success(
        request,
        _("扫描完成：新部门数据 %(d)d 条，新预警 %(a)d 条。")
        % {"d": result.department_records + result.monitoring_records, "a": result.alerts},
    )
    return redirect("monitoring-queue")


# --- the report form (phone) ---------------------------------------------------------------------------


class LeadForm(forms.Form):
    community = forms.ModelChoiceField(queryset=Region.objects.none(), label=gettext_lazy("社区(村)"), required=False)
    subject_name = forms.CharField(label=gettext_lazy("困难群众姓名"), max_length=32)
    subject_phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=gettext_lazy("住址"), max_length=200)
    difficulties = forms.MultipleChoiceField(
        label=gettext_lazy("困难情形"), choices=Difficulty.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(
        label=gettext_lazy("情况说明"), widget=forms.Textarea(attrs={"rows": 4}), min_length=4, max_length=1000
    )
    urgent = forms.BooleanField(label=gettext_lazy("情况紧急(1个工作日内跟进)"), required=False)
    reporter_name = forms.CharField(label=gettext_lazy("报告人"), max_length=32)
    reporter_role = forms.ChoiceField(label=gettext_lazy("报告人身份"), choices=ReporterRole.choices)
    household = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, street: Region | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Region.objects.filter(parent=street, level=Region.Level.COMMUNITY).order_by("code")
            if street
            else Region.objects.none()
        )


def _street_of(request: HttpRequest) -> Region | None:
    user = staff(request)
    return streets_visible_to(user).filter(code=user.region_id).first()


@login_required
def lead_report(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    street = _street_of(request)
    if street is None or user.role not in STREET_ROLES:
        messages.error(request, _("只有街道工作人员可以登记主动发现线索。"))
        return redirect("monitoring-queue")
    household: Household | None = None
    if request.GET.get("household") or request.POST.get("household"):
        household = get_object_or_404(
            households_visible_to(user), pk=request.GET.get("household") or request.POST.get("household")
        )
    initial: dict[str, Any] = {"reporter_name": user.display_name, "reporter_role": ReporterRole.COMMUNITY_STAFF}
    if household is not None:
        head = household.head
        initial.update(
            {
                "household": household.pk,
                "community": household.community_id,
                "subject_name": head.name if head else "",
                "address": household.address,
            }
        )
    form = LeadForm(request.POST or None, street=street, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            lead = svc.lead_report(
                actor=user,
                street=street,
                community=cd.get("community"),
                subject_name=cd["subject_name"],
                subject_phone=cd.get("subject_phone") or "",
                address=cd["address"],
                difficulties=list(cd["difficulties"]),
                description=cd["description"],
                urgent=bool(cd.get("urgent")),
                reporter_name=cd["reporter_name"],
                reporter_role=cd["reporter_role"],
                household=household,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except BusinessError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("线索已登记，请于 %(d)s 前走访跟进。") % {"d": f"{lead.follow_up_due:%Y-%m-%d}"},
            )
            return redirect("lead-detail", lead.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "casework/monitoring/report.html", {"form": form, "street": street}, status=status)


class FollowUpForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("跟进结果"),
        choices=[(s, label) for s, label in LeadStatus.choices if s != LeadStatus.OPEN],
    )
    note = forms.CharField(
        label=gettext_lazy("走访/跟进情况"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


@login_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    lead = get_object_or_404(svc.leads_visible_to(user), pk=pk)
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.lead_follow_up(
                actor=user, lead=lead, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except BusinessError as exc:
            form.add_error(None, exc.message)
        else:
            if form.cleaned_data["status"] == LeadStatus.APPLICATION and user.role == Role.CLERK:
                target = reverse("intake") + (f"?household={lead.household_id}" if lead.household_id else "")
                return redirect(target)
            messages.success(request, _("跟进情况已登记。"))
            return redirect("lead-detail", lead.pk)
    can_follow = (
        user.role in STREET_ROLES and lead.status in svc.LEAD_TRANSITIONS and bool(svc.LEAD_TRANSITIONS[lead.status])
    )
    return render(
        request,
        "casework/monitoring/lead.html",
        {
            "lead": lead,
            "form": form if can_follow else None,
            "overdue": svc.lead_overdue(lead, timezone.localdate()),
        },
        status=400 if request.method == "POST" else 200,
    )
