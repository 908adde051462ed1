"""Maintain the working calendar and the deadlines that depend on it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError
from accounts.models import Role, User
from casework.models import OPEN_STATUSES, Case, PaymentStatus, WorkingCalendar
from casework.workdays import working_deadline, working_deadlines


@transaction.atomic
def calendar_year_generate(*, actor: User, year: int) -> int:
    """Create Monday–Friday rows for a year not yet in the table; the administrator then marks the
    published holidays and make-up days. Existing rows are kept. Returns the number created."""
    if not (actor.is_superuser or actor.role == Role.ADMIN):
        raise BusinessError(_("只有系统管理员可以维护工作日历。"), code="role_forbidden", status=403)
    if year < 2004 or year > 2100:
        raise BusinessError(_("年份超出范围。"), code="year_range")
    day = dt.date(year, 1, 1)
    existing = set(WorkingCalendar.objects.filter(date__year=year).values_list("date", flat=True))
    rows = []
    while day.year == year:
        if day not in existing:
            rows.append(WorkingCalendar(date=day, is_working_day=day.weekday() < 5, note=""))
        day += dt.timedelta(days=1)
    WorkingCalendar.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action="calendar.generate_year",
        object_type="casework.workingcalendar",
        object_id=year,
        after={"created": len(rows)},
    )
    return len(rows)


@transaction.atomic
def calendar_day_set(*, actor: User, date: dt.date, is_working_day: bool, note: str = "") -> WorkingCalendar:
    if not (actor.is_superuser or actor.role == Role.ADMIN):
        raise BusinessError(_("只有系统管理员可以维护工作日历。"), code="role_forbidden", status=403)
    row, created = WorkingCalendar.objects.select_for_update().get_or_create(
        date=date, defaults={"is_working_day": is_working_day, "note": note}
    )
    before = None if created else {"is_working_day": row.is_working_day, "note": row.note}
    row.is_working_day = is_working_day
    row.note = note
    row.save()
    audit_record(
        actor=actor,
        action="calendar.set_day",
        object_type="casework.workingcalendar",
        object_id=date.isoformat(),
        before=before,
        after={"is_working_day": is_working_day, "note": note},
    )
    transaction.on_commit(lambda: case_deadlines_refresh())
    return row


def case_deadlines_refresh() -> int:
    """Recompute the provisional deadlines of open cases (after the calendar gained a year)."""
    changed = 0
    for pk in list(
        Case.objects.filter(status__in=OPEN_STATUSES, deadlines_provisional=True).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pk)
            from casework.services.intake import CASE_DAYS, CHECK_DAYS, OPINION_DAYS
            from casework.services.notice import CONFIRM_DAYS, current_notice

            check_due, opinion_due, case_due = working_deadlines(case.accepted_on, CHECK_DAYS, OPINION_DAYS, CASE_DAYS)
            results = {"check_due": check_due, "opinion_due": opinion_due, "case_due": case_due}
            notice = current_notice(case)
            if notice is not None:
                results["confirm_due"] = working_deadline(notice.ends_on, CONFIRM_DAYS)
            paid = case.emergency_payments.filter(status=PaymentStatus.PAID, paid_on__isnull=False).first()
            if paid is not None and paid.paid_on is not None:
                results["emergency_due"] = working_deadline(paid.paid_on, CASE_DAYS)
            before = {name: getattr(case, name) for name in results}
            for name, deadline in results.items():
                setattr(case, name, deadline.date)
            case.deadlines_provisional = any(d.provisional for d in results.values())
            case.save(update_fields=[*results, "deadlines_provisional"])
            after = {name: getattr(case, name) for name in results}
            if before != after:
                changed += 1
                audit_record(
                    actor=None,
                    action="case.deadlines_refresh",
                    obj=case,
                    region_code=case.street_id,
                    before=before,
                    after=after,
                )
    return changed
