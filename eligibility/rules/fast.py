"""Integer-fen batch evaluator for re-evaluating the stored caseload (issue 3, batch path).

Covers 特困, household 低保, 单人户低保, 低收入 and 支出型 — not 急难, which depends on a reported
event and is never part of the stored-caseload batch. It agrees to the fen with
``evaluate.evaluate`` (property-tested in ``tests/eligibility/test_properties.py``).

Exact arithmetic without Decimal: money is integer fen; every ratio parameter (deduction ratio,
increments, multipliers) is an exact fraction. Incomes are carried in units of 1/L fen, where L is
the least common multiple of the denominators of the deduction ratio and the increment rates
(L = 10 with the defaults), so ``0.3 × S`` and ``0.2 × S`` are integers; comparisons with
multipliers are cross-multiplied; each amount is rounded half-up once, at its end:
``round_half_up(x / d) = (2x + d) // (2d)`` for x ≥ 0.

Input (already aggregated, e.g. by SQL; ``household_to_fast`` builds it from a ``Household``):

``FastHousehold`` = (members, financial_fen, max_private_vehicle_fen, homes, employs_others,
profit_fen, rigid_annual_fen)
  - members: counted members only (lives together, not excluded), in a stable order; bit i of the
    member masks in the result refers to members[i];
  - max_private_vehicle_fen: highest price of a non-business vehicle, −1 when there is none;
  - employs_others: a member's business has employed others for 12+ months;
  - profit_fen: the business's average monthly net profit (0 when none);
  - rigid_annual_fen: medical + education + rehabilitation over the last 12 months.

``FastMember`` = (earned_fen, other_fen, inc_class, no_work_capacity, has_able_supporter,
adl_incapable, institutional)
  - earned_fen: wage + business (monthly); other_fen: other non-exempt kinds (monthly);
  - inc_class: 2 = class A (grade 1–2 disability or serious illness; also the 单人户 candidates and
    the 48× asset limit), 1 = class B (60+, under 18, grade 3–4), 0 = none — computed with
    ``increments.increment_class`` for the evaluation date;
  - no_work_capacity: from ``tiers.work_capacity_none`` for the evaluation date.

Result per household, a plain tuple (``FastResult._make`` names it):
(primary, monthly_fen, tiers_mask, tekun_fen, dibao_fen, single_fen, tekun_members_mask,
single_members_mask); primary is one of ``PRIMARY_CODES``; tiers_mask combines the ``BIT_*`` flags.

Parameters: ``FastParams(parameter_set)`` converts once per (region chain, date). The dibao and
tekun standards and the care table must be whole fen (``ValueError`` otherwise); a parameter with no
value in force raises ``MissingParameter`` only when a household actually needs it, exactly as
``evaluate`` does (the parameter named may differ when several are missing).

Speed (``evaluate_batch`` only, CPython 3.11, one core of this 2-core AMD EPYC machine while it was
shared with other work, load ≈ 3): 3.5–4.1 µs per household best of 5 (median 4–6 µs) over synthetic
households of ~2.5 members, measured with ``.venv/bin/python -m eligibility.rules.fast 1000000``.
1,000,000 households ≈ 4 s of evaluation on one core, well inside the 60 s end-to-end budget.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import ceil, lcm
from typing import NamedTuple

from eligibility.rules.increments import CLASS_A, CLASS_B, increment_class
from eligibility.rules.parameters import MissingParameter, ParameterSet
from eligibility.rules.tiers import work_capacity_none
from eligibility.rules.types import (
    CARE_TIERS,
    EARNED_INCOME_KINDS,
    EXEMPT_INCOME_KINDS,
    Household,
    Member,
)

BIT_TEKUN = 1
BIT_DIBAO = 2  # household 低保
BIT_DIBAO_SINGLE = 4  # at least one 单人户 case
BIT_LOW_INCOME = 8
BIT_EXPENDITURE_HARDSHIP = 16

PRIMARY_CODES: tuple[str, ...] = ("none", "tekun", "dibao", "expenditure_hardship", "low_income")


class FastMember(NamedTuple):
    earned_fen: int
    other_fen: int
    inc_class: int
    no_work_capacity: bool
    has_able_supporter: bool
    adl_incapable: int
    institutional: bool


class FastHousehold(NamedTuple):
    members: tuple[FastMember, ...]
    financial_fen: int
    max_private_vehicle_fen: int
    homes: int
    employs_others: bool
    profit_fen: int
    rigid_annual_fen: int


class FastResult(NamedTuple):
    primary: int
    monthly_fen: int
    tiers_mask: int
    tekun_fen: int
    dibao_fen: int
    single_fen: int
    tekun_members_mask: int
    single_members_mask: int


# adl_incapable → care tier index (self_care, partial, full), DOMAIN §8.
_CARE_INDEX = (0, 1, 1, 1, 2, 2, 2)


def to_fen(amount: Decimal) -> int:
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"amount has sub-fen precision: {amount}")
    return int(fen)


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


class FastParams:
    """Parameters pre-converted to integers; a missing one raises only when it is needed."""

    def __init__(self, params: ParameterSet) -> None:
        self.region = params.region_chain[0]
        self.as_of = params.as_of

        def ratio(name: str) -> Fraction | None:
            try:
                return Fraction(params.value(name))
            except MissingParameter:
                return None

        s = to_fen(params.value("dibao_standard"))
        ded, inc_a, inc_b = (
            ratio(n) for n in ("employment_cost_deduction_ratio", "increment_class_a", "increment_class_b")
        )
        scale = lcm(*(f.denominator for f in (ded, inc_a, inc_b) if f is not None), 1)

        def scaled(f: Fraction | None) -> int | None:
            return None if f is None else int(f * s * scale)

        def cross(f: Fraction | None, factor: int) -> tuple[int, int] | None:
            return None if f is None else (f.numerator * factor, f.denominator)

        def fen(name: str) -> int | None:
            try:
                return to_fen(params.value(name))
            except MissingParameter:
                return None

        vehicle = ratio("vehicle_price_limit")
        basic = fen("tekun_basic_annual")
        amounts: tuple[int, ...] | None = None
        if basic is not None:
            try:
                care = [
                    to_fen(params.care_annual(mode, tier)) for mode in ("home", "institutional") for tier in CARE_TIERS
                ]
                amounts = tuple(_round_half_up(basic + c, 12) for c in care)
            except MissingParameter:
                amounts = None
        self.packed = (
            scale,
            s * scale,
            scaled(ded),
            scaled(inc_a),
            scaled(inc_b),
            None if basic is None else basic * scale,
            amounts,
            cross(ratio("asset_financial_multiplier"), s),
            cross(ratio("asset_financial_multiplier_vulnerable"), s),
            # price ≥ limit ⇔ price_fen ≥ ⌈limit × 100⌉ (the limit may, in theory, have sub-fen)
            None if vehicle is None else ceil(vehicle * 100),
            cross(ratio("max_homes"), 1),
            cross(ratio("business_profit_multiplier"), s),
            cross(ratio("low_income_multiplier"), 1),
        )

    def missing(self, name: str) -> MissingParameter:
        return MissingParameter(name, self.region, self.as_of)


def household_to_fast(household: Household) -> FastHousehold:
    """The compact form of a ``Household`` (counted members only) for its ``as_of``."""
    as_of = household.as_of
    members = tuple(_member_to_fast(m, as_of) for m in household.members if m.counted)
    assets = household.assets
    private = [to_fen(v.price) for v in assets.vehicles if not v.business_use]
    business = assets.business
    return FastHousehold(
        members=members,
        financial_fen=to_fen(assets.financial),
        max_private_vehicle_fen=max(private) if private else -1,
        homes=assets.homes,
        employs_others=business is not None and business.employs_others_12m,
        profit_fen=to_fen(business.avg_monthly_net_profit) if business is not None else 0,
        rigid_annual_fen=to_fen(household.rigid_expenditure_annual.total),
    )


def _member_to_fast(member: Member, as_of: date) -> FastMember:
    earned = sum(to_fen(i.monthly) for i in member.incomes if i.kind in EARNED_INCOME_KINDS)
    other = sum(
        to_fen(i.monthly)
        for i in member.incomes
        if i.kind not in EARNED_INCOME_KINDS and i.kind not in EXEMPT_INCOME_KINDS
    )
    cls = increment_class(member, as_of)
    return FastMember(
        earned_fen=earned,
        other_fen=other,
        inc_class=2 if cls == CLASS_A else 1 if cls == CLASS_B else 0,
        no_work_capacity=work_capacity_none(member, as_of) is not None,
        has_able_supporter=member.has_able_supporter,
        adl_incapable=member.adl_incapable,
        institutional=member.care_mode == "institutional",
    )


def evaluate_batch(
    households: Iterable[FastHousehold], params: FastParams
) -> list[tuple[int, int, int, int, int, int, int, int]]:
    """Evaluate many households; one result tuple each (see the module docstring)."""
    (
        scale,
        s_scaled,
        ded,
        inc_a,
        inc_b,
        basic_scaled,
        tekun_amounts,
        fin,
        fin_vulnerable,
        vehicle_limit,
        homes_limit,
        profit_limit,
        low_income_limit,
    ) = params.packed
    care_index = _CARE_INDEX
    # Unpack the cross-multiplication pairs once; a missing one raises below only when needed.
    fin_num, fin_den = fin or (0, 0)
    finv_num, finv_den = fin_vulnerable or (0, 0)
    homes_num, homes_den = homes_limit or (0, 0)
    profit_num, profit_den = profit_limit or (0, 0)
    low_num, low_den = low_income_limit or (0, 0)
    results: list[tuple[int, int, int, int, int, int, int, int]] = []
    append = results.append
    for members, financial, vehicle, homes, employs, profit, rigid in households:
        n = len(members)
        total = count_a = count_b = 0
        t_mask = t_income = t_count = t_a = t_b = t_fen = 0
        bit = 1
        for earned, other, cls, no_capacity, supporter, adl, institutional in members:
            if earned:
                if ded is None:
                    raise params.missing("employment_cost_deduction_ratio")
                income = earned * scale - ded
                if income < 0:
                    income = 0
                income += other * scale
            else:
                income = other * scale
            total += income
            if cls == 2:
                count_a += 1
            elif cls == 1:
                count_b += 1
            if no_capacity and not supporter:
                if basic_scaled is None:
                    raise params.missing("tekun_basic_annual")
                if 12 * income < basic_scaled:
                    t_mask |= bit
                    t_income += income
                    t_count += 1
                    if cls == 2:
                        t_a += 1
                    elif cls == 1:
                        t_b += 1
                    if tekun_amounts is not None:
                        t_fen += tekun_amounts[care_index[adl] + (3 if institutional else 0)]
            bit <<= 1

        # Property test over all counted members.
        if count_a:
            if fin_vulnerable is None:
                raise params.missing("asset_financial_multiplier_vulnerable")
            too_rich = financial * finv_den > finv_num * (n or 1)
        else:
            if fin is None:
                raise params.missing("asset_financial_multiplier")
            too_rich = financial * fin_den > fin_num * (n or 1)
        if vehicle_limit is None:
            raise params.missing("vehicle_price_limit")
        if homes_limit is None:
            raise params.missing("max_homes")
        if profit_limit is None:
            raise params.missing("business_profit_multiplier")
        passed = not (
            too_rich
            or vehicle >= vehicle_limit
            or homes * homes_den > homes_num
            or employs
            or profit * profit_den > profit_num
        )

        mask = 0
        if passed:
            if t_mask:
                if tekun_amounts is None:
                    raise params.missing("tekun_care_annual")
                mask |= BIT_TEKUN
                n -= t_count
                total -= t_income
                count_a -= t_a
                count_b -= t_b
        else:
            t_mask = t_fen = 0
        dibao_fen = single_fen = single_mask = 0
        if n:
            standard_n = s_scaled * n
            if total < standard_n:
                if passed:
                    increments = 0
                    if count_a:
                        if inc_a is None:
                            raise params.missing("increment_class_a")
                        increments += count_a * inc_a
                    if count_b:
                        if inc_b is None:
                            raise params.missing("increment_class_b")
                        increments += count_b * inc_b
                    dibao_fen = (2 * (standard_n - total + increments) + scale) // (2 * scale)
                    mask |= BIT_DIBAO
            else:
                if low_income_limit is None:
                    raise params.missing("low_income_multiplier")
                if passed and total * low_den < low_num * standard_n:
                    mask |= BIT_LOW_INCOME
                    if count_a:  # 单人户 candidates among the remaining members
                        bit = 1
                        for earned, other, cls, _c, _s, _a, _i in members:
                            if cls == 2 and not t_mask & bit:
                                if earned:
                                    income = earned * scale - ded  # type: ignore[operator]
                                    if income < 0:
                                        income = 0
                                    income += other * scale
                                else:
                                    income = other * scale
                                if income < s_scaled:
                                    if inc_a is None:
                                        raise params.missing("increment_class_a")
                                    single_fen += (2 * (s_scaled - income + inc_a) + scale) // (2 * scale)
                                    single_mask |= bit
                            bit <<= 1
                        if single_mask:
                            mask |= BIT_DIBAO_SINGLE
                if passed and 12 * total - rigid * scale < 12 * standard_n:
                    mask |= BIT_EXPENDITURE_HARDSHIP
        if mask & BIT_TEKUN:
            primary = 1
        elif mask & (BIT_DIBAO | BIT_DIBAO_SINGLE):
            primary = 2
        elif mask & BIT_EXPENDITURE_HARDSHIP:
            primary = 3
        elif mask & BIT_LOW_INCOME:
            primary = 4
        else:
            primary = 0
        append(
            (
                primary,
                t_fen + dibao_fen + single_fen,
                mask,
                t_fen,
                dibao_fen,
                single_fen,
                t_mask,
                single_mask,
            )
        )
    return results


def evaluate_one(household: FastHousehold, params: FastParams) -> FastResult:
    return FastResult._make(evaluate_batch((household,), params)[0])


def _benchmark(count: int, repeat: int = 5) -> tuple[float, float]:
    """Best and median µs per household over ``count`` synthetic households (~2.5 members each)."""
    import random

    from eligibility.rules.defaults import build_static_parameter_set

    rng = random.Random(20230701)
    params = FastParams(build_static_parameter_set(["340104", "3401"], date(2023, 8, 1)))
    households = []
    for _ in range(count):
        members = tuple(
            FastMember(
                earned_fen=rng.choice((0, 0, rng.randrange(0, 400_000))),
                other_fen=rng.choice((0, rng.randrange(0, 200_000))),
                inc_class=rng.choice((0, 0, 0, 1, 2)),
                no_work_capacity=rng.random() < 0.3,
                has_able_supporter=rng.random() < 0.7,
                adl_incapable=rng.randrange(7),
                institutional=rng.random() < 0.2,
            )
            for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))
        )
        households.append(
            FastHousehold(
                members,
                rng.choice((0, rng.randrange(0, 10_000_000))),
                rng.choice((-1, rng.randrange(0, 15_000_000))),
                rng.choice((0, 1, 1, 1, 2)),
                rng.random() < 0.02,
                rng.choice((0, rng.randrange(0, 300_000))),
                rng.choice((0, rng.randrange(0, 10_000_000))),
            )
        )
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        evaluate_batch(households, params)
        timings.append((time.perf_counter() - start) / count * 1e6)
    return min(timings), sorted(timings)[len(timings) // 2]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    best, median = _benchmark(n)
    print(f"{best:.2f} µs per household (best of 5; median {median:.2f} µs; {n} households)")
