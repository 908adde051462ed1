"""Focused tests of each rule function, with the figures of DOMAIN §5 (蜀山 924 / 肥西 881 from 2023-07-01)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from eligibility.rules.care import care_tier
from eligibility.rules.common import age_on, money
from eligibility.rules.defaults import build_static_parameter_set, default_rows
from eligibility.rules.evaluate import evaluate, primary_tier
from eligibility.rules.income import household_income, member_income
from eligibility.rules.increments import increment_class
from eligibility.rules.parameters import ParameterSet, ParamValue
from eligibility.rules.payload import evaluation_to_payload, household_from_payload
from eligibility.rules.property_test import property_test
from eligibility.rules.tiers import emergency, work_capacity_none
from eligibility.rules.types import (
    Assets,
    Business,
    Emergency,
    Household,
    Income,
    Member,
    TierResult,
    Vehicle,
)
from tests.eligibility.scenario_support import subset_mismatches

AS_OF = date(2023, 8, 1)
D = Decimal


def params(as_of: date = AS_OF, region: str = "340104", **overrides: Any) -> ParameterSet:
    """Defaults, plus overrides in force on ``as_of`` for ``region``."""
    rows = default_rows() + [ParamValue(k, region, as_of, v) for k, v in overrides.items()]
    return ParameterSet(rows, [region, region[:6], "3401"], as_of)


def adult(ref: str = "m1", **kw: Any) -> Member:
    return Member(ref=ref, birth_date=date(1980, 6, 1), **kw)


def household(*members: Member, **kw: Any) -> Household:
    return Household(region="340104", standard_area="district", as_of=kw.pop("as_of", AS_OF), members=members, **kw)


# --- age, work capacity, care, increments ------------------------------------------------------


def test_age_increases_on_the_birthday() -> None:
    assert age_on(date(2005, 8, 1), date(2023, 7, 31)) == 17
    assert age_on(date(2005, 8, 1), date(2023, 8, 1)) == 18
    assert age_on(date(2004, 2, 29), date(2022, 2, 28)) == 17
    assert age_on(date(2004, 2, 29), date(2022, 3, 1)) == 18
    with pytest.raises(ValueError):
        age_on(date(2024, 1, 1), date(2023, 1, 1))


@pytest.mark.parametrize(
    ("kw", "none"),
    [
        ({"birth_date": date(1963, 8, 1)}, True),  # 60
        ({"birth_date": date(1963, 8, 2)}, False),  # 59
        ({"birth_date": date(2005, 8, 2)}, True),  # 17
        ({"birth_date": date(2005, 8, 1)}, False),  # 18
        ({"disability_grade": 2, "disability_kind": "intellectual"}, True),
        ({"disability_grade": 2, "disability_kind": "mental"}, True),
        ({"disability_grade": 3, "disability_kind": "mental"}, False),
        ({"disability_grade": 1, "disability_kind": "physical"}, True),
        ({"disability_grade": 2, "disability_kind": "physical"}, False),
        ({"disability_grade": 1, "disability_kind": "visual"}, False),
        ({"work_capacity": "none"}, True),
        ({"work_capacity": "partial"}, False),
    ],
)
def test_work_capacity(kw: dict[str, Any], none: bool) -> None:
    member = Member(ref="m", **{"birth_date": date(1983, 1, 1), **kw})
    assert (work_capacity_none(member, AS_OF) is not None) is none


@pytest.mark.parametrize(
    ("items", "tier"), [(0, "self_care"), (1, "partial"), (3, "partial"), (4, "full"), (6, "full")]
)
def test_care_tier(items: int, tier: str) -> None:
    assert care_tier(items) == tier


def test_care_tier_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        care_tier(7)


@pytest.mark.parametrize(
    ("kw", "cls"),
    [
        ({}, None),
        ({"serious_illness": True}, "A"),
        ({"disability_grade": 2, "disability_kind": "hearing"}, "A"),
        ({"disability_grade": 3, "disability_kind": "hearing"}, "B"),
        ({"birth_date": date(1963, 8, 1)}, "B"),
        ({"birth_date": date(2010, 1, 1)}, "B"),
        ({"birth_date": date(1950, 1, 1), "disability_grade": 1, "disability_kind": "visual"}, "A"),
    ],
)
def test_increment_class_takes_the_highest(kw: dict[str, Any], cls: str | None) -> None:
    assert increment_class(Member(ref="m", **{"birth_date": date(1983, 1, 1), **kw}), AS_OF) == cls


# --- income ---------------------------------------------------------------------------------


def test_member_income_splits_and_clamps() -> None:
    m = adult(
        incomes=(
            Income("wage", D("200.00")),
            Income("scholarship", D("500.00")),
            Income("pension", D("100.00")),
        )
    )
    mi = member_income(m, D("277.20"))
    assert (mi.earned, mi.deduction, mi.other, mi.exempt, mi.counted) == (
        D("200.00"),
        D("200.00"),
        D("100.00"),
        D("500.00"),
        D("100.00"),
    )


def test_deduction_ratio_only_needed_with_earned_income() -> None:
    p = params()
    h = household(
        adult(incomes=(Income("pension", D("800.00")),)),
        adult("m2", excluded="prison", incomes=(Income("wage", D("9000")),)),
    )
    result = household_income(h, D("924"), p)
    assert result.total == D("800.00")
    assert [x.name for x in p.used()] == []


def test_sub_fen_deduction_is_kept_until_the_end() -> None:
    # S = 924.55 (hypothetical): deduction 0.3 × 924.55 = 277.365; counted 1000 − 277.365 = 722.635.
    # Dibao = 924.55 − 722.635 = 201.915 → 201.92 (rounded once, half-up).
    h = household(adult(incomes=(Income("wage", D("1000.00")),)))
    ev = evaluate(h, params(dibao_standard=D("924.55")))
    assert ev.counted_income == D("722.64")
    assert ev.tier("dibao").monthly_amount == D("201.92")


# --- property test ----------------------------------------------------------------------------


def _property(h: Household) -> tuple[bool, list[str]]:
    counted = tuple(m for m in h.members if m.counted)
    result = property_test(h, counted, D("924"), params())
    return result.passed, [r.code for r in result.reasons]


def test_property_all_conditions_pass() -> None:
    passed, codes = _property(household(adult(), adult("m2"), assets=Assets(financial=D("66528.00"))))
    assert passed
    assert codes == [
        "property.financial_assets_within_limit",
        "property.vehicle_within_limit",
        "property.homes_within_limit",
        "property.business_no_employees",
        "property.business_profit_within_limit",
    ]


@pytest.mark.parametrize(
    ("assets", "code"),
    [
        (Assets(financial=D("33264.01")), "property.financial_assets_exceed"),
        (Assets(vehicles=(Vehicle(D("80000.00")),)), "property.vehicle_price"),
        (Assets(homes=2), "property.too_many_homes"),
        (Assets(business=Business(employs_others_12m=True)), "property.business_employs_others"),
        (Assets(business=Business(avg_monthly_net_profit=D("1848.01"))), "property.business_profit"),
    ],
)
def test_property_each_condition_fails_alone(assets: Assets, code: str) -> None:
    passed, codes = _property(household(adult(), assets=assets))
    assert not passed
    assert code in codes
    assert len([c for c in codes if not c.endswith(("_within_limit", "_no_employees"))]) == 1


def test_property_vulnerable_member_raises_financial_limit_to_48() -> None:
    assert _property(household(adult(serious_illness=True), assets=Assets(financial=D("44352.00"))))[0]
    assert not _property(household(adult(serious_illness=True), assets=Assets(financial=D("44352.01"))))[0]


def test_property_with_no_counted_member_compares_whole_amount() -> None:
    assert not _property(household(adult(excluded="missing"), assets=Assets(financial=D("33264.01"))))[0]


# --- tiers via evaluate -----------------------------------------------------------------------


def test_dibao_amount_three_adults_one_wage() -> None:
    h = household(adult(incomes=(Income("wage", D("1200.00")),)), adult("m2"), adult("m3"))
    ev = evaluate(h, params())
    assert ev.tier("dibao").monthly_amount == D("1849.20")  # 924×3 − (1200 − 277.20)
    assert ev.monthly_amount == D("1849.20")
    assert ev.primary_tier == "dibao"


def test_tekun_amount_and_member_amounts() -> None:
    h = household(
        Member("a", date(1950, 1, 1), has_able_supporter=False),
        Member("b", date(1940, 1, 1), has_able_supporter=False, adl_incapable=4, care_mode="institutional"),
    )
    tekun = evaluate(h, params()).tier("tekun")
    assert tekun.member_amounts == (("a", D("1710.08")), ("b", D("2678.25")))
    assert tekun.monthly_amount == D("4388.33")


def test_single_person_cliff_is_reported_not_smoothed() -> None:
    """DOMAIN §8 as written: one more yuan of income moves a household from a small household dibao to a
    larger single-person dibao (1848 − 1847 + 277.20 = 278.20 → 924 + 277.20 = 1201.20)."""
    vulnerable = adult("m2", disability_grade=1, disability_kind="visual")
    below = evaluate(household(adult(incomes=(Income("other", D("1847.00")),)), vulnerable), params())
    at = evaluate(household(adult(incomes=(Income("other", D("1848.00")),)), vulnerable), params())
    assert below.monthly_amount == D("278.20")
    assert at.monthly_amount == D("1201.20")


def test_emergency_clamp_and_approval() -> None:
    def run(cost: str, **kw: Any) -> TierResult:
        h = household(adult(), emergency=Emergency("fire", date(2023, 7, 1), D(cost)), **kw)
        return emergency(h, D("924"), params())

    assert (run("100").recommended_amount, run("100").approval_level) == (D("924.00"), "street")
    assert (run("3696").recommended_amount, run("3696").approval_level) == (D("3696.00"), "street")
    assert run("3696.01").approval_level == "county"
    assert run("99999").recommended_amount == D("9240.00")
    assert not run("5000", same_cause_granted=True).eligible
    assert not run("5000", temporary_grants_last_12_months=2).eligible
    assert run("5000", temporary_grants_last_12_months=1).eligible


def test_emergency_fractional_multiplier_rounds_once() -> None:
    # emergency_min_multiplier 0.3333 (hypothetical): 0.3333 × 924 = 307.9692 → 307.97.
    h = household(adult(), emergency=Emergency("stranded", AS_OF))
    result = emergency(h, D("924"), params(emergency_min_multiplier=D("0.3333")))
    assert result.recommended_amount == D("307.97")


def test_primary_tier_order() -> None:
    def tiers(*eligible: str) -> tuple[TierResult, ...]:
        names = ("tekun", "dibao", "low_income", "expenditure_hardship", "emergency")
        return tuple(TierResult(tier=n, eligible=n in eligible) for n in names)

    assert primary_tier(tiers()) == "none"
    assert primary_tier(tiers("emergency")) == "emergency"
    assert primary_tier(tiers("emergency", "low_income")) == "low_income"
    assert primary_tier(tiers("low_income", "expenditure_hardship")) == "expenditure_hardship"
    assert primary_tier(tiers("expenditure_hardship", "dibao")) == "dibao"
    assert primary_tier(tiers("dibao", "tekun")) == "tekun"


def test_parameter_date_must_match_household() -> None:
    with pytest.raises(ValueError):
        evaluate(household(adult()), params(as_of=date(2023, 8, 2)))


def test_money_rounds_half_up() -> None:
    assert money(D("0.005")) == D("0.01")
    assert money(D("1710.08333")) == D("1710.08")
    assert money(D("2.675")) == D("2.68")


# --- payload ----------------------------------------------------------------------------------

MINIMAL: dict[str, Any] = {
    "region": "340104",
    "as_of": "2023-08-01",
    "members": [{"ref": "m1", "birth_date": "1980-06-01"}],
}


def test_payload_defaults() -> None:
    h = household_from_payload(MINIMAL, standard_area="district")
    m = h.members[0]
    assert (m.lives_together, m.excluded, m.serious_illness, m.adl_incapable, m.has_able_supporter, m.care_mode) == (
        True,
        None,
        False,
        0,
        True,
        "home",
    )
    assert h.assets == Assets(financial=D("0"), vehicles=(), homes=1, business=Business())
    assert h.emergency is None and h.temporary_grants_last_12_months == 0 and not h.same_cause_granted


def test_payload_accepts_explicit_nulls_and_empty_vehicles() -> None:
    data = {**MINIMAL, "emergency": None, "assets": {"financial": "0", "vehicles": [], "homes": 1, "business": None}}
    assert household_from_payload(data, standard_area="district").assets.vehicles == ()


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"as_of": "2023-8-1"}, "as_of"),
        ({"as_of": "2023-02-30"}, "as_of"),
        (
            {"members": [{"ref": "m1", "birth_date": "1980-06-01", "incomes": [{"kind": "wage", "monthly": "-1"}]}]},
            "负",
        ),
        (
            {"members": [{"ref": "m1", "birth_date": "1980-06-01", "incomes": [{"kind": "wage", "monthly": 1.5}]}]},
            "字符串",
        ),
        (
            {"members": [{"ref": "m1", "birth_date": "1980-06-01", "incomes": [{"kind": "wage", "monthly": "1.005"}]}]},
            "两位小数",
        ),
        (
            {"members": [{"ref": "m1", "birth_date": "1980-06-01", "incomes": [{"kind": "lottery", "monthly": "1"}]}]},
            "lottery",
        ),
        ({"members": [{"ref": "m1", "birth_date": "1980-06-01", "lives_togther": False}]}, "lives_togther"),
        ({"members": [{"ref": "m1", "birth_date": "2024-01-01"}]}, "birth_date"),
        ({"members": [{"ref": "m1", "birth_date": "1980-06-01"}, {"ref": "m1", "birth_date": "1981-06-01"}]}, "unique"),
        ({"members": [{"ref": "m1", "birth_date": "1980-06-01", "adl_incapable": 7}]}, "adl_incapable"),
        ({"assets": {"financial": "abc"}}, "assets.financial"),
        ({"emergency": {"kind": "flood", "date": "2023-07-01"}}, "flood"),
        ({"emergency": {"kind": "fire"}}, "emergency.date"),
        ({"temporary_grants_last_12_months": True}, "temporary_grants"),
    ],
)
def test_payload_rejects_what_it_cannot_convert(change: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        household_from_payload({**MINIMAL, **change}, standard_area="district")


def test_response_shape_and_amount_strings() -> None:
    h = household_from_payload(MINIMAL, standard_area="district")
    body = evaluation_to_payload(evaluate(h, build_static_parameter_set(["340104", "3401"], AS_OF)))
    assert list(body) == [
        "as_of",
        "region",
        "standard_area",
        "dibao_standard",
        "household_size",
        "counted_income",
        "per_capita_income",
        "property_test",
        "tiers",
        "primary_tier",
        "monthly_amount",
        "parameters_used",
    ]
    assert [t["tier"] for t in body["tiers"]] == ["tekun", "dibao", "low_income", "expenditure_hardship", "emergency"]
    assert body["tiers"][1]["monthly_amount"] == "924.00"
    assert body["parameters_used"][0] == {
        "name": "dibao_standard",
        "region": "340104",
        "effective_from": "2023-07-01",
        "value": "924.00",
    }


# --- the scenario helper itself -------------------------------------------------------------


def test_subset_helper_reports_mismatches() -> None:
    actual = {"tiers": [{"tier": "dibao", "monthly_amount": "1.00"}, {"tier": "tekun", "monthly_amount": "0.00"}]}
    assert not subset_mismatches({"tiers": [{"tier": "tekun"}, {"tier": "dibao", "monthly_amount": "1.00"}]}, actual)
    assert subset_mismatches({"tiers": [{"tier": "dibao", "monthly_amount": "1.0"}]}, actual)
    assert subset_mismatches({"tiers": [{"tier": "dibao"}, {"tier": "dibao"}]}, actual)  # needs two entries
    assert subset_mismatches({"missing": 1}, actual)
    assert subset_mismatches({"x": True}, {"x": 1})
