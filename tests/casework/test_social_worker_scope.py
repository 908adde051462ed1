"""Social workers log in with their own role and see ONLY the cases assigned to them (pages and API)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.errors import BusinessError
from accounts.models import AuditLog, User
from casework.models.plans import CaseAssignment
from casework.selectors_plans import cases_for_user
from casework.services import plans as plan_services
from casework.services.referrals import referral_create
from casework.services.services_catalogue import delivery_record
from tests.casework.plans_support import client_for, open_case, social_worker
from tests.support import STREET_B, api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cases(clerk_a: User, approver_a: User) -> tuple[User, int, int]:
    """(social worker of street A, her assigned case, another case of her street)."""
    worker = social_worker()
    mine = open_case(clerk_a)
    other = open_case(clerk_a, seq=456)
    plan_services.case_assign_social_worker(actor=approver_a, case=mine, social_worker=worker, note="建档访视")
    return worker, mine.pk, other.pk


def test_selector_holds_only_assigned_cases(two_cases: tuple[User, int, int], reviewer_a: User) -> None:
    worker, mine, other = two_cases
    assert list(cases_for_user(worker).values_list("pk", flat=True)) == [mine]
    assert set(cases_for_user(reviewer_a).values_list("pk", flat=True)) == {mine, other}


def test_unassigned_case_is_404_on_every_page(two_cases: tuple[User, int, int]) -> None:
    worker, mine, other = two_cases
    client = client_for(worker)
    for url in ("/cases/{}/plan/", "/cases/{}/referrals/"):
        assert client.get(url.format(mine)).status_code == 200
        assert client.get(url.format(other)).status_code == 404
    response = client.post(
        f"/cases/{other}/plan/act/delivery/",
        {"dr-kind": "visit", "dr-delivered_on": dt.date.today().isoformat(), "dr-content": "入户"},
    )
    assert response.status_code == 404
    listing = client.get("/my-cases/").content.decode()
    assert f'href="/cases/{mine}/plan/"' in listing and f'href="/cases/{other}/plan/"' not in listing


def test_unassigned_case_is_404_on_every_endpoint(two_cases: tuple[User, int, int], reviewer_a: User) -> None:
    worker, mine, other = two_cases
    api = api_client(worker)
    plan_services.in_kind_add(actor=reviewer_a, case=other, name="米", quantity=1, unit="袋", value=50)
    referral = referral_create(actor=reviewer_a, case=other, target_kind="department", target="区教育局", need="助学")
    assert api.get(f"/api/v1/plans/{other}/").status_code == 404
    assert api.get(f"/api/v1/plans/{mine}/").status_code == 200
    assert api.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert api.post(f"/api/v1/referrals/{referral.pk}/send/", {}, format="json").status_code == 404
    assert api.get(f"/api/v1/referrals/?case={other}").json()["results"] == []
    today = dt.date.today().isoformat()
    denied = api.post(
        "/api/v1/delivery-records/",
        {"case": other, "kind": "visit", "delivered_on": today, "content": "入户"},
        format="json",
    )
    assert denied.status_code == 404
    conf = {"case": other, "held_on": today, "participants": ["a", "b"], "discussion": "x", "measures": ["y"]}
    assert api.post("/api/v1/conferences/", conf, format="json").status_code == 404
    assert api.post("/api/v1/conferences/", {**conf, "case": mine}, format="json").status_code == 201
    recorded = api.post(
        "/api/v1/delivery-records/",
        {"case": mine, "kind": "needs", "delivered_on": today, "content": "需求评估", "needs": "就医陪护、心理支持"},
        format="json",
    )
    assert recorded.status_code == 201, recorded.content
    # The service itself refuses as well (the same selector decides).
    with pytest.raises(BusinessError) as refused:
        delivery_record(actor=worker, case=other, kind="visit", delivered_on=dt.date.today(), content="入户")
    assert refused.value.status == 404


def test_assignment_is_by_a_street_lead_and_unassigning_removes_access(
    two_cases: tuple[User, int, int], reviewer_a: User, clerk_a: User
) -> None:
    worker, mine, other = two_cases
    with pytest.raises(BusinessError) as refused:
        plan_services.case_assign_social_worker(actor=clerk_a, case=other, social_worker=worker)
    assert refused.value.status == 403
    outsider = social_worker("sw_b", STREET_B)
    response = api_client(reviewer_a).post(
        f"/api/v1/plans/{other}/assign/", {"social_worker": outsider.pk}, format="json"
    )
    assert response.status_code == 404  # a social worker of another street is not offered
    assignment = CaseAssignment.objects.get(case_id=mine, social_worker=worker)
    response = client_for(reviewer_a).post(
        f"/cases/{mine}/plan/act/unassign/", {"assignment": assignment.pk, "reason": "社工调岗"}
    )
    assert response.status_code == 302
    assert client_for(worker).get(f"/cases/{mine}/plan/").status_code == 404
    row = AuditLog.objects.get(action="case.unassign_social_worker", object_id=str(mine))
    assert row.before == {"social_worker": "sw_a"} and row.reason == "社工调岗"


def test_social_worker_records_a_visit_through_the_page(two_cases: tuple[User, int, int]) -> None:
    worker, mine, _other = two_cases
    client = client_for(worker)
    page = client.get(f"/cases/{mine}/plan/").content.decode()
    assert 'data-action="delivery"' in page and 'data-action="in_kind"' not in page  # leads build, she records
    bad = client.post(
        f"/cases/{mine}/plan/act/delivery/", {"dr-kind": "needs", "dr-delivered_on": "", "dr-content": ""}
    )
    assert bad.status_code == 400 and "该字段是必填项" in bad.content.decode()
    response = client.post(
        f"/cases/{mine}/plan/act/delivery/",
        {
            "dr-kind": "visit",
            "dr-delivered_on": dt.date.today().isoformat(),
            "dr-content": "首次建档访视，了解家庭情况。",
            "dr-quantity": "0",
        },
    )
    assert response.status_code == 302
    assert "首次建档访视" in client.get(f"/cases/{mine}/plan/").content.decode()


def test_owners_case_page_and_case_api_also_hide_unassigned_cases(two_cases: tuple[User, int, int]) -> None:
    worker, _mine, other = two_cases
    assert client_for(worker).get(f"/cases/{other}/").status_code == 404
    assert api_client(worker).get(f"/api/v1/cases/{other}/").status_code == 404
