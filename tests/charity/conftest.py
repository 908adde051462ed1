"""Charity personas (the 蜀山区 and 肥西县 charity officers), funds and cases to hand off.

Cases are opened through the real intake endpoint (never faked), without running the economic
check (its on-commit task does not fire inside a test transaction): a hand-off takes a case in any
status.
"""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Region, Role, User
from charity.models import Fund, FundKind
from charity.services import funds as fund_services
from tests.charity.helpers import make_case
from tests.support import COMMUNITY_B, STREET_B, STREET_F


def _user(username: str, role: str, region: str) -> User:
    return User.objects.create_user(
        username=username, password="pw-Test-12345", role=role, region_id=region, full_name=username
    )


@pytest.fixture
def charity_shushan(db: Any) -> User:
    return _user("charity_shushan", Role.CHARITY, "340104")


@pytest.fixture
def charity_feixi(db: Any) -> User:
    return _user("charity_feixi", Role.CHARITY, "340123")


@pytest.fixture
def county_fund(charity_shushan: User) -> Fund:
    return fund_services.fund_create(
        actor=charity_shushan,
        kind=FundKind.COUNTY,
        name="蜀山区社会救助专项基金",
        holder="蜀山区慈善会",
        region=Region.objects.get(code="340104"),
    )


@pytest.fixture
def feixi_fund(charity_feixi: User) -> Fund:
    return fund_services.fund_create(
        actor=charity_feixi,
        kind=FundKind.COUNTY,
        name="肥西县社会救助专项基金",
        holder="肥西县慈善协会",
        region=Region.objects.get(code="340123"),
    )


@pytest.fixture
def case_a(clerk_a: User) -> Any:
    return make_case(clerk_a)


@pytest.fixture
def case_b(clerk_b: User) -> Any:
    return make_case(clerk_b, street=STREET_B, community=COMMUNITY_B, seq=301)


@pytest.fixture
def clerk_f(db: Any) -> User:
    return _user("clerk_f", Role.CLERK, STREET_F)
