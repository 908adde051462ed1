"""The public evaluation contract through HTTP, with parameters read from PostgreSQL.

Every YAML scenario runs through ``POST /api/v1/eligibility/evaluate/`` so the shipped data
migration, the region tree and the API agree with the pure engine to the fen.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import AuditLog, Region, User
from eligibility import services
from eligibility.models import PolicyParameter
from tests.eligibility.scenario_support import Scenario, assert_subset, load_scenarios, structure_problems
from tests.support import api_client

URL = "/api/v1/eligibility/evaluate/"
SCENARIOS = load_scenarios()


def test_there_are_at_least_sixty_scenarios() -> None:
    assert len(SCENARIOS) >= 60


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario_through_the_api(scenario: Scenario, clerk_a: User) -> None:
    response = api_client(clerk_a).post(URL, scenario.request, format="json")
    body = response.json()
    if scenario.expected_error is not None:
        assert response.status_code == 400, body
        assert body["parameter"] == [scenario.expected_error["parameter"]]
        assert scenario.expected_error["parameter"] in body["as_of"][0]
        return
    assert response.status_code == 200, body
    assert not structure_problems(body)
    assert_subset(scenario.expected, body)


def _request(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "region": "340104001",
        "as_of": "2024-01-15",
        "members": [
            {"ref": "m1", "birth_date": "1980-05-17", "incomes": [{"kind": "wage", "monthly": "1200.00"}]},
            {"ref": "m2", "birth_date": "1982-03-09"},
            {"ref": "m3", "birth_date": "2012-09-01", "student": True},
        ],
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_minimal_request_takes_documented_defaults(clerk_a: User) -> None:
    body = api_client(clerk_a).post(URL, _request(), format="json").json()
    # 蜀山区 is a district: S = 924 from 2023-07-01. Counted income = 1200 − 0.3 × 924 = 922.80.
    assert body["standard_area"] == "district" and body["dibao_standard"] == "924.00"
    assert body["counted_income"] == "922.80" and body["per_capita_income"] == "307.60"
    dibao = next(t for t in body["tiers"] if t["tier"] == "dibao")
    # 924 × 3 − 922.80 = 1849.20, plus class B for the minor: 0.2 × 924 = 184.80 → 2034.00
    assert dibao["eligible"] and dibao["monthly_amount"] == "2034.00"
    assert body["primary_tier"] == "dibao" and body["monthly_amount"] == "2034.00"
    assert {p["name"] for p in body["parameters_used"]} >= {"dibao_standard", "employment_cost_deduction_ratio"}
    standard = next(p for p in body["parameters_used"] if p["name"] == "dibao_standard")
    assert standard == {"name": "dibao_standard", "region": "340104", "effective_from": "2023-07-01", "value": "924.00"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"region": "999999"}, "region", "未知的区划代码"),
        ({"region": "3401"}, "region", "未知的区划代码"),
        ({"region": "3401\u000004"}, "region", "未知的区划代码"),  # a NUL character (found by schemathesis)
        ({"region": "３４０１０４"}, "region", "未知的区划代码"),  # full-width digits
        ({"as_of": "2024-13-01"}, "as_of", "日期"),
        ({"as_of": "15/01/2024"}, "as_of", "YYYY-MM-DD"),
        ({"as_of": "2018-01-01"}, "as_of", "dibao_standard"),
        (
            {"members": [{"ref": "a", "birth_date": "1980-01-01", "incomes": [{"kind": "wage", "monthly": "-1"}]}]},
            "members[0].incomes[0].monthly",
            "负",
        ),
        (
            {"members": [{"ref": "a", "birth_date": "1980-01-01", "incomes": [{"kind": "lottery", "monthly": "1"}]}]},
            "members[0].incomes[0]",
            "lottery",
        ),
        ({"assets": {"financial": "abc"}}, "assets.financial", "金额"),
        ({"emergency": {"kind": "flood", "date": "2024-01-01", "cost": "100"}}, "emergency", "flood"),
    ],
)
def test_bad_input_is_a_400_with_a_field_message(
    clerk_a: User, overrides: dict[str, Any], field: str, fragment: str
) -> None:
    response = api_client(clerk_a).post(URL, _request(**overrides), format="json")
    assert response.status_code == 400
    assert fragment in " ".join(response.json()[field])


@pytest.mark.django_db
def test_evaluation_requires_authentication() -> None:
    assert api_client(None).post(URL, _request(), format="json").status_code in {401, 403}


@pytest.mark.django_db
def test_parameter_lookup_latest_date_then_nearest_region() -> None:
    # 2020-07-01 district 686 is overridden by the 2021-07-01 whole-city 717 …
    assert services.parameter_set("340104001", dt.date(2022, 1, 1)).value("dibao_standard") == Decimal("717")
    # … which the 2023-07-01 district (924) and county (881) values override in turn.
    assert services.parameter_set("340104001", dt.date(2023, 7, 1)).value("dibao_standard") == Decimal("924")
    assert services.parameter_set("340123100", dt.date(2023, 7, 1)).value("dibao_standard") == Decimal("881")
    assert services.parameter_set("340123100", dt.date(2023, 6, 30)).value("dibao_standard") == Decimal("717")


@pytest.mark.django_db
def test_every_default_is_shipped_with_its_source() -> None:
    names = set(PolicyParameter.objects.values_list("name", flat=True))
    assert len(names) == 19
    assert not PolicyParameter.objects.filter(source="").exists()
    care = PolicyParameter.objects.get(name="tekun_care_annual")
    assert care.value_json["institutional"]["full"] == "12360.00" and care.value_json["home"]["self_care"] == "742.00"


@pytest.mark.django_db
def test_street_override_and_history_never_change_past_results(supervisor_shushan: User, clerk_a: User) -> None:
    street = Region.objects.get(code="340104001")
    before = api_client(clerk_a).post(URL, _request(as_of="2026-12-15"), format="json").json()
    services.parameter_add(
        actor=supervisor_shushan,
        name="dibao_standard",
        region=street,
        effective_from=dt.date(2027, 1, 1),
        value="980",
        source="蜀山区民政局 2026年第5号",
    )
    after_date = api_client(clerk_a).post(URL, _request(as_of="2027-01-01"), format="json").json()
    same_date = api_client(clerk_a).post(URL, _request(as_of="2026-12-15"), format="json").json()
    assert after_date["dibao_standard"] == "980.00"
    assert same_date == before  # an evaluation dated before the change is unaffected
    audit = AuditLog.objects.get(action="parameter.add")
    assert audit.actor == supervisor_shushan and audit.after["value"] == "980"


@pytest.mark.django_db
def test_parameter_permissions_and_in_force_rows_are_immutable(
    supervisor_shushan: User, supervisor_feixi: User, clerk_a: User
) -> None:
    from accounts.errors import BusinessError

    shushan = Region.objects.get(code="340104")
    with pytest.raises(BusinessError):
        services.parameter_add(
            actor=supervisor_feixi,
            name="max_homes",
            region=shushan,
            effective_from=dt.date(2027, 1, 1),
            value="2",
            source="x",
        )
    with pytest.raises(BusinessError):
        services.parameter_add(
            actor=clerk_a, name="max_homes", region=shushan, effective_from=dt.date(2027, 1, 1), value="2", source="x"
        )
    in_force = PolicyParameter.objects.get(
        name="dibao_standard", region_id="340104", effective_from=dt.date(2023, 7, 1)
    )
    with pytest.raises(BusinessError, match="已生效"):
        services.parameter_update(
            actor=supervisor_shushan, parameter=in_force, value="1", source="x", note="", reason="typo"
        )
    future = services.parameter_add(
        actor=supervisor_shushan,
        name="max_homes",
        region=shushan,
        effective_from=dt.date(2099, 1, 1),
        value="2",
        source="x",
    )
    services.parameter_update(
        actor=supervisor_shushan, parameter=future, value="1", source="y", note="", reason="录入错误"
    )
    future.refresh_from_db()
    assert future.value == Decimal("1")
    assert AuditLog.objects.filter(action="parameter.update", reason="录入错误").exists()


@pytest.mark.django_db
def test_parameter_api_lists_and_adds(supervisor_shushan: User, clerk_a: User) -> None:
    listing = api_client(clerk_a).get("/api/v1/eligibility/parameters/", {"name": "dibao_standard"}).json()
    assert listing["count"] == 2 * 12 + 1 + 12 - 12 + 12  # 2019/2020/2023 per county unit + 2021 city
    created = api_client(supervisor_shushan).post(
        "/api/v1/eligibility/parameters/",
        {
            "name": "dibao_standard",
            "region": "340104",
            "effective_from": "2027-07-01",
            "value": "960",
            "source": "合肥市民政局 2027 年低保标准调整通知",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    refused = api_client(clerk_a).post(
        "/api/v1/eligibility/parameters/",
        {"name": "dibao_standard", "region": "340104", "effective_from": "2027-07-01", "value": "960", "source": "x"},
        format="json",
    )
    assert refused.status_code == 403
