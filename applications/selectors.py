from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet

from accounts.crypto import blind_index
from accounts.models import User
from accounts.selectors import scope_by_region
from applications.models import Household, Member


def households_visible_to(user: User | AnonymousUser) -> QuerySet[Household]:
    qs = Household.objects.select_related("street", "community").prefetch_related(
        Prefetch("members", queryset=Member.objects.filter(active=True).prefetch_related("incomes")),
        "vehicles",
    )
    return scope_by_region(qs, user, "street__code")


def household_search(qs: QuerySet[Household], term: str) -> QuerySet[Household]:
    """Search by name, masked ID (``340104********1234``), a full ID (via the blind index) or household number."""
    term = term.strip()
    if not term:
        return qs
    condition = Q(members__name__contains=term, members__active=True)
    if len(term) == 18:
        if "*" in term:
            condition |= Q(members__id_masked=term.upper())
        else:
            condition |= Q(members__id_index=blind_index(term))
    if term.isdigit() and len(term) < 12:
        condition |= Q(pk=int(term))
    return qs.filter(condition).distinct()


def member_by_resident_id(number: str) -> Member | None:
    return Member.objects.filter(id_index=blind_index(number), active=True).select_related("household").first()
