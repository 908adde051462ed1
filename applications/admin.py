from django.contrib import admin

from applications.models import Household, IncomeItem, Member, Vehicle


class MemberInline(admin.TabularInline[Member, Household]):
    model = Member
    fields = ["name", "id_masked", "relation", "lives_together", "excluded", "disability_grade", "active"]
    readonly_fields = ["name", "id_masked"]
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin[Household]):
    """Browse only: writes go through the audited services (intake pages and API)."""

    list_display = ["id", "street", "community", "address", "created_at"]
    list_filter = ["street__parent"]
    search_fields = ["id", "members__name", "members__id_masked"]
    inlines = [MemberInline]
    exclude = ["phone", "bank_account"]
    readonly_fields = [f.name for f in Household._meta.fields if f.name not in {"phone", "bank_account"}]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin[Member]):
    list_display = ["id", "name", "id_masked", "household", "relation", "active"]
    search_fields = ["name", "id_masked"]
    exclude = ["id_number", "health_notes"]
    readonly_fields = [f.name for f in Member._meta.fields if f.name not in {"id_number", "health_notes"}]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


admin.site.register(IncomeItem)
admin.site.register(Vehicle)
