"""Deadlines in working days with China's official calendar, make-up days included (DOMAIN §6)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import chinese_calendar
import pytest
from django.test import Client

from accounts.models import Role, User
from casework.models import Case, WorkingCalendar
from casework.services.calendar import calendar_day_set, calendar_year_generate, case_deadlines_refresh
from casework.workdays import add_working_days, working_days_between, working_deadline
from tests.casework.helpers import accept

D = dt.date


def test_calendar_facts_used_below_come_from_chinesecalendar() -> None:
    # 2025 National Day + Mid-autumn: 10-01..10-08 off; Sunday 09-28 and Saturday 10-11 are make-up working days.
    assert chinese_calendar.is_workday(D(2025, 9, 28)) and D(2025, 9, 28).weekday() == 6
    assert chinese_calendar.is_workday(D(2025, 10, 11)) and D(2025, 10, 11).weekday() == 5
    assert all(chinese_calendar.is_holiday(D(2025, 10, d)) for d in range(1, 9))


@pytest.mark.django_db
def test_seeded_calendar_matches_chinesecalendar() -> None:
    rows = dict(WorkingCalendar.objects.filter(date__year=2025).values_list("date", "is_working_day"))
    assert len(rows) == 365
    assert all(rows[day] == chinese_calendar.is_workday(day) for day in rows)
    assert WorkingCalendar.objects.get(date=D(2025, 10, 11)).note == "国庆节调休上班"


@pytest.mark.django_db
def test_three_working_days_across_national_day_counts_the_make_up_sunday() -> None:
    # Accepted Friday 2025-09-26: Sun 09-28 (make-up), Mon 09-29, Tue 09-30 → due 09-30.
    assert working_deadline(D(2025, 9, 26), 3) == working_deadline(D(2025, 9, 26), 3)
    deadline = working_deadline(D(2025, 9, 26), 3)
    assert deadline.date == D(2025, 9, 30) and not deadline.provisional
    # On plain weekdays it would have been Wednesday 10-01, a holiday.
    assert add_working_days(D(2025, 9, 26), 3, {}).date == D(2025, 10, 1)


@pytest.mark.django_db
def test_seven_working_days_skip_the_golden_week_and_count_the_make_up_saturday() -> None:
    # Accepted Tue 2025-09-30: 10-01..10-08 off, Thu 10-09, Fri 10-10, Sat 10-11 (make-up), Mon 10-13, 14, 15, 16.
    assert working_deadline(D(2025, 9, 30), 7).date == D(2025, 10, 16)
    assert working_deadline(D(2025, 9, 30), 20).date == D(2025, 11, 4)


@pytest.mark.django_db
def test_a_year_not_in_the_table_is_weekdays_and_provisional_never_an_error() -> None:
    deadline = working_deadline(D(2026, 12, 28), 7)
    assert deadline.provisional
    assert deadline.date == D(2027, 1, 6)  # Mon 12-28 … Thu 12-31 (4), then Jan 1 Fri counted as a weekday
    assert not working_deadline(D(2026, 12, 1), 3).provisional


def test_working_days_between_is_the_inverse() -> None:
    cal = {D(2025, 9, 28): True, **{D(2025, 10, d): False for d in range(1, 9)}, D(2025, 10, 11): True}
    due = add_working_days(D(2025, 9, 26), 7, cal).date
    assert working_days_between(D(2025, 9, 26), due, cal) == 7


@pytest.mark.django_db
def test_case_accepted_before_national_day_gets_working_day_deadlines(clerk_a: User) -> None:
    with mock.patch("django.utils.timezone.localdate", return_value=D(2025, 9, 26)):
        case = Case.objects.get(pk=accept(clerk_a)["case"]["id"])
    assert case.accepted_on == D(2025, 9, 26)
    assert case.check_due == D(2025, 9, 30)
    assert case.opinion_due == D(2025, 10, 13)  # 09-28, 29, 30, 10-09, 10, 11, 13
    assert case.case_due == D(2025, 10, 30)
    assert not case.deadlines_provisional


@pytest.mark.django_db
def test_overdue_cases_are_highlighted_in_the_work_queue(clerk_a: User, reviewer_a: User) -> None:
    with mock.patch("django.utils.timezone.localdate", return_value=D(2025, 9, 26)):
        late = accept(clerk_a)["case"]["id"]
    client = Client()
    client.force_login(reviewer_a)
    html = client.get("/cases/").content.decode()
    row = html.split(Case.objects.get(pk=late).receipt_no)[0].rsplit("<tr", 1)[1]
    assert 'class="overdue"' in row
    assert "初审意见超时" in html and "办结超时" in html
    overdue = client.get("/cases/?tab=overdue").content.decode()
    assert Case.objects.get(pk=late).receipt_no in overdue


@pytest.mark.django_db
def test_administrator_extends_the_calendar_and_provisional_deadlines_are_recomputed(
    clerk_a: User, city_admin: User
) -> None:
    with mock.patch("django.utils.timezone.localdate", return_value=D(2026, 12, 28)):
        case = Case.objects.get(pk=accept(clerk_a)["case"]["id"])
    assert case.deadlines_provisional and case.opinion_due == D(2027, 1, 6)
    assert calendar_year_generate(actor=city_admin, year=2027) == 365
    for day in (1, 2, 3):  # New Year's Day holiday 2027 (example)
        calendar_day_set(actor=city_admin, date=D(2027, 1, day), is_working_day=False, note="元旦")
    case_deadlines_refresh()
    case.refresh_from_db()
    assert not case.deadlines_provisional
    assert case.opinion_due == D(2027, 1, 7)  # Jan 1 no longer counts


@pytest.mark.django_db
def test_only_administrators_edit_the_calendar(clerk_a: User) -> None:
    from accounts.errors import BusinessError

    assert clerk_a.role == Role.CLERK
    with pytest.raises(BusinessError):
        calendar_year_generate(actor=clerk_a, year=2027)


@pytest.mark.django_db
def test_management_commands_extend_the_calendar_and_close_ended_notices(clerk_a: User, city_admin: User) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("casework_refresh_deadlines", generate_year=2027, admin="city_admin", stdout=out)
    assert "2027" in out.getvalue() and WorkingCalendar.objects.filter(date__year=2027).count() == 365
    call_command("casework_close_notices", stdout=out)
    assert "0 件" in out.getvalue()
