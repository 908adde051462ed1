"""Hand-off (政府救助与慈善救助衔接): a case's unmet need referred to a charity fund.

The life cycle is data (``TRANSITIONS``): for each status, the statuses it may move to, the action
that does it, who may take it and whether a reason is required. ``charity.services.handoffs.transition``
is the one guard; the pages build their buttons from ``next_steps``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from accounts.models import Region, Role
from charity.models.funds import MONEY, Fund, NeedType


class HandOffStatus(models.TextChoices):
    REFERRED = "referred", _("已转介(待受理)")
    ACCEPTED = "accepted", _("已受理(待审批)")
    DECLINED = "declined", _("不予资助")
    APPROVED = "approved", _("已批准(待支付)")
    PAID = "paid", _("已支付")
    CLOSED = "closed", _("已结案")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATUSES = frozenset({HandOffStatus.REFERRED, HandOffStatus.ACCEPTED, HandOffStatus.APPROVED, HandOffStatus.PAID})
FINAL_STATUSES = frozenset({HandOffStatus.DECLINED, HandOffStatus.CLOSED, HandOffStatus.WITHDRAWN})
REFERRER_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SOCIAL_WORKER, Role.SUPERVISOR})
CHARITY_ROLES = frozenset({Role.CHARITY})


@dataclass(frozen=True)
class Step:
    action: str
    label: StrOrPromise
    roles: frozenset[str]
    needs_reason: bool = False


_DECLINE = Step("decline", _("不予资助"), CHARITY_ROLES, needs_reason=True)

TRANSITIONS: dict[str, dict[str, Step]] = {
    HandOffStatus.REFERRED: {
        HandOffStatus.ACCEPTED: Step("accept", _("受理转介"), CHARITY_ROLES),
        HandOffStatus.DECLINED: _DECLINE,
        HandOffStatus.WITHDRAWN: Step("withdraw", _("撤回转介"), REFERRER_ROLES, needs_reason=True),
    },
    HandOffStatus.ACCEPTED: {
        HandOffStatus.APPROVED: Step("approve", _("批准资助"), CHARITY_ROLES),
        HandOffStatus.DECLINED: _DECLINE,
    },
    HandOffStatus.APPROVED: {
        HandOffStatus.PAID: Step("pay", _("支付资助款"), CHARITY_ROLES),
        HandOffStatus.DECLINED: Step("cancel", _("撤销资助"), CHARITY_ROLES, needs_reason=True),
    },
    HandOffStatus.PAID: {
        HandOffStatus.CLOSED: Step("close", _("结案"), CHARITY_ROLES),
        # Taken only by reversing the payment entry (the bank returned the money, a wrong amount…).
        HandOffStatus.APPROVED: Step("reverse_payment", _("冲销支付"), CHARITY_ROLES, needs_reason=True),
    },
}


def _actions() -> dict[str, tuple[str, Step]]:
    """Action name → (target status, step): the page's forms and the API's endpoints are per action."""
    actions: dict[str, tuple[str, Step]] = {}
    for steps in TRANSITIONS.values():
        for target, step in steps.items():
            actions.setdefault(step.action, (target, step))
    return actions


ACTIONS = _actions()


def next_steps(status: str, role: str | None) -> list[tuple[str, Step]]:
    """(target, step) pairs a person of ``role`` may take from ``status`` (reversal excluded: it is
    taken from the ledger, on the payment's voucher)."""
    return [
        (to, step)
        for to, step in TRANSITIONS.get(status, {}).items()
        if role is not None and role in step.roles and step.action != "reverse_payment"
    ]


def statuses_waiting_for(role: str) -> list[str]:
    return [
        status
        for status, steps in TRANSITIONS.items()
        if any(role in s.roles and s.action not in {"withdraw", "reverse_payment"} for s in steps.values())
    ]


def consent_upload_to(instance: models.Model, filename: str) -> str:
    """Random file names: a scan's path must not carry a name or an ID number."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"charity/consents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


class HandOff(models.Model):
    case = models.ForeignKey(
        "casework.Case", on_delete=models.PROTECT, related_name="charity_handoffs", verbose_name=_("救助案件")
    )
    # Copied from the case: the scoping path (street staff see their street, the county its county).
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"))
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="handoffs", verbose_name=_("承接基金"))
    need_type = models.CharField(_("需求类别"), max_length=12, choices=NeedType.choices)
    description = models.TextField(_("未满足需求说明"))
    amount_asked = models.DecimalField(_("申请金额(元)"), **MONEY)

    consent_by = models.CharField(_("同意人"), max_length=32)
    consent_relation = models.CharField(_("与申请人关系"), max_length=16, blank=True, default="")
    consent_on = models.DateField(_("同意日期"))
    consent_scan = models.FileField(_("同意书扫描件"), upload_to=consent_upload_to, blank=True, default="")

    status = models.CharField(
        _("状态"), max_length=12, choices=HandOffStatus.choices, default=HandOffStatus.REFERRED, db_index=True
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("转介人")
    )
    referred_at = models.DateTimeField(_("转介时间"), default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("慈善专员"),
    )
    decision_reason = models.TextField(_("不予资助/撤回原因"), blank=True, default="")
    grant_amount = models.DecimalField(_("批准金额(元)"), **MONEY, null=True, blank=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("慈善救助衔接")
        verbose_name_plural = _("慈善救助衔接")
        ordering = ["-referred_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(consent_by=""), name="charity_handoff_consent_required"),
            models.CheckConstraint(condition=Q(amount_asked__gt=0), name="charity_handoff_asked_positive"),
            models.CheckConstraint(
                condition=Q(grant_amount__isnull=True)
                | (Q(grant_amount__gt=0) & Q(grant_amount__lte=models.F("amount_asked"))),
                name="charity_handoff_grant_within_asked",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "paid", "closed"]) | Q(grant_amount__isnull=False),
                name="charity_handoff_granted_has_amount",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["declined", "withdrawn"]) | ~Q(decision_reason=""),
                name="charity_handoff_decline_has_reason",
            ),
            models.UniqueConstraint(
                fields=["case", "need_type"],
                condition=Q(status__in=["referred", "accepted", "approved", "paid"]),
                name="charity_handoff_one_open_per_need",
            ),
        ]
        indexes = [
            models.Index(fields=["street"], name="charity_handoff_street_like", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return f"衔接-{self.pk}"

    @property
    def number(self) -> str:
        return f"衔接-{self.pk:05d}" if self.pk else "衔接"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_tone(self) -> str:
        tones: dict[str, str] = {
            HandOffStatus.PAID: "ok",
            HandOffStatus.CLOSED: "ok",
            HandOffStatus.DECLINED: "bad",
            HandOffStatus.WITHDRAWN: "",
            HandOffStatus.APPROVED: "info",
        }
        return tones.get(self.status, "warn")


class HandOffEvent(models.Model):
    """The hand-off's timeline (shown on the case page); append-only, an audit row is written beside it."""

    handoff = models.ForeignKey(HandOff, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=12, choices=HandOffStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=HandOffStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)
    amount = models.DecimalField(_("金额(元)"), **MONEY, null=True, blank=True)
    reason = models.TextField(_("原因/说明"), blank=True, default="")

    class Meta:
        verbose_name = _("衔接进程")
        verbose_name_plural = _("衔接进程")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.handoff_id}: {self.from_status} → {self.to_status}"

    @property
    def label(self) -> str:
        if self.action == "refer":
            return str(_("转介慈善救助"))
        step = ACTIONS.get(self.action)
        return str(step[1].label) if step else self.action
