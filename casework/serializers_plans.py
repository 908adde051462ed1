"""Explicit input and output serializers of the plans/services/referrals API (STYLE §7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from casework.models.facilities import CareFacility, FacilityKind, Placement
from casework.models.plans import CaseAssignment, InKindItem, SpecialAssistanceItem, SpecialKind
from casework.models.referrals import (
    CaseConference,
    Referral,
    ReferralEvent,
    ReferralResult,
    ReferralStatus,
    TargetKind,
)
from casework.models.services_catalogue import (
    ContractEvaluation,
    DeliveryKind,
    DeliveryRecord,
    OrderStatus,
    ServiceCategory,
    ServiceContract,
    ServiceItem,
    ServiceOrder,
)
from casework.models.stranded import HelpKind, Sex, StrandedEvent, StrandedHelp, StrandedPerson, StrandedStatus
from casework.models.volunteers import TaskStatus, Volunteer, VolunteerHours, VolunteerTask
from casework.serializers import named_enum


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), **kwargs)


def _day(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(**kwargs)


# --- plans --------------------------------------------------------------------------------------


class PlanCreateInSerializer(serializers.Serializer[Any]):
    case = serializers.IntegerField()
    goals = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class InKindInSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=64)
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    unit = serializers.CharField(max_length=8)
    value = _money()
    source = serializers.CharField(  # type: ignore[assignment]  # the API field is named source
        max_length=64, required=False, allow_blank=True, default=""
    )


class DeliverInSerializer(serializers.Serializer[Any]):
    delivered_on = _day()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SpecialInSerializer(serializers.Serializer[Any]):
    kind = named_enum("SpecialKindEnum", SpecialKind.choices)
    need = serializers.CharField(max_length=1000)
    department = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class AssignInSerializer(serializers.Serializer[Any]):
    social_worker = serializers.IntegerField(help_text="社工的用户编号")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class InKindOutSerializer(serializers.ModelSerializer[InKindItem]):
    delivered_by = serializers.CharField(source="delivered_by.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = InKindItem
        fields = ["id", "name", "quantity", "unit", "value", "source", "delivered_on", "delivered_by", "delivery_note"]


class SpecialOutSerializer(serializers.ModelSerializer[SpecialAssistanceItem]):
    kind = named_enum("SpecialKindEnum", SpecialKind.choices, read_only=True)
    referral: serializers.PrimaryKeyRelatedField[Referral] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = SpecialAssistanceItem
        fields = ["id", "kind", "department", "need", "tier", "entitlement", "referral"]


class AssignmentOutSerializer(serializers.ModelSerializer[CaseAssignment]):
    social_worker = serializers.CharField(source="social_worker.username", read_only=True)
    assigned_by = serializers.CharField(source="assigned_by.username", read_only=True)

    class Meta:
        model = CaseAssignment
        fields = ["id", "social_worker", "assigned_by", "assigned_at", "note"]


class CashOutSerializer(serializers.Serializer[Any]):
    tier = serializers.CharField()
    monthly_amount = _money()
    one_off_amount = _money()
    start_month = serializers.DateField(allow_null=True)
    emergency_paid = _money()


class ServiceOrderOutSerializer(serializers.ModelSerializer[ServiceOrder]):
    status = named_enum("ServiceOrderStatusEnum", OrderStatus.choices, read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    organisation = serializers.CharField(source="contract.organisation.name", read_only=True)

    class Meta:
        model = ServiceOrder
        fields = [
            "id",
            "case",
            "contract",
            "service",
            "service_name",
            "organisation",
            "quantity",
            "delivered_quantity",
            "unit_price",
            "amount",
            "status",
            "note",
            "cancel_reason",
            "ordered_at",
        ]


class PlanOutSerializer(serializers.Serializer[Any]):
    case = serializers.IntegerField()
    receipt_no = serializers.CharField()
    street = serializers.CharField()
    service_brand = serializers.CharField(help_text="一街(镇)一品服务品牌")
    goals = serializers.CharField()
    cash = CashOutSerializer(allow_null=True)
    in_kind = InKindOutSerializer(many=True)
    services = ServiceOrderOutSerializer(many=True)
    special = SpecialOutSerializer(many=True)
    social_workers = AssignmentOutSerializer(many=True)


# --- services -----------------------------------------------------------------------------------


class ServiceOrderInSerializer(serializers.Serializer[Any]):
    case = serializers.IntegerField()
    contract = serializers.IntegerField()
    service = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=1, max_value=999)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CancelInSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200)


class DeliveryInSerializer(serializers.Serializer[Any]):
    case = serializers.IntegerField()
    kind = named_enum("DeliveryKindEnum", DeliveryKind.choices)
    delivered_on = _day()
    content = serializers.CharField(max_length=2000)
    needs = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    order = serializers.IntegerField(required=False, allow_null=True, default=None)
    quantity = serializers.IntegerField(min_value=0, required=False, default=0)


class DeliveryOutSerializer(serializers.ModelSerializer[DeliveryRecord]):
    kind = named_enum("DeliveryKindEnum", DeliveryKind.choices, read_only=True)
    social_worker = serializers.CharField(source="social_worker.username", read_only=True)

    class Meta:
        model = DeliveryRecord
        fields = ["id", "case", "order", "kind", "delivered_on", "quantity", "social_worker", "content", "needs"]


class ServiceItemOutSerializer(serializers.ModelSerializer[ServiceItem]):
    category = named_enum("ServiceCategoryEnum", ServiceCategory.choices, read_only=True)

    class Meta:
        model = ServiceItem
        fields = ["id", "county", "code", "name", "category", "unit", "unit_price", "active"]


class EvaluationOutSerializer(serializers.ModelSerializer[ContractEvaluation]):
    score = serializers.DecimalField(max_digits=3, decimal_places=1, read_only=True)
    completion_percent = serializers.IntegerField(read_only=True)
    evaluated_by = serializers.CharField(source="evaluated_by.username", read_only=True)

    class Meta:
        model = ContractEvaluation
        fields = [
            "id",
            "period",
            "quality",
            "timeliness",
            "satisfaction",
            "score",
            "orders_total",
            "orders_completed",
            "units_ordered",
            "units_delivered",
            "completion_percent",
            "comment",
            "evaluated_by",
            "evaluated_on",
        ]


class CompletionOutSerializer(serializers.Serializer[Any]):
    orders_total = serializers.IntegerField()
    orders_completed = serializers.IntegerField()
    orders_percent = serializers.IntegerField()
    units_ordered = serializers.IntegerField()
    units_delivered = serializers.IntegerField()
    units_percent = serializers.IntegerField()
    spent = _money()


class ContractOutSerializer(serializers.ModelSerializer[ServiceContract]):
    organisation = serializers.CharField(source="organisation.name", read_only=True)
    services = ServiceItemOutSerializer(many=True, read_only=True)
    completion = serializers.SerializerMethodField()
    evaluations = EvaluationOutSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceContract
        fields = [
            "id",
            "county",
            "contract_no",
            "title",
            "organisation",
            "starts_on",
            "ends_on",
            "budget",
            "services",
            "completion",
            "evaluations",
        ]

    def get_completion(self, obj: ServiceContract) -> dict[str, Any]:
        from casework.selectors_plans import contract_completion

        done = contract_completion(obj)
        return CompletionOutSerializer(done).data  # type: ignore[return-value]


class EvaluationInSerializer(serializers.Serializer[Any]):
    period = serializers.CharField(max_length=32)
    quality = serializers.IntegerField(min_value=1, max_value=5)
    timeliness = serializers.IntegerField(min_value=1, max_value=5)
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


# --- referrals and conferences ------------------------------------------------------------------


class ReferralInSerializer(serializers.Serializer[Any]):
    case = serializers.IntegerField()
    target_kind = named_enum("ReferralTargetKindEnum", TargetKind.choices)
    target = serializers.CharField(max_length=64)
    need = serializers.CharField(max_length=1000)
    conference = serializers.IntegerField(required=False, allow_null=True, default=None)


class ReferralStepInSerializer(serializers.Serializer[Any]):
    on = _day(required=False, allow_null=True, default=None, help_text="发送/签收/答复日期，默认今天")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReferralAnswerInSerializer(ReferralStepInSerializer):
    result = named_enum("ReferralResultEnum", ReferralResult.choices)
    answer = serializers.CharField(max_length=2000)


class ReferralEventOutSerializer(serializers.ModelSerializer[ReferralEvent]):
    from_status = serializers.CharField()
    to_status = named_enum("ReferralStatusEnum", ReferralStatus.choices, read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True)

    class Meta:
        model = ReferralEvent
        fields = ["from_status", "to_status", "action", "actor", "at", "note"]


class ReferralOutSerializer(serializers.ModelSerializer[Referral]):
    status = named_enum("ReferralStatusEnum", ReferralStatus.choices, read_only=True)
    target_kind = named_enum("ReferralTargetKindEnum", TargetKind.choices, read_only=True)
    result = serializers.CharField()
    overdue = serializers.SerializerMethodField()
    events = ReferralEventOutSerializer(many=True, read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "case",
            "special_item",
            "conference",
            "target_kind",
            "target",
            "need",
            "status",
            "result",
            "answer",
            "sent_on",
            "due_on",
            "due_provisional",
            "acknowledged_on",
            "answered_on",
            "closed_on",
            "overdue",
            "events",
        ]

    def get_overdue(self, obj: Referral) -> bool:
        from django.utils import timezone

        return obj.is_overdue(timezone.localdate())


class ConferenceInSerializer(serializers.Serializer[Any]):
    case = serializers.IntegerField()
    held_on = _day()
    place = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    participants = serializers.ListField(child=serializers.CharField(max_length=64), min_length=2)
    discussion = serializers.CharField(max_length=4000)
    measures = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1)


class ConferenceOutSerializer(serializers.ModelSerializer[CaseConference]):
    participants = serializers.ListField(child=serializers.CharField())
    measures = serializers.ListField(child=serializers.CharField())
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = CaseConference
        fields = ["id", "case", "held_on", "place", "participants", "discussion", "measures", "recorded_by"]


# --- volunteers ---------------------------------------------------------------------------------


class VolunteerInSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=32)
    phone = serializers.RegexField(
        r"^1[3-9]\d{9}$", max_length=11, error_messages={"invalid": _("请填写11位手机号码。")}
    )
    skills = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class VolunteerOutSerializer(serializers.ModelSerializer[Volunteer]):
    phone = serializers.CharField(source="phone_masked", read_only=True)
    total_hours = serializers.DecimalField(max_digits=8, decimal_places=1, read_only=True, default=Decimal("0"))

    class Meta:
        model = Volunteer
        fields = ["id", "street", "name", "phone", "skills", "registered_on", "active", "total_hours"]


class VolunteerTaskInSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    scheduled_on = _day()
    social_worker = serializers.IntegerField(help_text="负责社工的用户编号")
    volunteers = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    case = serializers.IntegerField(required=False, allow_null=True, default=None)


class VolunteerHoursInSerializer(serializers.Serializer[Any]):
    volunteer = serializers.IntegerField()
    worked_on = _day()
    hours = serializers.DecimalField(max_digits=4, decimal_places=1, min_value=Decimal("0.5"), max_value=Decimal("12"))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class VolunteerHoursOutSerializer(serializers.ModelSerializer[VolunteerHours]):
    volunteer_name = serializers.CharField(source="volunteer.name", read_only=True)

    class Meta:
        model = VolunteerHours
        fields = ["id", "volunteer", "volunteer_name", "worked_on", "hours", "note"]


class VolunteerTaskOutSerializer(serializers.ModelSerializer[VolunteerTask]):
    status = named_enum("VolunteerTaskStatusEnum", TaskStatus.choices, read_only=True)
    social_worker = serializers.CharField(source="social_worker.username", read_only=True)
    volunteers: serializers.PrimaryKeyRelatedField[Volunteer] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    hours = VolunteerHoursOutSerializer(many=True, read_only=True)

    class Meta:
        model = VolunteerTask
        fields = [
            "id",
            "street",
            "case",
            "title",
            "description",
            "scheduled_on",
            "social_worker",
            "volunteers",
            "status",
            "hours",
        ]


# --- facilities and stranded persons ------------------------------------------------------------


class FacilityOutSerializer(serializers.ModelSerializer[CareFacility]):
    kind = named_enum("FacilityKindEnum", FacilityKind.choices, read_only=True)
    occupied = serializers.IntegerField(read_only=True)
    care_occupied = serializers.IntegerField(read_only=True)
    free = serializers.IntegerField(read_only=True)

    class Meta:
        model = CareFacility
        fields = ["id", "county", "street", "name", "kind", "beds", "care_beds", "occupied", "care_occupied", "free"]


class PlaceInSerializer(serializers.Serializer[Any]):
    case = serializers.IntegerField()
    member = serializers.IntegerField()
    care_bed = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="不填则按自理能力判断")
    placed_on = _day(required=False, allow_null=True, default=None)


class PlacementOutSerializer(serializers.ModelSerializer[Placement]):
    class Meta:
        model = Placement
        fields = ["id", "facility", "case", "member", "care_bed", "placed_on", "ended_on", "end_reason"]


class StrandedInSerializer(serializers.Serializer[Any]):
    street = serializers.CharField(max_length=9, required=False, help_text="默认本人所在街道")
    found_on = _day()
    found_place = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    sex = named_enum("StrandedSexEnum", Sex.choices, required=False, default=Sex.UNKNOWN)
    approx_age = serializers.IntegerField(min_value=0, max_value=120, required=False, allow_null=True, default=None)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    claimed_origin = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class StrandedHelpInSerializer(serializers.Serializer[Any]):
    kind = named_enum("StrandedHelpKindEnum", HelpKind.choices)
    given_on = _day()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"), default=Decimal("0"))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StrandedStepInSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=["start_help", "return_home", "settle", "transfer", "leave"])
    outcome = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class StrandedHelpOutSerializer(serializers.ModelSerializer[StrandedHelp]):
    kind = named_enum("StrandedHelpKindEnum", HelpKind.choices, read_only=True)

    class Meta:
        model = StrandedHelp
        fields = ["id", "kind", "given_on", "amount", "note"]


class StrandedEventOutSerializer(serializers.ModelSerializer[StrandedEvent]):
    from_status = serializers.CharField()
    to_status = named_enum("StrandedStatusEnum", StrandedStatus.choices, read_only=True)

    class Meta:
        model = StrandedEvent
        fields = ["from_status", "to_status", "action", "at", "note"]


class StrandedOutSerializer(serializers.ModelSerializer[StrandedPerson]):
    status = named_enum("StrandedStatusEnum", StrandedStatus.choices, read_only=True)
    sex = named_enum("StrandedSexEnum", Sex.choices, read_only=True)
    helps = StrandedHelpOutSerializer(many=True, read_only=True)
    events = StrandedEventOutSerializer(many=True, read_only=True)

    class Meta:
        model = StrandedPerson
        fields = [
            "id",
            "street",
            "found_on",
            "found_place",
            "name",
            "sex",
            "approx_age",
            "claimed_origin",
            "status",
            "outcome",
            "closed_on",
            "helps",
            "events",
        ]
