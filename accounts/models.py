"""Org structure (the region tree), staff users with roles, and the audit log."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A node of the official division tree (National Bureau of Statistics codes).

    Codes are hierarchical prefixes (3401 → 340104 → 340104001 → 340104001001), so
    "inside region R" is ``code LIKE 'R%'``: scoping needs no recursive query.
    """

    class Level(models.TextChoices):
        CITY = "city", _("市")
        COUNTY = "county", _("县(市、区)")
        STREET = "street", _("街道(乡镇)")
        COMMUNITY = "community", _("社区(村)")

    class StandardArea(models.TextChoices):
        DISTRICT = "district", _("市区")
        COUNTY = "county", _("县域")

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级")
    )
    standard_area = models.CharField(_("标准区域"), max_length=10, choices=StandardArea.choices, blank=True, default="")
    service_brand = models.CharField(_("服务品牌(一街一品)"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [models.Index(fields=["code"], name="region_code_like", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    @property
    def county_code(self) -> str | None:
        return self.code[:6] if len(self.code) >= 6 else None

    def chain_codes(self) -> list[str]:
        """Own code and every ancestor's, nearest first (used for parameter fall-back)."""
        codes = [self.code]
        for length in (9, 6, 4):
            if len(self.code) > length:
                codes.append(self.code[:length])
        return codes


class Role(models.TextChoices):
    CLERK = "clerk", _("窗口受理")
    REVIEWER = "reviewer", _("街道审核")
    APPROVER = "approver", _("街道审批")
    SOCIAL_WORKER = "social_worker", _("社工")
    SUPERVISOR = "supervisor", _("县级民政监督")
    CHARITY = "charity", _("慈善专员")
    ADMIN = "admin", _("系统管理员")


STREET_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SOCIAL_WORKER})


class StaffManager(UserManager["User"]):
    pass


class User(AbstractUser):
    """A staff member. Their region decides what they may see (see accounts.selectors)."""

    role = models.CharField(_("岗位"), max_length=20, choices=Role.choices, default=Role.CLERK)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("所属区划")
    )
    full_name = models.CharField(_("姓名"), max_length=32, blank=True, default="")
    can_reveal_ids = models.BooleanField(_("可查看完整证件号"), default=False)

    objects: ClassVar[StaffManager] = StaffManager()

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class AuditLog(models.Model):
    """Append-only: a PostgreSQL trigger (migration 0002) refuses UPDATE and DELETE."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("操作人")
    )
    actor_label = models.CharField(_("操作人标识"), max_length=64, blank=True, default="")
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象"), max_length=64)
    region_code = models.CharField(_("区划"), max_length=12, blank=True, default="")
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    reason = models.TextField(_("原因"), blank=True, default="")

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["region_code"], name="audit_region_like", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    @property
    def action_display(self) -> str:
        from accounts.audit import ACTION_LABELS

        return ACTION_LABELS.get(self.action, self.action)


class IdempotencyRecord(models.Model):
    """One ``Idempotency-Key`` of one staff member on one endpoint (see ``accounts.idempotency``).

    The row is inserted (state ``in_progress``) in its own short transaction before the business write;
    the unique constraint makes a concurrent duplicate fail fast (409). The finished response is stored
    for replay for 24 hours; response bodies of the covered endpoints show ID numbers masked only.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("处理中")
        DONE = "done", _("已完成")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("工作人员"))
    key = models.CharField(_("幂等键"), max_length=255)
    endpoint = models.CharField(_("接口"), max_length=500, help_text=_("方法与路径，如 POST /api/v1/intake/"))
    request_hash = models.CharField(_("请求体摘要"), max_length=64, help_text=_("规范化 JSON 的 SHA-256"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    response_body = models.JSONField(_("响应内容"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)

    class Meta:
        verbose_name = _("幂等请求记录")
        verbose_name_plural = _("幂等请求记录")
        constraints = [models.UniqueConstraint(fields=["user", "endpoint", "key"], name="idempotency_key_unique")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key} ({self.state})"
