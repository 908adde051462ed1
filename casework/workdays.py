"""Working-day arithmetic (pure) over a calendar mapping, plus the loader from ``WorkingCalendar``.

"Within N working days after D" means the N-th working day after D (D itself does not count).
A date the calendar does not know (a year not yet published) falls back to Monday–Friday and
makes the result provisional — never an error (DOMAIN §6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    provisional: bool


def is_working_day(day: dt.date, calendar: Mapping[dt.date, bool]) -> tuple[bool, bool]:
    """(working?, known?) for ``day``: the calendar's answer, else the weekday rule (not known)."""
    if day in calendar:
        return calendar[day], True
    return day.weekday() < 5, False


def add_working_days(start: dt.date, days: int, calendar: Mapping[dt.date, bool]) -> Deadline:
    if days < 0:
        raise ValueError("days must be ≥ 0")
    current, counted, provisional = start, 0, False
    while counted < days:
        current += dt.timedelta(days=1)
        working, known = is_working_day(current, calendar)
        provisional = provisional or not known
        if working:
            counted += 1
    return Deadline(current, provisional)


def working_days_between(start: dt.date, end: dt.date, calendar: Mapping[dt.date, bool]) -> int:
    """Working days in (start, end]: how many working days after ``start`` ``end`` is."""
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current, calendar)[0]:
            count += 1
    return count


def load_calendar(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    from casework.models import WorkingCalendar

    return dict(WorkingCalendar.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_working_day"))


def _horizon(start: dt.date, days: int) -> dt.date:
    # Three calendar weeks per five working days is ample even across the Spring Festival.
    return start + dt.timedelta(days=days * 3 + 21)


def working_deadline(start: dt.date, days: int) -> Deadline:
    return add_working_days(start, days, load_calendar(start, _horizon(start, days)))


def working_deadlines(start: dt.date, *days: int) -> tuple[Deadline, ...]:
    """``working_deadline(start, d)`` for each ``d``, reading the calendar once (for the longest)."""
    if not days:
        return ()
    calendar = load_calendar(start, _horizon(start, max(days)))
    deadlines = []
    for d in days:
        # Each deadline sees only its own horizon of the calendar, exactly as ``working_deadline`` would.
        until = _horizon(start, d)
        deadlines.append(add_working_days(start, d, {day: w for day, w in calendar.items() if day <= until}))
    return tuple(deadlines)
