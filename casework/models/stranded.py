"""Stranded persons (生活无着的流浪乞讨人员): a street register tracked as a case.

Short-term help (food, lodging, medical care, a ticket home) is recorded as ``StrandedHelp``;
the person's record moves through ``STRANDED_TRANSITIONS`` — registered → helping → returned home,
settled (落户安置), transferred to the rescue station, or left — with a history row per change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, Role
from casework.models.case import Step

STRANDED_STAFF = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SOCIAL_WORKER})
STRANDED_LEADS = frozenset({Role.REVIEWER, Role.APPROVER})


class StrandedStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    HELPING = "helping", _("短期救助中")
    RETURNED = "returned", _("已护送返乡")
    SETTLED = "settled", _("已落户安置")
    TRANSFERRED = "transferred", _("已转送救助管理站")
    LEFT = "left", _("自行离开")


STRANDED_CLOSED = frozenset(
    {StrandedStatus.RETURNED, StrandedStatus.SETTLED, StrandedStatus.TRANSFERRED, StrandedStatus.LEFT}
)

_TRANSFER = Step("transfer", _("转送救助管理站"), STRANDED_STAFF)
_LEAVE = Step("leave", _("自行离开"), STRANDED_STAFF)
STRANDED_TRANSITIONS: dict[str, dict[str, Step]] = {
    StrandedStatus.REGISTERED: {
        StrandedStatus.HELPING: Step("start_help", _("开始短期救助"), STRANDED_STAFF),
        StrandedStatus.TRANSFERRED: _TRANSFER,
        StrandedStatus.LEFT: _LEAVE,
    },
    StrandedStatus.HELPING: {
        StrandedStatus.RETURNED: Step("return_home", _("护送返乡"), STRANDED_STAFF),
        StrandedStatus.SETTLED: Step("settle", _("落户安置"), STRANDED_LEADS),
        StrandedStatus.TRANSFERRED: _TRANSFER,
        StrandedStatus.LEFT: _LEAVE,
    },
}
STRANDED_ACTION_TARGETS: dict[str, str] = {
    step.action: to for steps in STRANDED_TRANSITIONS.values() for to, step in steps.items()
}


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")
    UNKNOWN = "U", _("不详")


class StrandedPerson(models.Model):
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("发现地街道"))
    found_on = models.DateField(_("发现日期"))
    found_place = models.CharField(_("发现地点"), max_length=100)
    name = models.CharField(_("姓名(自述)"), max_length=32, blank=True, default="")
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    approx_age = models.PositiveSmallIntegerField(_("年龄(约)"), null=True, blank=True)
    description = models.TextField(_("体貌、健康状况"), blank=True, default="")
    claimed_origin = models.CharField(_("自述户籍地"), max_length=100, blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=12, choices=StrandedStatus.choices, default=StrandedStatus.REGISTERED, db_index=True
    )
    outcome = models.CharField(_("去向(返乡地/安置地)"), max_length=200, blank=True, default="")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("流浪乞讨人员")
        verbose_name_plural = _("流浪乞讨人员")
        ordering = ["-found_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["returned", "settled"]) | ~Q(outcome=""), name="stranded_outcome_place"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or str(_("姓名不详"))

    @property
    def is_open(self) -> bool:
        return self.status not in STRANDED_CLOSED


class HelpKind(models.TextChoices):
    FOOD = "food", _("提供饮食")
    LODGING = "lodging", _("提供住处")
    MEDICAL = "medical", _("疾病救治")
    CLOTHING = "clothing", _("衣物")
    FAMILY = "family", _("寻亲/联系家属")
    TICKET = "ticket", _("返乡交通费")
    OTHER = "other", _("其他")


class StrandedHelp(models.Model):
    person = models.ForeignKey(StrandedPerson, on_delete=models.CASCADE, related_name="helps")
    kind = models.CharField(_("救助内容"), max_length=10, choices=HelpKind.choices)
    given_on = models.DateField(_("日期"))
    amount = models.DecimalField(_("折合金额(元)"), max_digits=10, decimal_places=2, default=0)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("临时救助记录")
        verbose_name_plural = _("临时救助记录")
        ordering = ["given_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="stranded_help_amount")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}"


class StrandedEvent(models.Model):
    person = models.ForeignKey(StrandedPerson, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=StrandedStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=StrandedStatus.choices)
    action = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("流浪乞讨人员状态变更")
        verbose_name_plural = _("流浪乞讨人员状态变更")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.from_status} → {self.to_status}"
