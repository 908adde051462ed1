"""End to end in headless Chromium (Debian ``chromium`` via Playwright's sync API) against ``live_server``.

Street staff drive the real pages: the clerk accepts → the economic check runs (Celery, eager) →
the reviewer records the home investigation → preliminary opinion → public notice → the approver
confirms → the printable decision. Then a resident applies on 掌上办 and queries the status.
A screenshot of each step goes to ``$CI_SCREENSHOT_DIR`` (default ``var/screenshots``).

Why ``DJANGO_ALLOW_ASYNC_UNSAFE``: Playwright's sync API runs an asyncio event loop in this thread,
and Django refuses ORM calls from a thread with a running loop. The test thread only sets up data
and moves the notice dates (seven days passing); every request is served by the live server thread.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from accounts.crypto import blind_index
from accounts.models import User
from casework.models import Case, CaseStatus, DataExchangeRecord, Decision, PublicNotice
from tests.casework.reference_data import ALL_APPS
from tests.e2e.browser_support import login as _login
from tests.e2e.browser_support import new_page as _page
from tests.support import COMMUNITY_A, STREET_A, make_resident_id

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)]

HEAD_ID = make_resident_id(birth=dt.date(1979, 8, 21), seq=135)
SPOUSE_ID = make_resident_id(birth=dt.date(1981, 11, 3), seq=248)
CHILD_ID = make_resident_id(birth=dt.date(2013, 4, 9), seq=357)
ONLINE_ID = make_resident_id(birth=dt.date(1986, 2, 14), seq=471)


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _case_page_open(page: Any, base: str, case: Case, action: str) -> None:
    page.goto(f"{base}/cases/{case.pk}/")
    details = page.locator(f"details#action-{action}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def _late_case(clerk: User) -> Case:
    """A case accepted before National Day 2025, still waiting for its home visit: overdue."""
    from unittest import mock

    from accounts.models import Region
    from casework.services.intake import intake_register

    data = {
        "street": Region.objects.get(code=STREET_A),
        "community": Region.objects.get(code=COMMUNITY_A),
        "address": "竹荫里5号",
        "members": [{"name": "钱桂兰", "id_number": make_resident_id(birth=dt.date(1950, 1, 9), seq=802)}],
        "authorisations": [{"signed": True, "signed_on": dt.date(2025, 9, 26)}],
        "application": {"channel": "community", "assistance_types": ["tekun"], "help_text": "独居老人"},
    }
    with mock.patch("django.utils.timezone.localdate", return_value=dt.date(2025, 9, 26)):
        result = intake_register(actor=clerk, data=data)
    assert result.case is not None
    return result.case


def test_window_to_printable_decision(
    live_server: Any,
    browser: Any,
    shots: Path,
    clerk_a: User,
    reviewer_a: User,
    reviewer_a2: User,
    approver_a: User,
) -> None:
    base = live_server.url
    today = dt.date.today()
    # The tax bureau knows a higher wage than the family will declare.
    DataExchangeRecord.objects.create(
        department="tax", id_index=blind_index(HEAD_ID), kind="wage_income", amount=Decimal("1500.00"), as_of=today
    )

    # 1. The window clerk registers and accepts the application from one page.
    clerk = _login(browser, base, clerk_a)
    clerk.goto(f"{base}/intake/")
    clerk.check("input[name=assistance_types][value=dibao]")
    clerk.fill("textarea[name=help_text]", "丈夫打零工收入低，妻子长期患病，孩子上小学，申请最低生活保障。")
    clerk.select_option("select[name=community]", COMMUNITY_A)
    clerk.fill("input[name=address]", "梅山路18号3栋402室")
    clerk.fill("input[name=phone]", "13956781234")
    clerk.fill("input[name=m-0-name]", "周建华")
    clerk.fill("input[name=m-0-id_number]", HEAD_ID)
    clerk.check("input[name=m-0-auth_signed]")
    clerk.click("button[data-add=m]")
    clerk.fill("input[name=m-1-name]", "吴秀英")
    clerk.fill("input[name=m-1-id_number]", SPOUSE_ID)
    clerk.select_option("select[name=m-1-relation]", "spouse")
    clerk.check("input[name=m-1-serious_illness]")
    clerk.check("input[name=m-1-auth_signed]")
    clerk.click("button[data-add=m]")
    clerk.fill("input[name=m-2-name]", "周子涵")
    clerk.fill("input[name=m-2-id_number]", CHILD_ID)
    clerk.select_option("select[name=m-2-relation]", "child")
    clerk.check("input[name=m-2-student]")
    clerk.select_option("select[name=inc-0-member_no]", "1")
    clerk.select_option("select[name=inc-0-kind]", "wage")
    clerk.fill("input[name=inc-0-monthly]", "1200")
    clerk.fill("input[name=financial_assets]", "3000")
    clerk.fill("input[name=medical_expense_annual]", "8000")
    _shot(clerk, shots, "01-intake-form")
    clerk.click("#intake-submit")
    clerk.wait_for_url(f"{base}/cases/*/")
    case = Case.objects.get(application__applicant_name="周建华")
    assert clerk.locator("h1").inner_text().startswith(case.receipt_no)

    # 2. The economic check ran after acceptance (Celery after commit) and found the higher wage.
    assert case.status == CaseStatus.INVESTIGATION
    check_section = clerk.locator("#check")
    assert "高于申报" in check_section.inner_text()
    _shot(clerk, shots, "02-accepted-check-done")
    clerk.goto(f"{base}/cases/{case.pk}/print/acceptance/")
    assert "受理通知书" in clerk.locator("h1").inner_text()
    _shot(clerk, shots, "03-acceptance-notice")

    # 3. The reviewer's queue: this case, and an older one past its deadlines (highlighted).
    late = _late_case(clerk_a)
    reviewer = _login(browser, base, reviewer_a)
    reviewer.goto(f"{base}/cases/")
    assert case.receipt_no in reviewer.content()
    assert reviewer.locator("tr.overdue", has_text=late.receipt_no).count() == 1
    _shot(reviewer, shots, "04-work-queue")

    # The reviewer records the home visit (two staff) and adopts the tax bureau's wage.
    _case_page_open(reviewer, base, case, "record_investigation")
    reviewer.check(f"input[name=investigators][value='{reviewer_a.pk}']")
    reviewer.check(f"input[name=investigators][value='{reviewer_a2.pk}']")
    reviewer.fill(
        "textarea[name=findings]",
        "入户查看：两室一厅老房，家具陈旧；妻子患慢性肾病在家休养，丈夫在物流公司做搬运工，工资以税务记录为准。",
    )
    reviewer.check("input[name=adopt][value=d1]")
    _shot(reviewer, shots, "05-investigation-form")
    reviewer.click("button[data-action=record_investigation]")
    reviewer.wait_for_selector("details#action-issue_opinion")

    # 4. Preliminary opinion: the engine's result on the verified data.
    _case_page_open(reviewer, base, case, "issue_opinion")
    assert reviewer.input_value("select[name=tier]") == "dibao"
    reviewer.click("button[data-action=issue_opinion]")
    reviewer.wait_for_selector("details#action-publish_notice")
    opinion_text = reviewer.locator("#opinion").inner_text()
    assert "最低生活保障" in opinion_text
    _shot(reviewer, shots, "06-opinion")

    # 5. Public notice, printable for the community board (masked name).
    reviewer.click("button[data-action=publish_notice]")
    reviewer.wait_for_selector("text=公示已发布")
    reviewer.goto(f"{base}/cases/{case.pk}/print/notice/")
    notice_text = reviewer.locator("article.doc").inner_text()
    assert "周*华" in notice_text and "周建华" not in notice_text
    _shot(reviewer, shots, "07-public-notice")

    # Seven days pass without objection.
    PublicNotice.objects.filter(case=case).update(
        starts_on=today - dt.timedelta(days=8), ends_on=today - dt.timedelta(days=2)
    )
    _case_page_open(reviewer, base, case, "close_notice")
    reviewer.click("button[data-action=close_notice]")
    reviewer.wait_for_selector("text=公示期满，已提交审批")

    # 6. The street approver confirms (joint review) and prints the decision.
    approver = _login(browser, base, approver_a)
    _case_page_open(approver, base, case, "confirm")
    _shot(approver, shots, "08-approver-review")
    approver.click("button[data-action=confirm]")
    approver.wait_for_selector("text=已确认批准")
    _shot(approver, shots, "09-approved-case")
    decision = Decision.objects.get(case=case)
    assert decision.outcome == "approved" and decision.tier == "dibao"
    approver.click("a.button:has-text('打印救助决定书')")
    approver.wait_for_url(f"{base}/cases/{case.pk}/print/decision/")
    doc = approver.locator("article.doc").inner_text()
    assert decision.document_no in doc and f"{decision.monthly_amount}" in doc and "行政复议" in doc
    _shot(approver, shots, "10-decision-print")
    for page in (clerk, reviewer, approver):
        page.context.close()


def test_online_application_and_status_query(live_server: Any, browser: Any, shots: Path, clerk_a: User) -> None:
    base = live_server.url
    page = _page(browser, mobile=True)
    page.goto(f"{base}/apply/")
    _shot(page, shots, "11-apply-choose-street")
    page.click("text=三里庵街道")
    page.check("input[name=assistance_types][value=dibao]")
    page.fill("textarea[name=help_text]", "下岗失业，独自抚养孩子，申请低保。")
    page.select_option("select[name=community]", COMMUNITY_A)
    page.fill("input[name=address]", "绩溪路66号2栋101室")
    page.fill("input[name=phone]", "13855556666")
    page.fill("input[name=m-0-name]", "何静")
    page.fill("input[name=m-0-id_number]", ONLINE_ID)
    page.fill("input[name=m-0-monthly_income]", "800")
    page.check("input[name=promise]")
    _shot(page, shots, "12-apply-form")
    page.click("#apply-submit")
    page.wait_for_url(f"{base}/apply/done/")
    receipt = page.locator("#receipt-no").inner_text().strip()
    assert receipt.startswith(f"{STREET_A}-")
    _shot(page, shots, "13-apply-receipt")

    page.goto(f"{base}/apply/status/")
    page.fill("input[name=receipt_no]", receipt)
    page.fill("input[name=id_number]", make_resident_id(seq=999))
    page.click("#status-submit")
    assert "未找到" in page.locator("#status-error").inner_text()
    page.fill("input[name=receipt_no]", receipt)
    page.fill("input[name=id_number]", ONLINE_ID)
    page.click("#status-submit")
    result = page.locator("#status-result").inner_text()
    assert receipt in result and "已提交" in result
    _shot(page, shots, "14-status-query")
    page.context.close()

    # It is in the street's queue for the window.
    clerk = _login(browser, base, clerk_a)
    clerk.goto(f"{base}/intake/applications/")
    assert receipt in clerk.content()
    _shot(clerk, shots, "15-window-queue-online")
    clerk.context.close()
