"""Summary tables of the supervision dashboard (监督指导看板).

The dashboard of a county — and of the whole city — aggregates a million applications and hundreds of
thousands of enrolled households. Reading those tables on every page view would not meet the 300 ms
goal, so ``oversight.figures.refresh_figures`` (a Celery task, every 15 minutes by django-celery-beat,
and on demand) rewrites ``FigureCell`` in one transaction with a handful of GROUP BY passes, one per
source table. The page then sums at most a few thousand cells and states when they were computed
(``FigureRefresh``). Drill-down lists always read the live tables with the same filters.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    CASELOAD = "caseload", _("在保家庭(按类别)")  # snapshot; key = tier; count = households, people = persons
    RECEIVED = "received", _("受理申请")  # month = accepted_on
    DECIDED = "decided", _("审批办结")  # month = closed_on; key = approved/refused; days = working days sum
    SPENDING = "spending", _("救助金支出")  # month = roll month / paid_on; key = tier or "emergency"
    OVERDUE = "overdue", _("逾期案件")  # snapshot; key = step, or "any" for distinct cases
    REVIEWED = "reviewed", _("复核办结")  # month = resolved_on; key = outcome
    REVIEW_OPEN = "review_open", _("复核待办")  # snapshot
    ALERT_OPEN = "alert_open", _("监测预警待处理")  # snapshot; key = rule


class FigureCell(models.Model):
    """One aggregate of one street: a metric, a key (tier, status, step…), a month (or a snapshot)."""

    street = models.CharField(_("街道(乡镇)代码"), max_length=12)
    month = models.DateField(_("月份"), null=True, blank=True)  # first day; NULL for a snapshot figure
    metric = models.CharField(_("指标"), max_length=16, choices=Metric.choices)
    key = models.CharField(_("分类"), max_length=32, blank=True, default="")
    count = models.BigIntegerField(_("数量"), default=0)
    people = models.BigIntegerField(_("人数"), default=0)
    amount = models.DecimalField(_("金额(元)"), max_digits=16, decimal_places=2, default=0)
    days = models.BigIntegerField(_("工作日合计"), default=0)

    class Meta:
        verbose_name = _("看板统计单元")
        verbose_name_plural = _("看板统计单元")
        indexes = [
            models.Index(fields=["street"], name="figcell_street_like", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.street} {self.month or '-'} {self.metric}:{self.key} {self.count}"


class FigureRefresh(models.Model):
    """When the cells were last computed (one row per refresh; the page shows the latest)."""

    refreshed_at = models.DateTimeField(_("统计时间"))
    as_of = models.DateField(_("统计基准日"))
    seconds = models.FloatField(_("耗时(秒)"), default=0)
    cells = models.PositiveIntegerField(_("统计单元数"), default=0)

    class Meta:
        verbose_name = _("看板统计刷新")
        verbose_name_plural = _("看板统计刷新")
        ordering = ["-refreshed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M} ({self.cells})"
