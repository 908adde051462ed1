"""Serializers that DOCUMENT the public evaluation contract in the OpenAPI schema.

Validation of the request is done by ``eligibility.rules.payload`` (the one implementation of the
contract), whose errors the view returns as field-level 400 messages.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from eligibility.models import ParameterName, PolicyParameter

MONEY_HELP = 'amount in yuan as a string with at most two decimals, e.g. "1200.00"'


class _Money(serializers.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(r"^\d+(\.\d{1,2})?$", help_text=MONEY_HELP, **kwargs)


class IncomeIn(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=[
            "wage",
            "business",
            "property",
            "pension",
            "maintenance",
            "agriculture",
            "other",
            "martyr_pension",
            "family_planning_award",
            "scholarship",
            "award",
            "social_assistance",
            "resident_basic_pension",
        ]
    )
    monthly = _Money()


@extend_schema_serializer(component_name="EligibilityMemberIn")  # not applications' MemberIn
class MemberIn(serializers.Serializer[Any]):
    ref = serializers.CharField()
    birth_date = serializers.DateField()
    lives_together = serializers.BooleanField(default=True)
    excluded = serializers.ChoiceField(
        choices=["prison", "rehab", "conscript", "missing", "clergy"], allow_null=True, default=None
    )
    disability_grade = serializers.IntegerField(min_value=1, max_value=4, allow_null=True, default=None)
    disability_kind = serializers.ChoiceField(
        choices=["physical", "intellectual", "mental", "visual", "hearing", "speech", "multiple"],
        allow_null=True,
        default=None,
    )
    serious_illness = serializers.BooleanField(default=False)
    student = serializers.BooleanField(default=False)
    work_capacity = serializers.ChoiceField(choices=["none", "partial", "full"], allow_null=True, default=None)
    adl_incapable = serializers.IntegerField(min_value=0, max_value=6, default=0)
    has_able_supporter = serializers.BooleanField(default=True)
    care_mode = serializers.ChoiceField(choices=["home", "institutional"], default="home")
    incomes = IncomeIn(many=True, required=False)


class VehicleIn(serializers.Serializer[Any]):
    price = _Money()
    business_use = serializers.BooleanField(default=False)


class BusinessIn(serializers.Serializer[Any]):
    employs_others_12m = serializers.BooleanField(default=False)
    avg_monthly_net_profit = _Money(default="0")


class AssetsIn(serializers.Serializer[Any]):
    financial = _Money(default="0")
    vehicles = VehicleIn(many=True, required=False)
    homes = serializers.IntegerField(min_value=0, default=1)
    business = BusinessIn(required=False)


class RigidIn(serializers.Serializer[Any]):
    medical = _Money(default="0")
    education = _Money(default="0")
    rehabilitation = _Money(default="0")


class EmergencyIn(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=["fire", "accident", "sudden_illness", "public_health", "disaster", "stranded"]
    )
    date = serializers.DateField(required=False)
    cost = _Money(default="0")
    insurance = _Money(default="0")
    other_aid = _Money(default="0")


class EvaluateRequest(serializers.Serializer[Any]):
    region = serializers.CharField(help_text="county-level or street code, e.g. 340104 or 340104001")
    as_of = serializers.DateField()
    members = MemberIn(many=True)
    assets = AssetsIn(required=False)
    rigid_expenditure_annual = RigidIn(required=False)
    emergency = EmergencyIn(required=False, allow_null=True)
    temporary_grants_last_12_months = serializers.IntegerField(min_value=0, default=0)
    same_cause_granted = serializers.BooleanField(default=False)


class ReasonOut(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named "source" (contract)


class PropertyTestOut(serializers.Serializer[Any]):
    passed = serializers.BooleanField()
    reasons = ReasonOut(many=True)


class TierOut(serializers.Serializer[Any]):
    tier = serializers.ChoiceField(choices=["tekun", "dibao", "low_income", "expenditure_hardship", "emergency"])
    eligible = serializers.BooleanField()
    members = serializers.ListField(child=serializers.CharField())
    monthly_amount = serializers.CharField()
    recommended_amount = serializers.CharField()
    approval_level = serializers.ChoiceField(choices=["street", "county"], allow_null=True)
    reasons = ReasonOut(many=True)


class ParameterUsedOut(serializers.Serializer[Any]):
    name = serializers.CharField()
    region = serializers.CharField()
    effective_from = serializers.DateField()
    value = serializers.JSONField()


class EvaluateResponse(serializers.Serializer[Any]):
    as_of = serializers.DateField()
    region = serializers.CharField()
    standard_area = serializers.ChoiceField(choices=["district", "county"])
    dibao_standard = serializers.CharField()
    household_size = serializers.IntegerField()
    counted_income = serializers.CharField()
    per_capita_income = serializers.CharField()
    property_test = PropertyTestOut()
    tiers = TierOut(many=True)
    primary_tier = serializers.ChoiceField(
        choices=["tekun", "dibao", "expenditure_hardship", "low_income", "emergency", "none"]
    )
    monthly_amount = serializers.CharField()
    parameters_used = ParameterUsedOut(many=True)


class ParameterOut(serializers.ModelSerializer[PolicyParameter]):
    value = serializers.SerializerMethodField(method_name="value_of")
    region_name = serializers.CharField(source="region.name", read_only=True)
    changed_by = serializers.CharField(source="changed_by.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = PolicyParameter
        fields = [
            "id",
            "name",
            "region",
            "region_name",
            "effective_from",
            "value",
            "source",
            "note",
            "changed_by",
            "changed_at",
        ]

    def value_of(self, obj: PolicyParameter) -> Any:
        value = obj.typed_value
        return value if isinstance(value, dict) else str(value)


class ParameterIn(serializers.Serializer[Any]):
    name = serializers.ChoiceField(choices=ParameterName.choices)
    region = serializers.CharField()
    effective_from = serializers.DateField()
    value = serializers.JSONField(help_text='a number as a string ("924"), or the care table for tekun_care_annual')
    source = serializers.CharField(max_length=300)  # type: ignore[assignment]
    note = serializers.CharField(required=False, allow_blank=True, default="")
