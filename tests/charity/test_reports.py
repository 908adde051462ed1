"""Fund statement and grants report on a small hand-computed set of entries, pages and .xlsx exports."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from accounts.models import Region, User
from charity import reports, selectors
from charity.models import EntryKind, Fund, FundKind
from charity.services import funds as fund_services
from charity.services import grants
from charity.services.ledger import entry_reverse
from tests.charity.helpers import TODAY, approved, donate, refer
from tests.support import make_resident_id

pytestmark = pytest.mark.django_db

T = TODAY
D = Decimal


def days(n: int) -> dt.date:
    return T - dt.timedelta(days=n)


@pytest.fixture
def books(charity_shushan: User, clerk_a: User, clerk_b: User, county_fund: Fund, case_a: Any, case_b: Any) -> Fund:
    """1 T-60 donation 10 000 · 2 T-50 donation 3 000 (医疗) · 3 T-30 grant 2 500 医疗 (street A) ·
    4 T-20 transfer 1 000 to the community fund · 5 T-10 donation 500 · 6 T-7 grant 4 000 教育 (street B) ·
    7 T reversal of donation 5 · 8 T reversal of grant 6."""
    community = fund_services.fund_create(
        actor=charity_shushan,
        kind=FundKind.MUTUAL_AID,
        name="梅山路社区慈善公益互助会",
        holder="梅山路社区慈善公益互助会",
        region=Region.objects.get(code="340104001001"),
    )
    donate(charity_shushan, county_fund, "10000.00", on=days(60))
    donate(charity_shushan, county_fund, "3000.00", purpose="medical", on=days(50))
    medical = approved(charity_shushan, refer(clerk_a, case_a, county_fund, need="medical", asked="3000"), "2500.00")
    grants.fund_grant_pay(actor=charity_shushan, handoff=medical, on=days(30))
    fund_services.fund_transfer(
        actor=charity_shushan, source=county_fund, target=community, amount="1000", reason="社区互助会备付", on=days(20)
    )
    small = donate(charity_shushan, county_fund, "500.00", on=days(10), donor=f"王五 {make_resident_id(seq=777)}")
    education = approved(
        charity_shushan, refer(clerk_b, case_b, county_fund, need="education", asked="4000"), "4000.00"
    )
    payment = grants.fund_grant_pay(actor=charity_shushan, handoff=education, on=days(7))
    entry_reverse(actor=charity_shushan, entry=small.entry, reason="捐赠人要求退回")
    entry_reverse(actor=charity_shushan, entry=payment, reason="银行退回：账户冻结")
    county_fund.refresh_from_db()
    return county_fund


def test_statement_figures_for_a_period(books: Fund) -> None:
    s = reports.fund_statement(books, days(35), days(5))
    assert (s.opening, s.inflow, s.outflow, s.closing) == (D("13000"), D("500"), D("7500"), D("6000"))
    assert {r.kind: (r.inflow, r.outflow) for r in s.rows} == {
        EntryKind.DONATION: (D("500"), D("0")),
        EntryKind.GRANT: (D("0"), D("6500")),
        EntryKind.TRANSFER: (D("0"), D("1000")),
    }
    assert dict(s.closing_by_purpose) == {"非限定": D("5500"), "限定：医疗救助": D("500")}
    assert [line.balance for line in s.lines] == [D("10500"), D("9500"), D("10000"), D("6000")]


def test_statement_reversals_and_the_whole_life_of_the_fund(books: Fund) -> None:
    recent = reports.fund_statement(books, days(4), T)
    assert (recent.opening, recent.inflow, recent.outflow, recent.closing) == (
        D("6000"),
        D("4000"),
        D("500"),
        D("9500"),
    )
    assert [(r.kind, r.inflow, r.outflow) for r in recent.rows] == [(EntryKind.REVERSAL, D("4000"), D("500"))]
    whole = reports.fund_statement(books, days(60), T)
    assert (whole.opening, whole.inflow, whole.outflow, whole.closing) == (D("0"), D("17500"), D("8000"), D("9500"))
    assert whole.closing == books.balance == selectors.ledger_check(books)["from_lines"]


def test_grants_by_street_and_need_type_net_of_reversals(books: Fund, charity_shushan: User) -> None:
    visible = selectors.handoffs_visible_to(charity_shushan)
    before = reports.grants_by_street_and_need(visible, days(35), days(5))
    assert {k: (c.count, c.amount) for k, c in before.cells.items()} == {
        ("340104001", "medical"): (1, D("2500")),
        ("340104002", "education"): (1, D("4000")),
    }
    assert (before.total.count, before.total.amount) == (2, D("6500"))
    assert before.streets == [("340104001", "三里庵街道"), ("340104002", "稻香村街道")]
    after = reports.grants_by_street_and_need(visible, days(35), T)  # the education grant was reversed today
    assert {k: (c.count, c.amount) for k, c in after.cells.items()} == {("340104001", "medical"): (1, D("2500"))}


def test_statement_page_and_xlsx_export_mask_identifiers(books: Fund, charity_shushan: User) -> None:
    client = Client()
    client.force_login(charity_shushan)
    url = f"/charity/funds/{books.pk}/statement/?start={days(35)}&end={days(5)}"
    html = client.get(url).content.decode()
    assert 'data-figure="opening">13,000.00<' in html and 'data-figure="closing">6,000.00<' in html
    assert "收支报表" in html and "蜀山区慈善会" in html
    response = client.get(url + "&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    text = " ".join(str(c) for c in cells)
    assert "期初余额" in text and 13000 in cells and 6000 in cells
    assert not re.search(r"\d{17}[\dX]", text), "a full ID number leaked into the export"
    assert "340104********" in text  # the ID typed into the donor's name is masked


def test_grants_report_page_and_export(books: Fund, supervisor_shushan: User) -> None:
    client = Client()
    client.force_login(supervisor_shushan)
    url = f"/charity/reports/grants/?start={days(35)}&end={days(5)}"
    html = client.get(url).content.decode()
    assert "三里庵街道" in html and "稻香村街道" in html and "2 笔 / 6,500.00" in html
    sheet = load_workbook(io.BytesIO(client.get(url + "&format=xlsx").content)).active
    rows = [row for row in sheet.iter_rows(values_only=True)]
    assert rows[-1][0] == "合计" and rows[-1][-2:] == (2, 6500)


def test_mask_ids_in_text() -> None:
    rid = make_resident_id(seq=123)
    assert reports.mask_ids_in_text(f"捐赠人 {rid} 备注") == f"捐赠人 {rid[:6]}********{rid[-4:]} 备注"
    assert reports.mask_ids_in_text("340104001-2026-000001") == "340104001-2026-000001"
