"""Models of county/city supervision.

The department data interface (部门数据共享接口): other departments (医保局, 教育局, 住建局, 人社局 …)
ask whether a person currently receives assistance. Each department is a ``DepartmentClient`` with
what it is entitled to learn (tiers, since-date, amount) and the region it may ask about; it calls
with a ``DepartmentToken`` (only the SHA-256 of the secret is stored; the 8-character prefix finds
the row); every query is written to ``DepartmentQueryLog`` (masked ID and blind index only — a
PostgreSQL trigger makes the log append-only, migration 0001).

Other summary models of the supervision dashboard are imported at the end of this module.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region

# Tiers a department may be entitled to learn (the enrolment tiers; 急难 is a one-off payment).
DEPARTMENT_TIER_CHOICES = [
    ("tekun", _("特困人员救助供养")),
    ("dibao", _("最低生活保障")),
    ("low_income", _("低收入家庭")),
    ("expenditure_hardship", _("支出型困难家庭")),
]


class DepartmentClient(models.Model):
    """A department allowed to query recipient status, and what it is entitled to learn."""

    code = models.SlugField(_("部门代码"), max_length=32, unique=True, help_text=_("例如 medical_insurance"))
    name = models.CharField(_("部门名称"), max_length=64)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("查询范围"),
        help_text=_("市级部门选合肥市,县级部门选所在县(市、区)"),
    )
    allowed_tiers = ArrayField(
        models.CharField(max_length=24, choices=DEPARTMENT_TIER_CHOICES),
        default=list,
        blank=True,
        verbose_name=_("可查询的保障类别"),
    )
    may_see_since = models.BooleanField(_("可获知起始月份"), default=True)
    may_see_amount = models.BooleanField(_("可获知月救助金"), default=False)
    rate_limit_per_minute = models.PositiveIntegerField(_("每分钟查询上限"), default=60)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明(依据文件)"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("数据共享部门")
        verbose_name_plural = _("数据共享部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


class DepartmentToken(models.Model):
    """One API credential of a department. The secret is shown once at issue; only its hash is kept.

    Presented as ``Authorization: Department <prefix>.<secret>``.
    """

    client = models.ForeignKey(
        DepartmentClient, on_delete=models.PROTECT, related_name="tokens", verbose_name=_("部门")
    )
    prefix = models.CharField(_("令牌前缀"), max_length=12, unique=True)
    secret_hash = models.CharField(_("令牌摘要(SHA-256)"), max_length=64)
    label = models.CharField(_("用途说明"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("部门接口令牌")
        verbose_name_plural = _("部门接口令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.prefix}"

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class QueryOutcome(models.TextChoices):
    ANSWERED = "answered", _("已答复")
    INVALID = "invalid", _("证件号无效")
    RATE_LIMITED = "rate_limited", _("超出频率限制")


class DepartmentQueryLog(models.Model):
    """Every recipient-status query. Append-only (trigger); never holds a full resident ID."""

    client = models.ForeignKey(
        DepartmentClient, on_delete=models.PROTECT, related_name="queries", verbose_name=_("部门")
    )
    token = models.ForeignKey(
        DepartmentToken, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("令牌")
    )
    at = models.DateTimeField(_("查询时间"), auto_now_add=True, db_index=True)
    id_masked = models.CharField(_("证件号(脱敏)"), max_length=18, blank=True, default="")
    id_index = models.CharField(_("证件号索引"), max_length=64, blank=True, default="", db_index=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=QueryOutcome.choices)
    recipient = models.BooleanField(_("是否在保"), default=False)
    answer = models.JSONField(_("答复摘要"), default=dict, blank=True)
    # Street of the enrolment found (empty when none): lets a county supervisor see the queries
    # about people of their county, whichever department asked.
    region_code = models.CharField(_("对象所在街道"), max_length=12, blank=True, default="")
    client_ip = models.CharField(_("来源IP"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("部门查询日志")
        verbose_name_plural = _("部门查询日志")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["region_code"], name="dept_query_region_like", opclasses=["varchar_pattern_ops"])
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="answered") | Q(recipient=False), name="dept_query_recipient_only_if_answered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.client_id} {self.id_masked} {self.outcome}"


from oversight.models_summary import FigureCell, FigureRefresh  # noqa: E402,F401  (dashboard summary tables)
