"""Volunteers (社工 + 志愿者): a register per street, tasks led by a social worker, hours recorded."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from casework.models.case import Case


class Volunteer(models.Model):
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"))
    name = models.CharField(_("姓名"), max_length=32)
    phone = models.CharField(_("联系电话"), max_length=20)
    skills = models.CharField(_("特长/可提供服务"), max_length=200, blank=True, default="")
    registered_on = models.DateField(_("登记日期"))
    active = models.BooleanField(_("在册"), default=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["street_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "phone"],
                name="volunteer_phone_once",
                violation_error_message=_("该手机号已在本街道登记为志愿者。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return self.phone[:3] + "****" + self.phone[-4:] if len(self.phone) >= 11 else self.phone


class TaskStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")


class VolunteerTask(models.Model):
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"))
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="volunteer_tasks", verbose_name=_("案件")
    )
    social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("负责社工")
    )
    title = models.CharField(_("任务"), max_length=100)
    description = models.TextField(_("任务内容"), blank=True, default="")
    scheduled_on = models.DateField(_("计划日期"))
    volunteers = models.ManyToManyField(Volunteer, related_name="tasks", verbose_name=_("志愿者"))
    status = models.CharField(_("状态"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("志愿服务任务")
        verbose_name_plural = _("志愿服务任务")
        ordering = ["-scheduled_on", "-id"]

    def __str__(self) -> str:
        return self.title


MAX_HOURS_A_DAY = Decimal("12")


class VolunteerHours(models.Model):
    task = models.ForeignKey(VolunteerTask, on_delete=models.PROTECT, related_name="hours")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="hours")
    worked_on = models.DateField(_("服务日期"))
    hours = models.DecimalField(_("服务时长(小时)"), max_digits=4, decimal_places=1)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("志愿服务时长")
        verbose_name_plural = _("志愿服务时长")
        ordering = ["worked_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=MAX_HOURS_A_DAY), name="volunteer_hours_range"
            ),
            models.UniqueConstraint(
                fields=["task", "volunteer", "worked_on"],
                name="volunteer_hours_once_a_day",
                violation_error_message=_("该志愿者当天的服务时长已登记。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.worked_on} {self.hours}h"
