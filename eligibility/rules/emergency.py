"""急难/临时救助 (DOMAIN §4, §8): a recent sudden event or being stranded, with unmet need; no
property test. Recommended amount = clamp(unmet need, min × S, max × S), approved by the street up
to ``street_approval_multiplier × S``, by the county above.
"""

from __future__ import annotations

from decimal import Decimal

from eligibility.rules.common import SRC_EMERGENCY, money, num, reason, yuan
from eligibility.rules.parameters import ParameterSet
from eligibility.rules.types import EMERGENCY, Household, Reason, TierResult

EMERGENCY_LABELS: dict[str, str] = {
    "fire": "火灾",
    "accident": "交通或其他意外事故",
    "sudden_illness": "突发重大疾病",
    "public_health": "突发公共卫生事件",
    "disaster": "自然灾害",
    "stranded": "生活无着",
}


def emergency(household: Household, standard: Decimal, params: ParameterSet) -> TierResult:
    """急难: recent sudden event (or stranded) with unmet need, grant limits; no property test."""
    src = SRC_EMERGENCY
    event = household.emergency
    if event is None:
        why = reason("emergency.no_event", "未申报突发事件或生活无着情形", src)
        return TierResult(tier=EMERGENCY, eligible=False, reasons=(why,))
    as_of = household.as_of
    stranded = event.kind == "stranded"
    reasons: list[Reason] = []
    label = EMERGENCY_LABELS[event.kind]
    if stranded:
        event_ok = True
        reasons.append(reason("emergency.stranded", "临时遇困、生活无着，不受事件期限限制", src))
    else:
        lookback = params.value("emergency_lookback_days")
        days = (as_of - event.date).days
        event_ok = 0 <= days <= lookback
        if days < 0:
            code, text = "emergency.event_after_as_of", f"{label}发生于 {event.date}，晚于评估日期 {as_of}"
        elif event_ok:
            code, text = (
                "emergency.within_lookback",
                f"{label}发生于 {event.date}，距评估日期 {days} 天，在 {num(lookback)} 天内",
            )
        else:
            code, text = (
                "emergency.outside_lookback",
                f"{label}发生于 {event.date}，距评估日期 {days} 天，超过 {num(lookback)} 天",
            )
        reasons.append(reason(code, text, src))
    unmet = event.cost - event.insurance - event.other_aid
    need_ok = stranded or unmet > 0
    if not stranded:
        figures = (
            f"未覆盖需求 = 费用 {yuan(event.cost)} − 保险赔付 {yuan(event.insurance)}"
            f" − 其他救助 {yuan(event.other_aid)} = {yuan(unmet)} 元"
        )
        code = "emergency.unmet_need" if need_ok else "emergency.no_unmet_need"
        reasons.append(reason(code, f"{figures}{'' if need_ok else '，无未覆盖需求'}", src))
    limit = params.value("temporary_grants_per_year")
    grants = household.temporary_grants_last_12_months
    grants_ok = grants < limit
    code = "emergency.grants_below_limit" if grants_ok else "emergency.grant_limit"
    reasons.append(
        reason(
            code,
            f"近12个月已获临时救助 {grants} 次，每年最多 {num(limit)} 次{'' if grants_ok else '，已达上限'}",
            src,
        )
    )
    if household.same_cause_granted:
        reasons.append(reason("emergency.same_cause", "同一事由已获临时救助，不重复救助", src))
    else:
        reasons.append(reason("emergency.new_cause", "同一事由此前未获临时救助", src))
    eligible = event_ok and need_ok and grants_ok and not household.same_cause_granted
    if not eligible:
        return TierResult(tier=EMERGENCY, eligible=False, reasons=tuple(reasons))
    low = params.value("emergency_min_multiplier") * standard
    high = params.value("emergency_max_multiplier") * standard
    if stranded:
        exact, code, how = low, "emergency.amount_stranded", f"生活无着，按下限 {yuan(low)} 元"
    elif unmet < low:
        exact, code, how = low, "emergency.amount_raised_to_minimum", f"低于下限，按下限 {yuan(low)} 元"
    elif unmet > high:
        exact, code, how = high, "emergency.amount_capped_at_maximum", f"超过上限，按上限 {yuan(high)} 元"
    else:
        exact, code, how = unmet, "emergency.amount_unmet_need", "在上下限之间，按未覆盖需求"
    recommended = money(exact)
    reasons.append(
        reason(
            code,
            f"建议救助金额 {yuan(recommended)} 元(下限 {yuan(low)} 元，上限 {yuan(high)} 元；{how})",
            src,
        )
    )
    street_limit = params.value("street_approval_multiplier") * standard
    level = "street" if recommended <= street_limit else "county"
    if level == "street":
        text = f"{yuan(recommended)} 元不超过街道审批限额 {yuan(street_limit)} 元，由街道(乡镇)审批"
    else:
        text = f"{yuan(recommended)} 元超过街道审批限额 {yuan(street_limit)} 元，报县级民政部门审批"
    reasons.append(reason(f"emergency.{level}_approval", text, src))
    return TierResult(
        tier=EMERGENCY,
        eligible=True,
        members=tuple(m.ref for m in household.members if m.counted),
        recommended_amount=recommended,
        approval_level=level,
        reasons=tuple(reasons),
    )
