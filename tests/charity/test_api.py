"""The charity API: donations, hand-offs through their life cycle, 400s with Chinese field messages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from accounts.models import User
from charity.models import Fund, HandOff, JournalEntry
from tests.charity.helpers import TODAY, donate
from tests.support import api_client

pytestmark = pytest.mark.django_db

HANDOFFS = "/api/v1/charity/handoffs/"


def referral(case: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "case": case.pk,
        "need_type": "medical",
        "description": "住院自付费用超出医疗救助限额",
        "amount_asked": "5000.00",
        "consent_by": "张三",
        "consent_relation": "本人",
        "consent_on": TODAY.isoformat(),
    }
    data.update(overrides)
    return data


def test_donation_create_and_fund_balance(charity_shushan: User, county_fund: Fund) -> None:
    client = api_client(charity_shushan)
    response = client.post(
        "/api/v1/charity/donations/",
        {
            "fund": county_fund.pk,
            "donor_kind": "person",
            "donor_name": "李四",
            "amount": "1200.50",
            "purpose": "education",
            "received_on": TODAY.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "1200.50" and body["entry"]["kind"] == "donation"
    assert {(x["account"], x["debit"], x["credit"]) for x in body["entry"]["lines"]} == {
        ("cash", "1200.50", "0.00"),
        ("donations", "0.00", "1200.50"),
    }
    fund = client.get(f"/api/v1/charity/funds/{county_fund.pk}/").json()
    assert fund["balance"] == "1200.50"
    assert fund["pockets"] == [{"purpose": "education", "purpose_display": "教育救助", "balance": "1200.50"}]


def test_bad_input_is_a_400_with_chinese_field_messages_and_nothing_written(
    charity_shushan: User, clerk_a: User, county_fund: Fund, case_a: Any
) -> None:
    bad = api_client(charity_shushan).post(
        "/api/v1/charity/donations/",
        {"fund": county_fund.pk, "donor_kind": "person", "donor_name": "", "amount": "12.345", "received_on": ""},
        format="json",
    )
    assert bad.status_code == 400
    errors = bad.json()
    assert "amount" in errors and "received_on" in errors
    assert any("\u4e00" <= ch <= "\u9fff" for ch in errors["amount"][0])
    no_name = api_client(charity_shushan).post(
        "/api/v1/charity/donations/",
        {"fund": county_fund.pk, "donor_kind": "person", "amount": "10", "received_on": TODAY.isoformat()},
        format="json",
    )
    assert no_name.status_code == 400 and "捐赠人" in no_name.json()["donor_name"][0]
    no_consent = api_client(clerk_a).post(HANDOFFS, referral(case_a, consent_by=""), format="json")
    assert no_consent.status_code == 400
    assert no_consent.json()["consent_by"] == ["必须记录家庭同意转介的同意人。"]
    missing = api_client(clerk_a).post(
        HANDOFFS, {k: v for k, v in referral(case_a).items() if k != "consent_on"}, format="json"
    )
    assert missing.status_code == 400 and missing.json()["consent_on"] == ["请填写家庭同意转介的日期。"]
    assert not JournalEntry.objects.exists() and not HandOff.objects.exists()


def test_hand_off_life_cycle_through_the_api(
    clerk_a: User, charity_shushan: User, county_fund: Fund, case_a: Any
) -> None:
    donate(charity_shushan, county_fund, "3000.00")
    created = api_client(clerk_a).post(HANDOFFS, referral(case_a), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["fund"] == county_fund.pk and body["status"] == "referred" and body["consent_by"] == "张三"
    assert body["next_actions"] == [{"action": "withdraw", "label": "撤回转介", "to": "withdrawn"}]
    url = f"{HANDOFFS}{body['id']}/"
    officer = api_client(charity_shushan)
    assert officer.get(url).json()["next_actions"][0]["action"] == "accept"
    assert officer.post(url + "pay/", {}, format="json").status_code == 409
    assert officer.post(url + "accept/", {"note": "受理"}, format="json").status_code == 200
    too_much = officer.post(url + "approve/", {"amount": "5000.00"}, format="json")
    assert too_much.status_code == 400 and "超过基金余额" in too_much.json()["amount"][0]
    assert officer.post(url + "approve/", {"amount": "2500.00"}, format="json").json()["status"] == "approved"
    paid = officer.post(url + "pay/", {"note": "转账"}, format="json")
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid" and paid.json()["payment_entry"] is not None
    assert officer.post(url + "close/", {}, format="json").json()["status"] == "closed"
    events = [e["action"] for e in officer.get(url).json()["events"]]
    assert events == ["refer", "accept", "approve", "pay", "close"]
    statement = officer.get(f"/api/v1/charity/funds/{county_fund.pk}/statement/?start={TODAY}&end={TODAY}").json()
    assert (statement["opening"], statement["inflow"], statement["outflow"], statement["closing"]) == (
        "0.00",
        "3000.00",
        "2500.00",
        "500.00",
    )
    grants = officer.get(f"/api/v1/charity/reports/grants/?start={TODAY}&end={TODAY}").json()
    assert grants["total_count"] == 1 and grants["total_amount"] == "2500.00"
    assert grants["rows"][0]["street_name"] == "三里庵街道" and grants["rows"][0]["need_label"] == "医疗救助"


def test_decline_needs_a_reason_and_reversal_through_the_api(
    clerk_a: User, charity_shushan: User, county_fund: Fund, case_a: Any
) -> None:
    donation = donate(charity_shushan, county_fund, "100.00")
    officer = api_client(charity_shushan)
    handoff = api_client(clerk_a).post(HANDOFFS, referral(case_a), format="json").json()
    assert officer.post(f"{HANDOFFS}{handoff['id']}/decline/", {}, format="json").status_code == 400
    declined = officer.post(f"{HANDOFFS}{handoff['id']}/decline/", {"reason": "已由医疗救助全额覆盖"}, format="json")
    assert declined.json()["status"] == "declined"
    reversed_ = officer.post(
        f"/api/v1/charity/entries/{donation.entry_id}/reverse/", {"reason": "重复登记的捐赠"}, format="json"
    )
    assert reversed_.status_code == 201 and reversed_.json()["reverses"] == donation.entry_id
    again = officer.post(f"/api/v1/charity/entries/{donation.entry_id}/reverse/", {"reason": "再次冲销"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_reversed"
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("0.00")


def test_transfer_endpoint(charity_shushan: User, county_fund: Fund) -> None:
    from accounts.models import Region
    from charity.models import FundKind
    from charity.services.funds import fund_create

    community = fund_create(
        actor=charity_shushan,
        kind=FundKind.MUTUAL_AID,
        name="梅山路社区慈善公益互助会",
        holder="梅山路社区慈善公益互助会",
        region=Region.objects.get(code="340104001001"),
    )
    donate(charity_shushan, county_fund, "1000.00")
    client = api_client(charity_shushan)
    ok = client.post(
        "/api/v1/charity/transfers/",
        {"from_fund": county_fund.pk, "to_fund": community.pk, "amount": "400", "reason": "社区应急备付"},
        format="json",
    )
    assert ok.status_code == 201 and len(ok.json()["lines"]) == 4
    short = client.post(
        "/api/v1/charity/transfers/",
        {"from_fund": county_fund.pk, "to_fund": community.pk, "amount": "601", "reason": "再调一次"},
        format="json",
    )
    assert short.status_code == 409 and "不足调拨" in short.json()["detail"]


def test_schema_validates_and_lists_the_charity_endpoints(city_admin: User) -> None:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = set(schema["paths"])
    for path in (
        "/api/v1/charity/funds/",
        "/api/v1/charity/funds/{id}/statement/",
        "/api/v1/charity/entries/",
        "/api/v1/charity/entries/{id}/reverse/",
        "/api/v1/charity/donations/",
        "/api/v1/charity/transfers/",
        "/api/v1/charity/handoffs/",
        "/api/v1/charity/handoffs/{id}/accept/",
        "/api/v1/charity/handoffs/{id}/decline/",
        "/api/v1/charity/handoffs/{id}/approve/",
        "/api/v1/charity/handoffs/{id}/pay/",
        "/api/v1/charity/reports/grants/",
    ):
        assert path in paths, path
