"""Dashboard page, drill-down pages and the figures API: access, scoping, same numbers everywhere."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from oversight import figures
from oversight.models_summary import FigureRefresh
from tests.oversight.test_figures import Data, build_dataset
from tests.support import STREET_A, STREET_B, api_client

QUERY = "from=2026-09&to=2026-11"
API = "/api/v1/oversight/figures/"


@pytest.fixture
def data(clerk_a: User) -> Data:
    built = build_dataset(clerk_a)
    figures.refresh_figures()  # today: the drill-down pages compare with the live "overdue" rule of today
    return built


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_dashboard_page_shows_the_county_figures(data: Data, supervisor_shushan: User) -> None:
    response = _client(supervisor_shushan).get(f"/oversight/?{QUERY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "蜀山区" in html and "统计数据截至" in html
    d = response.context["data"]
    assert d["coverage"] == {"households": 4, "people": 7}
    assert d["applications"]["avg_working_days"] == Decimal("6.5")
    assert d["spending"]["total"] == Decimal("4950.50")
    assert "¥4950.50" in html
    # charts: local ECharts + dashboard.js; data only through json_script; no inline script, no handlers
    assert "/static/oversight/vendor/echarts.min.js" in html and "/static/oversight/dashboard.js" in html
    assert 'id="dashboard-data" type="application/json"' in html
    scripts = re.findall(r"<script(?P<attrs>[^>]*)>", html)
    assert all("src=" in a or 'type="application/json"' in a for a in scripts)
    assert not re.search(r"\son[a-z]+=", html)
    # each figure links to its drill-down with the same filters
    links = html.replace("&amp;", "&")
    assert f'href="/oversight/list/received/?{QUERY}"' in links
    assert f'href="/oversight/list/caseload/?{QUERY}&key=dibao"' in links
    assert f"/oversight/list/overdue/?{QUERY}&street={STREET_A}" in links
    # nav entry of the hook
    assert 'href="/oversight/"' in html


def test_street_staff_are_refused(data: Data, clerk_a: User) -> None:
    assert _client(clerk_a).get("/oversight/").status_code == 403
    assert _client(clerk_a).get(f"/oversight/list/received/?{QUERY}").status_code == 403
    assert _client(clerk_a).post("/oversight/refresh/").status_code == 403
    assert api_client(clerk_a).get(API).status_code == 403
    assert APIClient().get(API).status_code in {401, 403}
    home = _client(clerk_a).get("/").content.decode()
    assert 'href="/oversight/"' not in home


def test_feixi_supervisor_cannot_see_shushan(data: Data, supervisor_feixi: User) -> None:
    client = _client(supervisor_feixi)
    response = client.get(f"/oversight/?{QUERY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "肥西县" in html and "三里庵街道" not in html and "蜀山区社会救助专项基金" not in html
    assert response.context["data"]["coverage"] == {"households": 1, "people": 2}
    assert client.get(f"/oversight/?{QUERY}&street={STREET_A}").status_code == 404
    assert client.get(f"/oversight/list/received/?{QUERY}&street={STREET_A}").status_code == 404
    drill = client.get(f"/oversight/list/received/?{QUERY}")
    assert drill.context["total"] == 1
    api = api_client(supervisor_feixi)
    assert api.get(f"{API}?{QUERY}&street={STREET_A}").status_code == 404
    body = api.get(f"{API}?{QUERY}").json()
    assert body["area"]["code"] == "340123"
    assert body["coverage"] == {"households": 1, "people": 2}
    assert {s["code"][:6] for s in body["caseload"]["streets"]} == {"340123"}


@pytest.mark.parametrize(
    ("figure", "key", "expected"),
    [
        ("received", "", 5),
        ("approved", "", 3),
        ("refused", "", 1),
        ("decided", "", 4),
        ("overdue", "", 3),
        ("caseload", "", 4),
        ("caseload", "dibao", 2),
        ("spending", "dibao", 3),
        ("spending", "emergency", 1),
        ("reviewed", "", 2),
        ("review_open", "", 1),
        ("alerts", "", 2),
        ("handoffs", "", 2),
    ],
)
def test_drilldown_pages_list_the_figure(
    data: Data, supervisor_shushan: User, figure: str, key: str, expected: int
) -> None:
    client = _client(supervisor_shushan)
    page = client.get(f"/oversight/?{QUERY}").context["data"]
    response = client.get(f"/oversight/list/{figure}/?{QUERY}&key={key}")
    assert response.status_code == 200
    assert response.context["total"] == expected
    assert len(response.context["page_obj"].object_list) == expected
    assert f'id="drill-total">{expected}<' in response.content.decode()
    picks: dict[str, Any] = {
        "received": page["applications"]["received"],
        "overdue": page["overdue"]["total"],
        "caseload": page["coverage"]["households"],
        "alerts": page["alerts"]["open"],
        "handoffs": page["charity"]["handoffs_total"],
    }
    if figure in picks and not key:
        assert picks[figure] == expected


def test_drilldown_street_filter_and_unknown_figure(data: Data, supervisor_shushan: User) -> None:
    client = _client(supervisor_shushan)
    assert client.get(f"/oversight/list/received/?{QUERY}&street={STREET_B}").context["total"] == 2
    assert client.get(f"/oversight/list/approved/?{QUERY}&street={STREET_A}").context["total"] == 1
    assert client.get(f"/oversight/list/nothing/?{QUERY}").status_code == 404
    assert client.get(f"/oversight/list/caseload/?{QUERY}&key=emergency").status_code == 404
    assert client.get(f"/oversight/list/alerts/?{QUERY}&key=x%00y").status_code == 404
    assert client.get(f"/oversight/list/alerts/?{QUERY}&key=no_such_rule").context["total"] == 0
    overdue = client.get(f"/oversight/list/overdue/?{QUERY}&key=confirm").content.decode()
    assert "审批确认超时" in overdue and "办结超时" in overdue  # c8 is late on both


def test_api_returns_the_page_numbers(data: Data, supervisor_shushan: User) -> None:
    token = Token.objects.create(user=supervisor_shushan)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get(f"{API}?{QUERY}")
    assert response.status_code == 200
    body = response.json()
    page = _client(supervisor_shushan).get(f"/oversight/?{QUERY}").context["data"]
    assert body["period"] == {"from": "2026-09", "to": "2026-11"}
    assert body["coverage"] == page["coverage"] == {"households": 4, "people": 7}
    assert body["applications"]["received"] == page["applications"]["received"] == 5
    assert Decimal(body["applications"]["avg_working_days"]) == Decimal("6.5")
    assert Decimal(body["spending"]["total"]) == page["spending"]["total"] == Decimal("4950.50")
    assert body["overdue"]["total"] == 3
    assert body["charity"]["funds_total"] == "12345.67"
    assert body["as_of"] is not None
    street = client.get(f"{API}?{QUERY}&street={STREET_B}").json()
    assert street["coverage"] == {"households": 2, "people": 3}
    assert client.get(f"{API}?from=2026-13").status_code == 400
    assert client.get(f"{API}?from=2026-11&to=2026-01").status_code == 400


def test_city_admin_api(data: Data, city_admin: User) -> None:
    body = api_client(city_admin).get(f"{API}?{QUERY}").json()
    assert body["area"] == {"code": "3401", "name": "合肥市", "street": ""}
    assert body["coverage"] == {"households": 5, "people": 9}


def test_refresh_button_queues_the_task(data: Data, supervisor_shushan: User) -> None:
    before = FigureRefresh.objects.count()
    response = _client(supervisor_shushan).post("/oversight/refresh/", {"next": f"/oversight/?{QUERY}"})
    assert response.status_code == 302 and response["Location"] == f"/oversight/?{QUERY}"
    assert FigureRefresh.objects.count() == before + 1
    evil = _client(supervisor_shushan).post("/oversight/refresh/", {"next": "https://example.com/"})
    assert evil["Location"] == "/oversight/"


def test_first_visit_computes_the_figures(supervisor_shushan: User) -> None:
    assert figures.latest_refresh() is None
    response = _client(supervisor_shushan).get("/oversight/")
    assert response.status_code == 200
    assert figures.latest_refresh() is not None
    assert response.context["data"]["coverage"] == {"households": 0, "people": 0}


def test_bad_period_on_page_falls_back_to_default(data: Data, supervisor_shushan: User) -> None:
    response = _client(supervisor_shushan).get("/oversight/?from=2026-13&to=2026-11")
    assert response.status_code == 200
    assert "月份格式应为 YYYY-MM" in response.content.decode()
    assert len(response.context["data"]["applications"]["monthly"]) == 12


def test_schema_documents_the_endpoint(admin_client: Client) -> None:
    schema = admin_client.get(reverse("schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/oversight/figures/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "street"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    name = ref.rsplit("/", 1)[-1]
    assert "avg_working_days" in str(schema["components"]["schemas"])
    assert set(schema["components"]["schemas"][name]["properties"]) >= {"coverage", "caseload", "spending", "charity"}


def test_period_key_is_in_schema_as_from(admin_client: Client) -> None:
    schema = admin_client.get(reverse("schema"), {"format": "json"}).json()
    assert set(schema["components"]["schemas"]["FiguresPeriod"]["properties"]) == {"from", "to"}
