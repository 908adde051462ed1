"""Emergency path (先行救助, DOMAIN §6.9): street reserve fund, pay-first payments, public emergencies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from applications.models import EmergencyKind
from casework.models.case import Case


class ReserveFund(models.Model):
    """备用金 of one street. ``balance`` never goes below zero: the service checks under a row lock
    and the database refuses it too (CheckConstraint)."""

    street = models.OneToOneField(
        Region, on_delete=models.PROTECT, primary_key=True, related_name="+", verbose_name=_("街道(乡镇)")
    )
    balance = models.DecimalField(_("余额(元)"), max_digits=14, decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("街道备用金")
        verbose_name_plural = _("街道备用金")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="reserve_fund_not_negative")]

    def __str__(self) -> str:
        return f"{self.street_id} ¥{self.balance}"


class LedgerKind(models.TextChoices):
    TOP_UP = "top_up", _("拨入")
    PAYMENT = "payment", _("先行救助支出")


class ReserveFundEntry(models.Model):
    """Append-only ledger (a PostgreSQL trigger refuses UPDATE and DELETE, migration 0003)."""

    fund = models.ForeignKey(ReserveFund, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("类别"), max_length=10, choices=LedgerKind.choices)
    amount = models.DecimalField(_("金额(元)"), max_digits=14, decimal_places=2)
    balance_after = models.DecimalField(_("余额(元)"), max_digits=14, decimal_places=2)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("摘要"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("备用金台账")
        verbose_name_plural = _("备用金台账")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="reserve_entry_amount_positive"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="reserve_entry_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} {self.kind} {self.amount}"


class PaymentStatus(models.TextChoices):
    PAID = "paid", _("已先行支付")
    PENDING_COUNTY = "pending_county", _("超出街道权限，待县级审批")
    REFUSED = "refused", _("县级不予批准")


class EmergencyPayment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="emergency_payments")
    amount = models.DecimalField(_("金额(元)"), max_digits=14, decimal_places=2)
    street_limit = models.DecimalField(_("街道审批限额(元)"), max_digits=14, decimal_places=2)
    status = models.CharField(_("状态"), max_length=16, choices=PaymentStatus.choices)
    reason = models.TextField(_("事由"))
    evaluation = models.JSONField(_("评估结果(含所用参数)"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    county_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    county_note = models.TextField(_("县级审批意见"), blank=True, default="")
    paid_on = models.DateField(_("支付日期"), null=True, blank=True)
    ledger_entry = models.OneToOneField(
        ReserveFundEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )

    class Meta:
        verbose_name = _("先行救助支付")
        verbose_name_plural = _("先行救助支付")
        ordering = ["requested_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="emergency_payment_positive")]

    def __str__(self) -> str:
        return f"{self.case_id} ¥{self.amount} {self.status}"


class PublicEmergency(models.Model):
    """突发公共事件 declared by a county supervisor: applications from the area take the fast track."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("影响区域"))
    kind = models.CharField(_("事件类别"), max_length=20, choices=EmergencyKind.choices)
    title = models.CharField(_("事件名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True, default="")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("突发公共事件")
        verbose_name_plural = _("突发公共事件")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="public_emergency_dates")
        ]

    def __str__(self) -> str:
        return f"{self.title}({self.region_id})"
