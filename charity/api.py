"""REST endpoints of the charity hand-off (under /api/v1/charity/). Views validate, services decide.

Every queryset goes through ``charity.selectors`` (scoped by region): another county's fund or another
street's hand-off is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.generics import get_object_or_404  # a malformed id: 404, not 500
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import staff_user
from accounts.idempotency import idempotent
from casework.selectors import cases_visible_to
from charity import reports, selectors
from charity import serializers as s
from charity.models import Donation, Fund, FundKind, HandOff, JournalEntry
from charity.services import funds as fund_services
from charity.services import grants, handoffs
from charity.services.ledger import entry_reverse

FUND_TAG = ["charity-funds"]
HANDOFF_TAG = ["charity-handoffs"]
PERIOD_PARAMS = [
    OpenApiParameter("start", str, description="起始日期 YYYY-MM-DD", required=True),
    OpenApiParameter("end", str, description="截止日期 YYYY-MM-DD", required=True),
]


def _period(request: Request) -> tuple[Any, Any]:
    ser = s.CharityPeriodInSerializer(data=request.query_params)
    ser.is_valid(raise_exception=True)
    return ser.validated_data["start"], ser.validated_data["end"]


@extend_schema(tags=FUND_TAG)
class FundViewSet(viewsets.ReadOnlyModelViewSet[Fund]):
    serializer_class = s.FundOutSerializer
    filterset_fields = ["kind", "active"]

    def get_queryset(self) -> QuerySet[Fund]:
        return selectors.funds_visible_to(self.request.user).prefetch_related("accounts").order_by("region_id", "id")

    @extend_schema(parameters=PERIOD_PARAMS, responses={200: s.StatementOutSerializer})
    @action(detail=True, methods=["get"])
    def statement(self, request: Request, pk: str | None = None) -> Response:
        start, end = _period(request)
        return Response(s.StatementOutSerializer(reports.fund_statement(self.get_object(), start, end)).data)


@extend_schema(tags=FUND_TAG)
@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("fund", int, description="只列出涉及该基金的凭证")])
)
class EntryViewSet(viewsets.ReadOnlyModelViewSet[JournalEntry]):
    serializer_class = s.CharityEntryOutSerializer
    filterset_fields = ["kind", "handoff"]

    def get_queryset(self) -> QuerySet[JournalEntry]:
        qs = selectors.entries_visible_to(self.request.user).order_by("-booked_on", "-id")
        fund = self.request.query_params.get("fund")
        if fund and fund.isdigit():
            qs = qs.filter(lines__account__fund_id=int(fund)).distinct()
        return qs

    @idempotent
    @extend_schema(request=s.CharityReasonInSerializer, responses={201: s.CharityEntryOutSerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: str | None = None) -> Response:
        """冲销: post the mirror entry referencing this one (the original stays in the books)."""
        ser = s.CharityReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        reversal = entry_reverse(
            actor=staff_user(request), entry=self.get_object(), reason=ser.validated_data["reason"]
        )
        fresh = selectors.entries_visible_to(request.user).get(pk=reversal.pk)
        return Response(s.CharityEntryOutSerializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=FUND_TAG)
class DonationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Donation]):
    serializer_class = s.DonationOutSerializer
    filterset_fields = ["fund", "purpose", "donor_kind"]

    def get_queryset(self) -> QuerySet[Donation]:
        funds = selectors.funds_visible_to(self.request.user)
        return (
            Donation.objects.filter(fund__in=funds)
            .select_related("entry")
            .prefetch_related("entry__lines__account__fund")
            .order_by("-received_on", "-id")
        )

    @idempotent
    @extend_schema(request=s.DonationInSerializer, responses={201: s.DonationOutSerializer})
    def create(self, request: Request) -> Response:
        ser = s.DonationInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        fund = get_object_or_404(selectors.funds_visible_to(request.user), pk=data.pop("fund"))
        donation = fund_services.fund_donation_record(actor=staff_user(request), fund=fund, **data)
        return Response(
            s.DonationOutSerializer(self.get_queryset().get(pk=donation.pk)).data, status=status.HTTP_201_CREATED
        )


class TransferView(APIView):
    @idempotent
    @extend_schema(tags=FUND_TAG, request=s.TransferInSerializer, responses={201: s.CharityEntryOutSerializer})
    def post(self, request: Request) -> Response:
        ser = s.TransferInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        visible = selectors.funds_visible_to(request.user)
        entry = fund_services.fund_transfer(
            actor=staff_user(request),
            source=get_object_or_404(visible, pk=v["from_fund"]),
            target=get_object_or_404(visible, pk=v["to_fund"]),
            amount=v["amount"],
            purpose=v["purpose"],
            reason=v["reason"],
        )
        fresh = selectors.entries_visible_to(request.user).get(pk=entry.pk)
        return Response(s.CharityEntryOutSerializer(fresh).data, status=status.HTTP_201_CREATED)


class GrantsReportView(APIView):
    @extend_schema(tags=FUND_TAG, parameters=PERIOD_PARAMS, responses={200: s.GrantsReportOutSerializer})
    def get(self, request: Request) -> Response:
        start, end = _period(request)
        report = reports.grants_by_street_and_need(selectors.handoffs_visible_to(request.user), start, end)
        names = dict(report.streets)
        labels = dict(report.needs)
        rows = [
            {
                "street": street,
                "street_name": names[street],
                "need_type": need,
                "need_label": labels[need],
                "count": cell.count,
                "amount": cell.amount,
            }
            for (street, need), cell in sorted(report.cells.items())
        ]
        data = {
            "start": start,
            "end": end,
            "rows": rows,
            "total_count": report.total.count,
            "total_amount": report.total.amount,
        }
        return Response(s.GrantsReportOutSerializer(data).data)


@extend_schema(tags=HANDOFF_TAG)
class HandOffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[HandOff]):
    serializer_class = s.HandOffOutSerializer
    filterset_fields = ["status", "need_type", "case", "fund"]

    def get_queryset(self) -> QuerySet[HandOff]:
        return selectors.handoff_detail_queryset(self.request.user).order_by("-referred_at", "-id")

    def _out(self, handoff: HandOff, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=handoff.pk)
        return Response(s.HandOffOutSerializer(fresh, context={"request": self.request}).data, status=code)

    @idempotent
    @extend_schema(
        request={"application/json": s.HandOffInSerializer, "multipart/form-data": s.HandOffInSerializer},
        responses={201: s.HandOffOutSerializer},
    )
    def create(self, request: Request) -> Response:
        """转介: refer a case's unmet need to a fund; the family's consent is required."""
        ser = s.HandOffInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        user = staff_user(request)
        case = get_object_or_404(cases_visible_to(user).select_related("household"), pk=v["case"])
        funds = selectors.funds_for_case(user, case)
        if v.get("fund"):
            fund = funds.filter(pk=v["fund"]).first()
            if fund is None:
                raise DRFValidationError({"fund": [_("该基金不承接本案件所在区域的转介，请另选基金。")]})
        else:
            fund = funds.filter(kind=FundKind.COUNTY).first()
            if fund is None:
                raise DRFValidationError({"fund": [_("本县(市、区)尚未设立社会救助专项基金，无法转介。")]})
        handoff = handoffs.handoff_refer(
            actor=user,
            case=case,
            fund=fund,
            need_type=v["need_type"],
            description=v["description"],
            amount_asked=v["amount_asked"],
            consent_by=v["consent_by"],
            consent_relation=v["consent_relation"],
            consent_on=v["consent_on"],
            consent_scan=v.get("consent_scan"),
        )
        return self._out(handoff, status.HTTP_201_CREATED)

    @extend_schema(request=s.CharityNoteInSerializer, responses={200: s.HandOffOutSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CharityNoteInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._out(
            handoffs.handoff_accept(
                actor=staff_user(request), handoff=self.get_object(), note=ser.validated_data["note"]
            )
        )

    @extend_schema(request=s.CharityReasonInSerializer, responses={200: s.HandOffOutSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        """不予资助 (before approval) or 撤销资助 (approved, not yet paid); a reason is required."""
        ser = s.CharityReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._out(
            handoffs.handoff_decline(
                actor=staff_user(request), handoff=self.get_object(), reason=ser.validated_data["reason"]
            )
        )

    @extend_schema(request=s.CharityReasonInSerializer, responses={200: s.HandOffOutSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CharityReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._out(
            handoffs.handoff_withdraw(
                actor=staff_user(request), handoff=self.get_object(), reason=ser.validated_data["reason"]
            )
        )

    @idempotent
    @extend_schema(request=s.CharityApproveInSerializer, responses={200: s.HandOffOutSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CharityApproveInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        return self._out(
            grants.handoff_approve(
                actor=staff_user(request), handoff=self.get_object(), amount=v["amount"], note=v["note"]
            )
        )

    @idempotent
    @extend_schema(request=s.CharityNoteInSerializer, responses={200: s.HandOffOutSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: str | None = None) -> Response:
        """支付: post the grant to the fund's ledger (409 with a Chinese message if the balance is short)."""
        ser = s.CharityNoteInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        handoff = self.get_object()
        grants.fund_grant_pay(actor=staff_user(request), handoff=handoff, note=ser.validated_data["note"])
        return self._out(handoff)

    @extend_schema(request=s.CharityNoteInSerializer, responses={200: s.HandOffOutSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CharityNoteInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._out(
            handoffs.handoff_close(
                actor=staff_user(request), handoff=self.get_object(), note=ser.validated_data["note"]
            )
        )
