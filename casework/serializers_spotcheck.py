"""Serializers of the spot-check API (issue 7): explicit input serializers, read-only outputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from casework.models.review import Tier
from casework.models.spotcheck import CheckResult, RectificationStatus, SpotCheck, SpotCheckItem, StreetResponse


class SpotCheckItemOutSerializer(serializers.ModelSerializer[SpotCheckItem]):
    receipt_no = serializers.CharField(source="case.receipt_no", read_only=True)
    household = serializers.IntegerField(source="case.household_id", read_only=True)
    # Blank until set: read-only model choice fields lose allow_blank, so the schema said "never blank".
    tier = serializers.ChoiceField(choices=Tier.choices, allow_blank=True, read_only=True)
    rectification_status = serializers.ChoiceField(
        choices=RectificationStatus.choices, allow_blank=True, read_only=True
    )
    response = serializers.ChoiceField(choices=StreetResponse.choices, allow_blank=True, read_only=True)

    class Meta:
        model = SpotCheckItem
        fields = [
            "id",
            "spot_check",
            "case",
            "receipt_no",
            "household",
            "street",
            "seq",
            "tier",
            "decided_amount",
            "enrolment",
            "amount_at_draw",
            "result",
            "note",
            "correct_amount",
            "checked_by",
            "checked_at",
            "rectification_status",
            "rectify_due",
            "response",
            "response_note",
            "responded_by",
            "responded_at",
            "review_task",
            "supervisor_note",
            "returned_count",
            "closed_by",
            "closed_at",
        ]
        read_only_fields = fields


class SpotCheckOutSerializer(serializers.ModelSerializer[SpotCheck]):
    street_name = serializers.CharField(source="street.name", read_only=True)

    class Meta:
        model = SpotCheck
        fields = [
            "id",
            "street",
            "street_name",
            "period_start",
            "period_end",
            "percentage",
            "seed",
            "population_size",
            "sample_size",
            "sample_ids",
            "note",
            "status",
            "created_by",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields


class SpotCheckDetailOutSerializer(SpotCheckOutSerializer):
    items = SpotCheckItemOutSerializer(many=True, read_only=True)
    population_ids = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta(SpotCheckOutSerializer.Meta):
        fields = [*SpotCheckOutSerializer.Meta.fields, "population_ids", "items"]
        read_only_fields = fields


class SpotCheckInSerializer(serializers.Serializer[Any]):
    street = serializers.CharField(max_length=12, help_text=_("街道(乡镇)区划代码"))
    period_start = serializers.DateField(help_text=_("审批日期起"))
    period_end = serializers.DateField(help_text=_("审批日期止"))
    percentage = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        help_text=_("抽查比例(%)，样本数 = ceil(比例 × 总体 / 100)，至少1"),
    )
    seed = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text=_("随机种子；留空由系统生成")
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["period_end"] < attrs["period_start"]:
            raise serializers.ValidationError({"period_end": [_("结束日期不能早于开始日期。")]})
        return attrs


class ResultInSerializer(serializers.Serializer[Any]):
    result = serializers.ChoiceField(choices=[c for c in CheckResult.choices if c[0] != CheckResult.PENDING])
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    correct_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None, min_value=Decimal("0")
    )


class RespondInSerializer(serializers.Serializer[Any]):
    response = serializers.ChoiceField(choices=StreetResponse.choices)
    note = serializers.CharField(max_length=2000)


class CloseInSerializer(serializers.Serializer[Any]):
    accept = serializers.BooleanField(help_text=_("true：整改到位，销号；false：退回街道重新整改"))
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
