from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.hooks import collect


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_extra": collect("nav_items", user)}
