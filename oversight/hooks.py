"""Menu entries and work-bench tiles of county/city supervision: dashboard, monthly report, query log."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _


def _report_roles() -> frozenset[str]:
    from oversight.views_reports import REPORT_ROLES

    return REPORT_ROLES


def _log_roles() -> frozenset[str]:
    from oversight.departments import LOG_ROLES

    return LOG_ROLES


def nav_items(user: Any) -> list[dict[str, str]]:
    from oversight.figures import can_view_dashboard

    if not can_view_dashboard(user):
        return []
    return [
        {"label": _("监督看板"), "url": reverse("oversight-dashboard")},
        {"label": _("统计月报"), "url": reverse("oversight-monthly-report")},
    ]


def home_tiles(user: Any) -> list[dict[str, str]]:
    from oversight.figures import can_view_dashboard

    role = getattr(user, "role", None)
    tiles: list[dict[str, str]] = []
    if can_view_dashboard(user):
        tiles.append({"label": _("监督看板(统计与下钻)"), "url": reverse("oversight-dashboard")})
    if getattr(user, "is_superuser", False) or role in _report_roles():
        tiles.append({"label": _("社会救助月报表"), "url": reverse("oversight-monthly-report")})
    if getattr(user, "is_superuser", False) or role in _log_roles():
        tiles.append({"label": _("部门数据共享查询日志"), "url": reverse("oversight-department-queries")})
    return tiles
