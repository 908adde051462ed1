"""Spot-check REST API (/api/v1/spot-checks/, /api/v1/spot-check-items/): the whole loop, scoping
(another county is a 404), roles (street staff 403 on create and on results), 400 with field messages,
and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.test import Client

from accounts.models import AuditLog, User
from casework.models.spotcheck import SpotCheck, SpotCheckItem
from tests.casework.test_spotcheck import MONTH_AGO, TODAY, caseload  # noqa: F401 (fixture)
from tests.support import STREET_A, api_client

URL = "/api/v1/spot-checks/"
ITEMS = "/api/v1/spot-check-items/"


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "street": STREET_A,
        "period_start": MONTH_AGO.isoformat(),
        "period_end": TODAY.isoformat(),
        "percentage": "10",
        "seed": "api-seed-1",
    }
    body.update(overrides)
    return body


@pytest.mark.django_db
def test_the_whole_loop_through_the_api(
    caseload: dict[str, Any],  # noqa: F811
    supervisor_shushan: User,
    reviewer_a: User,
) -> None:
    sup = api_client(supervisor_shushan)
    created = sup.post(URL, _body(), format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["population_size"] == 23 and data["sample_size"] == 3
    assert data["seed"] == "api-seed-1"
    assert data["sample_ids"] == sorted(random.Random("api-seed-1").sample(caseload["population"], 3))
    assert [i["case"] for i in data["items"]] == data["sample_ids"]
    again = sup.post(URL, _body(), format="json").json()
    assert again["sample_ids"] == data["sample_ids"]

    listed = sup.get(URL).json()
    assert listed["count"] == 2
    detail = sup.get(f"{URL}{data['id']}/").json()
    assert detail["population_ids"] == caseload["population"]

    first, second, third = (i["id"] for i in data["items"])
    assert sup.post(f"{ITEMS}{first}/result/", {"result": "correct"}, format="json").status_code == 200
    r = sup.post(
        f"{ITEMS}{second}/result/",
        {"result": "missing_documents", "note": "缺少家庭经济状况核对授权书"},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["rectification_status"] == "open"
    assert r.json()["rectify_due"] == (TODAY + dt.timedelta(days=30)).isoformat()
    assert SpotCheck.objects.get(pk=data["id"]).status == "checking"  # the third has no result yet

    # The street sees only what was sent back to it.
    street = api_client(reviewer_a)
    mine = street.get(ITEMS).json()
    assert [i["id"] for i in mine["results"]] == [second]
    assert street.get(f"{ITEMS}{first}/").status_code == 404
    assert street.get(URL).json()["count"] == 0
    assert street.get(f"{URL}{data['id']}/").status_code == 404
    r = street.post(f"{ITEMS}{second}/respond/", {"response": "rectified", "note": "已补签授权书并归档"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["rectification_status"] == "responded"

    r = sup.post(f"{ITEMS}{second}/close/", {"accept": True, "note": "材料已补齐"}, format="json")
    assert r.status_code == 200 and r.json()["rectification_status"] == "closed"
    assert sup.post(f"{ITEMS}{third}/result/", {"result": "correct"}, format="json").status_code == 200
    assert SpotCheck.objects.get(pk=data["id"]).status == "closed"
    assert sup.post(f"{ITEMS}{second}/close/", {"accept": True}, format="json").status_code == 409
    actions = set(AuditLog.objects.filter(region_code=STREET_A).values_list("action", flat=True))
    assert {"spot_check.create", "spot_check.result", "spot_check.respond", "spot_check.close"} <= actions


@pytest.mark.django_db
def test_scoping_and_roles(
    caseload: dict[str, Any],  # noqa: F811
    supervisor_shushan: User,
    supervisor_feixi: User,
    city_admin: User,
    clerk_a: User,
    reviewer_a: User,
    approver_a: User,
) -> None:
    check_id = api_client(supervisor_shushan).post(URL, _body(), format="json").json()["id"]
    item_id = SpotCheckItem.objects.filter(spot_check_id=check_id).values_list("id", flat=True).first()
    feixi = api_client(supervisor_feixi)
    assert feixi.post(URL, _body(), format="json").status_code == 404  # 肥西 cannot check a 蜀山 street
    assert feixi.get(URL).json()["count"] == 0
    assert feixi.get(f"{URL}{check_id}/").status_code == 404
    assert feixi.get(f"{ITEMS}{item_id}/").status_code == 404
    assert feixi.post(f"{ITEMS}{item_id}/result/", {"result": "correct"}, format="json").status_code == 404
    for user in (clerk_a, reviewer_a, approver_a):
        assert api_client(user).post(URL, _body(), format="json").status_code == 403
    assert api_client(city_admin).get(f"{URL}{check_id}/").status_code == 200
    assert api_client(None).get(URL).status_code in {401, 403}
    # A street reviewer cannot record results, even on an item it could see.
    sup = api_client(supervisor_shushan)
    sup.post(f"{ITEMS}{item_id}/result/", {"result": "missing_documents", "note": "缺少调查记录"}, format="json")
    r = api_client(reviewer_a).post(f"{ITEMS}{item_id}/result/", {"result": "correct"}, format="json")
    assert r.status_code == 403
    r = api_client(clerk_a).post(
        f"{ITEMS}{item_id}/respond/", {"response": "rectified", "note": "已补齐"}, format="json"
    )
    assert r.status_code == 403
    assert SpotCheck.objects.count() == 1


@pytest.mark.django_db
def test_bad_input_is_400_with_field_messages(
    caseload: dict[str, Any],  # noqa: F811
    supervisor_shushan: User,
) -> None:
    sup = api_client(supervisor_shushan)
    for overrides, field in [
        ({"percentage": "0"}, "percentage"),
        ({"percentage": "150"}, "percentage"),
        ({"percentage": "abc"}, "percentage"),
        ({"period_end": (TODAY - dt.timedelta(days=40)).isoformat()}, "period_end"),
        ({"period_start": "2026-13-01"}, "period_start"),
        ({"street": ""}, "street"),
        (
            {
                "period_start": (TODAY - dt.timedelta(days=500)).isoformat(),
                "period_end": (TODAY - dt.timedelta(days=400)).isoformat(),
            },
            "period_start",
        ),
    ]:
        r = sup.post(URL, _body(**overrides), format="json")
        assert r.status_code == 400, (overrides, r.content)
        assert field in r.json(), (overrides, r.json())
    assert sup.post(URL, _body(street="340104999"), format="json").status_code == 404
    assert SpotCheck.objects.count() == 0

    item_id = SpotCheckItem.objects.filter(
        spot_check_id=sup.post(URL, _body(), format="json").json()["id"]
    ).values_list("id", flat=True)[0]
    for body, field in [
        ({"result": "wrong_amount", "note": "金额有误"}, "correct_amount"),
        ({"result": "should_not_be_enrolled"}, "note"),
        ({"result": "pending"}, "result"),
        ({"result": "correct", "correct_amount": "100.00"}, "correct_amount"),
        ({"result": "wrong_amount", "note": "金额有误", "correct_amount": "-1"}, "correct_amount"),
    ]:
        r = sup.post(f"{ITEMS}{item_id}/result/", body, format="json")
        assert r.status_code == 400, (body, r.content)
        assert field in r.json(), (body, r.json())
    assert not AuditLog.objects.filter(action="spot_check.result").exists()


@pytest.mark.django_db
def test_openapi_schema_documents_the_spot_check_endpoints(city_admin: User) -> None:
    client = Client()
    client.force_login(city_admin)
    r = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    schema = r.json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/spot-checks/"])
    assert "post" in paths["/api/v1/spot-check-items/{id}/result/"]
    assert "post" in paths["/api/v1/spot-check-items/{id}/respond/"]
    assert "post" in paths["/api/v1/spot-check-items/{id}/close/"]
    create = paths["/api/v1/spot-checks/"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"street", "period_start", "period_end", "percentage"} <= set(
        schema["components"]["schemas"][ref]["required"]
    )
