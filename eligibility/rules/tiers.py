"""The five tiers 分层分类 (DOMAIN §4, §8): one pure function per tier (急难 lives in ``emergency.py``
and is re-exported here).

Comparisons are exact (cross-multiplied, never on a rounded per-capita figure); each amount is
rounded half-up to the fen once, at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from eligibility.rules.care import CARE_MODE_LABELS, CARE_TIER_LABELS, care_tier
from eligibility.rules.common import (
    SRC_CARE,
    SRC_DIBAO,
    SRC_EXPENDITURE,
    SRC_LOW_INCOME,
    SRC_SINGLE,
    SRC_TEKUN,
    ZERO,
    age_on,
    money,
    num,
    reason,
    yuan,
)
from eligibility.rules.emergency import emergency
from eligibility.rules.income import HouseholdIncome, MemberIncome
from eligibility.rules.increments import is_vulnerable, member_increment
from eligibility.rules.parameters import ParameterSet
from eligibility.rules.property_test import FAIL_CODES
from eligibility.rules.types import (
    DIBAO,
    DISABILITY_LABELS,
    EXPENDITURE_HARDSHIP,
    LOW_INCOME,
    TEKUN,
    Household,
    Member,
    PropertyTest,
    Reason,
    TierResult,
)

__all__ = ["dibao", "dibao_single", "emergency", "expenditure_hardship", "low_income", "tekun", "work_capacity_none"]


def _property_reason(tier: str, prop: PropertyTest, source: str) -> Reason:
    if prop.passed:
        return reason(f"{tier}.property_test_passed", "家庭财产状况符合规定", source)
    failed = "；".join(r.message for r in prop.reasons if r.code in FAIL_CODES)
    return reason(f"{tier}.property_test_failed", f"家庭财产状况不符合规定：{failed}", source)


def _sum(values: Sequence[MemberIncome]) -> Decimal:
    return sum((mi.counted for mi in values), ZERO)


def _head(n: int, total: Decimal) -> str:
    per_capita = money(total / n)
    return f"家庭成员 {n} 人，月计入收入 {yuan(total)} 元，月人均 {yuan(per_capita)} 元"


# --- 特困 ------------------------------------------------------------------------------------


def work_capacity_none(member: Member, as_of: date) -> str | None:
    """Why the member has no work capacity (DOMAIN §8), or None when they have some."""
    age = age_on(member.birth_date, as_of)
    causes: list[str] = []
    if age >= 60:
        causes.append(f"年满60周岁({age}岁)")
    if age < 18:
        causes.append(f"未满18周岁({age}岁)")
    grade, kind = member.disability_grade, member.disability_kind
    if kind in ("intellectual", "mental") and grade in (1, 2):
        causes.append(f"{grade}级{DISABILITY_LABELS[kind]}残疾")
    if kind == "physical" and grade == 1:
        causes.append("1级肢体残疾")
    if member.work_capacity == "none":
        causes.append("经评估无劳动能力")
    return "、".join(causes) or None


def tekun(household: Household, income: HouseholdIncome, prop: PropertyTest, params: ParameterSet) -> TierResult:
    """特困 per person: no work capacity, no able supporter, own income < basic ÷ 12, property."""
    as_of = household.as_of
    reasons: list[Reason] = []
    for m in household.members:
        if not m.counted:
            reasons.append(reason("tekun.member_not_counted", f"成员 {m.ref} 不计入家庭成员，不认定特困", SRC_TEKUN))
    if not income.members:
        reasons.append(reason("tekun.no_counted_members", "无共同生活的家庭成员", SRC_TEKUN))
    candidates: list[MemberIncome] = []
    for mi in income.members:
        m = mi.member
        why = work_capacity_none(m, as_of)
        if why is None:
            reasons.append(
                reason(
                    "tekun.has_work_capacity",
                    f"成员 {m.ref}({age_on(m.birth_date, as_of)}岁)有劳动能力",
                    SRC_TEKUN,
                )
            )
            continue
        reasons.append(reason("tekun.no_work_capacity", f"成员 {m.ref} {why}，无劳动能力", SRC_TEKUN))
        if m.has_able_supporter:
            reasons.append(reason("tekun.has_supporter", f"成员 {m.ref} 有具备赡养、抚养、扶养能力的义务人", SRC_TEKUN))
            continue
        reasons.append(reason("tekun.no_supporter", f"成员 {m.ref} 无法定义务人或义务人无履行能力", SRC_TEKUN))
        basic = params.value("tekun_basic_annual")
        own = mi.counted
        figures = (
            f"成员 {m.ref} 月计入收入 {yuan(own)} 元(× 12 = {yuan(own * 12)} 元)，特困基本生活标准 {yuan(basic)} 元/年"
        )
        if own * 12 < basic:
            reasons.append(reason("tekun.income_below_basic", f"{figures}，低于标准", SRC_TEKUN))
            candidates.append(mi)
        else:
            reasons.append(reason("tekun.income_at_or_above_basic", f"{figures}，不低于标准", SRC_TEKUN))
    if candidates or any(r.code == "tekun.income_at_or_above_basic" for r in reasons):
        reasons.append(_property_reason(TEKUN, prop, SRC_TEKUN))
    if not prop.passed:
        candidates = []
    amounts: list[tuple[str, Decimal]] = []
    for mi in candidates:
        m = mi.member
        basic = params.value("tekun_basic_annual")
        tier = care_tier(m.adl_incapable)
        care = params.care_annual(m.care_mode, tier)
        amount = money((basic + care) / 12)
        amounts.append((m.ref, amount))
        reasons.append(
            reason(
                "tekun.care_tier",
                f"成员 {m.ref} 六项日常生活活动中 {m.adl_incapable} 项不能自理，"
                f"{CARE_TIER_LABELS[tier]}，{CARE_MODE_LABELS[m.care_mode]}",
                SRC_CARE,
            )
        )
        reasons.append(
            reason(
                "tekun.amount",
                f"成员 {m.ref} 特困供养金 = (基本生活标准 {yuan(basic)} + 照料护理标准"
                f" {yuan(care)}) ÷ 12 = {yuan(amount)} 元/月",
                SRC_TEKUN,
            )
        )
    return TierResult(
        tier=TEKUN,
        eligible=bool(amounts),
        members=tuple(ref for ref, _ in amounts),
        monthly_amount=sum((a for _, a in amounts), ZERO) if amounts else Decimal("0.00"),
        reasons=tuple(reasons),
        member_amounts=tuple(amounts),
    )


# --- 低保 (household and 单人户) ---------------------------------------------------------------


def dibao(
    household: Household,
    income: HouseholdIncome,
    remaining: tuple[MemberIncome, ...],
    prop: PropertyTest,
    standard: Decimal,
    params: ParameterSet,
) -> TierResult:
    """Household 低保: remaining (non-特困) members' p < S and property passed."""
    reasons = list(income.reasons)
    exited = [mi.ref for mi in income.members if mi not in remaining]
    if exited:
        reasons.append(
            reason(
                "dibao.tekun_members_excluded",
                f"成员 {'、'.join(exited)} 纳入特困供养，不再计入低保家庭；低保按其余 {len(remaining)} 人计算",
                SRC_DIBAO,
            )
        )
    n = len(remaining)
    if n == 0:
        reasons.append(reason("dibao.no_remaining_members", "无可计入低保的家庭成员", SRC_DIBAO))
        return TierResult(tier=DIBAO, eligible=False, reasons=tuple(reasons))
    total = _sum(remaining)
    limit = standard * n
    figures = (
        f"{_head(n, total)}，低保标准 {yuan(standard)} 元({yuan(total)} 对比 {yuan(standard)} × {n} = {yuan(limit)})"
    )
    below = total < limit
    if below:
        reasons.append(reason("dibao.income_below_standard", f"{figures}：人均收入低于低保标准", SRC_DIBAO))
    else:
        reasons.append(reason("dibao.income_at_or_above_standard", f"{figures}：人均收入不低于低保标准", SRC_DIBAO))
    reasons.append(_property_reason(DIBAO, prop, SRC_DIBAO))
    if not (below and prop.passed):
        return TierResult(tier=DIBAO, eligible=False, reasons=tuple(reasons))
    increments = ZERO
    for mi in remaining:
        extra, why = member_increment(mi.member, household.as_of, standard, params)
        increments += extra
        if why is not None:
            reasons.append(why)
    amount = money(limit - total + increments)
    reasons.append(
        reason(
            "dibao.amount",
            f"低保金 = {yuan(standard)} × {n} − {yuan(total)} + 分类施保 {yuan(increments)} = {yuan(amount)} 元/月",
            SRC_DIBAO,
        )
    )
    return TierResult(
        tier=DIBAO,
        eligible=True,
        members=tuple(mi.ref for mi in remaining),
        monthly_amount=amount,
        reasons=tuple(reasons),
    )


def dibao_single(
    household: Household,
    remaining: tuple[MemberIncome, ...],
    household_dibao: bool,
    prop: PropertyTest,
    standard: Decimal,
    params: ParameterSet,
) -> tuple[tuple[TierResult, ...], tuple[Reason, ...]]:
    """单人户低保: in a non-dibao household with S ≤ p < m × S passing the property test, each
    member with a grade 1–2 disability or serious illness whose own counted income < S.

    Returns the single-person cases and the reasons for candidates not enrolled (these go on the
    household dibao entry).
    """
    n = len(remaining)
    candidates = [mi for mi in remaining if is_vulnerable(mi.member)]
    if household_dibao or not prop.passed or n == 0 or not candidates:
        return (), ()
    total = _sum(remaining)
    if total < standard * n:  # p < S without household dibao cannot happen once property passed
        return (), ()
    multiplier = params.value("low_income_multiplier")
    upper = multiplier * standard
    band = (
        f"{_head(n, total)}，不低于低保标准 {yuan(standard)} 元，"
        f"对比 {num(multiplier)} 倍低保标准 {yuan(upper)} 元"
        f"({yuan(total)} 对比 {yuan(upper)} × {n} = {yuan(upper * n)})"
    )
    if total >= upper * n:
        note = reason("dibao.single_household_income_at_or_above_limit", f"单人户：{band}，不低于上限", SRC_SINGLE)
        return (), (note,)
    cases: list[TierResult] = []
    notes: list[Reason] = []
    for mi in candidates:
        m = mi.member
        own = mi.counted
        if own >= standard:
            notes.append(
                reason(
                    "dibao.single_own_income_at_or_above_standard",
                    f"单人户：成员 {m.ref} 本人月计入收入 {yuan(own)} 元，不低于低保标准 {yuan(standard)} 元",
                    SRC_SINGLE,
                )
            )
            continue
        extra, why = member_increment(m, household.as_of, standard, params, SRC_SINGLE)
        amount = money(standard - own + extra)
        reasons = [
            reason("dibao.single_person_case", f"成员 {m.ref} 有1–2级残疾或重病，可单独纳入低保(单人户)", SRC_SINGLE),
            reason("dibao.single_household_income_in_band", f"{band}，低于上限", SRC_SINGLE),
            reason(
                "dibao.single_own_income_below_standard",
                f"成员 {m.ref} 本人月计入收入 {yuan(own)} 元，低于低保标准 {yuan(standard)} 元",
                SRC_SINGLE,
            ),
            _property_reason(DIBAO, prop, SRC_SINGLE),
        ]
        if why is not None:
            reasons.append(why)
        reasons.append(
            reason(
                "dibao.single_amount",
                f"单人户低保金 = {yuan(standard)} − {yuan(own)} + 分类施保 {yuan(extra)} = {yuan(amount)} 元/月",
                SRC_SINGLE,
            )
        )
        cases.append(
            TierResult(
                tier=DIBAO,
                eligible=True,
                members=(m.ref,),
                monthly_amount=amount,
                reasons=tuple(reasons),
                member_amounts=((m.ref, amount),),
            )
        )
    return tuple(cases), tuple(notes)


# --- 低收入 and 支出型 ----------------------------------------------------------------------------


def low_income(
    remaining: tuple[MemberIncome, ...], prop: PropertyTest, standard: Decimal, params: ParameterSet
) -> TierResult:
    """低收入家庭: S ≤ p < m × S and property passed (no cash; special assistance)."""
    n = len(remaining)
    if n == 0:
        why = reason("low_income.no_remaining_members", "无可计入的家庭成员", SRC_LOW_INCOME)
        return TierResult(tier=LOW_INCOME, eligible=False, reasons=(why,))
    total = _sum(remaining)
    head = _head(n, total)
    in_band = False
    if total < standard * n:
        reasons = [
            reason(
                "low_income.income_below_standard",
                f"{head}，低于低保标准 {yuan(standard)} 元({yuan(total)} < {yuan(standard * n)})",
                SRC_LOW_INCOME,
            )
        ]
    else:
        multiplier = params.value("low_income_multiplier")
        upper = multiplier * standard
        figures = (
            f"{head}，不低于低保标准 {yuan(standard)} 元，对比 {num(multiplier)} 倍低保标准"
            f" {yuan(upper)} 元({yuan(total)} 对比 {yuan(upper * n)})"
        )
        in_band = total < upper * n
        code = "low_income.income_in_band" if in_band else "low_income.income_at_or_above_limit"
        reasons = [reason(code, f"{figures}：{'低于' if in_band else '不低于'}上限", SRC_LOW_INCOME)]
    reasons.append(_property_reason(LOW_INCOME, prop, SRC_LOW_INCOME))
    eligible = in_band and prop.passed
    return TierResult(
        tier=LOW_INCOME,
        eligible=eligible,
        members=tuple(mi.ref for mi in remaining) if eligible else (),
        reasons=tuple(reasons),
    )


def expenditure_hardship(
    household: Household,
    remaining: tuple[MemberIncome, ...],
    prop: PropertyTest,
    standard: Decimal,
) -> TierResult:
    """支出型困难家庭: p ≥ S and counted income − rigid expenditure ÷ 12 < S × n; property passed."""
    n = len(remaining)
    src = SRC_EXPENDITURE
    if n == 0:
        why = reason("expenditure_hardship.no_remaining_members", "无可计入的家庭成员", src)
        return TierResult(tier=EXPENDITURE_HARDSHIP, eligible=False, reasons=(why,))
    total = _sum(remaining)
    head = _head(n, total)
    reasons: list[Reason] = []
    not_dibao = total >= standard * n
    if not_dibao:
        reasons.append(
            reason(
                "expenditure_hardship.income_at_or_above_standard", f"{head}，不低于低保标准 {yuan(standard)} 元", src
            )
        )
    else:
        reasons.append(
            reason(
                "expenditure_hardship.income_below_standard",
                f"{head}，低于低保标准 {yuan(standard)} 元，属低保收入范围",
                src,
            )
        )
    rigid = household.rigid_expenditure_annual.total
    annual = total * 12
    net_per_capita = money((annual - rigid) / n)
    figures = (
        f"(年计入收入 {yuan(annual)} − 年刚性支出 {yuan(rigid)}) ÷ {n} = {yuan(net_per_capita)} 元/人，"
        f"对比 12 × 低保标准 {yuan(standard * 12)} 元"
    )
    low_net = annual - rigid < standard * 12 * n
    if low_net:
        reasons.append(reason("expenditure_hardship.net_income_below_standard", f"{figures}：低于", src))
    else:
        reasons.append(reason("expenditure_hardship.net_income_at_or_above_standard", f"{figures}：不低于", src))
    reasons.append(_property_reason(EXPENDITURE_HARDSHIP, prop, src))
    eligible = not_dibao and low_net and prop.passed
    return TierResult(
        tier=EXPENDITURE_HARDSHIP,
        eligible=eligible,
        members=tuple(mi.ref for mi in remaining) if eligible else (),
        reasons=tuple(reasons),
    )
