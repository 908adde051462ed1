"""Staff pages: referral from a case (consent checkbox), the hand-off page's actions, the fund's books."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from accounts.hooks import collect
from accounts.models import User
from charity.models import Donation, EntryKind, Fund, HandOff, HandOffStatus, JournalEntry
from tests.charity.helpers import TODAY, donate, refer

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def referral_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "need_type": "medical",
        "amount_asked": "6000.00",
        "description": "住院自付费用超出医疗救助限额",
        "consent_given": "on",
        "consent_by": "张三",
        "consent_relation": "本人",
        "consent_on": TODAY.isoformat(),
    }
    data.update(overrides)
    return data


def test_refer_from_a_case_requires_the_consent_checkbox(clerk_a: User, county_fund: Fund, case_a: Any) -> None:
    client = login(clerk_a)
    url = f"/charity/cases/{case_a.pk}/refer/"
    form = client.get(url).content.decode()
    assert "家庭同意(必填)" in form and "蜀山区社会救助专项基金" in form
    refused = client.post(url, referral_form(fund=county_fund.pk, consent_given=""))
    assert refused.status_code == 200 and "未经家庭同意不得转介" in refused.content.decode()
    assert not HandOff.objects.exists()
    done = client.post(url, {**referral_form(fund=county_fund.pk), "consent_scan": SimpleUploadedFile("c.png", PNG)})
    handoff = HandOff.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/charity/handoffs/{handoff.pk}/"
    assert handoff.consent_scan.name.startswith("charity/consents/") and "张三" not in handoff.consent_scan.name
    assert client.get(f"/charity/handoffs/{handoff.pk}/consent-scan/").status_code == 200
    assert (
        login(User.objects.create_user("x", role="clerk", region_id="340104002"))
        .get(f"/charity/handoffs/{handoff.pk}/consent-scan/")
        .status_code
        == 404
    )


def test_bad_scan_is_refused_with_a_chinese_message(clerk_a: User, county_fund: Fund, case_a: Any) -> None:
    response = login(clerk_a).post(
        f"/charity/cases/{case_a.pk}/refer/",
        {**referral_form(fund=county_fund.pk), "consent_scan": SimpleUploadedFile("c.pdf", b"not a pdf")},
    )
    assert "文件内容与扩展名不符" in response.content.decode() and not HandOff.objects.exists()


def test_hand_off_page_builds_its_buttons_from_the_transition_table(
    clerk_a: User, charity_shushan: User, county_fund: Fund, case_a: Any
) -> None:
    donate(charity_shushan, county_fund, "5000.00")
    handoff = refer(clerk_a, case_a, county_fund, asked="6000.00")
    url = f"/charity/handoffs/{handoff.pk}/"
    clerk_page = login(clerk_a).get(url).content.decode()
    assert "撤回转介" in clerk_page and "受理转介" not in clerk_page
    officer = login(charity_shushan)
    page = officer.get(url).content.decode()
    assert "受理转介" in page and "不予资助" in page and "撤回转介" not in page
    assert officer.post(url + "act/accept/", {"accept-note": "受理"}).status_code == 302
    too_much = officer.post(url + "act/approve/", {"approve-amount": "5500.00"})
    assert too_much.status_code == 400 and "超过基金余额" in too_much.content.decode()
    assert officer.post(url + "act/approve/", {"approve-amount": "4800.00"}).status_code == 302
    assert officer.post(url + "act/pay/", {"pay-note": ""}).status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == HandOffStatus.PAID
    page = officer.get(url).content.decode()
    assert "结案" in page and "4,800.00" in page and "支付资助款" in page  # the timeline shows the payment
    forbidden = officer.post(url + "act/accept/", {"accept-note": ""}, follow=True)
    assert "不能变更为" in forbidden.content.decode()


def test_case_panel_hook_shows_hand_offs_and_the_refer_button(
    clerk_a: User, charity_shushan: User, county_fund: Fund, case_a: Any
) -> None:
    refer(clerk_a, case_a, county_fund)
    request = RequestFactory().get("/")
    request.user = clerk_a
    panels = collect("case_panels", request, case_a)
    mine = [p for p in panels if p["template"] == "charity/panel_case.html"]
    assert len(mine) == 1
    html = render_to_string(mine[0]["template"], {"panel": mine[0]}, request=request)
    assert "转介慈善救助" in html and "已转介(待受理)" in html and "张三" in html
    request.user = charity_shushan
    officer_panel = collect("case_panels", request, case_a)[-1]
    assert officer_panel["can_refer"] is False and len(officer_panel["handoffs"]) == 1
    case_page = login(clerk_a).get(f"/charity/cases/{case_a.pk}/").content.decode()
    assert "慈善救助衔接" in case_page and "住院自付费用" in case_page


def test_household_panel_lists_the_families_hand_offs(clerk_a: User, county_fund: Fund, case_a: Any) -> None:
    refer(clerk_a, case_a, county_fund)
    html = login(clerk_a).get(f"/households/{case_a.household_id}/").content.decode()
    assert "慈善救助衔接" in html and "医疗救助" in html


def test_donation_page_records_and_validates(charity_shushan: User, county_fund: Fund) -> None:
    client = login(charity_shushan)
    url = f"/charity/funds/{county_fund.pk}/donations/new/"
    bad = client.post(url, {"donor_kind": "person", "donor_name": "", "amount": "-5", "received_on": TODAY})
    assert bad.status_code == 200 and "大于或等于" in bad.content.decode()
    no_donor = client.post(url, {"donor_kind": "person", "donor_name": "", "amount": "5", "received_on": TODAY})
    assert "请填写捐赠人" in no_donor.content.decode()
    assert not Donation.objects.exists()
    ok = client.post(
        url,
        {
            "donor_kind": "organisation",
            "donor_name": "爱心企业",
            "amount": "888.00",
            "purpose": "education",
            "received_on": TODAY,
        },
    )
    assert ok.status_code == 302
    page = client.get(f"/charity/funds/{county_fund.pk}/").content.decode()
    assert "888.00" in page and "限定用途：教育救助" in page and "爱心企业 捐赠" in page


def test_entry_page_reverses_a_voucher(charity_shushan: User, county_fund: Fund) -> None:
    donation = donate(charity_shushan, county_fund, "300.00")
    client = login(charity_shushan)
    url = f"/charity/entries/{donation.entry_id}/"
    page = client.get(url).content.decode()
    assert "冲销本凭证" in page and "借方(元)" in page
    assert client.post(url, {"reverse-reason": ""}).status_code == 400
    done = client.post(url, {"reverse-reason": "登记错误，捐赠实际进入互助会"})
    reversal = JournalEntry.objects.get(kind=EntryKind.REVERSAL)
    assert done.status_code == 302 and done["Location"] == f"/charity/entries/{reversal.pk}/"
    assert "已冲销" in client.get(url).content.decode()
    county_fund.refresh_from_db()
    assert county_fund.balance == Decimal("0.00")


def test_home_and_navigation(charity_shushan: User, clerk_a: User, county_fund: Fund) -> None:
    home = login(charity_shushan).get("/").content.decode()
    assert "慈善衔接" in home and "待受理慈善转介 0 件" in home
    page = login(charity_shushan).get("/charity/").content.decode()
    assert "蜀山区社会救助专项基金" in page and "登记捐赠" in page
    clerk_page = login(clerk_a).get("/charity/").content.decode()
    assert "蜀山区社会救助专项基金" not in clerk_page and "转介入口在案件页面" in clerk_page
