from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import AuditLog, User
from applications.models import Household


@pytest.mark.django_db
def test_login_page_is_chinese_and_login_works(clerk_a: User) -> None:
    client = Client()
    page = client.get("/accounts/login/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in html and "工作人员登录" in html
    bad = client.post("/accounts/login/", {"username": "clerk_a", "password": "wrong"})
    assert "请输入一个正确的" in bad.content.decode()
    ok = client.post("/accounts/login/", {"username": "clerk_a", "password": "pw-Test-12345"})
    assert ok.status_code == 302 and ok["Location"] == "/"


@pytest.mark.django_db
def test_pages_require_login() -> None:
    response = Client().get("/households/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_household_pages_are_scoped_by_street(household_a: Household, clerk_a: User, clerk_b: User) -> None:
    own, other = Client(), Client()
    own.force_login(clerk_a)
    other.force_login(clerk_b)
    assert own.get(f"/households/{household_a.pk}/").status_code == 200
    assert other.get(f"/households/{household_a.pk}/").status_code == 404
    assert "张三" in own.get("/households/").content.decode()
    assert "张三" not in other.get("/households/").content.decode()
    # Personal-data pages are never cached by the browser.
    assert own.get(f"/households/{household_a.pk}/")["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_reveal_page_action_is_audited_and_needs_permission(
    household_a: Household, clerk_a: User, approver_a: User
) -> None:
    member = household_a.members.get(relation="self")
    clerk = Client()
    clerk.force_login(clerk_a)
    clerk.post(f"/members/{member.pk}/reveal/", {"reason": "核对身份信息"})
    assert not AuditLog.objects.filter(action="member.reveal_id").exists()
    approver = Client()
    approver.force_login(approver_a)
    page = approver.post(f"/members/{member.pk}/reveal/", {"reason": "核对身份信息"})
    assert member.id_number in page.content.decode()
    assert AuditLog.objects.filter(action="member.reveal_id", actor=approver_a).count() == 1


@pytest.mark.django_db
def test_schema_and_docs_are_served(clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()
