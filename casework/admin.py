"""Admin: the working calendar is editable (administrators extend it each year); casework records
are browse-only because every write goes through the audited services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casework.models import (
    Case,
    CaseTransition,
    DataExchangeRecord,
    Decision,
    EconomicCheck,
    EconomicCheckQuery,
    EmergencyPayment,
    PublicEmergency,
    ReserveFund,
    ReserveFundEntry,
    WorkingCalendar,
)
from casework.models.spotcheck import SpotCheck, SpotCheckItem
from casework.services.calendar import calendar_day_set, calendar_year_generate


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(admin.ModelAdmin[WorkingCalendar]):
    """Mark the State Council's holidays and make-up working days; saves go through the audited service."""

    list_display = ["date", "weekday", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    list_editable = ["is_working_day", "note"]
    search_fields = ["note"]
    date_hierarchy = "date"
    actions = ["generate_next_year"]
    list_per_page = 62

    @admin.display(description=_("星期"))
    def weekday(self, obj: WorkingCalendar) -> str:
        return "一二三四五六日"[obj.date.weekday()]

    def save_model(self, request: HttpRequest, obj: WorkingCalendar, form: Any, change: bool) -> None:
        calendar_day_set(actor=request.user, date=obj.date, is_working_day=obj.is_working_day, note=obj.note)  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("生成所选日期下一年的日历(周一至周五为工作日，再逐日标注节假日和调休)"))
    def generate_next_year(self, request: HttpRequest, queryset: QuerySet[WorkingCalendar]) -> None:
        latest = max((row.date.year for row in queryset), default=None)
        if latest is None:
            return
        created = calendar_year_generate(actor=request.user, year=latest + 1)  # type: ignore[arg-type]
        self.message_user(request, _("已生成 %(y)d 年 %(n)d 天。") % {"y": latest + 1, "n": created}, messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["receipt_no", "street", "status", "accepted_on", "case_due", "fast_track"]
    list_filter = ["status", "fast_track"]
    search_fields = ["receipt_no"]


@admin.register(CaseTransition)
class CaseTransitionAdmin(ReadOnlyAdmin):
    list_display = ["case", "from_status", "to_status", "actor_label", "at"]


@admin.register(EconomicCheck)
class EconomicCheckAdmin(ReadOnlyAdmin):
    list_display = ["case", "status", "requested_by", "requested_at", "finished_at"]


@admin.register(EconomicCheckQuery)
class EconomicCheckQueryAdmin(ReadOnlyAdmin):
    list_display = ["case", "department", "subject_masked", "operator", "at", "records_found"]
    list_filter = ["department"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["document_no", "outcome", "tier", "monthly_amount", "decided_on"]


@admin.register(EmergencyPayment)
class EmergencyPaymentAdmin(ReadOnlyAdmin):
    list_display = ["case", "amount", "status", "paid_on"]


@admin.register(PublicEmergency)
class PublicEmergencyAdmin(ReadOnlyAdmin):
    list_display = ["title", "region", "kind", "starts_on", "ends_on"]


@admin.register(ReserveFund)
class ReserveFundAdmin(ReadOnlyAdmin):
    list_display = ["street", "balance", "updated_at"]


@admin.register(ReserveFundEntry)
class ReserveFundEntryAdmin(ReadOnlyAdmin):
    list_display = ["fund", "kind", "amount", "balance_after", "at", "note"]


@admin.register(DataExchangeRecord)
class DataExchangeRecordAdmin(admin.ModelAdmin[DataExchangeRecord]):
    """The local data-exchange table (filled by the platform import); identifiers are blind indexes."""

    list_display = ["department", "kind", "value", "amount", "as_of"]
    list_filter = ["department", "kind"]


# --- spot checks (抽查, issue 7): audited working papers, browse-only ---------------------------------


class SpotCheckItemInline(admin.TabularInline[SpotCheckItem, SpotCheck]):
    model = SpotCheckItem
    fields = ["seq", "case", "tier", "amount_at_draw", "result", "correct_amount", "rectification_status"]
    readonly_fields = ["seq", "case", "tier", "amount_at_draw", "result", "correct_amount", "rectification_status"]
    ordering = ["seq"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SpotCheck)
class SpotCheckAdmin(ReadOnlyAdmin):
    """Batches: results and rectifications are recorded on the spot-check pages (audited services)."""

    list_display = [
        "id",
        "street",
        "period_start",
        "period_end",
        "percentage",
        "population_size",
        "sample_size",
        "seed",
        "status",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", ("street", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["items__case__receipt_no", "seed", "street__code", "street__name"]
    list_select_related = ["street", "created_by"]
    date_hierarchy = "created_at"
    inlines = [SpotCheckItemInline]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        queryset, _duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False  # a receipt no. joins the items: one row per batch


@admin.register(SpotCheckItem)
class SpotCheckItemAdmin(ReadOnlyAdmin):
    list_display = [
        "spot_check",
        "seq",
        "case",
        "street",
        "tier",
        "amount_at_draw",
        "result",
        "correct_amount",
        "rectification_status",
        "rectify_due",
        "response",
        "returned_count",
    ]
    list_filter = ["result", "rectification_status", "response", ("street", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["case__receipt_no"]
    list_select_related = ["spot_check", "case", "street"]
    raw_id_fields = ["spot_check", "case", "enrolment", "review_task"]
