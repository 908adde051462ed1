"""The double-entry ledger of the charity funds.

Design (why journal + lines, not one row per transfer): a grant may draw on two pockets at once
(the money restricted to its purpose first, then unrestricted money), and a transfer between two
funds must leave *each* fund's books balanced (调出 in one, 调入 in the other). A journal entry with
n ≥ 2 lines expresses all of these uniformly; a from/to row could not.

Integrity is enforced twice:
- in the service (``charity.services.ledger.post_entry``): Σ debit = Σ credit, ≥ 2 lines, amounts > 0
  with 2 decimals, every account balance ≥ 0, under the funds' row locks;
- in PostgreSQL (migration 0002): a *deferred constraint trigger* checks at COMMIT that every entry
  touched by the transaction has ≥ 2 lines and balances, so no code path (raw SQL, admin, a bug) can
  commit a one-sided entry; and UPDATE/DELETE on entries, lines and donations is refused — a mistake
  is corrected by a reversing entry that references the original (``reverses``, unique: once only).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from charity.models.funds import MONEY, Fund, NeedType, purpose_label

ZERO = Decimal("0.00")


class AccountKind(models.TextChoices):
    CASH = "cash", _("基金存款")
    DONATIONS = "donations", _("捐赠收入")
    GRANTS = "grants", _("救助支出")
    TRANSFER_IN = "transfer_in", _("基金调入")
    TRANSFER_OUT = "transfer_out", _("基金调出")


# Assets and expenses grow with a debit; income grows with a credit.
DEBIT_NORMAL = frozenset({AccountKind.CASH, AccountKind.GRANTS, AccountKind.TRANSFER_OUT})


class Account(models.Model):
    """One account of one fund, split by purpose: cash restricted to 医疗 is its own account, which is
    how "restricted money only funds grants of its purpose" is kept (its balance can't go below 0).

    ``balance`` is cached in the account's normal direction and is never negative (CheckConstraint);
    it is recomputable from the lines at any time (``charity.selectors.ledger_check``).
    """

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(_("科目"), max_length=12, choices=AccountKind.choices)
    purpose = models.CharField(
        _("限定用途"), max_length=12, choices=NeedType.choices, blank=True, default="", help_text=_("空 = 非限定")
    )
    balance = models.DecimalField(_("余额(元)"), **MONEY, default=0)

    class Meta:
        verbose_name = _("会计科目")
        verbose_name_plural = _("会计科目")
        ordering = ["fund_id", "kind", "purpose"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "kind", "purpose"], name="charity_account_unique"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="charity_account_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.fund} · {self.label}"

    @property
    def label(self) -> str:
        return f"{self.get_kind_display()}({purpose_label(self.purpose)})"


class EntryKind(models.TextChoices):
    DONATION = "donation", _("捐赠收入")
    GRANT = "grant", _("救助支出")
    TRANSFER = "transfer", _("基金调拨")
    REVERSAL = "reversal", _("冲销更正")


class JournalEntry(models.Model):
    """One accounting voucher (记账凭证). Append-only; see the module docstring."""

    kind = models.CharField(_("类别"), max_length=10, choices=EntryKind.choices)
    booked_on = models.DateField(_("记账日期"), db_index=True)
    memo = models.CharField(_("摘要"), max_length=200)
    # The smallest region holding every fund the entry touches: scoping reads it (scope_by_region).
    region_code = models.CharField(_("区划"), max_length=12, db_index=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("冲销的原凭证"),
    )
    handoff = models.ForeignKey(
        "charity.HandOff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("救助衔接"),
    )
    reason = models.TextField(_("冲销原因"), blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["booked_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="reversal") & Q(reverses__isnull=False) & ~Q(reason=""))
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="charity_entry_reversal_has_original_and_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind="grant") | Q(handoff__isnull=False), name="charity_entry_grant_has_handoff"
            ),
        ]
        indexes = [
            models.Index(fields=["region_code"], name="charity_entry_region_like", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"记-{self.pk:06d}" if self.pk else "记-(未保存)"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    debit = models.DecimalField(_("借方(元)"), **MONEY, default=0)
    credit = models.DecimalField(_("贷方(元)"), **MONEY, default=0)

    class Meta:
        verbose_name = _("凭证分录")
        verbose_name_plural = _("凭证分录")
        ordering = ["entry_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                name="charity_line_one_side_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.account_id} D{self.debit} C{self.credit}"


class DonorKind(models.TextChoices):
    PERSON = "person", _("个人")
    ORGANISATION = "organisation", _("单位")
    ANONYMOUS = "anonymous", _("匿名")


class Donation(models.Model):
    """The donation document behind a donation entry (append-only like the entry itself)."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="donations", verbose_name=_("基金"))
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="donation")
    donor_kind = models.CharField(_("捐赠人类别"), max_length=12, choices=DonorKind.choices)
    donor_name = models.CharField(_("捐赠人"), max_length=100)
    amount = models.DecimalField(_("金额(元)"), **MONEY)
    purpose = models.CharField(
        _("限定用途"), max_length=12, choices=NeedType.choices, blank=True, default="", help_text=_("空 = 非限定")
    )
    received_on = models.DateField(_("到账日期"))
    receipt_no = models.CharField(_("捐赠票据号"), max_length=40, blank=True, default="")
    note = models.CharField(_("备注"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("捐赠")
        verbose_name_plural = _("捐赠")
        ordering = ["-received_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="charity_donation_positive")]

    def __str__(self) -> str:
        return f"{self.donor_name} ¥{self.amount}"

    @property
    def purpose_display(self) -> str:
        return purpose_label(self.purpose)
