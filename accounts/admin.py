from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditLog, Region, User


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    list_display = ["code", "name", "level", "standard_area", "service_brand"]
    list_filter = ["level", "standard_area"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "role", "region", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name"]
    raw_id_fields = ["region"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("岗位与辖区"), {"fields": ("full_name", "role", "region", "can_reveal_ids")}),
    )  # type: ignore[misc]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin[AuditLog]):
    """Read-only: the table is append-only (and PostgreSQL enforces it)."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "region_code"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label", "region_code"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
