"""The hand-off life cycle: referral with consent, accept/decline, approve, pay, close; forbidden moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.errors import BusinessError
from accounts.models import AuditLog, User
from charity.models import EntryKind, Fund, HandOff, HandOffEvent, HandOffStatus
from charity.services import grants, handoffs
from tests.charity.helpers import TODAY, approved, donate, refer

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(charity_shushan: User, county_fund: Fund) -> Fund:
    donate(charity_shushan, county_fund, "20000.00")
    return county_fund


def test_life_cycle_refer_accept_approve_pay_close_is_recorded_and_audited(
    clerk_a: User, charity_shushan: User, funded: Fund, case_a: Any
) -> None:
    handoff = refer(clerk_a, case_a, funded, asked="5000.00")
    assert handoff.status == HandOffStatus.REFERRED and handoff.street_id == case_a.street_id
    handoffs.handoff_accept(actor=charity_shushan, handoff=handoff, note="材料齐全")
    grants.handoff_approve(actor=charity_shushan, handoff=handoff, amount=Decimal("4000.00"), note="评审同意")
    entry = grants.fund_grant_pay(actor=charity_shushan, handoff=handoff)
    handoffs.handoff_close(actor=charity_shushan, handoff=handoff, note="家庭确认到账")

    handoff.refresh_from_db()
    funded.refresh_from_db()
    assert handoff.status == HandOffStatus.CLOSED and handoff.grant_amount == Decimal("4000.00")
    assert handoff.handled_by == charity_shushan and handoff.paid_at and handoff.closed_at
    assert entry.kind == EntryKind.GRANT and entry.handoff_id == handoff.pk
    assert funded.balance == Decimal("16000.00")
    events = list(handoff.events.values_list("action", "from_status", "to_status"))
    assert events == [
        ("refer", "", "referred"),
        ("accept", "referred", "accepted"),
        ("approve", "accepted", "approved"),
        ("pay", "approved", "paid"),
        ("close", "paid", "closed"),
    ]
    actions = list(
        AuditLog.objects.filter(object_type="charity.handoff", object_id=str(handoff.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "charity.handoff_refer",
        "charity.handoff_accept",
        "charity.handoff_approve",
        "charity.handoff_pay",
        "charity.handoff_close",
    ]
    approve_row = AuditLog.objects.get(action="charity.handoff_approve")
    assert approve_row.before == {
        "status": "accepted",
        "grant_amount": None,
        "approved_at": None,
        "handled_by": charity_shushan.pk,
    }
    assert approve_row.after["grant_amount"] == "4000.00" and approve_row.reason == "评审同意"


def test_consent_is_required_to_refer(clerk_a: User, funded: Fund, case_a: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        refer(clerk_a, case_a, funded, consent="  ")
    assert "同意" in exc.value.message_dict["consent_by"][0]
    with pytest.raises(ValidationError) as exc:
        handoffs.handoff_refer(
            actor=clerk_a,
            case=case_a,
            fund=funded,
            need_type="medical",
            description="住院费用缺口较大",
            amount_asked="100",
            consent_by="张三",
            consent_on=None,
        )
    assert "consent_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        handoffs.handoff_refer(
            actor=clerk_a,
            case=case_a,
            fund=funded,
            need_type="medical",
            description="住院费用缺口较大",
            amount_asked="100",
            consent_by="张三",
            consent_on=TODAY + dt.timedelta(days=1),
        )
    assert "晚于今天" in exc.value.message_dict["consent_on"][0]
    assert not HandOff.objects.exists() and not AuditLog.objects.filter(action="charity.handoff_refer").exists()


def test_the_database_refuses_a_hand_off_without_consent(clerk_a: User, funded: Fund, case_a: Any) -> None:
    handoff = refer(clerk_a, case_a, funded)
    with pytest.raises(IntegrityError), transaction.atomic():
        HandOff.objects.filter(pk=handoff.pk).update(consent_by="")


def test_a_case_refused_by_government_assistance_can_be_handed_off(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User, charity_shushan: User, funded: Fund
) -> None:
    from casework.models import Case, CaseStatus
    from tests.casework.helpers import accept, investigate, post

    # Walk a real case through the one-window workflow to a refusal (casework's own endpoints).
    case_id = accept(clerk_a)["case"]["id"]
    assert investigate(reviewer_a, reviewer_a2, case_id).status_code == 200
    assert post(reviewer_a, case_id, "opinion").status_code == 200
    refused = post(approver_a, case_id, "refuse", {"reasons": "家庭人均收入高于低保标准，不符合低保条件。"})
    assert refused.status_code == 200, refused.content
    case = Case.objects.select_related("household").get(pk=case_id)
    assert case.status == CaseStatus.REFUSED

    handoff = refer(clerk_a, case, funded, need="medical", asked="3000.00")
    approved(charity_shushan, handoff, "3000.00")
    grants.fund_grant_pay(actor=charity_shushan, handoff=handoff)
    handoff.refresh_from_db()
    assert handoff.status == HandOffStatus.PAID


@pytest.mark.parametrize(
    ("setup", "call", "expected"),
    [
        ("referred", "pay", "不能变更为“已支付”"),
        ("referred", "approve", "不能变更为“已批准(待支付)”"),
        ("referred", "close", "不能变更为“已结案”"),
        ("accepted", "withdraw", "不能变更为“已撤回”"),
        ("declined", "accept", "已办结(不予资助)"),
        ("paid", "decline", "不能变更为“不予资助”"),
        ("closed", "pay", "已办结(已结案)"),
    ],
)
def test_forbidden_transitions_are_refused_with_409(
    clerk_a: User, charity_shushan: User, funded: Fund, case_a: Any, setup: str, call: str, expected: str
) -> None:
    handoff = refer(clerk_a, case_a, funded, asked="1000.00")
    if setup == "declined":
        handoffs.handoff_decline(actor=charity_shushan, handoff=handoff, reason="不属于资助范围")
    elif setup != "referred":
        handoffs.handoff_accept(actor=charity_shushan, handoff=handoff)
        if setup in {"paid", "closed"}:
            grants.handoff_approve(actor=charity_shushan, handoff=handoff, amount=Decimal("1000.00"))
            grants.fund_grant_pay(actor=charity_shushan, handoff=handoff)
        if setup == "closed":
            handoffs.handoff_close(actor=charity_shushan, handoff=handoff)
    calls = {
        "pay": lambda: grants.fund_grant_pay(actor=charity_shushan, handoff=handoff),
        "approve": lambda: grants.handoff_approve(actor=charity_shushan, handoff=handoff, amount="500"),
        "close": lambda: handoffs.handoff_close(actor=charity_shushan, handoff=handoff),
        "withdraw": lambda: handoffs.handoff_withdraw(actor=clerk_a, handoff=handoff, reason="家庭不再需要"),
        "accept": lambda: handoffs.handoff_accept(actor=charity_shushan, handoff=handoff),
        "decline": lambda: handoffs.handoff_decline(actor=charity_shushan, handoff=handoff, reason="重新评估不符合"),
    }
    events = HandOffEvent.objects.count()
    with pytest.raises(BusinessError) as exc:
        calls[call]()
    assert exc.value.status == 409 and exc.value.code == "forbidden_transition"
    assert expected in exc.value.message
    assert HandOffEvent.objects.count() == events


def test_roles_each_side_takes_only_its_own_steps(
    clerk_a: User, charity_shushan: User, supervisor_shushan: User, funded: Fund, case_a: Any
) -> None:
    with pytest.raises(BusinessError) as exc:
        refer(charity_shushan, case_a, funded)
    assert exc.value.status == 403
    handoff = refer(supervisor_shushan, case_a, funded)  # the county supervisor may refer too
    for actor in (clerk_a, supervisor_shushan):
        with pytest.raises(BusinessError) as exc:
            handoffs.handoff_accept(actor=actor, handoff=handoff)
        assert exc.value.status == 403 and "不能执行“受理转介”" in exc.value.message
    with pytest.raises(BusinessError) as exc:
        handoffs.handoff_withdraw(actor=charity_shushan, handoff=handoff, reason="慈善专员撤回")
    assert exc.value.status == 403


def test_decline_and_withdraw_need_a_reason(clerk_a: User, charity_shushan: User, funded: Fund, case_a: Any) -> None:
    handoff = refer(clerk_a, case_a, funded)
    with pytest.raises(ValidationError) as exc:
        handoffs.handoff_decline(actor=charity_shushan, handoff=handoff, reason=" ")
    assert "原因" in exc.value.message_dict["reason"][0]
    handoffs.handoff_decline(actor=charity_shushan, handoff=handoff, reason="已获得大病保险二次报销，缺口已覆盖")
    handoff.refresh_from_db()
    assert handoff.status == HandOffStatus.DECLINED and "二次报销" in handoff.decision_reason
    other = refer(clerk_a, case_a, funded)  # a declined need may be referred again later
    handoffs.handoff_withdraw(actor=clerk_a, handoff=other, reason="家庭已自行解决")
    other.refresh_from_db()
    assert other.status == HandOffStatus.WITHDRAWN


def test_approval_is_limited_by_the_amount_asked_and_the_fund_balance(
    clerk_a: User, charity_shushan: User, funded: Fund, case_a: Any
) -> None:
    handoff = refer(clerk_a, case_a, funded, asked="30000.00")
    handoffs.handoff_accept(actor=charity_shushan, handoff=handoff)
    with pytest.raises(ValidationError) as exc:
        grants.handoff_approve(actor=charity_shushan, handoff=handoff, amount="30000.01")
    assert "不能超过申请金额" in exc.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as exc:
        grants.handoff_approve(actor=charity_shushan, handoff=handoff, amount="25000.00")
    assert "超过基金余额" in exc.value.message_dict["amount"][0]
    grants.handoff_approve(actor=charity_shushan, handoff=handoff, amount="20000.00")
    handoff.refresh_from_db()
    assert handoff.status == HandOffStatus.APPROVED and handoff.grant_amount == Decimal("20000.00")


def test_steps_are_idempotent(clerk_a: User, charity_shushan: User, funded: Fund, case_a: Any) -> None:
    handoff = approved(charity_shushan, refer(clerk_a, case_a, funded, asked="100.00"), "100.00")
    first = grants.fund_grant_pay(actor=charity_shushan, handoff=handoff)
    again = grants.fund_grant_pay(actor=charity_shushan, handoff=handoff)
    assert first.pk == again.pk and handoff.events.filter(action="pay").count() == 1
    fresh = refer(clerk_a, case_a, funded, need="living")
    handoffs.handoff_accept(actor=charity_shushan, handoff=fresh)
    handoffs.handoff_accept(actor=charity_shushan, handoff=fresh)
    assert fresh.events.filter(action="accept").count() == 1


def test_one_open_hand_off_per_case_and_need(clerk_a: User, funded: Fund, case_a: Any) -> None:
    first = refer(clerk_a, case_a, funded, need="education")
    with pytest.raises(BusinessError) as exc:
        refer(clerk_a, case_a, funded, need="education")
    assert exc.value.status == 409 and first.number in exc.value.message
    refer(clerk_a, case_a, funded, need="housing")


def test_a_fund_takes_only_families_of_its_region(clerk_f: User, funded: Fund) -> None:
    from tests.charity.helpers import make_case
    from tests.support import STREET_F

    feixi_case = make_case(clerk_f, street=STREET_F, community="340123100001", seq=501)
    with pytest.raises(ValidationError) as exc:
        refer(clerk_f, feixi_case, funded)
    assert "不承接本案件所在区域" in exc.value.message_dict["fund"][0]
