"""Emergency path: pay first from the street reserve fund (never below zero), county approval above
the street limit, public emergencies on the fast track."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

from accounts.models import Region, Role, User
from casework.models import Case, EmergencyPayment, PaymentStatus, ReserveFund, ReserveFundEntry
from casework.services.emergency import emergency_pay, reserve_fund_top_up
from tests.casework.helpers import accept, intake_payload, post, run_on_commit
from tests.casework.reference_data import ALL_APPS
from tests.support import STREET_A, api_client, make_resident_id


def emergency_case(clerk: User, seq: int | None = None) -> int:
    """Accept an emergency (急难) application; ``seq`` gives a one-person household of its own."""
    payload = intake_payload(types=["emergency"])
    payload["application"].update(_event(dt.date.today()))
    if seq is not None:
        payload["members"] = [
            {"name": "赵六", "id_number": make_resident_id(seq=seq), "relation": "self", "authorisation_signed": True}
        ]
    with run_on_commit():
        response = api_client(clerk).post("/api/v1/intake/", payload, format="json")
    assert response.status_code == 201, response.content
    return int(response.json()["case"]["id"])


def _event(today: dt.date) -> dict[str, object]:
    return {
        "emergency_kind": "fire",
        "emergency_date": (today - dt.timedelta(days=5)).isoformat(),
        "emergency_cost": "10000.00",
        "emergency_insurance": "2000.00",
        "emergency_other_aid": "0.00",
    }


def fund(approver: User, amount: str) -> ReserveFund:
    reserve_fund_top_up(actor=approver, street=Region.objects.get(code=STREET_A), amount=Decimal(amount), note="拨付")
    return ReserveFund.objects.get(street_id=STREET_A)


@pytest.mark.django_db
def test_street_pays_first_within_its_limit(clerk_a: User, approver_a: User) -> None:
    fund(approver_a, "50000")
    case_id = emergency_case(clerk_a)
    response = post(approver_a, case_id, "emergency-payment", {"amount": "3000.00", "reason": "火灾受损，先行救助"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == PaymentStatus.PAID and body["street_limit"] == "3696.00"  # 4 × 924
    assert ReserveFund.objects.get(street_id=STREET_A).balance == Decimal("47000.00")
    entry = ReserveFundEntry.objects.filter(kind="payment").get()
    assert entry.amount == Decimal("3000.00") and entry.balance_after == Decimal("47000.00")
    case = Case.objects.get(pk=case_id)
    assert case.fast_track and case.emergency_due is not None and case.emergency_due > case.accepted_on
    payment = EmergencyPayment.objects.get()
    assert payment.evaluation["parameters_used"]  # the values the decision used are kept
    again = post(approver_a, case_id, "emergency-payment", {"amount": "100.00", "reason": "再次支付"})
    assert again.status_code == 409


@pytest.mark.django_db
def test_above_the_street_limit_goes_to_the_county_supervisor(
    clerk_a: User, approver_a: User, supervisor_shushan: User, supervisor_feixi: User
) -> None:
    fund(approver_a, "50000")
    case_id = emergency_case(clerk_a)
    response = post(approver_a, case_id, "emergency-payment", {"amount": "5000.00", "reason": "火灾受损严重"})
    assert response.status_code == 201
    payment_id = response.json()["id"]
    assert response.json()["status"] == PaymentStatus.PENDING_COUNTY
    assert ReserveFund.objects.get(street_id=STREET_A).balance == Decimal("50000.00")
    url = f"/api/v1/emergency-payments/{payment_id}/decide/"
    assert api_client(supervisor_feixi).post(url, {"approve": True, "note": "同意"}, format="json").status_code == 404
    assert api_client(approver_a).post(url, {"approve": True, "note": "同意"}, format="json").status_code == 403
    response = api_client(supervisor_shushan).post(url, {"approve": True, "note": "同意先行救助"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PaymentStatus.PAID
    assert ReserveFund.objects.get(street_id=STREET_A).balance == Decimal("45000.00")


@pytest.mark.django_db
def test_reserve_fund_cannot_go_below_zero(clerk_a: User, approver_a: User) -> None:
    fund(approver_a, "2000")
    case_id = emergency_case(clerk_a)
    response = post(approver_a, case_id, "emergency-payment", {"amount": "3000.00", "reason": "火灾受损，先行救助"})
    assert response.status_code == 409
    assert response.json()["code"] == "reserve_fund_insufficient" and "余额不足" in response.json()["detail"]
    assert ReserveFund.objects.get(street_id=STREET_A).balance == Decimal("2000.00")
    assert not ReserveFundEntry.objects.filter(kind="payment").exists()
    assert not EmergencyPayment.objects.exists()
    # The database refuses a negative balance even if a code path forgot the check.
    with pytest.raises(IntegrityError), transaction.atomic():
        ReserveFund.objects.filter(street_id=STREET_A).update(balance=Decimal("-0.01"))
    # Exactly the balance is fine: the floor is zero.
    response = post(approver_a, case_id, "emergency-payment", {"amount": "2000.00", "reason": "火灾受损，先行救助"})
    assert response.status_code == 201
    assert ReserveFund.objects.get(street_id=STREET_A).balance == Decimal("0.00")


@pytest.mark.django_db
def test_ledger_is_append_only(approver_a: User) -> None:
    fund(approver_a, "100")
    for statement in (
        lambda: ReserveFundEntry.objects.update(amount=Decimal("1")),
        lambda: ReserveFundEntry.objects.all().delete(),
    ):
        with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
            statement()
    assert ReserveFundEntry.objects.get().amount == Decimal("100.00")


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_two_payments_at_once_never_overdraw_the_fund(clerk_a: User, approver_a: User) -> None:
    fund(approver_a, "3000")
    cases = [emergency_case(clerk_a, seq=401), emergency_case(clerk_a, seq=403)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def pay(case_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            emergency_pay(
                actor=approver_a, case=Case.objects.get(pk=case_id), amount=Decimal("2000"), reason="火灾先行救助"
            )
            results.append("paid")
        except Exception as exc:
            results.append(getattr(exc, "code", type(exc).__name__))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(c,)) for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["paid", "reserve_fund_insufficient"]
    assert ReserveFund.objects.get(street_id=STREET_A).balance == Decimal("1000.00")


@pytest.mark.django_db
def test_only_fast_track_cases_may_be_paid_first(clerk_a: User, approver_a: User) -> None:
    fund(approver_a, "5000")
    case_id = accept(clerk_a)["case"]["id"]  # a plain dibao application
    response = post(approver_a, case_id, "emergency-payment", {"amount": "500.00", "reason": "试图先行支付"})
    assert response.status_code == 409 and response.json()["code"] == "not_fast_track"


@pytest.mark.django_db
def test_public_emergency_puts_the_areas_applications_on_the_fast_track(
    clerk_a: User, clerk_b: User, approver_a: User, supervisor_shushan: User, supervisor_feixi: User
) -> None:
    today = dt.date.today()
    declaration = {
        "region": "340104001",
        "kind": "disaster",
        "title": "强降雨内涝",
        "starts_on": (today - dt.timedelta(days=1)).isoformat(),
        "ends_on": (today + dt.timedelta(days=20)).isoformat(),
    }
    assert api_client(clerk_a).post("/api/v1/public-emergencies/", declaration, format="json").status_code == 403
    assert (
        api_client(supervisor_feixi).post("/api/v1/public-emergencies/", declaration, format="json").status_code == 400
    )
    response = api_client(supervisor_shushan).post("/api/v1/public-emergencies/", declaration, format="json")
    assert response.status_code == 201, response.content
    emergency_id = response.json()["id"]
    case = Case.objects.get(pk=accept(clerk_a)["case"]["id"])
    assert case.fast_track and case.public_emergency_id == emergency_id
    listed = api_client(supervisor_shushan).get(f"/api/v1/public-emergencies/{emergency_id}/cases/").json()
    assert [c["receipt_no"] for c in listed] == [case.receipt_no]
    # An application from another street is not in the emergency area.
    other = accept(
        clerk_b,
        street="340104002",
        community="340104002001",
        members=[{"name": "钱七", "id_number": make_resident_id(seq=777), "relation": "self"}],
    )
    assert Case.objects.get(pk=other["case"]["id"]).public_emergency_id is None


@pytest.mark.django_db
def test_top_up_roles(clerk_a: User, approver_a: User) -> None:
    url = f"/api/v1/reserve-funds/{STREET_A}/top-up/"
    assert api_client(clerk_a).post(url, {"amount": "100", "note": "拨付"}, format="json").status_code == 403
    assert api_client(approver_a).post(url, {"amount": "100", "note": "拨付"}, format="json").status_code == 201
    assert api_client(approver_a).get(f"/api/v1/reserve-funds/{STREET_A}/ledger/").json()[0]["amount"] == "100.00"
    assert approver_a.role == Role.APPROVER


@pytest.mark.django_db
def test_decision_above_the_street_limit_is_for_the_county_supervisor(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User, supervisor_shushan: User
) -> None:
    from tests.casework.helpers import end_notice, investigate

    case_id = emergency_case(clerk_a)  # unmet need 8,000 > 4 × 924
    investigate(reviewer_a, reviewer_a2, case_id)
    opinion = post(reviewer_a, case_id, "opinion").json()
    assert opinion["approval_level"] == "county" and opinion["opinions"][-1]["one_off_amount"] == "8000.00"
    post(reviewer_a, case_id, "notice")
    end_notice(case_id)
    post(reviewer_a, case_id, "close-notice")
    refused = post(approver_a, case_id, "confirm")
    assert refused.status_code == 403 and refused.json()["code"] == "county_approval_required"
    response = post(supervisor_shushan, case_id, "confirm")
    assert response.status_code == 200, response.content
    assert response.json()["decision"]["approval_level"] == "county"
    assert response.json()["decision"]["one_off_amount"] == "8000.00"
