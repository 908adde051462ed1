"""The supervision dashboard in headless Chromium: charts drawn by the local ECharts, tables, drill-down.

Screenshots go to ``$CI_SCREENSHOT_DIR`` (default ``var/screenshots``), named oversight-dashboard-*.
``DJANGO_ALLOW_ASYNC_UNSAFE``: Playwright's sync API runs an event loop in this thread (see
tests/e2e/test_charity_browser.py); the test thread only sets up data, the live server serves pages.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from casework.models.enrolment import add_months
from oversight import figures
from tests.e2e.browser_support import CHROMIUM_ARGS, PASSWORD, new_page
from tests.oversight.test_figures import _case, _enrol, build_dataset
from tests.support import STREET_A, STREET_B

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: Any) -> None:
    """Transactional tests start after a flush: put the migrations' reference data back first."""
    from tests.casework.reference_data import ensure_reference_data

    ensure_reference_data()


@pytest.fixture
def shots() -> Path:
    folder = Path(os.environ.get("CI_SCREENSHOT_DIR", "var/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _more_history(actor: User) -> None:
    """A year of applications over four streets, so the charts have a shape worth looking at."""
    current = dt.date.today().replace(day=1)
    streets = [STREET_A, STREET_B, "340104003", "340104004"]
    for back in range(12):
        month = add_months(current, -back)
        for i, street in enumerate(streets):
            for k in range((back * 7 + i * 3) % 5 + 1):
                accepted = month + dt.timedelta(days=(k * 5 + i) % 20)
                closed = accepted + dt.timedelta(days=12 + k)
                if closed >= dt.date.today():
                    _case(actor, street, accepted, "investigation", opinion_due=accepted + dt.timedelta(days=10))
                else:
                    _case(actor, street, accepted, "approved" if (k + i) % 4 else "refused", closed=closed)
    for i, street in enumerate(streets[2:]):
        for n in range(3 + i):
            _enrol(street, ["dibao", "tekun", "low_income"][n % 3], "700.00", members=1 + n % 3)


def test_dashboard_charts_tables_and_drilldown(live_server: Any, browser: Any, shots: Path, clerk_a: User) -> None:
    supervisor = User.objects.create_user(
        "supervisor_shushan", password=PASSWORD, role="supervisor", region_id="340104", full_name="蜀山区民政局 王督导"
    )
    build_dataset(clerk_a)
    _more_history(clerk_a)
    figures.refresh_figures()
    expected = figures.compute_figures(supervisor, figures.default_filters())

    base = live_server.url
    page = new_page(browser)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", supervisor.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.click("nav.mainnav >> text=监督看板")
    page.wait_for_url(f"{base}/oversight/")
    # ECharts drew every chart into an SVG (served from /static/, no network outside the live server).
    for chart in ["applications", "spending", "caseload", "streets", "overdue", "reviews", "handoffs"]:
        page.wait_for_selector(f"#chart-{chart} svg", state="attached")
    assert page.locator(".kpis .stat").first.inner_text().startswith(str(expected["coverage"]["households"]))
    page.screenshot(path=str(shots / "oversight-dashboard-county.png"), full_page=True)

    received = expected["applications"]["received"]
    page.click(".kpis a.stat:has-text('期间受理申请')")
    page.wait_for_url(f"{base}/oversight/list/received/*")
    assert page.inner_text("#drill-total") == str(received)
    page.screenshot(path=str(shots / "oversight-dashboard-drilldown.png"), full_page=True)

    # A bar of a chart is a drill-down too: the overdue bar of a step opens the overdue cases of that step.
    page.goto(f"{base}/oversight/")
    page.locator("#chart-overdue svg path[fill='#c62828']").first.click()
    page.wait_for_url(f"{base}/oversight/list/overdue/*key=check*")
    assert page.inner_text("#drill-total") == str(expected["overdue"]["steps"][0]["count"])

    page.goto(f"{base}/oversight/?street={STREET_A}")
    page.wait_for_selector("#chart-applications svg", state="attached")
    assert "三里庵街道" in page.inner_text("h1")
    page.screenshot(path=str(shots / "oversight-dashboard-street.png"), full_page=True)
    page.context.close()
