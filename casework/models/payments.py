"""Monthly payment roll (发放名册) per street and month.

Generated once per (street, month) — the unique constraint and an advisory lock make a second or
concurrent generation add nothing twice. Lines hold only masked identifiers (account, resident ID).
A county supervisor locks the roll (``ROLL_TRANSITIONS``); a locked roll and its lines cannot
change: the service refuses, and PostgreSQL triggers refuse it too (migration
``payment_roll_lock_triggers``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, Role
from applications.models import Household
from casework.models.enrolment import BridgingPayment, Enrolment, EnrolmentPeriod
from casework.models.review import Tier


class RollStatus(models.TextChoices):
    DRAFT = "draft", _("草稿(待锁定)")
    LOCKED = "locked", _("已锁定")


# Allowed status changes and who may take them (STYLE §4): the page builds its button from this.
ROLL_TRANSITIONS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    RollStatus.DRAFT: {RollStatus.LOCKED: ("lock", frozenset({Role.SUPERVISOR}))},
    RollStatus.LOCKED: {},
}


class PaymentRoll(models.Model):
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"))
    month = models.DateField(_("发放月份"))
    status = models.CharField(_("状态"), max_length=10, choices=RollStatus.choices, default=RollStatus.DRAFT)
    generated_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    line_count = models.PositiveIntegerField(_("笔数"), default=0)
    total_amount = models.DecimalField(_("合计(元)"), max_digits=14, decimal_places=2, default=0)
    totals = models.JSONField(_("分类合计"), default=dict, blank=True)
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("发放名册")
        verbose_name_plural = _("发放名册")
        ordering = ["-month", "street_id"]
        indexes = [models.Index(fields=["street"], name="roll_street_like", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.UniqueConstraint(fields=["street", "month"], name="roll_once_per_street_month"),
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(locked_at__isnull=False) & Q(locked_by__isnull=False)),
                name="roll_locked_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.street_id} {self.month:%Y-%m} {self.status}"

    @property
    def is_locked(self) -> bool:
        return self.status == RollStatus.LOCKED


class LineKind(models.TextChoices):
    MONTHLY = "monthly", _("月度救助金")
    BRIDGING = "bridging", _("过渡期临时救助")


class RollLine(models.Model):
    roll = models.ForeignKey(PaymentRoll, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(_("类别"), max_length=10, choices=LineKind.choices, default=LineKind.MONTHLY)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(EnrolmentPeriod, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    bridging = models.OneToOneField(
        BridgingPayment, on_delete=models.PROTECT, null=True, blank=True, related_name="roll_line"
    )
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    payee_name = models.CharField(_("领款人"), max_length=32)
    id_masked = models.CharField(_("证件号(脱敏)"), max_length=18)
    community_name = models.CharField(_("社区(村)"), max_length=64, blank=True, default="")
    tier = models.CharField(_("保障类别"), max_length=24, choices=Tier.choices)
    amount = models.DecimalField(_("金额(元)"), max_digits=14, decimal_places=2)
    bank_name = models.CharField(_("开户银行"), max_length=64, blank=True, default="")
    account_masked = models.CharField(_("银行账号(脱敏)"), max_length=40, blank=True, default="")

    class Meta:
        verbose_name = _("发放名册明细")
        verbose_name_plural = _("发放名册明细")
        ordering = ["roll_id", "community_name", "household_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["roll", "enrolment", "kind"], name="roll_line_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="roll_line_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="monthly", period__isnull=False, bridging__isnull=True)
                | Q(kind="bridging", bridging__isnull=False),
                name="roll_line_kind_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.roll_id} {self.payee_name} {self.amount}"
