"""Monitoring and active discovery (防止返贫监测 / 主动发现, DOMAIN §6 step 1 and §7).

- ``AlertRule``: the rules are data (code, label, threshold, look-back window), seeded by a
  migration and adjustable by an administrator; the logic of each lives in
  ``casework.services.monitoring``.
- ``MonitoringRecord``: department facts that matter for monitoring but not for the means test
  (医保 out-of-pocket cost, 残联 disability certification, 人社 unemployment registration), keyed by
  the resident-ID blind index like ``DataExchangeRecord``.
- ``Alert``: one rule firing for one household; goes to the street's queue, where staff dismiss it
  or open an application from it.
- ``DiscoveryLead``: a grid worker's / community worker's report of a household in difficulty,
  with a follow-up deadline in working days.
- ``ScanCursor``: how far the scans have read each source (so every record is looked at once).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.crypto import EncryptedTextField, mask_phone
from accounts.models import Region
from applications.models import Application, Household, Member


class RuleCode(models.TextChoices):
    HIGH_MEDICAL_COST = "high_medical_cost", _("高额自付医疗费用")
    NEW_DISABILITY = "new_disability", _("新增残疾认定")
    UNEMPLOYMENT = "unemployment", _("失业")
    INCOME_DROP = "income_drop", _("收入骤降")
    RIGID_OVER_INCOME = "rigid_over_income", _("刚性支出超过上年收入")


class AlertRule(models.Model):
    code = models.CharField(_("规则"), max_length=24, choices=RuleCode.choices, primary_key=True)
    label = models.CharField(_("名称"), max_length=64)
    description = models.TextField(_("说明"))
    enabled = models.BooleanField(_("启用"), default=True)
    threshold = models.DecimalField(_("阈值"), max_digits=14, decimal_places=4, null=True, blank=True)
    window_days = models.PositiveIntegerField(_("回溯天数"), default=365)
    source = models.CharField(_("依据"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("监测预警规则")
        verbose_name_plural = _("监测预警规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label


class MonitoringDepartment(models.TextChoices):
    MEDICAL_INSURANCE = "medical_insurance", _("医保")
    DISABLED_FEDERATION = "disabled_federation", _("残联")
    HUMAN_RESOURCES = "human_resources", _("人社(就业)")


class MonitoringKind(models.TextChoices):
    MEDICAL_OUT_OF_POCKET = "medical_out_of_pocket", _("近12个月个人自付医疗费用")
    DISABILITY_CERTIFIED = "disability_certified", _("残疾人证核发/等级变更")
    UNEMPLOYMENT_REGISTERED = "unemployment_registered", _("失业登记")


class MonitoringRecord(models.Model):
    department = models.CharField(_("部门"), max_length=24, choices=MonitoringDepartment.choices)
    kind = models.CharField(_("类别"), max_length=32, choices=MonitoringKind.choices)
    id_index = models.CharField(_("证件号索引"), max_length=64, db_index=True)
    amount = models.DecimalField(_("金额(元)"), max_digits=14, decimal_places=2, null=True, blank=True)
    grade = models.PositiveSmallIntegerField(_("残疾等级"), null=True, blank=True)
    value = models.CharField(_("内容"), max_length=200, blank=True, default="")
    as_of = models.DateField(_("数据日期"))
    source_ref = models.CharField(_("来源编号"), max_length=64, blank=True, default="")
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("监测共享数据")
        verbose_name_plural = _("监测共享数据")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_department_display()} {self.get_kind_display()} {self.amount or self.grade or self.value}"


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    APPLICATION = "application", _("已转入申请")
    DISMISSED = "dismissed", _("核实后无需救助")


class Alert(models.Model):
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts", verbose_name=_("规则"))
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("家庭"))
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("成员")
    )
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"))
    message = models.CharField(_("预警内容"), max_length=300)
    facts = models.JSONField(_("依据数据"), default=dict, blank=True)
    # rule + person/household + source record: the same fact never raises a second alert.
    dedupe_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    created_at = models.DateTimeField(_("预警时间"), auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    handling_note = models.TextField(_("处理说明"), blank=True, default="")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("监测预警")
        verbose_name_plural = _("监测预警")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street"], name="alert_street_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["street", "status"], name="alert_street_status"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.household_id} {self.status}"


class LeadStatus(models.TextChoices):
    OPEN = "open", _("待跟进")
    FOLLOWED = "followed", _("已走访")
    APPLICATION = "application", _("已转入申请")
    CLOSED = "closed", _("已办结(无需救助)")


class Difficulty(models.TextChoices):
    ILLNESS = "illness", _("重病/长期患病")
    DISABILITY = "disability", _("残疾")
    UNEMPLOYMENT = "unemployment", _("失业/无业")
    ACCIDENT = "accident", _("意外事故/灾害")
    ELDERLY_ALONE = "elderly_alone", _("独居/空巢老人")
    CHILD = "child", _("困境儿童")
    HOUSING = "housing", _("住房困难")
    OTHER = "other", _("其他")


class ReporterRole(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    COMMUNITY_STAFF = "community_staff", _("社区(村)工作人员")
    SOCIAL_WORKER = "social_worker", _("社工")
    VOLUNTEER = "volunteer", _("志愿者")


class DiscoveryLead(models.Model):
    """主动发现线索: reported from the field on a phone; followed up within the deadline."""

    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"))
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("社区(村)")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("已建档家庭")
    )
    subject_name = models.CharField(_("困难群众姓名"), max_length=32)
    subject_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    address = models.CharField(_("住址"), max_length=200)
    difficulties = ArrayField(models.CharField(max_length=20, choices=Difficulty.choices), verbose_name=_("困难情形"))
    description = models.TextField(_("情况说明"))
    urgent = models.BooleanField(_("情况紧急"), default=False)
    reporter_name = models.CharField(_("报告人"), max_length=32)
    reporter_role = models.CharField(_("报告人身份"), max_length=20, choices=ReporterRole.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("报告时间"), auto_now_add=True)
    reported_on = models.DateField(_("报告日期"))
    follow_up_due = models.DateField(_("跟进时限"))
    due_provisional = models.BooleanField(_("时限为暂定"), default=False)
    status = models.CharField(_("状态"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.OPEN)
    follow_up_note = models.TextField(_("跟进情况"), blank=True, default="")
    followed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    followed_at = models.DateTimeField(_("跟进时间"), null=True, blank=True)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("主动发现线索")
        verbose_name_plural = _("主动发现线索")
        ordering = ["follow_up_due", "id"]
        indexes = [
            models.Index(fields=["street"], name="lead_street_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["street", "status"], name="lead_street_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(difficulties=[]), name="lead_has_difficulty"),
            models.CheckConstraint(condition=Q(follow_up_due__gte=models.F("reported_on")), name="lead_due_after"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} {self.follow_up_due}"

    @property
    def subject_phone_masked(self) -> str:
        return mask_phone(self.subject_phone)

    def difficulty_labels(self) -> list[str]:
        labels = dict(Difficulty.choices)
        return [str(labels.get(d, d)) for d in self.difficulties]


class ScanCursor(models.Model):
    """High-water mark of a scan: last id read of an append-only source, or last change time seen."""

    key = models.CharField(max_length=40, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("扫描进度")
        verbose_name_plural = _("扫描进度")

    def __str__(self) -> str:
        return f"{self.key}: {self.last_id}"
