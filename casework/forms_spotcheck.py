"""Forms of the spot-check pages (issue 7); the services re-check everything they are given."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Region
from accounts.selectors import streets_visible_to
from casework.models.spotcheck import FAULT_RESULTS, CheckResult, StreetResponse

DATE = forms.DateInput(attrs={"type": "date"})


class StreetChoiceField(forms.ModelChoiceField[Region]):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.name}({obj.code})"


class SpotCheckForm(forms.Form):
    street = StreetChoiceField(queryset=Region.objects.none(), label=gettext_lazy("街道(乡镇)"))
    period_start = forms.DateField(label=gettext_lazy("审批日期起"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("审批日期止"), widget=DATE)
    percentage = forms.DecimalField(
        label=gettext_lazy("抽查比例(%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        help_text=gettext_lazy("样本数 = 总体案件数 × 比例，向上取整，至少1件。"),
    )
    seed = forms.CharField(
        label=gettext_lazy("随机种子"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("留空由系统随机生成；种子与样本一并记录，可复核抽样。"),
    )
    note = forms.CharField(label=gettext_lazy("抽查说明"), required=False, max_length=500)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["street"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = streets_visible_to(user).order_by("code")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: dt.date | None = data.get("period_start")
        end: dt.date | None = data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("结束日期不能早于开始日期。"))
        if end and end > timezone.localdate():
            self.add_error("period_end", _("结束日期不能晚于今天。"))
        return data


class ResultForm(forms.Form):
    result = forms.ChoiceField(
        label=gettext_lazy("检查结果"),
        choices=[(v, label) for v, label in CheckResult.choices if v != CheckResult.PENDING],
    )
    correct_amount = forms.DecimalField(
        label=gettext_lazy("核定应发月救助金(元)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text=gettext_lazy("仅“救助金额有误”时填写。"),
    )
    note = forms.CharField(
        label=gettext_lazy("检查意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("结果不是“认定正确”时必填。"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        result = data.get("result")
        if result in FAULT_RESULTS and len((data.get("note") or "").strip()) < 4:
            self.add_error("note", _("检查结果不是“认定正确”时，须写明问题(至少4个字)。"))
        if result == CheckResult.WRONG_AMOUNT and data.get("correct_amount") is None and "correct_amount" in data:
            self.add_error("correct_amount", _("救助金额有误时，须填写核定的应发月救助金。"))
        if result != CheckResult.WRONG_AMOUNT and data.get("correct_amount") is not None:
            self.add_error("correct_amount", _("只有“救助金额有误”时才填写核定金额。"))
        return data


class RespondForm(forms.Form):
    response = forms.ChoiceField(label=gettext_lazy("反馈"), choices=StreetResponse.choices)
    note = forms.CharField(
        label=gettext_lazy("整改情况 / 异议理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_note(self) -> str:
        note = (self.cleaned_data.get("note") or "").strip()
        if len(note) < 4:
            raise forms.ValidationError(_("请写明整改情况或异议理由(至少4个字)。"))
        return note


class CloseForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("监督意见"),
        choices=[("close", gettext_lazy("整改到位，销号")), ("return", gettext_lazy("整改不到位，退回街道"))],
    )
    note = forms.CharField(
        label=gettext_lazy("意见说明(退回必填)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "return" and len((data.get("note") or "").strip()) < 4:
            self.add_error("note", _("退回整改须写明理由(至少4个字)。"))
        return data
