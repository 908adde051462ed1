"""Concurrent grant payments that together exceed the balance (threads, separate DB connections).

Each thread opens its own PostgreSQL connection (Django connections are per thread) and closes it at
the end. The fund row lock serialises the payments: the ones that fit are paid, the others are refused
with the Chinese "余额不足" message, and the ledger still sums to the cached balance.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from accounts.errors import BusinessError
from accounts.models import User
from charity.models import AccountKind, EntryKind, Fund, HandOff, HandOffStatus, JournalEntry, JournalLine
from charity.services import grants
from tests.charity.helpers import approved, donate, make_case, refer
from tests.support import COMMUNITY_B, STREET_B

NEEDS = ["medical", "education", "housing", "living"]


def _pay_all(officer: User, handoffs: list[HandOff]) -> list[tuple[int, Any]]:
    barrier = threading.Barrier(len(handoffs))
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def pay(handoff_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            entry = grants.fund_grant_pay(actor=officer, handoff=HandOff.objects.get(pk=handoff_id))
            outcome: Any = entry.pk
        except BusinessError as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append((handoff_id, outcome))

    threads = [threading.Thread(target=pay, args=(h.pk,)) for h in handoffs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == len(handoffs), "a payment thread did not finish"
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_grants_that_exceed_the_balance_never_overdraw_the_fund(
    charity_shushan: User, clerk_a: User, clerk_b: User, county_fund: Fund
) -> None:
    donate(charity_shushan, county_fund, "10000.00")
    cases = [make_case(clerk_a), make_case(clerk_b, street=STREET_B, community=COMMUNITY_B, seq=301)]
    # 8 grants of 3 000 each (24 000) against 10 000: each one alone fits, together they do not.
    handoffs = [
        approved(charity_shushan, refer(clerk, case, county_fund, need=need, asked="3000.00"), "3000.00")
        for clerk, case in zip((clerk_a, clerk_b), cases, strict=True)
        for need in NEEDS
    ]

    results = _pay_all(charity_shushan, handoffs)

    paid = [h for h, outcome in results if isinstance(outcome, int)]
    refused = [outcome for _h, outcome in results if isinstance(outcome, BusinessError)]
    assert len(paid) == 3 and len(refused) == 5
    for exc in refused:
        assert exc.code == "insufficient_funds" and exc.status == 409
        assert "基金余额不足" in exc.message and "支付未执行" in exc.message

    county_fund.refresh_from_db()
    total_paid = JournalLine.objects.filter(entry__kind=EntryKind.GRANT, account__kind=AccountKind.GRANTS).aggregate(
        s=Sum("debit")
    )["s"]
    assert total_paid == Decimal("9000.00") <= Decimal("10000.00")
    cash = JournalLine.objects.filter(account__fund=county_fund, account__kind=AccountKind.CASH).aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    assert cash["d"] - cash["c"] == county_fund.balance == Decimal("1000.00")
    everything = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert everything["d"] == everything["c"]
    assert JournalEntry.objects.filter(kind=EntryKind.GRANT).count() == 3
    assert set(HandOff.objects.filter(pk__in=paid).values_list("status", flat=True)) == {HandOffStatus.PAID}
    assert HandOff.objects.filter(status=HandOffStatus.APPROVED).count() == 5
