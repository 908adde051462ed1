"""Referrals (转介) to departments or organisations and case conferences (个案会商): the assistance chain.

A referral's life cycle is data (``REFERRAL_TRANSITIONS``): drafted → sent → acknowledged →
answered (accepted or declined, with the department's answer) → closed. ``due_on`` is set when it
is sent (N working days, ``casework.workdays``); a sent or acknowledged referral past it is overdue.
``casework.services.referrals.referral_transition`` is the one guard.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.models.case import Case, Step
from casework.models.plans import CASE_HANDLERS, STREET_LEADS, SpecialAssistanceItem


class ReferralStatus(models.TextChoices):
    DRAFTED = "drafted", _("草拟")
    SENT = "sent", _("已发送，待签收")
    ACKNOWLEDGED = "acknowledged", _("已签收，待答复")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


class ReferralResult(models.TextChoices):
    ACCEPTED = "accepted", _("予以救助/受理")
    DECLINED = "declined", _("不予受理")


class TargetKind(models.TextChoices):
    DEPARTMENT = "department", _("政府部门")
    ORGANISATION = "organisation", _("社会组织/机构")


WAITING_STATUSES = frozenset({ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED})

REFERRAL_TRANSITIONS: dict[str, dict[str, Step]] = {
    ReferralStatus.DRAFTED: {
        ReferralStatus.SENT: Step("send", _("发送转介"), CASE_HANDLERS),
        ReferralStatus.CLOSED: Step("withdraw", _("撤销转介"), STREET_LEADS),
    },
    ReferralStatus.SENT: {
        ReferralStatus.ACKNOWLEDGED: Step("acknowledge", _("登记对方签收"), CASE_HANDLERS),
        ReferralStatus.ANSWERED: Step("answer", _("登记对方答复"), CASE_HANDLERS),
    },
    ReferralStatus.ACKNOWLEDGED: {
        ReferralStatus.ANSWERED: Step("answer", _("登记对方答复"), CASE_HANDLERS),
    },
    ReferralStatus.ANSWERED: {
        ReferralStatus.CLOSED: Step("close", _("转介办结"), CASE_HANDLERS),
    },
}
ACTION_TARGETS: dict[str, str] = {
    step.action: to for steps in REFERRAL_TRANSITIONS.values() for to, step in steps.items()
}


def referral_next_steps(status: str, role: str | None) -> list[tuple[str, Step]]:
    return [(to, s) for to, s in REFERRAL_TRANSITIONS.get(status, {}).items() if role is not None and role in s.roles]


class CaseConference(models.Model):
    """个案会商: who took part, what was discussed, and the measures agreed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conferences")
    held_on = models.DateField(_("会商日期"))
    place = models.CharField(_("地点"), max_length=64, blank=True, default="")
    participants = models.JSONField(_("参会人员"), default=list)
    discussion = models.TextField(_("会商情况"))
    measures = models.JSONField(_("议定措施"), default=list)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("个案会商")
        verbose_name_plural = _("个案会商")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.held_on}"


class Referral(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    special_item = models.OneToOneField(
        SpecialAssistanceItem, on_delete=models.PROTECT, null=True, blank=True, related_name="referral"
    )
    conference = models.ForeignKey(
        CaseConference, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    target_kind = models.CharField(_("接收方类型"), max_length=12, choices=TargetKind.choices)
    target = models.CharField(_("接收部门/机构"), max_length=64)
    need = models.TextField(_("转介事项"))
    status = models.CharField(
        _("状态"), max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.DRAFTED, db_index=True
    )
    result = models.CharField(_("答复结果"), max_length=10, choices=ReferralResult.choices, blank=True, default="")
    answer = models.TextField(_("答复内容"), blank=True, default="")
    sent_on = models.DateField(_("发送日期"), null=True, blank=True)
    due_on = models.DateField(_("答复时限"), null=True, blank=True)
    due_provisional = models.BooleanField(_("时限为暂定"), default=False)
    acknowledged_on = models.DateField(_("签收日期"), null=True, blank=True)
    answered_on = models.DateField(_("答复日期"), null=True, blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("转介")
        verbose_name_plural = _("转介")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(result="") | (Q(answered_on__isnull=False) & ~Q(answer="")), name="referral_answer_whole"
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | ~Q(result=""), name="referral_answered_has_result"
            ),
            models.CheckConstraint(
                condition=Q(status="drafted") | Q(status="closed", sent_on__isnull=True) | Q(sent_on__isnull=False),
                name="referral_sent_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="referral_status_due")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.target}"

    def is_overdue(self, today: dt.date) -> bool:
        return self.status in WAITING_STATUSES and self.due_on is not None and self.due_on < today


def referral_overdue_q(today: dt.date) -> Q:
    """The same rule as ``Referral.is_overdue`` as a query."""
    return Q(status__in=list(WAITING_STATUSES), due_on__lt=today)


class ReferralEvent(models.Model):
    """History row of every referral status change (the referral's timeline)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ReferralStatus.choices)
    action = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("转介记录")
        verbose_name_plural = _("转介记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_status} → {self.to_status}"
