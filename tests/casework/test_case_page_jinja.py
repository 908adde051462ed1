"""The case page and the work queue, printed by Jinja2 (templates/jinja2/casework/case_detail.html,
queue.html): what each role is offered, form errors, both languages, escaping and local times.

The conversion from the Django templates was checked page by page against the Django output; these
tests keep the content that matters, not a snapshot."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.paginator import Paginator
from django.utils import timezone

from accounts.models import User
from applications.models import Application
from casework.models import Case, CaseStatus
from casework.views import cases
from tests.casework.helpers import accept, walk_to_review
from tests.support import make_resident_id, page_client, page_html

pytestmark = pytest.mark.django_db

SCRIPT_NAME = '<script>alert("x")</script>张三'


def _forms(html: str) -> set[str]:
    """The step actions the page offers a form for."""
    return set(re.findall(r'<form method="post" action="/cases/\d+/act/([a-z_]+)/"', html))


def _open(html: str) -> list[str]:
    return re.findall(r'<details open id="action-([a-z_]+)">', html)


def _other_members(seq: int) -> dict[str, Any]:
    return {
        "members": [
            {
                "name": "赵六",
                "id_number": make_resident_id(seq=seq),
                "relation": "self",
                "incomes": [{"kind": "wage", "monthly": "900.00"}],
            }
        ]
    }


def test_each_role_gets_the_forms_of_its_steps_in_both_languages(
    clerk_a: User, reviewer_a: User, approver_a: User
) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    assert Case.objects.get(pk=case_id).status == CaseStatus.INVESTIGATION
    url = f"/cases/{case_id}/"

    reviewer = page_html(reviewer_a, url)
    assert "办理时限(工作日)" in reviewer and "家庭经济状况核对" in reviewer and "办理过程" in reviewer
    assert '<span class="badge info">待入户调查</span>' in reviewer
    assert _forms(reviewer) == {"record_investigation", "withdraw"} and _open(reviewer) == ["record_investigation"]
    assert f'action="/cases/{case_id}/act/record_investigation/" enctype="multipart/form-data">' in reviewer
    assert '<div class="inline-choices">' in reviewer  # the investigators' checkboxes
    assert reviewer.count('name="csrfmiddlewaretoken"') >= 3  # language switch, logout, each form

    english = page_html(reviewer_a, url, "en")
    assert "Time limit (working days)" in english and "Household economic check" in english
    assert "Next step" in english and "Record home investigation" in english and "Withdraw application" in english
    assert "办理时限" not in english and '<html lang="en">' in english

    assert _forms(page_html(clerk_a, url)) == {"withdraw"}
    nothing = page_html(approver_a, url)
    assert _forms(nothing) == set() and "当前环节无需您操作。" in nothing
    assert "No action needed from you at this stage." in page_html(approver_a, url, "en")


def test_unsigned_authorisation_form_for_the_clerk_only(clerk_a: User, reviewer_a: User) -> None:
    case_id = accept(clerk_a, signed=False)["case"]["id"]
    clerk = page_html(clerk_a, f"/cases/{case_id}/")
    assert f'action="/cases/{case_id}/authorisation/"' in clerk and "登记授权书" in clerk
    assert '<span class="badge bad">未签署</span>' in clerk
    assert "登记授权书" not in page_html(reviewer_a, f"/cases/{case_id}/")


def test_approver_decides_a_case_under_review(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User
) -> None:
    case_id = walk_to_review(clerk_a, reviewer_a, reviewer_a2, **_other_members(771))
    html = page_html(approver_a, f"/cases/{case_id}/")
    assert _forms(html) == {"confirm", "refuse", "send_back"} and _open(html) == ["confirm"]
    assert "职责分离：本案受理人和入户调查人员不能审批。" in html and 'id="opinion"' in html and 'id="notices"' in html
    assert (
        '<button class="danger" data-action="refuse">' in html
        and '<button class="primary" data-action="confirm">' in html
    )
    english = page_html(approver_a, f"/cases/{case_id}/", "en")
    assert "Confirm approval" in english and "Processing history" in english


def test_a_form_with_errors_comes_back_open_with_its_errors(clerk_a: User, reviewer_a: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    client = page_client(reviewer_a)
    response = client.post(f"/cases/{case_id}/act/record_investigation/", {})
    html = response.content.decode()
    assert response.status_code == 400
    assert _open(html) == ["record_investigation"] and '<ul class="errorlist"' in html
    # The service's own check (a reason of at least 2 characters), re-rendered the same way.
    response = page_client(clerk_a).post(f"/cases/{case_id}/act/withdraw/", {"reason": "a"})
    html = response.content.decode()
    assert response.status_code == 400 and _open(html) == ["withdraw"] and "请填写理由(至少2个字)。" in html
    assert Case.objects.get(pk=case_id).status == CaseStatus.INVESTIGATION


def test_names_are_escaped_and_times_are_local(clerk_a: User, reviewer_a: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    case = Case.objects.get(pk=case_id)
    Application.objects.filter(pk=case.application_id).update(applicant_name=SCRIPT_NAME, help_text="甲\n<b>乙</b>")
    html = page_html(reviewer_a, f"/cases/{case_id}/")
    assert "<script>" not in html and "<b>乙" not in html
    assert f'<span class="mono">{case.receipt_no}</span> &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;张三' in html
    assert "甲<br>&lt;b&gt;乙&lt;/b&gt;" in html
    # Database times are UTC; the page prints them in the local time zone, as Django's |date did.
    first = case.transitions.order_by("at", "id").first()
    assert first is not None
    assert f'<div class="when">{timezone.localtime(first.at):%Y-%m-%d %H:%M} · ' in html


def test_queue_tabs_search_and_pages(clerk_a: User, reviewer_a: User, monkeypatch: pytest.MonkeyPatch) -> None:
    first = accept(clerk_a)["case"]
    second = accept(clerk_a, **_other_members(772))["case"]
    html = page_html(reviewer_a, "/cases/")
    assert "待办案件" in html and "待我处理" in html and "逾期案件" in html and "全部案件" in html
    assert first["receipt_no"] in html and second["receipt_no"] in html
    english = page_html(reviewer_a, "/cases/", "en")
    assert "Pending cases" in english and "My to-dos" in english and "Acceptance number" in english

    full_id = make_resident_id(seq=123)
    searched = page_html(reviewer_a, f"/cases/?q={full_id}")
    assert full_id not in searched and '<a href="?tab=all" class="active">' in searched
    assert "没有需要处理的案件" in page_html(reviewer_a, "/cases/?tab=all&q=nobody-at-all")
    assert "No cases to handle" in page_html(reviewer_a, "/cases/?tab=all&q=nobody-at-all", "en")

    monkeypatch.setattr(cases, "Paginator", lambda items, _per_page: Paginator(items, 1))
    page2 = page_html(reviewer_a, "/cases/?tab=all&q=%E8%B5%B5&page=2")  # q=赵: one case, one page
    assert '<nav class="pager">' not in page2
    page2 = page_html(reviewer_a, "/cases/?tab=all&page=2")
    assert "<span>第 2 / 2 页</span>" in page2 and '<a href="?tab=all&amp;page=1">上一页</a>' not in page2
    assert '<a href="?tab=all&page=1">上一页</a>' in page2
    assert "Page 2 / 2" in page_html(reviewer_a, "/cases/?tab=all&page=2", "en")


def test_only_the_clerk_gets_the_intake_buttons(clerk_a: User, reviewer_a: User) -> None:
    html = page_html(clerk_a, "/cases/")
    assert f"按岗位（{clerk_a.get_role_display()}）" in html
    assert '<a class="button primary" href="/intake/">登记新申请</a>' in html and "待受理申请" in html
    assert 'href="/intake/"' not in page_html(reviewer_a, "/cases/")
