"""Helpers of the charity tests (importable from tests/e2e too): open a case, donate, refer, approve."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import User
from charity.models import DonorKind, Fund, HandOff
from charity.services import funds as fund_services
from charity.services import grants, handoffs
from tests.support import COMMUNITY_A, STREET_A, api_client, household_payload, make_resident_id

TODAY = dt.date.today()


def donate(
    officer: User, fund: Fund, amount: str, purpose: str = "", on: dt.date | None = None, donor: str = "爱心企业"
) -> Any:
    return fund_services.fund_donation_record(
        actor=officer,
        fund=fund,
        donor_kind=DonorKind.ORGANISATION,
        donor_name=donor,
        amount=Decimal(amount),
        purpose=purpose,
        received_on=on or TODAY,
    )


def make_case(clerk: User, *, street: str = STREET_A, community: str = COMMUNITY_A, seq: int = 123) -> Any:
    """Open a case through POST /api/v1/intake/ (the window clerk's one-window intake)."""
    from casework.models import Case

    county = street[:6]
    data = household_payload(street=street, community=community)
    data["members"] = [
        {
            "name": "张三",
            "id_number": make_resident_id(county=county, seq=seq),
            "relation": "self",
            "incomes": [{"kind": "wage", "monthly": "1200.00"}],
            "authorisation_signed": True,
        },
        {
            "name": "李梅",
            "id_number": make_resident_id(county=county, birth=dt.date(1982, 3, 9), seq=seq + 1),
            "relation": "spouse",
            "authorisation_signed": True,
        },
    ]
    data["application"] = {"channel": "window", "assistance_types": ["dibao"], "help_text": "丈夫工资低，申请低保。"}
    response = api_client(clerk).post("/api/v1/intake/", data, format="json")
    assert response.status_code == 201, response.content
    return Case.objects.select_related("household", "street").get(pk=response.json()["case"]["id"])


def refer(
    actor: User, case: Any, fund: Fund, *, need: str = "medical", asked: str = "5000.00", consent: str = "张三"
) -> HandOff:
    return handoffs.handoff_refer(
        actor=actor,
        case=case,
        fund=fund,
        need_type=need,
        description="住院自付费用超出医疗救助限额，家庭无力承担。",
        amount_asked=Decimal(asked),
        consent_by=consent,
        consent_on=TODAY,
        consent_relation="本人",
    )


def approved(officer: User, handoff: HandOff, amount: str) -> HandOff:
    handoffs.handoff_accept(actor=officer, handoff=handoff)
    return grants.handoff_approve(actor=officer, handoff=handoff, amount=Decimal(amount))
