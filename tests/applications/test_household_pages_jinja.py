"""The staff household pages, Jinja2 since issue 8's template work (templates/jinja2/applications/):
what they show in both languages, masked IDs only (a full one only right after an audited reveal),
user-typed text escaped as Django escapes it, and the list's pager keeping the other parameters."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from accounts.models import Region, User
from applications.models import Household, Member
from applications.services import household_create
from tests.support import COMMUNITY_A, STREET_A, make_resident_id, page_client

pytestmark = pytest.mark.django_db

ROW_LINK = re.compile(r'<a href="/households/(\d+)/">')


def _html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _full_ids(household: Household) -> list[str]:
    return [m.id_number for m in Member.objects.filter(household=household)]


def _script_household(clerk: User) -> Household:
    """A household whose typed-in texts are markup and quotes."""
    return household_create(
        actor=clerk,
        data={
            "street": Region.objects.get(code=STREET_A),
            "community": Region.objects.get(code=COMMUNITY_A),
            "address": '<b>"长江\'路"</b> & 1号',
            "members": [
                {
                    "name": '<script>alert("x")</script>',
                    "id_number": make_resident_id(birth=dt.date(1970, 1, 2), seq=321),
                    "relation": "self",
                    "incomes": [{"kind": "wage", "monthly": Decimal("800.00")}],
                }
            ],
            "vehicles": [{"description": "<i>面包车</i>", "price": "23000.50", "business_use": True}],
        },
    )


def test_household_page_shows_the_household_its_members_masked_and_the_other_apps_sections(
    clerk_a: User, household_a: Household
) -> None:
    html = _html(page_client(clerk_a), f"/households/{household_a.pk}/")
    assert '<html lang="zh-Hans">' in html
    for label in ("基本情况", "财产与支出", "家庭成员", "变更记录", "户籍地址", "开户银行/账号", "劳动能力"):
        assert label in html, label
    assert f"<h1>张三户 #{household_a.pk}</h1>" in html
    for member in Member.objects.filter(household=household_a):
        assert f'<td>{member.name}</td><td class="mono">{member.id_masked}</td>' in html
    assert "<td>申请人本人</td>" in html and "<td>配偶</td>" in html
    assert "<div>工资性收入 ¥1200.00</div>" in html
    assert f'<dd class="mono">{household_a.phone_masked}</dd>' in html and "13812345678" not in html
    assert "***************8901" in html and "6228480012345678901" not in html
    assert "<dd>无</dd>" in html  # no vehicle
    assert "建立家庭档案" in html and "暂无记录" not in html  # the creation's audit row
    # the sections of eligibility and casework (their Django templates, printed as they are)
    assert "资格试算" in html and "救助申请与案件" in html and "为该户登记救助申请" in html
    assert "查看完整证件号" not in html  # a clerk may not reveal
    assert all(number not in html for number in _full_ids(household_a))


def test_household_page_in_english(clerk_a: User, household_a: Household) -> None:
    html = _html(page_client(clerk_a, "en"), f"/households/{household_a.pk}/")
    assert '<html lang="en">' in html
    for label in (
        "Basic information",
        "Property and expenditure",
        "Household members",
        "Change history",
        "Registered (hukou) address",
        "Work capacity",
        "<td>Applicant</td>",
        "<td>Spouse</td>",
        "<div>Wage income ¥1200.00</div>",
        "Eligibility trial calculation",
        "Applications & cases",  # a translation is printed as it is, in either engine
    ):
        assert label in html, label
    for label in ("<h2>基本情况</h2>", "<h2>家庭成员</h2>", "<h2>变更记录</h2>", "<div>工资性收入"):
        assert label not in html, label
    for member in Member.objects.filter(household=household_a):
        assert member.id_masked in html
    assert all(number not in html for number in _full_ids(household_a))


def test_reveal_shows_that_members_full_id_once_and_a_short_reason_is_refused(
    approver_a: User, household_a: Household
) -> None:
    client = page_client(approver_a)
    head, spouse = (Member.objects.get(household=household_a, name=name) for name in ("张三", "李梅"))
    html = _html(client, f"/households/{household_a.pk}/")
    assert (
        f'<form method="post" action="/members/{head.pk}/reveal/"><input type="hidden" name="csrfmiddlewaretoken"'
        in html
    )
    assert 'placeholder="查看理由(将记入审计日志)"' in html
    response = client.post(f"/members/{head.pk}/reveal/", {"reason": "核对身份信息"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<td class="mono">{head.id_number}</td>' in html and html.count(head.id_number) == 1
    assert spouse.id_masked in html and spouse.id_number not in html
    assert "核对身份信息" in html  # the reveal's own audit row
    response = client.post(f"/members/{head.pk}/reveal/", {"reason": "短"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [(f"/households/{household_a.pk}/", 302)]
    assert '<li class="msg-error">请填写查看完整身份证号码的理由(至少4个字)。</li>' in html
    assert all(number not in html for number in _full_ids(household_a))


def test_typed_in_markup_and_quotes_are_escaped_as_django_escapes_them(clerk_a: User) -> None:
    household = _script_household(clerk_a)
    client = page_client(clerk_a)
    name = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    address = "&lt;b&gt;&quot;长江&#x27;路&quot;&lt;/b&gt; &amp; 1号"
    html = _html(client, f"/households/{household.pk}/")
    assert f"<h1>{name}户 #{household.pk}</h1>" in html and f"<td>{name}</td>" in html
    assert f"<dd>{address}</dd>" in html
    assert "<dd>&lt;i&gt;面包车&lt;/i&gt; ¥23000.50（营运）</dd>" in html
    html = _html(client, "/households/?q=<script>")
    assert 'value="&lt;script&gt;"' in html and f"<td>{name}</td>" in html and f"<td>{address}</td>" in html
    for page in (html, _html(client, f"/households/{household.pk}/")):
        assert "<script>" not in page and "<b>" not in page and "<i>" not in page


def test_list_search_by_id_name_and_number_shows_masked_ids_only(
    clerk_a: User, clerk_b: User, household_a: Household
) -> None:
    client = page_client(clerk_a)
    head = Member.objects.get(household=household_a, name="张三")
    for term in (head.id_number, head.id_masked, "张三", "李梅", str(household_a.pk)):
        html = _html(client, f"/households/?q={term}")
        assert ROW_LINK.findall(html) == [str(household_a.pk)], term
        assert f'<td>张三</td><td class="mono">{head.id_masked}</td>' in html
        assert "<td>2</td><td>三里庵街道</td>" in html
        assert all(number not in html for number in _full_ids(household_a)), term
    html = _html(client, f"/households/?q={head.id_number}")
    assert f'name="q" value="{head.id_masked}"' in html  # the typed full ID is masked in the box too
    assert "没有符合条件的家庭" in _html(client, "/households/?q=王五")
    assert "No eligible households" in _html(page_client(clerk_a, "en"), "/households/?q=王五")
    assert ROW_LINK.findall(_html(page_client(clerk_b), f"/households/?q={household_a.pk}")) == []


def test_list_labels_in_both_languages_and_the_street_filter(supervisor_shushan: User, household_a: Household) -> None:
    zh = _html(page_client(supervisor_shushan), f"/households/?street={STREET_A}")
    en = _html(page_client(supervisor_shushan, "en"), f"/households/?street={STREET_A}")
    for label in ("<h1>家庭档案</h1>", "<th>户主</th>", "<th>证件号</th>", "全部街道", ">查询</button>"):
        assert label in zh, label
    for label in ("<h1>Household records</h1>", "<th>Head of household</th>", "All street offices", ">Search</button>"):
        assert label in en, label
    for html in (zh, en):
        assert f'<option value="{STREET_A}" selected>' in html
        assert ROW_LINK.findall(html) == [str(household_a.pk)]
        assert '<nav class="pager">' not in html  # one page


def _more_households(n: int) -> list[Household]:
    return Household.objects.bulk_create(
        Household(street_id=STREET_A, community_id=COMMUNITY_A, address=f"测试路{i}号") for i in range(n)
    )


def test_list_pages_keep_the_other_parameters(clerk_a: User, household_a: Any) -> None:
    _more_households(26)  # 27 with household_a
    newest_first = list(Household.objects.filter(street_id=STREET_A).order_by("-id").values_list("pk", flat=True))
    client = page_client(clerk_a)
    first = _html(client, "/households/")
    assert ROW_LINK.findall(first) == [str(pk) for pk in newest_first[:25]]
    assert '<a href="?page=2">下一页</a>' in first and "<span>第 1 / 2 页</span>" in first and "上一页" not in first
    second = _html(client, "/households/?x=a%26b&page=2")
    assert ROW_LINK.findall(second) == [str(pk) for pk in newest_first[25:]]
    assert '<a href="?x=a%26b&page=1">上一页</a>' in second and "<span>第 2 / 2 页</span>" in second
    assert "下一页" not in second
    assert "<td>长江西路100号3栋502室</td>" in second  # household_a, the oldest
    english = _html(page_client(clerk_a, "en"), "/households/?page=2")
    assert '<a href="?page=1">Previous page</a>' in english and "<span>Page 2 / 2</span>" in english
