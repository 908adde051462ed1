"""Reads for the charity pages and endpoints, always scoped through ``accounts.selectors``.

- Funds and ledger entries are scoped by the fund's region: the charity officer and the supervisor
  of a county see its funds; a street's staff see only the mutual-aid funds inside their street.
- Hand-offs are scoped by the case's street: street staff see their street's hand-offs, the charity
  officer and the county supervisor the county's. Another county's record is simply absent (404).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet, Sum

from accounts.models import User
from accounts.selectors import scope_by_region, scope_prefix
from charity.models import (
    ZERO,
    Account,
    AccountKind,
    EntryKind,
    Fund,
    HandOff,
    HandOffEvent,
    HandOffStatus,
    JournalEntry,
    JournalLine,
    statuses_waiting_for,
)

Viewer = User | AnonymousUser


def funds_visible_to(user: Viewer) -> QuerySet[Fund]:
    return scope_by_region(Fund.objects.select_related("region"), user, "region__code")


def fund_detail_queryset(user: Viewer) -> QuerySet[Fund]:
    return funds_visible_to(user).prefetch_related(
        Prefetch("accounts", queryset=Account.objects.filter(kind=AccountKind.CASH).order_by("purpose"))
    )


def fund_regions_for_case(user: Viewer, case: Any) -> list[str]:
    """The regions whose funds may help the case's family and that the user may see: the family's
    county, street and community, each inside the user's region or one of its ancestors (the test of
    ``region__in=regions_visible_to(user)``, decided in Python on these few codes instead of a
    subquery in every page's SQL)."""
    home = case.household.community_id or case.street_id
    prefixes = [home[:n] for n in (6, 9, 12) if len(home) >= n]
    prefix = scope_prefix(user)
    if prefix is None:
        return []
    ancestors = {prefix[:n] for n in (4, 6, 9) if len(prefix) > n}
    return [code for code in prefixes if code.startswith(prefix) or code in ancestors]


def funds_for_case(user: Viewer, case: Any) -> QuerySet[Fund]:
    """Active funds that help the case's family: the county fund, and mutual-aid funds of the family's
    street or community. Regions visible to the user include their ancestors (the county)."""
    return (
        Fund.objects.select_related("region")
        .filter(active=True, region_id__in=fund_regions_for_case(user, case))
        .order_by("kind", "region_id", "name")
    )


def cash_accounts(fund: Fund) -> list[Account]:
    return list(Account.objects.filter(fund=fund, kind=AccountKind.CASH).order_by("purpose"))


def available_for(fund: Fund, purpose: str) -> tuple[Decimal, Decimal]:
    """(cash restricted to ``purpose``, unrestricted cash) of ``fund`` as stored now."""
    balances = {
        a.purpose: a.balance
        for a in Account.objects.filter(fund=fund, kind=AccountKind.CASH, purpose__in={purpose, ""})
    }
    restricted = balances.get(purpose, ZERO) if purpose else ZERO
    return restricted, balances.get("", ZERO)


def entries_visible_to(user: Viewer) -> QuerySet[JournalEntry]:
    qs = JournalEntry.objects.select_related("created_by", "reverses", "handoff", "reversal").prefetch_related(
        Prefetch("lines", queryset=JournalLine.objects.select_related("account__fund").order_by("id"))
    )
    return scope_by_region(qs, user, "region_code")


def fund_entries(user: Viewer, fund: Fund) -> QuerySet[JournalEntry]:
    return entries_visible_to(user).filter(lines__account__fund=fund).distinct().order_by("-booked_on", "-id")


def ledger_check(fund: Fund) -> dict[str, Decimal]:
    """Balances recomputed from the lines (the truth) beside the cached ones, for the fund page and tests."""
    sums = JournalLine.objects.filter(account__fund=fund, account__kind=AccountKind.CASH).aggregate(
        debit=Sum("debit", default=ZERO), credit=Sum("credit", default=ZERO)
    )
    return {"from_lines": sums["debit"] - sums["credit"], "cached": fund.balance}


def handoffs_visible_to(user: Viewer) -> QuerySet[HandOff]:
    qs = HandOff.objects.select_related("case", "case__household", "street", "fund", "referred_by", "handled_by")
    return scope_by_region(qs, user, "street__code")


def handoff_detail_queryset(user: Viewer) -> QuerySet[HandOff]:
    return handoffs_visible_to(user).prefetch_related(
        Prefetch("events", queryset=HandOffEvent.objects.select_related("actor").order_by("at", "id")),
        Prefetch("entries", queryset=JournalEntry.objects.select_related("reversal").order_by("id")),
    )


def handoffs_for_case(user: Viewer, case: Any) -> QuerySet[HandOff]:
    return handoff_detail_queryset(user).filter(case=case).order_by("-referred_at", "-id")


def handoff_queue(user: User) -> QuerySet[HandOff]:
    """Hand-offs waiting for the user's role (the charity officer: to accept, approve, pay, close)."""
    return handoffs_visible_to(user).filter(status__in=statuses_waiting_for(user.role)).order_by("referred_at")


def handoff_search(qs: QuerySet[HandOff], *, status: str = "", q: str = "") -> QuerySet[HandOff]:
    if status in HandOffStatus.values:
        qs = qs.filter(status=status)
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(case__receipt_no__icontains=q)
            | Q(case__application__applicant_name__contains=q)
            | Q(description__contains=q)
        )
    return qs


def current_payment(handoff: HandOff) -> JournalEntry | None:
    """The hand-off's grant entry that has not been reversed (None if unpaid)."""
    return (
        JournalEntry.objects.filter(handoff=handoff, kind=EntryKind.GRANT, reversal__isnull=True)
        .order_by("-id")
        .first()
    )
