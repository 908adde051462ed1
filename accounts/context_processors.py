from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language

from accounts.hooks import collect


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    url: str


# The menu of every page, per process: the ``nav_items`` hooks depend only on the user's role, region
# and flags (accounts/hooks.py) and the language, and building it cost ≈ 16 ``reverse()`` calls and a
# dozen translations on every request. Bounded by roles × regions × languages.
_MENUS: dict[tuple[Any, ...], tuple[NavItem, ...]] = {}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    key = (get_language(), user.role, user.region_id, user.is_superuser, user.is_staff, user.is_active)
    menu = _MENUS.get(key)
    if menu is None:
        menu = _MENUS[key] = tuple(NavItem(**item) for item in collect("nav_items", user))
    return {"nav_extra": menu}
