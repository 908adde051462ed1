"""The public JSON contract of ``POST /api/v1/eligibility/evaluate/`` (issue 3) ↔ rule values.

Request money and dates are strings (``"1200.00"``, ``"2023-07-01"``); optional fields take the
defaults of the issue. The API serializer validates first; anything this module cannot convert
raises ``ValueError`` with the field path in the message. Unknown keys are refused rather than
ignored, so a misspelt field can never silently fall back to a default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from eligibility.rules.common import money
from eligibility.rules.parameters import ParamValue
from eligibility.rules.types import (
    Assets,
    Business,
    Emergency,
    Evaluation,
    Household,
    Income,
    Member,
    Reason,
    RigidExpenditure,
    TierResult,
    Vehicle,
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_TOP_KEYS = {
    "region",
    "as_of",
    "members",
    "assets",
    "rigid_expenditure_annual",
    "emergency",
    "temporary_grants_last_12_months",
    "same_cause_granted",
}
_MEMBER_KEYS = {
    "ref",
    "birth_date",
    "lives_together",
    "excluded",
    "disability_grade",
    "disability_kind",
    "serious_illness",
    "student",
    "work_capacity",
    "adl_incapable",
    "has_able_supporter",
    "care_mode",
    "incomes",
}


def _fail(path: str, message: str) -> ValueError:
    return ValueError(f"{path}: {message}")


def _obj(raw: object, path: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise _fail(path, "应为对象 (expected an object)")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _fail(path, f"未知字段 (unknown fields): {', '.join(map(str, unknown))}")
    return raw


def _money(raw: object, path: str) -> Decimal:
    """A non-negative amount with at most two decimals, from a string, int or Decimal."""
    if isinstance(raw, bool) or isinstance(raw, float) or not isinstance(raw, (str, int, Decimal)):
        raise _fail(path, f'金额应为字符串，如 "1200.00" (amount must be a string): {raw!r}')
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except InvalidOperation as exc:
        raise _fail(path, f"金额格式错误 (malformed amount): {raw!r}") from exc
    if not value.is_finite():
        raise _fail(path, f"金额格式错误 (malformed amount): {raw!r}")
    if value < 0:
        raise _fail(path, f"金额不能为负 (amount must not be negative): {raw!r}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise _fail(path, f"金额最多两位小数 (at most two decimals): {raw!r}")
    return value


def _date(raw: object, path: str) -> date:
    if not isinstance(raw, str) or not _DATE.match(raw):
        raise _fail(path, f"日期格式应为 YYYY-MM-DD (malformed date): {raw!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise _fail(path, f"日期无效 (invalid date): {raw!r}") from exc


def _bool(raw: object, path: str) -> bool:
    if not isinstance(raw, bool):
        raise _fail(path, f"应为 true/false (expected a boolean): {raw!r}")
    return raw


def _int(raw: object, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise _fail(path, f"应为非负整数 (expected an integer ≥ 0): {raw!r}")
    return raw


def _opt_str(raw: object, path: str) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise _fail(path, f"应为字符串或 null (expected a string or null): {raw!r}")


def _list(raw: object, path: str) -> list[Any]:
    if not isinstance(raw, list):
        raise _fail(path, "应为数组 (expected an array)")
    return raw


def _build(path: str, factory: Any, **kwargs: Any) -> Any:
    """Construct a value object, prefixing its own validation error with the field path."""
    try:
        return factory(**kwargs)
    except ValueError as exc:
        raise _fail(path, str(exc)) from exc


def _member(raw: object, path: str, as_of: date) -> Member:
    data = _obj(raw, path, _MEMBER_KEYS)
    if "ref" not in data or not isinstance(data["ref"], str) or not data["ref"]:
        raise _fail(f"{path}.ref", "必填字符串 (required string)")
    if "birth_date" not in data:
        raise _fail(f"{path}.birth_date", "必填 (required)")
    birth = _date(data["birth_date"], f"{path}.birth_date")
    if birth > as_of:
        raise _fail(f"{path}.birth_date", f"出生日期晚于评估日期 (after as_of {as_of})")
    incomes = []
    for i, item in enumerate(_list(data.get("incomes", []), f"{path}.incomes")):
        ipath = f"{path}.incomes[{i}]"
        inc = _obj(item, ipath, {"kind", "monthly"})
        if "kind" not in inc or "monthly" not in inc:
            raise _fail(ipath, "kind 与 monthly 必填 (kind and monthly are required)")
        if not isinstance(inc["kind"], str):
            raise _fail(f"{ipath}.kind", "应为字符串 (expected a string)")
        incomes.append(_build(ipath, Income, kind=inc["kind"], monthly=_money(inc["monthly"], f"{ipath}.monthly")))
    care_mode = _opt_str(data.get("care_mode"), f"{path}.care_mode")
    if care_mode is None:  # absent or null: the documented default
        care_mode = "home"
    grade = data.get("disability_grade")
    if grade is not None:
        grade = _int(grade, f"{path}.disability_grade")
    return _build(  # type: ignore[no-any-return]
        path,
        Member,
        ref=data["ref"],
        birth_date=birth,
        lives_together=_bool(data.get("lives_together", True), f"{path}.lives_together"),
        excluded=_opt_str(data.get("excluded"), f"{path}.excluded"),
        disability_grade=grade,
        disability_kind=_opt_str(data.get("disability_kind"), f"{path}.disability_kind"),
        serious_illness=_bool(data.get("serious_illness", False), f"{path}.serious_illness"),
        student=_bool(data.get("student", False), f"{path}.student"),
        work_capacity=_opt_str(data.get("work_capacity"), f"{path}.work_capacity"),
        adl_incapable=_int(data.get("adl_incapable", 0), f"{path}.adl_incapable"),
        has_able_supporter=_bool(data.get("has_able_supporter", True), f"{path}.has_able_supporter"),
        care_mode=care_mode,
        incomes=tuple(incomes),
    )


def _assets(raw: object) -> Assets:
    if raw is None:
        return Assets(business=Business())
    data = _obj(raw, "assets", {"financial", "vehicles", "homes", "business"})
    vehicles = []
    for i, item in enumerate(_list(data.get("vehicles") or [], "assets.vehicles")):
        vpath = f"assets.vehicles[{i}]"
        v = _obj(item, vpath, {"price", "business_use"})
        vehicles.append(
            Vehicle(
                price=_money(v.get("price", "0"), f"{vpath}.price"),
                business_use=_bool(v.get("business_use", False), f"{vpath}.business_use"),
            )
        )
    business_raw = data.get("business")
    business = Business()
    if business_raw is not None:
        b = _obj(business_raw, "assets.business", {"employs_others_12m", "avg_monthly_net_profit"})
        business = Business(
            employs_others_12m=_bool(b.get("employs_others_12m", False), "assets.business.employs_others_12m"),
            avg_monthly_net_profit=_money(
                b.get("avg_monthly_net_profit", "0"), "assets.business.avg_monthly_net_profit"
            ),
        )
    return Assets(
        financial=_money(data.get("financial", "0"), "assets.financial"),
        vehicles=tuple(vehicles),
        homes=_int(data.get("homes", 1), "assets.homes"),
        business=business,
    )


def _rigid(raw: object) -> RigidExpenditure:
    if raw is None:
        return RigidExpenditure()
    path = "rigid_expenditure_annual"
    data = _obj(raw, path, {"medical", "education", "rehabilitation"})
    return RigidExpenditure(
        medical=_money(data.get("medical", "0"), f"{path}.medical"),
        education=_money(data.get("education", "0"), f"{path}.education"),
        rehabilitation=_money(data.get("rehabilitation", "0"), f"{path}.rehabilitation"),
    )


def _emergency(raw: object, as_of: date) -> Emergency | None:
    if raw is None:
        return None
    data = _obj(raw, "emergency", {"kind", "date", "cost", "insurance", "other_aid"})
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise _fail("emergency.kind", "必填 (required)")
    if "date" in data and data["date"] is not None:
        when = _date(data["date"], "emergency.date")
    elif kind == "stranded":
        when = as_of  # the date does not matter for 生活无着
    else:
        raise _fail("emergency.date", "必填 (required)")
    return _build(  # type: ignore[no-any-return]
        "emergency",
        Emergency,
        kind=kind,
        date=when,
        cost=_money(data.get("cost", "0"), "emergency.cost"),
        insurance=_money(data.get("insurance", "0"), "emergency.insurance"),
        other_aid=_money(data.get("other_aid", "0"), "emergency.other_aid"),
    )


def household_from_payload(data: Mapping[str, Any], *, standard_area: str) -> Household:
    """Convert the public request JSON; ``standard_area`` comes from the region tree."""
    data = _obj(data, "request", _TOP_KEYS)
    region = data.get("region")
    if not isinstance(region, str) or not region:
        raise _fail("region", "必填字符串 (required string)")
    if "as_of" not in data:
        raise _fail("as_of", "必填 (required)")
    as_of = _date(data["as_of"], "as_of")
    members = tuple(_member(m, f"members[{i}]", as_of) for i, m in enumerate(_list(data.get("members"), "members")))
    return _build(  # type: ignore[no-any-return]
        "request",
        Household,
        region=region,
        standard_area=standard_area,
        as_of=as_of,
        members=members,
        assets=_assets(data.get("assets")),
        rigid_expenditure_annual=_rigid(data.get("rigid_expenditure_annual")),
        emergency=_emergency(data.get("emergency"), as_of),
        temporary_grants_last_12_months=_int(
            data.get("temporary_grants_last_12_months", 0), "temporary_grants_last_12_months"
        ),
        same_cause_granted=_bool(data.get("same_cause_granted", False), "same_cause_granted"),
    )


# --- response --------------------------------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{money(value):.2f}"


def _reason(r: Reason) -> dict[str, str]:
    return {"code": r.code, "message": r.message, "source": r.source}


def _tier(t: TierResult) -> dict[str, Any]:
    return {
        "tier": t.tier,
        "eligible": t.eligible,
        "members": list(t.members),
        "monthly_amount": _amount(t.monthly_amount),
        "recommended_amount": _amount(t.recommended_amount),
        "approval_level": t.approval_level,
        "reasons": [_reason(r) for r in t.reasons],
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def parameter_to_payload(p: ParamValue) -> dict[str, Any]:
    return {
        "name": p.name,
        "region": p.region,
        "effective_from": p.effective_from.isoformat(),
        "value": _json_value(p.value),
    }


def evaluation_to_payload(ev: Evaluation) -> dict[str, Any]:
    """The public response JSON: amounts as two-decimal strings, dates ISO."""
    return {
        "as_of": ev.as_of.isoformat(),
        "region": ev.region,
        "standard_area": ev.standard_area,
        "dibao_standard": _amount(ev.dibao_standard),
        "household_size": ev.household_size,
        "counted_income": _amount(ev.counted_income),
        "per_capita_income": _amount(ev.per_capita_income),
        "property_test": {
            "passed": ev.property_test.passed,
            "reasons": [_reason(r) for r in ev.property_test.reasons],
        },
        "tiers": [_tier(t) for t in ev.tiers],
        "primary_tier": ev.primary_tier,
        "monthly_amount": _amount(ev.monthly_amount),
        "parameters_used": [parameter_to_payload(p) for p in ev.parameters_used],
    }
