"""Dated, regional policy parameters (DOMAIN §5, §8) and their pure resolver.

Resolution rule (``resolve``): among the rows of that name whose region is in the region chain
(nearest first, e.g. ``["340104001", "340104", "3401"]``) and whose ``effective_from`` ≤ ``as_of``,
take the greatest ``effective_from``; on a tie take the nearest region. So the 2021-07-01 whole-city
dibao standard 717 (on 3401) overrides the 2020-07-01 district value 686 (on 340104), and the
2023-07-01 district value 924 overrides the city's 717. A name with no row in force is a
``MissingParameter`` error naming parameter, region and date — never a silent zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeAlias

# Structured value: {"institutional": {"full": "12360.00", ...}, "home": {...}} (JSON-safe).
StructuredValue: TypeAlias = Mapping[str, Mapping[str, str | int | Decimal]]
Value: TypeAlias = Decimal | StructuredValue


@dataclass(frozen=True)
class ParamValue:
    name: str
    region: str
    effective_from: date
    value: Value


class MissingParameter(Exception):
    """No value of a needed parameter is in force for the region (or any ancestor) on a date."""

    def __init__(self, name: str, region: str, as_of: date) -> None:
        self.name = name
        self.region = region
        self.as_of = as_of
        super().__init__(
            f"参数 {name} 在地区 {region} 于 {as_of.isoformat()} 没有生效的取值"
            f" (no value of parameter {name} in force for region {region} on {as_of.isoformat()})"
        )


def region_chain_for_code(code: str) -> list[str]:
    """Nearest-first chain of a statistical division code: 340104001 → [340104001, 340104, 3401].

    Uses the code structure (4-digit city, 6-digit county, 9-digit street, 12-digit community).
    """
    if not code.isdigit() or len(code) not in (4, 6, 9, 12):
        raise ValueError(f"地区代码格式错误 (malformed region code): {code!r}")
    return [code[:n] for n in (12, 9, 6, 4) if n <= len(code)]


def resolve(rows: Iterable[ParamValue], region_chain: list[str], name: str, as_of: date) -> ParamValue:
    """The row of ``name`` in force on ``as_of`` for the nearest region of ``region_chain``."""
    if not region_chain:
        raise ValueError("region_chain must not be empty")
    rank = {region: i for i, region in enumerate(region_chain)}
    best: ParamValue | None = None
    best_key: tuple[date, int] | None = None
    duplicated = False
    for row in rows:
        if row.name != name or row.region not in rank or row.effective_from > as_of:
            continue
        key = (row.effective_from, -rank[row.region])
        if best_key is None or key > best_key:
            best, best_key, duplicated = row, key, False
        elif key == best_key:
            duplicated = True
    if best is None:
        raise MissingParameter(name, region_chain[0], as_of)
    if duplicated:
        # Two rows for the same name, region and date: refuse to pick one silently.
        raise ValueError(
            f"参数 {name} 在地区 {best.region} 于 {best.effective_from} 有重复取值 (duplicate parameter rows)"
        )
    return best


def to_decimal(raw: object, what: str) -> Decimal:
    """Convert a stored value (Decimal, int or numeric string) to Decimal; never via float."""
    if isinstance(raw, bool):
        raise ValueError(f"{what}: not a number: {raw!r}")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, float):
        # Only from stored JSON (e.g. an edited care table); its shortest repr is the JSON literal.
        value = Decimal(repr(raw))
    elif isinstance(raw, (int, str)):
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise ValueError(f"{what}: not a number: {raw!r}") from exc
    else:
        raise ValueError(f"{what}: expected a Decimal, got {type(raw).__name__}")
    if not value.is_finite():
        raise ValueError(f"{what}: not a finite number: {raw!r}")
    return value


class ParameterSet:
    """The parameters in force for one region chain on one date, resolved lazily.

    ``get`` raises ``MissingParameter`` only when a parameter is actually needed, and records every
    parameter used (first-use order, deduplicated) for the decision's ``parameters_used``.
    """

    def __init__(self, rows: Iterable[ParamValue], region_chain: list[str], as_of: date) -> None:
        if not region_chain:
            raise ValueError("region_chain must not be empty")
        self._rows = tuple(rows)
        self.region_chain = list(region_chain)
        self.as_of = as_of
        self._resolved: dict[str, ParamValue] = {}

    def get(self, name: str) -> ParamValue:
        found = self._resolved.get(name)
        if found is None:
            found = resolve(self._rows, self.region_chain, name, self.as_of)
            self._resolved[name] = found
        return found

    def value(self, name: str) -> Decimal:
        raw = self.get(name).value
        if isinstance(raw, Mapping):
            raise ValueError(f"参数 {name} 是结构化取值，不是数值 (structured, not a number)")
        return to_decimal(raw, name)

    def table_value(self, name: str, row: str, column: str) -> Decimal:
        """One cell of a structured parameter, e.g. ``tekun_care_annual["home"]["full"]``."""
        raw = self.get(name).value
        if not isinstance(raw, Mapping):
            raise ValueError(f"参数 {name} 不是结构化取值 (expected a table)")
        try:
            cell = raw[row][column]
        except KeyError as exc:
            raise ValueError(f"参数 {name} 缺少 {row}.{column} (table cell missing)") from exc
        return to_decimal(cell, f"{name}.{row}.{column}")

    def care_annual(self, care_mode: str, care_tier: str) -> Decimal:
        """特困 annual care standard for a care mode (home/institutional) and tier."""
        return self.table_value("tekun_care_annual", care_mode, care_tier)

    def used(self) -> tuple[ParamValue, ...]:
        """Parameters used so far, in first-use order (dicts keep insertion order)."""
        return tuple(self._resolved.values())
