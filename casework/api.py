"""REST endpoints of the one-window workflow (under /api/v1/). Views validate, services decide.

Every queryset goes through ``casework.selectors`` (scoped by region): another street's case or
application is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a malformed id: 404, not 500
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from accounts.models import User
from accounts.selectors import streets_visible_to
from applications import intake as app_intake
from applications.models import Application, Household, Member
from applications.selectors import households_visible_to
from applications.services import require_household_editor
from casework import selectors
from casework import serializers as s
from casework.models import Case, EmergencyPayment, PublicEmergency, ReserveFund
from casework.services import emergency, enrolment, investigation, notice, review
from casework.services.check import check_start
from casework.services.intake import application_accept, intake_register

CASE_TAG = ["casework"]
INTAKE_TAG = ["intake"]
EMERGENCY_TAG = ["emergency"]


def _actor(request: Request) -> User:
    """The authenticated staff member (the default permission class already refused anyone else)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _case_out(request: Request, case: Case, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.case_detail_queryset(request.user).get(pk=case.pk)
    return Response(s.CaseDetailOutSerializer(fresh, context={"request": request}).data, status=code)


class IntakeView(APIView):
    """一门受理: register (and accept) an application from one request."""

    @idempotent
    @extend_schema(tags=INTAKE_TAG, request=s.IntakeInSerializer, responses={201: s.IntakeOutSerializer})
    def post(self, request: Request) -> Response:
        ser = s.IntakeInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        household: Household | None = None
        online: Application | None = None
        if v.get("household_id"):
            household = get_object_or_404(households_visible_to(request.user), pk=v["household_id"])
        if v.get("online_application_id"):
            online = get_object_or_404(selectors.applications_visible_to(request.user), pk=v["online_application_id"])
        result = intake_register(
            actor=_actor(request),
            data=s.intake_data(v),
            household=household,
            online_application=online,
            accept=v["accept"],
            allow_duplicates=v["allow_duplicates"],
        )
        return Response(
            s.IntakeOutSerializer({"application": result.application, "case": result.case}).data,
            status=status.HTTP_201_CREATED,
        )


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Application]):
    serializer_class = s.ApplicationOutSerializer
    filterset_fields = ["status", "channel"]

    def get_queryset(self) -> QuerySet[Application]:
        return selectors.applications_visible_to(self.request.user).order_by("-submitted_at", "-id")

    @idempotent
    @extend_schema(tags=INTAKE_TAG, request=s.AcceptInSerializer, responses={201: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        ser = s.AcceptInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = application_accept(
            actor=_actor(request), application=application, allow_duplicates=ser.validated_data["allow_duplicates"]
        )
        return _case_out(request, case, status.HTTP_201_CREATED)

    @extend_schema(tags=INTAKE_TAG, request=s.CaseReasonInSerializer, responses={200: s.ApplicationOutSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CaseReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        app = app_intake.application_reject(
            actor=_actor(request), application=self.get_object(), reason=ser.validated_data["reason"]
        )
        return Response(s.ApplicationOutSerializer(app).data)

    @extend_schema(tags=INTAKE_TAG, request=s.CaseReasonInSerializer, responses={200: s.ApplicationOutSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CaseReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        app = app_intake.application_withdraw(
            actor=_actor(request), application=self.get_object(), reason=ser.validated_data["reason"]
        )
        return Response(s.ApplicationOutSerializer(app).data)

    @extend_schema(
        tags=INTAKE_TAG,
        request={"multipart/form-data": s.AuthorisationInSerializer, "application/json": s.AuthorisationInSerializer},
        responses={200: s.AuthorisationOutSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def authorisations(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        require_household_editor(_actor(request))
        ser = s.AuthorisationInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        member = get_object_or_404(Member, pk=v["member"], household_id=application.household_id, active=True)
        auth = app_intake.authorisation_record(
            actor=_actor(request),
            application=application,
            member=member,
            signed=v["signed"],
            signed_on=v.get("signed_on"),
            scan=v.get("scan"),
        )
        return Response(s.AuthorisationOutSerializer(auth).data)


class CaseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Case]):
    """Cases of the caller's area. Each POST action is one step of DOMAIN §6 through its service."""

    serializer_class = s.CaseListOutSerializer

    def get_queryset(self) -> QuerySet[Case]:
        qs = selectors.cases_visible_to(self.request.user)
        params = self.request.query_params
        if params.get("mine") == "1":
            qs = selectors.case_queue(self.request.user, today=timezone.localdate())  # type: ignore[arg-type]
        if params.get("overdue") == "1":
            qs = selectors.overdue_cases(self.request.user, today=timezone.localdate())
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("q"):
            qs = selectors.case_search(qs, params["q"])
        return qs.order_by("-accepted_on", "-id")

    def _case(self, pk: str | None) -> Case:
        return get_object_or_404(selectors.cases_visible_to(self.request.user), pk=pk)

    @extend_schema(
        tags=CASE_TAG,
        parameters=[
            OpenApiParameter("q", str, description="受理编号/姓名/脱敏证件号/完整证件号"),
            OpenApiParameter("status", str),
            OpenApiParameter("mine", str, description="1 = 待我处理"),
            OpenApiParameter("overdue", str, description="1 = 逾期"),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=CASE_TAG, responses={200: s.CaseDetailOutSerializer})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return _case_out(request, self._case(pk))

    @extend_schema(tags=CASE_TAG, request=s.CheckStartInSerializer, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CheckStartInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = self._case(pk)
        purpose = ser.validated_data.get("purpose") or ""
        if purpose:
            check_start(actor=_actor(request), case=case, purpose=purpose)
        else:
            check_start(actor=_actor(request), case=case)
        return _case_out(request, case)

    @extend_schema(
        tags=CASE_TAG,
        request={"application/json": s.InvestigationInSerializer, "multipart/form-data": s.InvestigationInSerializer},
        responses={200: s.CaseDetailOutSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def investigation(self, request: Request, pk: str | None = None) -> Response:
        ser = s.InvestigationInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        case = self._case(pk)
        investigation.investigation_record(
            actor=_actor(request),
            case=case,
            visited_on=v["visited_on"],
            investigator_ids=v["investigators"],
            findings=v["findings"],
            adopt=v.get("adopt", []),
            photos=v.get("photos", []),
        )
        return _case_out(request, case)

    @extend_schema(tags=CASE_TAG, request=s.OpinionInSerializer, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"])
    def opinion(self, request: Request, pk: str | None = None) -> Response:
        ser = s.OpinionInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = self._case(pk)
        review.opinion_issue(actor=_actor(request), case=case, **ser.validated_data)
        return _case_out(request, case)

    @extend_schema(tags=CASE_TAG, request=s.CaseReasonInSerializer, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"])
    def reinvestigate(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CaseReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = self._case(pk)
        review.case_reinvestigate(actor=_actor(request), case=case, reason=ser.validated_data["reason"])
        return _case_out(request, case)

    @extend_schema(tags=CASE_TAG, request=s.CaseReasonInSerializer, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"], url_path="revise-opinion")
    def revise_opinion(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CaseReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = self._case(pk)
        review.opinion_revise(actor=_actor(request), case=case, reason=ser.validated_data["reason"])
        return _case_out(request, case)

    @extend_schema(tags=CASE_TAG, request=s.NoticeInSerializer, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"])
    def notice(self, request: Request, pk: str | None = None) -> Response:
        ser = s.NoticeInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = self._case(pk)
        notice.notice_publish(actor=_actor(request), case=case, starts_on=ser.validated_data.get("starts_on"))
        return _case_out(request, case)

    @extend_schema(tags=CASE_TAG, request=s.ObjectionInSerializer, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"])
    def objection(self, request: Request, pk: str | None = None) -> Response:
        ser = s.ObjectionInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = self._case(pk)
        notice.objection_record(actor=_actor(request), case=case, **ser.validated_data)
        return _case_out(request, case)

    @extend_schema(tags=CASE_TAG, request=None, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"], url_path="close-notice")
    def close_notice(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        notice.notice_close(actor=_actor(request), case=case)
        return _case_out(request, case)

    @extend_schema(tags=CASE_TAG, request=s.ConfirmInSerializer, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        ser = s.ConfirmInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = self._case(pk)
        # Approval and enrolment (issue 5) in one transaction.
        enrolment.case_confirm_and_enrol(actor=_actor(request), case=case, note=ser.validated_data["note"])
        return _case_out(request, case)

    @extend_schema(tags=CASE_TAG, request=s.RefuseInSerializer, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        ser = s.RefuseInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = self._case(pk)
        review.case_refuse(actor=_actor(request), case=case, reasons=ser.validated_data["reasons"])
        return _case_out(request, case)

    @extend_schema(tags=CASE_TAG, request=s.CaseReasonInSerializer, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CaseReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = self._case(pk)
        review.case_send_back(actor=_actor(request), case=case, reason=ser.validated_data["reason"])
        return _case_out(request, case)

    @extend_schema(tags=CASE_TAG, request=s.CaseReasonInSerializer, responses={200: s.CaseDetailOutSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CaseReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = self._case(pk)
        review.case_withdraw(actor=_actor(request), case=case, reason=ser.validated_data["reason"])
        return _case_out(request, case)

    @idempotent
    @extend_schema(tags=EMERGENCY_TAG, request=s.EmergencyPayInSerializer, responses={201: s.PaymentOutSerializer})
    @action(detail=True, methods=["post"], url_path="emergency-payment")
    def emergency_payment(self, request: Request, pk: str | None = None) -> Response:
        ser = s.EmergencyPayInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        payment = emergency.emergency_pay(actor=_actor(request), case=self._case(pk), **ser.validated_data)
        return Response(s.PaymentOutSerializer(payment).data, status=status.HTTP_201_CREATED)


class EmergencyPaymentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[EmergencyPayment]):
    serializer_class = s.PaymentOutSerializer

    def get_queryset(self) -> QuerySet[EmergencyPayment]:
        from accounts.selectors import scope_by_region

        qs = EmergencyPayment.objects.select_related("case").order_by("-requested_at", "-id")
        return scope_by_region(qs, self.request.user, "case__street__code")

    @extend_schema(tags=EMERGENCY_TAG, request=s.CountyDecisionInSerializer, responses={200: s.PaymentOutSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CountyDecisionInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        payment = emergency.emergency_payment_county_decide(
            actor=_actor(request), payment=self.get_object(), **ser.validated_data
        )
        return Response(s.PaymentOutSerializer(payment).data)


class PublicEmergencyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[PublicEmergency]
):
    serializer_class = s.PublicEmergencyOutSerializer

    def get_queryset(self) -> QuerySet[PublicEmergency]:
        return selectors.public_emergencies_visible_to(self.request.user)

    @extend_schema(
        tags=EMERGENCY_TAG, request=s.PublicEmergencyInSerializer, responses={201: s.PublicEmergencyOutSerializer}
    )
    def create(self, request: Request) -> Response:
        ser = s.PublicEmergencyInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        declared = emergency.public_emergency_declare(actor=_actor(request), **ser.validated_data)
        return Response(s.PublicEmergencyOutSerializer(declared).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=EMERGENCY_TAG, responses={200: s.CaseListOutSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def cases(self, request: Request, pk: str | None = None) -> Response:
        declared = self.get_object()
        qs = selectors.cases_visible_to(request.user).filter(public_emergency=declared)
        return Response(s.CaseListOutSerializer(qs, many=True).data)


class ReserveFundViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[ReserveFund]):
    serializer_class = s.ReserveFundOutSerializer
    lookup_field = "street"

    def get_queryset(self) -> QuerySet[ReserveFund]:
        return selectors.reserve_funds_visible_to(self.request.user)

    @idempotent
    @extend_schema(tags=EMERGENCY_TAG, request=s.TopUpInSerializer, responses={201: s.LedgerOutSerializer})
    @action(detail=True, methods=["post"], url_path="top-up")
    def top_up(self, request: Request, street: str | None = None) -> Response:
        region = get_object_or_404(streets_visible_to(request.user), code=street)
        ser = s.TopUpInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        entry = emergency.reserve_fund_top_up(actor=_actor(request), street=region, **ser.validated_data)
        return Response(s.LedgerOutSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=EMERGENCY_TAG, responses={200: s.LedgerOutSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)  # the newest 200 entries, one page
    def ledger(self, request: Request, street: str | None = None) -> Response:
        fund = self.get_object()
        return Response(s.LedgerOutSerializer(fund.entries.order_by("-at", "-id")[:200], many=True).data)
