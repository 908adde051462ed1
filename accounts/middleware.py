from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import csp.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _

from accounts.security import otp_required_for_session, session_expired


class NoStoreMiddleware:
    """Pages for signed-in staff (HTML, API, exports) show personal data: never let a browser or
    proxy keep them. Anonymous dynamic responses (login, public application and status query) are
    not stored either unless the view chose its own Cache-Control. Static files are served by
    WhiteNoise before this middleware and keep their long-lived caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


def unwrap_user(user: Any) -> Any:
    """The user object behind ``request.user``'s lazy wrappers, loaded now.

    ``AuthenticationMiddleware`` and django-otp's ``OTPMiddleware`` each wrap the user in a
    ``SimpleLazyObject``, and every attribute read through the two layers (a page reads ``user.role``,
    ``user.region_id`` … dozens of times) costs two proxy calls: ≈ 3 % of a worker's CPU under the
    load bench. The timeout check below needs the user loaded anyway, so from here on the request
    carries the object itself (with django-otp's ``is_verified`` and ``otp_device`` already set)."""
    while isinstance(user, LazyObject):
        lazy: Any = user  # the stubs do not declare LazyObject's _wrapped and _setup
        if lazy._wrapped is empty:
            lazy._setup()
        user = lazy._wrapped
    return user


class SessionTimeoutMiddleware:
    """Ends a signed-in session after 30 minutes without a request or 12 hours after sign-in
    (settings SESSION_IDLE_TIMEOUT / SESSION_ABSOLUTE_TIMEOUT): the session row is deleted and the
    request goes on anonymously, so pages redirect to the login page and the API answers 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = unwrap_user(request.user)
        if request.user.is_authenticated:
            reason = session_expired(request)
            if reason is not None:
                logout(request)
                if reason == "idle":
                    text = _("您已超过 30 分钟未操作,为保护数据安全已自动退出,请重新登录。")
                else:
                    text = _("本次登录已超过 12 小时,为保护数据安全已自动退出,请重新登录。")
                messages.warning(request, text)
        return self.get_response(request)


class OTPRequiredMiddleware:
    """A user with a confirmed TOTP device reaches nothing but the verify page (and logout,
    language switch) until they enter a code after the password."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        verified = getattr(user, "is_verified", lambda: False)()  # installed by django-otp's OTPMiddleware
        # The session answers "no device" for most users at once; the guarded-path check costs four reverse() calls.
        if user.is_authenticated and not verified and otp_required_for_session(request) and self._guarded(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("请先完成二次验证(动态验证码)。"), "code": "otp_required"}, status=403)
            target = reverse("otp-verify")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return self.get_response(request)

    @staticmethod
    def _guarded(request: HttpRequest) -> bool:
        open_paths = {reverse("otp-verify"), reverse("logout"), reverse("set_language"), reverse("admin:logout")}
        return request.path not in open_paths and not request.path.startswith(settings.STATIC_URL)


class SecurityHeadersMiddleware:
    """Headers Django has no setting for: Permissions-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class DefaultLanguageMiddleware:
    """zh-hans is the default UI language whatever the browser's Accept-Language says; English is
    an explicit choice (the language switch sets a cookie that LocaleMiddleware reads)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the header kept once built.

    django-csp builds the policy string from the settings for every response (≈ 0.1 ms: a deep
    copy of the directives, a dataclass → dict copy, the string joins: ≈ 2 % of a worker's CPU in
    the load bench). Our policy is fixed by the settings: no view sets its own (``@csp_update`` …)
    and no template asks for a nonce. A response or request that does either still goes through
    django-csp unchanged; the kept strings are dropped when a test changes the CSP settings."""

    _built: dict[bool, str] = {}

    @staticmethod
    def _policy(report_only: bool) -> str:
        built = CSPMiddleware._built.get(report_only)
        if built is None:
            built = CSPMiddleware._built[report_only] = build_policy(report_only=report_only)
        return built

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _CSP_PER_RESPONSE
        ):
            return super().process_response(request, response)  # type: ignore[no-any-return]
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for report_only, header, setting, exempt in _CSP_HEADERS:
            policy = self._policy(report_only)
            if not policy or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As django-csp: a nonce asked for after the header was written is an error, not a silent gap.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


_CSP_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_CSP_HEADERS = (
    (False, HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt"),
    (True, HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro"),
)


def _forget_csp(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        CSPMiddleware._built.clear()


setting_changed.connect(_forget_csp)
