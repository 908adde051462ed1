"""Django forms of the staff pages and the public online application. They validate input only;
the services enforce the rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, User
from applications.models import (
    AssistanceType,
    CareMode,
    Channel,
    DisabilityKind,
    EmergencyKind,
    Exclusion,
    IncomeKind,
    Relation,
    WorkCapacity,
)
from casework.models import Recommendation, Tier

MAX_MEMBERS = 12
PHONE = RegexValidator(r"^1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$", _("请输入有效的手机号或固定电话。"))


def money(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=14, decimal_places=2, min_value=Decimal("0"), **kwargs)


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


# --- intake (one page) -------------------------------------------------------------------------


class ApplicationFieldsMixin(forms.Form):
    assistance_types = forms.MultipleChoiceField(
        label=_("申请救助类别"), choices=AssistanceType.choices, widget=forms.CheckboxSelectMultiple
    )
    help_text = forms.CharField(
        label=_("申请事由及所需帮助"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    emergency_kind = forms.ChoiceField(label=_("急难事由"), choices=_blank(EmergencyKind.choices), required=False)
    emergency_date = forms.DateField(label=_("事发日期"), required=False, widget=DateInput())
    emergency_cost = money(_("事件支出(元)"), required=False)
    emergency_insurance = money(_("保险赔付(元)"), required=False)
    emergency_other_aid = money(_("已获其他救助(元)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if AssistanceType.EMERGENCY in data.get("assistance_types", []) and not data.get("emergency_kind"):
            self.add_error("emergency_kind", _("申请临时救助(急难)时须选择急难事由。"))
        return data


class IntakeForm(ApplicationFieldsMixin):
    channel = forms.ChoiceField(label=_("申请渠道"), choices=Channel.choices, initial=Channel.WINDOW)
    agent_note = forms.CharField(label=_("代办人/发现来源"), required=False, max_length=100)
    community = forms.ModelChoiceField(label=_("社区(村)"), queryset=Region.objects.none())
    address = forms.CharField(label=_("户籍地址"), max_length=200)
    phone = forms.CharField(label=_("联系电话"), required=False, validators=[PHONE])
    bank_name = forms.CharField(label=_("开户银行"), required=False, max_length=64)
    bank_account = forms.RegexField(
        label=_("银行账号"),
        regex=r"^\d{12,30}$",
        required=False,
        error_messages={"invalid": _("银行账号应为12-30位数字。")},
    )
    financial_assets = money(_("存款/证券等金融资产(元)"), initial=0)
    homes = forms.IntegerField(label=_("住房套数"), initial=1, min_value=0, max_value=50)
    business_employs_others_12m = forms.BooleanField(label=_("经营企业雇工满12个月"), required=False)
    business_avg_monthly_net_profit = money(_("企业月均净利润(元)"), initial=0)
    medical_expense_annual = money(_("年自付医疗支出(元)"), initial=0)
    education_expense_annual = money(_("年教育支出(元)"), initial=0)
    rehabilitation_expense_annual = money(_("年残疾康复支出(元)"), initial=0)
    accept_now = forms.BooleanField(label=_("登记后立即受理(出具受理编号)"), required=False, initial=True)
    allow_duplicates = forms.BooleanField(label=_("已核实重复申请提示，仍然登记"), required=False)

    def __init__(self, *args: Any, street: Region, lock_channel: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community = self.fields["community"]
        assert isinstance(community, forms.ModelChoiceField)
        community.queryset = Region.objects.filter(parent=street, level=Region.Level.COMMUNITY).order_by("code")
        if lock_channel:
            self.fields["channel"].disabled = True


class MemberForm(forms.Form):
    member_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("姓名"), max_length=32)
    id_number = forms.CharField(label=_("身份证号码"), max_length=20, required=False)
    relation = forms.ChoiceField(label=_("与申请人关系"), choices=Relation.choices, initial=Relation.SELF)
    lives_together = forms.BooleanField(label=_("共同生活"), required=False, initial=True)
    excluded = forms.ChoiceField(label=_("不计入原因"), choices=_blank(Exclusion.choices), required=False)
    disability_grade = forms.TypedChoiceField(
        label=_("残疾等级"),
        choices=[("", "—"), ("1", "一级"), ("2", "二级"), ("3", "三级"), ("4", "四级")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    disability_kind = forms.ChoiceField(label=_("残疾类别"), choices=_blank(DisabilityKind.choices), required=False)
    serious_illness = forms.BooleanField(label=_("重病"), required=False)
    student = forms.BooleanField(label=_("在校学生"), required=False)
    work_capacity = forms.ChoiceField(label=_("劳动能力"), choices=_blank(WorkCapacity.choices), required=False)
    adl_incapable = forms.IntegerField(label=_("不能自理项目数(0-6)"), min_value=0, max_value=6, initial=0)
    has_able_supporter = forms.BooleanField(label=_("有赡养扶养能力的义务人"), required=False, initial=True)
    care_mode = forms.ChoiceField(label=_("供养方式"), choices=CareMode.choices, initial=CareMode.HOME)
    auth_signed = forms.BooleanField(label=_("已签署核对授权书"), required=False)
    auth_signed_on = forms.DateField(label=_("签署日期"), required=False, widget=DateInput())
    auth_scan = forms.FileField(
        label=_("授权书扫描件(PDF/JPG/PNG，≤5MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("member_id") and not data.get("id_number"):
            self.add_error("id_number", _("请填写身份证号码。"))
        if data.get("disability_grade") and not data.get("disability_kind"):
            self.add_error("disability_kind", _("填写残疾等级时须选择残疾类别。"))
        return data


class IncomeForm(forms.Form):
    member_no = forms.TypedChoiceField(
        label=_("成员"), choices=_blank([(i, f"成员{i}") for i in range(1, MAX_MEMBERS + 1)]), coerce=int
    )
    kind = forms.ChoiceField(label=_("收入类型"), choices=_blank(IncomeKind.choices))
    monthly = money(_("月均金额(元)"))
    note = forms.CharField(label=_("说明"), required=False, max_length=200)


class VehicleForm(forms.Form):
    description = forms.CharField(label=_("车辆说明"), required=False, max_length=100)
    price = money(_("价格(元)"))
    business_use = forms.BooleanField(label=_("营运车辆"), required=False)


MemberFormSet = forms.formset_factory(MemberForm, extra=0, min_num=1, validate_min=True, max_num=MAX_MEMBERS)
IncomeFormSet = forms.formset_factory(IncomeForm, extra=1, max_num=60)
VehicleFormSet = forms.formset_factory(VehicleForm, extra=0, max_num=20)


# --- case actions --------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class CheckStartForm(forms.Form):
    purpose = forms.CharField(
        label=_("核对用途"), max_length=200, required=False, help_text=_("核对结果仅用于本案审核。")
    )


class AuthorisationForm(forms.Form):
    member = forms.TypedChoiceField(label=_("成员"), coerce=int, choices=[])
    signed = forms.BooleanField(label=_("已签署"), required=False, initial=True)
    signed_on = forms.DateField(label=_("签署日期"), required=False, widget=DateInput())
    scan = forms.FileField(
        label=_("扫描件(PDF/JPG/PNG，≤5MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = self.fields["member"]
        assert isinstance(member, forms.TypedChoiceField)
        member.choices = members


class InvestigationForm(forms.Form):
    visited_on = forms.DateField(label=_("入户日期"), widget=DateInput(), initial=timezone.localdate)
    investigators = forms.TypedMultipleChoiceField(
        label=_("调查人员(至少两人)"), coerce=int, widget=forms.CheckboxSelectMultiple, choices=[]
    )
    findings = forms.CharField(label=_("调查情况"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    adopt = forms.MultipleChoiceField(
        label=_("采纳核对结果为核实数据"), required=False, widget=forms.CheckboxSelectMultiple, choices=[]
    )
    photos = MultipleFileField(label=_("现场照片(可选，JPG/PNG)"), required=False)

    def __init__(self, *args: Any, staff: list[User], discrepancies: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        investigators = self.fields["investigators"]
        adopt = self.fields["adopt"]
        assert isinstance(investigators, forms.TypedMultipleChoiceField)
        assert isinstance(adopt, forms.MultipleChoiceField)
        investigators.choices = [(u.pk, f"{u.display_name}({u.get_role_display()})") for u in staff]
        adopt.choices = [(d["id"], d["message"]) for d in discrepancies if d.get("fix")]


class OpinionForm(forms.Form):
    as_of = forms.DateField(label=_("评估日期"), widget=DateInput())
    tier = forms.ChoiceField(label=_("拟认定类别"), choices=Tier.choices)
    monthly_amount = money(_("拟月救助金(元)"))
    one_off_amount = money(_("拟临时救助金(元)"))
    recommendation = forms.ChoiceField(label=_("初审建议"), choices=Recommendation.choices)
    adjustment_reason = forms.CharField(
        label=_("调整理由(与系统测算不同时必填)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    note = forms.CharField(label=_("初审说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoticeForm(forms.Form):
    starts_on = forms.DateField(label=_("公示开始日期"), widget=DateInput(), initial=timezone.localdate)


class ObjectionForm(forms.Form):
    received_on = forms.DateField(label=_("收到日期"), widget=DateInput(), initial=timezone.localdate)
    objector = forms.CharField(label=_("异议人(可匿名)"), required=False, max_length=64)
    content = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ConfirmForm(forms.Form):
    note = forms.CharField(
        label=_("审批意见(可选)"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class RefuseForm(forms.Form):
    reasons = forms.CharField(label=_("不予批准理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class EmergencyPayForm(forms.Form):
    amount = forms.DecimalField(label=_("先行救助金额(元)"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("事由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class CountyDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("县级审批"), choices=[("1", _("同意支付")), ("0", _("不同意"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("审批意见"), max_length=2000)


class TopUpForm(forms.Form):
    street = forms.ModelChoiceField(label=_("街道(乡镇)"), queryset=Region.objects.none())
    amount = forms.DecimalField(label=_("拨入金额(元)"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    note = forms.CharField(label=_("摘要"), max_length=200)

    def __init__(self, *args: Any, streets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        street = self.fields["street"]
        assert isinstance(street, forms.ModelChoiceField)
        street.queryset = streets


class PublicEmergencyForm(forms.Form):
    region = forms.ModelChoiceField(label=_("影响区域"), queryset=Region.objects.none())
    kind = forms.ChoiceField(label=_("事件类别"), choices=EmergencyKind.choices)
    title = forms.CharField(label=_("事件名称"), max_length=100)
    starts_on = forms.DateField(label=_("开始日期"), widget=DateInput(), initial=timezone.localdate)
    ends_on = forms.DateField(label=_("结束日期"), widget=DateInput())
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = regions
        self.fields["ends_on"].initial = timezone.localdate() + dt.timedelta(days=30)


# --- public online application (掌上办) ----------------------------------------------------------


class OnlineApplicationForm(ApplicationFieldsMixin):
    community = forms.ModelChoiceField(label=_("所在社区(村)"), queryset=Region.objects.none())
    address = forms.CharField(label=_("户籍地址"), max_length=200)
    phone = forms.CharField(label=_("联系电话"), validators=[PHONE])
    financial_assets = money(_("家庭存款等金融资产(元)"), required=False)
    homes = forms.IntegerField(label=_("住房套数"), required=False, min_value=0, max_value=50)
    vehicle_price = money(_("家庭机动车总价(元，没有填0)"), required=False)
    promise = forms.BooleanField(
        label=_("本人承诺所填信息真实，并同意全体成年家庭成员到窗口签署家庭经济状况核对授权书。"), required=True
    )

    def __init__(self, *args: Any, street: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community = self.fields["community"]
        assert isinstance(community, forms.ModelChoiceField)
        community.queryset = Region.objects.filter(parent=street, level=Region.Level.COMMUNITY).order_by("code")


class OnlineMemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=32)
    id_number = forms.CharField(label=_("身份证号码"), max_length=20)
    relation = forms.ChoiceField(label=_("与申请人关系"), choices=Relation.choices, initial=Relation.SELF)
    monthly_income = money(_("月收入(元)"), required=False)
    income_kind = forms.ChoiceField(
        label=_("收入类型"),
        choices=[(k, v) for k, v in IncomeKind.choices if k in {"wage", "business", "pension", "agriculture", "other"}],
        initial=IncomeKind.WAGE,
    )
    serious_illness = forms.BooleanField(label=_("重病"), required=False)
    disability_grade = forms.TypedChoiceField(
        label=_("残疾等级"),
        choices=[("", "无"), ("1", "一级"), ("2", "二级"), ("3", "三级"), ("4", "四级")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    disability_kind = forms.ChoiceField(label=_("残疾类别"), choices=_blank(DisabilityKind.choices), required=False)


OnlineMemberFormSet = forms.formset_factory(OnlineMemberForm, extra=0, min_num=1, validate_min=True, max_num=10)


class StatusQueryForm(forms.Form):
    receipt_no = forms.CharField(label=_("受理编号"), max_length=24)
    id_number = forms.CharField(label=_("申请人身份证号码"), max_length=20)
