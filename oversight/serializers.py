"""Serializers of the supervision figures endpoint (request filters and the response shape)."""

from __future__ import annotations

from rest_framework import serializers


class FiguresAreaSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="区划代码(县/市，或所选街道)")
    name = serializers.CharField()
    street = serializers.CharField(allow_blank=True, help_text="所选街道代码，空为全辖区")


class FiguresPeriodSerializer(serializers.Serializer):
    from_ = serializers.CharField(help_text="YYYY-MM")
    to = serializers.CharField(help_text="YYYY-MM")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class FiguresCoverageSerializer(serializers.Serializer):
    households = serializers.IntegerField(help_text="在保家庭(户)")
    people = serializers.IntegerField(help_text="保障人数(人)")


class FiguresTierCaseloadSerializer(serializers.Serializer):
    tier = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API field is named label
    households = serializers.IntegerField()
    people = serializers.IntegerField()


class FiguresStreetSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    by_tier = serializers.DictField(child=serializers.IntegerField(), help_text="类别 → 在保户数")
    households = serializers.IntegerField()
    people = serializers.IntegerField()
    received = serializers.IntegerField()
    approved = serializers.IntegerField()
    refused = serializers.IntegerField()
    overdue = serializers.IntegerField()
    alerts_open = serializers.IntegerField()


class FiguresCaseloadSerializer(serializers.Serializer):
    tiers = FiguresTierCaseloadSerializer(many=True)
    streets = FiguresStreetSerializer(many=True)


class FiguresMonthApplicationsSerializer(serializers.Serializer):
    month = serializers.CharField()
    received = serializers.IntegerField()
    approved = serializers.IntegerField()
    refused = serializers.IntegerField()


class FiguresApplicationsSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="期间受理(受理日期在期间内)")
    approved = serializers.IntegerField(help_text="期间批准(办结日期在期间内)")
    refused = serializers.IntegerField(help_text="期间不予批准")
    decided = serializers.IntegerField()
    avg_working_days = serializers.DecimalField(
        max_digits=8, decimal_places=1, allow_null=True, help_text="受理至审批决定的平均工作日"
    )
    monthly = FiguresMonthApplicationsSerializer(many=True)


class FiguresTierSpendingSerializer(serializers.Serializer):
    tier = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API field is named label
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    payments = serializers.IntegerField()


class FiguresMonthSpendingSerializer(serializers.Serializer):
    month = serializers.CharField()
    by_tier = serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=2))
    total = serializers.DecimalField(max_digits=16, decimal_places=2)


class FiguresSpendingSerializer(serializers.Serializer):
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    by_tier = FiguresTierSpendingSerializer(many=True)
    monthly = FiguresMonthSpendingSerializer(many=True)


class FiguresStepSerializer(serializers.Serializer):
    step = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API field is named label
    count = serializers.IntegerField()


class FiguresOverdueSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="逾期案件(去重)")
    steps = FiguresStepSerializer(many=True)


class FiguresOutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API field is named label
    count = serializers.IntegerField()


class FiguresReviewsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    resolved = serializers.IntegerField()
    outcomes = FiguresOutcomeSerializer(many=True)


class FiguresRuleCountSerializer(serializers.Serializer):
    rule = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API field is named label
    count = serializers.IntegerField()


class FiguresAlertsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    rules = FiguresRuleCountSerializer(many=True)


class FiguresHandOffCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API field is named label
    count = serializers.IntegerField()


class FiguresFundBalanceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    region = serializers.CharField()
    balance = serializers.DecimalField(max_digits=16, decimal_places=2)


class FiguresCharitySerializer(serializers.Serializer):
    handoffs_total = serializers.IntegerField()
    granted = serializers.DecimalField(max_digits=16, decimal_places=2)
    handoffs = FiguresHandOffCountSerializer(many=True)
    funds = FiguresFundBalanceSerializer(many=True)
    funds_total = serializers.DecimalField(max_digits=16, decimal_places=2)


class FiguresSerializer(serializers.Serializer):
    area = FiguresAreaSerializer()
    period = FiguresPeriodSerializer()
    as_of = serializers.DateTimeField(allow_null=True, help_text="汇总统计的计算时间")
    coverage = FiguresCoverageSerializer()
    caseload = FiguresCaseloadSerializer()
    applications = FiguresApplicationsSerializer()
    spending = FiguresSpendingSerializer()
    overdue = FiguresOverdueSerializer()
    reviews = FiguresReviewsSerializer()
    alerts = FiguresAlertsSerializer()
    charity = FiguresCharitySerializer()
