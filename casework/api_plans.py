"""REST endpoints of plans, purchased services, referrals, conferences, volunteers, facilities and
stranded persons (router appended to ``casework.api_urls``).

Querysets come from ``casework.selectors_plans`` (``cases_for_user`` for everything linked to a
case): another street's record, or a case not assigned to the calling social worker, is a 404.
Input ids are resolved through the same scoped querysets; the services decide.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a malformed id: 404, not 500
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts.api import staff_user
from accounts.models import Region, Role, User
from casework import selectors_plans as sel
from casework import serializers_plans as s
from casework.models import Case
from casework.models.facilities import CareFacility
from casework.models.plans import InKindItem
from casework.models.referrals import CaseConference, Referral, referral_overdue_q
from casework.models.services_catalogue import DeliveryRecord, ServiceContract, ServiceItem, ServiceOrder
from casework.models.stranded import StrandedPerson
from casework.models.volunteers import Volunteer, VolunteerTask
from casework.services import conference, facilities, referrals, stranded, volunteers
from casework.services import plans as plan_services
from casework.services import services_catalogue as svc

PLAN_TAG = ["assistance-plans"]
SERVICE_TAG = ["purchased-services"]
REFERRAL_TAG = ["referrals"]
VOLUNTEER_TAG = ["volunteers"]
FACILITY_TAG = ["care-facilities"]
STRANDED_TAG = ["stranded-persons"]
CASE_PARAM = OpenApiParameter("case", int, description="案件编号")


def _case(request: Request, pk: Any) -> Case:
    return get_object_or_404(sel.cases_for_user(request.user), pk=pk)


def _by_case(qs: QuerySet[Any], request: Request) -> QuerySet[Any]:
    case = request.query_params.get("case")
    return qs.filter(case_id=case) if case and case.isdigit() else qs


def plan_overview(case: Case, user: User) -> dict[str, Any]:
    plan = sel.plan_for(case)
    decision = getattr(case, "decision", None)
    paid = case.emergency_payments.filter(status="paid").aggregate(s=Sum("amount"))["s"] or Decimal("0")
    cash = None
    if decision is not None and decision.outcome == "approved":
        cash = {
            "tier": decision.tier,
            "monthly_amount": decision.monthly_amount,
            "one_off_amount": decision.one_off_amount,
            "start_month": decision.start_month,
            "emergency_paid": paid,
        }
    return {
        "case": case.pk,
        "receipt_no": case.receipt_no,
        "street": case.street_id,
        "service_brand": case.street.service_brand,
        "goals": plan.goals if plan else "",
        "cash": cash,
        "in_kind": list(plan.in_kind_items.all()) if plan else [],
        "services": list(sel.service_orders_visible_to(user).filter(case=case)),
        "special": list(plan.special_items.all()) if plan else [],
        "social_workers": list(sel.active_assignments(case)),
    }


class PlanViewSet(viewsets.GenericViewSet[Case]):
    """救助方案 of a case (looked up by case id): cash from the decision, in-kind items, services."""

    serializer_class = s.PlanOutSerializer

    def get_queryset(self) -> QuerySet[Case]:
        return sel.cases_for_user(self.request.user).filter(plan__isnull=False).order_by("-accepted_on", "-id")

    def _out(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        fresh = _case(self.request, case.pk)
        return Response(s.PlanOutSerializer(plan_overview(fresh, staff_user(self.request))).data, status=code)

    @extend_schema(tags=PLAN_TAG, responses={200: s.PlanOutSerializer(many=True)})
    def list(self, request: Request) -> Response:
        cases = self.paginate_queryset(self.get_queryset())
        user = staff_user(request)
        data = s.PlanOutSerializer([plan_overview(c, user) for c in cases or []], many=True).data
        return self.get_paginated_response(data)

    @extend_schema(tags=PLAN_TAG, responses={200: s.PlanOutSerializer})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._out(_case(request, pk))

    @extend_schema(tags=PLAN_TAG, request=s.PlanCreateInSerializer, responses={201: s.PlanOutSerializer})
    def create(self, request: Request) -> Response:
        ser = s.PlanCreateInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = _case(request, ser.validated_data["case"])
        plan_services.plan_create(actor=staff_user(request), case=case, goals=ser.validated_data["goals"])
        return self._out(case, status.HTTP_201_CREATED)

    @extend_schema(tags=PLAN_TAG, request=s.InKindInSerializer, responses={201: s.InKindOutSerializer})
    @action(detail=True, methods=["post"], url_path="in-kind")
    def in_kind(self, request: Request, pk: str | None = None) -> Response:
        ser = s.InKindInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        item = plan_services.in_kind_add(actor=staff_user(request), case=_case(request, pk), **ser.validated_data)
        return Response(s.InKindOutSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=PLAN_TAG, request=s.SpecialInSerializer, responses={201: s.SpecialOutSerializer})
    @action(detail=True, methods=["post"])
    def special(self, request: Request, pk: str | None = None) -> Response:
        ser = s.SpecialInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        item = plan_services.special_assistance_add(
            actor=staff_user(request), case=_case(request, pk), **ser.validated_data
        )
        return Response(s.SpecialOutSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=PLAN_TAG, request=s.AssignInSerializer, responses={201: s.AssignmentOutSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        ser = s.AssignInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = _case(request, pk)
        worker = get_object_or_404(User, pk=ser.validated_data["social_worker"], region_id=case.street_id)
        assignment = plan_services.case_assign_social_worker(
            actor=staff_user(request), case=case, social_worker=worker, note=ser.validated_data["note"]
        )
        return Response(s.AssignmentOutSerializer(assignment).data, status=status.HTTP_201_CREATED)


class InKindItemViewSet(viewsets.GenericViewSet[InKindItem]):
    serializer_class = s.InKindOutSerializer

    def get_queryset(self) -> QuerySet[InKindItem]:
        return InKindItem.objects.filter(plan__case__in=sel.cases_for_user(self.request.user).values("pk"))

    @extend_schema(tags=PLAN_TAG, request=s.DeliverInSerializer, responses={200: s.InKindOutSerializer})
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str | None = None) -> Response:
        ser = s.DeliverInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        item = plan_services.in_kind_deliver(actor=staff_user(request), item=self.get_object(), **ser.validated_data)
        return Response(s.InKindOutSerializer(item).data)


class ServiceOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ServiceOrder]):
    serializer_class = s.ServiceOrderOutSerializer

    def get_queryset(self) -> QuerySet[ServiceOrder]:
        return _by_case(sel.service_orders_visible_to(self.request.user), self.request).order_by("-ordered_at", "-id")

    @extend_schema(tags=SERVICE_TAG, parameters=[CASE_PARAM])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=SERVICE_TAG)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(tags=SERVICE_TAG, request=s.ServiceOrderInSerializer, responses={201: s.ServiceOrderOutSerializer})
    def create(self, request: Request) -> Response:
        ser = s.ServiceOrderInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        user = staff_user(request)
        order = svc.service_order_create(
            actor=user,
            case=_case(request, v["case"]),
            contract=get_object_or_404(sel.contracts_visible_to(user), pk=v["contract"]),
            service=get_object_or_404(ServiceItem, pk=v["service"]),
            quantity=v["quantity"],
            note=v["note"],
        )
        return Response(s.ServiceOrderOutSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=SERVICE_TAG, request=s.CancelInSerializer, responses={200: s.ServiceOrderOutSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        ser = s.CancelInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        order = svc.service_order_cancel(actor=staff_user(request), order=self.get_object(), **ser.validated_data)
        return Response(s.ServiceOrderOutSerializer(order).data)


class DeliveryRecordViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[DeliveryRecord]):
    serializer_class = s.DeliveryOutSerializer

    def get_queryset(self) -> QuerySet[DeliveryRecord]:
        return _by_case(sel.deliveries_visible_to(self.request.user), self.request)

    @extend_schema(tags=SERVICE_TAG, parameters=[CASE_PARAM])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=SERVICE_TAG, request=s.DeliveryInSerializer, responses={201: s.DeliveryOutSerializer})
    def create(self, request: Request) -> Response:
        ser = s.DeliveryInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = dict(ser.validated_data)
        case = _case(request, v.pop("case"))
        order_id = v.pop("order")
        order = get_object_or_404(ServiceOrder, pk=order_id, case=case) if order_id else None
        record = svc.delivery_record(actor=staff_user(request), case=case, order=order, **v)
        return Response(s.DeliveryOutSerializer(record).data, status=status.HTTP_201_CREATED)


class ServiceContractViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ServiceContract]
):
    """Contracts with completion (orders delivered / ordered) and evaluations, for the county."""

    serializer_class = s.ContractOutSerializer

    def get_queryset(self) -> QuerySet[ServiceContract]:
        return sel.contracts_visible_to(self.request.user).prefetch_related("evaluations__evaluated_by")

    @extend_schema(tags=SERVICE_TAG)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=SERVICE_TAG)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(tags=SERVICE_TAG, request=s.EvaluationInSerializer, responses={201: s.EvaluationOutSerializer})
    @action(detail=True, methods=["post"])
    def evaluate(self, request: Request, pk: str | None = None) -> Response:
        ser = s.EvaluationInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        evaluation = svc.contract_evaluate(actor=staff_user(request), contract=self.get_object(), **ser.validated_data)
        return Response(s.EvaluationOutSerializer(evaluation).data, status=status.HTTP_201_CREATED)


class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Referral]):
    """转介 with the life cycle drafted → sent → acknowledged → answered → closed."""

    serializer_class = s.ReferralOutSerializer

    def get_queryset(self) -> QuerySet[Referral]:
        qs = _by_case(sel.referrals_visible_to(self.request.user), self.request).prefetch_related("events__actor")
        params = self.request.query_params
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("overdue") == "1":
            qs = qs.filter(referral_overdue_q(timezone.localdate()))
        return qs

    @extend_schema(
        tags=REFERRAL_TAG,
        parameters=[
            CASE_PARAM,
            OpenApiParameter("status", str),
            OpenApiParameter("overdue", str, description="1 = 逾期未答复"),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=REFERRAL_TAG)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(tags=REFERRAL_TAG, request=s.ReferralInSerializer, responses={201: s.ReferralOutSerializer})
    def create(self, request: Request) -> Response:
        ser = s.ReferralInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        case = _case(request, v["case"])
        meeting = get_object_or_404(CaseConference, pk=v["conference"], case=case) if v["conference"] else None
        referral = referrals.referral_create(
            actor=staff_user(request),
            case=case,
            target_kind=v["target_kind"],
            target=v["target"],
            need=v["need"],
            conference=meeting,
        )
        return self._out(referral, status.HTTP_201_CREATED)

    def _out(self, referral: Referral, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=referral.pk)
        return Response(s.ReferralOutSerializer(fresh).data, status=code)

    def _step(self, request: Request, pk: str | None, name: str, serializer: type[Any]) -> Response:
        ser = serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        referral = referrals.referral_act(
            actor=staff_user(request), referral=self.get_object(), action=name, **ser.validated_data
        )
        return self._out(referral)

    @extend_schema(tags=REFERRAL_TAG, request=s.ReferralStepInSerializer, responses={200: s.ReferralOutSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, pk, "send", s.ReferralStepInSerializer)

    @extend_schema(tags=REFERRAL_TAG, request=s.ReferralStepInSerializer, responses={200: s.ReferralOutSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, pk, "acknowledge", s.ReferralStepInSerializer)

    @extend_schema(tags=REFERRAL_TAG, request=s.ReferralAnswerInSerializer, responses={200: s.ReferralOutSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, pk, "answer", s.ReferralAnswerInSerializer)

    @extend_schema(tags=REFERRAL_TAG, request=s.ReferralStepInSerializer, responses={200: s.ReferralOutSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, pk, "close", s.ReferralStepInSerializer)

    @extend_schema(tags=REFERRAL_TAG, request=s.ReferralStepInSerializer, responses={200: s.ReferralOutSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, pk, "withdraw", s.ReferralStepInSerializer)


class ConferenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[CaseConference]):
    serializer_class = s.ConferenceOutSerializer

    def get_queryset(self) -> QuerySet[CaseConference]:
        return _by_case(sel.conferences_visible_to(self.request.user), self.request)

    @extend_schema(tags=REFERRAL_TAG, parameters=[CASE_PARAM])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=REFERRAL_TAG)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(tags=REFERRAL_TAG, request=s.ConferenceInSerializer, responses={201: s.ConferenceOutSerializer})
    def create(self, request: Request) -> Response:
        ser = s.ConferenceInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = dict(ser.validated_data)
        case = _case(request, v.pop("case"))
        meeting = conference.conference_record(actor=staff_user(request), case=case, **v)
        return Response(s.ConferenceOutSerializer(meeting).data, status=status.HTTP_201_CREATED)


def _own_street(user: User) -> Region:
    return get_object_or_404(Region, code=user.region_id or "-", level=Region.Level.STREET)


class VolunteerViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Volunteer]):
    serializer_class = s.VolunteerOutSerializer

    def get_queryset(self) -> QuerySet[Volunteer]:
        return sel.volunteers_visible_to(self.request.user)

    @extend_schema(tags=VOLUNTEER_TAG)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=VOLUNTEER_TAG, request=s.VolunteerInSerializer, responses={201: s.VolunteerOutSerializer})
    def create(self, request: Request) -> Response:
        ser = s.VolunteerInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = staff_user(request)
        volunteer = volunteers.volunteer_register(actor=user, street=_own_street(user), **ser.validated_data)
        fresh = self.get_queryset().get(pk=volunteer.pk)
        return Response(s.VolunteerOutSerializer(fresh).data, status=status.HTTP_201_CREATED)


class VolunteerTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[VolunteerTask]):
    serializer_class = s.VolunteerTaskOutSerializer

    def get_queryset(self) -> QuerySet[VolunteerTask]:
        return sel.volunteer_tasks_visible_to(self.request.user).prefetch_related("volunteers", "hours__volunteer")

    @extend_schema(tags=VOLUNTEER_TAG)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=VOLUNTEER_TAG)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        tags=VOLUNTEER_TAG, request=s.VolunteerTaskInSerializer, responses={201: s.VolunteerTaskOutSerializer}
    )
    def create(self, request: Request) -> Response:
        ser = s.VolunteerTaskInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        user = staff_user(request)
        street = _own_street(user)
        chosen = list(sel.volunteers_visible_to(user).filter(pk__in=v["volunteers"]))
        if len(chosen) != len(set(v["volunteers"])):
            return Response({"volunteers": [_("志愿者不存在或不在本街道。")]}, status=status.HTTP_400_BAD_REQUEST)
        task = volunteers.volunteer_task_create(
            actor=user,
            street=street,
            social_worker=get_object_or_404(User, pk=v["social_worker"], role=Role.SOCIAL_WORKER),
            title=v["title"],
            description=v["description"],
            scheduled_on=v["scheduled_on"],
            volunteers=chosen,
            case=_case(request, v["case"]) if v["case"] else None,
        )
        return Response(s.VolunteerTaskOutSerializer(self.get_queryset().get(pk=task.pk)).data, status=201)

    @extend_schema(
        tags=VOLUNTEER_TAG, request=s.VolunteerHoursInSerializer, responses={201: s.VolunteerTaskOutSerializer}
    )
    @action(detail=True, methods=["post"])
    def hours(self, request: Request, pk: str | None = None) -> Response:
        ser = s.VolunteerHoursInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = dict(ser.validated_data)
        task = self.get_object()
        volunteer = get_object_or_404(Volunteer, pk=v.pop("volunteer"), street_id=task.street_id)
        volunteers.volunteer_hours_record(actor=staff_user(request), task=task, volunteer=volunteer, **v)
        return Response(s.VolunteerTaskOutSerializer(self.get_queryset().get(pk=task.pk)).data, status=201)

    @extend_schema(tags=VOLUNTEER_TAG, request=None, responses={200: s.VolunteerTaskOutSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        task = volunteers.volunteer_task_close(actor=staff_user(request), task=self.get_object())
        return Response(s.VolunteerTaskOutSerializer(self.get_queryset().get(pk=task.pk)).data)


class FacilityViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[CareFacility]):
    serializer_class = s.FacilityOutSerializer

    def get_queryset(self) -> QuerySet[CareFacility]:
        return sel.facilities_visible_to(self.request.user)

    @extend_schema(tags=FACILITY_TAG)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=FACILITY_TAG, request=s.PlaceInSerializer, responses={201: s.PlacementOutSerializer})
    @action(detail=True, methods=["post"])
    def place(self, request: Request, pk: str | None = None) -> Response:
        from applications.models import Member

        ser = s.PlaceInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        case = _case(request, v["case"])
        member = get_object_or_404(Member, pk=v["member"], household_id=case.household_id)
        placement = facilities.facility_place(
            actor=staff_user(request),
            facility=self.get_object(),
            case=case,
            member=member,
            care_bed=v["care_bed"],
            placed_on=v["placed_on"],
        )
        return Response(s.PlacementOutSerializer(placement).data, status=status.HTTP_201_CREATED)


class StrandedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[StrandedPerson]):
    serializer_class = s.StrandedOutSerializer

    def get_queryset(self) -> QuerySet[StrandedPerson]:
        return sel.stranded_visible_to(self.request.user).prefetch_related("helps", "events")

    @extend_schema(tags=STRANDED_TAG)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=STRANDED_TAG)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    def _out(self, person: StrandedPerson, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.StrandedOutSerializer(self.get_queryset().get(pk=person.pk)).data, status=code)

    @extend_schema(tags=STRANDED_TAG, request=s.StrandedInSerializer, responses={201: s.StrandedOutSerializer})
    def create(self, request: Request) -> Response:
        ser = s.StrandedInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = dict(ser.validated_data)
        user = staff_user(request)
        street = get_object_or_404(Region, code=v.pop("street", user.region_id or "-"), level=Region.Level.STREET)
        person = stranded.stranded_register(actor=user, street=street, **v)
        return self._out(person, status.HTTP_201_CREATED)

    @extend_schema(tags=STRANDED_TAG, request=s.StrandedHelpInSerializer, responses={201: s.StrandedOutSerializer})
    @action(detail=True, methods=["post"])
    def help(self, request: Request, pk: str | None = None) -> Response:
        ser = s.StrandedHelpInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        person = self.get_object()
        stranded.stranded_help_record(actor=staff_user(request), person=person, **ser.validated_data)
        return self._out(person, status.HTTP_201_CREATED)

    @extend_schema(tags=STRANDED_TAG, request=s.StrandedStepInSerializer, responses={200: s.StrandedOutSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        ser = s.StrandedStepInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        person = stranded.stranded_transition(actor=staff_user(request), person=self.get_object(), **ser.validated_data)
        return self._out(person)


router = SimpleRouter()
router.register("plans", PlanViewSet, basename="plan")
router.register("in-kind-items", InKindItemViewSet, basename="in-kind-item")
router.register("service-orders", ServiceOrderViewSet, basename="service-order")
router.register("delivery-records", DeliveryRecordViewSet, basename="delivery-record")
router.register("service-contracts", ServiceContractViewSet, basename="service-contract")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("conferences", ConferenceViewSet, basename="conference")
router.register("volunteers", VolunteerViewSet, basename="volunteer")
router.register("volunteer-tasks", VolunteerTaskViewSet, basename="volunteer-task")
router.register("care-facilities", FacilityViewSet, basename="care-facility")
router.register("stranded-persons", StrandedViewSet, basename="stranded-person")
