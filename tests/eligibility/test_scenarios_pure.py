"""Every YAML scenario through the pure engine: payload → Household → evaluate → payload."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility.rules.defaults import build_static_parameter_set
from eligibility.rules.evaluate import evaluate
from eligibility.rules.parameters import MissingParameter
from eligibility.rules.payload import evaluation_to_payload, household_from_payload
from tests.eligibility.scenario_support import (
    Scenario,
    assert_subset,
    load_scenarios,
    region_chain,
    standard_area_for,
    structure_problems,
)

SCENARIOS = load_scenarios()


def _run(scenario: Scenario) -> dict[str, object]:
    request = scenario.request
    household = household_from_payload(request, standard_area=standard_area_for(request["region"]))
    params = build_static_parameter_set(region_chain(request["region"]), household.as_of)
    return evaluation_to_payload(evaluate(household, params))


def test_there_are_at_least_seventy_scenarios() -> None:
    assert len(SCENARIOS) >= 70


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(scenario: Scenario) -> None:
    if scenario.expected_error is not None:
        with pytest.raises(MissingParameter) as raised:
            _run(scenario)
        error = scenario.expected_error
        assert raised.value.name == error["parameter"]
        if "region" in error:
            assert raised.value.region == error["region"]
        if "as_of" in error:
            assert raised.value.as_of == date.fromisoformat(error["as_of"])
        for part in (error["parameter"], raised.value.region, raised.value.as_of.isoformat()):
            assert part in str(raised.value)
        return
    response = _run(scenario)
    assert not structure_problems(response)
    assert_subset(scenario.expected, response)
