"""Emergency path (先行救助, DOMAIN §6.9) and public emergencies (突发公共事件).

The street pays first from its reserve fund up to ``street_approval_multiplier × S``; above that
the payment waits for the county supervisor. The fund's balance row is locked for every movement
and can never go below zero (checked here with a clear message, refused by the database too).
The rest of the procedure must then be completed within 20 working days of the payment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError, Conflict
from accounts.models import Region, Role, User
from accounts.selectors import region_visible_to
from applications.models import EmergencyKind
from casework.models import (
    OPEN_STATUSES,
    Case,
    EmergencyPayment,
    LedgerKind,
    PaymentStatus,
    PublicEmergency,
    ReserveFund,
    ReserveFundEntry,
    Tier,
)
from casework.services.evaluation import evaluate_case, tier_entry
from casework.services.intake import CASE_DAYS
from casework.services.transitions import lock_case
from casework.workdays import working_deadline

CENT = Decimal("0.01")


def _require(actor: User, roles: set[str], street_code: str) -> None:
    if actor.role not in roles:
        raise BusinessError(_("您的岗位不能办理此项业务。"), code="role_forbidden", status=403)
    if not region_visible_to(actor, street_code):
        raise BusinessError(_("该街道不在您的管辖范围内。"), code="out_of_scope", status=404)


def _debit(*, street_code: str, amount: Decimal, actor: User, case: Case, note: str) -> ReserveFundEntry:
    fund = ReserveFund.objects.select_for_update().filter(street_id=street_code).first()
    balance = fund.balance if fund else Decimal("0")
    if fund is None or balance < amount:
        raise BusinessError(
            _("街道备用金余额不足(余额 %(b)s 元)，不能支付 %(a)s 元。") % {"b": balance, "a": amount},
            code="reserve_fund_insufficient",
            status=409,
            balance=str(balance),
        )
    fund.balance = balance - amount
    fund.save(update_fields=["balance", "updated_at"])
    return ReserveFundEntry.objects.create(
        fund=fund,
        kind=LedgerKind.PAYMENT,
        amount=amount,
        balance_after=fund.balance,
        case=case,
        actor=actor,
        note=note,
    )


@transaction.atomic
def reserve_fund_top_up(*, actor: User, street: Region, amount: Decimal, note: str) -> ReserveFundEntry:
    """拨入备用金: the street approver, the county supervisor or an administrator."""
    _require(actor, {Role.APPROVER, Role.SUPERVISOR, Role.ADMIN}, street.code)
    if street.level != Region.Level.STREET:
        raise ValidationError({"street": [_("请选择街道(乡镇)。")]})
    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise ValidationError({"amount": [_("拨入金额须大于0。")]})
    ReserveFund.objects.get_or_create(street=street)
    fund = ReserveFund.objects.select_for_update().get(street=street)
    fund.balance += amount
    fund.save(update_fields=["balance", "updated_at"])
    entry = ReserveFundEntry.objects.create(
        fund=fund, kind=LedgerKind.TOP_UP, amount=amount, balance_after=fund.balance, actor=actor, note=note.strip()
    )
    audit_record(
        actor=actor,
        action="reserve_fund.top_up",
        obj=entry,
        region_code=street.code,
        after={"amount": amount, "balance": fund.balance},
        reason=note.strip(),
    )
    return entry


@transaction.atomic
def emergency_pay(*, actor: User, case: Case, amount: Decimal, reason: str) -> EmergencyPayment:
    """先行救助: pay now within the street limit, or send the payment to the county above it."""
    case = lock_case(case)
    _require(actor, {Role.APPROVER}, case.street_id)
    if not case.is_open:
        raise Conflict(_("案件已办结，不能先行救助。"), code="case_closed")
    if not case.fast_track:
        raise BusinessError(_("只有急难类申请或突发公共事件中的申请可以先行救助。"), code="not_fast_track", status=409)
    if case.emergency_payments.filter(status__in=[PaymentStatus.PAID, PaymentStatus.PENDING_COUNTY]).exists():
        raise Conflict(_("本案件已办理先行救助，不能重复支付。"), code="already_paid")
    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise ValidationError({"amount": [_("金额须大于0。")]})
    if len(reason.strip()) < 4:
        raise ValidationError({"reason": [_("请填写先行救助事由(至少4个字)。")]})
    today = timezone.localdate()
    evaluation = evaluate_case(case, as_of=today)
    emergency = tier_entry(evaluation, Tier.EMERGENCY)
    if emergency is None:
        why: dict[str, Any] = next((t for t in evaluation["tiers"] if t["tier"] == Tier.EMERGENCY), {"reasons": []})
        messages = "；".join(r["message"] for r in why["reasons"]) or _("未登记急难事由")
        raise BusinessError(_("不符合急难救助条件：%(m)s") % {"m": messages}, code="not_eligible", status=409)
    from casework.services.evaluation import street_limit

    limit = street_limit(case, evaluation, today)
    payment = EmergencyPayment(
        case=case,
        amount=amount,
        street_limit=limit,
        reason=reason.strip(),
        evaluation=evaluation,
        requested_by=actor,
    )
    if amount <= limit:
        payment.ledger_entry = _debit(
            street_code=case.street_id, amount=amount, actor=actor, case=case, note=f"{case.receipt_no} 先行救助"
        )
        payment.status = PaymentStatus.PAID
        payment.paid_on = today
        due = working_deadline(today, CASE_DAYS)
        case.emergency_due = due.date
        case.deadlines_provisional = case.deadlines_provisional or due.provisional
        case.save(update_fields=["emergency_due", "deadlines_provisional"])
    else:
        payment.status = PaymentStatus.PENDING_COUNTY
    payment.save()
    audit_record(
        actor=actor,
        action="emergency.pay" if payment.status == PaymentStatus.PAID else "emergency.refer_county",
        obj=payment,
        region_code=case.street_id,
        after={"amount": amount, "limit": limit, "status": payment.status},
        reason=reason.strip(),
    )
    return payment


@transaction.atomic
def emergency_payment_county_decide(
    *, actor: User, payment: EmergencyPayment, approve: bool, note: str
) -> EmergencyPayment:
    """County supervisor approves (the street pays from its fund) or refuses an above-limit payment."""
    payment = EmergencyPayment.objects.select_for_update().select_related("case").get(pk=payment.pk)
    case = lock_case(payment.case_id)
    _require(actor, {Role.SUPERVISOR}, case.street_id)
    if payment.status != PaymentStatus.PENDING_COUNTY:
        raise Conflict(_("该笔先行救助已处理。"), code="already_decided")
    if len(note.strip()) < 2:
        raise ValidationError({"note": [_("请填写审批意见。")]})
    today = timezone.localdate()
    payment.county_decided_by = actor
    payment.county_note = note.strip()
    if approve:
        payment.ledger_entry = _debit(
            street_code=case.street_id,
            amount=payment.amount,
            actor=actor,
            case=case,
            note=f"{case.receipt_no} 先行救助(县级审批)",
        )
        payment.status = PaymentStatus.PAID
        payment.paid_on = today
        due = working_deadline(today, CASE_DAYS)
        case.emergency_due = due.date
        case.save(update_fields=["emergency_due"])
    else:
        payment.status = PaymentStatus.REFUSED
    payment.save()
    audit_record(
        actor=actor,
        action="emergency.county_approve" if approve else "emergency.county_refuse",
        obj=payment,
        region_code=case.street_id,
        after={"status": payment.status, "amount": payment.amount},
        reason=note.strip(),
    )
    return payment


@transaction.atomic
def public_emergency_declare(
    *,
    actor: User,
    region: Region,
    kind: str,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
    description: str = "",
) -> PublicEmergency:
    """A county supervisor declares a public emergency over an area of her county."""
    if actor.role not in {Role.SUPERVISOR, Role.ADMIN}:
        raise BusinessError(_("只有县级民政部门可以认定突发公共事件。"), code="role_forbidden", status=403)
    if not region_visible_to(actor, region.code) or region.level == Region.Level.CITY:
        raise ValidationError({"region": [_("影响区域须在您所辖县(市、区)范围内。")]})
    if kind not in EmergencyKind.values:
        raise ValidationError({"kind": [_("未知的事件类别。")]})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": [_("结束日期不能早于开始日期。")]})
    if len(title.strip()) < 2:
        raise ValidationError({"title": [_("请填写事件名称。")]})
    emergency = PublicEmergency.objects.create(
        region=region,
        kind=kind,
        title=title.strip(),
        description=description.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        declared_by=actor,
    )
    # Open cases of the area accepted within the period join the fast track too.
    joined = Case.objects.filter(
        household__community__code__startswith=region.code,
        accepted_on__gte=starts_on,
        accepted_on__lte=ends_on,
        status__in=OPEN_STATUSES,
        public_emergency__isnull=True,
    ).update(public_emergency=emergency, fast_track=True)
    audit_record(
        actor=actor,
        action="public_emergency.declare",
        obj=emergency,
        region_code=region.code,
        after={
            "region": region.code,
            "kind": kind,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "title": title,
            "cases_joined": joined,
        },
    )
    return emergency
