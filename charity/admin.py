"""Read-only admin: the books and the hand-offs are written only through charity.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from charity.models import Account, Donation, Fund, HandOff, HandOffEvent, JournalEntry, JournalLine


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(admin.TabularInline):
    model = JournalLine
    extra = 0
    can_delete = False
    readonly_fields = ["account", "debit", "credit"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = HandOffEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "actor", "at", "amount", "reason"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Fund)
class FundAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "holder", "region", "balance", "active"]
    list_filter = ["kind", "active"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["fund", "kind", "purpose", "balance"]
    list_filter = ["kind", "purpose"]


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "booked_on", "memo", "region_code", "created_by"]
    list_filter = ["kind"]
    date_hierarchy = "booked_on"
    inlines = [LineInline]


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = ["donor_name", "donor_kind", "amount", "purpose", "received_on", "fund"]
    list_filter = ["donor_kind", "purpose"]


@admin.register(HandOff)
class HandOffAdmin(ReadOnlyAdmin):
    list_display = ["number", "case", "street", "need_type", "amount_asked", "grant_amount", "status"]
    list_filter = ["status", "need_type"]
    inlines = [EventInline]
