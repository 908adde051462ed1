"""Explicit input and output serializers of the charity API (STYLE §7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from charity.models import (
    Account,
    Donation,
    DonorKind,
    Fund,
    HandOff,
    HandOffEvent,
    JournalEntry,
    JournalLine,
    NeedType,
    next_steps,
)

MONEY_KW: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
PURPOSE_CHOICES = [("", _("非限定")), *NeedType.choices]


def money_in(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**MONEY_KW, min_value=Decimal("0.01"), **kwargs)


# --- funds and the ledger ------------------------------------------------------------------------


class CharityPocketOutSerializer(serializers.ModelSerializer[Account]):
    purpose_display = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = ["purpose", "purpose_display", "balance"]

    def get_purpose_display(self, obj: Account) -> str:
        return str(obj.get_purpose_display()) if obj.purpose else str(_("非限定"))


class FundOutSerializer(serializers.ModelSerializer[Fund]):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    pockets = serializers.SerializerMethodField()

    class Meta:
        model = Fund
        fields = [
            "id",
            "kind",
            "kind_display",
            "name",
            "holder",
            "region",
            "region_name",
            "balance",
            "active",
            "pockets",
        ]

    @extend_schema_field(CharityPocketOutSerializer(many=True))
    def get_pockets(self, obj: Fund) -> list[dict[str, Any]]:
        cash = [a for a in obj.accounts.all() if a.kind == "cash" and a.balance]
        return list(CharityPocketOutSerializer(cash, many=True).data)


class CharityLineOutSerializer(serializers.ModelSerializer[JournalLine]):
    fund = serializers.IntegerField(source="account.fund_id", read_only=True)
    fund_name = serializers.CharField(source="account.fund.name", read_only=True)
    account = serializers.CharField(source="account.kind", read_only=True)
    account_display = serializers.CharField(source="account.label", read_only=True)
    purpose = serializers.CharField(source="account.purpose", read_only=True)

    class Meta:
        model = JournalLine
        fields = ["fund", "fund_name", "account", "account_display", "purpose", "debit", "credit"]


class CharityEntryOutSerializer(serializers.ModelSerializer[JournalEntry]):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    reversed_by = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    lines = CharityLineOutSerializer(many=True, read_only=True)

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "number",
            "kind",
            "kind_display",
            "booked_on",
            "memo",
            "region_code",
            "reverses",
            "reversed_by",
            "handoff",
            "reason",
            "created_by",
            "created_at",
            "lines",
        ]

    def get_reversed_by(self, obj: JournalEntry) -> int | None:
        reversal = getattr(obj, "reversal", None) if hasattr(obj, "reversal") else None
        return reversal.pk if reversal is not None else None


class DonationInSerializer(serializers.Serializer):
    fund = serializers.IntegerField(label=_("基金"))
    donor_kind = serializers.ChoiceField(choices=DonorKind.choices, label=_("捐赠人类别"))
    donor_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="", label=_("捐赠人"))
    amount = money_in(label=_("金额(元)"))
    purpose = serializers.ChoiceField(
        choices=PURPOSE_CHOICES, required=False, allow_blank=True, default="", label=_("限定用途")
    )
    received_on = serializers.DateField(label=_("到账日期"))
    receipt_no = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DonationOutSerializer(serializers.ModelSerializer[Donation]):
    entry = CharityEntryOutSerializer(read_only=True)

    class Meta:
        model = Donation
        fields = [
            "id",
            "fund",
            "donor_kind",
            "donor_name",
            "amount",
            "purpose",
            "received_on",
            "receipt_no",
            "note",
            "created_at",
            "entry",
        ]


class TransferInSerializer(serializers.Serializer):
    from_fund = serializers.IntegerField(label=_("调出基金"))
    to_fund = serializers.IntegerField(label=_("调入基金"))
    amount = money_in(label=_("金额(元)"))
    purpose = serializers.ChoiceField(choices=PURPOSE_CHOICES, required=False, allow_blank=True, default="")
    reason = serializers.CharField(label=_("调拨事由"))


class CharityReasonInSerializer(serializers.Serializer):
    reason = serializers.CharField(label=_("原因"))


class CharityNoteInSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", label=_("说明"))


class CharityApproveInSerializer(serializers.Serializer):
    amount = money_in(label=_("批准金额(元)"))
    note = serializers.CharField(required=False, allow_blank=True, default="", label=_("审批意见"))


class CharityPeriodInSerializer(serializers.Serializer):
    start = serializers.DateField(label=_("起始日期"))
    end = serializers.DateField(label=_("截止日期"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": _("截止日期不能早于起始日期。")})
        return attrs


class StatementRowOutSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    inflow = serializers.DecimalField(**MONEY_KW)
    outflow = serializers.DecimalField(**MONEY_KW)


class StatementLineOutSerializer(serializers.Serializer):
    booked_on = serializers.DateField()
    number = serializers.CharField()
    entry_id = serializers.IntegerField()
    kind_label = serializers.CharField()
    memo = serializers.CharField()
    inflow = serializers.DecimalField(**MONEY_KW)
    outflow = serializers.DecimalField(**MONEY_KW)
    balance = serializers.DecimalField(**MONEY_KW)


class CharityPurposeAmountOutSerializer(serializers.Serializer):
    purpose = serializers.CharField()
    amount = serializers.DecimalField(**MONEY_KW)


class StatementOutSerializer(serializers.Serializer):
    fund = serializers.IntegerField(source="fund.pk")
    fund_name = serializers.CharField(source="fund.name")
    start = serializers.DateField()
    end = serializers.DateField()
    opening = serializers.DecimalField(**MONEY_KW)
    inflow = serializers.DecimalField(**MONEY_KW)
    outflow = serializers.DecimalField(**MONEY_KW)
    closing = serializers.DecimalField(**MONEY_KW)
    rows = StatementRowOutSerializer(many=True)
    closing_by_purpose = serializers.SerializerMethodField()
    lines = StatementLineOutSerializer(many=True)

    @extend_schema_field(CharityPurposeAmountOutSerializer(many=True))
    def get_closing_by_purpose(self, obj: Any) -> list[dict[str, Any]]:
        return [{"purpose": label, "amount": f"{amount:.2f}"} for label, amount in obj.closing_by_purpose]


class GrantRowOutSerializer(serializers.Serializer):
    street = serializers.CharField()
    street_name = serializers.CharField()
    need_type = serializers.CharField()
    need_label = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY_KW)


class GrantsReportOutSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    rows = GrantRowOutSerializer(many=True)
    total_count = serializers.IntegerField()
    total_amount = serializers.DecimalField(**MONEY_KW)


# --- hand-offs -----------------------------------------------------------------------------------


class HandOffInSerializer(serializers.Serializer):
    case = serializers.IntegerField(label=_("案件"))
    fund = serializers.IntegerField(
        required=False, label=_("承接基金"), help_text=_("缺省为案件所在县的社会救助专项基金")
    )
    need_type = serializers.ChoiceField(choices=NeedType.choices, label=_("需求类别"))
    description = serializers.CharField(label=_("未满足需求说明"))
    amount_asked = money_in(label=_("申请金额(元)"))
    consent_by = serializers.CharField(
        max_length=32,
        label=_("同意人"),
        error_messages={"required": _("必须记录家庭同意转介的同意人。"), "blank": _("必须记录家庭同意转介的同意人。")},
    )
    consent_relation = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    consent_on = serializers.DateField(
        label=_("同意日期"), error_messages={"required": _("请填写家庭同意转介的日期。")}
    )
    consent_scan = serializers.FileField(required=False, allow_null=True, label=_("同意书扫描件"))


class CharityEventOutSerializer(serializers.ModelSerializer[HandOffEvent]):
    actor = serializers.CharField(source="actor.username", read_only=True)

    class Meta:
        model = HandOffEvent
        fields = ["action", "label", "from_status", "to_status", "actor", "at", "amount", "reason"]


class CharityStepOutSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    to = serializers.CharField()


class HandOffOutSerializer(serializers.ModelSerializer[HandOff]):
    case_receipt_no = serializers.CharField(source="case.receipt_no", read_only=True)
    street_name = serializers.CharField(source="street.name", read_only=True)
    fund_name = serializers.CharField(source="fund.name", read_only=True)
    need_type_display = serializers.CharField(source="get_need_type_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    referred_by = serializers.CharField(source="referred_by.username", read_only=True)
    handled_by = serializers.SerializerMethodField()
    has_consent_scan = serializers.SerializerMethodField()
    payment_entry = serializers.SerializerMethodField()
    events = CharityEventOutSerializer(many=True, read_only=True)
    next_actions = serializers.SerializerMethodField()

    class Meta:
        model = HandOff
        fields = [
            "id",
            "number",
            "case",
            "case_receipt_no",
            "street",
            "street_name",
            "fund",
            "fund_name",
            "need_type",
            "need_type_display",
            "description",
            "amount_asked",
            "consent_by",
            "consent_relation",
            "consent_on",
            "has_consent_scan",
            "status",
            "status_display",
            "status_changed_at",
            "referred_by",
            "referred_at",
            "handled_by",
            "decision_reason",
            "grant_amount",
            "approved_at",
            "paid_at",
            "closed_at",
            "payment_entry",
            "events",
            "next_actions",
        ]

    def get_handled_by(self, obj: HandOff) -> str | None:
        return obj.handled_by.username if obj.handled_by else None

    def get_has_consent_scan(self, obj: HandOff) -> bool:
        return bool(obj.consent_scan)

    def get_payment_entry(self, obj: HandOff) -> int | None:
        paid = [e for e in obj.entries.all() if e.kind == "grant" and not hasattr(e, "reversal")]
        return paid[-1].pk if paid else None

    @extend_schema_field(CharityStepOutSerializer(many=True))
    def get_next_actions(self, obj: HandOff) -> list[dict[str, str]]:
        request = self.context.get("request")
        role = getattr(getattr(request, "user", None), "role", None)
        return [{"action": s.action, "label": str(s.label), "to": to} for to, s in next_steps(obj.status, role)]
