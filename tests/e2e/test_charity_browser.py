"""Charity hand-off end to end in headless Chromium (Debian ``chromium``, Playwright sync API) on ``live_server``.

The charity officer records a donation; the street clerk refers a case's unmet need from the case's
charity page, with the family's consent; the officer accepts, approves a grant and pays it from the
ledger; the case's panel shows the result and its timeline; the fund statement shows the figures.
A screenshot of each step goes to ``$CI_SCREENSHOT_DIR`` (default ``var/screenshots``), named charity-*.

Why ``DJANGO_ALLOW_ASYNC_UNSAFE``: Playwright's sync API runs an asyncio event loop in this thread,
and Django refuses ORM calls from a thread with a running loop. The test thread only sets up data
(users, the fund, a case opened through the intake endpoint) and reads results; every page request
is served by the live server's own thread.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from accounts.models import Region, Role, User
from charity.models import EntryKind, Fund, FundKind, HandOff, HandOffStatus, JournalEntry
from charity.selectors import ledger_check
from charity.services.funds import fund_create
from tests.charity.helpers import make_case
from tests.e2e.browser_support import PASSWORD
from tests.e2e.browser_support import login as _login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"charity-{name}.png"), full_page=True)


def _act(page: Any, action: str) -> None:
    details = page.locator(f"details#action-{action}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def test_donation_referral_grant_payment_and_statement(
    live_server: Any, browser: Any, shots: Path, clerk_a: User
) -> None:
    base = live_server.url
    officer = User.objects.create_user(
        "charity_shushan", password=PASSWORD, role=Role.CHARITY, region_id="340104", full_name="彭慧(蜀山区慈善会)"
    )
    fund: Fund = fund_create(
        actor=officer,
        kind=FundKind.COUNTY,
        name="蜀山区社会救助专项基金",
        holder="蜀山区慈善会",
        region=Region.objects.get(code="340104"),
    )
    case = make_case(clerk_a)

    # 1. The charity officer records a donation restricted to medical help.
    charity = _login(browser, base, officer)
    charity.goto(f"{base}/charity/")
    _shot(charity, shots, "01-overview")
    charity.click(f"a[href='/charity/funds/{fund.pk}/donations/new/']")
    charity.select_option("select[name=donor_kind]", "organisation")
    charity.fill("input[name=donor_name]", "合肥市蜀山区工商业联合会")
    charity.fill("input[name=amount]", "20000")
    charity.select_option("select[name=purpose]", "medical")
    charity.fill("input[name=receipt_no]", "皖慈捐2026-0815")
    _shot(charity, shots, "02-donation-form")
    charity.click("button.primary")
    charity.wait_for_url(f"{base}/charity/funds/{fund.pk}/")
    assert "已登记捐赠 ¥20,000.00" in charity.locator(".messages").inner_text()
    assert "限定用途：医疗救助" in charity.content()
    _shot(charity, shots, "03-fund-ledger")

    # 2. The street clerk refers the case's unmet need — the family's consent is required.
    clerk = _login(browser, base, clerk_a)
    clerk.goto(f"{base}/charity/cases/{case.pk}/")
    assert "尚未转介" in clerk.content()
    clerk.click("text=转介慈善救助")
    clerk.wait_for_url(f"{base}/charity/cases/{case.pk}/refer/")
    clerk.select_option("select[name=need_type]", "medical")
    clerk.fill("input[name=amount_asked]", "8000")
    clerk.fill("textarea[name=description]", "妻子今年住院自付费用 2.3 万元，超出医疗救助限额，家庭无力承担。")
    clerk.fill("input[name=consent_relation]", "本人")
    clerk.fill("input[name=consent_on]", dt.date.today().isoformat())
    clerk.click("button.primary")  # without the consent box: refused with a Chinese message
    assert "未经家庭同意不得转介" in clerk.locator(".consent-box").inner_text()
    assert not HandOff.objects.exists()
    clerk.check("input[name=consent_given]")
    _shot(clerk, shots, "04-referral-form-with-consent")
    clerk.click("button.primary")
    clerk.wait_for_url(f"{base}/charity/handoffs/*/")
    handoff = HandOff.objects.get()
    assert handoff.consent_by == "张三" and handoff.status == HandOffStatus.REFERRED
    _shot(clerk, shots, "05-referred")

    # 3. The officer accepts, approves 6 000 of the 8 000 asked, and pays it from the ledger.
    charity.goto(f"{base}/charity/handoffs/{handoff.pk}/")
    _act(charity, "accept")
    charity.fill("textarea[name=accept-note]", "材料齐全，同意受理。")
    charity.click("button[data-action=accept]")
    charity.wait_for_selector("details#action-approve")
    _act(charity, "approve")
    charity.fill("input[name=approve-amount]", "6000")
    charity.fill("textarea[name=approve-note]", "经慈善会评审小组审议，同意资助 6000 元。")
    _shot(charity, shots, "06-accepted-approve-form")
    charity.click("button[data-action=approve]")
    charity.wait_for_selector("details#action-pay")
    _shot(charity, shots, "07-approved")
    charity.click("button[data-action=pay]")
    charity.wait_for_selector("details#action-close")
    handoff.refresh_from_db()
    assert handoff.status == HandOffStatus.PAID
    payment = JournalEntry.objects.get(kind=EntryKind.GRANT, handoff=handoff)
    assert payment.number in charity.content()
    _shot(charity, shots, "08-paid")
    charity.click(f"a[href='/charity/entries/{payment.pk}/']")  # the payment voucher: debits = credits
    lines = charity.locator("table.sum-table").inner_text()
    assert "救助支出(限定：医疗救助)" in lines and "基金存款(限定：医疗救助)" in lines
    _shot(charity, shots, "09-payment-voucher")

    # 4. The case's panel shows the result and the timeline.
    clerk.goto(f"{base}/charity/cases/{case.pk}/")
    panel = clerk.locator("#charity-handoffs").inner_text()
    assert "已支付" in panel and "6,000.00" in panel and "支付资助款" in panel and "受理转介" in panel
    _shot(clerk, shots, "10-case-panel-timeline")

    # 5. The fund statement: 20 000 in, 6 000 out, 14 000 left — and the ledger agrees.
    charity.goto(f"{base}/charity/funds/{fund.pk}/statement/")
    assert charity.locator("[data-figure=inflow]").inner_text() == "20,000.00"
    assert charity.locator("[data-figure=outflow]").inner_text() == "6,000.00"
    assert charity.locator("[data-figure=closing]").inner_text() == "14,000.00"
    _shot(charity, shots, "11-fund-statement")
    fund.refresh_from_db()
    assert fund.balance == Decimal("14000.00") == ledger_check(fund)["from_lines"]
    charity.goto(f"{base}/charity/reports/grants/")
    assert "三里庵街道" in charity.content()
    _shot(charity, shots, "12-grants-report")
