"""Intake (一门受理): receipt numbers, the duplicate guard, authorisation scans, window rejections."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from accounts.models import User
from applications.intake import next_receipt_no
from applications.models import Application, ApplicationStatus, EconomicCheckAuthorisation, Member
from tests.casework.helpers import accept, intake_payload
from tests.casework.reference_data import ALL_APPS
from tests.support import STREET_A, api_client, make_resident_id

INTAKE = "/api/v1/intake/"


@pytest.mark.django_db
def test_receipt_numbers_are_per_street_and_year_and_sequential() -> None:
    assert next_receipt_no(street_code=STREET_A, year=2026) == "340104001-2026-000001"
    assert next_receipt_no(street_code=STREET_A, year=2026) == "340104001-2026-000002"
    assert next_receipt_no(street_code="340104002", year=2026) == "340104002-2026-000001"
    assert next_receipt_no(street_code=STREET_A, year=2027) == "340104001-2027-000001"


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_receipt_numbers_are_unique_under_concurrency() -> None:
    from tests.casework.reference_data import ensure_reference_data

    ensure_reference_data()  # a previous transactional test may have flushed the regions
    numbers: list[str] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(5):
                numbers.append(next_receipt_no(street_code=STREET_A, year=2030))
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(numbers) == 40 and len(set(numbers)) == 40
    assert max(numbers) == "340104001-2030-000040"


@pytest.mark.django_db
def test_register_without_accepting_then_accept(clerk_a: User) -> None:
    payload = intake_payload()
    payload["accept"] = False
    response = api_client(clerk_a).post(INTAKE, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["case"] is None and body["application"]["status"] == ApplicationStatus.SUBMITTED
    app_id = body["application"]["id"]
    response = api_client(clerk_a).post(f"/api/v1/applications/{app_id}/accept/", {}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["receipt_no"] == body["application"]["receipt_no"]
    again = api_client(clerk_a).post(f"/api/v1/applications/{app_id}/accept/", {}, format="json")
    assert again.status_code == 409


@pytest.mark.django_db
def test_only_window_clerks_register(reviewer_a: User) -> None:
    response = api_client(reviewer_a).post(INTAKE, intake_payload(), format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_duplicate_guard_flags_an_active_case_with_its_receipt_number(clerk_a: User) -> None:
    first = accept(clerk_a)
    household_id = first["application"]["household"]
    members = Member.objects.filter(household_id=household_id).order_by("id")
    payload = intake_payload()
    payload["household_id"] = household_id
    payload["members"] = [{"member_id": m.pk, "name": m.name, "id_number": m.id_number} for m in members]
    response = api_client(clerk_a).post(INTAKE, payload, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate_application"
    assert any(first["case"]["receipt_no"] in d for d in body["duplicates"])
    assert make_resident_id(seq=123) not in response.content.decode()
    payload["allow_duplicates"] = True
    assert api_client(clerk_a).post(INTAKE, payload, format="json").status_code == 201


@pytest.mark.django_db
def test_duplicate_in_another_street_gets_a_neutral_message(clerk_a: User, clerk_b: User) -> None:
    first = accept(clerk_a)
    payload = intake_payload(street="340104002", community="340104002001")
    payload["members"] = [
        {"name": "张三", "id_number": make_resident_id(seq=123), "relation": "self", "authorisation_signed": True}
    ]
    response = api_client(clerk_b).post(INTAKE, payload, format="json")
    assert response.status_code == 409
    text = response.content.decode()
    assert first["case"]["receipt_no"] not in text and "340104001" not in text.replace("340104********", "")
    assert "不在您的辖区" in text


@pytest.mark.django_db
def test_duplicate_guard_flags_an_open_online_application(clerk_a: User) -> None:
    from accounts.models import Region
    from applications.intake import application_submit_online

    application_submit_online(
        street=Region.objects.get(code=STREET_A),
        community=Region.objects.get(code="340104001001"),
        address="梅山路",
        phone="13800000000",
        assistance_types=["dibao"],
        help_text="",
        members=[{"name": "张三", "id_number": make_resident_id(seq=123), "relation": "self"}],
    )
    response = api_client(clerk_a).post(INTAKE, intake_payload(), format="json")
    assert response.status_code == 409
    assert "申请中" in response.json()["duplicates"][0]


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("scan.pdf", PDF, True),
        ("scan.png", PNG, True),
        ("scan.exe", b"MZ\x90\x00", False),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", False),
        ("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), False),
    ],
)
def test_authorisation_scan_type_and_size(
    clerk_a: User, settings: object, tmp_path: object, name: str, content: bytes, ok: bool
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    body = accept(clerk_a)
    member = Member.objects.get(name="李梅")
    upload = SimpleUploadedFile(name, content)
    response = api_client(clerk_a).post(
        f"/api/v1/applications/{body['application']['id']}/authorisations/",
        {"member": member.pk, "signed": "true", "scan": upload},
        format="multipart",
    )
    if ok:
        assert response.status_code == 200, response.content
        auth = EconomicCheckAuthorisation.objects.get(member=member)
        assert auth.signed and auth.scan.name.startswith("authorisations/") and "李梅" not in auth.scan.name
    else:
        assert response.status_code == 400, response.content
        assert "scan" in response.json()
        assert not EconomicCheckAuthorisation.objects.get(member=member).scan


@pytest.mark.django_db
def test_window_rejection_needs_a_reason_and_closes_the_application(clerk_a: User) -> None:
    payload = intake_payload()
    payload["accept"] = False
    app_id = api_client(clerk_a).post(INTAKE, payload, format="json").json()["application"]["id"]
    url = f"/api/v1/applications/{app_id}/reject/"
    assert api_client(clerk_a).post(url, {"reason": " "}, format="json").status_code == 400
    response = api_client(clerk_a).post(url, {"reason": "非本街道户籍"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == ApplicationStatus.REJECTED_AT_WINDOW
    assert Application.objects.get(pk=app_id).status_reason == "非本街道户籍"
    assert api_client(clerk_a).post(f"/api/v1/applications/{app_id}/accept/", {}, format="json").status_code == 409
