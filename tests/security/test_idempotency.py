"""Idempotency-Key on the POST endpoints that create applications, payments and grants (issue 8).

Same key + same body → the first response again and ONE row; same key + different body → 422;
concurrent duplicate → 409; a missing header changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.idempotency import request_hash
from accounts.models import IdempotencyRecord, Role, User
from applications.models import Application
from casework.models import Case
from charity.models import Donation, Fund, HandOff, HandOffStatus
from tests.casework.helpers import intake_payload
from tests.casework.reference_data import ALL_APPS
from tests.charity.conftest import charity_shushan, county_fund  # noqa: F401 (fixtures)
from tests.charity.helpers import approved, donate, make_case, refer
from tests.support import api_client, make_resident_id

DONATIONS = "/api/v1/charity/donations/"
INTAKE = "/api/v1/intake/"
TODAY = dt.date.today()


def _donation(fund: Fund, amount: str = "1000.00", **extra: Any) -> dict[str, Any]:
    return {
        "fund": fund.pk,
        "donor_kind": "organisation",
        "donor_name": "爱心企业",
        "amount": amount,
        "received_on": TODAY.isoformat(),
        **extra,
    }


def _post(user: User, url: str, data: dict[str, Any], key: str | None) -> Any:
    headers = {} if key is None else {"Idempotency-Key": key}
    return api_client(user).post(url, data, format="json", headers=headers)


@pytest.mark.django_db
def test_same_key_same_body_replays_the_first_response_and_creates_one_donation(
    charity_shushan: User,  # noqa: F811
    county_fund: Fund,  # noqa: F811
) -> None:
    first = _post(charity_shushan, DONATIONS, _donation(county_fund), "don-2026-11-29-0001")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    # The same body with the keys in another order is the same request (canonical JSON).
    again = _post(
        charity_shushan, DONATIONS, dict(reversed(list(_donation(county_fund).items()))), "don-2026-11-29-0001"
    )
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Donation.objects.count() == 1
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("1000.00")  # booked once, not 2 000
    record = IdempotencyRecord.objects.get()
    assert (record.user, record.key, record.endpoint) == (charity_shushan, "don-2026-11-29-0001", f"POST {DONATIONS}")
    assert record.state == IdempotencyRecord.State.DONE and record.response_status == 201
    assert record.response_body == first.json()
    assert record.request_hash == request_hash(_donation(county_fund))
    assert dt.timedelta(hours=23, minutes=59) < record.expires_at - record.created_at <= dt.timedelta(hours=24)


@pytest.mark.django_db
def test_intake_replay_opens_one_case_and_stores_no_full_id(clerk_a: User) -> None:
    payload = intake_payload()
    first = _post(clerk_a, INTAKE, payload, "intake-7f3c2a")
    second = _post(clerk_a, INTAKE, payload, "intake-7f3c2a")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert Application.objects.count() == 1 and Case.objects.count() == 1
    stored = str(IdempotencyRecord.objects.get().response_body)
    for number in (make_resident_id(seq=123), make_resident_id(birth=dt.date(1982, 3, 9), seq=246)):
        assert number not in stored and number[:17] not in stored
    assert "340104********" in stored  # the response (and so the stored copy) shows IDs masked


@pytest.mark.django_db
def test_same_key_different_body_is_422_and_books_nothing(
    charity_shushan: User,  # noqa: F811
    county_fund: Fund,  # noqa: F811
) -> None:
    assert _post(charity_shushan, DONATIONS, _donation(county_fund), "k-1").status_code == 201
    response = _post(charity_shushan, DONATIONS, _donation(county_fund, amount="1000.01"), "k-1")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "idempotency_key_reused"
    assert "幂等键" in body["detail"] and "different request body" in body["detail"]
    assert Donation.objects.count() == 1
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("1000.00")


@pytest.mark.django_db
def test_key_still_in_progress_is_409(charity_shushan: User, county_fund: Fund) -> None:  # noqa: F811
    body = _donation(county_fund)
    IdempotencyRecord.objects.create(
        user=charity_shushan,
        key="k-busy",
        endpoint=f"POST {DONATIONS}",
        request_hash=request_hash(body),
        expires_at=timezone.now() + dt.timedelta(hours=24),
    )
    response = _post(charity_shushan, DONATIONS, body, "k-busy")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress" and "正在处理中" in response.json()["detail"]
    assert Donation.objects.count() == 0


@pytest.mark.django_db
def test_a_key_is_scoped_to_the_user_and_the_endpoint(
    charity_shushan: User,  # noqa: F811
    county_fund: Fund,  # noqa: F811
) -> None:
    colleague = User.objects.create_user(
        username="charity_shushan2", password="pw-Test-12345", role=Role.CHARITY, region_id="340104"
    )
    mine = _post(charity_shushan, DONATIONS, _donation(county_fund), "shared-key")
    assert mine.status_code == 201
    other = _post(colleague, DONATIONS, _donation(county_fund, amount="300.00"), "shared-key")
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert Donation.objects.count() == 2
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("1300.00")
    # The same user, the same key, another endpoint (冲销 of that donation): a separate key, not a 422.
    entry = mine.json()["entry"]["id"]
    reversal = _post(charity_shushan, f"/api/v1/charity/entries/{entry}/reverse/", {"reason": "重复登记"}, "shared-key")
    assert reversal.status_code == 201, reversal.content
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("300.00")
    assert IdempotencyRecord.objects.filter(key="shared-key").count() == 3


@pytest.mark.django_db
def test_business_refusal_is_replayed_even_after_the_condition_changed(
    charity_shushan: User,  # noqa: F811
    county_fund: Fund,  # noqa: F811
    clerk_a: User,
) -> None:
    donate(charity_shushan, county_fund, "5000.00")
    case = make_case(clerk_a)
    first = approved(charity_shushan, refer(clerk_a, case, county_fund, need="medical", asked="3000.00"), "3000.00")
    second = approved(charity_shushan, refer(clerk_a, case, county_fund, need="education", asked="3000.00"), "3000.00")
    officer = api_client(charity_shushan)
    paid = officer.post(
        f"/api/v1/charity/handoffs/{first.pk}/pay/", {}, format="json", headers={"Idempotency-Key": "p1"}
    )
    assert paid.status_code == 200 and paid.json()["status"] == HandOffStatus.PAID

    url = f"/api/v1/charity/handoffs/{second.pk}/pay/"
    refused = officer.post(url, {"note": ""}, format="json", headers={"Idempotency-Key": "p2"})
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_funds"  # 2 000 left < 3 000
    donate(charity_shushan, county_fund, "5000.00")
    replay = officer.post(url, {"note": ""}, format="json", headers={"Idempotency-Key": "p2"})
    assert replay.status_code == 409 and replay.json() == refused.json() and replay["Idempotent-Replayed"] == "true"
    assert HandOff.objects.get(pk=second.pk).status == HandOffStatus.APPROVED
    fresh = officer.post(url, {"note": ""}, format="json", headers={"Idempotency-Key": "p3"})
    assert fresh.status_code == 200 and fresh.json()["status"] == HandOffStatus.PAID
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("4000.00")  # 5 000 − 3 000 + 5 000 − 3 000


@pytest.mark.django_db
def test_validation_error_is_stored_and_replayed(charity_shushan: User, county_fund: Fund) -> None:  # noqa: F811
    body = _donation(county_fund, amount="-5.00")
    first = _post(charity_shushan, DONATIONS, body, "bad-amount")
    assert first.status_code == 400 and "amount" in first.json()
    again = _post(charity_shushan, DONATIONS, body, "bad-amount")
    assert again.status_code == 400 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.get().response_status == 400


@pytest.mark.django_db
def test_without_the_header_nothing_changes(charity_shushan: User, county_fund: Fund) -> None:  # noqa: F811
    assert _post(charity_shushan, DONATIONS, _donation(county_fund), None).status_code == 201
    assert _post(charity_shushan, DONATIONS, _donation(county_fund), None).status_code == 201
    assert Donation.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " ", "x" * 256, "键-1", "tab\there", "line\nbreak"])
def test_malformed_key_is_400(charity_shushan: User, county_fund: Fund, key: str) -> None:  # noqa: F811
    response = api_client(charity_shushan).post(
        DONATIONS, _donation(county_fund), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert Donation.objects.count() == 0 and not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_longest_valid_key_is_accepted(charity_shushan: User, county_fund: Fund) -> None:  # noqa: F811
    key = "k" + "-" * 253 + "z"
    assert _post(charity_shushan, DONATIONS, _donation(county_fund), key).status_code == 201
    assert IdempotencyRecord.objects.get().key == key


@pytest.mark.django_db
def test_an_unexpected_error_rolls_back_and_frees_the_key(
    charity_shushan: User,  # noqa: F811
    county_fund: Fund,  # noqa: F811
) -> None:
    from charity.services import funds

    real = funds.fund_donation_record

    def half_written(**kwargs: Any) -> Any:
        real(**kwargs)  # the donation is booked …
        raise RuntimeError("ledger service crashed")  # … then the request dies: nothing may stay

    client = api_client(charity_shushan)
    client.raise_request_exception = False
    with mock.patch.object(funds, "fund_donation_record", half_written):
        crashed = client.post(DONATIONS, _donation(county_fund), format="json", headers={"Idempotency-Key": "retry-me"})
    assert crashed.status_code == 500
    assert Donation.objects.count() == 0 and not IdempotencyRecord.objects.exists()
    retried = _post(charity_shushan, DONATIONS, _donation(county_fund), "retry-me")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert Donation.objects.count() == 1


@pytest.mark.django_db
def test_expired_key_starts_afresh_and_purge_deletes_old_rows(
    charity_shushan: User,  # noqa: F811
    county_fund: Fund,  # noqa: F811
) -> None:
    assert _post(charity_shushan, DONATIONS, _donation(county_fund), "old").status_code == 201
    IdempotencyRecord.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    again = _post(charity_shushan, DONATIONS, _donation(county_fund, amount="20.00"), "old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Donation.objects.count() == 2 and IdempotencyRecord.objects.get().request_hash == request_hash(
        _donation(county_fund, amount="20.00")
    )
    assert _post(charity_shushan, DONATIONS, _donation(county_fund, amount="30.00"), "other").status_code == 201
    IdempotencyRecord.objects.filter(key="old").update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    out = io.StringIO()
    call_command("idempotency_purge", stdout=out)
    assert "1" in out.getvalue()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["other"]


@pytest.mark.django_db
def test_schema_documents_the_header_on_every_covered_operation(clerk_a: User) -> None:
    schema = api_client(clerk_a).get("/api/schema/", {"format": "json"}).json()
    covered = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method, op in operations.items()
        if any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in op.get("parameters", []))
    }
    assert covered == {
        ("POST", "/api/v1/intake/"),
        ("POST", "/api/v1/applications/{id}/accept/"),
        ("POST", "/api/v1/households/"),
        ("POST", "/api/v1/cases/{id}/emergency-payment/"),
        ("POST", "/api/v1/reserve-funds/{street}/top-up/"),
        ("POST", "/api/v1/payment-rolls/"),
        ("POST", "/api/v1/enrolments/{id}/bridging/"),
        ("POST", "/api/v1/charity/donations/"),
        ("POST", "/api/v1/charity/transfers/"),
        ("POST", "/api/v1/charity/handoffs/"),
        ("POST", "/api/v1/charity/handoffs/{id}/approve/"),
        ("POST", "/api/v1/charity/handoffs/{id}/pay/"),
        ("POST", "/api/v1/charity/entries/{id}/reverse/"),
    }


def test_request_hash_is_canonical() -> None:
    assert request_hash({"a": 1, "b": [1, 2]}) == request_hash({"b": [1, 2], "a": 1})
    assert request_hash({"a": 1, "b": [1, 2]}) != request_hash({"a": 1, "b": [2, 1]})
    assert len(request_hash({})) == 64


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_concurrent_duplicate_gets_409_and_one_donation(charity_shushan: User, county_fund: Fund) -> None:  # noqa: F811
    """Two connections, the same key: the second arrives while the first is inside its business write."""
    from charity.services import funds

    real = funds.fund_donation_record
    inside = threading.Event()
    release = threading.Event()
    results: dict[str, Any] = {}

    def slow(**kwargs: Any) -> Any:
        inside.set()
        assert release.wait(timeout=20)
        return real(**kwargs)

    def first() -> None:
        try:
            results["first"] = _post(charity_shushan, DONATIONS, _donation(county_fund), "same-key")
        finally:
            connection.close()

    def second() -> None:
        try:
            results["second"] = _post(charity_shushan, DONATIONS, _donation(county_fund), "same-key")
        finally:
            connection.close()

    with mock.patch.object(funds, "fund_donation_record", slow):
        t1 = threading.Thread(target=first)
        t1.start()
        assert inside.wait(timeout=20)
        t2 = threading.Thread(target=second)
        t2.start()
        t2.join(timeout=30)
        release.set()
        t1.join(timeout=30)

    assert results["second"].status_code == 409
    assert results["second"].json()["code"] == "idempotency_in_progress"
    assert results["first"].status_code == 201
    assert Donation.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert record.state == IdempotencyRecord.State.DONE and record.response_body == results["first"].json()
    # Once the first has finished, the same request is a replay.
    replay = _post(charity_shushan, DONATIONS, _donation(county_fund), "same-key")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert Donation.objects.count() == 1


def test_request_hash_of_a_multipart_form_covers_the_file_content_and_rewinds_it() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.http import QueryDict

    def form(content: bytes) -> tuple[QueryDict, SimpleUploadedFile]:
        data = QueryDict(mutable=True)
        data.update({"consent_by": "张三", "need_type": "medical"})
        scan = SimpleUploadedFile("consent.pdf", content, content_type="application/pdf")
        data["consent_scan"] = scan
        return data, scan

    first, scan = form(b"%PDF-1.4 signed")
    same, _ = form(b"%PDF-1.4 signed")
    other, _ = form(b"%PDF-1.4 another")
    assert request_hash(first) == request_hash(same) != request_hash(other)
    assert scan.read() == b"%PDF-1.4 signed"  # the view still reads the whole upload
