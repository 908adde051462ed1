"""Monthly statistics report (社会救助月报表): hand-computed figures on a small caseload, the same
numbers in the printable page and in the workbook (opened with openpyxl), its layout and print
set-up, who sees which rows, and that no resident ID appears anywhere.

The caseload, month M = last month:
  三里庵街道 (340104001)
    H1 低保, 2 members, 925.20/month since M−3
    H2 低保, 1 member, 400.00 since M (新增 in M), a bridging payment of 400.00 on the roll of M
    H3 特困, the elder only (集中供养) of a 2-member household, 2,000.00 since M−3
    H4 特困, whole 1-member household (分散供养), 1,500.00 since M−3
    H5 低收入, 3 members, no cash, since M−3
    H6 低保, 1 member, 300.00 from M−5, last paid month M−1 (停保 in M)
    先行救助 paid in M: 1,500.00; one paid in M−1 (800.00) and one pending at the county (not counted)
    roll of M generated and locked
  稻香村街道 (340104002)
    H7 低保, 1 member, 500.00 since M−2; no roll for M → note 名册未生成
  上派镇 (肥西县 340123100)
    H8 低保, 1 member, 600.00 since M−3 (not in 蜀山区's report)

Hand-computed for 三里庵街道 in M: 低保 2 户 (H1, H2) 3 人, spending 925.20 + 400.00 = 1,325.20;
特困 2 人 (1 分散, 1 集中), 2,000.00 + 1,500.00 = 3,500.00; 低收入 1 户 3 人; 临时救助 2 人次
(先行 1,500.00 + bridging 400.00 = 1,900.00); 新增 1 (H2); 停保 1 (H6).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Region, Role, User
from applications.models import Household
from casework.models import Case
from casework.models.emergency import EmergencyPayment, PaymentStatus
from casework.models.enrolment import BridgingPayment, ChangeKind, Enrolment, EnrolmentStatus, add_months, month_start
from casework.services import enrolment as enrolment_svc
from casework.services.payments import payment_roll_generate, payment_roll_lock
from oversight import reports
from tests.casework.helpers import accept
from tests.casework.test_enrolment import make_household, person
from tests.support import STREET_A, STREET_B, STREET_F

M = add_months(month_start(timezone.localdate()), -1)
URL = "/oversight/reports/monthly/"
XLSX = "/oversight/reports/monthly.xlsx"
D = Decimal


def _user(username: str, role: str, region: str) -> User:
    return User.objects.create_user(username=username, password="pw-Test-12345", role=role, region_id=region)


def _import(approver: User, household: Household, tier: str, amount: str, start: dt.date, **kw: Any) -> Enrolment:
    return enrolment_svc.enrolment_import(
        actor=approver,
        household=household,
        tier=tier,
        monthly_amount=D(amount),
        start_month=start,
        verified_on=timezone.localdate() - dt.timedelta(days=30),
        evaluation=kw.get("evaluation"),
        reason="原系统在册对象导入",
    )


def _people(n: int, born: int = 1975) -> list[dict[str, Any]]:
    relations = ["self", "spouse", "child"]
    return [person(f"成员{i}", dt.date(born + i, 1 + i, 10), relations[min(i, 2)]) for i in range(n)]


@pytest.fixture
def caseload(clerk_a: User, approver_a: User, clerk_b: User, supervisor_shushan: User) -> dict[str, Any]:
    ids: list[str] = []

    def hh(clerk: User, members: list[dict[str, Any]], **kw: Any) -> Household:
        household = make_household(clerk, members, **kw)
        ids.extend(m.id_number for m in household.members.all())
        return household

    _import(approver_a, hh(clerk_a, _people(2)), "dibao", "925.20", add_months(M, -3))
    h2 = _import(approver_a, hh(clerk_a, _people(1, 1960)), "dibao", "400.00", M)
    BridgingPayment.objects.create(enrolment=h2, amount=D("400.00"), pay_from_month=M, granted_by=approver_a)
    elder_home = hh(
        clerk_a,
        [
            person("特困老人", dt.date(1940, 2, 3), care_mode="institutional"),
            person("儿子", dt.date(1968, 4, 5), "child"),
        ],
    )
    elder = elder_home.members.get(name="特困老人")
    assert elder.care_mode == "institutional"
    evaluation = {"tiers": [{"tier": "tekun", "eligible": True, "members": [str(elder.pk)]}]}
    _import(approver_a, elder_home, "tekun", "2000.00", add_months(M, -3), evaluation=evaluation)
    _import(approver_a, hh(clerk_a, [person("孤老", dt.date(1938, 6, 7))]), "tekun", "1500.00", add_months(M, -3))
    _import(approver_a, hh(clerk_a, _people(3, 1980)), "low_income", "0", add_months(M, -3))
    h6 = _import(approver_a, hh(clerk_a, _people(1, 1950)), "dibao", "300.00", add_months(M, -5))
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().get(pk=h6.pk)
        enrolment_svc.period_open(
            enrolment=locked, kind=ChangeKind.STOP, tier="dibao", amount=D("0"), start_month=M, actor=approver_a,
            reason="收入超标，停止救助",
        )  # fmt: skip
        locked.status, locked.end_month = EnrolmentStatus.CLOSED, add_months(M, -1)
        locked.save(update_fields=["status", "end_month"])

    case = Case.objects.get(pk=accept(clerk_a)["case"]["id"])
    ids.extend(m.id_number for m in case.household.members.all())
    for amount, paid_on, status in (
        ("1500.00", M + dt.timedelta(days=9), PaymentStatus.PAID),
        ("800.00", add_months(M, -1) + dt.timedelta(days=20), PaymentStatus.PAID),
        ("3000.00", M + dt.timedelta(days=12), PaymentStatus.PENDING_COUNTY),
    ):
        EmergencyPayment.objects.create(
            case=case,
            amount=D(amount),
            street_limit=D("3696.00"),
            status=status,
            reason="火灾先行救助",
            evaluation={},
            requested_by=approver_a,
            paid_on=paid_on if status == PaymentStatus.PAID else None,
        )
    roll = payment_roll_generate(street=Region.objects.get(code=STREET_A), month=M, actor=approver_a)
    payment_roll_lock(actor=supervisor_shushan, roll=roll)

    approver_b = _user("approver_b", Role.APPROVER, STREET_B)
    _import(
        approver_b,
        hh(clerk_b, _people(1, 1985), street=STREET_B, community="340104002001"),
        "dibao",
        "500.00",
        add_months(M, -2),
    )
    clerk_f, approver_f = _user("clerk_f", Role.CLERK, STREET_F), _user("approver_f", Role.APPROVER, STREET_F)
    _import(
        approver_f,
        hh(clerk_f, _people(1, 1979), street=STREET_F, community="340123100001"),
        "dibao",
        "600.00",
        add_months(M, -3),
    )
    return {"ids": ids}


EXPECTED_A: dict[str, Any] = {
    "dibao_households": 2,
    "dibao_people": 3,
    "dibao_spend": D("1325.20"),
    "tekun_people": 2,
    "tekun_home": 1,
    "tekun_institutional": 1,
    "tekun_spend": D("3500.00"),
    "low_income_households": 1,
    "low_income_people": 3,
    "hardship_households": 0,
    "hardship_people": 0,
    "temp_count": 2,
    "temp_spend": D("1900.00"),
    "added": 1,
    "stopped": 1,
}
EXPECTED_B: dict[str, Any] = {
    **{k: D("0.00") if isinstance(v, Decimal) else 0 for k, v in EXPECTED_A.items()},
    "dibao_households": 1,
    "dibao_people": 1,
}
ORDER = [attr for _label, attr, _money in reports.COLUMNS]


def _values(expected: dict[str, Any]) -> list[Any]:
    return [expected[attr] for attr in ORDER]


def _report(month: dt.date = M, county: str = "340104") -> reports.MonthlyReport:
    region = Region.objects.select_related("parent").get(code=county)
    streets = list(Region.objects.filter(level=Region.Level.STREET, code__startswith=county))
    return reports.monthly_report(region=region, month=month, rows_for=reports.row_regions(region, streets)[0])


def _page_rows(html: str) -> dict[str, list[str]]:
    rows = {}
    for code, body in re.findall(r'<tr[^>]*data-code="([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        rows[code] = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", body, re.S)]
    return rows


def _text(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


# --- figures -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_figures_per_street_and_total_match_the_hand_computed_values(caseload: dict[str, Any]) -> None:
    report = _report()
    rows = {row.code: row for row in report.rows}
    assert len(rows) == Region.objects.filter(level="street", code__startswith="340104").count()
    assert rows[STREET_A].values == _values(EXPECTED_A)
    assert all(type(v) is (Decimal if m else int) for v, m in rows[STREET_A].cells)
    assert rows[STREET_B].values == _values(EXPECTED_B)
    assert rows[STREET_A].note == "" and rows[STREET_B].note == "名册未生成"
    others = [row for code, row in rows.items() if code not in (STREET_A, STREET_B)]
    assert all(not any(row.values) for row in others)
    total = {attr: EXPECTED_A[attr] + EXPECTED_B[attr] for attr in ORDER}
    assert report.total.values == _values(total)
    assert report.title == f"合肥市蜀山区 社会救助月报表 {M.year}年{M.month}月"


@pytest.mark.django_db
def test_previous_month_plus_added_minus_stopped_gives_this_month(caseload: dict[str, Any]) -> None:
    def households(report: reports.MonthlyReport) -> int:
        t = report.total
        return t.dibao_households + t.low_income_households + t.hardship_households + t.tekun_people

    before, now = _report(add_months(M, -1)), _report(M)
    # M−1: H1, H6 低保 + H7 低保 (since M−2) = 3; H2 not yet; the 先行 payment of M−1 only.
    assert (before.total.dibao_households, before.total.temp_count, before.total.temp_spend) == (3, 1, D("800.00"))
    # 户 in M: 低保 H1, H2, H7; 特困 H3, H4 (one covered person each); 低收入 H5.
    assert households(now) == households(before) + now.total.added - now.total.stopped == 6


@pytest.mark.django_db
def test_city_report_has_one_row_per_county(caseload: dict[str, Any]) -> None:
    report = _report(county="3401")
    rows = {row.code: row for row in report.rows}
    assert set(rows) == set(Region.objects.filter(level="county").values_list("code", flat=True))
    assert rows["340104"].values == _report().total.values
    assert (rows["340123"].dibao_households, rows["340123"].dibao_people, rows["340123"].added) == (1, 1, 0)
    assert report.total.dibao_households == 4 and report.title == f"合肥市 社会救助月报表 {M.year}年{M.month}月"


# --- page and workbook --------------------------------------------------------------------------


@pytest.mark.django_db
def test_printable_page_shows_the_same_numbers_and_no_id(caseload: dict[str, Any], supervisor_shushan: User) -> None:
    browser = Client()
    browser.force_login(supervisor_shushan)
    response = browser.get(URL, {"month": f"{M:%Y-%m}"})
    assert response.status_code == 200
    html = response.content.decode()
    rows = _page_rows(html)
    assert rows[STREET_A] == ["1", "三里庵街道", *(_text(v) for v in _values(EXPECTED_A)), ""]
    total = [_text(EXPECTED_A[a] + EXPECTED_B[a]) for a in ORDER]
    assert rows["total"] == ["合计", *total, ""]
    assert f"合肥市蜀山区 社会救助月报表 {M.year}年{M.month}月" in html
    assert "制表人：supervisor_shushan" in html and "填报单位：蜀山区民政局" in html
    assert "oversight/report.css" in html and "casework/print.js" in html and "data-print" in html
    assert "<script>" not in html and " onclick=" not in html
    for number in caseload["ids"]:
        assert number not in html and number[:6] + "********" + number[-4:] not in html


@pytest.mark.django_db
def test_workbook_cells_layout_and_print_setup(caseload: dict[str, Any], supervisor_shushan: User) -> None:
    browser = Client()
    browser.force_login(supervisor_shushan)
    response = browser.get(XLSX, {"month": f"{M:%Y-%m}"})
    assert response.status_code == 200
    assert f"monthly-report-340104-{M:%Y-%m}.xlsx" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws is not None
    ncols = 2 + len(ORDER) + 1
    assert ws["A1"].value == f"合肥市蜀山区 社会救助月报表 {M.year}年{M.month}月"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert ncols == 18
    assert {"A1:R1", "A3:A4", "B3:B4", "C3:E3", "F3:I3", "J3:K3", "L3:M3", "N3:O3", "P3:Q3", "R3:R4"} <= merged
    assert [ws.cell(row=3, column=c).value for c in (3, 6, 10, 12, 14, 16)] == [
        "城乡低保",
        "特困人员救助供养",
        "低收入家庭",
        "支出型困难家庭",
        "临时救助",
        "本月变动",
    ]
    by_name = {ws.cell(row=r, column=2).value: r for r in range(5, ws.max_row + 1)}
    row_a = by_name["三里庵街道"]
    assert [ws.cell(row=row_a, column=c).value for c in range(3, 3 + len(ORDER))] == [
        float(v) if isinstance(v, Decimal) else v for v in _values(EXPECTED_A)
    ]
    assert ws.cell(row=by_name["稻香村街道"], column=ncols).value == "名册未生成"
    total_row = next(r for r in range(5, ws.max_row + 1) if ws.cell(row=r, column=1).value == "合计")
    assert ws.cell(row=total_row, column=3).value == 3 and ws.cell(row=total_row, column=5).value == 1325.20
    assert ws.cell(row=total_row, column=9).value == 3500.00
    assert ws.cell(row=row_a, column=5).number_format == "#,##0.00"
    assert ws.cell(row=row_a, column=3).number_format == "#,##0"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$3:$4" and ws.column_dimensions["B"].width == 22
    footer = " ".join(str(ws.cell(row=r, column=1).value) for r in range(total_row + 1, ws.max_row + 1))
    assert "制表人：supervisor_shushan" in footer and "填报日期" in footer and "单位负责人" in footer
    cells = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert not re.search(r"\d{17}[\dX]", cells)
    for number in caseload["ids"]:
        assert number not in cells and number[:6] + "********" + number[-4:] not in cells


# --- who sees what --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_supervisor_sees_own_county_only(caseload: dict[str, Any], supervisor_feixi: User) -> None:
    browser = Client()
    browser.force_login(supervisor_feixi)
    assert browser.get(URL, {"county": "340104"}).status_code == 404
    assert browser.get(XLSX, {"county": "340104"}).status_code == 404
    assert browser.get(URL, {"street": STREET_A}).status_code == 404
    page = browser.get(URL, {"month": f"{M:%Y-%m}"})
    rows = _page_rows(page.content.decode())
    assert STREET_F in rows and STREET_A not in rows
    assert rows[STREET_F][2:5] == ["1", "1", "0.00"]  # H8: 1 household, 1 person, no roll for M


@pytest.mark.django_db
def test_street_staff_see_their_own_street_row_only(caseload: dict[str, Any], clerk_b: User) -> None:
    browser = Client()
    browser.force_login(clerk_b)
    rows = _page_rows(browser.get(URL, {"month": f"{M:%Y-%m}"}).content.decode())
    assert set(rows) == {STREET_B, "total"}
    assert rows["total"][1:-1] == [_text(v) for v in _values(EXPECTED_B)]
    assert browser.get(URL, {"street": STREET_A}).status_code == 404
    ws = load_workbook(io.BytesIO(browser.get(XLSX, {"month": f"{M:%Y-%m}"}).content)).active
    assert ws is not None and ws["A1"].value == f"合肥市蜀山区稻香村街道 社会救助月报表 {M.year}年{M.month}月"


@pytest.mark.django_db
def test_city_admin_chooses_county_then_street_and_others_are_refused(
    caseload: dict[str, Any], city_admin: User
) -> None:
    browser = Client()
    browser.force_login(city_admin)
    city_rows = _page_rows(browser.get(URL, {"month": f"{M:%Y-%m}"}).content.decode())
    assert "340104" in city_rows and "340123" in city_rows and city_rows["total"][1] == "4"
    county_rows = _page_rows(browser.get(URL, {"month": f"{M:%Y-%m}", "county": "340123"}).content.decode())
    assert STREET_F in county_rows and STREET_A not in county_rows
    one = _page_rows(browser.get(URL, {"month": f"{M:%Y-%m}", "county": "340104", "street": STREET_A}).content.decode())
    assert set(one) == {STREET_A, "total"}
    assert browser.get(URL, {"county": "999999"}).status_code == 404
    for role in (Role.CHARITY, Role.SOCIAL_WORKER):
        other = _user(f"u_{role}", role, "340104" if role == Role.CHARITY else STREET_A)
        browser.force_login(other)
        assert browser.get(URL).status_code == 403
        assert browser.get(XLSX).status_code == 403


@pytest.mark.django_db
def test_invalid_month_falls_back_to_last_month_with_a_message(supervisor_shushan: User) -> None:
    browser = Client()
    browser.force_login(supervisor_shushan)
    response = browser.get(URL, {"month": "2026-13x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "请输入有效的月份" in html and f"{M.year}年{M.month}月" in html


@pytest.mark.django_db
def test_menu_and_tiles_lead_to_the_report_and_the_query_log(
    supervisor_shushan: User, clerk_a: User, approver_a: User
) -> None:
    from django.urls import reverse

    report_url = reverse("oversight-monthly-report")
    log_url = reverse("oversight-department-queries")
    client = Client()
    client.force_login(supervisor_shushan)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{report_url}"' in page
    assert f'href="{log_url}"' in page

    client.force_login(clerk_a)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{report_url}"' in page  # a street sees its own row
    assert f'href="{log_url}"' not in page
    assert client.get(log_url).status_code == 403
