"""The page menu (accounts.context_processors.navigation): kept per role, region, flags and language."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts import context_processors
from accounts.models import User
from tests.perf.support import signed_in_client

pytestmark = pytest.mark.django_db


def _menu(client: Any) -> list[tuple[str, str]]:
    return [(item.label, item.url) for item in client.get("/households/").context["nav_extra"]]


def test_menu_is_built_once_per_role_region_and_language(
    clerk_a: User, reviewer_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    context_processors._MENUS.clear()
    built: list[str] = []
    plain = context_processors.collect

    def counting(name: str, user: Any) -> list[Any]:
        built.append(user.username)
        return plain(name, user)

    monkeypatch.setattr(context_processors, "collect", counting)
    clerk = signed_in_client(clerk_a)
    context_processors._MENUS.clear()  # signing in showed a page
    built.clear()
    clerk_menu = _menu(clerk)
    assert ("一门受理", reverse("intake")) in clerk_menu and ("家庭档案", reverse("household-list")) in clerk_menu
    assert _menu(clerk) == clerk_menu and built == ["clerk_a"]  # second page: from the per-process copy
    reviewer = signed_in_client(reviewer_a)
    reviewer_menu = _menu(reviewer)
    assert ("一门受理", reverse("intake")) not in reviewer_menu and ("待办案件", reverse("case-queue")) in reviewer_menu
    assert built == ["clerk_a", "reviewer_a"]
    # another language is another menu; the Chinese one is not overwritten
    clerk.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = _menu(clerk)
    assert english != clerk_menu and len(english) == len(clerk_menu)
    assert built == ["clerk_a", "reviewer_a", "clerk_a"]
    # a role change is a different key: the new role's menu at once
    clerk_a.role = "reviewer"
    clerk_a.save(update_fields=["role"])
    clerk.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert _menu(clerk) == reviewer_menu
