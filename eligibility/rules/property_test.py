"""Property test 财产状况 (DOMAIN §3), shared by 特困, 低保, 低收入 and 支出型.

Every condition yields a reason; failing ones are reported separately.
"""

from __future__ import annotations

from decimal import Decimal

from eligibility.rules.common import SRC_PROPERTY, money, num, reason, yuan
from eligibility.rules.increments import is_vulnerable
from eligibility.rules.parameters import ParameterSet
from eligibility.rules.types import Household, Member, PropertyTest, Reason


def _financial(household: Household, counted: tuple[Member, ...], standard: Decimal, params: ParameterSet) -> Reason:
    vulnerable = [m.ref for m in counted if is_vulnerable(m)]
    name = "asset_financial_multiplier_vulnerable" if vulnerable else "asset_financial_multiplier"
    multiplier = params.value(name)
    limit = multiplier * standard  # per counted member
    # With no counted member the whole amount is compared (no household test applies anyway).
    divisor = max(len(counted), 1)
    financial = household.assets.financial
    per_member = money(financial / divisor)
    why = f"(成员 {'、'.join(vulnerable)} 有1–2级残疾或重病)" if vulnerable else ""
    figures = (
        f"家庭金融资产 {yuan(financial)} 元，{divisor} 人，人均 {yuan(per_member)} 元；"
        f"限额为 {num(multiplier)} × 低保标准 {yuan(standard)} = {yuan(limit)} 元/人{why}"
    )
    if financial > limit * divisor:
        return reason(
            "property.financial_assets_exceed",
            f"{figures}，超过限额({yuan(financial)} > {yuan(limit * divisor)})",
            SRC_PROPERTY,
        )
    return reason("property.financial_assets_within_limit", f"{figures}，未超过限额", SRC_PROPERTY)


def _vehicles(household: Household, params: ParameterSet) -> Reason:
    limit = params.value("vehicle_price_limit")
    private = [v.price for v in household.assets.vehicles if not v.business_use]
    over = [p for p in private if p >= limit]
    if over:
        listed = "、".join(f"{yuan(p)} 元" for p in over)
        return reason(
            "property.vehicle_price",
            f"拥有非经营用机动车价格 {listed}，达到或超过限额 {yuan(limit)} 元",
            SRC_PROPERTY,
        )
    detail = f"最高价格 {yuan(max(private))} 元" if private else "无非经营用机动车"
    return reason(
        "property.vehicle_within_limit",
        f"{detail}，低于限额 {yuan(limit)} 元",
        SRC_PROPERTY,
    )


def _homes(household: Household, params: ParameterSet) -> Reason:
    limit = params.value("max_homes")
    homes = household.assets.homes
    if homes > limit:
        return reason(
            "property.too_many_homes",
            f"家庭拥有住房 {homes} 套，超过 {num(limit)} 套",
            SRC_PROPERTY,
        )
    return reason("property.homes_within_limit", f"家庭拥有住房 {homes} 套，未超过 {num(limit)} 套", SRC_PROPERTY)


def _business(household: Household, standard: Decimal, params: ParameterSet) -> list[Reason]:
    multiplier = params.value("business_profit_multiplier")
    limit = multiplier * standard
    business = household.assets.business
    reasons: list[Reason] = []
    if business is not None and business.employs_others_12m:
        reasons.append(
            reason(
                "property.business_employs_others",
                "家庭成员为法定代表人的经营实体雇佣他人12个月以上",
                SRC_PROPERTY,
            )
        )
    else:
        reasons.append(reason("property.business_no_employees", "无雇佣他人12个月以上的经营实体", SRC_PROPERTY))
    profit = business.avg_monthly_net_profit if business is not None else Decimal("0")
    figures = (
        f"经营实体近12个月月均净利润 {yuan(profit)} 元，限额 {num(multiplier)} × 低保标准"
        f" {yuan(standard)} = {yuan(limit)} 元"
    )
    if profit > limit:
        reasons.append(reason("property.business_profit", f"{figures}，超过限额", SRC_PROPERTY))
    else:
        reasons.append(reason("property.business_profit_within_limit", f"{figures}，未超过限额", SRC_PROPERTY))
    return reasons


FAIL_CODES = frozenset(
    {
        "property.financial_assets_exceed",
        "property.vehicle_price",
        "property.too_many_homes",
        "property.business_employs_others",
        "property.business_profit",
    }
)


def property_test(
    household: Household, counted: tuple[Member, ...], standard: Decimal, params: ParameterSet
) -> PropertyTest:
    """Fails if any condition holds; uses all counted members (DOMAIN §8)."""
    reasons = [
        _financial(household, counted, standard, params),
        _vehicles(household, params),
        _homes(household, params),
        *_business(household, standard, params),
    ]
    passed = not any(r.code in FAIL_CODES for r in reasons)
    return PropertyTest(passed=passed, reasons=tuple(reasons))
