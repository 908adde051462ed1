"""Posting to the double-entry ledger, and reversing entries.

``post_entry`` is the only code that writes entries, lines and cached balances. It runs inside the
caller's transaction, locks the funds it touches (``SELECT … FOR UPDATE`` in primary-key order, so two
transfers in opposite directions cannot deadlock), reads the balances *after* the lock, refuses any
account going below zero, and writes the entry, its lines, the new balances and one audit row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError, Conflict
from accounts.models import User
from charity.models import (
    DEBIT_NORMAL,
    ZERO,
    Account,
    AccountKind,
    EntryKind,
    Fund,
    HandOff,
    HandOffStatus,
    JournalEntry,
    JournalLine,
    purpose_label,
)
from charity.services.common import InsufficientFunds, require_fund_officer, require_reason, yuan


@dataclass(frozen=True)
class Line:
    fund: Fund
    kind: str
    purpose: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def lock_funds(funds: Iterable[Fund | int]) -> dict[int, Fund]:
    """Lock the funds' rows (primary-key order) inside the caller's transaction; fresh balances."""
    ids = sorted({f if isinstance(f, int) else f.pk for f in funds})
    qs = Fund.objects.select_for_update(of=("self",)).select_related("region").filter(pk__in=ids).order_by("pk")
    return {fund.pk: fund for fund in qs}


def common_region(codes: Iterable[str]) -> str:
    """The smallest region (by code length 12/9/6/4) holding every code."""
    items = list(codes)
    prefix = items[0] if items else ""
    for code in items[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    for length in (12, 9, 6, 4):
        if len(prefix) >= length:
            return prefix[:length]
    return prefix


def _check_lines(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise BusinessError(_("记账凭证至少需要两条分录。"), code="unbalanced_entry")
    for line in lines:
        if (line.debit > 0) == (line.credit > 0) or line.debit < 0 or line.credit < 0:
            raise BusinessError(_("每条分录须且只能在借方或贷方记一个正数金额。"), code="unbalanced_entry")
    debit = sum((line.debit for line in lines), ZERO)
    credit = sum((line.credit for line in lines), ZERO)
    if debit != credit:
        raise BusinessError(
            _("借贷不平衡：借方合计 %(d)s，贷方合计 %(c)s。") % {"d": yuan(debit), "c": yuan(credit)},
            code="unbalanced_entry",
        )


def post_entry(
    *,
    actor: User,
    kind: str,
    lines: Sequence[Line],
    booked_on: dt.date,
    memo: str,
    handoff: HandOff | None = None,
    reverses: JournalEntry | None = None,
    reason: str = "",
    audit_extra: dict[str, Any] | None = None,
) -> JournalEntry:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("post_entry must run inside the business write's transaction")
    _check_lines(lines)
    funds = lock_funds(line.fund for line in lines)
    keys = {(line.fund.pk, line.kind, line.purpose) for line in lines}
    accounts: dict[tuple[int, str, str], Account] = {
        (a.fund_id, a.kind, a.purpose): a for a in Account.objects.select_for_update().filter(fund_id__in=list(funds))
    }
    for key in keys - accounts.keys():
        # Created lazily; safe because the fund's row lock serialises every writer of its accounts.
        accounts[key] = Account.objects.create(fund_id=key[0], kind=key[1], purpose=key[2])

    delta: dict[tuple[int, str, str], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        key = (line.fund.pk, line.kind, line.purpose)
        sign = 1 if line.kind in DEBIT_NORMAL else -1
        delta[key] += sign * (line.debit - line.credit)
    cash_delta: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for key, change in delta.items():
        account = accounts[key]
        new_balance = account.balance + change
        if new_balance < 0:
            fund = funds[key[0]]
            raise InsufficientFunds(
                _("“%(fund)s”的%(account)s余额不足：现有 %(have)s，本次需 %(need)s，操作未执行。")
                % {
                    "fund": fund.name,
                    "account": account.label,
                    "have": yuan(account.balance),
                    "need": yuan(-change),
                },
                fund=fund.pk,
            )
        account.balance = new_balance
        if key[1] == AccountKind.CASH:
            cash_delta[key[0]] += change

    entry = JournalEntry.objects.create(
        kind=kind,
        booked_on=booked_on,
        memo=memo[:200],
        region_code=common_region(f.region_id for f in funds.values()),
        handoff=handoff,
        reverses=reverses,
        reason=reason,
        created_by=actor,
    )
    JournalLine.objects.bulk_create(
        JournalLine(
            entry=entry, account=accounts[(line.fund.pk, line.kind, line.purpose)], debit=line.debit, credit=line.credit
        )
        for line in lines
    )
    for key in delta:
        accounts[key].save(update_fields=["balance"])
    for fund_id, change in cash_delta.items():
        fund = funds[fund_id]
        fund.balance += change
        fund.save(update_fields=["balance"])

    audit_record(
        actor=actor,
        action=f"charity.{kind}",
        obj=entry,
        region_code=entry.region_code,
        after={
            "number": entry.number,
            "booked_on": booked_on,
            "memo": entry.memo,
            "lines": [
                {
                    "fund": line.fund.name,
                    "account": f"{AccountKind(line.kind).label}({purpose_label(line.purpose)})",
                    "debit": line.debit,
                    "credit": line.credit,
                }
                for line in lines
            ],
            "balances": {funds[fid].name: funds[fid].balance for fid in cash_delta},
            **(audit_extra or {}),
        },
        reason=reason,
    )
    return entry


@transaction.atomic
def entry_reverse(*, actor: User, entry: JournalEntry, reason: str) -> JournalEntry:
    """Correct an entry by posting its mirror image (debits ↔ credits) that references it.

    Reversing a grant payment sends its hand-off back to "approved" (to be paid again or cancelled).
    A reversal that would overdraw an account (a donation already spent) is refused like any payment.
    """
    from charity.services.handoffs import apply_transition, lock_handoff

    reason = require_reason(reason)
    original = JournalEntry.objects.select_related("handoff").get(pk=entry.pk)
    lines = list(original.lines.select_related("account__fund__region"))
    for fund in {line.account.fund for line in lines}:
        require_fund_officer(actor, fund)
    if original.kind == EntryKind.REVERSAL:
        raise BusinessError(_("冲销凭证不能再冲销；如需更正，请重新登记正确的业务。"), code="reverse_reversal")
    handoff = lock_handoff(original.handoff) if original.handoff_id else None
    lock_funds(line.account.fund for line in lines)
    # Checked after the locks: two officers reversing the same voucher at once get one reversal.
    existing = JournalEntry.objects.filter(reverses=original).first()
    if existing is not None:
        raise Conflict(
            _("凭证 %(n)s 已由 %(r)s 冲销，不能重复冲销。") % {"n": original.number, "r": existing.number},
            code="already_reversed",
        )
    if handoff is not None and handoff.status != HandOffStatus.PAID:
        raise Conflict(
            _("%(h)s 当前状态为“%(s)s”，不能冲销其支付凭证。")
            % {"h": handoff.number, "s": handoff.get_status_display()},
            code="forbidden_transition",
        )
    mirror = [
        Line(
            fund=line.account.fund,
            kind=line.account.kind,
            purpose=line.account.purpose,
            debit=line.credit,
            credit=line.debit,
        )
        for line in lines
    ]
    reversal = post_entry(
        actor=actor,
        kind=EntryKind.REVERSAL,
        lines=mirror,
        booked_on=timezone.localdate(),
        memo=_("冲销 %(n)s：%(m)s") % {"n": original.number, "m": original.memo},
        handoff=handoff,
        reverses=original,
        reason=reason,
        audit_extra={"reverses": original.number},
    )
    if handoff is not None:
        apply_transition(
            handoff=handoff,
            to=HandOffStatus.APPROVED,
            actor=actor,
            reason=reason,
            amount=handoff.grant_amount,
            changes={"paid_at": None},
        )
    return reversal
