"""The work queue's ids and counts and the case page's row, read through accounts/frozen.py, are
what the live querysets give, for every tab and kind of user."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.counts import count_together
from accounts.models import User
from casework import selectors
from tests.casework.plans_support import open_case
from tests.support import COMMUNITY_B, STREET_B


@pytest.fixture
def caseload(clerk_a: User, clerk_b: User) -> list[Any]:
    return [open_case(clerk_a, seq=300 + n) for n in range(4)] + [
        open_case(clerk_b, seq=400, street=STREET_B, community=COMMUNITY_B)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("days_on", [0, 45])
def test_queue_ids_and_counts_match_the_live_querysets(
    caseload: list[Any],
    days_on: int,
    clerk_a: User,
    clerk_b: User,
    reviewer_a: User,
    approver_a: User,
    supervisor_shushan: User,
    city_admin: User,
) -> None:
    today = dt.date.today() + dt.timedelta(days=days_on)
    for user in (clerk_a, clerk_b, reviewer_a, approver_a, supervisor_shushan, city_admin, clerk_a):
        for tab in selectors.QUEUE_TABS:
            live = selectors.queue_list(user, tab=tab, today=today)
            expected_ids = list(live.values_list("pk", flat=True))
            for offset in (0, 2):
                got = selectors.queue_ids(user, tab=tab, today=today, offset=offset, limit=2)
                assert got == expected_ids[offset : offset + 2], (user.username, tab, offset)
            expected = count_together(
                live, selectors.overdue_cases(user, today=today), selectors.submitted_applications(user)
            )
            listed, overdue, submitted = selectors.queue_counts(user, tab=tab, today=today)
            assert (listed, overdue) == (expected[0], expected[1]), (user.username, tab)
            assert submitted == (expected[2] if user.role == "clerk" else 0)
    # the numbers are not all zero: street A's clerk has its four cases, late 45 days on
    assert selectors.queue_counts(clerk_a, tab="all", today=today)[0] == 4
    assert selectors.queue_counts(clerk_a, tab="overdue", today=today)[0] == (4 if days_on else 0)


@pytest.mark.django_db
def test_the_case_page_row_is_the_live_one_and_scoped(caseload: list[Any], clerk_a: User, clerk_b: User) -> None:
    case = caseload[0]
    row = selectors.case_page_case(clerk_a, case.pk)
    live = selectors.case_page_queryset(clerk_a).get(pk=case.pk)
    assert row is not None and row.pk == live.pk and row.receipt_no == live.receipt_no
    assert row.page_json == live.page_json and row.page_present == live.page_present  # type: ignore[attr-defined]
    assert row.application.applicant_name == live.application.applicant_name
    assert selectors.case_page_case(clerk_b, case.pk) is None  # another street's clerk does not see it
    other = caseload[-1]
    assert selectors.case_page_case(clerk_b, other.pk) is not None
    assert selectors.case_page_case(clerk_a, other.pk) is None
