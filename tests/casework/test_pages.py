"""The staff pages and the public 掌上办 pages render and drive the same services (Django test client)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from casework.models import Case, CaseStatus
from tests.casework.helpers import accept, investigate, post, run_on_commit
from tests.support import COMMUNITY_A, STREET_A, make_resident_id


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _intake_form(**extra: str) -> dict[str, str]:
    data = {
        "assistance_types": "dibao",
        "channel": "window",
        "help_text": "失业，申请低保",
        "community": COMMUNITY_A,
        "address": "梅山路1号",
        "phone": "13800001111",
        "financial_assets": "1000",
        "homes": "1",
        "business_avg_monthly_net_profit": "0",
        "medical_expense_annual": "0",
        "education_expense_annual": "0",
        "rehabilitation_expense_annual": "0",
        "accept_now": "on",
        "m-TOTAL_FORMS": "1",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "1",
        "m-MAX_NUM_FORMS": "12",
        "m-0-name": "王五",
        "m-0-id_number": make_resident_id(seq=555),
        "m-0-relation": "self",
        "m-0-lives_together": "on",
        "m-0-adl_incapable": "0",
        "m-0-has_able_supporter": "on",
        "m-0-care_mode": "home",
        "m-0-auth_signed": "on",
        "inc-TOTAL_FORMS": "1",
        "inc-INITIAL_FORMS": "0",
        "inc-0-member_no": "1",
        "inc-0-kind": "wage",
        "inc-0-monthly": "800",
        "veh-TOTAL_FORMS": "0",
        "veh-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


@pytest.mark.django_db
def test_intake_page_registers_and_accepts_then_case_page_shows_next_step(clerk_a: User, reviewer_a: User) -> None:
    client = _client(clerk_a)
    assert client.get("/intake/").status_code == 200
    with run_on_commit():
        response = client.post("/intake/", _intake_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.status == CaseStatus.INVESTIGATION
    page = _client(reviewer_a).get(f"/cases/{case.pk}/").content.decode()
    assert "登记入户调查" in page and case.receipt_no in page
    assert _client(clerk_a).get(f"/cases/{case.pk}/print/acceptance/").status_code == 200


@pytest.mark.django_db
def test_queue_pages_render_for_every_role(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User, supervisor_shushan: User
) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    investigate(reviewer_a, reviewer_a2, case_id)
    post(reviewer_a, case_id, "opinion")
    for user in (clerk_a, reviewer_a, approver_a, supervisor_shushan):
        client = _client(user)
        for url in (
            "/cases/",
            "/cases/?tab=overdue",
            "/cases/?tab=all&q=张三",
            f"/cases/{case_id}/",
            "/emergencies/",
            "/reserve-funds/",
            "/notices/board/",
            "/",
        ):
            response = client.get(url)
            assert response.status_code == 200, (user.username, url, response.content.decode()[:2000])


@pytest.mark.django_db
def test_public_apply_and_status_pages() -> None:
    client = Client()
    assert client.get("/apply/").status_code == 200
    assert client.get(f"/apply/?street={STREET_A}").status_code == 200
