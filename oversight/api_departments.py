"""The department recipient-status query: ``POST /api/v1/departments/recipient-status/``.

Authenticated only by a department token (``Authorization: Department <prefix>.<secret>``); staff
sessions and staff ``Token`` keys are not accepted here, and a department token authenticates
nothing else (its class is used by this view only). POST keeps the ID number out of URLs and
access logs.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.ratelimit import client_ip
from oversight import departments as svc
from oversight.models import DepartmentClient, DepartmentToken
from oversight.serializers_departments import (
    DepartmentDetailSerializer,
    RecipientStatusErrorSerializer,
    RecipientStatusInSerializer,
    RecipientStatusOutSerializer,
)

TAG = ["departments"]


class DepartmentPrincipal:
    """``request.user`` of a department call: the department, never a staff user."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, client: DepartmentClient) -> None:
        self.client = client

    def __str__(self) -> str:
        return f"department:{self.client.code}"


class DepartmentTokenAuthentication(BaseAuthentication):
    """``Authorization: Department <prefix>.<secret>``. Any other scheme is ignored (→ 401)."""

    keyword = svc.AUTH_SCHEME

    def authenticate(self, request: Request) -> tuple[DepartmentPrincipal, DepartmentToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("部门令牌格式错误。"))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("部门令牌格式错误。")) from None
        token = svc.department_token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("部门令牌无效、已吊销或已过期。"))
        return DepartmentPrincipal(token.client), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsDepartment(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, DepartmentToken) and isinstance(request.user, DepartmentPrincipal)


class DepartmentTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "oversight.api_departments.DepartmentTokenAuthentication"
    name = "departmentToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _("部门接口令牌，格式：`Department <前缀>.<密钥>`(由系统管理员签发，每个部门一个)"),
        }


class RecipientStatusView(APIView):
    authentication_classes = [DepartmentTokenAuthentication]
    permission_classes = [IsDepartment]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAG,
        operation_id="departments_recipient_status",
        summary="部门查询救助对象身份",
        description=(
            "医保、教育、住建、人社等部门查询某人当前是否为在保的特困/低保/低收入/支出型对象。"
            "只返回该部门有权获知的类别与字段，只覆盖该部门的区域；每次查询均记录日志(脱敏证件号)。"
        ),
        request=RecipientStatusInSerializer,
        responses={
            200: RecipientStatusOutSerializer,
            400: OpenApiResponse(RecipientStatusErrorSerializer, description=_("证件号无效(字段错误信息)")),
            401: OpenApiResponse(DepartmentDetailSerializer, description=_("缺少或无效的部门令牌")),
            429: OpenApiResponse(DepartmentDetailSerializer, description=_("超出本部门的查询频率限制")),
        },
        examples=[
            OpenApiExample(
                "recipient",
                value={"recipient": True, "tiers": [{"tier": "dibao", "since": "2025-03-01"}], "as_of": "2026-11-29"},
                response_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        token = request.auth
        assert isinstance(token, DepartmentToken)
        body = RecipientStatusInSerializer(data=request.data)
        if not body.is_valid():
            svc.recipient_status_malformed(token=token, client_ip=client_ip(request.META), detail=str(body.errors))
            raise exceptions.ValidationError(body.errors)
        try:
            answer = svc.recipient_status_query(
                token=token, raw_id=body.validated_data["id_number"], client_ip=client_ip(request.META)
            )
        except svc.RateLimited:
            raise exceptions.Throttled(wait=60, detail=_("查询过于频繁，请稍后再试。")) from None
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from None
        return Response(RecipientStatusOutSerializer(answer.as_dict()).data)
