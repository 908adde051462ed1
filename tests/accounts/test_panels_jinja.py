"""The sections other apps add to the household and case pages (``accounts.hooks.render_panels``),
printed by Jinja2 templates (templates/jinja2/…) from values their hooks compute: what they show in
both languages, typed text escaped as Django escapes it, local times, the refer button by role,
the evaluation's error, and that the Jinja2 engine prints them.

The conversion from the Django templates was checked against their output for many contexts (the
demo data, every role, both languages, markup in typed text); these tests keep what matters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import jinja2
import pytest
from django.template import TemplateDoesNotExist, loader
from django.test import RequestFactory
from django.utils import timezone, translation

from accounts.hooks import collect, render_panels
from accounts.links import link
from accounts.models import Region, Role, User
from casework.models import Case
from casework.services import plans as plan_services
from charity.models import Fund, FundKind, HandOff, HandOffEvent
from charity.services import funds as fund_services
from eligibility import services as eligibility_services
from tests.casework.test_enrolment import enrol
from tests.charity.helpers import make_case, refer
from tests.support import STREET_A, page_client, page_html

pytestmark = pytest.mark.django_db

FUND_NAME = '<b>"爱心\'基金"</b> & Co'
FUND_NAME_PRINTED = "&lt;b&gt;&quot;爱心&#x27;基金&quot;&lt;/b&gt; &amp; Co"
CONSENT = '<i>"张\'三"</i>'
CONSENT_PRINTED = "&lt;i&gt;&quot;张&#x27;三&quot;&lt;/i&gt;"
BRAND = '<i>"暖心\'驿站"</i> &'
BRAND_PRINTED = "&lt;i&gt;&quot;暖心&#x27;驿站&quot;&lt;/i&gt; &amp;"
REASON = "<script>alert('x')</script>"
REASON_PRINTED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"

HOUSEHOLD_PANELS = [
    "eligibility/panel_household.html",
    "casework/panels/household_cases.html",
    "casework/enrolment/household_panel.html",
    "charity/panel_household.html",
]
CASE_PANELS = ["casework/plans/panel_case.html", "charity/panel_case.html"]


def _officer() -> User:
    return User.objects.create_user(
        username="charity_officer", password="pw-Test-12345", role=Role.CHARITY, region_id="340104", full_name="彭慧"
    )


def _fund(officer: User) -> Fund:
    return fund_services.fund_create(
        actor=officer,
        kind=FundKind.COUNTY,
        name=FUND_NAME,
        holder="蜀山区慈善会",
        region=Region.objects.get(code="340104"),
    )


@pytest.fixture
def family(clerk_a: User, approver_a: User) -> dict[str, Any]:
    """A case of street A whose household is enrolled and referred to a charity fund (typed text with markup)."""
    officer = _officer()
    fund = _fund(officer)
    case = make_case(clerk_a)
    enrolment = enrol(approver_a, case.household)
    handoff = refer(clerk_a, case, fund, consent=CONSENT)
    return {"case": case, "enrolment": enrolment, "handoff": handoff, "officer": officer, "fund": fund}


def test_the_panels_are_jinja2_templates_printed_by_the_jinja2_engine(clerk_a: User, family: dict[str, Any]) -> None:
    case, household = family["case"], family["case"].household
    request = RequestFactory().get("/")
    request.user = clerk_a
    household_panels = collect("household_panels", request, household)
    case_panels = collect("case_panels", request, case)
    assert [p["template"] for p in household_panels] == HOUSEHOLD_PANELS
    assert [p["template"] for p in case_panels] == CASE_PANELS
    for panel in household_panels + case_panels:
        assert panel["using"] == "jinja2"
        template = loader.get_template(panel["template"], using="jinja2")
        assert isinstance(template.template, jinja2.Template)
        assert template.template.filename.endswith(f"templates/jinja2/{panel['template']}")
        if panel["template"] == "charity/panel_case.html":  # the charity case page's Django twin
            assert "handoffs" in panel and "rows" in panel
            loader.get_template(panel["template"], using="django")
        else:
            with pytest.raises(TemplateDoesNotExist):  # no Django one left behind
                loader.get_template(panel["template"], using="django")
    # The pages' test-client responses list them among the Jinja2 templates rendered.
    for url, names in ((f"/households/{household.pk}/", HOUSEHOLD_PANELS), (f"/cases/{case.pk}/", CASE_PANELS)):
        response = page_client(clerk_a).get(url)
        rendered = {t.name: t for t in response.templates}
        for name in names:
            assert isinstance(rendered[name], jinja2.Template), name


def test_household_panels_in_both_languages(clerk_a: User, family: dict[str, Any]) -> None:
    case, enrolment, handoff = family["case"], family["enrolment"], family["handoff"]
    household = case.household
    today = eligibility_services.today().isoformat()
    url = f"/households/{household.pk}/"
    zh = page_html(clerk_a, url)
    for text in (
        "<h2>资格试算 <span",
        f"（按 {today} 在册信息与现行参数，仅供参考，不是认定决定）",
        "<dt>主要类别</dt><dd><strong>最低生活保障</strong> · 月保障金额 ¥",
        "<h2>救助申请与案件</h2>",
        f'<a class="button primary" href="/intake/?household={household.pk}">为该户登记救助申请</a>',
        f'<td class="mono"><a href="/cases/{case.pk}/">{case.receipt_no}</a></td>'
        '<td><span class="badge">最低生活保障</span> </td>',
        f"</td><td>{case.accepted_on.isoformat()}</td></tr>",
        "<h2>保障情况</h2>",
        f'<p>最低生活保障 · ¥{enrolment.monthly_amount}/月 · <span class="badge ok">在保</span>',
        f'· 下次复核 {enrolment.next_review_due.isoformat()} · <a href="/enrolments/{enrolment.pk}/">保障期间与复核</a></p>',
        "<h2>慈善救助衔接</h2>",
        f'<td class="mono"><a href="/charity/handoffs/{handoff.pk}/">{handoff.number}</a></td>',
        '<td>医疗救助</td><td class="num money">5,000.00</td><td class="num money"></td>',
        '<td><span class="badge warn">已转介(待受理)</span>',
        f"<td>{timezone.localtime(handoff.referred_at):%Y-%m-%d %H:%M}</td>",
    ):
        assert text in zh, text
    en = page_html(clerk_a, url, "en")
    for text in (
        "<h2>Eligibility trial calculation <span",
        f"Based on registered data and current parameters as of {today}; for reference only, not a determination",
        "<strong>Minimum living allowance (dibao)</strong>",
        "<h2>Applications & cases</h2>",  # a translation is printed as it is, as Django's {% translate %} did
        ">Register an assistance application for this household</a>",
        '<span class="badge">Minimum living allowance (dibao)</span>',
        "<h2>Support status</h2>",
        '<span class="badge ok">Receiving assistance</span>',
        "Next review",
        "<h2>Charity assistance linkage</h2>",
        "<td>Medical assistance</td>",
        "Referred (pending acceptance)</span>",
    ):
        assert text in en, text
    for text in ("<h2>资格试算", "<h2>救助申请与案件</h2>", "<h2>保障情况</h2>", "<td>医疗救助</td>", "在保</span>"):
        assert text not in en, text


def test_household_panels_of_another_street_and_without_records(clerk_b: User, clerk_a: User) -> None:
    """What street B's clerk is shown of a street A household (the page itself is refused to her)."""
    case = make_case(clerk_a)
    request = RequestFactory().get("/")
    request.user = clerk_b
    with translation.override("zh-hans"):
        html = "".join(render_panels("household_panels", request, household=case.household))
    assert '<tr><td colspan="4" class="muted">暂无案件</td></tr>' in html
    assert "为该户登记救助申请" in html  # a clerk registers applications, whichever household
    assert case.receipt_no not in html and "保障情况" not in html and "慈善救助衔接" not in html
    with translation.override("en"):
        html = "".join(render_panels("household_panels", request, household=case.household))
    assert '<td colspan="4" class="muted">No cases</td>' in html


def test_the_evaluations_error_is_shown(clerk_a: User, monkeypatch: pytest.MonkeyPatch) -> None:
    case = make_case(clerk_a)
    monkeypatch.setattr(eligibility_services, "today", lambda: dt.date(2019, 6, 30))  # before the first standard
    html = page_html(clerk_a, f"/households/{case.household_id}/")
    assert "（按 2019-06-30 在册信息与现行参数，仅供参考，不是认定决定）" in html
    assert '<div class="error-box">参数 dibao_standard 在地区' in html and "2019-06-30 没有生效的取值" in html
    assert "<dt>低保标准</dt>" not in html


def test_case_panels_escape_typed_text_and_print_local_times(
    clerk_a: User, reviewer_a: User, family: dict[str, Any]
) -> None:
    case, handoff, officer = family["case"], family["handoff"], family["officer"]
    Region.objects.filter(code=STREET_A).update(service_brand=BRAND)
    plan_services.in_kind_add(
        actor=reviewer_a, case=case, name="米", quantity=Decimal("1"), unit="袋", value=Decimal("60")
    )
    HandOffEvent.objects.create(  # 17:30 UTC is 01:30 the next day in Hefei
        handoff=handoff,
        action="accept",
        from_status="referred",
        to_status="accepted",
        actor=officer,
        at=dt.datetime(2026, 1, 1, 17, 30, tzinfo=dt.UTC),
        amount=Decimal("1234567.5"),
        reason=REASON,
    )
    zh = page_html(clerk_a, f"/cases/{case.pk}/")
    for text in (
        f'<span class="brand-badge">{BRAND_PRINTED}</span>',
        "<dt>实物救助</dt><dd>1 项，折合 ¥60.00，已发放 0 项</dd>",
        '<span class="muted">未指派</span>',
        f'<a class="button" href="/cases/{case.pk}/plan/">查看救助方案</a>',
        '<p class="muted">暂无转介。</p>',
        f'<a class="button primary no-print" href="/charity/cases/{case.pk}/refer/">转介慈善救助</a>',
        f'<a class="mono" href="/charity/handoffs/{handoff.pk}/">{handoff.number}</a>'
        ' · 医疗救助 · 申请 <span class="money">¥5,000.00</span></div>',
        '<span class="badge warn">已转介(待受理)</span>\n</div>',
        f'<div class="muted">{FUND_NAME_PRINTED} · 同意人 {CONSENT_PRINTED}({handoff.consent_on.isoformat()})</div>',
        '<div class="when">2026-01-02 01:30 · 彭慧</div>',
        '<div class="what">受理转介 <span class="money">¥1,234,567.50</span> → 已受理(待审批)</div>',
        f'<div class="why">{REASON_PRINTED}</div>',
    ):
        assert text in zh, text
    for raw in (FUND_NAME, CONSENT, BRAND, REASON):
        assert raw not in zh, raw
    en = page_html(clerk_a, f"/cases/{case.pk}/", "en")
    for text in (
        "<h2>Assistance plan (cash + in-kind + services)",
        "1 items, worth ¥60.00, 0 delivered",
        "Unassigned",
        "No referrals yet.",
        "<h2>Charity assistance linkage</h2>",
        ">Refer to charity assistance</a>",
        " · Medical assistance · Application <span",
        "Referred (pending acceptance)</span>",
        f"{FUND_NAME_PRINTED} · Consent given by {CONSENT_PRINTED}(",
        "→ Accepted (awaiting approval)</div>",
    ):
        assert text in en, text
    assert "<h2>慈善救助衔接</h2>" not in en and "已转介(待受理)" not in en
    # The charity case page prints the same section through the Django twin, from the same panel.
    charity_page = page_html(clerk_a, f"/charity/cases/{case.pk}/")
    section = zh[zh.index('<section class="card handoff-panel"') :]
    section = section[: section.index("</section>")]
    assert section in charity_page and REASON_PRINTED in section and FUND_NAME_PRINTED in section


def test_refer_button_by_role_and_funds(clerk_a: User, supervisor_shushan: User) -> None:
    case = make_case(clerk_a)
    request = RequestFactory().get("/")

    def charity_panel(user: User) -> str:
        request.user = user
        with translation.override("zh-hans"):
            (html,) = [h for h in render_panels("case_panels", request, case=case) if 'id="charity-handoffs"' in h]
        return str(html)

    refer_link = f'href="/charity/cases/{case.pk}/refer/"'
    no_handoffs = "尚未转介。政府救助未能覆盖的需求"
    assert refer_link not in charity_panel(clerk_a) and no_handoffs in charity_panel(clerk_a)  # no fund yet
    officer = _officer()
    _fund(officer)
    assert refer_link in charity_panel(clerk_a) and refer_link in charity_panel(supervisor_shushan)
    # The charity officer never refers.
    assert refer_link not in charity_panel(officer) and no_handoffs in charity_panel(officer)
    assert not HandOff.objects.exists()
    assert link("charity-refer", case.pk) == f"/charity/cases/{case.pk}/refer/"


def test_a_case_page_without_plan_or_hand_offs_still_has_both_panels(clerk_a: User) -> None:
    case = make_case(clerk_a)
    assert Case.objects.filter(pk=case.pk).exists()
    html = page_html(clerk_a, f"/cases/{case.pk}/")
    assert html.count('<section class="card" id="plan-panel">') == 1
    assert html.count('<section class="card handoff-panel" id="charity-handoffs">') == 1
    assert "<dt>实物救助</dt><dd>0 项，折合 ¥0，已发放 0 项</dd>" in html
