"""Assistance plan (资金 + 实物 + 服务, DOMAIN §7) of a case, and who works on the case.

The cash part is not stored here: it is the case's ``Decision`` (and any emergency payment).
The plan holds the in-kind items and the special-assistance items (专项救助); purchased services
are ``ServiceOrder`` rows of the case. ``CaseAssignment`` names the social workers of a case, and
is what limits a social worker to the cases assigned to her (``casework.selectors_plans``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from accounts.audit import register_action_labels
from accounts.models import Role
from casework.models.case import Case

# Who may do what (the pages show a form only to these roles; the services enforce it).
STREET_LEADS = frozenset({Role.REVIEWER, Role.APPROVER})
CASE_HANDLERS = frozenset({Role.REVIEWER, Role.APPROVER, Role.SOCIAL_WORKER})


class AssistancePlan(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="plan", verbose_name=_("案件"))
    goals = models.TextField(_("救助目标与措施"), blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("制定时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("救助方案")
        verbose_name_plural = _("救助方案")

    def __str__(self) -> str:
        return f"{self.case_id} plan"


class InKindItem(models.Model):
    """实物救助: what, how much, its value, and when/by whom it was handed over."""

    plan = models.ForeignKey(AssistancePlan, on_delete=models.CASCADE, related_name="in_kind_items")
    name = models.CharField(_("物品"), max_length=64)
    quantity = models.DecimalField(_("数量"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=8)
    value = models.DecimalField(_("折合金额(元)"), max_digits=14, decimal_places=2)
    source = models.CharField(_("来源"), max_length=64, blank=True, default="")
    delivered_on = models.DateField(_("发放日期"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    delivery_note = models.CharField(_("发放说明"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("实物救助")
        verbose_name_plural = _("实物救助")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0) & Q(value__gte=0), name="inkind_amounts"),
            models.CheckConstraint(
                condition=Q(delivered_on__isnull=True, delivered_by__isnull=True)
                | Q(delivered_on__isnull=False, delivered_by__isnull=False),
                name="inkind_delivered_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.quantity}{self.unit}"

    @property
    def delivered(self) -> bool:
        return self.delivered_on is not None


class SpecialKind(models.TextChoices):
    MEDICAL = "medical", _("医疗救助")
    EDUCATION = "education", _("教育救助")
    HOUSING = "housing", _("住房救助")
    EMPLOYMENT = "employment", _("就业救助")
    DISASTER = "disaster", _("受灾人员救助")
    OTHER = "other", _("其他救助")


@dataclass(frozen=True)
class SpecialRule:
    department: StrOrPromise
    source: StrOrPromise
    low_income: StrOrPromise  # 低收入家庭(低保边缘)
    expenditure_hardship: StrOrPromise  # 支出型困难家庭
    covered: StrOrPromise  # 低保对象、特困人员


# 专项救助 by kind: the responsible department and what each household type may receive.
# Source: 《社会救助暂行办法》第五章至第九章; 《关于改革完善社会救助制度的意见》(2020) “分层分类”;
# 安徽省低收入人口动态监测和分层分类救助帮扶办法. Amounts and ratios are set by the department.
SPECIAL_RULES: dict[str, SpecialRule] = {
    SpecialKind.MEDICAL: SpecialRule(
        _("医疗保障局"),
        _("《社会救助暂行办法》第五章；医疗救助制度"),
        _("资助参加城乡居民基本医疗保险；住院及门诊慢特病政策范围内个人自付费用按规定比例救助。"),
        _("经基本医保、大病保险报销后，政策范围内个人自付费用仍超过家庭负担能力的，按规定比例给予医疗救助。"),
        _("全额或定额资助参保；政策范围内个人自付费用按较高比例救助。"),
    ),
    SpecialKind.EDUCATION: SpecialRule(
        _("教育局"),
        _("《社会救助暂行办法》第六章；学生资助政策"),
        _("在校学生按学段享受助学金、减免学费或生活补助。"),
        _("因教育支出致困的，在校学生优先纳入国家助学金等资助范围。"),
        _("在校学生按学段享受减免学费、寄宿生生活补助、国家助学金。"),
    ),
    SpecialKind.HOUSING: SpecialRule(
        _("住房和城乡建设局"),
        _("《社会救助暂行办法》第七章；公租房保障"),
        _("符合条件的可申请公共租赁住房或住房租赁补贴；农村危房优先改造。"),
        _("住房困难的，可申请公共租赁住房或住房租赁补贴。"),
        _("优先配租公共租赁住房或发放住房租赁补贴；农村危房优先改造。"),
    ),
    SpecialKind.EMPLOYMENT: SpecialRule(
        _("人力资源和社会保障局"),
        _("《社会救助暂行办法》第八章；就业援助"),
        _("有劳动能力的成员可获职业介绍、技能培训补贴、公益性岗位安置。"),
        _("有劳动能力的成员可获就业援助和技能培训。"),
        _("有劳动能力的成员给予就业援助；就业后收入按规定扣减，设渐退期。"),
    ),
    SpecialKind.DISASTER: SpecialRule(
        _("应急管理局"),
        _("《社会救助暂行办法》第九章；自然灾害救助"),
        _("受灾时给予应急救助、过渡期生活救助，倒损住房恢复重建补助。"),
        _("受灾时给予应急救助、过渡期生活救助，倒损住房恢复重建补助。"),
        _("受灾时给予应急救助、过渡期生活救助，倒损住房恢复重建补助。"),
    ),
    SpecialKind.OTHER: SpecialRule(
        _("相关部门"),
        _("《社会救助暂行办法》第十一章；社会力量参与"),
        _("可申请法律援助、残疾人两项补贴等其他帮扶，或链接慈善资源。"),
        _("可申请法律援助、残疾人两项补贴等其他帮扶，或链接慈善资源。"),
        _("可申请法律援助、残疾人两项补贴等其他帮扶。"),
    ),
}


def entitlement_for(kind: str, tier: str) -> str:
    """What a household of ``tier`` may receive under special assistance ``kind`` (pure)."""
    rule = SPECIAL_RULES[kind]
    if tier == "low_income":
        return str(rule.low_income)
    if tier == "expenditure_hardship":
        return str(rule.expenditure_hardship)
    if tier in {"dibao", "tekun"}:
        return str(rule.covered)
    return ""


class SpecialAssistanceItem(models.Model):
    """专项救助 item of a plan; its ``referral`` tracks it until the department answers."""

    plan = models.ForeignKey(AssistancePlan, on_delete=models.CASCADE, related_name="special_items")
    kind = models.CharField(_("救助类别"), max_length=16, choices=SpecialKind.choices)
    department = models.CharField(_("责任部门"), max_length=64)
    need = models.TextField(_("需求说明"))
    tier = models.CharField(_("家庭类别"), max_length=24, blank=True, default="")
    entitlement = models.TextField(_("可享受政策"), blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("专项救助")
        verbose_name_plural = _("专项救助")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.department}"


class CaseAssignment(models.Model):
    """A social worker on a case (assigned by a street reviewer/approver); ended rows are history."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_assignments", verbose_name=_("社工")
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("指派时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("社工指派")
        verbose_name_plural = _("社工指派")
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "social_worker"],
                condition=Q(ended_at__isnull=True),
                name="assignment_active_once",
                violation_error_message=_("该社工已指派到本案件。"),
            )
        ]
        indexes = [models.Index(fields=["social_worker", "ended_at"], name="assignment_worker_active")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.social_worker_id}"


# casework/apps.py has no ready(); the labels are registered when the models load (once per process).
register_action_labels(
    {
        "plan.create": "制定救助方案",
        "plan.update": "修改救助方案",
        "plan.in_kind_add": "增加实物救助",
        "plan.in_kind_deliver": "发放实物",
        "plan.special_add": "增加专项救助",
        "case.assign_social_worker": "指派社工",
        "case.unassign_social_worker": "取消社工指派",
        "service.item_create": "新增购买服务目录项",
        "service.organisation_create": "登记社工机构",
        "service.contract_create": "签订购买服务合同",
        "service.order_create": "下达服务订单",
        "service.order_cancel": "取消服务订单",
        "service.delivery_record": "登记服务记录",
        "service.contract_evaluate": "评估购买服务合同",
        "referral.create": "草拟转介",
        "referral.send": "发送转介",
        "referral.acknowledge": "登记转介签收",
        "referral.answer": "登记转介答复",
        "referral.close": "转介办结",
        "referral.withdraw": "撤销转介",
        "conference.record": "记录个案会商",
        "facility.create": "登记供养服务设施",
        "facility.update_beds": "调整床位",
        "facility.place": "集中供养入住",
        "facility.discharge": "集中供养离院",
        "stranded.register": "登记流浪乞讨人员",
        "stranded.help": "登记临时救助",
        "stranded.start_help": "开始短期救助",
        "stranded.return_home": "护送返乡",
        "stranded.settle": "落户安置",
        "stranded.transfer": "转送救助管理站",
        "stranded.leave": "自行离开",
        "volunteer.register": "登记志愿者",
        "volunteer.task_create": "派发志愿服务任务",
        "volunteer.hours": "登记志愿服务时长",
        "volunteer.task_close": "志愿服务任务完成",
    }
)
