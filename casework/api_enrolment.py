"""REST endpoints of issue 5 (under /api/v1/): enrolments, payment rolls, re-verification runs and
schedules, review tasks, monitoring alerts and active-discovery leads.

Views validate (explicit input serializers), services decide; every queryset is scoped by region
(another street's roll or review task is a 404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a malformed id: 404, not 500
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import staff_user
from accounts.idempotency import idempotent
from accounts.models import Region
from accounts.selectors import streets_visible_to
from applications.selectors import households_visible_to
from casework import exports
from casework.models.enrolment import Enrolment, EnrolmentPeriod
from casework.models.monitoring import Alert, Difficulty, DiscoveryLead, LeadStatus, ReporterRole
from casework.models.payments import PaymentRoll, RollLine
from casework.models.reverification import ReverificationRun, ReviewOutcome, ReviewTask, RunKind
from casework.services import enrolment as enrolment_svc
from casework.services import monitoring as monitoring_svc
from casework.services import payments as payments_svc
from casework.services import reverification as reverification_svc
from casework.views.reverification import schedules

TAG = ["enrolment"]
MONITORING_TAG = ["monitoring"]

# --- output serializers -------------------------------------------------------------------------------


class PeriodOutSerializer(serializers.ModelSerializer[EnrolmentPeriod]):
    class Meta:
        model = EnrolmentPeriod
        fields = [
            "id",
            "seq",
            "kind",
            "tier",
            "monthly_amount",
            "start_month",
            "end_month",
            "members",
            "parameters_used",
            "earned_income",
            "decision",
            "review_task",
            "reason",
            "created_at",
        ]


class EnrolmentOutSerializer(serializers.ModelSerializer[Enrolment]):
    periods = PeriodOutSerializer(many=True, read_only=True)

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "household",
            "street",
            "case",
            "status",
            "tier",
            "monthly_amount",
            "start_month",
            "end_month",
            "review_interval_months",
            "next_review_due",
            "last_verified_on",
            "periods",
        ]


class RollLineOutSerializer(serializers.ModelSerializer[RollLine]):
    class Meta:
        model = RollLine
        fields = [
            "id",
            "kind",
            "household",
            "payee_name",
            "id_masked",
            "community_name",
            "tier",
            "amount",
            "bank_name",
            "account_masked",
        ]


class RollOutSerializer(serializers.ModelSerializer[PaymentRoll]):
    totals = serializers.SerializerMethodField()

    class Meta:
        model = PaymentRoll
        fields = [
            "id",
            "street",
            "month",
            "status",
            "generated_at",
            "line_count",
            "total_amount",
            "totals",
            "locked_at",
            "locked_by",
        ]

    def get_totals(self, roll: PaymentRoll) -> dict[str, Any]:
        return payments_svc.roll_totals(roll)


class RollDetailOutSerializer(RollOutSerializer):
    lines = RollLineOutSerializer(many=True, read_only=True)

    class Meta(RollOutSerializer.Meta):
        fields = [*RollOutSerializer.Meta.fields, "lines"]


class RunOutSerializer(serializers.ModelSerializer[ReverificationRun]):
    class Meta:
        model = ReverificationRun
        fields = [
            "id",
            "kind",
            "as_of",
            "scope_code",
            "trigger",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "seconds",
            "chunks_total",
            "chunks_done",
            "households_total",
            "checked",
            "unchanged",
            "changed",
            "failed",
        ]


class ReviewTaskOutSerializer(serializers.ModelSerializer[ReviewTask]):
    class Meta:
        model = ReviewTask
        fields = [
            "id",
            "run",
            "enrolment",
            "household",
            "street",
            "trigger",
            "status",
            "proposed_outcome",
            "old_tier",
            "old_amount",
            "new_tier",
            "new_amount",
            "employment_driven",
            "discrepancies",
            "as_of",
            "created_at",
            "outcome",
            "reason",
            "final_amount",
            "effective_month",
            "last_paid_month",
            "document_no",
            "resolved_by",
            "resolved_on",
        ]


class AlertOutSerializer(serializers.ModelSerializer[Alert]):
    rule_label = serializers.CharField(source="rule.label", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "rule_label",
            "household",
            "member",
            "street",
            "message",
            "facts",
            "status",
            "created_at",
            "handled_by",
            "handled_at",
            "handling_note",
        ]


class LeadOutSerializer(serializers.ModelSerializer[DiscoveryLead]):
    subject_phone = serializers.CharField(source="subject_phone_masked", read_only=True)

    class Meta:
        model = DiscoveryLead
        fields = [
            "id",
            "street",
            "community",
            "household",
            "subject_name",
            "subject_phone",
            "address",
            "difficulties",
            "description",
            "urgent",
            "reporter_name",
            "reporter_role",
            "reported_on",
            "follow_up_due",
            "due_provisional",
            "status",
            "follow_up_note",
        ]


# --- input serializers ----------------------------------------------------------------------------------


class ReasonInSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class GenerateInSerializer(serializers.Serializer[Any]):
    street = serializers.CharField(max_length=12)
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", error_messages={"invalid": "月份格式应为 YYYY-MM。"})


class RunInSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=[RunKind.SCHEDULED, RunKind.FULL])
    scope = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    as_of = serializers.DateField(required=False)


class ResolveInSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    monthly_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)


class NoteInSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LeadInSerializer(serializers.Serializer[Any]):
    community = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    household = serializers.IntegerField(required=False, allow_null=True)
    subject_name = serializers.CharField(max_length=32)
    subject_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200)
    difficulties = serializers.ListField(child=serializers.ChoiceField(choices=Difficulty.choices), allow_empty=False)
    description = serializers.CharField(max_length=1000)
    urgent = serializers.BooleanField(required=False, default=False)
    reporter_name = serializers.CharField(max_length=32)
    reporter_role = serializers.ChoiceField(choices=ReporterRole.choices)


class FollowUpInSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=[s for s in LeadStatus.values if s != LeadStatus.OPEN])
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


# --- viewsets -------------------------------------------------------------------------------------------


class EnrolmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Enrolment]):
    serializer_class = EnrolmentOutSerializer
    filterset_fields = ["status", "tier", "household"]

    def get_queryset(self) -> QuerySet[Enrolment]:
        return enrolment_svc.enrolments_visible_to(self.request.user).prefetch_related("periods").order_by("id")

    @idempotent
    @extend_schema(tags=TAG, request=ReasonInSerializer, responses={201: None})
    @action(detail=True, methods=["post"])
    def bridging(self, request: Request, pk: str | None = None) -> Response:
        ser = ReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        payment = enrolment_svc.bridging_grant(
            actor=staff_user(request), enrolment=self.get_object(), reason=ser.validated_data["reason"]
        )
        return Response(
            {"amount": f"{payment.amount:.2f}", "pay_from_month": payment.pay_from_month.isoformat()},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(tags=TAG, request=ReasonInSerializer, responses={202: RunOutSerializer})
    @action(detail=True, methods=["post"])
    def recheck(self, request: Request, pk: str | None = None) -> Response:
        ser = ReasonInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        run = reverification_svc.reverification_request(
            actor=staff_user(request), household=self.get_object().household, reason=ser.validated_data["reason"]
        )
        return Response(RunOutSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class PaymentRollViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[PaymentRoll]):
    filterset_fields = ["status", "street", "month"]

    def get_queryset(self) -> QuerySet[PaymentRoll]:
        qs = payments_svc.rolls_visible_to(self.request.user)
        if self.action == "retrieve":
            qs = qs.prefetch_related("lines")
        return qs

    def get_serializer_class(self) -> Any:
        return RollDetailOutSerializer if self.action == "retrieve" else RollOutSerializer

    @idempotent
    @extend_schema(tags=TAG, request=GenerateInSerializer, responses={201: RollOutSerializer, 200: RollOutSerializer})
    def create(self, request: Request) -> Response:
        """Generate (or complete) the roll of a street and month — idempotent."""
        ser = GenerateInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = staff_user(request)
        street = get_object_or_404(streets_visible_to(user), code=ser.validated_data["street"])
        year, month = (int(x) for x in ser.validated_data["month"].split("-"))
        existed = PaymentRoll.objects.filter(street=street, month=dt.date(year, month, 1)).exists()
        roll = payments_svc.payment_roll_generate(street=street, month=dt.date(year, month, 1), actor=user)
        return Response(RollOutSerializer(roll).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(tags=TAG, request=None, responses={200: RollOutSerializer})
    @action(detail=True, methods=["post"])
    def lock(self, request: Request, pk: str | None = None) -> Response:
        roll = payments_svc.payment_roll_lock(actor=staff_user(request), roll=self.get_object())
        return Response(RollOutSerializer(roll).data)

    @extend_schema(tags=TAG, responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def xlsx(self, request: Request, pk: str | None = None) -> HttpResponse:
        roll = self.get_object()
        response = HttpResponse(
            exports.roll_xlsx(roll), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{exports.roll_filename(roll, "xlsx")}"'
        return response

    @extend_schema(tags=TAG, responses={(200, "text/csv"): str})
    @action(detail=True, methods=["get"])
    def csv(self, request: Request, pk: str | None = None) -> HttpResponse:
        roll = self.get_object()
        response = HttpResponse(exports.roll_csv(roll), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exports.roll_filename(roll, "csv")}"'
        return response


class ReverificationRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ReverificationRun]
):
    serializer_class = RunOutSerializer
    filterset_fields = ["status", "kind"]

    def get_queryset(self) -> QuerySet[ReverificationRun]:
        return reverification_svc.runs_visible_to(self.request.user)

    @extend_schema(tags=TAG, request=RunInSerializer, responses={202: RunOutSerializer})
    def create(self, request: Request) -> Response:
        ser = RunInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        run = reverification_svc.reverification_run_create(
            kind=v["kind"],
            as_of=v.get("as_of") or timezone.localdate(),
            actor=staff_user(request),
            scope_code=v["scope"],
            trigger="API",
        )
        return Response(RunOutSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(tags=TAG, request=None, responses={200: RunOutSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        reverification_svc.reverification_run_resume(run=run, actor=staff_user(request))
        run.refresh_from_db()
        return Response(RunOutSerializer(run).data)


class ScheduleView(APIView):
    """The re-verification, payment-roll and monitoring schedules (django-celery-beat)."""

    @extend_schema(tags=TAG, responses={200: serializers.ListSerializer(child=serializers.DictField())})
    def get(self, request: Request) -> Response:
        rows = schedules()
        for row in rows:
            row["last_run_at"] = row["last_run_at"].isoformat() if row["last_run_at"] else None
        return Response(rows)


class ReviewTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ReviewTask]):
    serializer_class = ReviewTaskOutSerializer
    filterset_fields = ["status", "proposed_outcome", "trigger", "run"]

    def get_queryset(self) -> QuerySet[ReviewTask]:
        return reverification_svc.review_tasks_visible_to(self.request.user).order_by("-created_at", "-id")

    @extend_schema(tags=TAG, request=ResolveInSerializer, responses={200: ReviewTaskOutSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        ser = ResolveInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        task = reverification_svc.review_task_resolve(
            actor=staff_user(request),
            task=self.get_object(),
            outcome=v["outcome"],
            reason=v["reason"],
            monthly_amount=v.get("monthly_amount"),
        )
        return Response(ReviewTaskOutSerializer(task).data)


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Alert]):
    serializer_class = AlertOutSerializer
    filterset_fields = ["status", "rule", "household"]

    def get_queryset(self) -> QuerySet[Alert]:
        return monitoring_svc.alerts_visible_to(self.request.user)

    @extend_schema(tags=MONITORING_TAG, request=NoteInSerializer, responses={200: AlertOutSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        ser = NoteInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        alert = monitoring_svc.alert_dismiss(
            actor=staff_user(request), alert=self.get_object(), note=ser.validated_data["note"]
        )
        return Response(AlertOutSerializer(alert).data)

    @extend_schema(tags=MONITORING_TAG, request=None, responses={200: AlertOutSerializer})
    @action(detail=True, methods=["post"])
    def application(self, request: Request, pk: str | None = None) -> Response:
        alert = monitoring_svc.alert_to_application(actor=staff_user(request), alert=self.get_object())
        data = AlertOutSerializer(alert).data
        data["intake_url"] = f"/intake/?household={alert.household_id}"
        return Response(data)


class DiscoveryLeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[DiscoveryLead]):
    serializer_class = LeadOutSerializer
    filterset_fields = ["status", "urgent"]

    def get_queryset(self) -> QuerySet[DiscoveryLead]:
        return monitoring_svc.leads_visible_to(self.request.user)

    @extend_schema(tags=MONITORING_TAG, request=LeadInSerializer, responses={201: LeadOutSerializer})
    def create(self, request: Request) -> Response:
        ser = LeadInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        user = staff_user(request)
        street = get_object_or_404(streets_visible_to(user), code=user.region_id)
        community = (
            get_object_or_404(Region.objects.filter(level=Region.Level.COMMUNITY), code=v["community"])
            if v["community"]
            else None
        )
        household = get_object_or_404(households_visible_to(user), pk=v["household"]) if v.get("household") else None
        lead = monitoring_svc.lead_report(
            actor=user,
            street=street,
            community=community,
            subject_name=v["subject_name"],
            subject_phone=v["subject_phone"],
            address=v["address"],
            difficulties=list(v["difficulties"]),
            description=v["description"],
            urgent=v["urgent"],
            reporter_name=v["reporter_name"],
            reporter_role=v["reporter_role"],
            household=household,
        )
        return Response(LeadOutSerializer(lead).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=MONITORING_TAG, request=FollowUpInSerializer, responses={200: LeadOutSerializer})
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request: Request, pk: str | None = None) -> Response:
        ser = FollowUpInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        lead = monitoring_svc.lead_follow_up(
            actor=staff_user(request),
            lead=self.get_object(),
            status=ser.validated_data["status"],
            note=ser.validated_data["note"],
        )
        return Response(LeadOutSerializer(lead).data)


def register(router: Any) -> None:
    router.register("enrolments", EnrolmentViewSet, basename="enrolment")
    router.register("payment-rolls", PaymentRollViewSet, basename="payment-roll")
    router.register("reverification-runs", ReverificationRunViewSet, basename="reverification-run")
    router.register("review-tasks", ReviewTaskViewSet, basename="review-task")
    router.register("alerts", AlertViewSet, basename="alert")
    router.register("discovery-leads", DiscoveryLeadViewSet, basename="discovery-lead")
