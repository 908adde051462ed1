"""REST endpoints of the spot checks (issue 7), under /api/v1/.

``spot-checks``: list / retrieve / create (county supervisors and city admins; scoped by region, a
check of another county is a 404; street staff get 403 on create and see no batches).
``spot-check-items``: list / retrieve (overseers: every sampled case in their area; street staff:
the cases sent back to their street), and the writes ``result`` (supervisor), ``respond`` (street
reviewer/approver) and ``close`` (supervisor). Views validate, services decide and audit.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts.api import staff_user
from casework import selectors_spotcheck as sel
from casework.models.spotcheck import RectificationStatus, SpotCheck, SpotCheckItem
from casework.serializers_spotcheck import (
    CloseInSerializer,
    RespondInSerializer,
    ResultInSerializer,
    SpotCheckDetailOutSerializer,
    SpotCheckInSerializer,
    SpotCheckItemOutSerializer,
    SpotCheckOutSerializer,
)
from casework.services import spotcheck as svc

TAG = ["spot-checks"]


@extend_schema_view(
    list=extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter("street", str, description="街道区划代码"),
            OpenApiParameter("status", str, enum=["checking", "rectifying", "closed"]),
        ],
    ),
    retrieve=extend_schema(tags=TAG),
)
class SpotCheckViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[SpotCheck]):
    queryset = SpotCheck.objects.none()

    def get_queryset(self) -> QuerySet[SpotCheck]:
        qs = sel.spot_checks_visible_to(staff_user(self.request))
        if self.action == "list":
            if street := self.request.query_params.get("street"):
                qs = qs.filter(street_id=street)
            if state := self.request.query_params.get("status"):
                qs = qs.filter(status=state)
        else:
            qs = qs.prefetch_related("items__case")
        return qs.order_by("-created_at", "-id")

    def get_serializer_class(self) -> Any:
        return SpotCheckDetailOutSerializer if self.action == "retrieve" else SpotCheckOutSerializer

    @extend_schema(tags=TAG, request=SpotCheckInSerializer, responses={201: SpotCheckDetailOutSerializer})
    def create(self, request: Request) -> Response:
        user = staff_user(request)
        if not sel.is_overseer(user):
            raise PermissionDenied("只有县级民政监督人员可以开展抽查。")
        ser = SpotCheckInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        spot_check = svc.spot_check_create(
            actor=user,
            street_code=data["street"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            percentage=data["percentage"],
            seed=data["seed"],
            note=data["note"],
        )
        fresh = sel.spot_checks_visible_to(user).prefetch_related("items__case").get(pk=spot_check.pk)
        return Response(SpotCheckDetailOutSerializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter("spot_check", int),
            OpenApiParameter("rectification_status", str, enum=[s for s in RectificationStatus.values if s]),
        ],
    ),
    retrieve=extend_schema(tags=TAG),
)
class SpotCheckItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[SpotCheckItem]):
    queryset = SpotCheckItem.objects.none()
    serializer_class = SpotCheckItemOutSerializer

    def get_queryset(self) -> QuerySet[SpotCheckItem]:
        qs = sel.item_visible_to(staff_user(self.request)).select_related("case")
        if self.action == "list":
            if (batch := self.request.query_params.get("spot_check")) and batch.isdigit():
                qs = qs.filter(spot_check_id=int(batch))
            if state := self.request.query_params.get("rectification_status"):
                qs = qs.filter(rectification_status=state)
        return qs.order_by("spot_check_id", "seq")

    def _done(self, item: SpotCheckItem) -> Response:
        fresh = self.get_queryset().get(pk=item.pk)
        return Response(SpotCheckItemOutSerializer(fresh).data)

    @extend_schema(tags=TAG, request=ResultInSerializer, responses={200: SpotCheckItemOutSerializer})
    @action(detail=True, methods=["post"])
    def result(self, request: Request, pk: str | None = None) -> Response:
        user = staff_user(request)
        item = self.get_object()
        if not sel.is_overseer(user):
            raise PermissionDenied("只有县级民政监督人员可以登记抽查结果。")
        ser = ResultInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        item = svc.spot_check_record(
            actor=user, item=item, result=data["result"], note=data["note"], correct_amount=data["correct_amount"]
        )
        return self._done(item)

    @extend_schema(tags=TAG, request=RespondInSerializer, responses={200: SpotCheckItemOutSerializer})
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        user = staff_user(request)
        item = self.get_object()
        ser = RespondInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        item = svc.rectification_respond(
            actor=user, item=item, response=ser.validated_data["response"], note=ser.validated_data["note"]
        )
        return self._done(item)

    @extend_schema(tags=TAG, request=CloseInSerializer, responses={200: SpotCheckItemOutSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        user = staff_user(request)
        item = self.get_object()
        ser = CloseInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        item = svc.rectification_close(
            actor=user, item=item, accept=ser.validated_data["accept"], note=ser.validated_data["note"]
        )
        return self._done(item)


def register(router: SimpleRouter) -> None:
    router.register("spot-checks", SpotCheckViewSet, basename="spot-check")
    router.register("spot-check-items", SpotCheckItemViewSet, basename="spot-check-item")
