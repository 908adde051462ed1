"""Enrolment (纳入保障) of a household after an approved decision, and its append-only history.

An ``Enrolment`` is the household's standing in a tier; its money history is a sequence of
``EnrolmentPeriod`` rows (tier, monthly amount, first and last paid month, the parameter values
used). A change — a new decision, raise, lower, 渐退, stop — closes the current period (its
``end_month`` is set once) and opens a new one; nothing is overwritten or deleted. A PostgreSQL
trigger enforces it (migration ``enrolment_periods_append_only``).

Months are stored as the first day of the month. ``end_month`` is the last month paid, inclusive.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from applications.models import Household
from casework.models.case import Case
from casework.models.review import Decision, Tier

# Tiers an approved decision enrols (急难 is a one-off payment, never an enrolment).
ENROLLABLE_TIERS = frozenset({Tier.TEKUN, Tier.DIBAO, Tier.LOW_INCOME, Tier.EXPENDITURE_HARDSHIP})
CASH_TIERS = frozenset({Tier.TEKUN, Tier.DIBAO})


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """First day of the month ``n`` months after ``month``'s month (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def add_months_to_day(day: dt.date, n: int) -> dt.date:
    """The same day ``n`` months later, clamped to the month's end (31 Aug + 6 → 28/29 Feb)."""
    first = add_months(day.replace(day=1), n)
    following = add_months(first, 1)
    last_day = (following - dt.timedelta(days=1)).day
    return first.replace(day=min(day.day, last_day))


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("在保")
    EXITING = "exiting", _("渐退中")
    CLOSED = "closed", _("已停保")


class ChangeKind(models.TextChoices):
    ENROL = "enrol", _("批准纳入")
    IMPORT = "import", _("历史在册导入")
    REDECISION = "redecision", _("重新审批")
    RAISE = "raise", _("提高救助金")
    LOWER = "lower", _("降低救助金")
    GRADUAL_EXIT = "gradual_exit", _("渐退")
    STOP = "stop", _("停止救助")


class Enrolment(models.Model):
    """The household's current standing; ``tier``/``monthly_amount`` mirror the current period."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("家庭")
    )
    street = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"), db_index=False
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="enrolments", verbose_name=_("案件")
    )
    status = models.CharField(_("状态"), max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    tier = models.CharField(_("保障类别"), max_length=24, choices=Tier.choices)
    monthly_amount = models.DecimalField(_("月救助金(元)"), max_digits=14, decimal_places=2)
    start_month = models.DateField(_("起始发放月份"))
    end_month = models.DateField(_("最后发放月份"), null=True, blank=True)
    current_period = models.ForeignKey(
        "casework.EnrolmentPeriod", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # The engine's result the current standing rests on (from the decision, or the last review
    # task's resolution). Re-verification opens a review task when the engine now says otherwise —
    # so an amount the street adjusted with a reason does not reopen a task at every run.
    basis_tier = models.CharField(_("测算基准类别"), max_length=24, blank=True, default="")
    basis_amount = models.DecimalField(_("测算基准金额"), max_digits=14, decimal_places=2, default=0)
    # Re-verification schedule (DOMAIN §6 step 10).
    review_interval_months = models.PositiveSmallIntegerField(_("复核周期(月)"), default=12)
    next_review_due = models.DateField(_("下次复核日期"))
    last_verified_on = models.DateField(_("上次核对日期"))
    previous_verified_on = models.DateField(_("前次核对日期"), null=True, blank=True)
    # The re-verification run that last claimed this enrolment (the chunk task's claim). No index
    # and no FK trigger, and no index on the schedule columns either, so that the claim's UPDATE of
    # a million rows stays a heap-only (HOT) update (the table has fillfactor 50); runs are never
    # deleted.
    last_run = models.ForeignKey(
        "casework.ReverificationRun",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("纳入时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("保障对象")
        verbose_name_plural = _("保障对象")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["street"], name="enrolment_street_like", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=~Q(status="closed"),
                name="enrolment_one_open_per_household",
                violation_error_message=_("该家庭已在保障中。"),
            ),
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="enrolment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(review_interval_months__in=[6, 12]), name="enrolment_review_interval_6_or_12"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.tier} {self.monthly_amount}"

    @property
    def is_open(self) -> bool:
        return self.status != EnrolmentStatus.CLOSED


class EnrolmentPeriod(models.Model):
    """One stretch of the same tier and amount. Append-only; ``end_month`` is set once on close."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="periods")
    seq = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("变更类别"), max_length=16, choices=ChangeKind.choices)
    tier = models.CharField(_("保障类别"), max_length=24, choices=Tier.choices)
    monthly_amount = models.DecimalField(_("月救助金(元)"), max_digits=14, decimal_places=2)
    start_month = models.DateField(_("起始月份"))
    end_month = models.DateField(_("最后发放月份"), null=True, blank=True)
    # 特困 persons / 单人户 members the amount covers (member ids), empty for the whole household.
    members = ArrayField(models.BigIntegerField(), default=list, blank=True, verbose_name=_("保障成员"))
    parameters_used = models.JSONField(_("所用政策参数"), default=list, blank=True)
    evaluation = models.JSONField(_("测算结果"), null=True, blank=True)
    # Monthly wage + business income of the counted members when the period opened: a later rise
    # of this figure is what makes a dibao household's exit "through employment" (渐退, DOMAIN §4).
    earned_income = models.DecimalField(_("就业收入(元/月)"), max_digits=14, decimal_places=2, default=0)
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    review_task = models.ForeignKey(
        "casework.ReviewTask", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    reason = models.TextField(_("原因"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("截止登记时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("保障期间")
        verbose_name_plural = _("保障期间")
        ordering = ["enrolment_id", "seq"]
        indexes = [models.Index(fields=["start_month", "end_month"], name="period_months")]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "seq"], name="period_seq_once"),
            models.UniqueConstraint(
                fields=["decision"], condition=Q(decision__isnull=False), name="period_decision_once"
            ),
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="period_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(end_month__isnull=True)
                | Q(end_month__gte=models.F("start_month"))
                # A period closed before it began (a change decided before its first month) ends the
                # month before its start: it paid nothing.
                | Q(closed_at__isnull=False),
                name="period_months_ordered",
            ),
        ]

    def __str__(self) -> str:
        end = self.end_month.strftime("%Y-%m") if self.end_month else "…"
        return f"{self.enrolment_id}#{self.seq} {self.tier} {self.monthly_amount} {self.start_month:%Y-%m}–{end}"

    def covers(self, month: dt.date) -> bool:
        return self.start_month <= month and (self.end_month is None or month <= self.end_month)


class BridgingPayment(models.Model):
    """One month's amount at once as temporary assistance for a newly confirmed 低保/特困 household
    (DOMAIN §6 step 8). One per enrolment; it appears on a payment roll as its own line, once."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="bridging")
    amount = models.DecimalField(_("金额(元)"), max_digits=14, decimal_places=2)
    pay_from_month = models.DateField(_("随该月名册发放"))
    reason = models.CharField(_("说明"), max_length=200, blank=True, default="")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("过渡期临时救助")
        verbose_name_plural = _("过渡期临时救助")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="bridging_amount_positive")]

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.amount}"
