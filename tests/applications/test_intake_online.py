"""掌上办: public online application and the rate-limited, non-disclosing status query."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from applications.models import Application, ApplicationStatus, Channel
from tests.casework.helpers import run_on_commit
from tests.support import COMMUNITY_A, STREET_A, make_resident_id

APPLICANT = make_resident_id(birth=dt.date(1985, 4, 2), seq=611)
NOT_FOUND = "未找到与受理编号和身份证号码相符的申请"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    cache.clear()
    yield
    cache.clear()


def _apply(client: Client) -> str:
    data = {
        "assistance_types": ["dibao"],
        "help_text": "失业在家，孩子上学，生活困难",
        "community": COMMUNITY_A,
        "address": "梅山路8号",
        "phone": "13912345678",
        "financial_assets": "2000",
        "homes": "1",
        "vehicle_price": "0",
        "promise": "on",
        "m-TOTAL_FORMS": "2",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "1",
        "m-MAX_NUM_FORMS": "10",
        "m-0-name": "孙丽",
        "m-0-id_number": APPLICANT,
        "m-0-relation": "self",
        "m-0-monthly_income": "900",
        "m-0-income_kind": "wage",
        "m-1-name": "孙小宝",
        "m-1-id_number": make_resident_id(birth=dt.date(2014, 1, 5), seq=622),
        "m-1-relation": "child",
        "m-1-income_kind": "wage",
    }
    response = client.post(f"/apply/?street={STREET_A}", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    done = client.get(response["Location"]).content.decode()
    return done.split('id="receipt-no">')[1].split("<")[0].strip()


def _status(client: Client, receipt: str, number: str, ip: str = "10.0.0.1") -> Any:
    return client.post("/apply/status/", {"receipt_no": receipt, "id_number": number}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_resident_applies_online_and_it_lands_in_the_street_queue(clerk_a: User) -> None:
    receipt = _apply(Client())
    application = Application.objects.get(receipt_no=receipt)
    assert application.channel == Channel.ONLINE and application.status == ApplicationStatus.SUBMITTED
    assert application.street_id == STREET_A and application.household_id is None
    assert APPLICANT not in application.applicant_id_masked
    staff = Client()
    staff.force_login(clerk_a)
    assert receipt in staff.get("/intake/applications/").content.decode()
    # The window verifies the ID card, completes the household and accepts.
    page = staff.get(f"/intake/?application={application.pk}").content.decode()
    assert "孙丽" in page and APPLICANT not in page  # the full ID never goes back into HTML


@pytest.mark.django_db
def test_status_query_with_receipt_and_id_number() -> None:
    client = Client()
    receipt = _apply(client)
    response = _status(client, receipt, APPLICANT)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="status-result"' in html and receipt in html and "已提交" in html
    assert APPLICANT not in html


@pytest.mark.django_db
def test_status_query_never_reveals_whether_an_id_or_receipt_exists() -> None:
    client = Client()
    receipt = _apply(client)
    wrong_id = _status(client, receipt, make_resident_id(seq=999)).content.decode()
    unknown_receipt = _status(client, "340104001-2026-999999", APPLICANT).content.decode()
    garbage = _status(client, "nonsense", "123").content.decode()
    for html in (wrong_id, unknown_receipt, garbage):
        assert NOT_FOUND in html and 'id="status-result"' not in html
    assert wrong_id.split('id="status-error"')[1][:200] == unknown_receipt.split('id="status-error"')[1][:200]


@pytest.mark.django_db
def test_status_query_is_rate_limited_per_client_address() -> None:
    client = Client()
    receipt = _apply(client)
    for _ in range(10):
        assert _status(client, "340104001-2026-999999", APPLICANT, ip="10.0.0.9").status_code == 200
    blocked = _status(client, receipt, APPLICANT, ip="10.0.0.9")
    assert blocked.status_code == 429 and "频繁" in blocked.content.decode()
    assert 'id="status-result"' not in blocked.content.decode()  # even the right answer is withheld
    assert _status(client, receipt, APPLICANT, ip="10.0.0.10").status_code == 200


@pytest.mark.django_db
def test_status_query_is_rate_limited_per_receipt_number() -> None:
    client = Client()
    receipt = _apply(client)
    for n in range(10):
        _status(client, receipt, make_resident_id(seq=901 + 2 * n), ip=f"10.1.0.{n}")
    assert _status(client, receipt, APPLICANT, ip="10.2.0.1").status_code == 429


@pytest.mark.django_db
def test_status_shows_the_decision_once_made(clerk_a: User) -> None:
    client = Client()
    receipt = _apply(client)
    application = Application.objects.get(receipt_no=receipt)
    from applications.intake import application_reject

    with run_on_commit():
        application_reject(actor=clerk_a, application=application, reason="非本街道户籍")
    html = _status(client, receipt, APPLICANT).content.decode()
    assert "不予受理" in html and "非本街道户籍" in html


@pytest.mark.django_db
def test_online_form_rejects_an_invalid_id() -> None:
    client = Client()
    response = client.post(
        f"/apply/?street={STREET_A}",
        {
            "assistance_types": ["dibao"],
            "community": COMMUNITY_A,
            "address": "x",
            "phone": "13912345678",
            "promise": "on",
            "m-TOTAL_FORMS": "1",
            "m-INITIAL_FORMS": "0",
            "m-0-name": "某人",
            "m-0-id_number": "340104198005171230",
            "m-0-relation": "self",
            "m-0-income_kind": "wage",
        },
    )
    assert response.status_code == 200 and "校验位" in response.content.decode()
    assert not Application.objects.exists()
