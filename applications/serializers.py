from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Region
from applications.ids import parse_resident_id
from applications.models import (
    CareMode,
    DisabilityKind,
    Exclusion,
    Household,
    IncomeItem,
    IncomeKind,
    Member,
    Relation,
    Vehicle,
    WorkCapacity,
)


def money(**kwargs: Any) -> serializers.DecimalField:
    """A non-negative yuan amount with two decimals."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), **kwargs)


class IncomeSerializer(serializers.ModelSerializer[IncomeItem]):
    kind = serializers.ChoiceField(choices=IncomeKind.choices)
    monthly = money()

    class Meta:
        model = IncomeItem
        fields = ["kind", "monthly", "note"]


class VehicleSerializer(serializers.ModelSerializer[Vehicle]):
    price = money()

    class Meta:
        model = Vehicle
        fields = ["description", "price", "business_use"]


class MemberOutSerializer(serializers.ModelSerializer[Member]):
    """Never exposes the full ID: only the masked form (reveal is a separate audited action)."""

    id_number = serializers.CharField(source="id_masked", read_only=True)
    incomes = IncomeSerializer(many=True, read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "id_number",
            "birth_date",
            "sex",
            "relation",
            "lives_together",
            "excluded",
            "disability_grade",
            "disability_kind",
            "serious_illness",
            "student",
            "work_capacity",
            "adl_incapable",
            "has_able_supporter",
            "care_mode",
            "active",
            "incomes",
        ]


class MemberInSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=32)
    id_number = serializers.CharField(max_length=20, label=_("身份证号码"))
    relation = serializers.ChoiceField(choices=Relation.choices, default=Relation.SELF)
    lives_together = serializers.BooleanField(default=True)
    excluded = serializers.ChoiceField(choices=Exclusion.choices, allow_null=True, allow_blank=True, required=False)
    disability_grade = serializers.IntegerField(min_value=1, max_value=4, allow_null=True, required=False)
    disability_kind = serializers.ChoiceField(
        choices=DisabilityKind.choices, allow_null=True, allow_blank=True, required=False
    )
    serious_illness = serializers.BooleanField(default=False)
    student = serializers.BooleanField(default=False)
    work_capacity = serializers.ChoiceField(
        choices=WorkCapacity.choices, allow_null=True, allow_blank=True, required=False
    )
    adl_incapable = serializers.IntegerField(min_value=0, max_value=6, default=0)
    has_able_supporter = serializers.BooleanField(default=True)
    care_mode = serializers.ChoiceField(choices=CareMode.choices, default=CareMode.HOME)
    health_notes = serializers.CharField(allow_blank=True, required=False, max_length=2000)
    incomes = IncomeSerializer(many=True, required=False)

    def validate_id_number(self, value: str) -> str:
        try:
            return parse_resident_id(value).number
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("disability_grade") and not attrs.get("disability_kind"):
            raise serializers.ValidationError({"disability_kind": _("填写残疾等级时须选择残疾类别。")})
        return attrs


class HouseholdOutSerializer(serializers.ModelSerializer[Household]):
    street_name = serializers.CharField(source="street.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    bank_account = serializers.CharField(source="bank_account_masked", read_only=True)
    members = MemberOutSerializer(many=True, read_only=True)
    vehicles = VehicleSerializer(many=True, read_only=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "street",
            "street_name",
            "community",
            "community_name",
            "address",
            "phone",
            "bank_name",
            "bank_account",
            "financial_assets",
            "homes",
            "business_employs_others_12m",
            "business_avg_monthly_net_profit",
            "medical_expense_annual",
            "education_expense_annual",
            "rehabilitation_expense_annual",
            "members",
            "vehicles",
            "created_at",
            "updated_at",
        ]


class HouseholdInSerializer(serializers.Serializer[Any]):
    street = serializers.PrimaryKeyRelatedField(queryset=Region.objects.filter(level=Region.Level.STREET))
    community = serializers.PrimaryKeyRelatedField(queryset=Region.objects.filter(level=Region.Level.COMMUNITY))
    address = serializers.CharField(max_length=200)
    phone = serializers.RegexField(
        r"^1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$",
        required=False,
        allow_blank=True,
        error_messages={"invalid": _("请输入有效的手机号或固定电话。")},
    )
    bank_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    bank_account = serializers.RegexField(
        r"^\d{12,30}$", required=False, allow_blank=True, error_messages={"invalid": _("银行账号应为12-30位数字。")}
    )
    financial_assets = money(default=Decimal("0"))
    homes = serializers.IntegerField(min_value=0, max_value=50, default=1)
    business_employs_others_12m = serializers.BooleanField(default=False)
    business_avg_monthly_net_profit = money(default=Decimal("0"))
    medical_expense_annual = money(default=Decimal("0"))
    education_expense_annual = money(default=Decimal("0"))
    rehabilitation_expense_annual = money(default=Decimal("0"))
    vehicles = VehicleSerializer(many=True, required=False)
    members = MemberInSerializer(many=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        street, community = attrs.get("street"), attrs.get("community")
        if street and community and community.parent_id != street.code:
            raise serializers.ValidationError({"community": _("社区(村)不属于所选街道。")})
        return attrs


class RevealSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(min_length=4, max_length=500)
