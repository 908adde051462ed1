"""Pages of enrolled households (保障对象): list, detail with the period history, enrol a waiting
decision, grant the bridging month, record a reported change (immediate re-check).

Views validate input; services decide. Every queryset is scoped (another street's record is a 404).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.errors import BusinessError
from accounts.frozen import FrozenQuery
from accounts.labels import choice_labels
from accounts.links import link
from accounts.models import Role, User
from casework.models import Tier
from casework.models.enrolment import (
    CASH_TIERS,
    BridgingPayment,
    ChangeKind,
    EnrolmentStatus,
)
from casework.services import enrolment as svc
from casework.services.reverification import reverification_request, review_tasks_visible_to

# --- shared helpers of the issue-5 pages ----------------------------------------------------------------


def staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form (field errors where the field exists)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def error_text(exc: ValidationError | BusinessError) -> str:
    if isinstance(exc, BusinessError):
        return exc.message
    if hasattr(exc, "error_dict"):
        return "；".join(e for errors in exc.message_dict.values() for e in errors)
    return "；".join(exc.messages)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("情况说明"),
        min_length=4,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("请填写说明。"), "min_length": gettext_lazy("至少4个字。")},
    )


# --- pages ------------------------------------------------------------------------------------------


@login_required
def enrolment_list(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    qs = svc.enrolments_visible_to(user)
    status = request.GET.get("status", "open")
    if status == "open":
        qs = qs.exclude(status=EnrolmentStatus.CLOSED)
    elif status in EnrolmentStatus.values:
        qs = qs.filter(status=status)
    tier = request.GET.get("tier", "")
    if tier in Tier.values:
        qs = qs.filter(tier=tier)
    q = request.GET.get("q", "").strip()
    if q:
        condition = Q(household__members__name__contains=q, household__members__active=True)
        if q.isdigit():
            condition |= Q(household_id=int(q))
        qs = qs.filter(condition).distinct()
    qs = qs.prefetch_related("household__members").order_by("street_id", "household_id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    waiting = svc.decisions_waiting_for_enrolment(user)
    context = {
        "page_obj": page,
        "status": status,
        "tier": tier,
        "q": q,
        "statuses": EnrolmentStatus.choices,
        "tiers": [(t, label) for t, label in Tier.choices if t not in {Tier.NONE, Tier.EMERGENCY}],
        "waiting": list(waiting[:50]),
        "can_enrol": user.role == Role.APPROVER,
        "today": timezone.localdate(),
    }
    return render(request, "casework/enrolment/list.html", context)


@login_required
def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    enrolment = get_object_or_404(svc.enrolments_visible_to(user), pk=pk)
    bridging = BridgingPayment.objects.filter(enrolment=enrolment).select_related("granted_by").first()
    first = enrolment.periods.order_by("seq").first()
    can_bridge = (
        user.role == Role.APPROVER
        and bridging is None
        and enrolment.status == EnrolmentStatus.ACTIVE
        and enrolment.tier in CASH_TIERS
        and first is not None
        and first.kind == ChangeKind.ENROL
    )
    context = {
        "enrolment": enrolment,
        "household": enrolment.household,
        "members": list(enrolment.household.members.filter(active=True).order_by("id")),
        "periods": list(enrolment.periods.select_related("created_by", "decision").order_by("seq")),
        "bridging": bridging,
        "can_bridge": can_bridge,
        "tasks": list(review_tasks_visible_to(user).filter(enrolment=enrolment).order_by("-created_at")[:20]),
        "recheck_form": ReasonForm()
        if user.role in svc.STREET_STAFF and enrolment.status == EnrolmentStatus.ACTIVE
        else None,
        "today": timezone.localdate(),
    }
    return render(request, "casework/enrolment/detail.html", context)


@login_required
@require_POST
def enrolment_enrol_decision(request: HttpRequest, decision_pk: int) -> HttpResponse:
    user = staff(request)
    decision = get_object_or_404(svc.decisions_waiting_for_enrolment(user), pk=decision_pk)
    if user.role != Role.APPROVER:
        messages.error(request, _("只有街道审批人员可以办理纳入。"))
        return redirect("enrolment-list")
    try:
        enrolment = svc.enrolment_create_from_decision(decision=decision, actor=user)
    except (ValidationError, BusinessError) as exc:
        messages.error(request, error_text(exc))
        return redirect("enrolment-list")
    if enrolment is None:
        messages.error(request, _("该决定不需要纳入保障。"))
        return redirect("enrolment-list")
    messages.success(request, _("已纳入保障。"))
    return redirect("enrolment-detail", enrolment.pk)


@login_required
@require_POST
def enrolment_bridging(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    enrolment = get_object_or_404(svc.enrolments_visible_to(user), pk=pk)
    try:
        payment = svc.bridging_grant(actor=user, enrolment=enrolment, reason=request.POST.get("reason", ""))
    except (ValidationError, BusinessError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("已发放过渡期临时救助 %(a)s 元，随 %(m)s 发放名册发放。")
            % {"a": payment.amount, "m": f"{payment.pay_from_month:%Y-%m}"},
        )
    return redirect("enrolment-detail", enrolment.pk)


@login_required
@require_POST
def enrolment_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    enrolment = get_object_or_404(svc.enrolments_visible_to(user), pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            reverification_request(actor=user, household=enrolment.household, reason=form.cleaned_data["reason"])
        except (ValidationError, BusinessError) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("已登记家庭报告的变化，并发起即时复核；结果有变化时生成复核待办。"))
            return redirect("enrolment-detail", enrolment.pk)
    else:
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("enrolment-detail", enrolment.pk)


# What the household page's enrolment panel shows (templates/jinja2/casework/enrolment/household_panel.html):
# not the household, street, case and period joins of ``enrolments_visible_to``.
_HOUSEHOLD_PANEL_COLUMNS = ("household", "status", "tier", "monthly_amount", "next_review_due")


def _household_enrolment(user: Any, household_id: int) -> QuerySet[Any]:
    return (
        svc.enrolments_visible_to(user)
        .filter(household_id=household_id)
        .select_related(None)
        .only(*_HOUSEHOLD_PANEL_COLUMNS)
        .order_by("-id")[:1]
    )


_HOUSEHOLD_ENROLMENT: FrozenQuery[Any] = FrozenQuery(_household_enrolment)  # compiled once per kind of user


_PANEL_STATUS_CLASS = {"active": "ok", "exiting": "warn"}  # the badge's colour; else "bad"


def household_panel_context(request: HttpRequest, household: Any) -> dict[str, Any] | None:
    """The household page's enrolment panel (see casework.hooks)."""
    found = _HOUSEHOLD_ENROLMENT.rows("household-enrolment", user=request.user, household_id=household.pk)
    if not found:
        return None
    enrolment = found[0]
    tiers = choice_labels(Tier, lambda: Tier.choices)
    statuses = choice_labels(EnrolmentStatus, lambda: EnrolmentStatus.choices)
    return {
        "template": "casework/enrolment/household_panel.html",
        "using": "jinja2",
        "enrolment": enrolment,
        "tier_label": tiers.get(enrolment.tier, enrolment.tier),
        "status_label": statuses.get(enrolment.status, enrolment.status),
        "status_class": _PANEL_STATUS_CLASS.get(enrolment.status, "bad"),
        "review_due": enrolment.next_review_due.isoformat(),  # as |date:"Y-m-d" prints it
        "url": link("enrolment-detail", enrolment.pk),
    }
