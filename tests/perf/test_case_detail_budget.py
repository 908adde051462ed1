"""The staff case page GET /cases/<id>/ (issue 8): a fixed query budget, and exactly the content of
the full prefetch.

The page reads the case row with which of its relations have rows (and which plan-panel records
exist), then only those relations. Whatever it skips, it must show what
``casework.selectors.case_detail_queryset`` (every relation prefetched) shows.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.hooks import collect
from accounts.models import Region, User
from accounts.selectors import regions_visible_to
from applications.models import Vehicle
from casework import selectors
from casework.models import Case, EmergencyPayment
from casework.services import plans as plan_services
from casework.services.emergency import reserve_fund_top_up
from casework.views import cases
from charity.models import Fund, FundKind
from charity.selectors import funds_for_case
from charity.services import funds as fund_services
from tests.casework.helpers import accept, intake_payload, post, run_on_commit, walk_to_review
from tests.casework.plans_support import social_worker
from tests.perf.support import signed_in_client
from tests.support import STREET_A, api_client, make_resident_id

pytestmark = pytest.mark.django_db

# session, user+region, the case row (+ which relations exist, and as JSON its street, community,
# staff users, decision, members with incomes and transitions: 4 queries fewer than when those were
# joins and prefetches and the spot-check panel asked separately), vehicles, authorisations, checks,
# check queries, investigations, investigators, photos, opinions, notices, the charity EXISTS (the
# plans and spot-check panels: none, the case row said the case has nothing for them).
FULL_HISTORY_BUDGET = 13
# session, user+region, the case row, authorisations, checks, check queries, charity: no vehicles,
# investigation, opinion, notice or payment is read.
FRESH_BUDGET = 7

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _page(client: Client, url: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return CSRF.sub("CSRF", response.content.decode()), [q["sql"] for q in ctx.captured_queries]


def _reference(client: Client, url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The page as the full prefetch (``case_detail_queryset``, every relation read) renders it."""
    with monkeypatch.context() as patch:
        patch.setattr(cases, "_page_case", cases._case)
        html, _sqls = _page(client, url)
    return html


def _reads(sqls: list[str], table: str) -> list[str]:
    """Statements reading ``table`` besides the case row (whose EXISTS only says whether to)."""
    return [s for s in sqls if f'FROM "{table}"' in s and "page_present" not in s]


def _touching(sqls: list[str], table: str) -> list[str]:
    return [s for s in sqls if f'"{table}"' in s]


def _case_row(sqls: list[str]) -> str:
    (row,) = [s for s in sqls if "page_present" in s]
    return row


def _other_members(seq: int) -> dict[str, Any]:
    return {
        "members": [
            {
                "name": "赵六",
                "id_number": make_resident_id(seq=seq),
                "relation": "self",
                "incomes": [{"kind": "wage", "monthly": "900.00"}],
            },
            {
                "name": "钱七",
                "id_number": make_resident_id(birth=dt.date(2016, 5, 1), seq=seq + 1),
                "relation": "child",
            },
        ]
    }


@pytest.fixture
def walked(clerk_a: User, reviewer_a: User, reviewer_a2: User) -> Case:
    """A case with a full history: checked, investigated, opinion, notice, waiting for approval."""
    case_id = walk_to_review(clerk_a, reviewer_a, reviewer_a2, **_other_members(777))
    case = Case.objects.select_related("household").get(pk=case_id)
    Vehicle.objects.create(household=case.household, description="电动三轮车", price=Decimal("3500.00"))
    return case


def test_full_history_page_costs_a_fixed_number_of_queries_and_shows_the_facts(walked: Case, approver_a: User) -> None:
    html, sqls = _page(signed_in_client(approver_a), f"/cases/{walked.pk}/")
    assert len(sqls) == FULL_HISTORY_BUDGET, "\n".join(sqls)
    # each table is read once: no relation is re-queried, none of the plans panel's
    for table in ("casework_economiccheck", "casework_opinion", "casework_publicnotice"):
        assert len(_reads(sqls, table)) == 1, table
    for table in ("applications_member", "applications_incomeitem", "casework_casetransition", "casework_decision"):
        assert _touching(sqls, table) == [_case_row(sqls)], table  # read with the case row only
    for table in ("casework_assistanceplan", "casework_spotcheckitem"):
        assert _touching(sqls, table) == [_case_row(sqls)], table  # the case row's EXISTS only
    opinion = walked.opinions.get()
    assert walked.receipt_no in html
    assert "赵六" in html and "钱七" in html and "¥900.00" in html  # members and their incomes
    assert walked.application.applicant_id_masked in html and make_resident_id(seq=777) not in html
    assert f"¥{opinion.monthly_amount}" in html and "电动三轮车 ¥3500.00" in html
    assert "公示" in html and "确认批准" in html  # the notice table and the approver's step


def test_fresh_case_reads_no_relation_it_does_not_have(clerk_a: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    html, sqls = _page(signed_in_client(clerk_a), f"/cases/{case_id}/")
    assert len(sqls) == FRESH_BUDGET, "\n".join(sqls)
    for table in (
        "casework_opinion",
        "casework_publicnotice",
        "applications_vehicle",
        "casework_investigation",
        "casework_emergencypayment",
        "casework_objection",
        "casework_assistanceplan",
        "casework_referral",
    ):
        assert _touching(sqls, table) == [_case_row(sqls)], table  # the case row's EXISTS only
    case = Case.objects.select_related("application").get(pk=case_id)
    assert case.receipt_no in html and case.application.applicant_id_masked in html and "¥1200.00" in html


@pytest.mark.parametrize("persona", ["clerk_a", "reviewer_a", "approver_a"])
def test_page_shows_exactly_what_the_full_prefetch_shows(
    persona: str, walked: Case, clerk_a: User, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = accept(clerk_a)["case"]["id"]
    client = signed_in_client(request.getfixturevalue(persona))
    for case_id in (walked.pk, fresh):
        url = f"/cases/{case_id}/"
        assert _page(client, url)[0] == _reference(client, url, monkeypatch)


def test_emergency_payment_and_plan_panel_as_the_full_prefetch_shows_them(
    clerk_a: User, reviewer_a: User, approver_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    reserve_fund_top_up(
        actor=approver_a, street=Region.objects.get(code=STREET_A), amount=Decimal("50000"), note="拨付"
    )
    payload = intake_payload(types=["emergency"])
    payload["application"].update(
        {
            "emergency_kind": "fire",
            "emergency_date": (dt.date.today() - dt.timedelta(days=5)).isoformat(),
            "emergency_cost": "10000.00",
            "emergency_insurance": "2000.00",
            "emergency_other_aid": "0.00",
        }
    )
    with run_on_commit():
        case_id = api_client(clerk_a).post("/api/v1/intake/", payload, format="json").json()["case"]["id"]
    assert (
        post(approver_a, case_id, "emergency-payment", {"amount": "3000.00", "reason": "火灾受损"}).status_code == 201
    )
    case = Case.objects.get(pk=case_id)
    plan_services.in_kind_add(
        actor=reviewer_a, case=case, name="米", quantity=Decimal("1"), unit="袋", value=Decimal("60")
    )
    assert EmergencyPayment.objects.filter(case=case).exists()
    url = f"/cases/{case_id}/"
    for user in (approver_a, reviewer_a):
        client = signed_in_client(user)
        html, _sqls = _page(client, url)
        assert html == _reference(client, url, monkeypatch)
        assert "¥3000.00" in html and "折合 ¥60" in html and 'id="plan-panel"' in html


def test_public_emergency_is_read_only_for_a_case_that_has_one(
    clerk_a: User, supervisor_shushan: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = dt.date.today()
    declaration = {
        "region": STREET_A,
        "kind": "disaster",
        "title": "强降雨内涝",
        "starts_on": (today - dt.timedelta(days=1)).isoformat(),
        "ends_on": (today + dt.timedelta(days=20)).isoformat(),
    }
    assert (
        api_client(supervisor_shushan).post("/api/v1/public-emergencies/", declaration, format="json").status_code
        == 201
    )
    case_id = accept(clerk_a)["case"]["id"]
    client = signed_in_client(clerk_a)
    html, sqls = _page(client, f"/cases/{case_id}/")
    assert "强降雨内涝" in html and html == _reference(client, f"/cases/{case_id}/", monkeypatch)
    assert len(_reads(sqls, "casework_publicemergency")) == 1 and len(sqls) == FRESH_BUDGET + 1


def test_plan_panel_trusts_the_case_rows_facts_only_for_its_viewer(clerk_a: User, reviewer_a: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    page_case = selectors.case_page_load(selectors.case_page_queryset(reviewer_a).get(pk=case_id), reviewer_a)
    mine = RequestFactory().get("/")
    mine.user = reviewer_a
    with CaptureQueriesContext(connection) as ctx:
        panels = [
            p for p in collect("case_panels", mine, page_case) if p["template"] == "casework/plans/panel_case.html"
        ]
    assert len(panels) == 1 and not [q for q in ctx.captured_queries if '"casework_assistanceplan"' in q["sql"]]
    outsider = RequestFactory().get("/")
    outsider.user = social_worker()  # not assigned to the case: its own scoped query says no
    assert [p for p in collect("case_panels", outsider, page_case) if p["template"].startswith("casework/plans/")] == []


def _visible_funds_by_subquery(user: User, case: Case) -> set[int]:
    """``funds_for_case`` as it was written before the page's rewrite: the visible regions as a subquery."""
    home = case.household.community_id or case.street_id
    prefixes = [home[:n] for n in (6, 9, 12) if len(home) >= n]
    qs = Fund.objects.filter(active=True, region__in=regions_visible_to(user), region_id__in=prefixes)
    return set(qs.values_list("pk", flat=True))


def test_funds_for_case_sees_the_regions_the_user_sees(
    clerk_a: User, clerk_b: User, supervisor_shushan: User, supervisor_feixi: User
) -> None:
    case = Case.objects.select_related("household").get(pk=accept(clerk_a)["case"]["id"])
    officer = User.objects.create_user(username="officer", password="pw-Test-12345", role="charity", region_id="340104")
    county = fund_services.fund_create(
        actor=officer,
        kind=FundKind.COUNTY,
        name="蜀山区社会救助专项基金",
        holder="蜀山区慈善会",
        region=Region.objects.get(code="340104"),
    )
    street = fund_services.fund_create(
        actor=officer,
        kind=FundKind.MUTUAL_AID,
        name="三里庵互助会",
        holder="三里庵慈善会",
        region=Region.objects.get(code=STREET_A),
    )
    city = User.objects.create_user(username="city_admin", password="pw-Test-12345", role="admin", region_id="3401")
    seen = set()
    for user in (clerk_a, clerk_b, supervisor_shushan, supervisor_feixi, officer, city):
        funds = set(funds_for_case(user, case).values_list("pk", flat=True))
        assert funds == _visible_funds_by_subquery(user, case), user.username
        seen.add(frozenset(funds))
    assert {frozenset({county.pk, street.pk}), frozenset({county.pk}), frozenset()} <= seen
