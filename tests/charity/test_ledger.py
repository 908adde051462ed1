"""The double-entry ledger: balanced entries, cached balances, restricted money, append-only, reversals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.errors import BusinessError
from accounts.models import AuditLog, Region, User
from charity.models import (
    Account,
    AccountKind,
    EntryKind,
    Fund,
    FundKind,
    HandOffStatus,
    JournalEntry,
    JournalLine,
)
from charity.selectors import ledger_check
from charity.services import funds as fund_services
from charity.services import grants
from charity.services.common import InsufficientFunds
from charity.services.ledger import entry_reverse
from tests.charity.helpers import approved, donate, refer

pytestmark = pytest.mark.django_db


def balances(fund: Fund) -> dict[tuple[str, str], Decimal]:
    return {(a.kind, a.purpose): a.balance for a in Account.objects.filter(fund=fund)}


def test_donation_posts_a_balanced_entry_and_updates_the_cached_balances(
    charity_shushan: User, county_fund: Fund
) -> None:
    donation = donate(charity_shushan, county_fund, "10000.00", purpose="medical")
    entry = donation.entry
    assert entry.kind == EntryKind.DONATION
    lines = list(entry.lines.all())
    assert len(lines) == 2 and sum(x.debit for x in lines) == sum(x.credit for x in lines) == Decimal("10000.00")
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("10000.00")
    assert balances(county_fund) == {
        ("cash", "medical"): Decimal("10000.00"),
        ("donations", "medical"): Decimal("10000.00"),
    }
    assert ledger_check(county_fund) == {"from_lines": Decimal("10000.00"), "cached": Decimal("10000.00")}
    audit = AuditLog.objects.get(action="charity.donation")
    assert audit.actor == charity_shushan and audit.region_code == "340104"
    assert audit.after["lines"][0]["debit"] == "10000.00"


def test_amounts_are_validated_with_chinese_messages(charity_shushan: User, county_fund: Fund) -> None:
    with pytest.raises(ValidationError) as exc:
        donate(charity_shushan, county_fund, "10.005")
    assert "两位小数" in exc.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as exc:
        donate(charity_shushan, county_fund, "0")
    assert "大于 0" in exc.value.message_dict["amount"][0]
    assert not JournalEntry.objects.exists()


def test_only_the_charity_officer_of_the_county_keeps_the_books(
    charity_feixi: User, clerk_a: User, supervisor_shushan: User, county_fund: Fund
) -> None:
    with pytest.raises(BusinessError) as exc:
        donate(charity_feixi, county_fund, "100.00")
    assert exc.value.status == 404
    for user in (clerk_a, supervisor_shushan):
        with pytest.raises(BusinessError) as exc:
            donate(user, county_fund, "100.00")
        assert exc.value.status in {403, 404}
    assert not JournalEntry.objects.exists()


def test_restricted_money_only_funds_grants_of_its_purpose(
    charity_shushan: User, clerk_a: User, county_fund: Fund, case_a: object
) -> None:
    donate(charity_shushan, county_fund, "3000.00", purpose="education")
    donate(charity_shushan, county_fund, "1000.00")
    medical = refer(clerk_a, case_a, county_fund, need="medical", asked="2000.00")
    # 4 000 in the fund, but only the 1 000 unrestricted may pay a medical grant.
    with pytest.raises(ValidationError) as exc:
        approved(charity_shushan, medical, "2000.00")
    assert "超过基金余额" in exc.value.message_dict["amount"][0] and "¥1,000.00" in exc.value.message_dict["amount"][0]
    grants.handoff_approve(actor=charity_shushan, handoff=medical, amount=Decimal("800.00"))
    grants.fund_grant_pay(actor=charity_shushan, handoff=medical)
    assert balances(county_fund)[("cash", "")] == Decimal("200.00")
    assert balances(county_fund)[("cash", "education")] == Decimal("3000.00")

    # An education grant uses the education money first, then unrestricted money.
    education = refer(clerk_a, case_a, county_fund, need="education", asked="3100.00")
    approved(charity_shushan, education, "3100.00")
    entry = grants.fund_grant_pay(actor=charity_shushan, handoff=education)
    credits = {(x.account.purpose, x.credit) for x in entry.lines.select_related("account") if x.credit}
    assert credits == {("education", Decimal("3000.00")), ("", Decimal("100.00"))}
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("100.00") == ledger_check(county_fund)["from_lines"]


def test_entries_lines_and_donations_are_append_only_in_the_database(charity_shushan: User, county_fund: Fund) -> None:
    donation = donate(charity_shushan, county_fund, "500.00")
    rows = [
        ("charity_journalentry", "memo = 'x'", donation.entry_id),
        ("charity_journalline", "debit = debit + 1", JournalLine.objects.filter(entry=donation.entry_id).first().pk),
        ("charity_donation", "amount = 1", donation.pk),
    ]
    for table, change, pk in rows:
        for sql in (f"UPDATE {table} SET {change} WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):  # noqa: S608
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [pk])
    assert JournalLine.objects.filter(entry=donation.entry_id).count() == 2
    assert JournalEntry.objects.get(pk=donation.entry_id).memo == donation.entry.memo


def test_the_database_refuses_an_unbalanced_entry_at_commit(charity_shushan: User, county_fund: Fund) -> None:
    donate(charity_shushan, county_fund, "500.00")
    cash = Account.objects.get(fund=county_fund, kind=AccountKind.CASH, purpose="")
    with pytest.raises(IntegrityError, match="not balanced"), transaction.atomic():
        entry = JournalEntry.objects.create(
            kind=EntryKind.DONATION,
            booked_on="2026-01-05",
            memo="单边",
            region_code="340104",
            created_by=charity_shushan,
        )
        JournalLine.objects.create(entry=entry, account=cash, debit=Decimal("10.00"))
        with connection.cursor() as cursor:  # run the deferred (at-COMMIT) check now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_database_refuses_a_negative_balance(charity_shushan: User, county_fund: Fund) -> None:
    donate(charity_shushan, county_fund, "500.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Fund.objects.filter(pk=county_fund.pk).update(balance=Decimal("-0.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(fund=county_fund, kind=AccountKind.CASH).update(balance=Decimal("-1.00"))


def test_reversing_a_donation_posts_the_mirror_entry_referencing_the_original(
    charity_shushan: User, county_fund: Fund
) -> None:
    wrong = donate(charity_shushan, county_fund, "800.00", purpose="housing")
    donate(charity_shushan, county_fund, "200.00")
    reversal = entry_reverse(actor=charity_shushan, entry=wrong.entry, reason="金额录入错误，应为 80 元")
    assert reversal.kind == EntryKind.REVERSAL and reversal.reverses_id == wrong.entry_id
    mirror = {(x.account_id, x.debit, x.credit) for x in reversal.lines.all()}
    original = {(x.account_id, x.credit, x.debit) for x in wrong.entry.lines.all()}
    assert mirror == original
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("200.00") == ledger_check(county_fund)["from_lines"]
    assert balances(county_fund)[("donations", "housing")] == Decimal("0.00")
    # The original is untouched and still in the books; it cannot be reversed twice.
    assert JournalEntry.objects.get(pk=wrong.entry_id).memo == wrong.entry.memo
    with pytest.raises(BusinessError, match=r"已由 记-.* 冲销"):
        entry_reverse(actor=charity_shushan, entry=wrong.entry, reason="再冲一次试试")
    with pytest.raises(BusinessError, match="冲销凭证不能再冲销"):
        entry_reverse(actor=charity_shushan, entry=reversal, reason="冲销的冲销")
    with pytest.raises(ValidationError):
        entry_reverse(actor=charity_shushan, entry=wrong.entry, reason="")
    assert AuditLog.objects.filter(action="charity.reversal", reason__contains="录入错误").count() == 1


def test_reversing_money_already_spent_is_refused(
    charity_shushan: User, clerk_a: User, county_fund: Fund, case_a: object
) -> None:
    donation = donate(charity_shushan, county_fund, "1000.00")
    handoff = approved(charity_shushan, refer(clerk_a, case_a, county_fund, asked="900.00"), "900.00")
    grants.fund_grant_pay(actor=charity_shushan, handoff=handoff)
    with pytest.raises(InsufficientFunds, match="余额不足"):
        entry_reverse(actor=charity_shushan, entry=donation.entry, reason="捐赠人撤回捐赠")
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("100.00")
    assert not JournalEntry.objects.filter(kind=EntryKind.REVERSAL).exists()


def test_reversing_a_grant_payment_sends_the_hand_off_back_to_approved(
    charity_shushan: User, clerk_a: User, county_fund: Fund, case_a: object
) -> None:
    donate(charity_shushan, county_fund, "1000.00")
    handoff = approved(charity_shushan, refer(clerk_a, case_a, county_fund, asked="600.00"), "600.00")
    payment = grants.fund_grant_pay(actor=charity_shushan, handoff=handoff)
    entry_reverse(actor=charity_shushan, entry=payment, reason="银行退回：账号已注销")
    handoff.refresh_from_db()
    county_fund.refresh_from_db()
    assert handoff.status == HandOffStatus.APPROVED and handoff.paid_at is None
    assert county_fund.balance == Decimal("1000.00")
    assert list(handoff.events.values_list("action", flat=True)) == [
        "refer",
        "accept",
        "approve",
        "pay",
        "reverse_payment",
    ]
    again = grants.fund_grant_pay(actor=charity_shushan, handoff=handoff)
    assert again.pk != payment.pk
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("400.00") == ledger_check(county_fund)["from_lines"]


def test_transfer_keeps_each_funds_books_balanced(
    charity_shushan: User, charity_feixi: User, county_fund: Fund, feixi_fund: Fund
) -> None:
    community = fund_services.fund_create(
        actor=charity_shushan,
        kind=FundKind.MUTUAL_AID,
        name="梅山路社区慈善公益互助会",
        holder="梅山路社区慈善公益互助会",
        region=Region.objects.get(code="340104001001"),
    )
    donate(charity_shushan, county_fund, "5000.00")
    donate(charity_shushan, county_fund, "1000.00", purpose="disaster")
    entry = fund_services.fund_transfer(
        actor=charity_shushan,
        source=county_fund,
        target=community,
        amount="600.00",
        purpose="disaster",
        reason="汛期受灾户救助备付",
    )
    for fund in (county_fund, community):
        lines = JournalLine.objects.filter(entry=entry, account__fund=fund)
        assert sum(x.debit for x in lines) == sum(x.credit for x in lines) == Decimal("600.00")
    assert entry.region_code == "340104"
    assert balances(community)[("cash", "disaster")] == Decimal("600.00")
    assert balances(county_fund)[("cash", "disaster")] == Decimal("400.00")
    with pytest.raises(InsufficientFunds, match="不足调拨"):
        fund_services.fund_transfer(
            actor=charity_shushan,
            source=county_fund,
            target=community,
            amount="500.00",
            purpose="disaster",
            reason="再调拨一次",
        )
    with pytest.raises(BusinessError) as exc:
        fund_services.fund_transfer(
            actor=charity_shushan, source=county_fund, target=feixi_fund, amount="1.00", reason="跨县调拨"
        )
    assert exc.value.status == 404
