"""Compare department findings with what the household declared (pure: plain values in and out).

Each difference names the department, the person, both values, a Chinese message for the
reviewer, and a ``fix`` the investigator may adopt as the verified value (DOMAIN §6.3–6.4).
A tolerance keeps rounding noise out: an amount differs when it exceeds the declared one by more
than 5 % and by more than 50 yuan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from casework.checks.adapters import Finding

ZERO = Decimal("0")
RELATIVE_TOLERANCE = Decimal("0.05")
ABSOLUTE_TOLERANCE = Decimal("50")
SAME_VEHICLE_RATIO = Decimal("0.10")


@dataclass(frozen=True)
class DeclaredMember:
    member_id: int
    name: str
    id_masked: str
    incomes: Mapping[str, Decimal]  # monthly, by income kind


@dataclass(frozen=True)
class DeclaredHousehold:
    members: tuple[DeclaredMember, ...]
    homes: int
    vehicle_prices: tuple[Decimal, ...]
    financial_assets: Decimal
    business_employs_others: bool
    business_profit: Decimal


@dataclass
class Discrepancy:
    code: str
    department: str
    message: str
    declared: str
    found: str
    member_id: int | None = None
    fix: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, number: int) -> dict[str, Any]:
        return {
            "id": f"d{number}",
            "code": self.code,
            "department": self.department,
            "member_id": self.member_id,
            "message": self.message,
            "declared": self.declared,
            "found": self.found,
            "fix": self.fix,
        }


def exceeds(found: Decimal, declared: Decimal) -> bool:
    difference = found - declared
    return difference > ABSOLUTE_TOLERANCE and difference > declared * RELATIVE_TOLERANCE


def _yuan(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _income_checks(member: DeclaredMember, findings: list[Finding]) -> list[Discrepancy]:
    out: list[Discrepancy] = []
    by_kind: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_kind[f.kind].append(f)
    wage = member.incomes.get("wage", ZERO)
    tax_wage = max((f.amount or ZERO for f in by_kind["wage_income"]), default=None)
    if tax_wage is not None and exceeds(tax_wage, wage):
        out.append(
            Discrepancy(
                "wage_higher",
                "tax",
                f"{member.name}：申报工资性收入 {_yuan(wage)} 元/月，税务记录月均 {_yuan(tax_wage)} 元/月，高于申报。",
                _yuan(wage),
                _yuan(tax_wage),
                member.member_id,
                {"op": "set_income", "member_id": member.member_id, "kind": "wage", "monthly": _yuan(tax_wage)},
            )
        )
    employment = by_kind["insured_employment"] + by_kind["fund_deposit"]
    earned = wage + member.incomes.get("business", ZERO)
    if employment and tax_wage is None and earned == ZERO:
        base = max(f.amount or ZERO for f in employment)
        departments = "、".join(
            sorted({"人社" if f.department == "social_insurance" else "公积金" for f in employment})
        )
        out.append(
            Discrepancy(
                "undeclared_employment",
                employment[0].department,
                f"{member.name}：未申报工资收入，但{departments}记录显示在职缴费(缴费基数 {_yuan(base)} 元/月)。",
                "0.00",
                _yuan(base),
                member.member_id,
                {"op": "set_income", "member_id": member.member_id, "kind": "wage", "monthly": _yuan(base)},
            )
        )
    pension = member.incomes.get("pension", ZERO)
    found_pension = max((f.amount or ZERO for f in by_kind["pension"]), default=None)
    if found_pension is not None and exceeds(found_pension, pension):
        out.append(
            Discrepancy(
                "pension_higher",
                "social_insurance",
                f"{member.name}：申报养老金 {_yuan(pension)} 元/月，社保记录 {_yuan(found_pension)} 元/月。",
                _yuan(pension),
                _yuan(found_pension),
                member.member_id,
                {"op": "set_income", "member_id": member.member_id, "kind": "pension", "monthly": _yuan(found_pension)},
            )
        )
    business = member.incomes.get("business", ZERO)
    found_business = max((f.amount or ZERO for f in by_kind["business_income"]), default=None)
    if found_business is not None and exceeds(found_business, business):
        out.append(
            Discrepancy(
                "business_income_higher",
                "tax",
                f"{member.name}：申报经营净收入 {_yuan(business)} 元/月，税务记录月均 {_yuan(found_business)} 元/月。",
                _yuan(business),
                _yuan(found_business),
                member.member_id,
                {
                    "op": "set_income",
                    "member_id": member.member_id,
                    "kind": "business",
                    "monthly": _yuan(found_business),
                },
            )
        )
    for f in by_kind["hukou_status"]:
        if f.value and f.value not in {"normal", "正常"}:
            out.append(
                Discrepancy(
                    "hukou_status",
                    "hukou",
                    f"{member.name}：户籍状态为“{f.value}”，与申报的共同生活成员不符。",
                    "正常",
                    f.value,
                    member.member_id,
                )
            )
    return out


def _vehicle_checks(
    declared: DeclaredHousehold, findings: list[Finding], names: Mapping[int, str]
) -> list[Discrepancy]:
    remaining = list(declared.vehicle_prices)
    out: list[Discrepancy] = []
    for f in findings:
        price = f.amount or ZERO
        match = next((p for p in remaining if abs(p - price) <= max(p, price) * SAME_VEHICLE_RATIO), None)
        if match is not None:
            remaining.remove(match)
            continue
        out.append(
            Discrepancy(
                "undeclared_vehicle",
                "vehicles",
                f"{names.get(f.member_id, '')}名下登记机动车“{f.value or '车辆'}”(价格约 {_yuan(price)} 元)，未在申报中。",
                "—",
                f"{f.value} {_yuan(price)}".strip(),
                f.member_id,
                {"op": "add_vehicle", "description": f.value or "车辆", "price": _yuan(price)},
            )
        )
    return out


def compare(declared: DeclaredHousehold, findings: Iterable[Finding]) -> list[dict[str, Any]]:
    findings = list(findings)
    names = {m.member_id: m.name for m in declared.members}
    per_member: dict[int, list[Finding]] = defaultdict(list)
    for f in findings:
        per_member[f.member_id].append(f)
    out: list[Discrepancy] = []
    for member in declared.members:
        out.extend(_income_checks(member, per_member[member.member_id]))

    out.extend(_vehicle_checks(declared, [f for f in findings if f.kind == "vehicle"], names))

    homes = [f for f in findings if f.kind == "home"]
    if len(homes) > declared.homes:
        places = "；".join(f.value for f in homes if f.value)
        out.append(
            Discrepancy(
                "more_homes",
                "real_estate",
                f"不动产登记显示家庭共有住房 {len(homes)} 套({places})，申报 {declared.homes} 套。",
                str(declared.homes),
                str(len(homes)),
                fix={"op": "set_homes", "value": len(homes)},
            )
        )

    assets = sum((f.amount or ZERO for f in findings if f.kind == "financial_asset"), ZERO)
    if exceeds(assets, declared.financial_assets):
        out.append(
            Discrepancy(
                "assets_higher",
                "bank_securities",
                f"银行/证券记录显示家庭金融资产合计 {_yuan(assets)} 元，申报 {_yuan(declared.financial_assets)} 元。",
                _yuan(declared.financial_assets),
                _yuan(assets),
                fix={"op": "set_financial_assets", "value": _yuan(assets)},
            )
        )

    for f in (f for f in findings if f.kind == "legal_representative"):
        profit = f.amount or ZERO
        if (f.employs_others and not declared.business_employs_others) or exceeds(profit, declared.business_profit):
            detail = "，雇工满12个月" if f.employs_others else ""
            out.append(
                Discrepancy(
                    "undeclared_business",
                    "business_registration",
                    f"{names.get(f.member_id, '')}为“{f.value}”法定代表人(月均净利润约 {_yuan(profit)} 元{detail})，与申报不符。",
                    _yuan(declared.business_profit),
                    _yuan(profit),
                    f.member_id,
                    {"op": "set_business", "employs_others": f.employs_others, "profit": _yuan(profit)},
                )
            )
    return [d.as_dict(i + 1) for i, d in enumerate(out)]
