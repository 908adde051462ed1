"""The demo loader: the 蜀山区 fund with donations, a community mutual-aid fund, hand-offs in every state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from charity.models import Fund, FundKind, HandOff
from charity.selectors import ledger_check
from tests.charity.helpers import make_case
from tests.support import COMMUNITY_B, STREET_B


@pytest.mark.django_db
def test_demo_books_balance_and_hand_offs_cover_the_life_cycle() -> None:
    from accounts.demo import load_staff
    from charity import demo

    context = load_staff()
    for n in range(3):  # the casework demo opens more; six cases are enough for every hand-off state
        make_case(context.staff["clerk_a"], seq=100 + 10 * n)
        make_case(context.staff["clerk_b"], street=STREET_B, community=COMMUNITY_B, seq=500 + 10 * n)
    demo.load(context)

    county = Fund.objects.get(kind=FundKind.COUNTY, region_id="340104")
    community = Fund.objects.get(kind=FundKind.MUTUAL_AID)
    assert county.holder == "蜀山区慈善会" and community.region_id == "340104001001"
    for fund in (county, community):
        check = ledger_check(fund)
        assert check["from_lines"] == check["cached"] == fund.balance > Decimal("0")
    assert community.balance == Decimal("13560.00")
    assert county.balance == Decimal("157000.00") - Decimal("10000.00") - Decimal("6000.00") - Decimal("3000.00")
    statuses = set(HandOff.objects.values_list("status", flat=True))
    assert statuses == {"referred", "accepted", "declined", "approved", "paid", "closed"}


@pytest.mark.django_db
def test_demo_without_cases_still_sets_up_the_funds() -> None:
    from accounts.demo import load_staff
    from charity import demo

    demo.load(load_staff())
    assert Fund.objects.count() == 2 and not HandOff.objects.exists()
