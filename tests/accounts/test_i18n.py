from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import User


def test_english_catalogue_translates_the_chrome() -> None:
    with translation.override("en"):
        for source in ("工作人员登录", "家庭档案", "工作台", "政策参数"):
            assert translation.gettext(source) != source
            assert all(ord(ch) < 0x3000 for ch in translation.gettext(source))


@pytest.mark.django_db
def test_switching_to_english_and_back(clerk_a: User) -> None:
    client = Client()
    zh = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-Hans">' in zh and "工作人员登录" in zh
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    en = client.get("/accounts/login/").content.decode()
    with translation.override("en"):
        expected = translation.gettext("工作人员登录")
    assert '<html lang="en">' in en and expected in en
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "工作人员登录" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_chinese_is_the_default_even_for_an_english_browser() -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/accounts/login/").content.decode()
    assert '<html lang="zh-Hans">' in page and "工作人员登录" in page
