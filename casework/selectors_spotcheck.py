"""Reads of the spot-check pages and API (issue 7), scoped by ``accounts.selectors.scope_by_region``.

Batches (the sample, its results) are the county's working papers: supervisors of the county and
city administrators see them. Street staff see only the cases the county sent back to them (整改),
through ``rectifications_visible_to``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Role
from accounts.selectors import scope_by_region
from casework.models.spotcheck import RectificationStatus, SpotCheck, SpotCheckItem

OVERSIGHT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
STREET_RESPONDERS = frozenset({Role.REVIEWER, Role.APPROVER})


def is_overseer(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        bool(getattr(user, "is_superuser", False)) or getattr(user, "role", None) in OVERSIGHT_ROLES
    )


def is_street_responder(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        bool(getattr(user, "is_superuser", False)) or getattr(user, "role", None) in STREET_RESPONDERS
    )


def spot_checks_visible_to(user: Any) -> QuerySet[SpotCheck]:
    qs = SpotCheck.objects.select_related("street", "created_by")
    if not is_overseer(user):
        return qs.none()
    return scope_by_region(qs, user, "street__code")


def spot_check_items(spot_check: SpotCheck) -> QuerySet[SpotCheckItem]:
    return spot_check.items.select_related(
        "case", "case__household", "enrolment", "checked_by", "review_task"
    ).order_by("seq")


def rectifications_visible_to(user: Any) -> QuerySet[SpotCheckItem]:
    """Sampled cases sent back to a street (any rectification status but none), scoped by street."""
    qs = SpotCheckItem.objects.select_related(
        "spot_check", "case", "case__household", "street", "enrolment", "checked_by", "responded_by", "review_task"
    ).exclude(rectification_status=RectificationStatus.NONE)
    return scope_by_region(qs, user, "street__code")


def item_visible_to(user: Any) -> QuerySet[SpotCheckItem]:
    """Items a user may open: every item of a visible batch (overseers), or rectifications (street)."""
    if is_overseer(user):
        return scope_by_region(
            SpotCheckItem.objects.select_related("spot_check", "case", "street", "enrolment"), user, "street__code"
        )
    return rectifications_visible_to(user)


def open_rectifications(user: Any) -> QuerySet[SpotCheckItem]:
    return rectifications_visible_to(user).filter(rectification_status=RectificationStatus.OPEN)
