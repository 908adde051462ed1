"""YAML scenario loading and subset comparison, shared by the pure scenario test and the API test.

A scenario file holds ``cases:``, a list of ``{name, description, request, expected}`` or
``{name, description, request, expected_error: {parameter, region?, as_of?}}``. ``request`` is
exactly the public request JSON of ``POST /api/v1/eligibility/evaluate/``; ``expected`` is a
subset of the response JSON:

- a mapping matches when every expected key is present and matches;
- a list matches when each expected item matches a *different* actual item (in any order), so
  ``tiers: [{tier: dibao, eligible: true}]`` or ``reasons: [{code: dibao.amount}]`` pick entries
  out of the full lists;
- scalars compare with ``==`` (amounts are strings: "924.00" ≠ "924").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SCENARIO_DIR = Path(__file__).with_name("scenarios")
TIER_NAMES = ("tekun", "dibao", "low_income", "expenditure_hardship", "emergency")
_AMOUNT = re.compile(r"^\d+\.\d{2}$")

# County-level units and their standard area (DOMAIN §1).
STANDARD_AREA = {
    **{code: "district" for code in ("340102", "340103", "340104", "340111", "340176", "340177", "340178")},
    **{code: "county" for code in ("340121", "340122", "340123", "340124", "340181")},
}


@dataclass(frozen=True)
class Scenario:
    file: str
    name: str
    description: str
    request: dict[str, Any]
    expected: dict[str, Any] | None
    expected_error: dict[str, Any] | None

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


def county_of(region: str) -> str:
    """A street's county is its first six digits."""
    return region[:6]


def standard_area_for(region: str) -> str:
    return STANDARD_AREA[county_of(region)]


def region_chain(region: str) -> list[str]:
    """[street?, county, city] for a county or street code."""
    chain = [region] if len(region) > 6 else []
    return [*chain, county_of(region), "3401"]


def load_scenarios(directory: Path = SCENARIO_DIR) -> list[Scenario]:
    scenarios: list[Scenario] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            request = case["request"]
            # The request must be plain JSON (quoted dates and amounts, no YAML timestamps).
            assert json.loads(json.dumps(request)) == request, f"{path.name}: {case['name']} is not JSON"
            assert ("expected" in case) != ("expected_error" in case), case["name"]
            assert case.get("description"), f"{case['name']} needs a description"
            scenarios.append(
                Scenario(
                    file=path.name,
                    name=case["name"],
                    description=case["description"],
                    request=request,
                    expected=case.get("expected"),
                    expected_error=case.get("expected_error"),
                )
            )
    names = [s.name for s in scenarios]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate scenario names: {sorted(duplicates)}"
    return scenarios


def subset_mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Why ``expected`` is not a subset of ``actual`` (empty when it is)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        problems: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems.extend(subset_mismatches(value, actual[key], f"{path}.{key}"))
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {actual!r}"]
        if _match_items(expected, actual, 0, set()):
            return []
        unmatched = [e for e in expected if not any(not subset_mismatches(e, a) for a in actual)]
        shown = unmatched or expected
        return [f"{path}: no distinct match for {json.dumps(shown, ensure_ascii=False)} in {_brief(actual)}"]
    if expected != actual or type(expected) is not type(actual):
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return []


def _match_items(expected: list[Any], actual: list[Any], i: int, used: set[int]) -> bool:
    if i == len(expected):
        return True
    for j, item in enumerate(actual):
        if j not in used and not subset_mismatches(expected[i], item):
            if _match_items(expected, actual, i + 1, used | {j}):
                return True
    return False


def _brief(actual: list[Any]) -> str:
    """Compact view of an actual list for failure messages (tier entries or reason codes)."""
    view = []
    for item in actual:
        if isinstance(item, dict) and "tier" in item:
            view.append(
                {
                    k: item.get(k)
                    for k in ("tier", "eligible", "members", "monthly_amount", "recommended_amount", "approval_level")
                }
                | {"codes": [r["code"] for r in item.get("reasons", [])]}
            )
        elif isinstance(item, dict) and "code" in item:
            view.append(item["code"])
        else:
            view.append(item)
    return json.dumps(view, ensure_ascii=False)


def assert_subset(expected: Any, actual: Any) -> None:
    problems = subset_mismatches(expected, actual)
    assert not problems, "\n".join(problems)


def structure_problems(response: dict[str, Any]) -> list[str]:
    """Contract invariants every response satisfies, whatever the scenario checks."""
    problems: list[str] = []
    tiers = response["tiers"]
    names = [t["tier"] for t in tiers]
    for name in TIER_NAMES:
        if name != "dibao" and names.count(name) != 1:
            problems.append(f"tier {name} appears {names.count(name)} times")
    dibao = [t for t in tiers if t["tier"] == "dibao"]
    if not dibao:
        problems.append("no dibao entry")
    for extra in dibao[1:]:
        if not (extra["eligible"] and len(extra["members"]) == 1):
            problems.append(f"extra dibao entry is not a single-person case: {extra}")
    amounts = [response[k] for k in ("dibao_standard", "counted_income", "per_capita_income", "monthly_amount")]
    for t in tiers:
        amounts += [t["monthly_amount"], t["recommended_amount"]]
        if t["approval_level"] not in (None, "street", "county"):
            problems.append(f"bad approval level {t['approval_level']!r}")
        for r in t["reasons"]:
            if set(r) != {"code", "message", "source"} or not all(r.values()):
                problems.append(f"bad reason {r}")
        if not t["reasons"]:
            problems.append(f"tier {t['tier']} has no reasons")
    problems += [f"bad amount {a!r}" for a in amounts if not (isinstance(a, str) and _AMOUNT.match(a))]
    expected_primary = next(
        (
            name
            for name in ("tekun", "dibao", "expenditure_hardship", "low_income", "emergency")
            if any(t["tier"] == name and t["eligible"] for t in tiers)
        ),
        "none",
    )
    if response["primary_tier"] != expected_primary:
        problems.append(f"primary_tier {response['primary_tier']} ≠ {expected_primary}")
    return problems
