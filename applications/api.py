from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a malformed id: 404, not 500
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import staff_user
from accounts.idempotency import idempotent
from accounts.selectors import region_visible_to
from applications import selectors, services
from applications.models import Household, Member
from applications.serializers import (
    HouseholdInSerializer,
    HouseholdOutSerializer,
    MemberInSerializer,
    MemberOutSerializer,
    RevealSerializer,
)


class HouseholdFilter(django_filters.FilterSet):
    street = django_filters.CharFilter(field_name="street_id")
    community = django_filters.CharFilter(field_name="community_id")
    q = django_filters.CharFilter(method="search", label=_("姓名/脱敏证件号/户号"))

    class Meta:
        model = Household
        fields = ["street", "community", "q"]

    def search(self, qs: QuerySet[Household], name: str, value: str) -> QuerySet[Household]:
        return selectors.household_search(qs, value)


def _require_street_in_scope(request: Request, data: dict[str, Any]) -> None:
    street = data.get("street")
    if street is not None and not region_visible_to(request.user, street.code):
        raise serializers.ValidationError({"street": [_("该街道不在您的管辖范围内。")]})


class HouseholdViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Household],
):
    """Households of the caller's area; another street's household is a 404."""

    filterset_class = HouseholdFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Household]:
        return selectors.households_visible_to(self.request.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action in {"create", "partial_update", "update"}:
            return HouseholdInSerializer
        return HouseholdOutSerializer

    @idempotent
    @extend_schema(request=HouseholdInSerializer, responses={201: HouseholdOutSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.require_household_editor(staff_user(request))
        ser = HouseholdInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        _require_street_in_scope(request, ser.validated_data)
        household = services.household_create(actor=staff_user(request), data=ser.validated_data)
        household = self.get_queryset().get(pk=household.pk)
        return Response(HouseholdOutSerializer(household).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=HouseholdInSerializer, responses={200: HouseholdOutSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        household = self.get_object()
        services.require_household_editor(staff_user(request))
        ser = HouseholdInSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        data = {k: v for k, v in ser.validated_data.items() if k != "members"}
        _require_street_in_scope(request, data)
        services.household_update(
            actor=staff_user(request), household=household, data=data, reason=str(request.data.get("reason", ""))
        )
        return Response(HouseholdOutSerializer(self.get_queryset().get(pk=household.pk)).data)

    @extend_schema(request=MemberInSerializer, responses={201: MemberOutSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        household = self.get_object()
        services.require_household_editor(staff_user(request))
        ser = MemberInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        member = services.member_add(actor=staff_user(request), household=household, data=ser.validated_data)
        return Response(MemberOutSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberViewSet(viewsets.GenericViewSet[Member]):
    serializer_class = MemberOutSerializer

    def get_queryset(self) -> QuerySet[Member]:
        visible = selectors.households_visible_to(self.request.user).values("pk")
        return Member.objects.filter(household__in=visible).prefetch_related("incomes")

    def retrieve(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return Response(MemberOutSerializer(self.get_object()).data)

    @extend_schema(request=MemberInSerializer, responses={200: MemberOutSerializer})
    def partial_update(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        member = self.get_object()
        services.require_household_editor(staff_user(request))
        ser = MemberInSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        member = services.member_update(
            actor=staff_user(request),
            member=member,
            data=ser.validated_data,
            reason=str(request.data.get("reason", "")),
        )
        return Response(MemberOutSerializer(member).data)

    @extend_schema(
        request=RevealSerializer,
        responses={200: inline_serializer("RevealedId", {"id_number": serializers.CharField()})},
        description="查看完整身份证号码：需要权限并填写理由，操作记入审计日志。",
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        member = get_object_or_404(self.get_queryset().select_related("household"), pk=pk)
        ser = RevealSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        number = services.member_reveal_id(
            actor=staff_user(request), member=member, reason=ser.validated_data["reason"]
        )
        return Response({"id_number": number})
