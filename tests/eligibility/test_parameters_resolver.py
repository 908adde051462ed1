"""Parameter resolution: latest effective date first, nearest region on a tie; errors name all three."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from eligibility.rules.defaults import (
    COUNTY_UNITS,
    DEFAULT_ROWS,
    DISTRICT_UNITS,
    build_static_parameter_set,
    default_rows,
    json_safe,
    standard_area_of,
)
from eligibility.rules.parameters import (
    MissingParameter,
    ParamValue,
    region_chain_for_code,
    resolve,
)

SHUSHAN = ["340104001", "340104", "3401"]
FEIXI = ["340123100", "340123", "3401"]


def _standard(chain: list[str], as_of: date) -> ParamValue:
    return resolve(default_rows(), chain, "dibao_standard", as_of)


@pytest.mark.parametrize(
    ("chain", "as_of", "value", "region", "since"),
    [
        (SHUSHAN, date(2019, 7, 1), "639.00", "340104", date(2019, 7, 1)),
        (FEIXI, date(2019, 12, 31), "602.00", "340123", date(2019, 7, 1)),
        (SHUSHAN, date(2021, 6, 30), "686.00", "340104", date(2020, 7, 1)),
        (FEIXI, date(2021, 6, 30), "646.00", "340123", date(2020, 7, 1)),
        (SHUSHAN, date(2021, 7, 1), "717.00", "3401", date(2021, 7, 1)),
        (FEIXI, date(2023, 6, 30), "717.00", "3401", date(2021, 7, 1)),
        (SHUSHAN, date(2023, 7, 1), "924.00", "340104", date(2023, 7, 1)),
        (FEIXI, date(2030, 1, 1), "881.00", "340123", date(2023, 7, 1)),
    ],
)
def test_dibao_standard_history(chain: list[str], as_of: date, value: str, region: str, since: date) -> None:
    row = _standard(chain, as_of)
    assert (row.value, row.region, row.effective_from) == (Decimal(value), region, since)


def test_later_city_value_overrides_earlier_district_value() -> None:
    # 717 on 3401 (2021-07-01) beats 686 on 340104 (2020-07-01): the date decides first.
    assert _standard(["340104", "3401"], date(2022, 1, 1)).value == Decimal("717.00")


def test_later_district_value_overrides_city_value() -> None:
    assert _standard(["340104", "3401"], date(2023, 7, 2)).value == Decimal("924.00")


def test_tie_on_date_takes_nearest_region() -> None:
    rows = [
        ParamValue("x", "3401", date(2023, 1, 1), Decimal("1")),
        ParamValue("x", "340104001", date(2023, 1, 1), Decimal("3")),
        ParamValue("x", "340104", date(2023, 1, 1), Decimal("2")),
    ]
    assert resolve(rows, SHUSHAN, "x", date(2023, 1, 1)).value == Decimal("3")
    assert resolve(rows, ["340104", "3401"], "x", date(2023, 1, 1)).value == Decimal("2")


def test_rows_outside_the_chain_and_in_the_future_are_ignored() -> None:
    rows = [
        ParamValue("x", "340123", date(2023, 1, 1), Decimal("9")),
        ParamValue("x", "3401", date(2022, 1, 1), Decimal("1")),
        ParamValue("x", "340104", date(2024, 1, 1), Decimal("5")),
    ]
    assert resolve(rows, SHUSHAN, "x", date(2023, 12, 31)).value == Decimal("1")
    assert resolve(rows, SHUSHAN, "x", date(2024, 1, 1)).value == Decimal("5")


def test_missing_parameter_names_parameter_region_and_date() -> None:
    with pytest.raises(MissingParameter) as raised:
        resolve(default_rows(), SHUSHAN, "low_income_multiplier", date(2021, 6, 16))
    error = raised.value
    assert (error.name, error.region, error.as_of) == ("low_income_multiplier", "340104001", date(2021, 6, 16))
    message = str(error)
    assert "low_income_multiplier" in message and "340104001" in message and "2021-06-16" in message
    assert "没有生效的取值" in message and "no value" in message


def test_low_income_multiplier_starts_with_the_plan() -> None:
    assert resolve(default_rows(), FEIXI, "low_income_multiplier", date(2021, 6, 17)).value == Decimal("2.0")


def test_unknown_parameter_is_missing_not_zero() -> None:
    with pytest.raises(MissingParameter):
        resolve(default_rows(), SHUSHAN, "no_such_parameter", date(2024, 1, 1))


def test_duplicate_rows_in_force_are_refused() -> None:
    rows = [
        ParamValue("x", "3401", date(2023, 1, 1), Decimal("1")),
        ParamValue("x", "3401", date(2023, 1, 1), Decimal("2")),
    ]
    with pytest.raises(ValueError, match="重复"):
        resolve(rows, ["3401"], "x", date(2023, 6, 1))


def test_duplicates_that_are_overridden_do_not_matter() -> None:
    rows = [
        ParamValue("x", "3401", date(2023, 1, 1), Decimal("1")),
        ParamValue("x", "3401", date(2023, 1, 1), Decimal("2")),
        ParamValue("x", "3401", date(2023, 3, 1), Decimal("3")),
    ]
    assert resolve(rows, ["3401"], "x", date(2023, 6, 1)).value == Decimal("3")


def test_parameter_set_is_lazy_and_records_first_use_order() -> None:
    params = build_static_parameter_set(["340104", "3401"], date(2022, 3, 1))  # no care table yet
    assert params.used() == ()
    assert params.value("max_homes") == Decimal("1")
    assert params.value("dibao_standard") == Decimal("717.00")
    assert params.value("max_homes") == Decimal("1")
    with pytest.raises(MissingParameter) as raised:
        params.care_annual("home", "full")
    assert raised.value.name == "tekun_care_annual"
    assert [p.name for p in params.used()] == ["max_homes", "dibao_standard"]


def test_care_table_cells() -> None:
    params = build_static_parameter_set(["340123", "3401"], date(2023, 7, 1))
    expected = {
        ("institutional", "full"): "12360",
        ("institutional", "partial"): "7416",
        ("institutional", "self_care"): "989",
        ("home", "full"): "8652",
        ("home", "partial"): "4944",
        ("home", "self_care"): "742",
    }
    for (mode, tier), value in expected.items():
        assert params.care_annual(mode, tier) == Decimal(value)
    with pytest.raises(ValueError, match="结构化"):
        params.value("tekun_care_annual")
    with pytest.raises(ValueError, match="缺少"):
        params.care_annual("home", "unknown")


def test_region_chain_for_code() -> None:
    assert region_chain_for_code("340104001001") == ["340104001001", "340104001", "340104", "3401"]
    assert region_chain_for_code("340104001") == SHUSHAN
    assert region_chain_for_code("340123") == ["340123", "3401"]
    with pytest.raises(ValueError):
        region_chain_for_code("34010")


def test_defaults_place_values_on_every_unit_of_their_area() -> None:
    rows = [r for r in DEFAULT_ROWS if r["name"] == "dibao_standard" and r["effective_from"] == date(2023, 7, 1)]
    assert {r["region_code"]: str(r["value"]) for r in rows} == {
        **{code: "924.00" for code in DISTRICT_UNITS},
        **{code: "881.00" for code in COUNTY_UNITS},
    }
    assert {standard_area_of(c) for c in DISTRICT_UNITS} == {"district"}
    assert {standard_area_of(c) for c in COUNTY_UNITS} == {"county"}
    with pytest.raises(ValueError):
        standard_area_of("340200")


def test_every_documented_parameter_is_shipped_with_a_source() -> None:
    names = {r["name"] for r in DEFAULT_ROWS}
    assert names == {
        "dibao_standard",
        "tekun_basic_annual",
        "tekun_care_annual",
        "low_income_multiplier",
        "employment_cost_deduction_ratio",
        "asset_financial_multiplier",
        "asset_financial_multiplier_vulnerable",
        "vehicle_price_limit",
        "max_homes",
        "business_profit_multiplier",
        "increment_class_a",
        "increment_class_b",
        "gradual_exit_months",
        "emergency_lookback_days",
        "emergency_min_multiplier",
        "emergency_max_multiplier",
        "street_approval_multiplier",
        "temporary_grants_per_year",
        "reserve_fund_annual_min",
    }
    assert all(r["source"] and r["note"] for r in DEFAULT_ROWS)
    city = {r["name"]: r for r in DEFAULT_ROWS if r["region_code"] == "3401"}
    assert city["low_income_multiplier"]["source"] == "合肥市改革完善社会救助制度实施方案 (2021-06-17)"
    assert city["temporary_grants_per_year"]["source"] == "安徽县级实践 (可配置默认值)"
    assert city["tekun_care_annual"]["effective_from"] == date(2023, 7, 1)
    assert {k: json_safe(city["max_homes"])[k] for k in ("value", "effective_from")} == {
        "value": "1",
        "effective_from": "2021-06-17",
    }
    assumed = [r for r in DEFAULT_ROWS if r["effective_from"] == date(2020, 7, 1)]
    assert assumed and all("assumed" in r["note"] for r in assumed)
