"""REST: the supervision figures (for the provincial platform) — the same numbers as the dashboard."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oversight import figures
from oversight.serializers import FiguresSerializer


class CanViewFigures(BasePermission):
    """County supervisors and city administrators (street staff: 403)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return figures.can_view_dashboard(request.user)


FILTER_PARAMS = [
    OpenApiParameter("from", str, description="起始月份 YYYY-MM(默认：截止月份前11个月)"),
    OpenApiParameter("to", str, description="截止月份 YYYY-MM(默认：本月)"),
    OpenApiParameter("street", str, description="街道(乡镇)代码；须在本人辖区内，否则 404"),
]


class FiguresView(APIView):
    permission_classes = [CanViewFigures]

    @extend_schema(
        tags=["监督指导"],
        summary="监督看板统计数据",
        description=(
            "县级民政(本县)或市级管理员(全市)的看板数据：在保对象按类别和街道、保障人数、按月按类别支出、"
            "受理/批准/不予批准件数与平均办理工作日、按环节逾期案件、复核结果、待处理预警、慈善衔接与基金余额。"
            "与看板页面使用同一计算函数；汇总数据的计算时间见 as_of。"
        ),
        parameters=FILTER_PARAMS,
        responses={200: FiguresSerializer},
    )
    def get(self, request: Request) -> Response:
        try:
            filters = figures.parse_filters(request.user, request.query_params)
        except figures.FilterError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        if figures.latest_refresh() is None:
            figures.refresh_figures()
        data = figures.compute_figures(request.user, filters)
        return Response(FiguresSerializer(data).data)
