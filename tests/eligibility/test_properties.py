"""Property-based tests: amounts never negative, monotonic in income, batch (fen) = single (Decimal)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from eligibility.rules import fast
from eligibility.rules.defaults import default_rows
from eligibility.rules.evaluate import evaluate
from eligibility.rules.parameters import MissingParameter, ParameterSet, ParamValue
from eligibility.rules.payload import household_from_payload
from eligibility.rules.types import (
    COUNTED_INCOME_KINDS,
    DISABILITY_KINDS,
    EXCLUSION_REASONS,
    INCOME_KINDS,
    Assets,
    Business,
    Emergency,
    Evaluation,
    Household,
    Income,
    Member,
    RigidExpenditure,
    Vehicle,
)
from tests.eligibility.scenario_support import Scenario, load_scenarios, region_chain, standard_area_for

SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Dates covering every standard period: 2021-06 (686/646, no tekun basic), 2022 (717, no care table),
# 2023-07-01 (924/881) and later.
DATES = [date(2021, 6, 20), date(2022, 3, 1), date(2023, 7, 1), date(2023, 8, 1), date(2025, 2, 28)]
REGIONS = {"340104": "district", "340104001": "district", "340123": "county", "340123100": "county"}


def yuan(max_fen: int) -> st.SearchStrategy[Decimal]:
    """Amounts in whole fen, biased toward zero and the standards' boundaries."""
    return st.one_of(
        st.just(Decimal(0)),
        st.integers(0, max_fen).map(lambda f: Decimal(f) / 100),
        st.sampled_from(
            [Decimal("277.20"), Decimal("881.00"), Decimal("924.00"), Decimal("1648.25"), Decimal("1848.00")]
        ),
    )


INCOMES = st.lists(st.tuples(st.sampled_from(sorted(INCOME_KINDS)), yuan(250_000)), max_size=2)


@st.composite
def members(draw: st.DrawFn, as_of: date) -> Member:
    grade = draw(st.sampled_from([None, None, None, 1, 2, 3, 4]))
    return Member(
        ref="x",  # renamed m1, m2, ... by the household strategy
        birth_date=as_of - timedelta(days=draw(st.integers(0, 95 * 366))),
        lives_together=draw(st.sampled_from([True] * 9 + [False])),
        excluded=draw(st.sampled_from([None] * 20 + sorted(EXCLUSION_REASONS))),
        disability_grade=grade,
        disability_kind=draw(st.sampled_from(sorted(DISABILITY_KINDS))) if grade else None,
        serious_illness=draw(st.sampled_from([False, False, False, True])),
        work_capacity=draw(st.sampled_from([None, None, "none", "partial", "full"])),
        adl_incapable=draw(st.integers(0, 6)),
        has_able_supporter=draw(st.booleans()),
        care_mode=draw(st.sampled_from(["home", "institutional"])),
        incomes=tuple(Income(kind, amount) for kind, amount in draw(INCOMES)),
    )


@st.composite
def households(draw: st.DrawFn, with_emergency: bool = False) -> Household:
    as_of = draw(st.sampled_from(DATES))
    region = draw(st.sampled_from(sorted(REGIONS)))
    people = draw(st.lists(members(as_of), min_size=1, max_size=4))
    people = [replace(m, ref=f"m{i + 1}") for i, m in enumerate(people)]
    if draw(st.booleans()):
        # Put per-capita income near the interesting band S … 2S (S is 646–924 here).
        counted = [i for i, m in enumerate(people) if m.counted] or [0]
        fen = draw(st.integers(50_000, 200_000)) * len(counted) + draw(st.integers(0, 99))
        first = people[counted[0]]
        people[counted[0]] = replace(first, incomes=(*first.incomes, Income("other", Decimal(fen) / 100)))
    vehicles = draw(st.lists(st.tuples(yuan(12_000_000), st.booleans()), max_size=1))
    business = draw(st.one_of(st.none(), st.tuples(st.sampled_from([False] * 9 + [True]), yuan(400_000))))
    event = None
    if with_emergency and draw(st.booleans()):
        event = Emergency(
            kind=draw(st.sampled_from(["fire", "accident", "stranded", "disaster"])),
            date=as_of - timedelta(days=draw(st.integers(-2, 120))),
            cost=draw(yuan(3_000_000)),
            insurance=draw(yuan(500_000)),
            other_aid=draw(yuan(200_000)),
        )
    return Household(
        region=region,
        standard_area=REGIONS[region],
        as_of=as_of,
        members=tuple(people),
        assets=Assets(
            financial=draw(yuan(10_000_000)),
            vehicles=tuple(Vehicle(price, business_use) for price, business_use in vehicles),
            homes=draw(st.sampled_from([0, 1, 1, 1, 2])),
            business=None if business is None else Business(*business),
        ),
        rigid_expenditure_annual=RigidExpenditure(
            draw(st.one_of(st.just(Decimal(0)), st.integers(0, 6_000_000).map(lambda f: Decimal(f) / 100))),
            draw(yuan(1_000_000)),
            Decimal(0),
        ),
        emergency=event,
        temporary_grants_last_12_months=draw(st.integers(0, 3)),
        same_cause_granted=draw(st.sampled_from([False, False, False, True])),
    )


def chain(region: str) -> list[str]:
    return ([region] if len(region) > 6 else []) + [region[:6], "3401"]


def default_params(h: Household) -> ParameterSet:
    return ParameterSet(default_rows(), chain(h.region), h.as_of)


def run(h: Household, params: ParameterSet | None = None) -> Evaluation | None:
    try:
        return evaluate(h, params or default_params(h))
    except MissingParameter:
        return None


@SETTINGS
@given(households(with_emergency=True))
def test_amounts_are_never_negative_and_add_up(h: Household) -> None:
    ev = run(h)
    assume(ev is not None)
    assert ev is not None
    for tier in ev.tiers:
        assert tier.monthly_amount >= 0 and tier.recommended_amount >= 0
        assert tier.monthly_amount == tier.monthly_amount.quantize(Decimal("0.01"))
        assert tier.eligible or (tier.monthly_amount == 0 and tier.recommended_amount == 0 and not tier.members)
    recurring = sum((t.monthly_amount for t in ev.tiers if t.tier in ("tekun", "dibao")), Decimal(0))
    assert ev.monthly_amount == recurring


@SETTINGS
@given(households(), st.data())
def test_more_income_never_raises_the_household_dibao(h: Household, data: st.DataObject) -> None:
    before = run(h)
    assume(before is not None)
    i = data.draw(st.integers(0, len(h.members) - 1))
    extra = Income(data.draw(st.sampled_from(sorted(COUNTED_INCOME_KINDS))), data.draw(yuan(300_000)))
    member = h.members[i]
    richer = replace(
        h, members=(*h.members[:i], replace(member, incomes=(*member.incomes, extra)), *h.members[i + 1 :])
    )
    after = run(richer)
    assume(after is not None)
    assert before is not None and after is not None
    # A member leaving 特困 because of the extra income joins the dibao household; compare like with like.
    assume(before.tier("tekun").members == after.tier("tekun").members)
    assert after.tier("dibao").monthly_amount <= before.tier("dibao").monthly_amount
    assert after.tier("tekun").monthly_amount == before.tier("tekun").monthly_amount
    assert Decimal(after.counted_income) >= Decimal(before.counted_income)


def _agrees(h: Household, params: ParameterSet, fast_params_source: ParameterSet) -> None:
    ev = run(h, params)
    try:
        fp = fast.FastParams(fast_params_source)
        result = fast.evaluate_one(fast.household_to_fast(h), fp)
    except MissingParameter:
        assert ev is None, "fast path raised MissingParameter but evaluate() did not"
        return
    assert ev is not None, f"evaluate() raised MissingParameter but fast gave {result}"
    counted = [m.ref for m in h.members if m.counted]

    def refs(mask: int) -> tuple[str, ...]:
        return tuple(ref for bit, ref in enumerate(counted) if mask >> bit & 1)

    tekun, dibao = ev.tier("tekun"), ev.tier("dibao")
    singles = ev.single_person_dibao()
    fen = 100
    assert result.tekun_fen == tekun.monthly_amount * fen
    assert refs(result.tekun_members_mask) == tekun.members
    assert bool(result.tiers_mask & fast.BIT_DIBAO) == dibao.eligible
    assert result.dibao_fen == dibao.monthly_amount * fen
    assert refs(result.single_members_mask) == tuple(s.members[0] for s in singles)
    assert result.single_fen == sum(s.monthly_amount for s in singles) * fen
    assert result.monthly_fen == ev.monthly_amount * fen
    assert bool(result.tiers_mask & fast.BIT_LOW_INCOME) == ev.tier("low_income").eligible
    assert bool(result.tiers_mask & fast.BIT_EXPENDITURE_HARDSHIP) == ev.tier("expenditure_hardship").eligible
    expected_primary = ev.primary_tier if ev.primary_tier != "emergency" else "none"
    assert fast.PRIMARY_CODES[result.primary] == expected_primary


@SETTINGS
@given(households())
def test_fast_batch_agrees_with_evaluate_to_the_fen(h: Household) -> None:
    _agrees(h, default_params(h), default_params(h))


@st.composite
def odd_parameters(draw: st.DrawFn) -> dict[str, Decimal]:
    """Awkward but legal values: cents in S, ratios with 3 decimals, fractional multipliers."""

    def dec(lo: int, hi: int, places: int) -> Decimal:
        return Decimal(draw(st.integers(lo, hi))).scaleb(-places)

    return {
        "dibao_standard": dec(50_000, 150_000, 2),
        "tekun_basic_annual": dec(1_000_000, 2_500_000, 2),
        "employment_cost_deduction_ratio": dec(0, 1000, 3),
        "increment_class_a": dec(0, 500, 3),
        "increment_class_b": dec(0, 500, 3),
        "low_income_multiplier": dec(100, 300, 2),
        "asset_financial_multiplier": dec(100, 600, 1),
        "asset_financial_multiplier_vulnerable": dec(100, 800, 1),
        "business_profit_multiplier": dec(10, 40, 1),
        "vehicle_price_limit": dec(1_000_000, 12_000_000, 2),
        "max_homes": Decimal(draw(st.integers(0, 2))),
    }


@SETTINGS
@given(households(), odd_parameters())
def test_fast_batch_agrees_with_odd_parameters(h: Household, odd: dict[str, Decimal]) -> None:
    rows = default_rows() + [ParamValue(name, "3401", h.as_of, value) for name, value in odd.items()]
    _agrees(h, ParameterSet(rows, chain(h.region), h.as_of), ParameterSet(rows, chain(h.region), h.as_of))


def test_fast_batch_many_at_once_matches_one_by_one() -> None:
    h1 = Household(
        region="340104",
        standard_area="district",
        as_of=date(2023, 8, 1),
        members=(
            Member("a", date(1950, 1, 1), has_able_supporter=False, adl_incapable=2),
            Member("b", date(1980, 1, 1), incomes=(Income("wage", Decimal("1500.00")),)),
            Member("c", date(1982, 1, 1)),
        ),
    )
    fp = fast.FastParams(default_params(h1))
    batch = fast.evaluate_batch([fast.household_to_fast(h1)] * 3, fp)
    assert batch == [tuple(fast.evaluate_one(fast.household_to_fast(h1), fp))] * 3
    # 特困 2060.25 + 低保 924×2 − 1222.80 = 625.20 → 2685.45 (scenario tekun_member_leaves_dibao_household).
    assert batch[0][:2] == (1, 268545)


SCENARIOS = load_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_fast_batch_agrees_on_every_scenario(scenario: Scenario) -> None:
    """The hand-computed boundary cases hit every branch of the batch path on purpose."""
    request = scenario.request
    h = household_from_payload(request, standard_area=standard_area_for(request["region"]))
    if h.emergency is not None:
        h = replace(h, emergency=None)  # the batch path does not cover 急难
    _agrees(h, ParameterSet(default_rows(), region_chain(h.region), h.as_of), default_params(h))
