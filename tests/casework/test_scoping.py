"""Another street's case is a 404 everywhere (API, pages, print, files); the county sees its streets."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.casework.helpers import accept, post
from tests.support import api_client


@pytest.mark.django_db
def test_clerk_of_another_street_gets_404(clerk_a: User, clerk_b: User) -> None:
    body = accept(clerk_a)
    case_id, app_id = body["case"]["id"], body["application"]["id"]
    client_b = api_client(clerk_b)
    assert client_b.get(f"/api/v1/cases/{case_id}/").status_code == 404
    assert client_b.get(f"/api/v1/applications/{app_id}/").status_code == 404
    assert post(clerk_b, case_id, "withdraw", {"reason": "越权撤回"}).status_code == 404
    assert client_b.post(f"/api/v1/applications/{app_id}/reject/", {"reason": "x"}, format="json").status_code == 404
    assert client_b.get("/api/v1/cases/").json()["count"] == 0
    browser = Client()
    browser.force_login(clerk_b)
    for url in (
        f"/cases/{case_id}/",
        f"/cases/{case_id}/print/acceptance/",
        f"/cases/{case_id}/print/decision/",
        f"/intake/applications/{app_id}/",
    ):
        assert browser.get(url).status_code == 404, url
    assert browser.post(f"/cases/{case_id}/act/withdraw/", {"reason": "越权"}).status_code == 404


@pytest.mark.django_db
def test_county_supervisor_sees_her_county_only(
    clerk_a: User, supervisor_shushan: User, supervisor_feixi: User
) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    assert api_client(supervisor_shushan).get(f"/api/v1/cases/{case_id}/").status_code == 200
    assert api_client(supervisor_feixi).get(f"/api/v1/cases/{case_id}/").status_code == 404


@pytest.mark.django_db
def test_search_by_receipt_masked_id_full_id_and_name(clerk_a: User, reviewer_a: User) -> None:
    from tests.support import make_resident_id

    receipt = accept(clerk_a)["case"]["receipt_no"]
    full = make_resident_id(seq=123)
    client = api_client(reviewer_a)
    for term in (receipt, receipt[-6:], full[:6] + "********" + full[-4:], full, "张三", "李梅"):
        results = client.get("/api/v1/cases/", {"q": term}).json()["results"]
        assert [r["receipt_no"] for r in results] == [receipt], term
    assert client.get("/api/v1/cases/", {"q": "王二麻子"}).json()["count"] == 0


@pytest.mark.django_db
def test_anonymous_gets_nothing(clerk_a: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    assert api_client(None).get(f"/api/v1/cases/{case_id}/").status_code in {401, 403}
    response = Client().get(f"/cases/{case_id}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
