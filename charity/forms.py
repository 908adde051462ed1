"""Page forms: they check the shape of the input; the services decide (STYLE §7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from charity.models import DonorKind, Fund, NeedType

PURPOSE_CHOICES = [("", _("非限定(可用于任何救助)")), *NeedType.choices]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def money_field(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the matching fields (or on the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def fund_label(obj: Fund) -> str:
    return f"{obj.name}(余额 ¥{obj.balance:,.2f})"


class ReferralForm(forms.Form):
    fund = forms.ModelChoiceField(queryset=Fund.objects.none(), label=_("承接基金"), empty_label=None)
    need_type = forms.ChoiceField(choices=NeedType.choices, label=_("需求类别"))
    amount_asked = money_field(_("申请资助金额(元)"))
    description = forms.CharField(
        label=_("政府救助未能覆盖的需求"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("如：住院自付费用超出医疗救助限额，家庭无力承担")}),
    )
    consent_given = forms.BooleanField(
        label=_("家庭已同意将其困难情况及必要信息转介给慈善组织"),
        error_messages={"required": _("未经家庭同意不得转介：请先取得同意并勾选。")},
    )
    consent_by = forms.CharField(label=_("同意人(家庭成员姓名)"), max_length=32)
    consent_relation = forms.CharField(label=_("与申请人关系"), max_length=16, required=False)
    consent_on = forms.DateField(label=_("同意日期"), widget=DateInput())
    consent_scan = forms.FileField(label=_("同意书扫描件(可选，PDF/JPG/PNG)"), required=False)

    def __init__(self, *args: Any, funds: QuerySet[Fund], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["fund"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = funds
        field.label_from_instance = fund_label  # type: ignore[method-assign,assignment]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明(可选)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(forms.Form):
    amount = money_field(_("批准金额(元)"))
    note = forms.CharField(label=_("审批意见(可选)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "accept": NoteForm,
    "decline": ReasonForm,
    "cancel": ReasonForm,
    "withdraw": ReasonForm,
    "approve": ApproveForm,
    "pay": NoteForm,
    "close": NoteForm,
}


class DonationForm(forms.Form):
    donor_kind = forms.ChoiceField(choices=DonorKind.choices, label=_("捐赠人类别"))
    donor_name = forms.CharField(label=_("捐赠人"), max_length=100, required=False)
    amount = money_field(_("金额(元)"))
    purpose = forms.ChoiceField(choices=PURPOSE_CHOICES, label=_("限定用途"), required=False)
    received_on = forms.DateField(label=_("到账日期"), widget=DateInput())
    receipt_no = forms.CharField(label=_("捐赠票据号(可选)"), max_length=40, required=False)
    note = forms.CharField(label=_("备注(可选)"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"received_on": timezone.localdate(), "donor_kind": DonorKind.ORGANISATION})
        super().__init__(*args, **kwargs)


class TransferForm(forms.Form):
    target = forms.ModelChoiceField(queryset=Fund.objects.none(), label=_("调入基金"), empty_label=None)
    amount = money_field(_("金额(元)"))
    purpose = forms.ChoiceField(choices=PURPOSE_CHOICES, label=_("资金性质"), required=False)
    reason = forms.CharField(label=_("调拨事由"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, targets: QuerySet[Fund], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = targets


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("起始日期"), widget=DateInput())
    end = forms.DateField(label=_("截止日期"), widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError(_("截止日期不能早于起始日期。"))
        return data


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """This year so far (a statement most often asked for)."""
    today = today or timezone.localdate()
    return dt.date(today.year, 1, 1), today


def period_from(params: Any) -> tuple[PeriodForm, dt.date, dt.date]:
    start, end = default_period()
    form = PeriodForm(
        params if params.get("start") or params.get("end") else None, initial={"start": start, "end": end}
    )
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return form, start, end
