"""The declared-vs-department comparison is a pure function: plain values in, differences out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from casework.checks.adapters import Finding
from casework.checks.compare import DeclaredHousehold, DeclaredMember, compare

TODAY = dt.date(2026, 11, 1)


def _household(**kw: object) -> DeclaredHousehold:
    base: dict[str, object] = {
        "members": (
            DeclaredMember(1, "张三", "340104********1234", {"wage": Decimal("1200")}),
            DeclaredMember(2, "李梅", "340104********2466", {}),
        ),
        "homes": 1,
        "vehicle_prices": (),
        "financial_assets": Decimal("5000"),
        "business_employs_others": False,
        "business_profit": Decimal("0"),
    }
    base.update(kw)
    return DeclaredHousehold(**base)  # type: ignore[arg-type]


def _f(
    member: int, department: str, kind: str, amount: str | None = None, value: str = "", employs: bool = False
) -> Finding:
    return Finding(department, member, kind, value, Decimal(amount) if amount else None, employs, TODAY)


def test_honest_declaration_has_no_differences() -> None:
    findings = [
        _f(1, "tax", "wage_income", "1230"),  # within the 5 % / 50 yuan tolerance
        _f(1, "real_estate", "home", value="长江西路100号"),
        _f(1, "bank_securities", "financial_asset", "5000"),
        _f(1, "hukou", "hukou_status", value="normal"),
    ]
    assert compare(_household(), findings) == []


def test_wage_higher_car_second_home_and_assets_are_reported_with_fixes() -> None:
    findings = [
        _f(1, "tax", "wage_income", "3200"),
        _f(1, "vehicles", "vehicle", "150000", "大众帕萨特"),
        _f(1, "real_estate", "home", value="A"),
        _f(2, "real_estate", "home", value="B"),
        _f(2, "bank_securities", "financial_asset", "80000"),
    ]
    result = {d["code"]: d for d in compare(_household(), findings)}
    assert set(result) == {"wage_higher", "undeclared_vehicle", "more_homes", "assets_higher"}
    assert result["wage_higher"]["fix"] == {"op": "set_income", "member_id": 1, "kind": "wage", "monthly": "3200.00"}
    assert result["undeclared_vehicle"]["fix"]["price"] == "150000.00"
    assert result["more_homes"]["fix"] == {"op": "set_homes", "value": 2}
    assert [d["id"] for d in compare(_household(), findings)] == ["d1", "d2", "d3", "d4"]


def test_declared_car_is_matched_and_undeclared_employment_is_found() -> None:
    findings = [
        _f(1, "vehicles", "vehicle", "52000", "五菱宏光"),
        _f(2, "housing_fund", "fund_deposit", "3000"),
        _f(2, "hukou", "hukou_status", value="迁出"),
    ]
    result = compare(_household(vehicle_prices=(Decimal("50000"),)), findings)
    assert [d["code"] for d in result] == ["undeclared_employment", "hukou_status"]


def test_business_representative_with_employees() -> None:
    findings = [_f(1, "business_registration", "legal_representative", "6000", "某贸易有限公司", employs=True)]
    (d,) = compare(_household(), findings)
    assert d["code"] == "undeclared_business" and d["fix"]["employs_others"] is True
