"""Shipped default policy parameters (DOMAIN §5 and §8) as pure data.

Imported by the data migration that seeds the parameter table, and by the pure tests through
``build_static_parameter_set``. Each row: ``name``, ``region_code``, ``effective_from`` (date),
``value`` (Decimal, or a JSON-safe dict of strings for ``tekun_care_annual``), ``source``
(Chinese citation) and ``note``.

Region placement: "district" values go on every district-type county-level unit, "county" values
on every county-type unit, "whole city" values and the §8 configurable defaults on 合肥市 3401
(looked up from any street or county through the region chain).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

from eligibility.rules.parameters import ParameterSet, ParamValue

CITY = "3401"
# 市区: 瑶海 庐阳 蜀山 包河 and the development zones 高新 经开 新站 (DOMAIN §1).
DISTRICT_UNITS: tuple[str, ...] = ("340102", "340103", "340104", "340111", "340176", "340177", "340178")
# 县域: 长丰 肥东 肥西 庐江 and 巢湖市.
COUNTY_UNITS: tuple[str, ...] = ("340121", "340122", "340123", "340124", "340181")

PLAN_2021 = "合肥市改革完善社会救助制度实施方案 (2021-06-17)"
ANHUI = "安徽县级实践 (可配置默认值)"
NOT_PUBLISHED = "可配置默认值：未找到合肥市公布的具体数值 (DOMAIN §8)"


class DefaultRow(TypedDict):
    name: str
    region_code: str
    effective_from: date
    value: Decimal | dict[str, dict[str, str]]
    source: str
    note: str


def standard_area_of(county_code: str) -> str:
    """``district`` or ``county`` for a county-level unit code (DOMAIN §1)."""
    if county_code in DISTRICT_UNITS:
        return "district"
    if county_code in COUNTY_UNITS:
        return "county"
    raise ValueError(f"不是合肥市的县级单位代码 (not a Hefei county-level unit): {county_code!r}")


def _by_area(
    name: str, effective_from: date, district: str, county: str, source: str, note: str = ""
) -> list[DefaultRow]:
    rows: list[DefaultRow] = []
    for codes, value in ((DISTRICT_UNITS, district), (COUNTY_UNITS, county)):
        for code in codes:
            rows.append(
                DefaultRow(
                    name=name,
                    region_code=code,
                    effective_from=effective_from,
                    value=Decimal(value),
                    source=source,
                    note=note,
                )
            )
    return rows


def _city(name: str, effective_from: date, value: str, source: str, note: str) -> DefaultRow:
    return DefaultRow(
        name=name,
        region_code=CITY,
        effective_from=effective_from,
        value=Decimal(value),
        source=source,
        note=note,
    )


_D2019 = date(2019, 7, 1)
_D2020 = date(2020, 7, 1)
_D2021 = date(2021, 7, 1)
_D2023 = date(2023, 7, 1)
_PLAN = date(2021, 6, 17)

DEFAULT_ROWS: list[DefaultRow] = [
    # 低保标准 (元/人/月)
    *_by_area("dibao_standard", _D2019, "639.00", "602.00", "合肥日报 2019-07-02", "城乡低保标准"),
    *_by_area(
        "dibao_standard",
        _D2020,
        "686.00",
        "646.00",
        "合肥晚报 2021-07-01",
        "起始日期 2020-07-01 为推定 (start date assumed)",
    ),
    _city("dibao_standard", _D2021, "717.00", "合肥晚报 2021-07-01", "全市城乡统一低保标准"),
    *_by_area("dibao_standard", _D2023, "924.00", "881.00", "市场星报 2023-06-09", "城乡低保标准"),
    # 特困基本生活标准 (元/人/年)
    *_by_area("tekun_basic_annual", _D2021, "16801.00", "11185.00", "合肥晚报 2021-07-01", "特困人员基本生活标准"),
    *_by_area("tekun_basic_annual", _D2023, "19779.00", "13744.00", "市场星报 2023-06-09", "特困人员基本生活标准"),
    # 特困照料护理标准 (元/人/年), by care mode and care tier
    DefaultRow(
        name="tekun_care_annual",
        region_code=CITY,
        effective_from=_D2023,
        value={
            "institutional": {"full": "12360.00", "partial": "7416.00", "self_care": "989.00"},
            "home": {"full": "8652.00", "partial": "4944.00", "self_care": "742.00"},
        },
        source="市场星报 2023-06-09",
        note="集中供养(institutional)/分散供养(home) × 全护理/半护理/生活自理",
    ),
    # §8 configurable defaults
    _city("low_income_multiplier", _PLAN, "2.0", PLAN_2021, "低收入家庭: 人均收入低于低保标准2倍"),
    _city(
        "employment_cost_deduction_ratio",
        _PLAN,
        "0.3",
        PLAN_2021,
        f"就业成本抵扣政策出自实施方案；比例 0.3 × 低保标准为{NOT_PUBLISHED}",
    ),
    _city("asset_financial_multiplier", _PLAN, "36", ANHUI, "人均金融资产上限 = 36 × 月低保标准"),
    _city(
        "asset_financial_multiplier_vulnerable",
        _PLAN,
        "48",
        ANHUI,
        "有1–2级残疾或重病成员时人均金融资产上限 = 48 × 月低保标准",
    ),
    _city("vehicle_price_limit", _PLAN, "80000.00", ANHUI, "非经营用机动车价格上限(元)，达到即不符合"),
    _city("max_homes", _PLAN, "1", ANHUI, "住房套数上限，第二套住房即不符合"),
    _city("business_profit_multiplier", _PLAN, "2", ANHUI, "经营实体月均净利润上限 = 2 × 月低保标准"),
    _city("increment_class_a", _PLAN, "0.3", ANHUI, f"分类施保A类(1–2级残疾、重病) +30% 低保标准；{NOT_PUBLISHED}"),
    _city(
        "increment_class_b",
        _PLAN,
        "0.2",
        ANHUI,
        f"分类施保B类(60岁以上、未成年、3–4级残疾) +20% 低保标准；{NOT_PUBLISHED}",
    ),
    _city("gradual_exit_months", _PLAN, "6", PLAN_2021, f"渐退政策出自实施方案；渐退期 6 个月为{NOT_PUBLISHED}"),
    _city("emergency_lookback_days", _PLAN, "90", ANHUI, "急难事件须发生在评估日前 90 天内(含)"),
    _city("emergency_min_multiplier", _PLAN, "1", ANHUI, "临时救助下限 = 1 × 月低保标准"),
    _city("emergency_max_multiplier", _PLAN, "10", ANHUI, "临时救助上限 = 10 × 月低保标准"),
    _city("street_approval_multiplier", _PLAN, "4", ANHUI, "街道(乡镇)可审批至 4 × 月低保标准，超过报县级"),
    _city("temporary_grants_per_year", _PLAN, "2", ANHUI, "每户12个月内临时救助不超过2次，同一事由一次"),
    _city("reserve_fund_annual_min", _PLAN, "50000.00", ANHUI, "街道临时救助备用金每年不少于(元)"),
]


def default_rows() -> list[ParamValue]:
    """The defaults as resolver rows."""
    return [
        ParamValue(
            name=row["name"],
            region=row["region_code"],
            effective_from=row["effective_from"],
            value=row["value"],
        )
        for row in DEFAULT_ROWS
    ]


def build_static_parameter_set(region_chain: list[str], as_of: date) -> ParameterSet:
    """A ``ParameterSet`` over the shipped defaults only (tests, and before the table exists)."""
    return ParameterSet(default_rows(), region_chain, as_of)


def json_safe(row: DefaultRow) -> dict[str, Any]:
    """A row with the value as a string (Decimal) or dict, and the date ISO: for fixtures/logs."""
    value = row["value"]
    return {
        **row,
        "effective_from": row["effective_from"].isoformat(),
        "value": str(value) if isinstance(value, Decimal) else value,
    }
