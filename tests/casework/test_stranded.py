"""Stranded persons (生活无着的流浪乞讨人员): register, short-term help, return home or settle."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.errors import BusinessError
from accounts.models import AuditLog, User
from casework.models.stranded import StrandedPerson, StrandedStatus
from tests.casework.plans_support import client_for
from tests.support import STREET_A, api_client

pytestmark = pytest.mark.django_db


def test_register_help_and_return_home_is_tracked_like_a_case(clerk_a: User, reviewer_a: User) -> None:
    api = api_client(clerk_a)
    today = dt.date.today().isoformat()
    response = api.post(
        "/api/v1/stranded-persons/",
        {
            "found_on": today,
            "found_place": "合肥西站出站口",
            "sex": "M",
            "approx_age": 60,
            "claimed_origin": "河南省周口市",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    pid = response.json()["id"]
    assert response.json()["street"] == STREET_A and response.json()["status"] == "registered"
    helped = api.post(
        f"/api/v1/stranded-persons/{pid}/help/", {"kind": "food", "given_on": today, "amount": "30"}, format="json"
    )
    assert helped.status_code == 201 and helped.json()["status"] == "helping"
    no_place = api.post(f"/api/v1/stranded-persons/{pid}/transition/", {"action": "return_home"}, format="json")
    assert no_place.status_code == 400 and "outcome" in no_place.json()
    settle = api.post(
        f"/api/v1/stranded-persons/{pid}/transition/", {"action": "settle", "outcome": "三里庵街道"}, format="json"
    )
    assert settle.status_code == 403  # 落户安置 is decided by the street's reviewer/approver
    done = api.post(
        f"/api/v1/stranded-persons/{pid}/transition/",
        {"action": "return_home", "outcome": "河南省周口市川汇区，家属接回", "note": "购买返乡车票并联系家属"},
        format="json",
    )
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "returned" and body["closed_on"] == today
    assert [e["to_status"] for e in body["events"]] == ["registered", "helping", "returned"]
    assert set(
        AuditLog.objects.filter(object_id=str(pid), object_type="casework.strandedperson").values_list(
            "action", flat=True
        )
    ) == {
        "stranded.register",
        "stranded.help",
        "stranded.start_help",
        "stranded.return_home",
    }
    late = api.post(f"/api/v1/stranded-persons/{pid}/help/", {"kind": "food", "given_on": today}, format="json")
    assert late.status_code == 409


def test_settlement_by_the_street_lead_through_the_pages(clerk_a: User, reviewer_a: User, clerk_b: User) -> None:
    client = client_for(reviewer_a)
    today = dt.date.today().isoformat()
    assert client.post("/stranded/new/", {"found_on": today, "found_place": "", "sex": "U"}).status_code == 400
    response = client.post("/stranded/new/", {"found_on": today, "found_place": "长江西路桥下", "sex": "F"})
    assert response.status_code == 302
    person = StrandedPerson.objects.get()
    assert client_for(clerk_b).get(f"/stranded/{person.pk}/").status_code == 404
    client.post(f"/stranded/{person.pk}/help/", {"kind": "lodging", "given_on": today, "amount": "0"})
    response = client.post(f"/stranded/{person.pk}/settle/", {"settle-outcome": "", "settle-note": ""})
    assert response.status_code == 400 and "请填写落户安置地点" in response.content.decode()
    response = client.post(f"/stranded/{person.pk}/settle/", {"settle-outcome": "三里庵街道集体户", "settle-note": ""})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.status == StrandedStatus.SETTLED and person.outcome == "三里庵街道集体户"
    page = client.get(f"/stranded/{person.pk}/").content.decode()
    assert "已落户安置" in page and "三里庵街道集体户" in page


def test_a_closed_record_cannot_move_on(reviewer_a: User) -> None:
    from accounts.models import Region
    from casework.services.stranded import stranded_register, stranded_transition

    person = stranded_register(
        actor=reviewer_a, street=Region.objects.get(code=STREET_A), found_on=dt.date.today(), found_place="公园"
    )
    stranded_transition(actor=reviewer_a, person=person, action="leave", note="拒绝救助，自行离开")
    with pytest.raises(BusinessError) as refused:
        stranded_transition(actor=reviewer_a, person=person, action="start_help")
    assert refused.value.status == 409
