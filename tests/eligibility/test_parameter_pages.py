from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from accounts.models import User
from applications.models import Household
from eligibility.models import PolicyParameter


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_supervisor_adds_a_dated_value_from_the_page(supervisor_shushan: User) -> None:
    client = _client(supervisor_shushan)
    assert client.get("/parameters/").status_code == 200
    response = client.post(
        "/parameters/new/",
        {
            "name": "dibao_standard",
            "region": "340104",
            "effective_from": "2027-07-01",
            "value": "960",
            "source": "合肥市民政局 2027 年低保标准调整通知",
            "note": "",
        },
    )
    assert response.status_code == 302
    row = PolicyParameter.objects.get(name="dibao_standard", region_id="340104", effective_from=dt.date(2027, 7, 1))
    assert row.value_text == "960" and row.changed_by == supervisor_shushan
    history = client.get("/parameters/?name=dibao_standard").content.decode()
    assert "合肥市民政局 2027 年低保标准调整通知" in history and "未生效" in history


@pytest.mark.django_db
def test_form_errors_are_in_chinese_and_nothing_is_saved(supervisor_shushan: User) -> None:
    client = _client(supervisor_shushan)
    count = PolicyParameter.objects.count()
    page = client.post(
        "/parameters/new/",
        {"name": "tekun_care_annual", "region": "340104", "effective_from": "2027-07-01", "source": "x"},
    ).content.decode()
    assert "请填写护理标准" in page
    page = client.post(
        "/parameters/new/",
        {"name": "dibao_standard", "region": "340123", "effective_from": "2027-07-01", "value": "1", "source": "x"},
    )
    assert "选择一个有效的选项" in page.content.decode()  # another county is not offered to him
    assert PolicyParameter.objects.count() == count


@pytest.mark.django_db
def test_street_staff_cannot_open_the_form(clerk_a: User) -> None:
    assert _client(clerk_a).get("/parameters/new/").status_code == 403


@pytest.mark.django_db
def test_household_page_shows_the_engine_preview(household_a: Household, clerk_a: User) -> None:
    page = _client(clerk_a).get(f"/households/{household_a.pk}/").content.decode()
    assert "资格试算" in page and "最低生活保障" in page
