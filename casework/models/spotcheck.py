"""Spot checks (抽查) of a street's confirmed cases by the county civil-affairs supervisor.

A ``SpotCheck`` is one batch for one street: the population is every case of the street that the
street confirmed (status ``approved`` with an approving ``Decision`` dated inside the stated
period), ordered by case id; the sample is ``ceil(percentage × N / 100)`` of them (at least one
when N > 0) drawn with ``random.Random(seed).sample(sorted_ids, n)``. The seed, the population size,
the population ids and the sampled ids are stored, so anyone can redraw the sample and get the
same cases.

Each sampled case is a ``SpotCheckItem``. The supervisor records the result (correct, wrong amount,
should not be enrolled, missing documents). A result other than "correct" opens a rectification
(整改) for the street: the street responds (rectified — a money change only through the existing
re-verification procedure — or disputed), and the supervisor closes it or returns it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.audit import register_action_labels
from accounts.models import Region
from casework.models.case import Case
from casework.models.enrolment import Enrolment
from casework.models.reverification import ReviewTask
from casework.models.review import Tier


class SpotCheckStatus(models.TextChoices):
    CHECKING = "checking", _("抽查中")
    RECTIFYING = "rectifying", _("整改中")
    CLOSED = "closed", _("已办结")


class CheckResult(models.TextChoices):
    PENDING = "pending", _("待检查")
    CORRECT = "correct", _("认定正确")
    WRONG_AMOUNT = "wrong_amount", _("救助金额有误")
    SHOULD_NOT_BE_ENROLLED = "should_not_be_enrolled", _("不应纳入保障")
    MISSING_DOCUMENTS = "missing_documents", _("档案材料缺失")


# Results that send the case back to the street (整改).
FAULT_RESULTS = frozenset({CheckResult.WRONG_AMOUNT, CheckResult.SHOULD_NOT_BE_ENROLLED, CheckResult.MISSING_DOCUMENTS})


class RectificationStatus(models.TextChoices):
    NONE = "", _("无需整改")
    OPEN = "open", _("待整改")
    RESPONDED = "responded", _("街道已反馈")
    CLOSED = "closed", _("已销号")


class StreetResponse(models.TextChoices):
    RECTIFIED = "rectified", _("已整改")
    DISPUTED = "disputed", _("有异议")


class SpotCheck(models.Model):
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"))
    period_start = models.DateField(_("审批日期起"))
    period_end = models.DateField(_("审批日期止"))
    percentage = models.DecimalField(_("抽查比例(%)"), max_digits=5, decimal_places=2)
    seed = models.CharField(_("随机种子"), max_length=64)
    population_size = models.PositiveIntegerField(_("总体案件数"))
    population_ids = ArrayField(models.BigIntegerField(), default=list, verbose_name=_("总体案件(按编号排序)"))
    sample_size = models.PositiveIntegerField(_("样本数"))
    sample_ids = ArrayField(models.BigIntegerField(), default=list, verbose_name=_("抽中案件"))
    note = models.CharField(_("抽查说明"), max_length=500, blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=12, choices=SpotCheckStatus.choices, default=SpotCheckStatus.CHECKING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("抽查人")
    )
    created_at = models.DateTimeField(_("抽取时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("抽查批次")
        verbose_name_plural = _("抽查批次")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street"], name="spot_check_street_like", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage__gt=0) & Q(percentage__lte=100), name="spot_check_percentage_range"
            ),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="spot_check_period"),
            models.CheckConstraint(
                condition=Q(sample_size__lte=models.F("population_size")), name="spot_check_sample_in_population"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.street_id} {self.percentage}% seed={self.seed}"


class SpotCheckItem(models.Model):
    spot_check = models.ForeignKey(SpotCheck, on_delete=models.PROTECT, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="spot_check_items", verbose_name=_("案件"))
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"))
    seq = models.PositiveIntegerField(_("序号"))
    # What the street decided, as it stood when the sample was drawn.
    tier = models.CharField(_("认定类别"), max_length=24, choices=Tier.choices, blank=True, default="")
    decided_amount = models.DecimalField(_("决定月救助金"), max_digits=14, decimal_places=2, default=0)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount_at_draw = models.DecimalField(_("抽取时月救助金"), max_digits=14, decimal_places=2, null=True, blank=True)

    result = models.CharField(_("检查结果"), max_length=24, choices=CheckResult.choices, default=CheckResult.PENDING)
    note = models.TextField(_("检查意见"), blank=True, default="")
    correct_amount = models.DecimalField(_("核定应发月救助金"), max_digits=14, decimal_places=2, null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("检查时间"), null=True, blank=True)

    rectification_status = models.CharField(
        _("整改状态"), max_length=10, choices=RectificationStatus.choices, blank=True, default=""
    )
    rectify_due = models.DateField(_("整改期限"), null=True, blank=True)
    response = models.CharField(_("街道反馈"), max_length=10, choices=StreetResponse.choices, blank=True, default="")
    response_note = models.TextField(_("整改情况"), blank=True, default="")
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    # The re-verification review task through which the street changed the money (if any).
    review_task = models.ForeignKey(ReviewTask, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    supervisor_note = models.TextField(_("监督意见"), blank=True, default="")
    returned_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("抽查案件")
        verbose_name_plural = _("抽查案件")
        ordering = ["spot_check_id", "seq"]
        indexes = [
            models.Index(fields=["street"], name="spot_item_street_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["street", "rectification_status"], name="spot_item_street_rect"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "case"], name="spot_item_case_once"),
            models.UniqueConstraint(fields=["spot_check", "seq"], name="spot_item_seq_once"),
            models.CheckConstraint(
                condition=Q(result__in=["pending", "correct"]) | ~Q(note=""), name="spot_item_fault_has_note"
            ),
            models.CheckConstraint(
                condition=~Q(result="wrong_amount") | Q(correct_amount__isnull=False),
                name="spot_item_wrong_amount_has_amount",
            ),
            models.CheckConstraint(
                condition=Q(result="pending") | Q(checked_by__isnull=False), name="spot_item_result_has_checker"
            ),
        ]

    def __str__(self) -> str:
        return f"spot check {self.spot_check_id} case {self.case_id} {self.result}"

    @property
    def is_fault(self) -> bool:
        return self.result in FAULT_RESULTS


register_action_labels(
    {
        "spot_check.create": "抽查抽样",
        "spot_check.result": "登记抽查结果",
        "spot_check.respond": "街道反馈整改情况",
        "spot_check.close": "整改销号",
        "spot_check.return": "整改退回",
    }
)
