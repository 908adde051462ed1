from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.generics import get_object_or_404  # a malformed id: 404, not 500
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import staff_user
from accounts.models import Region
from eligibility import services
from eligibility.models import PolicyParameter
from eligibility.serializers import EvaluateRequest, EvaluateResponse, ParameterIn, ParameterOut

EXAMPLE = {
    "region": "340104",
    "as_of": "2024-01-15",
    "members": [
        {"ref": "m1", "birth_date": "1980-05-17", "incomes": [{"kind": "wage", "monthly": "1200.00"}]},
        {"ref": "m2", "birth_date": "1982-03-09"},
        {"ref": "m3", "birth_date": "2012-09-01", "student": True},
    ],
}


class EvaluateView(APIView):
    """Stateless evaluation of a household against the five tiers (the public contract)."""

    @extend_schema(
        request=EvaluateRequest,
        responses={200: EvaluateResponse},
        examples=[OpenApiExample("三口之家", value=EXAMPLE, request_only=True)],
        description="资格评估(无状态)：返回五类救助的认定结果、金额、理由与所用政策参数。",
    )
    def post(self, request: Request) -> Response:
        try:
            result = services.evaluate_payload(request.data)
        except services.EvaluationInputError as exc:
            return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
        return Response(result)


class ParameterListView(generics.ListCreateAPIView[PolicyParameter]):
    """Policy parameters (everyone may read; county supervisors and administrators add dated values)."""

    serializer_class = ParameterOut
    filterset_fields = ["name", "region"]

    def get_queryset(self) -> QuerySet[PolicyParameter]:
        return PolicyParameter.objects.select_related("region", "changed_by").order_by(
            "name", "region_id", "-effective_from"
        )

    @extend_schema(request=ParameterIn, responses={201: ParameterOut})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = ParameterIn(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        region = get_object_or_404(Region, code=data["region"])
        param = services.parameter_add(
            actor=staff_user(request),
            name=data["name"],
            region=region,
            effective_from=data["effective_from"],
            value=data["value"],
            source=data["source"],
            note=data["note"],
        )
        return Response(ParameterOut(param).data, status=status.HTTP_201_CREATED)
