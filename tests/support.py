"""Helpers shared by tests (importable: ``from tests.support import ...``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient
from stdnum.cn import ric

from accounts.models import User

STREET_A = "340104001"  # 蜀山区 三里庵街道
STREET_B = "340104002"  # 蜀山区 稻香村街道
STREET_F = "340123100"  # 肥西县 上派镇
COMMUNITY_A = "340104001001"
COMMUNITY_B = "340104002001"


def make_resident_id(county: str = "340104", birth: dt.date = dt.date(1980, 5, 17), seq: int = 123) -> str:
    body = f"{county}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def page_client(user: User, language: str = "zh-hans") -> Client:
    """A browser session of ``user`` with the page language chosen (the language switch's cookie)."""
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def page_html(user: User, url: str, language: str = "zh-hans") -> str:
    """The HTML of a page ``user`` opens (HTTP 200 asserted)."""
    response = page_client(user, language).get(url)
    assert response.status_code == 200, (url, response.status_code)
    return str(response.content.decode())


def api_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def household_payload(street: str = STREET_A, community: str = COMMUNITY_A, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "street": street,
        "community": community,
        "address": "长江西路100号3栋502室",
        "phone": "13812345678",
        "bank_name": "徽商银行",
        "bank_account": "6228480012345678901",
        "financial_assets": "5000.00",
        "homes": 1,
        "members": [
            {
                "name": "张三",
                "id_number": make_resident_id(seq=123),
                "relation": "self",
                "incomes": [{"kind": "wage", "monthly": "1200.00"}],
            },
            {"name": "李梅", "id_number": make_resident_id(birth=dt.date(1982, 3, 9), seq=246), "relation": "spouse"},
        ],
    }
    data.update(overrides)
    return data
