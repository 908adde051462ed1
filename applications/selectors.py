from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet

from accounts.crypto import blind_index
from accounts.hooks import collect
from accounts.models import User
from accounts.selectors import scope_by_region
from applications.models import Household, Member


def households_visible_to(user: User | AnonymousUser) -> QuerySet[Household]:
    qs = Household.objects.select_related("street", "community").prefetch_related(
        Prefetch("members", queryset=Member.objects.filter(active=True).prefetch_related("incomes")),
        "vehicles",
    )
    qs = scope_by_region(qs, user, "street__code")
    # Downstream apps narrow it further for some roles (casework: a social worker's assigned families).
    for condition in collect("household_scope", user):
        qs = qs.filter(condition)
    return qs


def household_search(qs: QuerySet[Household], term: str) -> QuerySet[Household]:
    """Search by household number, masked ID (``340104********1234``), a full ID (via the blind
    index) or (part of) a member's name.

    One path per kind of term, each on an index, and no join + DISTINCT over the street: a number
    (< 12 digits) is the household's pk; an 18-character ID matches ``Member.id_masked`` /
    ``Member.id_index``; anything else is a name (``member_name_trgm``, pg_trgm GIN). Households
    are then ``pk IN (members' household_id)``, still inside ``qs`` (the user's area).
    """
    term = term.strip()
    if not term:
        return qs
    if term.isdigit() and len(term) < 12:
        return qs.filter(pk=int(term))
    if len(term) == 18:
        if "*" in term:
            members = Member.objects.filter(id_masked=term.upper())
        else:
            members = Member.objects.filter(id_index=blind_index(term))
    else:
        members = Member.objects.filter(name__contains=term, active=True)
    return qs.filter(pk__in=members.values("household_id"))


def member_by_resident_id(number: str) -> Member | None:
    return Member.objects.filter(id_index=blind_index(number), active=True).select_related("household").first()
