"""Payment roll pages (发放名册): list with the generate button for street approvers, the roll
(totals per tier, lines by community, printable), lock by the county supervisor, exports."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.errors import BusinessError
from accounts.models import Region, Role
from accounts.selectors import streets_visible_to
from casework import exports
from casework.models.enrolment import add_months, month_start
from casework.models.payments import RollLine
from casework.services import payments as svc
from casework.views.enrolment import error_text, staff


class GenerateForm(forms.Form):
    street = forms.ModelChoiceField(queryset=Region.objects.none(), label=gettext_lazy("街道(乡镇)"))
    month = forms.CharField(
        label=gettext_lazy("发放月份"),
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=gettext_lazy("格式 YYYY-MM"),
    )

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["street"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = streets_visible_to(user)  # type: ignore[arg-type]

    def clean_month(self) -> dt.date:
        raw = self.cleaned_data["month"].strip()
        try:
            year, month = (int(x) for x in raw.split("-")[:2])
            return dt.date(year, month, 1)
        except ValueError:
            raise ValidationError(_("请输入有效的月份(YYYY-MM)。")) from None


@login_required
def roll_list(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    rolls = Paginator(svc.rolls_visible_to(user), 30).get_page(request.GET.get("page"))
    today = timezone.localdate()
    form = None
    if user.role in {Role.APPROVER, Role.ADMIN}:
        streets = streets_visible_to(user)
        form = GenerateForm(
            user=user,
            initial={"street": streets.first(), "month": f"{month_start(today):%Y-%m}"},
        )
    return render(
        request,
        "casework/payments/list.html",
        {"page_obj": rolls, "form": form, "last_month": add_months(month_start(today), -1)},
    )


@login_required
@require_POST
def roll_generate(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = GenerateForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("roll-list")
    try:
        roll = svc.payment_roll_generate(
            street=form.cleaned_data["street"], month=form.cleaned_data["month"], actor=user
        )
    except (ValidationError, BusinessError) as exc:
        messages.error(request, error_text(exc))
        return redirect("roll-list")
    messages.success(
        request, _("发放名册已生成：%(n)d 笔，合计 %(t)s 元。") % {"n": roll.line_count, "t": roll.total_amount}
    )
    return redirect("roll-detail", roll.pk)


@login_required
def roll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    roll = get_object_or_404(svc.rolls_visible_to(user), pk=pk)
    lines = list(RollLine.objects.filter(roll=roll).order_by("community_name", "household_id", "kind", "id"))
    return render(
        request,
        "casework/payments/detail.html",
        {
            "roll": roll,
            "totals": svc.roll_totals(roll),
            "groups": svc.by_community(lines),
            "can_lock": "lock" in svc.allowed_roll_actions(roll, user),
            "can_regenerate": user.role == Role.APPROVER and not roll.is_locked,
        },
    )


@login_required
@require_POST
def roll_lock(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    roll = get_object_or_404(svc.rolls_visible_to(user), pk=pk)
    try:
        svc.payment_roll_lock(actor=user, roll=roll)
    except (ValidationError, BusinessError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("发放名册已锁定，不能再修改。"))
    return redirect("roll-detail", roll.pk)


@login_required
def roll_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    user = staff(request)
    roll = get_object_or_404(svc.rolls_visible_to(user), pk=pk)
    if fmt == "xlsx":
        response = HttpResponse(
            exports.roll_xlsx(roll),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "csv":
        response = HttpResponse(exports.roll_csv(roll), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{exports.roll_filename(roll, fmt)}"'
    return response
