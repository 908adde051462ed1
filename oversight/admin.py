"""Admin of the department data interface: departments and their entitlements, tokens (issue shows
the secret once on a page of its own — never through the messages cookie —, revoke), and the
read-only query log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from casework.admin import ReadOnlyAdmin
from oversight import departments as svc
from oversight.models import DepartmentClient, DepartmentQueryLog, DepartmentToken


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class DepartmentTokenInline(admin.TabularInline[DepartmentToken, DepartmentClient]):
    model = DepartmentToken
    extra = 0
    can_delete = False
    fields = ("prefix", "label", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "label", "created_at", "expires_at", "revoked_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DepartmentClient)
class DepartmentClientAdmin(admin.ModelAdmin[DepartmentClient]):
    list_display = ["code", "name", "region", "allowed_tiers", "may_see_since", "may_see_amount", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["region"]
    inlines = [DepartmentTokenInline]
    actions = ["issue_token", "rotate_token"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: the query log keeps pointing at the department

    def _issue(self, request: HttpRequest, queryset: QuerySet[DepartmentClient], rotate: bool) -> HttpResponse | None:
        issued = []
        for client in queryset:
            if not client.is_active:
                self.message_user(request, _("%(c)s 已停用，未签发。") % {"c": client}, messages.WARNING)
                continue
            token, raw = svc.department_token_issue(
                client=client, actor=_actor(request), label=str(_("后台签发")), revoke_others=rotate
            )
            issued.append({"client": client, "token": token, "raw": raw})
        if not issued:
            return None
        context = {**self.admin_site.each_context(request), "title": _("部门接口令牌"), "issued": issued}
        response = TemplateResponse(request, "oversight/admin/token_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("签发新令牌(密钥只显示一次)"))
    def issue_token(self, request: HttpRequest, queryset: QuerySet[DepartmentClient]) -> HttpResponse | None:
        return self._issue(request, queryset, rotate=False)

    @admin.action(description=_("轮换令牌(签发新令牌并吊销旧令牌)"))
    def rotate_token(self, request: HttpRequest, queryset: QuerySet[DepartmentClient]) -> HttpResponse | None:
        return self._issue(request, queryset, rotate=True)


@admin.register(DepartmentToken)
class DepartmentTokenAdmin(admin.ModelAdmin[DepartmentToken]):
    """Tokens are issued from the department page (or the command); here they can only be revoked."""

    list_display = ["prefix", "client", "label", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["client"]
    search_fields = ["prefix", "client__code", "client__name"]
    readonly_fields = [f.name for f in DepartmentToken._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[DepartmentToken]) -> None:
        for token in queryset:
            svc.department_token_revoke(token=token, actor=_actor(request), reason=str(_("后台吊销")))
        self.message_user(request, _("已吊销 %(n)d 个令牌。") % {"n": queryset.count()})


@admin.register(DepartmentQueryLog)
class DepartmentQueryLogAdmin(ReadOnlyAdmin):
    """Read-only: the log is append-only (a PostgreSQL trigger enforces it) and holds masked IDs only."""

    list_display = ["at", "client", "id_masked", "outcome", "recipient", "region_code", "client_ip"]
    list_filter = ["client", "outcome", "recipient"]
    search_fields = ["id_masked", "region_code"]
    date_hierarchy = "at"
