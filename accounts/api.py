"""API plumbing shared by every app: error format for business-rule violations."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.errors import BusinessError
from accounts.models import User

logger = logging.getLogger("hefei_aid.api")


def staff_user(request: HttpRequest | Request) -> User:
    """The signed-in staff user of a request that passed IsActiveStaff / login_required."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        raise NotAuthenticated()
    return user


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, BusinessError):
        return Response({"detail": exc.message, "code": exc.code, **exc.extra}, status=exc.status)
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database connection dropped (or a lock/serialization failure): the request's transaction
        # was rolled back, so nothing of it is saved. A clean 503 the client may retry, no traceback.
        logger.error("database unavailable during %s: %s: %s", context.get("view"), type(exc).__name__, exc)
        return Response(
            {"detail": _("数据库暂时不可用，本次操作没有保存，请稍后重试。"), "code": "database_unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, DjangoValidationError):
        data: Any = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
