"""One household, all five tiers, the primary tier and the recurring monthly cash (DOMAIN §8)."""

from __future__ import annotations

from decimal import Decimal

from eligibility.rules import tiers
from eligibility.rules.common import ZERO, exact_context, money
from eligibility.rules.income import household_income
from eligibility.rules.parameters import ParameterSet
from eligibility.rules.property_test import property_test
from eligibility.rules.types import (
    DIBAO,
    EMERGENCY,
    EXPENDITURE_HARDSHIP,
    LOW_INCOME,
    NO_TIER,
    TEKUN,
    Evaluation,
    Household,
    TierResult,
)

# Primary tier order (DOMAIN §8): 特困, 低保 (household or 单人户), 支出型, 低收入, 急难.
PRIMARY_ORDER: tuple[str, ...] = (TEKUN, DIBAO, EXPENDITURE_HARDSHIP, LOW_INCOME, EMERGENCY)


def primary_tier(results: tuple[TierResult, ...]) -> str:
    eligible = {t.tier for t in results if t.eligible}
    return next((tier for tier in PRIMARY_ORDER if tier in eligible), NO_TIER)


def recurring_monthly_amount(results: tuple[TierResult, ...]) -> Decimal:
    """All 特困 amounts + all 低保 amounts (household and single-person); each already rounded."""
    return sum(
        (t.monthly_amount for t in results if t.eligible and t.tier in (TEKUN, DIBAO)),
        Decimal("0.00"),
    )


def evaluate(household: Household, params: ParameterSet) -> Evaluation:
    """Evaluate every tier for ``household`` with the parameters in force on its ``as_of``.

    Raises ``MissingParameter`` when a parameter the household actually needs has no value in
    force (never a silent zero).
    """
    if params.as_of != household.as_of:
        raise ValueError(f"parameter date {params.as_of} differs from as_of {household.as_of}")
    with exact_context():
        standard = params.value("dibao_standard")
        income = household_income(household, standard, params)
        counted = tuple(mi.member for mi in income.members)
        prop = property_test(household, counted, standard, params)

        tekun = tiers.tekun(household, income, prop, params)
        remaining = tuple(mi for mi in income.members if mi.ref not in tekun.members)
        dibao = tiers.dibao(household, income, remaining, prop, standard, params)
        singles, notes = tiers.dibao_single(household, remaining, dibao.eligible, prop, standard, params)
        if notes:
            dibao = TierResult(
                tier=dibao.tier,
                eligible=dibao.eligible,
                members=dibao.members,
                monthly_amount=dibao.monthly_amount,
                reasons=dibao.reasons + notes,
            )
        low = tiers.low_income(remaining, prop, standard, params)
        hardship = tiers.expenditure_hardship(household, remaining, prop, standard)
        emergency = tiers.emergency(household, standard, params)

        results = (tekun, dibao, *singles, low, hardship, emergency)
        n = income.size
        return Evaluation(
            as_of=household.as_of,
            region=household.region,
            standard_area=household.standard_area,
            dibao_standard=money(standard),
            household_size=n,
            counted_income=money(income.total),
            per_capita_income=money(income.total / n) if n else money(ZERO),
            property_test=prop,
            tiers=results,
            primary_tier=primary_tier(results),
            monthly_amount=recurring_monthly_amount(results),
            parameters_used=params.used(),
        )
