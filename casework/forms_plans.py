"""Forms of the plan, services, referral, facility, stranded-person and volunteer pages.

Forms validate input shape (required, ranges, formats) with Chinese messages; the services enforce
the business rules and answer with field errors the views attach to the same forms.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, User
from casework.models import Case
from casework.models.facilities import FacilityKind
from casework.models.plans import SpecialKind
from casework.models.referrals import ReferralResult, TargetKind
from casework.models.services_catalogue import DeliveryKind, ServiceCategory, ServiceItem, ServiceOrganisation
from casework.models.stranded import HelpKind, Sex
from casework.models.volunteers import Volunteer

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MOBILE_MESSAGE = _("请填写11位手机号码。")


def _date(label: Any, *, required: bool = True, today: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DATE, initial=timezone.localdate if today else None)


def _text(label: Any, rows: int = 3, *, required: bool = True, max_length: int = 2000) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows})
    )


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


# --- plan ---------------------------------------------------------------------------------------


class PlanGoalsForm(forms.Form):
    goals = _text(_("救助目标与措施"), 3)


class InKindForm(forms.Form):
    prefix = "ik"

    name = forms.CharField(label=_("物品"), max_length=64)
    quantity = forms.DecimalField(label=_("数量"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    unit = forms.CharField(label=_("单位"), max_length=8, initial="份")
    value = forms.DecimalField(label=_("折合金额(元)"), max_digits=14, decimal_places=2, min_value=Decimal("0"))
    source = forms.CharField(label=_("来源"), max_length=64, required=False, help_text=_("如：街道储备、慈善捐赠"))


class InKindDeliverForm(forms.Form):
    delivered_on = _date(_("发放日期"))
    note = forms.CharField(label=_("发放说明"), max_length=200, required=False)


class SpecialItemForm(forms.Form):
    prefix = "sp"

    kind = forms.ChoiceField(label=_("救助类别"), choices=SpecialKind.choices)
    need = _text(_("需求说明"), 2, max_length=1000)
    department = forms.CharField(
        label=_("责任部门"), max_length=64, required=False, help_text=_("留空则按类别填入主管部门")
    )


class AssignForm(forms.Form):
    prefix = "as"

    social_worker = forms.ModelChoiceField(label=_("社工"), queryset=User.objects.none(), empty_label=_("请选择"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, workers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["social_worker"].queryset = workers  # type: ignore[attr-defined]
        self.fields["social_worker"].label_from_instance = lambda u: u.display_name  # type: ignore[attr-defined]


class UnassignForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200)


class ServiceOrderForm(forms.Form):
    prefix = "so"

    line = forms.ChoiceField(label=_("合同与服务项目"))
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=999)
    note = forms.CharField(label=_("服务要求"), max_length=200, required=False)

    def __init__(self, *args: Any, contracts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("请选择"))]
        for contract in contracts:
            group = [
                (f"{contract.pk}:{s.pk}", f"{s.name}（¥{s.unit_price}/{s.unit}）")
                for s in contract.services.all()
                if s.active
            ]
            if group:
                choices.append((f"{contract.organisation.name} · {contract.contract_no}", group))
        self.fields["line"].choices = choices  # type: ignore[attr-defined]

    def clean_line(self) -> tuple[int, int]:
        contract, service = self.cleaned_data["line"].split(":")
        return int(contract), int(service)


class OrderCancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200)


class DeliveryForm(forms.Form):
    prefix = "dr"

    kind = forms.ChoiceField(label=_("记录类型"), choices=DeliveryKind.choices)
    delivered_on = _date(_("服务日期"))
    order = forms.TypedChoiceField(label=_("关联订单"), required=False, coerce=int, empty_value=None)
    quantity = forms.IntegerField(label=_("计入订单数量"), min_value=0, initial=0, required=False)
    content = _text(_("服务记录"), 3)
    needs = _text(_("需求分析"), 2, required=False)

    def __init__(self, *args: Any, orders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("不关联(建档访视、需求分析等)"))]
        choices += [
            (str(o.pk), f"{o.service.name}（{o.delivered_quantity}/{o.quantity}{o.service.unit}）") for o in orders
        ]
        self.fields["order"].choices = choices  # type: ignore[attr-defined]

    def clean_quantity(self) -> int:
        return self.cleaned_data.get("quantity") or 0


# --- referrals and conferences ------------------------------------------------------------------


class ReferralForm(forms.Form):
    prefix = "rf"

    target_kind = forms.ChoiceField(label=_("接收方类型"), choices=TargetKind.choices)
    target = forms.CharField(label=_("接收部门/机构"), max_length=64)
    need = _text(_("转介事项"), 2, max_length=1000)
    conference = forms.TypedChoiceField(label=_("依据会商"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, conferences: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("无"))] + [(str(c.pk), f"{c.held_on:%Y-%m-%d} {_('个案会商')}") for c in conferences]
        self.fields["conference"].choices = choices  # type: ignore[attr-defined]


class ReferralActForm(forms.Form):
    """One form for every referral step; the view shows the fields the step needs."""

    on = _date(_("日期"))
    result = forms.ChoiceField(label=_("答复结果"), choices=ReferralResult.choices, required=False)
    answer = _text(_("答复内容"), 2, required=False, max_length=2000)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    FIELDS = {
        "send": ["on", "note"],
        "acknowledge": ["on", "note"],
        "answer": ["on", "result", "answer"],
        "close": ["note"],
        "withdraw": ["note"],
    }

    def __init__(self, *args: Any, action: str, referral_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"r{referral_id}-{action}")
        super().__init__(*args, **kwargs)
        keep = self.FIELDS.get(action, ["note"])
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if action == "answer":
            self.fields["result"].required = True
            self.fields["answer"].required = True
            self.fields["result"].widget = forms.RadioSelect(choices=ReferralResult.choices)
        if action == "withdraw":
            self.fields["note"].required = True
            self.fields["note"].label = _("撤销原因")


class ConferenceForm(forms.Form):
    prefix = "cf"

    held_on = _date(_("会商日期"))
    place = forms.CharField(label=_("地点"), max_length=64, required=False)
    participants = _text(_("参会人员(每行一人：姓名 单位/身份)"), 4)
    discussion = _text(_("会商情况"), 4)
    measures = _text(_("议定措施(每行一项)"), 3)

    def clean_participants(self) -> list[str]:
        people = _lines(self.cleaned_data["participants"])
        if len(people) < 2:
            raise forms.ValidationError(_("个案会商至少有两名参会人员(每行一人)。"))
        return people

    def clean_measures(self) -> list[str]:
        return _lines(self.cleaned_data["measures"])


# --- county: catalogue, contracts, facilities ---------------------------------------------------


class ServiceItemForm(forms.Form):
    prefix = "it"

    code = forms.CharField(label=_("目录编号"), max_length=16)
    name = forms.CharField(label=_("服务项目"), max_length=64)
    category = forms.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices)
    unit = forms.CharField(label=_("计量单位"), max_length=8, initial="次")
    unit_price = forms.DecimalField(label=_("单价(元)"), max_digits=14, decimal_places=2, min_value=Decimal("0"))
    description = _text(_("服务内容与标准"), 2, required=False)


class OrganisationForm(forms.Form):
    prefix = "org"

    name = forms.CharField(label=_("机构名称"), max_length=100)
    credit_code = forms.RegexField(
        label=_("统一社会信用代码"),
        regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$",
        required=False,
        error_messages={"invalid": _("统一社会信用代码为18位数字或大写字母。")},
    )
    contact = forms.CharField(label=_("联系人"), max_length=32, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)


class ContractForm(forms.Form):
    prefix = "ct"

    organisation = forms.ModelChoiceField(
        label=_("承接机构"), queryset=ServiceOrganisation.objects.none(), empty_label=_("请选择")
    )
    contract_no = forms.CharField(label=_("合同编号"), max_length=32)
    title = forms.CharField(label=_("项目名称"), max_length=100)
    starts_on = _date(_("服务期自"), today=False)
    ends_on = _date(_("服务期至"), today=False)
    budget = forms.DecimalField(label=_("合同金额(元)"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    services = forms.ModelMultipleChoiceField(
        label=_("服务项目"), queryset=ServiceItem.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, organisations: Any, items: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["services"].queryset = items  # type: ignore[attr-defined]


class EvaluationForm(forms.Form):
    RATINGS = [(n, str(n)) for n in range(5, 0, -1)]

    period = forms.CharField(label=_("评估期间"), max_length=32, help_text=_("如：2026年上半年"))
    quality = forms.TypedChoiceField(label=_("服务质量"), choices=RATINGS, coerce=int)
    timeliness = forms.TypedChoiceField(label=_("服务及时性"), choices=RATINGS, coerce=int)
    satisfaction = forms.TypedChoiceField(label=_("对象满意度"), choices=RATINGS, coerce=int)
    comment = _text(_("评估意见"), 2, required=False)


class FacilityForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=FacilityKind.choices)
    street = forms.ModelChoiceField(label=_("所在街道(乡镇)"), queryset=Region.objects.none(), required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    beds = forms.IntegerField(label=_("床位数"), min_value=1, max_value=5000)
    care_beds = forms.IntegerField(label=_("护理型床位数"), min_value=0, max_value=5000)

    def __init__(self, *args: Any, streets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets  # type: ignore[attr-defined]
        self.fields["street"].label_from_instance = lambda r: r.name  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("beds") is not None and data.get("care_beds") is not None and data["care_beds"] > data["beds"]:
            self.add_error("care_beds", _("护理型床位数不能超过床位数。"))
        return data


class BedsForm(forms.Form):
    beds = forms.IntegerField(label=_("床位数"), min_value=1, max_value=5000)
    care_beds = forms.IntegerField(label=_("护理型床位数"), min_value=0, max_value=5000)
    reason = forms.CharField(label=_("调整原因"), max_length=200)


class PlacementForm(forms.Form):
    CARE = [("auto", _("按自理能力自动判断")), ("yes", _("护理型床位")), ("no", _("普通床位"))]

    person = forms.ChoiceField(label=_("特困供养对象"))
    care = forms.ChoiceField(label=_("床位类型"), choices=CARE, initial="auto")
    placed_on = _date(_("入住日期"))

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("请选择"))] + [  # type: ignore[attr-defined]
            (f"{case.pk}:{m.pk}", f"{m.name}（{case.receipt_no}）") for case, m in candidates
        ]

    def clean_person(self) -> tuple[int, int]:
        case, member = self.cleaned_data["person"].split(":")
        return int(case), int(member)


class DischargeForm(forms.Form):
    reason = forms.CharField(label=_("离院原因"), max_length=200)
    ended_on = _date(_("离院日期"))


# --- street: stranded persons, volunteers ---------------------------------------------------------


class StrandedForm(forms.Form):
    found_on = _date(_("发现日期"))
    found_place = forms.CharField(label=_("发现地点"), max_length=100)
    name = forms.CharField(label=_("姓名(自述)"), max_length=32, required=False)
    sex = forms.ChoiceField(label=_("性别"), choices=Sex.choices, initial=Sex.UNKNOWN)
    approx_age = forms.IntegerField(label=_("年龄(约)"), min_value=0, max_value=120, required=False)
    claimed_origin = forms.CharField(label=_("自述户籍地"), max_length=100, required=False)
    description = _text(_("体貌、健康状况"), 2, required=False)


class StrandedHelpForm(forms.Form):
    kind = forms.ChoiceField(label=_("救助内容"), choices=HelpKind.choices)
    given_on = _date(_("日期"))
    amount = forms.DecimalField(
        label=_("折合金额(元)"), max_digits=10, decimal_places=2, min_value=Decimal("0"), initial=Decimal("0")
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class StrandedActForm(forms.Form):
    outcome = forms.CharField(label=_("返乡目的地/安置地点"), max_length=200, required=False)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class VolunteerForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=32)
    phone = forms.RegexField(label=_("手机号码"), regex=r"^1[3-9]\d{9}$", error_messages={"invalid": MOBILE_MESSAGE})
    skills = forms.CharField(label=_("特长/可提供服务"), max_length=200, required=False)


class VolunteerTaskForm(forms.Form):
    title = forms.CharField(label=_("任务"), max_length=100)
    scheduled_on = _date(_("计划日期"))
    social_worker = forms.ModelChoiceField(label=_("负责社工"), queryset=User.objects.none(), empty_label=_("请选择"))
    volunteers = forms.ModelMultipleChoiceField(
        label=_("志愿者"), queryset=Volunteer.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    case = forms.ModelChoiceField(label=_("服务案件(可选)"), queryset=Case.objects.none(), required=False)
    description = _text(_("任务内容"), 2, required=False)

    def __init__(self, *args: Any, workers: Any, volunteers: Any, cases: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["social_worker"].queryset = workers  # type: ignore[attr-defined]
        self.fields["social_worker"].label_from_instance = lambda u: u.display_name  # type: ignore[attr-defined]
        self.fields["volunteers"].queryset = volunteers  # type: ignore[attr-defined]
        self.fields["case"].queryset = cases  # type: ignore[attr-defined]
        self.fields["case"].label_from_instance = (  # type: ignore[attr-defined]
            lambda c: f"{c.receipt_no} {c.application.applicant_name}"
        )


class VolunteerHoursForm(forms.Form):
    volunteer = forms.ModelChoiceField(label=_("志愿者"), queryset=Volunteer.objects.none(), empty_label=_("请选择"))
    worked_on = _date(_("服务日期"))
    hours = forms.DecimalField(
        label=_("服务时长(小时)"), max_digits=4, decimal_places=1, min_value=Decimal("0.5"), max_value=Decimal("12")
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, volunteers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = volunteers  # type: ignore[attr-defined]
