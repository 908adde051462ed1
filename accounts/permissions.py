from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsActiveStaff(BasePermission):
    """Authenticated, active, and placed in a region (or an administrator)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class HasRole(BasePermission):
    roles: frozenset[str] = frozenset()

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        roles = getattr(view, "allowed_roles", self.roles)
        return bool(user and user.is_authenticated and user.is_active and (user.is_superuser or user.role in roles))
