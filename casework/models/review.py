"""Preliminary opinion, public notice with objections, and the decision (DOMAIN §6.5–6.8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.models.case import Case


class Tier(models.TextChoices):
    TEKUN = "tekun", _("特困人员救助供养")
    DIBAO = "dibao", _("最低生活保障")
    LOW_INCOME = "low_income", _("低收入家庭")
    EXPENDITURE_HARDSHIP = "expenditure_hardship", _("支出型困难家庭")
    EMERGENCY = "emergency", _("急难/临时救助")
    NONE = "none", _("不符合条件")


class Recommendation(models.TextChoices):
    APPROVE = "approve", _("建议批准")
    REFUSE = "refuse", _("建议不予批准")


class ApprovalLevel(models.TextChoices):
    STREET = "street", _("街道审批")
    COUNTY = "county", _("报县级审批")


class Opinion(models.Model):
    """初审意见: the engine's evaluation on the verified data, and what the reviewer proposes."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="opinions")
    as_of = models.DateField(_("评估日期"))
    evaluation = models.JSONField(_("评估结果(含所用参数)"))
    engine_tier = models.CharField(_("系统测算类别"), max_length=24, choices=Tier.choices)
    engine_monthly_amount = models.DecimalField(_("系统测算月救助金"), max_digits=14, decimal_places=2)
    engine_one_off_amount = models.DecimalField(_("系统测算临时救助金"), max_digits=14, decimal_places=2, default=0)
    tier = models.CharField(_("拟认定类别"), max_length=24, choices=Tier.choices)
    monthly_amount = models.DecimalField(_("拟月救助金(元)"), max_digits=14, decimal_places=2)
    one_off_amount = models.DecimalField(_("拟临时救助金(元)"), max_digits=14, decimal_places=2, default=0)
    recommendation = models.CharField(_("初审建议"), max_length=10, choices=Recommendation.choices)
    approval_level = models.CharField(
        _("审批层级"), max_length=10, choices=ApprovalLevel.choices, default=ApprovalLevel.STREET
    )
    adjusted = models.BooleanField(_("人工调整"), default=False)
    adjustment_reason = models.TextField(_("调整理由"), blank=True, default="")
    note = models.TextField(_("初审说明"), blank=True, default="")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("出具时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("初审意见")
        verbose_name_plural = _("初审意见")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(adjusted=False) | ~Q(adjustment_reason=""), name="opinion_adjustment_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0) & Q(one_off_amount__gte=0), name="opinion_amounts_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.tier} {self.monthly_amount}"


class PublicNotice(models.Model):
    """公示: 7 calendar days in the community, with a masked name (DOMAIN §6.6)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    opinion = models.ForeignKey(Opinion, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("公示开始"))
    ends_on = models.DateField(_("公示结束"))
    masked_name = models.CharField(_("公示姓名"), max_length=32)
    community_name = models.CharField(_("社区(村)"), max_length=64)
    household_size = models.PositiveSmallIntegerField(_("保障人数"))
    tier = models.CharField(_("拟认定类别"), max_length=24, choices=Tier.choices)
    monthly_amount = models.DecimalField(_("拟月救助金(元)"), max_digits=14, decimal_places=2)
    one_off_amount = models.DecimalField(_("拟临时救助金(元)"), max_digits=14, decimal_places=2, default=0)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    withdrawn_for_objection = models.BooleanField(_("因异议中止"), default=False)

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["published_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="notice_dates")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.starts_on}–{self.ends_on}"


class Objection(models.Model):
    notice = models.ForeignKey(PublicNotice, on_delete=models.PROTECT, related_name="objections")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="objections")
    received_on = models.DateField(_("收到日期"))
    objector = models.CharField(_("异议人(可匿名)"), max_length=64, blank=True, default="")
    content = models.TextField(_("异议内容"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.received_on}"


class Outcome(models.TextChoices):
    APPROVED = "approved", _("批准")
    REFUSED = "refused", _("不予批准")


class Decision(models.Model):
    """审批决定: exactly one per case (the OneToOne and the row lock make a second one impossible)."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(_("决定"), max_length=10, choices=Outcome.choices)
    document_no = models.CharField(_("决定书编号"), max_length=32, unique=True)
    tier = models.CharField(_("认定类别"), max_length=24, choices=Tier.choices, blank=True, default="")
    monthly_amount = models.DecimalField(_("月救助金(元)"), max_digits=14, decimal_places=2, default=0)
    one_off_amount = models.DecimalField(_("临时救助金(元)"), max_digits=14, decimal_places=2, default=0)
    start_month = models.DateField(_("起始发放月份"), null=True, blank=True)
    evaluation = models.JSONField(_("评估结果(含所用参数)"), null=True, blank=True)
    reasons = models.TextField(_("理由"), blank=True, default="")
    approval_level = models.CharField(
        _("审批层级"), max_length=10, choices=ApprovalLevel.choices, default=ApprovalLevel.STREET
    )
    decided_on = models.DateField(_("决定日期"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("审批决定")
        verbose_name_plural = _("审批决定")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="refused") | Q(start_month__isnull=False), name="decision_approved_has_start"
            ),
            models.CheckConstraint(condition=Q(outcome="approved") | ~Q(reasons=""), name="decision_refusal_reasons"),
        ]

    def __str__(self) -> str:
        return f"{self.document_no} {self.outcome}"
