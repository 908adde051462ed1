"""End to end in headless Chromium: assistance plans, social workers, referrals, conferences, registers.

A street reviewer builds the plan of an approved case (cash from the decision + in-kind items +
a purchased service) and assigns a social worker; the social worker signs in, finds the case in
"我的个案", records the first home visit, sends a referral and records the department's answer,
and records a case conference. A second test drives the county and street registers: catalogue,
organisation, contract and its evaluation; care facilities against the 50 % target; a stranded
person helped and taken home; volunteers with a task and hours. A screenshot of each step goes to
``$CI_SCREENSHOT_DIR`` (default ``var/screenshots``), named ``plans-*.png``.

Why ``DJANGO_ALLOW_ASYNC_UNSAFE``: Playwright's sync API runs an asyncio event loop in this thread,
and Django refuses ORM calls from a thread with a running loop. The test thread only sets up data
and reads results; every request is served by the live server thread.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from accounts.models import Region, User
from casework.models.plans import CaseAssignment, InKindItem
from casework.models.referrals import CaseConference, Referral
from casework.models.services_catalogue import ContractEvaluation, DeliveryRecord, ServiceOrder
from casework.models.stranded import StrandedPerson
from casework.models.volunteers import VolunteerHours
from tests.casework.plans_support import approved_case, contract, service, social_worker
from tests.casework.reference_data import ALL_APPS
from tests.e2e.browser_support import login as _login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)]


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"plans-{name}.png"), full_page=True)


def _open(page: Any, summary: str) -> None:
    """Open the ``<details>`` whose summary reads ``summary`` (if it is not open yet)."""
    details = page.locator("details", has=page.locator("summary", has_text=summary)).last
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()


def _submit(page: Any, action: str) -> None:
    with page.expect_navigation():
        page.click(f"button[data-action={action}]")
    assert page.locator(".messages .msg-success").count() == 1, page.locator("main").inner_text()[:1500]


def test_plan_visit_referral_and_conference(
    live_server: Any,
    browser: Any,
    shots: Path,
    clerk_a: User,
    reviewer_a: User,
    reviewer_a2: User,
    approver_a: User,
    supervisor_shushan: User,
) -> None:
    base = live_server.url
    Region.objects.filter(code="340104001").update(service_brand="三里庵“暖心驿站”")
    case = approved_case(clerk_a, reviewer_a, reviewer_a2, approver_a)
    deal = contract(supervisor_shushan)
    worker = social_worker("socialworker_a")
    worker.full_name = "周婷(社工)"
    worker.save(update_fields=["full_name"])

    # 1. The reviewer builds the plan: in-kind items, a purchased service, and the social worker.
    reviewer = _login(browser, base, reviewer_a)
    reviewer.goto(f"{base}/cases/{case.pk}/plan/")
    assert "三里庵“暖心驿站”" in reviewer.inner_text(".page-head")
    assert "¥925.20" in reviewer.inner_text("#cash")
    _open(reviewer, "增加实物救助")
    reviewer.fill("#id_ik-name", "米面油慰问包")
    reviewer.fill("#id_ik-value", "-5")
    # The browser's own checks (required, min) would stop this; switch them off to reach the server.
    reviewer.eval_on_selector("form[action$='/plan/act/in_kind/']", "f => { f.noValidate = true; }")
    with reviewer.expect_navigation():
        reviewer.click("button[data-action=in_kind]")  # bad input: 400, the form comes back with its errors
    assert "确保该值大于或等于" in reviewer.inner_text("#in-kind") and "该字段是必填项" in reviewer.inner_text(
        "#in-kind"
    )
    _shot(reviewer, shots, "01a-in-kind-errors")
    reviewer.fill("#id_ik-quantity", "1")
    reviewer.fill("#id_ik-unit", "份")
    reviewer.fill("#id_ik-value", "200")
    reviewer.fill("#id_ik-source", "街道储备")
    _submit(reviewer, "in_kind")
    _open(reviewer, "下达服务订单")
    reviewer.select_option("#id_so-line", f"{deal.pk}:{service('FW-01').pk}")
    reviewer.fill("#id_so-quantity", "2")
    reviewer.fill("#id_so-note", "首月入户两次")
    _submit(reviewer, "order")
    reviewer.select_option("#id_as-social_worker", str(worker.pk))
    reviewer.fill("#id_as-note", "负责建档访视")
    _submit(reviewer, "assign")
    assert "周婷(社工)" in reviewer.inner_text("aside")
    _shot(reviewer, shots, "01-plan-built")
    assert InKindItem.objects.filter(plan__case=case).count() == 1
    order = ServiceOrder.objects.get(case=case)
    assert CaseAssignment.objects.filter(case=case, social_worker=worker, ended_at__isnull=True).exists()

    # 2. The social worker signs in with her own role and sees only her case.
    sw = _login(browser, base, worker)
    assert "我的个案" in sw.inner_text("nav.mainnav")
    sw.goto(f"{base}/my-cases/")
    assert case.receipt_no in sw.inner_text("main")
    _shot(sw, shots, "02-my-cases")
    sw.click(f"a[href='/cases/{case.pk}/plan/']")
    sw.wait_for_url(f"{base}/cases/{case.pk}/plan/")

    # 3. She records the first home visit against the order.
    _open(sw, "登记服务记录")
    sw.select_option("#id_dr-kind", "visit")
    sw.select_option("#id_dr-order", str(order.pk))
    sw.fill("#id_dr-quantity", "1")
    sw.fill("#id_dr-content", "首次入户建档访视：核实家庭成员和居住情况，了解妻子病情和孩子就学情况，建立个案档案。")
    _submit(sw, "delivery")
    assert "首次入户建档访视" in sw.inner_text("#deliveries")
    assert "1/2" in sw.inner_text("#services")
    _shot(sw, shots, "03-visit-recorded")
    assert DeliveryRecord.objects.filter(case=case, social_worker=worker).count() == 1

    # 4. A referral to the medical-insurance bureau: drafted, sent, answered.
    sw.goto(f"{base}/cases/{case.pk}/referrals/")
    _open(sw, "新建转介")
    sw.select_option("#id_rf-target_kind", "department")
    sw.fill("#id_rf-target", "蜀山区医疗保障局")
    sw.fill("#id_rf-need", "妻子患慢性肾病，门诊透析自付费用高，申请门诊慢特病医疗救助。")
    _submit(sw, "referral")
    referral = Referral.objects.get(case=case)
    _open(sw, "发送转介")
    _submit(sw, "send")
    assert "已发送，待签收" in sw.inner_text(f"#referral-{referral.pk}")
    _open(sw, "登记对方答复")
    sw.check(f"input[name='r{referral.pk}-answer-result'][value=accepted]")
    sw.fill(f"#id_r{referral.pk}-answer-answer", "经审核符合门诊慢特病医疗救助条件，自下月起按规定比例救助。")
    _shot(sw, shots, "04a-referral-answer-form")
    _submit(sw, "answer")
    block = sw.inner_text(f"#referral-{referral.pk}")
    assert "已答复" in block and "予以救助/受理" in block
    _shot(sw, shots, "04-referral-answered")
    referral.refresh_from_db()
    assert referral.status == "answered" and referral.result == "accepted"

    # 5. A case conference with the community and the service organisation.
    _open(sw, "记录个案会商")
    sw.fill("#id_cf-place", "三里庵街道社工站")
    sw.fill("#id_cf-participants", "李强 街道审核\n周婷 社工\n社区居委会主任\n蜀山区阳光社会工作服务中心 督导")
    sw.fill("#id_cf-discussion", "家庭因病支出大；孩子上初中需要课后辅导；丈夫有意愿参加技能培训。")
    sw.fill("#id_cf-measures", "跟进医疗救助落实\n链接志愿者课后辅导\n推荐参加区人社局技能培训")
    _submit(sw, "conference")
    assert "链接志愿者课后辅导" in sw.inner_text("#conferences")
    _shot(sw, shots, "05-conference")
    assert CaseConference.objects.filter(case=case).count() == 1

    # 6. The reviewer's plan page shows the whole chain; the case page shows it as panels.
    reviewer.goto(f"{base}/cases/{case.pk}/plan/")
    assert "首次入户建档访视" in reviewer.inner_text("#deliveries")
    reviewer.goto(f"{base}/cases/{case.pk}/")
    assert "周婷(社工)" in reviewer.inner_text("#plan-panel")
    assert "蜀山区医疗保障局" in reviewer.inner_text("#referral-panel")
    reviewer.locator("#plan-panel").scroll_into_view_if_needed()
    reviewer.screenshot(path=str(shots / "plans-05a-case-page-panels.png"), full_page=True)
    reviewer.goto(f"{base}/assistance/?tab=all")
    assert "蜀山区医疗保障局" in reviewer.inner_text("main")
    _shot(reviewer, shots, "06-assistance-hub")


def test_county_and_street_registers(
    live_server: Any,
    browser: Any,
    shots: Path,
    clerk_a: User,
    reviewer_a: User,
    supervisor_shushan: User,
) -> None:
    base = live_server.url
    worker = social_worker("socialworker_a")
    today = dt.date.today()

    # County: catalogue item, organisation, contract, evaluation.
    county = _login(browser, base, supervisor_shushan)
    county.goto(f"{base}/services/")
    _open(county, "新增目录项")
    county.fill("#id_it-code", "XL-01")
    county.fill("#id_it-name", "心理疏导")
    county.select_option("#id_it-category", "counselling")
    county.fill("#id_it-unit_price", "200")
    with county.expect_navigation():
        county.click("#catalogue button.primary")
    _open(county, "登记机构")
    county.fill("#id_org-name", "蜀山区阳光社会工作服务中心")
    county.fill("#id_org-credit_code", "52340104MJ1234567X")
    county.fill("#id_org-contact", "刘敏")
    with county.expect_navigation():
        county.click("#organisations button.primary")
    _open(county, "登记购买服务合同")
    county.select_option("#id_ct-organisation", label="蜀山区阳光社会工作服务中心")
    county.fill("#id_ct-contract_no", f"340104-GM-{today.year}-01")
    county.fill("#id_ct-title", "蜀山区社会救助服务类购买服务项目")
    county.fill("#id_ct-starts_on", dt.date(today.year, 1, 1).isoformat())
    county.fill("#id_ct-ends_on", dt.date(today.year, 12, 31).isoformat())
    county.fill("#id_ct-budget", "300000")
    county.check("input[name='ct-services']")
    _submit(county, "contract")
    _shot(county, shots, "07-services")
    county.click("text=蜀山区社会救助服务类购买服务项目")
    county.fill("#id_period", f"{today.year}年上半年")
    county.select_option("#id_quality", "5")
    county.select_option("#id_timeliness", "4")
    county.select_option("#id_satisfaction", "5")
    county.fill("#id_comment", "服务记录完整，回访及时。")
    _submit(county, "evaluate")
    assert "4.7" in county.inner_text("main")
    _shot(county, shots, "08-contract-evaluated")
    assert ContractEvaluation.objects.count() == 1

    # County: facilities against the 50 % care-type target.
    county.goto(f"{base}/facilities/")
    county.fill("#id_name", "蜀山区社会福利中心")
    county.select_option("#id_kind", "county")
    county.fill("#id_beds", "120")
    county.fill("#id_care_beds", "50")
    with county.expect_navigation():
        county.click("main form button.primary")
    assert county.locator("[data-share=bad]").count() == 1
    county.fill("#id_name", "三里庵敬老院")
    county.select_option("#id_kind", "township")
    county.select_option("#id_street", "340104001")
    county.fill("#id_beds", "80")
    county.fill("#id_care_beds", "60")
    with county.expect_navigation():
        county.click("main form button.primary")
    assert county.locator("[data-share=ok]").count() == 1 and "55.0%" in county.inner_text("main")
    _shot(county, shots, "09-facilities")

    # Street: a stranded person helped and taken home.
    clerk = _login(browser, base, clerk_a)
    clerk.goto(f"{base}/stranded/")
    clerk.fill("#id_found_place", "合肥西站出站口")
    clerk.fill("#id_name", "张某")
    clerk.select_option("#id_sex", "M")
    clerk.fill("#id_approx_age", "58")
    clerk.fill("#id_claimed_origin", "安徽省阜阳市颍上县")
    _submit(clerk, "register")
    clerk.select_option("#id_kind", "food")
    clerk.fill("#id_amount", "30")
    clerk.fill("#id_note", "提供热饭")
    _submit(clerk, "help")
    _open(clerk, "护送返乡")
    clerk.fill("#id_return_home-outcome", "安徽省阜阳市颍上县，其侄子在车站接回")
    clerk.fill("#id_return_home-note", "已联系颍上县民政局")
    _submit(clerk, "return_home")
    assert "已护送返乡" in clerk.inner_text(".page-head")
    _shot(clerk, shots, "10-stranded-returned")
    assert StrandedPerson.objects.get().status == "returned"

    # Street: volunteers, a task under the social worker, hours.
    reviewer = _login(browser, base, reviewer_a)
    reviewer.goto(f"{base}/volunteers/")
    for name, phone in (("刘洋", "13955112233"), ("陈静", "13955114455")):
        _open(reviewer, "登记志愿者")
        reviewer.fill("#id_name", name)
        reviewer.fill("#id_phone", phone)
        _submit(reviewer, "volunteer")
    _open(reviewer, "派发志愿服务任务")
    reviewer.fill("#id_title", "为独居老人打扫卫生")
    reviewer.select_option("#id_social_worker", str(worker.pk))
    for box in reviewer.locator("input[name=volunteers]").all():
        box.check()
    _submit(reviewer, "task")
    reviewer.select_option("#id_volunteer", label="刘洋")
    reviewer.fill("#id_hours", "2.5")
    _submit(reviewer, "hours")
    assert "2.5" in reviewer.inner_text("main")
    _shot(reviewer, shots, "11-volunteer-task")
    reviewer.goto(f"{base}/volunteers/")
    _shot(reviewer, shots, "12-volunteers")
    assert VolunteerHours.objects.count() == 1
