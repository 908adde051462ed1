"""The one place that decides what a user may see.

Every page and API endpoint scopes its querysets through ``scope_by_region``:
street staff see their street, county supervisors their county, city staff
everything. A record outside the scope is simply not in the queryset, so
``get_object_or_404`` answers 404 and never leaks that it exists.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet

from accounts.models import Region, Role, User

M = TypeVar("M", bound=Model)


STREET_CODE_LENGTH = 9  # 340104001: city 4, district 6, street 9, community 12 digits


def scope_prefix(user: User | AnonymousUser) -> str | None:
    """Region-code prefix the user may see; ``None`` means nothing at all."""
    if not user.is_authenticated or not user.is_active:
        return None
    assert isinstance(user, User)
    if user.is_superuser or user.role == Role.ADMIN:
        return user.region_id or ""
    if user.region_id is None:
        return None
    return user.region_id


def scope_by_region(qs: QuerySet[M], user: User | AnonymousUser, field: str) -> QuerySet[M]:
    """Filter ``qs`` to rows whose ``field`` (a region code path) lies inside the user's region."""
    prefix = scope_prefix(user)
    if prefix is None:
        return qs.none()
    if prefix == "":
        return qs
    return qs.filter(**{f"{field}__startswith": prefix})


def region_visible_to(user: User | AnonymousUser, code: str) -> bool:
    prefix = scope_prefix(user)
    return prefix is not None and code.startswith(prefix)


def regions_visible_to(user: User | AnonymousUser) -> QuerySet[Region]:
    prefix = scope_prefix(user)
    if prefix is None:
        return Region.objects.none()
    if prefix == "":
        return Region.objects.all()
    # Ancestors are visible too (a street clerk sees that her street is in 蜀山区).
    ancestors = [prefix[:n] for n in (4, 6, 9) if len(prefix) > n]
    return Region.objects.filter(Q(code__startswith=prefix) | Q(code__in=ancestors))


def scope_by_street(qs: QuerySet[M], user: User | AnonymousUser, field: str = "street") -> QuerySet[M]:
    """``scope_by_region(qs, user, f"{field}__code")`` with the same rows, but ``street_id = '…'`` for
    a street-level user instead of ``street_id::text LIKE '…%'``: the planner estimates an equality
    on the street FK properly and can use the (street_id, …) indexes. The street column only holds
    street codes (9 digits), so for a 9-digit prefix both conditions select the same rows."""
    prefix = scope_prefix(user)
    if prefix is not None and len(prefix) == STREET_CODE_LENGTH:
        return qs.filter(**{f"{field}_id": prefix})
    return scope_by_region(qs, user, f"{field}__code")


def streets_visible_to(user: User | AnonymousUser) -> QuerySet[Region]:
    return scope_by_region(Region.objects.filter(level=Region.Level.STREET), user, "code")
