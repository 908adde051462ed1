"""The case (案件) opened by accepting an application, its status machine and its history.

The allowed transitions are data (``TRANSITIONS``): who may move a case from one status to the
next, and under which action name. ``casework.services.transitions.case_transition`` is the one
guard that enforces it; the case page builds its buttons from ``next_steps``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from accounts.labels import choice_labels
from accounts.models import Region, Role
from applications.models import Application, Household


class CaseStatus(models.TextChoices):
    ACCEPTED = "accepted", _("已受理(待核对)")
    CHECKING = "checking", _("经济状况核对中")
    INVESTIGATION = "investigation", _("待入户调查")
    OPINION = "opinion", _("待出具初审意见")
    NOTICE_PENDING = "notice_pending", _("待公示")
    NOTICE = "notice", _("公示中")
    REVIEW = "review", _("待审批(联审联批)")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不予批准")
    WITHDRAWN = "withdrawn", _("已撤回")


CLOSED_STATUSES = frozenset({CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN})
OPEN_STATUSES = frozenset(set(CaseStatus) - CLOSED_STATUSES)
BEFORE_OPINION = frozenset({CaseStatus.ACCEPTED, CaseStatus.CHECKING, CaseStatus.INVESTIGATION, CaseStatus.OPINION})


@dataclass(frozen=True)
class Step:
    """One allowed transition: the action that takes it, its label, and who may take it."""

    action: str
    label: StrOrPromise
    roles: frozenset[str]
    system: bool = False  # the system (a Celery task) may take it without a person


_STREET_REVIEW = frozenset({Role.REVIEWER})
_INVESTIGATORS = frozenset({Role.REVIEWER, Role.SOCIAL_WORKER})
_DECIDERS = frozenset({Role.APPROVER, Role.SUPERVISOR})
_WITHDRAW = Step("withdraw", _("撤回申请"), frozenset({Role.CLERK, Role.REVIEWER}))

TRANSITIONS: dict[str, dict[str, Step]] = {
    CaseStatus.ACCEPTED: {
        CaseStatus.CHECKING: Step("start_check", _("发起经济状况核对"), frozenset({Role.CLERK, Role.REVIEWER}), True),
        CaseStatus.WITHDRAWN: _WITHDRAW,
    },
    CaseStatus.CHECKING: {
        CaseStatus.INVESTIGATION: Step("check_complete", _("核对完成"), frozenset(), True),
        CaseStatus.ACCEPTED: Step("check_refused", _("核对未能进行"), frozenset(), True),
        CaseStatus.WITHDRAWN: _WITHDRAW,
    },
    CaseStatus.INVESTIGATION: {
        CaseStatus.OPINION: Step("record_investigation", _("登记入户调查"), _INVESTIGATORS),
        CaseStatus.WITHDRAWN: _WITHDRAW,
    },
    CaseStatus.OPINION: {
        CaseStatus.NOTICE_PENDING: Step("issue_opinion", _("出具初审意见"), _STREET_REVIEW),
        CaseStatus.INVESTIGATION: Step("reinvestigate", _("重新入户调查"), _STREET_REVIEW),
        CaseStatus.WITHDRAWN: _WITHDRAW,
    },
    CaseStatus.NOTICE_PENDING: {
        CaseStatus.NOTICE: Step("publish_notice", _("发布公示"), _STREET_REVIEW),
        CaseStatus.OPINION: Step("revise_opinion", _("修改初审意见"), _STREET_REVIEW),
        CaseStatus.REFUSED: Step("refuse", _("不予批准"), _DECIDERS),
        CaseStatus.WITHDRAWN: _WITHDRAW,
    },
    CaseStatus.NOTICE: {
        CaseStatus.REVIEW: Step("close_notice", _("公示期满，提交审批"), frozenset({Role.REVIEWER}), True),
        CaseStatus.INVESTIGATION: Step("record_objection", _("登记公示异议"), frozenset({Role.CLERK, Role.REVIEWER})),
        CaseStatus.WITHDRAWN: _WITHDRAW,
    },
    CaseStatus.REVIEW: {
        CaseStatus.APPROVED: Step("confirm", _("确认批准"), _DECIDERS),
        CaseStatus.REFUSED: Step("refuse", _("不予批准"), _DECIDERS),
        CaseStatus.INVESTIGATION: Step("send_back", _("退回重新调查"), _DECIDERS),
        CaseStatus.WITHDRAWN: _WITHDRAW,
    },
}


def next_steps(status: str, role: str | None) -> list[tuple[str, Step]]:
    """(target status, step) pairs a person of ``role`` may take from ``status``."""
    return [(to, step) for to, step in TRANSITIONS.get(status, {}).items() if role is not None and role in step.roles]


def statuses_waiting_for(role: str) -> list[str]:
    """Statuses in which a person of ``role`` has something to do (the "待我处理" queue)."""
    return [
        status
        for status, steps in TRANSITIONS.items()
        if any(role in s.roles and s.action != "withdraw" for s in steps.values())
    ]


class Case(models.Model):
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="case", verbose_name=_("申请")
    )
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="cases", verbose_name=_("家庭"))
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"))
    receipt_no = models.CharField(_("受理编号"), max_length=24, unique=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.ACCEPTED, db_index=True
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"), auto_now_add=True)

    accepted_on = models.DateField(_("受理日期"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("受理人")
    )
    fast_track = models.BooleanField(_("急难快速通道"), default=False)
    public_emergency = models.ForeignKey(
        "casework.PublicEmergency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("突发公共事件"),
    )

    # Deadlines in working days (DOMAIN §6): computed at acceptance from the WorkingCalendar.
    check_due = models.DateField(_("核对启动时限"))
    opinion_due = models.DateField(_("初审意见时限"))
    case_due = models.DateField(_("办结时限"))
    confirm_due = models.DateField(_("审批确认时限"), null=True, blank=True)
    emergency_due = models.DateField(_("先行救助后补办时限"), null=True, blank=True)
    deadlines_provisional = models.BooleanField(_("时限为暂定(节假日未公布)"), default=False)

    # Set by the preliminary opinion: ``county`` when the amount exceeds the street's limit.
    approval_level = models.CharField(_("审批层级"), max_length=10, default="street")

    check_started_on = models.DateField(_("核对启动日期"), null=True, blank=True)
    opinion_on = models.DateField(_("初审意见日期"), null=True, blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("救助案件")
        verbose_name_plural = _("救助案件")
        ordering = ["-accepted_on", "-id"]
        indexes = [
            models.Index(fields=["street"], name="case_street_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["street", "status"], name="case_street_status"),
            # The "all cases" list of a street, page N: the page's ids come from this index alone
            # (casework/views/cases.py pages over ids, then loads the 30 rows).
            models.Index(fields=["street", "-accepted_on", "-id"], name="case_street_accepted"),
        ]

    def __str__(self) -> str:
        return self.receipt_no

    def get_status_display(self) -> str:  # type: ignore[no-redef]
        """The status label, as Django's generated method gives it, from a per-language table: the
        generated one hashes every lazy label of the field's choices on each call (≈ 10 gettext
        calls per row of a 30-row work queue)."""
        return status_labels().get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue_steps(self, today: dt.date, texts: Mapping[str, str] | None = None) -> list[str]:
        """Labels of the deadlines this case has missed on ``today`` (empty when on time). A list of
        cases passes ``deadline_texts()`` once as ``texts``."""
        if not self.is_open:
            return []
        missed: list[str] = []
        texts = texts or deadline_texts()
        if self.status == CaseStatus.ACCEPTED and self.check_due < today:
            missed.append(texts["check_late"])
        if self.status in BEFORE_OPINION and self.opinion_due < today:
            missed.append(texts["opinion_late"])
        if self.status in {CaseStatus.NOTICE, CaseStatus.REVIEW} and self.confirm_due and self.confirm_due < today:
            missed.append(texts["confirm_late"])
        if self.case_due < today:
            missed.append(texts["case_late"])
        if self.emergency_due and self.emergency_due < today:
            missed.append(texts["emergency_late"])
        return missed

    def next_deadline(self, texts: Mapping[str, str] | None = None) -> tuple[str, dt.date] | None:
        if not self.is_open:
            return None
        texts = texts or deadline_texts()
        if self.status == CaseStatus.ACCEPTED:
            return texts["check"], self.check_due
        if self.status in BEFORE_OPINION:
            return texts["opinion"], self.opinion_due
        if self.confirm_due and self.status in {CaseStatus.NOTICE, CaseStatus.REVIEW}:
            return texts["confirm"], min(self.confirm_due, self.case_due)
        return texts["case"], self.case_due


# The deadlines' names as the work queue shows them, per language (accounts/labels.py): each row asks
# for two or three of them.
_DEADLINE_TEXTS = (
    ("check_late", _("核对启动超时")),
    ("opinion_late", _("初审意见超时")),
    ("confirm_late", _("审批确认超时")),
    ("case_late", _("办结超时")),
    ("emergency_late", _("先行救助后补办超时")),
    ("check", _("启动核对")),
    ("opinion", _("初审意见")),
    ("confirm", _("审批确认")),
    ("case", _("办结")),
)


def deadline_texts() -> dict[str, str]:
    """The deadlines' names in the active language (a per-language table)."""
    return choice_labels("casework.case.deadline_texts", lambda: _DEADLINE_TEXTS)


def status_labels() -> dict[str, str]:
    """Case status → its label in the active language (a per-language table)."""
    return choice_labels(CaseStatus, lambda: CaseStatus.choices)


def overdue_q(today: dt.date) -> Q:
    """The same rule as ``Case.overdue_steps`` as a query (for the work queue's filter)."""
    return Q(status__in=OPEN_STATUSES) & (
        Q(status=CaseStatus.ACCEPTED, check_due__lt=today)
        | Q(status__in=BEFORE_OPINION, opinion_due__lt=today)
        | Q(status__in=[CaseStatus.NOTICE, CaseStatus.REVIEW], confirm_due__lt=today)
        | Q(case_due__lt=today)
        | Q(emergency_due__lt=today)
    )


class CaseTransition(models.Model):
    """History row of every status change (the case timeline); an audit row is written beside it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("原状态"), max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=CaseStatus.choices)
    action = models.CharField(_("操作"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("操作人"), max_length=64)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    reason = models.TextField(_("原因/说明"), blank=True, default="")

    class Meta:
        verbose_name = _("案件状态变更")
        verbose_name_plural = _("案件状态变更")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} → {self.to_status}"
