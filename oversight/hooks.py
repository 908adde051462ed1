"""Menu entry and work-bench tile of the supervision dashboard (county supervisors, city admins)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _


def nav_items(user: Any) -> list[dict[str, str]]:
    from oversight.figures import can_view_dashboard

    if not can_view_dashboard(user):
        return []
    return [{"label": _("监督看板"), "url": reverse("oversight-dashboard")}]


def home_tiles(user: Any) -> list[dict[str, str]]:
    from oversight.figures import can_view_dashboard

    if not can_view_dashboard(user):
        return []
    return [{"label": _("监督看板(统计与下钻)"), "url": reverse("oversight-dashboard")}]
