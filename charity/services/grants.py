"""Approving a grant for a hand-off and paying it from the fund's ledger.

Paying (``fund_grant_pay``) is where concurrency matters: it locks the hand-off, then the fund
(``select_for_update``), re-reads the balances under the lock and only then decides. Two officers
paying two grants that together exceed the balance are therefore serialised: the second one sees the
first one's payment and is refused with a Chinese message; the database's CheckConstraints
(balance ≥ 0) are the last line of defence.

Restricted money: a grant draws first on cash restricted to its need type (a donor's purpose), then on
unrestricted cash; money restricted to another purpose is never touched.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from charity.models import ZERO, AccountKind, EntryKind, HandOff, HandOffStatus, JournalEntry, NeedType
from charity.selectors import available_for, current_payment
from charity.services.common import InsufficientFunds, money, require_fund_officer, yuan
from charity.services.handoffs import apply_transition, check_step, lock_handoff
from charity.services.ledger import Line, lock_funds, post_entry


def _available_message(fund_name: str, need_type: str, restricted: Decimal, unrestricted: Decimal) -> str:
    return _("“%(f)s”可用于%(n)s的余额为 %(t)s(限定用途 %(r)s，非限定 %(u)s)") % {
        "f": fund_name,
        "n": NeedType(need_type).label,
        "t": yuan(restricted + unrestricted),
        "r": yuan(restricted),
        "u": yuan(unrestricted),
    }


@transaction.atomic
def handoff_approve(*, actor: User, handoff: HandOff, amount: Decimal | str, note: str = "") -> HandOff:
    """批准资助: an amount not above what was asked and not above what the fund can pay now.

    Approval does not earmark money: the payment re-checks under the fund's lock."""
    locked = lock_handoff(handoff)
    if locked.status == HandOffStatus.APPROVED:
        return locked
    check_step(handoff=locked, to=HandOffStatus.APPROVED, actor=actor)
    require_fund_officer(actor, locked.fund)
    value = money(amount, field="amount")
    if value > locked.amount_asked:
        raise ValidationError(
            {
                "amount": _("批准金额 %(a)s 不能超过申请金额 %(b)s。")
                % {"a": yuan(value), "b": yuan(locked.amount_asked)}
            }
        )
    restricted, unrestricted = available_for(locked.fund, locked.need_type)
    if value > restricted + unrestricted:
        raise ValidationError(
            {
                "amount": _("批准金额 %(a)s 超过基金余额：%(avail)s。")
                % {
                    "a": yuan(value),
                    "avail": _available_message(locked.fund.name, locked.need_type, restricted, unrestricted),
                }
            }
        )
    apply_transition(
        handoff=locked,
        to=HandOffStatus.APPROVED,
        actor=actor,
        reason=note,
        amount=value,
        changes={"grant_amount": value, "approved_at": timezone.now(), "handled_by": locked.handled_by or actor},
    )
    return locked


@transaction.atomic
def fund_grant_pay(*, actor: User, handoff: HandOff, on: dt.date | None = None, note: str = "") -> JournalEntry:
    """支付: post the grant to the ledger and mark the hand-off paid (idempotent: paying a paid
    hand-off returns its payment)."""
    locked = lock_handoff(handoff)
    if locked.status == HandOffStatus.PAID:
        payment = current_payment(locked)
        assert payment is not None
        return payment
    check_step(handoff=locked, to=HandOffStatus.PAID, actor=actor)
    require_fund_officer(actor, locked.fund)
    booked_on = on or timezone.localdate()
    if booked_on > timezone.localdate():
        raise ValidationError({"on": _("支付日期不能晚于今天。")})
    fund = lock_funds([locked.fund])[locked.fund.pk]
    amount = locked.grant_amount
    assert amount is not None  # the database guarantees it for approved hand-offs
    restricted, unrestricted = available_for(fund, locked.need_type)
    if amount > restricted + unrestricted:
        raise InsufficientFunds(
            _("基金余额不足：本次应付 %(a)s，%(avail)s，支付未执行。")
            % {"a": yuan(amount), "avail": _available_message(fund.name, locked.need_type, restricted, unrestricted)},
            fund=fund.pk,
        )
    from_restricted = min(restricted, amount)
    from_unrestricted = amount - from_restricted
    lines = [Line(fund=fund, kind=AccountKind.GRANTS, purpose=locked.need_type, debit=amount)]
    if from_restricted > ZERO:
        lines.append(Line(fund=fund, kind=AccountKind.CASH, purpose=locked.need_type, credit=from_restricted))
    if from_unrestricted > ZERO:
        lines.append(Line(fund=fund, kind=AccountKind.CASH, purpose="", credit=from_unrestricted))
    entry = post_entry(
        actor=actor,
        kind=EntryKind.GRANT,
        lines=lines,
        booked_on=booked_on,
        memo=_("%(h)s %(case)s %(need)s资助")
        % {"h": locked.number, "case": locked.case.receipt_no, "need": NeedType(locked.need_type).label},
        handoff=locked,
        audit_extra={"handoff": locked.number},
    )
    apply_transition(
        handoff=locked,
        to=HandOffStatus.PAID,
        actor=actor,
        reason=note,
        amount=amount,
        changes={"paid_at": timezone.now()},
    )
    return entry
