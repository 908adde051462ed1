from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from eligibility.models import ParameterName

CARE_CELLS = [(m, t) for m in ("institutional", "home") for t in ("full", "partial", "self_care")]
CARE_LABELS = {
    "institutional": _("集中供养"),
    "home": _("分散供养"),
    "full": _("全护理"),
    "partial": _("半护理"),
    "self_care": _("生活自理"),
}


class ParameterForm(forms.Form):
    name = forms.ChoiceField(label=_("参数"), choices=ParameterName.choices)
    region = forms.ModelChoiceField(label=_("适用区划"), queryset=Region.objects.none(), to_field_name="code")
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(label=_("取值"), required=False, min_value=0, max_digits=18, decimal_places=6)
    source = forms.CharField(label=_("政策依据"), max_length=300)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        for mode, tier in CARE_CELLS:
            self.fields[f"care_{mode}_{tier}"] = forms.DecimalField(
                label=f"{CARE_LABELS[mode]}·{CARE_LABELS[tier]}",
                required=False,
                min_value=0,
                decimal_places=2,
                max_digits=12,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("name") == ParameterName.TEKUN_CARE_ANNUAL:
            table: dict[str, dict[str, str]] = {"institutional": {}, "home": {}}
            for mode, tier in CARE_CELLS:
                cell = data.get(f"care_{mode}_{tier}")
                if cell is None:
                    self.add_error(f"care_{mode}_{tier}", _("请填写护理标准。"))
                else:
                    table[mode][tier] = f"{cell:.2f}"
            data["typed_value"] = table
        elif data.get("value") is None:
            self.add_error("value", _("请填写取值。"))
        else:
            data["typed_value"] = data["value"]
        return data


class ParameterCorrectionForm(forms.Form):
    value = forms.DecimalField(label=_("更正后的取值"), min_value=0, max_digits=18, decimal_places=6)
    source = forms.CharField(label=_("政策依据"), max_length=300)
    note = forms.CharField(label=_("说明"), required=False)
    reason = forms.CharField(label=_("更正原因"), max_length=300)
