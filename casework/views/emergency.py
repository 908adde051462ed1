"""Public emergencies (突发公共事件), reserve funds (备用金) and county approval of large payments."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import BusinessError
from accounts.models import Region, Role, User
from accounts.selectors import regions_visible_to, streets_visible_to
from casework import selectors
from casework.forms import CountyDecisionForm, PublicEmergencyForm, TopUpForm
from casework.models import EmergencyPayment, PaymentStatus
from casework.services import emergency
from casework.views.intake import _error_messages


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _declarable_regions(user: User) -> object:
    return regions_visible_to(user).exclude(level__in=[Region.Level.CITY]).filter(code__startswith=user.region_id or "")


@login_required
def emergency_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = None
    if user.role in {Role.SUPERVISOR, Role.ADMIN}:
        form = PublicEmergencyForm(request.POST or None, regions=_declarable_regions(user))
        if request.method == "POST" and form.is_valid():
            try:
                declared = emergency.public_emergency_declare(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                for message in _error_messages(exc):
                    form.add_error(None, message)
            except BusinessError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("已认定突发公共事件“%(t)s”。") % {"t": declared.title})
                return redirect("emergency-detail", pk=declared.pk)
    emergencies = selectors.public_emergencies_visible_to(user).annotate(n=Count("cases"))
    return render(
        request,
        "casework/emergency_list.html",
        {"emergencies": emergencies, "form": form, "today": timezone.localdate()},
    )


@login_required
def emergency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The cases of one public emergency listed (and reported) together."""
    declared = get_object_or_404(selectors.public_emergencies_visible_to(request.user), pk=pk)
    cases = selectors.cases_visible_to(request.user).filter(public_emergency=declared).order_by("accepted_on", "id")
    totals = cases.aggregate(
        n=Count("id", distinct=True),
        paid=Sum("emergency_payments__amount", filter=Q(emergency_payments__status=PaymentStatus.PAID)),
    )
    return render(
        request,
        "casework/emergency_detail.html",
        {"emergency": declared, "cases": cases, "totals": totals, "today": timezone.localdate()},
    )


@login_required
def reserve_funds(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    streets = streets_visible_to(user)
    form = None
    if user.role in {Role.APPROVER, Role.SUPERVISOR, Role.ADMIN}:
        form = TopUpForm(request.POST or None, streets=streets, initial={"street": user.region_id})
        if request.method == "POST" and form.is_valid():
            try:
                emergency.reserve_fund_top_up(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                for message in _error_messages(exc):
                    form.add_error(None, message)
            except BusinessError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("备用金已拨入。"))
                return redirect("reserve-funds")
    funds = selectors.reserve_funds_visible_to(user).order_by("street_id")
    ledger = {fund.pk: list(fund.entries.select_related("case", "actor").order_by("-at", "-id")[:20]) for fund in funds}
    return render(
        request,
        "casework/reserve_funds.html",
        {
            "funds": [(fund, ledger[fund.pk]) for fund in funds],
            "form": form,
            "total": sum((fund.balance for fund in funds), Decimal("0")),
        },
    )


@login_required
@require_POST
def payment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    payment = get_object_or_404(selectors.payments_waiting_for_county(user), pk=pk)
    form = CountyDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审批结果并填写意见。"))
    else:
        try:
            result: EmergencyPayment = emergency.emergency_payment_county_decide(
                actor=user, payment=payment, approve=form.cleaned_data["approve"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            messages.error(request, "；".join(_error_messages(exc)))
        except BusinessError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已处理：%(s)s。") % {"s": result.get_status_display()})
    return redirect("case-detail", pk=payment.case_id)
