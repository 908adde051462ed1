"""Issue 8 security: login lockout (django-axes), idle/absolute session timeout, sessions ended by
logout and by disabling the account, optional TOTP second factor (django-otp)."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.security import LOGIN_AT_KEY, SEEN_AT_KEY

PASSWORD = "pw-Test-12345"
LOCK_TEXT = "登录失败次数过多"


def _post_login(client: Client, username: str, password: str) -> tuple[int, str]:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code, response.content.decode()


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- lockout ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_five_failures_lock_the_username_and_ip_even_for_the_right_password(
    approver_a: User, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    caplog.set_level(logging.INFO, logger="hefei_aid.security")
    for attempt in range(1, 5):
        status, html = _post_login(client, "approver_a", f"wrong-{attempt}")
        assert status == 200 and "请输入一个正确的" in html and LOCK_TEXT not in html
    status, html = _post_login(client, "approver_a", "wrong-5")
    assert status == 429
    assert "登录失败次数过多(连续 5 次)" in html and "锁定 30 分钟" in html
    assert 'id="id_username"' in html  # the login page itself, with its form
    # The 6th attempt, with the correct password, is refused too.
    status, html = _post_login(client, "approver_a", PASSWORD)
    assert status == 429 and LOCK_TEXT in html and not _logged_in(client)

    attempt_row = AccessAttempt.objects.get(username="approver_a", ip_address="203.0.113.7")
    assert attempt_row.failures_since_start >= 5
    assert AccessFailureLog.objects.filter(username="approver_a", ip_address="203.0.113.7").count() >= 5
    failures = [r.getMessage() for r in caplog.records if r.getMessage().startswith("login failed")]
    assert failures[:5] == ["login failed user=approver_a ip=203.0.113.7"] * 5
    locked = [r for r in caplog.records if r.getMessage().startswith("login locked out")]
    assert locked and locked[0].getMessage() == "login locked out user=approver_a ip=203.0.113.7"
    assert locked[0].levelno == logging.WARNING
    # Admins see the attempts in the django-axes admin.
    assert admin.site.is_registered(AccessAttempt) and admin.site.is_registered(AccessFailureLog)


@pytest.mark.django_db
def test_lockout_is_per_username_and_ip_pair(approver_a: User, clerk_a: User) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for attempt in range(5):
        _post_login(attacker, "approver_a", f"wrong-{attempt}")
    assert _post_login(attacker, "approver_a", PASSWORD)[0] == 429
    # Same user from another address: not locked.
    office = Client(REMOTE_ADDR="198.51.100.20")
    assert _post_login(office, "approver_a", PASSWORD)[0] == 302 and _logged_in(office)
    # Another user from the attacker's address: not locked.
    colleague = Client(REMOTE_ADDR="203.0.113.7")
    assert _post_login(colleague, "clerk_a", PASSWORD)[0] == 302 and _logged_in(colleague)


@pytest.mark.django_db
def test_lockout_ends_after_30_minutes_and_success_resets_the_count(approver_a: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    for attempt in range(5):
        _post_login(client, "approver_a", f"wrong-{attempt}")
    row = AccessAttempt.objects.get(username="approver_a")
    row.attempt_time = timezone.now() - dt.timedelta(minutes=29)
    row.save(update_fields=["attempt_time"])
    assert _post_login(client, "approver_a", PASSWORD)[0] == 429
    row = AccessAttempt.objects.get(username="approver_a")
    row.attempt_time = timezone.now() - dt.timedelta(minutes=31)
    row.save(update_fields=["attempt_time"])
    assert _post_login(client, "approver_a", PASSWORD)[0] == 302

    # Four failures then a success: the counter starts again, the 5th later failure does not lock.
    other = Client(REMOTE_ADDR="192.0.2.1")
    for attempt in range(4):
        _post_login(other, "approver_a", f"wrong-{attempt}")
    assert _post_login(other, "approver_a", PASSWORD)[0] == 302
    assert not AccessAttempt.objects.filter(ip_address="192.0.2.1").exists()
    other = Client(REMOTE_ADDR="192.0.2.1")
    assert _post_login(other, "approver_a", "wrong-again")[0] == 200


@pytest.mark.django_db
def test_admin_login_is_locked_out_too(city_admin: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.8")
    for attempt in range(5):
        client.post("/admin/login/", {"username": "city_admin", "password": f"wrong-{attempt}", "next": "/admin/"})
    response = client.post("/admin/login/", {"username": "city_admin", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 429 and LOCK_TEXT in response.content.decode()
    assert not _logged_in(client)


@pytest.mark.django_db
def test_trusted_proxy_address_is_used_only_when_configured(approver_a: User, settings: object) -> None:
    from django.test import RequestFactory

    from accounts.security import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9")
    assert client_ip(request) == "10.0.0.2"  # default: no proxy trusted, the header is ignored
    settings.TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    assert client_ip(request) == "203.0.113.9"


# --- session timeout ----------------------------------------------------------------------------


def _age_session(client: Client, *, login_ago: int, seen_ago: int) -> str:
    session = client.session
    now = int(time.time())
    session[LOGIN_AT_KEY] = now - login_ago
    session[SEEN_AT_KEY] = now - seen_ago
    session.save()
    key = session.session_key
    assert key is not None
    return key


@pytest.mark.django_db
def test_login_stamps_the_session(clerk_a: User) -> None:
    client = Client()
    before = int(time.time())
    assert _post_login(client, "clerk_a", PASSWORD)[0] == 302
    stamp = client.session[LOGIN_AT_KEY]
    assert before <= stamp <= int(time.time()) and client.session[SEEN_AT_KEY] == stamp


@pytest.mark.django_db
def test_idle_for_30_minutes_ends_the_session(clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    _age_session(client, login_ago=29 * 60, seen_ago=29 * 60)
    assert client.get("/households/").status_code == 200  # 29 minutes idle: still signed in
    # ... and that request counted as activity.
    assert int(time.time()) - client.session[SEEN_AT_KEY] < 5

    key = _age_session(client, login_ago=31 * 60, seen_ago=30 * 60 + 1)
    response = client.get("/households/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=key).exists()
    page = client.get(response["Location"])
    assert "您已超过 30 分钟未操作" in page.content.decode()


@pytest.mark.django_db
def test_twelve_hours_after_login_the_session_ends_even_when_active(clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    _age_session(client, login_ago=12 * 3600 - 60, seen_ago=10)
    assert client.get("/households/").status_code == 200
    key = _age_session(client, login_ago=12 * 3600 + 1, seen_ago=10)
    response = client.get("/households/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=key).exists()
    assert "本次登录已超过 12 小时" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_idle_session_is_refused_by_the_api(clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    assert client.get("/api/v1/households/").status_code == 200
    _age_session(client, login_ago=3600, seen_ago=3600)
    assert client.get("/api/v1/households/").status_code in (401, 403)


# --- logout and disabling -----------------------------------------------------------------------


@pytest.mark.django_db
def test_logout_deletes_the_session_row(clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    assert client.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/households/").status_code == 302


@pytest.mark.django_db
def test_disabling_a_user_ends_their_sessions_and_tokens_only(clerk_a: User, clerk_b: User) -> None:
    browser_1, browser_2, colleague = Client(), Client(), Client()
    browser_1.force_login(clerk_a)
    browser_2.force_login(clerk_a)
    colleague.force_login(clerk_b)
    keys = [browser_1.session.session_key, browser_2.session.session_key]
    token = Token.objects.create(user=clerk_a)
    Token.objects.create(user=clerk_b)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/households/").status_code == 200

    clerk_a.is_active = False
    clerk_a.save()

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not Token.objects.filter(user=clerk_a).exists() and Token.objects.filter(user=clerk_b).count() == 1
    response = browser_1.get("/households/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    refused = api.get("/api/v1/households/")  # the token row is gone: DRF refuses it
    assert refused.status_code == 403 and "results" not in refused.json()
    assert colleague.get("/households/").status_code == 200  # other users untouched
    # A disabled account cannot sign in again.
    assert _post_login(Client(), "clerk_a", PASSWORD)[0] == 200


@pytest.mark.django_db
def test_disabling_through_the_admin_ends_the_session(clerk_a: User, city_admin: User) -> None:
    city_admin.is_superuser = True
    city_admin.save()
    victim = Client()
    victim.force_login(clerk_a)
    key = victim.session.session_key
    admin_client = Client()
    admin_client.force_login(city_admin)
    form = {
        "username": "clerk_a",
        "full_name": clerk_a.full_name,
        "role": clerk_a.role,
        "region": clerk_a.region_id,
        "is_active": "",  # unticked
        "date_joined_0": clerk_a.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": "08:00:00",
        "_save": "Save",
    }
    response = admin_client.post(f"/admin/accounts/user/{clerk_a.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk_a.refresh_from_db()
    assert clerk_a.is_active is False
    assert not Session.objects.filter(session_key=key).exists()


# --- TOTP second factor -------------------------------------------------------------------------


def _device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device: TOTPDevice, offset_steps: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset_steps)
    return f"{value:06d}"


@pytest.mark.django_db
def test_supervisor_with_a_device_must_verify_before_any_page(supervisor_shushan: User) -> None:
    device = _device(supervisor_shushan)
    client = Client()
    assert _post_login(client, "supervisor_shushan", PASSWORD)[0] == 302
    response = client.get("/households/")
    assert response.status_code == 302 and response["Location"] == "/accounts/otp/verify/?next=%2Fhouseholds%2F"
    api = client.get("/api/v1/households/")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "二次验证" in page.content.decode()

    wrong = client.post("/accounts/otp/verify/", {"otp_token": "000000" if _code(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "验证码错误" in wrong.content.decode()
    assert client.get("/households/").status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code throttles the device briefly
    device.throttling_failure_timestamp = None
    device.save()

    ok = client.post("/accounts/otp/verify/", {"otp_token": _code(device), "next": "/households/"})
    assert ok.status_code == 302 and ok["Location"] == "/households/"
    assert client.get("/households/").status_code == 200
    assert client.get("/api/v1/households/").status_code == 200


@pytest.mark.django_db
def test_verify_refuses_an_external_next(supervisor_shushan: User) -> None:
    device = _device(supervisor_shushan)
    client = Client()
    client.force_login(supervisor_shushan)
    ok = client.post("/accounts/otp/verify/", {"otp_token": _code(device), "next": "https://evil.example/"})
    assert ok.status_code == 302 and ok["Location"] == "/"


@pytest.mark.django_db
def test_users_without_a_device_are_not_asked(approver_a: User, clerk_a: User) -> None:
    for user in (approver_a, clerk_a):
        client = Client()
        assert _post_login(client, user.username, PASSWORD)[0] == 302
        assert client.get("/households/").status_code == 200


@pytest.mark.django_db
def test_approver_enrols_with_a_code_and_admin_reset_removes_the_factor(approver_a: User, clerk_a: User) -> None:
    client = Client()
    client.force_login(approver_a)
    page = client.get("/accounts/otp/setup/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and 'id="otp-secret"' in html
    device = TOTPDevice.objects.get(user=approver_a, confirmed=False)
    assert "<script" not in html

    bad = client.post("/accounts/otp/setup/", {"action": "confirm", "otp_token": "12345a"})
    assert "请输入 6 位数字验证码" in bad.content.decode()
    assert not TOTPDevice.objects.filter(user=approver_a, confirmed=True).exists()
    ok = client.post("/accounts/otp/setup/", {"action": "confirm", "otp_token": _code(device)})
    assert ok.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/households/").status_code == 200  # verified in this session by enrolling

    # Next sign-in needs the code.
    fresh = Client()
    assert _post_login(fresh, "approver_a", PASSWORD)[0] == 302
    assert fresh.get("/households/")["Location"].startswith("/accounts/otp/verify/")
    # An administrator resets the factor (deletes the device in the admin): no code needed anymore.
    assert admin.site.is_registered(TOTPDevice)
    device.delete()
    assert fresh.get("/households/").status_code == 200

    # A clerk has no second factor to set up.
    clerk = Client()
    clerk.force_login(clerk_a)
    assert clerk.get("/accounts/otp/setup/").status_code == 403


@pytest.mark.django_db
def test_disabling_the_factor_needs_a_current_code(supervisor_shushan: User) -> None:
    device = _device(supervisor_shushan)
    client = Client()
    client.force_login(supervisor_shushan)
    client.post("/accounts/otp/verify/", {"otp_token": _code(device)})
    device.refresh_from_db()
    wrong = client.post("/accounts/otp/setup/", {"action": "disable", "otp_token": "999999"})
    assert "验证码错误,未停用" in wrong.content.decode() or _code(device) == "999999"
    assert TOTPDevice.objects.filter(user=supervisor_shushan).exists()


@pytest.mark.django_db
def test_the_request_carries_the_user_itself_after_the_session_checks(clerk_a: User) -> None:
    """accounts.middleware.unwrap_user: views and templates read the user without lazy proxies, and
    the object still has what django-otp set on it."""
    from django.utils.functional import LazyObject

    client = Client()
    client.force_login(clerk_a)
    response = client.get("/")
    user = response.wsgi_request.user
    assert not isinstance(user, LazyObject)
    assert type(user) is User and user.pk == clerk_a.pk
    assert user.is_verified() is False and user.otp_device is None
    anonymous = Client().get("/accounts/login/").wsgi_request.user
    assert not isinstance(anonymous, LazyObject) and anonymous.is_authenticated is False
