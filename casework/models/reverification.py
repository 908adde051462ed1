"""Periodic re-verification (动态管理, DOMAIN §6 step 10): runs, their chunks, and review tasks.

A ``ReverificationRun`` covers a population (households due, all enrolled households of an area,
or named households for an immediate re-check) on one ``as_of`` date. It is split into
``ReverificationChunk`` rows by household-id range; one Celery task per chunk claims the chunk
(conditional UPDATE with a lease), then claims each enrolment of the range with a conditional
UPDATE (``last_run IS DISTINCT FROM this run``) in the same transaction that records the results,
so no household is processed twice in a run and a rerun completes whatever a dead worker left.

A household whose engine result differs from its enrolment gets a ``ReviewTask`` for the street:
the job proposes (raise / lower / 渐退 / stop), people decide. It never changes a payment itself.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from applications.models import Household
from casework.models.enrolment import Enrolment, EnrolmentPeriod
from casework.models.review import Tier


class RunKind(models.TextChoices):
    SCHEDULED = "scheduled", _("定期复核(到期家庭)")
    FULL = "full", _("全面复核")
    IMMEDIATE = "immediate", _("即时复核")


class RunStatus(models.TextChoices):
    PENDING = "pending", _("待派发")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    INCOMPLETE = "incomplete", _("未完成(有失败分片)")


class ReverificationRun(models.Model):
    kind = models.CharField(_("类别"), max_length=10, choices=RunKind.choices)
    as_of = models.DateField(_("核对基准日"))
    scope_code = models.CharField(_("范围(区划代码前缀)"), max_length=12, blank=True, default="")
    household_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, verbose_name=_("指定家庭"))
    trigger = models.CharField(_("触发原因"), max_length=200, blank=True, default="")
    # What the review tasks of this run say they came from (定期/部门数据/家庭报告/全面).
    task_trigger = models.CharField(_("待办来源"), max_length=10, default="scheduled")
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    seconds = models.FloatField(_("耗时(秒)"), null=True, blank=True)
    chunk_size = models.PositiveIntegerField(_("分片大小"), default=10_000)
    chunks_total = models.PositiveIntegerField(_("分片数"), default=0)
    chunks_done = models.PositiveIntegerField(_("已完成分片"), default=0)
    households_total = models.PositiveIntegerField(_("应核对户数"), default=0)
    checked = models.PositiveIntegerField(_("已核对"), default=0)
    unchanged = models.PositiveIntegerField(_("无变化"), default=0)
    changed = models.PositiveIntegerField(_("有变化"), default=0)
    failed = models.PositiveIntegerField(_("失败"), default=0)

    class Meta:
        verbose_name = _("动态复核批次")
        verbose_name_plural = _("动态复核批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.as_of} {self.status}"

    @property
    def households_per_second(self) -> float | None:
        return self.checked / self.seconds if self.seconds else None


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    RUNNING = "running", _("处理中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ReverificationChunk(models.Model):
    """Households with ``id_from ≤ id < id_to`` of one run; claimed by one task at a time (lease)."""

    run = models.ForeignKey(ReverificationRun, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    id_from = models.BigIntegerField()
    id_to = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("复核分片")
        verbose_name_plural = _("复核分片")
        ordering = ["run_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["run", "seq"], name="chunk_seq_once"),
            models.CheckConstraint(condition=Q(id_to__gt=models.F("id_from")), name="chunk_range_not_empty"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} chunk {self.seq} [{self.id_from}, {self.id_to}) {self.status}"


class ReviewOutcome(models.TextChoices):
    RAISE = "raise", _("提高救助金")
    LOWER = "lower", _("降低救助金")
    GRADUAL_EXIT = "gradual_exit", _("渐退")
    STOP = "stop", _("停止救助")
    KEEP = "keep", _("维持原待遇")


# Outcomes that take money away need a written reason (DOMAIN §6 step 10).
REASON_REQUIRED = frozenset({ReviewOutcome.LOWER, ReviewOutcome.STOP, ReviewOutcome.GRADUAL_EXIT})


class TaskTrigger(models.TextChoices):
    SCHEDULED = "scheduled", _("定期复核")
    DATA = "data", _("部门数据变化")
    REPORTED = "reported", _("家庭报告变化")
    FULL = "full", _("全面复核")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已处理")


class ReviewTask(models.Model):
    """复核待办: a changed household for the street to decide on, with old and new values."""

    run = models.ForeignKey(
        ReverificationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="review_tasks"
    )
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="review_tasks")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"))
    trigger = models.CharField(_("来源"), max_length=10, choices=TaskTrigger.choices)
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    proposed_outcome = models.CharField(_("系统建议"), max_length=16, choices=ReviewOutcome.choices)
    old_tier = models.CharField(_("原类别"), max_length=24, choices=Tier.choices)
    old_amount = models.DecimalField(_("原月救助金"), max_digits=14, decimal_places=2)
    new_tier = models.CharField(_("复核类别"), max_length=24, choices=Tier.choices)
    new_amount = models.DecimalField(_("复核月救助金"), max_digits=14, decimal_places=2)
    employment_driven = models.BooleanField(_("因就业收入增加"), default=False)
    discrepancies = models.JSONField(_("部门数据差异"), default=list, blank=True)
    as_of = models.DateField(_("核对基准日"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    outcome = models.CharField(_("处理结果"), max_length=16, choices=ReviewOutcome.choices, blank=True, default="")
    reason = models.TextField(_("理由"), blank=True, default="")
    final_amount = models.DecimalField(_("决定月救助金"), max_digits=14, decimal_places=2, null=True, blank=True)
    effective_month = models.DateField(_("生效月份"), null=True, blank=True)
    last_paid_month = models.DateField(_("最后发放月份"), null=True, blank=True)
    evaluation = models.JSONField(_("复核测算(含所用参数)"), null=True, blank=True)
    document_no = models.CharField(_("通知书编号"), max_length=40, null=True, blank=True, unique=True)
    new_period = models.ForeignKey(EnrolmentPeriod, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_on = models.DateField(_("决定日期"), null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("复核待办")
        verbose_name_plural = _("复核待办")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street"], name="review_task_street_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["street", "status"], name="review_task_street_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"], condition=Q(status="open"), name="review_task_one_open_per_enrolment"
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["lower", "stop", "gradual_exit"]) | ~Q(reason=""),
                name="review_task_reduction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(outcome="") & Q(resolved_by__isnull=False)),
                name="review_task_resolved_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.proposed_outcome} {self.old_amount}→{self.new_amount}"

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN
