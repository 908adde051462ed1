"""Public notice (公示, DOMAIN §6.6): 7 calendar days in the community; objections re-investigate."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import BusinessError
from accounts.models import User
from casework.models import Case, CaseStatus, Objection, PublicNotice, Recommendation
from casework.services.intake import CONFIRM_DAYS
from casework.services.review import latest_opinion
from casework.services.transitions import apply_transition, check_step, lock_case
from casework.workdays import working_deadline

NOTICE_DAYS = 7
MAX_START_AHEAD = 7


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明 (DOMAIN §9: partly masked on public notices)."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def current_notice(case: Case) -> PublicNotice | None:
    return case.notices.filter(closed_at__isnull=True).order_by("-id").first()


@transaction.atomic
def notice_publish(*, actor: User, case: Case, starts_on: dt.date | None = None) -> PublicNotice:
    case = lock_case(case)
    check_step(case=case, to=CaseStatus.NOTICE, actor=actor)
    opinion = latest_opinion(case)
    if opinion is None:
        raise BusinessError(_("请先出具初审意见。"), code="no_opinion")
    if opinion.recommendation != Recommendation.APPROVE:
        raise BusinessError(
            _("初审建议不予批准的案件不公示，请提交审批人作出不予批准决定。"), code="refusal_not_noticed"
        )
    today = timezone.localdate()
    starts_on = starts_on or today
    if starts_on < (case.opinion_on or today) or starts_on > today + dt.timedelta(days=MAX_START_AHEAD):
        raise ValidationError({"starts_on": [_("公示开始日期须在初审意见之后，且不超过今后7天。")]})
    ends_on = starts_on + dt.timedelta(days=NOTICE_DAYS - 1)
    notice = PublicNotice.objects.create(
        case=case,
        opinion=opinion,
        starts_on=starts_on,
        ends_on=ends_on,
        masked_name=mask_name(case.application.applicant_name),
        community_name=case.household.community.name,
        household_size=int(opinion.evaluation.get("household_size") or 0),
        tier=opinion.tier,
        monthly_amount=opinion.monthly_amount,
        one_off_amount=opinion.one_off_amount,
        published_by=actor,
    )
    confirm = working_deadline(ends_on, CONFIRM_DAYS)
    case.confirm_due = confirm.date
    case.deadlines_provisional = case.deadlines_provisional or confirm.provisional
    case.save(update_fields=["confirm_due", "deadlines_provisional"])
    apply_transition(
        case=case,
        to=CaseStatus.NOTICE,
        actor=actor,
        reason=_("公示期 %(s)s 至 %(e)s") % {"s": starts_on.isoformat(), "e": ends_on.isoformat()},
    )
    return notice


@transaction.atomic
def objection_record(
    *, actor: User, case: Case, content: str, received_on: dt.date | None = None, objector: str = ""
) -> Objection:
    """An objection during the notice stops it and sends the case back to re-investigation."""
    case = lock_case(case)
    check_step(case=case, to=CaseStatus.INVESTIGATION, actor=actor)
    notice = current_notice(case)
    if notice is None:
        raise BusinessError(_("本案件没有正在进行的公示。"), code="no_notice")
    if len(content.strip()) < 4:
        raise ValidationError({"content": [_("请填写异议内容(至少4个字)。")]})
    received_on = received_on or timezone.localdate()
    if received_on < notice.starts_on or received_on > timezone.localdate():
        raise ValidationError({"received_on": [_("收到日期须在公示开始之后，且不晚于今天。")]})
    objection = Objection.objects.create(
        notice=notice,
        case=case,
        received_on=received_on,
        objector=objector.strip(),
        content=content.strip(),
        recorded_by=actor,
    )
    notice.closed_at = timezone.now()
    notice.withdrawn_for_objection = True
    notice.save(update_fields=["closed_at", "withdrawn_for_objection"])
    case.confirm_due = None
    case.save(update_fields=["confirm_due"])
    apply_transition(
        case=case,
        to=CaseStatus.INVESTIGATION,
        actor=actor,
        reason=_("公示异议，重新入户调查：%(c)s") % {"c": content.strip()},
    )
    return objection


@transaction.atomic
def notice_close(*, actor: User | None, case: Case) -> Case:
    """公示期满无异议 → 待审批. ``actor=None`` is the daily Celery job."""
    case = lock_case(case)
    if case.status == CaseStatus.REVIEW:
        return case
    check_step(case=case, to=CaseStatus.REVIEW, actor=actor)
    notice = current_notice(case)
    if notice is None:
        raise BusinessError(_("本案件没有正在进行的公示。"), code="no_notice")
    if timezone.localdate() <= notice.ends_on:
        raise BusinessError(
            _("公示期至 %(d)s 结束，期满后方可提交审批。") % {"d": notice.ends_on.isoformat()}, code="notice_running"
        )
    notice.closed_at = timezone.now()
    notice.save(update_fields=["closed_at"])
    apply_transition(case=case, to=CaseStatus.REVIEW, actor=actor, reason=_("公示期满，无异议"))
    return case


def notices_close_due() -> int:
    """Close every ended notice (idempotent: a closed case is no longer in NOTICE). Returns the count."""
    today = timezone.localdate()
    due = Case.objects.filter(
        status=CaseStatus.NOTICE, notices__closed_at__isnull=True, notices__ends_on__lt=today
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(due):
        with transaction.atomic():
            case = lock_case(pk)
            if case.status != CaseStatus.NOTICE:
                continue
            notice_close(actor=None, case=case)
            closed += 1
    return closed
