"""Who sees what: another county's hand-off or fund is a 404; street B does not see street A's."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.errors import BusinessError
from accounts.models import User
from charity.models import Fund, HandOff
from charity.services import handoffs
from tests.charity.helpers import donate, refer
from tests.support import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def handoff_a(clerk_a: User, charity_shushan: User, county_fund: Fund, case_a: Any) -> HandOff:
    donate(charity_shushan, county_fund, "1000.00")
    return refer(clerk_a, case_a, county_fund)


def page(user: User, url: str) -> int:
    client = Client()
    client.force_login(user)
    return client.get(url).status_code


def test_charity_officer_of_another_county_gets_404(charity_feixi: User, handoff_a: HandOff, county_fund: Fund) -> None:
    client = api_client(charity_feixi)
    assert client.get(f"/api/v1/charity/handoffs/{handoff_a.pk}/").status_code == 404
    assert client.post(f"/api/v1/charity/handoffs/{handoff_a.pk}/accept/", {}, format="json").status_code == 404
    assert client.get("/api/v1/charity/handoffs/").json()["count"] == 0
    assert client.get(f"/api/v1/charity/funds/{county_fund.pk}/").status_code == 404
    assert client.get("/api/v1/charity/entries/").json()["count"] == 0
    assert page(charity_feixi, f"/charity/handoffs/{handoff_a.pk}/") == 404
    assert page(charity_feixi, f"/charity/funds/{county_fund.pk}/") == 404
    assert page(charity_feixi, f"/charity/funds/{county_fund.pk}/statement/") == 404
    with pytest.raises(BusinessError) as exc:
        handoffs.handoff_accept(actor=charity_feixi, handoff=handoff_a)
    assert exc.value.status == 404


def test_street_b_clerk_cannot_see_street_a_hand_offs(clerk_b: User, handoff_a: HandOff, case_a: Any) -> None:
    client = api_client(clerk_b)
    assert client.get(f"/api/v1/charity/handoffs/{handoff_a.pk}/").status_code == 404
    assert client.get("/api/v1/charity/handoffs/").json()["count"] == 0
    assert page(clerk_b, f"/charity/handoffs/{handoff_a.pk}/") == 404
    assert page(clerk_b, f"/charity/cases/{case_a.pk}/") == 404
    assert page(clerk_b, f"/charity/cases/{case_a.pk}/refer/") == 404
    referral = {
        "case": case_a.pk,
        "need_type": "living",
        "description": "生活困难需要帮助",
        "amount_asked": "100",
        "consent_by": "张三",
        "consent_on": "2026-01-01",
    }
    assert client.post("/api/v1/charity/handoffs/", referral, format="json").status_code == 404


def test_street_staff_see_their_street_and_the_county_sees_the_county(
    clerk_a: User,
    supervisor_shushan: User,
    supervisor_feixi: User,
    charity_shushan: User,
    handoff_a: HandOff,
    county_fund: Fund,
) -> None:
    for user in (clerk_a, supervisor_shushan, charity_shushan):
        assert api_client(user).get(f"/api/v1/charity/handoffs/{handoff_a.pk}/").status_code == 200
        assert page(user, f"/charity/handoffs/{handoff_a.pk}/") == 200
    assert api_client(supervisor_feixi).get(f"/api/v1/charity/handoffs/{handoff_a.pk}/").status_code == 404
    # The county fund's books are the county's: street staff do not read them, the supervisor does.
    assert api_client(clerk_a).get(f"/api/v1/charity/funds/{county_fund.pk}/").status_code == 404
    assert api_client(clerk_a).get("/api/v1/charity/entries/").json()["count"] == 0
    assert api_client(supervisor_shushan).get(f"/api/v1/charity/funds/{county_fund.pk}/").status_code == 200
    assert api_client(supervisor_shushan).get("/api/v1/charity/entries/").json()["count"] == 1


def test_supervisor_reads_but_does_not_keep_the_books(supervisor_shushan: User, county_fund: Fund) -> None:
    response = api_client(supervisor_shushan).post(
        "/api/v1/charity/donations/",
        {"fund": county_fund.pk, "donor_kind": "anonymous", "amount": "10", "received_on": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 403 and "慈善专员" in response.json()["detail"]
