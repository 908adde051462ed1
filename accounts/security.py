"""Login hardening shared by the middleware, the signals and the views.

- django-axes locks a username+IP pair for 30 minutes after 5 failures (settings AXES_*); the lockout
  is shown on the login page in Chinese (``lockout_response``) and logged (accounts/signals.py).
- Sessions carry their login time and last activity: 30 minutes idle or 12 hours in all ends them
  (``session_expired``; accounts.middleware.SessionTimeoutMiddleware).
- Disabling an account deletes its sessions and API tokens (``end_user_sessions``).
- Optional TOTP second factor (django-otp) for approvers, supervisors and administrators.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Mapping
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from accounts.models import Role, User

logger = logging.getLogger("hefei_aid.security")

LOGIN_AT_KEY = "security_login_at"
SEEN_AT_KEY = "security_seen_at"
# "This signed-in user has no confirmed TOTP device" (value: the user's pk), so the TOTP step does
# not query the device table on every request. Only the negative answer is remembered: a user with
# a device is checked against the table until verified (an administrator deleting the device takes
# effect at once). Confirming a device clears the key in every session of that user
# (``forget_otp_free``, called from the TOTPDevice post_save receiver in accounts/signals.py).
OTP_FREE_KEY = "security_otp_free"
# Last-activity is rewritten at most once a minute, so a page view does not always write the session.
SEEN_AT_RESOLUTION = 60

OTP_ROLES = frozenset({Role.APPROVER, Role.SUPERVISOR, Role.ADMIN})


# --- django-axes -------------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address the N-th trusted proxy saw (TRUSTED_PROXY_COUNT)."""
    return client_ip_from_meta(request.META)


def client_ip_from_meta(meta: Mapping[str, Any]) -> str | None:
    """``client_ip`` on a request's META (also used by the public pages' rate limiter,
    casework.ratelimit): with TRUSTED_PROXY_COUNT=0 X-Forwarded-For is ignored."""
    remote: str | None = meta.get("REMOTE_ADDR")
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    if count <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    return hops[-count]


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "登录失败次数过多(连续 %(limit)d 次),该账号在本机的登录已被锁定 %(minutes)d 分钟。"
        "请稍后再试,或联系系统管理员解锁。"
    ) % {"limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The login page again, with the lockout explained (HTTP 429); JSON for API clients."""
    message = lockout_message()
    if request.path.startswith("/api/") or request.headers.get("x-requested-with") == "XMLHttpRequest":
        from django.http import JsonResponse

        return JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    username = ""
    if credentials:
        username = str(credentials.get("username") or "")
    elif request.method == "POST":
        username = str(request.POST.get("username", ""))
    context = {"locked_out": True, "lockout_message": message, "username_value": username, "next": ""}
    return render(request, "registration/login.html", context, status=429)


# --- sessions ----------------------------------------------------------------------------------


def stamp_login(request: HttpRequest) -> None:
    now = int(time.time())
    request.session[LOGIN_AT_KEY] = now
    request.session[SEEN_AT_KEY] = now
    request.session.pop(OTP_FREE_KEY, None)


def session_expired(request: HttpRequest, now: float | None = None) -> str | None:
    """``"idle"`` or ``"absolute"`` when the signed-in session is over its limit, else ``None``.

    Refreshes the last-activity stamp (at most once a minute). A session without stamps (signed
    in before this code) is stamped now.
    """
    current = int(now if now is not None else time.time())
    session = request.session
    login_at = session.get(LOGIN_AT_KEY)
    seen_at = session.get(SEEN_AT_KEY)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        session[LOGIN_AT_KEY] = login_at if isinstance(login_at, int) else current
        session[SEEN_AT_KEY] = current
        return None
    if current - login_at >= settings.SESSION_ABSOLUTE_TIMEOUT:
        return "absolute"
    if current - seen_at >= settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    if current - seen_at >= SEEN_AT_RESOLUTION:
        session[SEEN_AT_KEY] = current
    return None


def _live_sessions_of(user_pk: Any) -> list[tuple[Session, dict[str, Any]]]:
    """(row, decoded data) of every unexpired stored session signed in as ``user_pk``.

    The DB session store has no user column, so live sessions are decoded (a staff system has a
    few hundred at most).
    """
    wanted = str(user_pk)
    found = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == wanted:
            found.append((session, data))
    return found


def _drop_cached_copy(session_key: str) -> None:
    """With ``cached_db`` sessions, remove the copy of a session kept in the cache, so the next
    request reads the table (hefei_aid/cache.py: SessionRedisCache)."""
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db":
        from django.contrib.sessions.backends.cached_db import KEY_PREFIX

        caches[settings.SESSION_CACHE_ALIAS].delete(KEY_PREFIX + session_key)


def end_user_sessions(user: User) -> int:
    """Delete every stored session and the DRF tokens of ``user``; returns the sessions deleted."""
    doomed = [session.session_key for session, _data in _live_sessions_of(user.pk)]
    Session.objects.filter(session_key__in=doomed).delete()
    for key in doomed:
        _drop_cached_copy(key)
    Token.objects.filter(user=user).delete()
    return len(doomed)


# --- TOTP --------------------------------------------------------------------------------------


def otp_eligible(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in OTP_ROLES


def otp_required(user: Any) -> bool:
    """A signed-in user with a confirmed device must verify a code before anything else."""
    return bool(getattr(user, "is_authenticated", False)) and user_has_device(user, confirmed=True)


def otp_required_for_session(request: HttpRequest) -> bool:
    """``otp_required(request.user)``, remembering a "no device" answer in the session.

    A user without a device (the great majority: clerks, reviewers) costs the device query once
    per session instead of once per request.
    """
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return False
    session = request.session
    if session.get(OTP_FREE_KEY) == user.pk:
        return False
    required = otp_required(user)
    remember_otp_state(request, required=required)
    return required


def remember_otp_state(request: HttpRequest, *, required: bool) -> None:
    """Record in the session whether the signed-in user has a confirmed device (after a live check)."""
    if required:
        request.session.pop(OTP_FREE_KEY, None)
    elif request.session.get(OTP_FREE_KEY) != request.user.pk:
        request.session[OTP_FREE_KEY] = request.user.pk


def forget_otp_free(user_pk: Any) -> int:
    """A device of ``user_pk`` was confirmed: every session of that user checks the table again.
    Returns the number of sessions changed."""
    changed = 0
    for session, data in _live_sessions_of(user_pk):
        if OTP_FREE_KEY in data:
            del data[OTP_FREE_KEY]
            Session.objects.save(session.session_key, data, session.expire_date)
            _drop_cached_copy(session.session_key)
            changed += 1
    return changed


def pending_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="hefei-aid", confirmed=False)
    return device


def secret_for_display(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    svg: str = image.to_string(encoding="unicode")
    return mark_safe(svg)  # noqa: S308 (generated by qrcode from our own otpauth:// URL)
