"""Volunteers (社工+志愿者): the street register, tasks under a social worker, hours recorded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.errors import BusinessError
from accounts.models import AuditLog, Region, User
from casework.models.volunteers import Volunteer, VolunteerHours
from casework.services import volunteers as svc
from tests.casework.plans_support import client_for, social_worker
from tests.support import STREET_A, STREET_B, api_client

pytestmark = pytest.mark.django_db


def _street(code: str = STREET_A) -> Region:
    return Region.objects.get(code=code)


def test_register_per_street_and_duplicate_phone_is_a_field_error(reviewer_a: User, clerk_b: User) -> None:
    api = api_client(reviewer_a)
    response = api.post(
        "/api/v1/volunteers/", {"name": "刘洋", "phone": "13955112233", "skills": "理发"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "139****2233" and response.json()["street"] == STREET_A
    again = api.post("/api/v1/volunteers/", {"name": "刘洋", "phone": "13955112233"}, format="json")
    assert again.status_code == 400 and again.json() == {"phone": ["该手机号已在本街道登记为志愿者。"]}
    bad = api.post("/api/v1/volunteers/", {"name": "x", "phone": "12345"}, format="json")
    assert bad.status_code == 400 and bad.json()["phone"] == ["请填写11位手机号码。"]
    reviewer_b = User.objects.create_user(username="reviewer_b", role="reviewer", region_id=STREET_B)
    assert api_client(reviewer_b).get("/api/v1/volunteers/").json()["results"] == []
    assert AuditLog.objects.filter(action="volunteer.register", region_code=STREET_A).count() == 1


def test_social_worker_leads_a_task_and_records_hours(reviewer_a: User) -> None:
    worker = social_worker()
    other_worker = social_worker("sw_a2")
    a = svc.volunteer_register(actor=reviewer_a, street=_street(), name="刘洋", phone="13955112233")
    b = svc.volunteer_register(actor=reviewer_a, street=_street(), name="陈静", phone="13955114455")
    api = api_client(worker)
    today = dt.date.today().isoformat()
    refused = api.post(
        "/api/v1/volunteer-tasks/",
        {"title": "陪同就医", "scheduled_on": today, "social_worker": other_worker.pk, "volunteers": [a.pk]},
        format="json",
    )
    assert refused.status_code == 400 and "社工只能派发由本人负责的任务" in refused.json()["social_worker"][0]
    response = api.post(
        "/api/v1/volunteer-tasks/",
        {"title": "为独居老人打扫卫生", "scheduled_on": today, "social_worker": worker.pk, "volunteers": [a.pk, b.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    task_id = response.json()["id"]
    ok = api.post(
        f"/api/v1/volunteer-tasks/{task_id}/hours/",
        {"volunteer": a.pk, "worked_on": today, "hours": "2.5"},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    twice = api.post(
        f"/api/v1/volunteer-tasks/{task_id}/hours/",
        {"volunteer": a.pk, "worked_on": today, "hours": "1"},
        format="json",
    )
    assert twice.status_code == 400 and "worked_on" in twice.json()
    too_long = api.post(
        f"/api/v1/volunteer-tasks/{task_id}/hours/",
        {"volunteer": b.pk, "worked_on": today, "hours": "13"},
        format="json",
    )
    assert too_long.status_code == 400 and "hours" in too_long.json()
    assert (
        api_client(other_worker)
        .post(
            f"/api/v1/volunteer-tasks/{task_id}/hours/",
            {"volunteer": b.pk, "worked_on": today, "hours": "1"},
            format="json",
        )
        .status_code
        == 404
    )  # another social worker does not see the task
    done = api.post(f"/api/v1/volunteer-tasks/{task_id}/close/", {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    with pytest.raises(BusinessError):
        svc.volunteer_hours_record(
            actor=worker, task=task_id, volunteer=b, worked_on=dt.date.today(), hours=Decimal("1")
        )
    assert VolunteerHours.objects.get().hours == Decimal("2.5")
    listed = {v["name"]: v["total_hours"] for v in api_client(reviewer_a).get("/api/v1/volunteers/").json()["results"]}
    assert listed == {"刘洋": "2.5", "陈静": "0.0"}


def test_volunteer_pages_register_assign_and_record_hours(reviewer_a: User) -> None:
    worker = social_worker()
    client = client_for(reviewer_a)
    response = client.post("/volunteers/act/volunteer/", {"name": "刘洋", "phone": "139551122"})
    assert response.status_code == 400 and "请填写11位手机号码" in response.content.decode()
    assert client.post("/volunteers/act/volunteer/", {"name": "刘洋", "phone": "13955112233"}).status_code == 302
    volunteer = Volunteer.objects.get()
    today = dt.date.today().isoformat()
    response = client.post(
        "/volunteers/act/task/",
        {"title": "助餐送餐", "scheduled_on": today, "social_worker": worker.pk, "volunteers": [volunteer.pk]},
    )
    assert response.status_code == 302
    task_url = response["Location"]
    worker_client = client_for(worker)
    response = worker_client.post(task_url + "hours/", {"volunteer": volunteer.pk, "worked_on": today, "hours": "3"})
    assert response.status_code == 302
    page = worker_client.get(task_url).content.decode()
    assert "助餐送餐" in page and "刘洋" in page and "3.0" in page
