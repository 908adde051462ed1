"""Explicit input and output serializers of the casework API (STYLE §7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from accounts.models import Region, User
from applications.models import (
    Application,
    ApplicationStatus,
    AssistanceType,
    Channel,
    EconomicCheckAuthorisation,
    EmergencyKind,
)
from applications.serializers import HouseholdInSerializer, MemberInSerializer
from casework.models import (
    ApprovalLevel,
    Case,
    CaseStatus,
    CaseTransition,
    CheckStatus,
    Decision,
    EconomicCheck,
    EmergencyPayment,
    Investigation,
    LedgerKind,
    Objection,
    Opinion,
    Outcome,
    PaymentStatus,
    PublicEmergency,
    PublicNotice,
    Recommendation,
    ReserveFund,
    ReserveFundEntry,
    Tier,
    next_steps,
)


def money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), **kwargs)


class NamedEnumField(serializers.ChoiceField):
    """A choice field documented as one named enum component (see ``named_enum``)."""

    component = ""

    def __eq__(self, other: object) -> bool:
        # drf-spectacular checks that every use of a component name is "the same" object.
        return isinstance(other, NamedEnumField) and other.component == self.component

    def __hash__(self) -> int:
        return hash(self.component)


_ENUM_CLASSES: dict[str, type[NamedEnumField]] = {}


def named_enum(component: str, choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose schema is the enum component ``component``.

    Field names such as ``status`` or ``kind`` stand for different choice sets in different
    resources (and apps); naming each set explicitly keeps the OpenAPI components unambiguous.
    """
    if component not in _ENUM_CLASSES:
        schema = {
            "type": "string",
            "enum": [str(v) for v, _label in choices],
            "description": "\n".join(f"* `{v}` - {label}" for v, label in choices),
        }
        annotation = {"field": schema, "field_component_name": component}
        # A class per component: DRF deep-copies declared fields by re-instantiating their class.
        _ENUM_CLASSES[component] = type(
            f"{component}Field", (NamedEnumField,), {"component": component, "_spectacular_annotation": annotation}
        )
    return _ENUM_CLASSES[component](choices=choices, **kwargs)


class FieldsBuiltOnce(serializers.Serializer[Any]):
    # No class docstring: drf-spectacular would take it as the description of every subclass without one.

    @property
    def fields(self) -> BindingDict:
        """The field objects (nested serializers and their fields included), built once per process
        and class instead of for every instance.

        DRF deep-copies the declared fields for every serializer instance (and a ``ModelSerializer``
        builds its fields from the model again): for the intake, whose request and response nest
        a dozen serializers, ≈ 2 ms of Python per request. Validation and representation keep no
        state in the fields (a ``many=True`` list validates every item with one child serializer on
        the same ground), so the fields bound to the first instance of a class serve every later
        one: the validated data, errors and output stay on each instance. The fields see that first
        instance as their root: only for serializers none of whose fields reads ``context`` or
        ``partial``.
        """
        fields = _BUILT_FIELDS.get(type(self))
        if fields is None:
            first = type(self)()
            fields = BindingDict(first)
            for name, field in first.get_fields().items():
                fields[name] = field
            _BUILT_FIELDS[type(self)] = fields
        return fields


_BUILT_FIELDS: dict[type[FieldsBuiltOnce], BindingDict] = {}


# --- input ------------------------------------------------------------------------------------


class ApplicationInSerializer(serializers.Serializer[Any]):
    channel = named_enum("ChannelEnum", Channel.choices, default=Channel.WINDOW)
    assistance_types = serializers.ListField(
        child=named_enum("AssistanceTypeEnum", AssistanceType.choices), allow_empty=False
    )
    help_text = serializers.CharField(  # type: ignore[assignment]  # the API field is named help_text
        allow_blank=True, required=False, default="", max_length=2000
    )
    agent_note = serializers.CharField(allow_blank=True, required=False, default="", max_length=100)
    emergency_kind = named_enum(
        "EmergencyKindOrBlankEnum", [("", ""), *EmergencyKind.choices], required=False, allow_blank=True
    )
    emergency_date = serializers.DateField(required=False, allow_null=True)
    emergency_cost = money(required=False, allow_null=True)
    emergency_insurance = money(required=False, allow_null=True)
    emergency_other_aid = money(required=False, allow_null=True)


class IntakeMemberSerializer(MemberInSerializer):
    member_id = serializers.IntegerField(required=False, help_text="已有家庭的成员编号(更新时填写)")
    authorisation_signed = serializers.BooleanField(default=False, help_text="已签署家庭经济状况核对授权书")
    authorisation_signed_on = serializers.DateField(required=False, allow_null=True)


class IntakeInSerializer(FieldsBuiltOnce, HouseholdInSerializer):
    """One request = the whole intake page: household, members, application, authorisations."""

    street = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.filter(level=Region.Level.STREET), required=False
    )
    community = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.filter(level=Region.Level.COMMUNITY), required=False
    )
    address = serializers.CharField(max_length=200, required=False)
    household_id = serializers.IntegerField(required=False, help_text="已有家庭档案的户号；不填则新建家庭")
    online_application_id = serializers.IntegerField(required=False, help_text="要补录受理的网上申请")
    members = IntakeMemberSerializer(many=True)
    application = ApplicationInSerializer()
    accept = serializers.BooleanField(default=True, help_text="登记后立即受理")
    allow_duplicates = serializers.BooleanField(default=False, help_text="已知晓重复申请提示，仍然登记")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not attrs.get("household_id"):
            missing = [f for f in ("street", "community", "address") if not attrs.get(f)]
            if missing:
                raise serializers.ValidationError({f: [_("新建家庭时必填。")] for f in missing})
        if not attrs.get("members"):
            raise serializers.ValidationError({"members": [_("至少需要登记一名家庭成员。")]})
        return attrs


def intake_data(validated: dict[str, Any]) -> dict[str, Any]:
    """Serializer output → the ``data`` mapping ``intake_register`` takes."""
    members, authorisations = [], []
    for m in validated["members"]:
        m = dict(m)
        signed = m.pop("authorisation_signed", False)
        signed_on = m.pop("authorisation_signed_on", None)
        authorisations.append({"signed": signed, "signed_on": signed_on or (timezone.localdate() if signed else None)})
        members.append(m)
    skip = {"household_id", "online_application_id", "accept", "allow_duplicates", "members", "application"}
    data = {k: v for k, v in validated.items() if k not in skip}
    data["members"] = members
    data["authorisations"] = authorisations
    data["application"] = dict(validated["application"])
    return data


class CaseReasonInSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)


class AcceptInSerializer(serializers.Serializer[Any]):
    allow_duplicates = serializers.BooleanField(default=False)


class AuthorisationInSerializer(serializers.Serializer[Any]):
    member = serializers.IntegerField()
    signed = serializers.BooleanField()
    signed_on = serializers.DateField(required=False, allow_null=True)
    scan = serializers.FileField(required=False, allow_null=True, help_text="PDF/JPG/PNG，不超过5MB")


class CheckStartInSerializer(serializers.Serializer[Any]):
    purpose = serializers.CharField(max_length=200, required=False, allow_blank=True)


class InvestigationInSerializer(serializers.Serializer[Any]):
    visited_on = serializers.DateField()
    investigators = serializers.ListField(child=serializers.IntegerField(), min_length=2)
    findings = serializers.CharField(max_length=5000)
    adopt = serializers.ListField(child=serializers.CharField(max_length=8), required=False, default=list)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class OpinionInSerializer(serializers.Serializer[Any]):
    as_of = serializers.DateField(required=False)
    tier = named_enum("CaseTierEnum", Tier.choices, required=False)
    monthly_amount = money(required=False)
    one_off_amount = money(required=False)
    recommendation = named_enum("RecommendationEnum", Recommendation.choices, required=False)
    adjustment_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class NoticeInSerializer(serializers.Serializer[Any]):
    starts_on = serializers.DateField(required=False)


class ObjectionInSerializer(serializers.Serializer[Any]):
    content = serializers.CharField(max_length=2000)
    received_on = serializers.DateField(required=False)
    objector = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class ConfirmInSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RefuseInSerializer(serializers.Serializer[Any]):
    reasons = serializers.CharField(max_length=4000)


class EmergencyPayInSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    reason = serializers.CharField(max_length=2000)


class CountyDecisionInSerializer(serializers.Serializer[Any]):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=2000)


class TopUpInSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    note = serializers.CharField(max_length=200)


class PublicEmergencyInSerializer(serializers.Serializer[Any]):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.exclude(level=Region.Level.CITY))
    kind = named_enum("EmergencyKindEnum", EmergencyKind.choices)
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


# --- output -----------------------------------------------------------------------------------


class AuthorisationOutSerializer(serializers.ModelSerializer[EconomicCheckAuthorisation]):
    member_name = serializers.CharField(source="member.name", read_only=True)
    member_id_masked = serializers.CharField(source="member.id_masked", read_only=True)
    has_scan = serializers.SerializerMethodField()

    class Meta:
        model = EconomicCheckAuthorisation
        fields = ["id", "member", "member_name", "member_id_masked", "signed", "signed_on", "has_scan"]

    def get_has_scan(self, obj: EconomicCheckAuthorisation) -> bool:
        return bool(obj.scan)


class ApplicationOutSerializer(serializers.ModelSerializer[Application]):
    street_name = serializers.CharField(source="street.name", read_only=True)
    status = named_enum("ApplicationStatusEnum", ApplicationStatus.choices, read_only=True)
    channel = named_enum("ChannelEnum", Channel.choices, read_only=True)
    emergency_kind = named_enum("EmergencyKindOrBlankEnum", [("", ""), *EmergencyKind.choices], read_only=True)
    case_id = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "receipt_no",
            "street",
            "street_name",
            "community",
            "household",
            "channel",
            "assistance_types",
            "help_text",
            "agent_note",
            "status",
            "status_reason",
            "applicant_name",
            "applicant_id_masked",
            "emergency_kind",
            "emergency_date",
            "emergency_cost",
            "emergency_insurance",
            "emergency_other_aid",
            "submitted_at",
            "decided_at",
            "case_id",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_case_id(self, obj: Application) -> int | None:
        case = getattr(obj, "case", None) if obj.status == "accepted" else None
        return case.pk if case is not None else None


class TransitionOutSerializer(serializers.ModelSerializer[CaseTransition]):
    from_status = named_enum("CaseStatusOrBlankEnum", [("", ""), *CaseStatus.choices], read_only=True)
    to_status = named_enum("CaseStatusEnum", CaseStatus.choices, read_only=True)

    class Meta:
        model = CaseTransition
        fields = ["from_status", "to_status", "action", "actor_label", "at", "reason"]


class CheckOutSerializer(serializers.ModelSerializer[EconomicCheck]):
    status = named_enum("CheckStatusEnum", CheckStatus.choices, read_only=True)
    queries = serializers.SerializerMethodField()

    class Meta:
        model = EconomicCheck
        fields = [
            "id",
            "status",
            "purpose",
            "requested_at",
            "finished_at",
            "attempts",
            "discrepancies",
            "results",
            "error",
            "queries",
        ]

    @extend_schema_field(OpenApiTypes.INT)
    def get_queries(self, obj: EconomicCheck) -> int:
        return obj.queries.count()


class InvestigationOutSerializer(serializers.ModelSerializer[Investigation]):
    investigators = serializers.SlugRelatedField[User](many=True, read_only=True, slug_field="username")

    class Meta:
        model = Investigation
        fields = ["id", "visited_on", "investigators", "findings", "adopted", "recorded_at"]


class OpinionOutSerializer(serializers.ModelSerializer[Opinion]):
    engine_tier = named_enum("CaseTierEnum", Tier.choices, read_only=True)
    tier = named_enum("CaseTierEnum", Tier.choices, read_only=True)
    recommendation = named_enum("RecommendationEnum", Recommendation.choices, read_only=True)
    approval_level = named_enum("CaseApprovalLevelEnum", ApprovalLevel.choices, read_only=True)

    class Meta:
        model = Opinion
        fields = [
            "id",
            "as_of",
            "engine_tier",
            "engine_monthly_amount",
            "engine_one_off_amount",
            "tier",
            "monthly_amount",
            "one_off_amount",
            "recommendation",
            "approval_level",
            "adjusted",
            "adjustment_reason",
            "note",
            "evaluation",
            "created_at",
        ]


class NoticeOutSerializer(serializers.ModelSerializer[PublicNotice]):
    tier = named_enum("CaseTierEnum", Tier.choices, read_only=True)

    class Meta:
        model = PublicNotice
        fields = [
            "id",
            "starts_on",
            "ends_on",
            "masked_name",
            "community_name",
            "household_size",
            "tier",
            "monthly_amount",
            "one_off_amount",
            "closed_at",
            "withdrawn_for_objection",
        ]


class ObjectionOutSerializer(serializers.ModelSerializer[Objection]):
    class Meta:
        model = Objection
        fields = ["id", "received_on", "objector", "content", "recorded_at"]


class DecisionOutSerializer(serializers.ModelSerializer[Decision]):
    outcome = named_enum("DecisionOutcomeEnum", Outcome.choices, read_only=True)
    tier = named_enum("CaseTierOrBlankEnum", [("", ""), *Tier.choices], read_only=True)
    approval_level = named_enum("CaseApprovalLevelEnum", ApprovalLevel.choices, read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "outcome",
            "document_no",
            "tier",
            "monthly_amount",
            "one_off_amount",
            "start_month",
            "reasons",
            "approval_level",
            "decided_on",
            "evaluation",
        ]


class PaymentOutSerializer(serializers.ModelSerializer[EmergencyPayment]):
    status = named_enum("PaymentStatusEnum", PaymentStatus.choices, read_only=True)
    receipt_no = serializers.CharField(source="case.receipt_no", read_only=True)

    class Meta:
        model = EmergencyPayment
        fields = ["id", "case", "receipt_no", "amount", "street_limit", "status", "reason", "paid_on", "county_note"]


class StepOutSerializer(serializers.Serializer[Any]):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API field is named label
    to = serializers.CharField()


class CaseListOutSerializer(serializers.ModelSerializer[Case]):
    applicant_name = serializers.CharField(source="application.applicant_name", read_only=True)
    applicant_id_masked = serializers.CharField(source="application.applicant_id_masked", read_only=True)
    assistance_types = serializers.ListField(source="application.assistance_types", child=serializers.CharField())
    overdue = serializers.SerializerMethodField()
    status = named_enum("CaseStatusEnum", CaseStatus.choices, read_only=True)
    approval_level = named_enum("CaseApprovalLevelEnum", ApprovalLevel.choices, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "receipt_no",
            "street",
            "household",
            "status",
            "applicant_name",
            "applicant_id_masked",
            "assistance_types",
            "accepted_on",
            "fast_track",
            "public_emergency",
            "check_due",
            "opinion_due",
            "confirm_due",
            "case_due",
            "emergency_due",
            "deadlines_provisional",
            "approval_level",
            "overdue",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_overdue(self, obj: Case) -> list[str]:
        return obj.overdue_steps(timezone.localdate())


class CaseDetailOutSerializer(CaseListOutSerializer):
    application = ApplicationOutSerializer(read_only=True)
    transitions = TransitionOutSerializer(many=True, read_only=True)
    checks = CheckOutSerializer(many=True, read_only=True)
    investigations = InvestigationOutSerializer(many=True, read_only=True)
    opinions = OpinionOutSerializer(many=True, read_only=True)
    notices = NoticeOutSerializer(many=True, read_only=True)
    objections = ObjectionOutSerializer(many=True, read_only=True)
    decision = serializers.SerializerMethodField()
    emergency_payments = PaymentOutSerializer(many=True, read_only=True)
    authorisations = AuthorisationOutSerializer(source="application.authorisations", many=True, read_only=True)
    next_steps = serializers.SerializerMethodField()

    class Meta(CaseListOutSerializer.Meta):
        fields = [
            *CaseListOutSerializer.Meta.fields,
            "application",
            "authorisations",
            "transitions",
            "checks",
            "investigations",
            "opinions",
            "notices",
            "objections",
            "decision",
            "emergency_payments",
            "next_steps",
        ]

    @extend_schema_field(DecisionOutSerializer(allow_null=True))
    def get_decision(self, obj: Case) -> dict[str, Any] | None:
        decision = Decision.objects.filter(case=obj).first()
        return DecisionOutSerializer(decision).data if decision else None

    @extend_schema_field(StepOutSerializer(many=True))
    def get_next_steps(self, obj: Case) -> list[dict[str, str]]:
        request = self.context.get("request")
        role = getattr(getattr(request, "user", None), "role", None)
        return [{"action": s.action, "label": str(s.label), "to": to} for to, s in next_steps(obj.status, role)]


class IntakeOutSerializer(FieldsBuiltOnce):
    application = ApplicationOutSerializer()
    case = CaseListOutSerializer(allow_null=True)


class PublicEmergencyOutSerializer(serializers.ModelSerializer[PublicEmergency]):
    kind = named_enum("EmergencyKindEnum", EmergencyKind.choices, read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    case_count = serializers.SerializerMethodField()

    class Meta:
        model = PublicEmergency
        fields = ["id", "region", "region_name", "kind", "title", "description", "starts_on", "ends_on", "case_count"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_case_count(self, obj: PublicEmergency) -> int:
        return obj.cases.count()


class LedgerOutSerializer(serializers.ModelSerializer[ReserveFundEntry]):
    kind = named_enum("LedgerKindEnum", LedgerKind.choices, read_only=True)

    class Meta:
        model = ReserveFundEntry
        fields = ["id", "kind", "amount", "balance_after", "case", "at", "note"]


class ReserveFundOutSerializer(serializers.ModelSerializer[ReserveFund]):
    street_name = serializers.CharField(source="street.name", read_only=True)

    class Meta:
        model = ReserveFund
        fields = ["street", "street_name", "balance", "updated_at"]
