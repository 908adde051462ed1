"""Government-purchased services: catalogue, organisations, contracts, orders, delivery, evaluation.

The county (supervisor) keeps the catalogue and the contracts and evaluates them; the street
(reviewer/approver) orders services for a case under a contract in force; the assigned social
worker records what was delivered. An order never exceeds the contract's remaining budget (the
contract row is locked while the order is placed) and never over-delivers (the order row is locked
while a delivery is counted).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record, snapshot
from accounts.errors import BusinessError
from accounts.models import Region, Role, User
from accounts.selectors import region_visible_to
from casework.models import Case
from casework.models.plans import STREET_LEADS
from casework.models.services_catalogue import (
    ContractEvaluation,
    DeliveryKind,
    DeliveryRecord,
    OrderStatus,
    ServiceContract,
    ServiceItem,
    ServiceOrder,
    ServiceOrganisation,
)
from casework.selectors_plans import contract_completion
from casework.services.plans import not_in_future, require_case, require_role

COUNTY_ROLES = frozenset({Role.SUPERVISOR})


def require_county(actor: User, county: Region | str, what: str) -> str:
    """The county code if ``actor`` is a supervisor over it; else 403/404."""
    code = county if isinstance(county, str) else county.code
    require_role(actor, COUNTY_ROLES, what)
    if len(code) != 6 or not region_visible_to(actor, code):
        raise BusinessError(_("该县(市、区)不在您的管辖范围内。"), code="out_of_scope", status=404)
    return code


@transaction.atomic
def service_item_create(
    *,
    actor: User,
    county: Region,
    code: str,
    name: str,
    category: str,
    unit_price: Decimal,
    unit: str = "次",
    description: str = "",
) -> ServiceItem:
    county_code = require_county(actor, county, _("维护购买服务目录"))
    if ServiceItem.objects.filter(county_id=county_code, code=code).exists():
        raise ValidationError({"code": [_("目录编号已存在。")]})
    if unit_price < 0:
        raise ValidationError({"unit_price": [_("单价不能为负数。")]})
    item = ServiceItem.objects.create(
        county_id=county_code,
        code=code,
        name=name,
        category=category,
        unit=unit,
        unit_price=unit_price,
        description=description,
    )
    fields = ["code", "name", "category", "unit", "unit_price"]
    audit_record(
        actor=actor, action="service.item_create", obj=item, region_code=county_code, after=snapshot(item, fields)
    )
    return item


@transaction.atomic
def organisation_create(
    *, actor: User, county: Region, name: str, credit_code: str = "", contact: str = "", phone: str = ""
) -> ServiceOrganisation:
    county_code = require_county(actor, county, _("登记社工机构"))
    if ServiceOrganisation.objects.filter(county_id=county_code, name=name).exists():
        raise ValidationError({"name": [_("该机构已登记。")]})
    org = ServiceOrganisation.objects.create(
        county_id=county_code, name=name, credit_code=credit_code, contact=contact, phone=phone
    )
    audit_record(
        actor=actor,
        action="service.organisation_create",
        obj=org,
        region_code=county_code,
        after=snapshot(org, ["name", "credit_code", "contact"]),
    )
    return org


@transaction.atomic
def contract_create(
    *,
    actor: User,
    organisation: ServiceOrganisation,
    contract_no: str,
    title: str,
    services: list[ServiceItem],
    starts_on: dt.date,
    ends_on: dt.date,
    budget: Decimal,
) -> ServiceContract:
    county_code = require_county(actor, organisation.county_id, _("签订购买服务合同"))
    errors: dict[str, list[str]] = {}
    if ends_on < starts_on:
        errors["ends_on"] = [_("服务期结束日期不能早于开始日期。")]
    if budget <= 0:
        errors["budget"] = [_("合同金额须大于0。")]
    if not services:
        errors["services"] = [_("请至少选择一个服务项目。")]
    elif any(s.county_id != county_code for s in services):
        errors["services"] = [_("服务项目须来自本县(市、区)的购买服务目录。")]
    if ServiceContract.objects.filter(contract_no=contract_no).exists():
        errors["contract_no"] = [_("合同编号已存在。")]
    if errors:
        raise ValidationError(errors)
    contract = ServiceContract.objects.create(
        county_id=county_code,
        organisation=organisation,
        contract_no=contract_no,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        budget=budget,
        created_by=actor,
    )
    contract.services.set(services)
    audit_record(
        actor=actor,
        action="service.contract_create",
        obj=contract,
        region_code=county_code,
        after={
            **snapshot(contract, ["contract_no", "organisation", "starts_on", "ends_on", "budget"]),
            "services": sorted(s.pk for s in services),
        },
    )
    return contract


@transaction.atomic
def service_order_create(
    *,
    actor: User,
    case: Case | int,
    contract: ServiceContract,
    service: ServiceItem,
    quantity: int,
    note: str = "",
) -> ServiceOrder:
    require_role(actor, STREET_LEADS, _("下达服务订单"))
    found = require_case(actor, case)
    locked = ServiceContract.objects.select_for_update().get(pk=contract.pk)
    today = timezone.localdate()
    if locked.county_id != found.street_id[:6]:
        raise ValidationError({"contract": [_("只能使用本县(市、区)的购买服务合同。")]})
    if not locked.starts_on <= today <= locked.ends_on:
        raise ValidationError({"contract": [_("该合同不在服务期内。")]})
    if not locked.services.filter(pk=service.pk).exists():
        raise ValidationError({"service": [_("该服务项目不在合同约定的服务范围内。")]})
    if quantity <= 0:
        raise ValidationError({"quantity": [_("数量须大于0。")]})
    amount = (service.unit_price * quantity).quantize(Decimal("0.01"))
    spent = locked.orders.exclude(status=OrderStatus.CANCELLED).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    if spent + amount > locked.budget:
        raise BusinessError(
            _("订单金额 %(a)s 元超出合同剩余金额 %(r)s 元。") % {"a": amount, "r": locked.budget - spent},
            code="over_budget",
            status=409,
        )
    order = ServiceOrder.objects.create(
        case=found,
        contract=locked,
        service=service,
        quantity=quantity,
        unit_price=service.unit_price,
        amount=amount,
        note=note,
        ordered_by=actor,
    )
    audit_record(
        actor=actor,
        action="service.order_create",
        obj=order,
        region_code=found.street_id,
        after=snapshot(order, ["case", "contract", "service", "quantity", "amount", "status"]),
    )
    return order


@transaction.atomic
def service_order_cancel(*, actor: User, order: ServiceOrder | int, reason: str) -> ServiceOrder:
    require_role(actor, STREET_LEADS, _("取消服务订单"))
    pk = order if isinstance(order, int) else order.pk
    locked = ServiceOrder.objects.select_for_update().get(pk=pk)
    case = require_case(actor, locked.case_id)
    if locked.status == OrderStatus.CANCELLED:
        return locked
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写取消原因。")]})
    if locked.delivered_quantity > 0:
        raise BusinessError(_("订单已有服务记录，不能取消。"), code="order_started", status=409)
    before = {"status": locked.status}
    locked.status = OrderStatus.CANCELLED
    locked.cancel_reason = reason.strip()
    locked.save(update_fields=["status", "cancel_reason"])
    audit_record(
        actor=actor,
        action="service.order_cancel",
        obj=locked,
        region_code=case.street_id,
        before=before,
        after={"status": locked.status},
        reason=reason,
    )
    return locked


@transaction.atomic
def delivery_record(
    *,
    actor: User,
    case: Case | int,
    kind: str,
    delivered_on: dt.date,
    content: str,
    needs: str = "",
    order: ServiceOrder | None = None,
    quantity: int = 0,
) -> DeliveryRecord:
    """A social worker's visit, needs analysis or service session on an assigned case."""
    require_role(actor, {Role.SOCIAL_WORKER}, _("登记服务记录"))
    found = require_case(actor, case)
    errors: dict[str, list[str]] = {}
    if kind not in DeliveryKind.values:
        errors["kind"] = [_("请选择记录类型。")]
    if not content.strip():
        errors["content"] = [_("请填写服务记录。")]
    if kind == DeliveryKind.NEEDS and not needs.strip():
        errors["needs"] = [_("需求分析须写明分析出的需求。")]
    if order is None and quantity:
        errors["quantity"] = [_("未关联订单的记录不计数量。")]
    if errors:
        raise ValidationError(errors)
    not_in_future(delivered_on, "delivered_on")
    locked_order: ServiceOrder | None = None
    before: dict[str, object] = {}
    if order is not None:
        locked_order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
        if locked_order.case_id != found.pk:
            raise ValidationError({"order": [_("订单不属于本案件。")]})
        if locked_order.status != OrderStatus.ORDERED:
            raise BusinessError(
                _("订单已%(s)s，不能再登记服务。") % {"s": locked_order.get_status_display()}, status=409
            )
        remaining = locked_order.quantity - locked_order.delivered_quantity
        if quantity <= 0 or quantity > remaining:
            raise ValidationError({"quantity": [_("计入订单的数量须在 1 至 %(r)d 之间。") % {"r": remaining}]})
        before = {"delivered_quantity": locked_order.delivered_quantity, "status": locked_order.status}
        locked_order.delivered_quantity += quantity
        if locked_order.delivered_quantity == locked_order.quantity:
            locked_order.status = OrderStatus.COMPLETED
        locked_order.save(update_fields=["delivered_quantity", "status"])
    record = DeliveryRecord.objects.create(
        case=found,
        order=locked_order,
        kind=kind,
        delivered_on=delivered_on,
        quantity=quantity,
        social_worker=actor,
        content=content.strip(),
        needs=needs.strip(),
    )
    after: dict[str, object] = {"kind": kind, "delivered_on": delivered_on, "order": locked_order and locked_order.pk}
    if locked_order is not None:
        after.update(delivered_quantity=locked_order.delivered_quantity, status=locked_order.status)
    audit_record(
        actor=actor,
        action="service.delivery_record",
        obj=record,
        region_code=found.street_id,
        before=before or None,
        after=after,
    )
    return record


@transaction.atomic
def contract_evaluate(
    *,
    actor: User,
    contract: ServiceContract,
    period: str,
    quality: int,
    timeliness: int,
    satisfaction: int,
    comment: str = "",
    evaluated_on: dt.date | None = None,
) -> ContractEvaluation:
    county_code = require_county(actor, contract.county_id, _("评估购买服务合同"))
    errors = {
        name: [_("评分须为 1 至 5 分。")]
        for name, value in (("quality", quality), ("timeliness", timeliness), ("satisfaction", satisfaction))
        if not 1 <= value <= 5
    }
    if not period.strip():
        errors["period"] = [_("请填写评估期间。")]
    if errors:
        raise ValidationError(errors)
    day = evaluated_on or timezone.localdate()
    not_in_future(day, "evaluated_on")
    done = contract_completion(contract)
    evaluation = ContractEvaluation.objects.create(
        contract=contract,
        period=period.strip(),
        quality=quality,
        timeliness=timeliness,
        satisfaction=satisfaction,
        orders_total=done.orders_total,
        orders_completed=done.orders_completed,
        units_ordered=done.units_ordered,
        units_delivered=done.units_delivered,
        comment=comment,
        evaluated_by=actor,
        evaluated_on=day,
    )
    audit_record(
        actor=actor,
        action="service.contract_evaluate",
        obj=evaluation,
        region_code=county_code,
        after=snapshot(
            evaluation,
            ["contract", "period", "quality", "timeliness", "satisfaction", "orders_total", "orders_completed"],
        ),
    )
    return evaluation
