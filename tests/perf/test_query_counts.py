"""Query budgets of the pages in the load mix (issue 8, bench/README.md "Load").

Each page's number of SQL statements is pinned, and the statements that made the pages slow on
the 200,000-household bench database must not come back: the TOTP device lookup and the user's
region on every request, SELECT DISTINCT over a street's cases or households, re-queries of what
the case page prefetched, the spot-check join for a case that was never sampled.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.crypto import mask_id
from accounts.models import User
from accounts.security import OTP_FREE_KEY
from casework.models import Case
from tests.casework.helpers import accept, walk_to_review
from tests.perf.support import get_with_statements, signed_in_client
from tests.support import make_resident_id

pytestmark = pytest.mark.django_db


def _touching(sqls: list[str], table: str) -> list[str]:
    return [s for s in sqls if f'"{table}"' in s]


# --- fixed cost of every signed-in request ---------------------------------------------------------


def test_signed_in_request_costs_the_session_and_the_user_with_region_only(clerk_a: User) -> None:
    client = signed_in_client(clerk_a)
    response, sqls = get_with_statements(client, "/households/?q=1")
    assert clerk_a.region is not None
    assert clerk_a.region.name in response.content.decode()  # base.html shows the user's street
    assert _touching(sqls, "otp_totp_totpdevice") == []
    user_queries = _touching(sqls, "accounts_user")
    assert len(user_queries) == 1 and '"accounts_region"' in user_queries[0]  # one query, joined
    # session, user+region, the page's rows: nothing else (no nav counts, no region re-query for the
    # header, no street filter for a street's clerk)
    assert len(sqls) == 3, sqls
    assert not [s for s in sqls if "COUNT(" in s and "casework_" in s]  # counts only on the home page


def test_no_device_is_remembered_per_session_and_a_new_device_takes_effect(approver_a: User) -> None:
    client = signed_in_client(approver_a)
    assert client.session[OTP_FREE_KEY] == approver_a.pk
    # The device appears while this session is open (enrolled elsewhere or by an administrator):
    # the remembered answer is dropped and the next request asks for the code.
    TOTPDevice.objects.create(user=approver_a, name="phone", confirmed=True)
    assert OTP_FREE_KEY not in client.session
    response = client.get("/households/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/verify/")
    # An unconfirmed device (enrolment started) changes nothing for a session without a device.
    other = signed_in_client(approver_a)
    TOTPDevice.objects.filter(user=approver_a).delete()
    assert other.get("/households/").status_code == 200
    TOTPDevice.objects.create(user=approver_a, name="pending", confirmed=False)
    assert other.session[OTP_FREE_KEY] == approver_a.pk
    _response, sqls = get_with_statements(other, "/households/")
    assert _touching(sqls, "otp_totp_totpdevice") == []


def test_a_user_with_a_device_is_checked_every_time_until_verified(approver_a: User) -> None:
    client = signed_in_client(approver_a)
    device = TOTPDevice.objects.create(user=approver_a, name="phone", confirmed=True)
    assert client.get("/households/").status_code == 302
    device.delete()  # administrator resets the factor: effective at once
    assert client.get("/households/").status_code == 200


# --- work queue ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        # session, user+region, the counts (the list's and the overdue badge's, as one statement:
        # accounts.counts.count_together), the page's ids, its rows
        ("/cases/", 5),
        ("/cases/?tab=all&page=1", 5),
        # the overdue tab's paginator count is the overdue badge's count too
        ("/cases/?tab=overdue", 5),
    ],
)
def test_queue_pages(clerk_a: User, reviewer_a: User, url: str, budget: int) -> None:
    for seq in (301, 302, 303):
        accept(clerk_a, members=_other_members(seq))
    Case.objects.update(case_due=dt.date.today() - dt.timedelta(days=1))  # all three overdue
    client = signed_in_client(reviewer_a)
    response, sqls = get_with_statements(client, url)
    assert len(response.context["rows"]) == 3
    assert len(sqls) == budget, sqls
    case_sql = [s for s in sqls if 'FROM "casework_case"' in s]
    assert case_sql and not [s for s in case_sql if "DISTINCT" in s]
    scoped = [s for s in case_sql if '"casework_case"."id" IN (' not in s]
    # street-level user: equality on the street FK, not LIKE '340104001%'
    assert all("\"street_id\" = '340104001'" in s for s in scoped), case_sql
    # the page's ids come from the (street, accepted_on, id) index alone; then the page's rows by id
    counts_sql = [s for s in sqls if "COUNT(" in s]
    assert len(counts_sql) == 1 and counts_sql[0].startswith("SELECT (SELECT COUNT(*)"), counts_sql
    assert response.context["page_obj"].paginator.count == 3 and response.context["overdue_count"] == 3
    ids_sql = [s for s in scoped if "COUNT(" not in s]
    assert len(ids_sql) == 1 and ids_sql[0].startswith('SELECT "casework_case"."id"'), ids_sql
    page_sql = [s for s in case_sql if '"casework_case"."id" IN (' in s]
    assert len(page_sql) == 1
    # the list joins only what its rows show; the encrypted ID/phone/payload are not loaded
    assert '"applications_household"' not in page_sql[0] and '"accounts_user"' not in page_sql[0]
    assert '"applicant_id_number"' not in page_sql[0] and '"online_payload"' not in page_sql[0]


def test_queue_rows_show_the_same_content(clerk_a: User) -> None:
    body = accept(clerk_a)
    response = signed_in_client(clerk_a).get("/cases/?tab=all")
    html = response.content.decode()
    case = Case.objects.select_related("application").get(pk=body["case"]["id"])
    assert case.receipt_no in html and case.application.applicant_id_masked in html
    assert "张三" in html


# --- case page -----------------------------------------------------------------------------------

# session, user+region, the case row (+application, household, and as one JSON column its street,
# community, staff users, decision, members with incomes and transitions with their actors; one
# EXISTS per relation the page may show), then only the relations that have rows:
# checks(+requester), check queries(+operator), investigations, investigators, photos,
# opinions(+author), notices, vehicles, authorisations; then the charity panel (the plans and
# spot-check panels read nothing when the case row says the case has nothing for them).
# tests/perf/test_case_detail_budget.py pins the exact counts.
CASE_PAGE_BUDGET = 13


def test_case_page_query_budget_does_not_grow_with_the_case(clerk_a: User, reviewer_a: User, reviewer_a2: User) -> None:
    fresh = accept(clerk_a)["case"]["id"]
    walked = walk_to_review(clerk_a, reviewer_a, reviewer_a2, members=_other_members(777))
    client = signed_in_client(reviewer_a)
    counts = {}
    for case_id in (fresh, walked):
        response, sqls = get_with_statements(client, f"/cases/{case_id}/")
        counts[case_id] = len(sqls)
        assert len(sqls) <= CASE_PAGE_BUDGET, "\n".join(sqls)
        # the decision (and members, incomes, transitions) come with the case row
        assert not [s for s in sqls if 'FROM "casework_decision"' in s and not s.startswith('SELECT "casework_case"')]
        # no re-query of a prefetched relation: each table is read once (besides the EXISTS of the
        # case row, which says whether to read it at all)
        for table in ("casework_economiccheck", "casework_opinion", "casework_publicnotice", "applications_member"):
            reads = [s for s in sqls if f'FROM "{table}"' in s and not s.startswith('SELECT "casework_case"')]
            assert len(reads) <= 1, (table, reads)
        # the spot-check panel: nothing for a case never sampled (the case row's EXISTS says so)
        spot = _touching(sqls, "casework_spotcheckitem")
        assert len(spot) == 1 and spot[0].startswith('SELECT "casework_case"')
        # the charity panel: one query for a case without hand-offs
        assert len([s for s in sqls if '"charity_' in s]) == 1
    # (33 queries on the bench before the fix; a case in investigation with its check done: 18)
    assert counts[fresh] <= 8
    walked_case = Case.objects.select_related("decision").get(pk=walked)
    assert walked_case.status == "review"
    html = response.content.decode()
    assert walked_case.receipt_no in html and "公示" in html


def _other_members(seq: int) -> list[dict[str, Any]]:
    return [
        {
            "name": "赵六",
            "id_number": make_resident_id(seq=seq),
            "relation": "self",
            "incomes": [{"kind": "wage", "monthly": "900.00"}],
        }
    ]


def test_case_page_shows_missing_authorisations_as_before(clerk_a: User) -> None:
    case_id = accept(clerk_a, signed=False)["case"]["id"]
    html = signed_in_client(clerk_a).get(f"/cases/{case_id}/").content.decode()
    # both adults of the household lack a signed authorisation: the clerk's form lists them
    assert html.count('name="member"') >= 1
    assert "张三(" in html and "李梅(" in html


# --- household search --------------------------------------------------------------------------


def test_household_search_paths_use_no_distinct_and_find_the_same_households(clerk_a: User, household_a: Any) -> None:
    client = signed_in_client(clerk_a)
    member = household_a.members.get(name="张三")
    full = make_resident_id(seq=123)
    for term in (str(household_a.pk), mask_id(full), full, "张三", "张"):
        response, sqls = get_with_statements(client, f"/households/?q={term}")
        assert not [s for s in sqls if "DISTINCT" in s], (term, sqls)
        assert list(response.context["page_obj"]) == [household_a], term
        # session, user, the page's households with their members (no COUNT: the first page holds
        # every hit; no street filter for a street's clerk)
        assert len(sqls) <= 3, (term, sqls)
    assert member.id_masked == mask_id(full)
    response, sqls = get_with_statements(client, "/households/?q=王五")
    assert list(response.context["page_obj"]) == [] and len(sqls) <= 3


def test_household_page_panels_cost_one_query_each(clerk_a: User) -> None:
    household_id = _household_of(accept(clerk_a))
    client = signed_in_client(clerk_a)
    # The budget is a warm process's: the engine's parameters are read once per process (later
    # requests check only their fingerprint), whichever test ran first in this worker.
    client.get(f"/households/{household_id}/")
    response, sqls = get_with_statements(client, f"/households/{household_id}/")
    assert "张三" in response.content.decode()
    # charity: a household without hand-offs costs one EXISTS (no 6-table join)
    charity = [s for s in sqls if '"charity_handoff"' in s]
    assert len(charity) == 1 and "LIMIT 1" in charity[0] and '"accounts_user"' not in charity[0]
    # the cases panel loads the case rows without the household/user joins and encrypted columns
    cases = [s for s in sqls if 'FROM "casework_case"' in s]
    assert len(cases) == 1 and '"accounts_user"' not in cases[0] and '"online_payload"' not in cases[0]
    assert len(sqls) <= HOUSEHOLD_PAGE_BUDGET, "\n".join(sqls)


# session, user+region, household (with its regions, members, incomes, vehicles and audit rows as one
# JSON column), the engine's parameter fingerprint, cases, enrolment, charity
HOUSEHOLD_PAGE_BUDGET = 7


def _household_of(body: dict[str, Any]) -> int:
    return int(Case.objects.get(pk=body["case"]["id"]).household_id)
