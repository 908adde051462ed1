"""Request and response bodies of the department recipient-status query."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from oversight.models import DEPARTMENT_TIER_CHOICES


class RecipientStatusInSerializer(serializers.Serializer[dict[str, str]]):
    id_number = serializers.CharField(
        label=_("身份证号码"), max_length=32, trim_whitespace=True, help_text=_("18位居民身份证号码")
    )


class RecipientTierSerializer(serializers.Serializer[dict[str, str]]):
    tier = serializers.ChoiceField(choices=DEPARTMENT_TIER_CHOICES, help_text=_("保障类别"))
    since = serializers.DateField(
        required=False, help_text=_("连续享受该类别的起始月份(月初日期);仅对有权获知的部门返回")
    )
    monthly_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        coerce_to_string=True,
        help_text=_("当前月救助金(元);仅对有权获知的部门返回"),
    )


class RecipientStatusOutSerializer(serializers.Serializer[dict[str, object]]):
    recipient = serializers.BooleanField(help_text=_("是否为本部门可查询类别的在保对象"))
    tiers = RecipientTierSerializer(many=True)
    as_of = serializers.DateField(help_text=_("查询基准日期"))


class RecipientStatusErrorSerializer(serializers.Serializer[dict[str, list[str]]]):
    id_number = serializers.ListField(child=serializers.CharField(), help_text=_("证件号的错误信息"))


class DepartmentDetailSerializer(serializers.Serializer[dict[str, str]]):
    detail = serializers.CharField()
