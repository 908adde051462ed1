"""Issue 8 security headers: CSP without inline script, HSTS, Referrer-Policy, nosniff,
Permissions-Policy, Cache-Control: no-store on pages, API and exports; no inline <script> or on*=
handler in any rendered page; Swagger UI works under the CSP."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Region, User
from tests.casework.reference_data import ALL_APPS
from tests.support import STREET_A, api_client

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _csp(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    parts = [p.strip() for p in header.split(";") if p.strip()]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] for p in parts}


def assert_security_headers(response: Any) -> None:
    assert _csp(response) == EXPECTED_CSP
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), fullscreen=(self)"
    )
    assert "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]


@pytest.mark.django_db
def test_page_has_the_security_headers(household_a: Any, clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    response = client.get(f"/households/{household_a.pk}/")
    assert response.status_code == 200 and "张三" in response.content.decode()
    assert_security_headers(response)


@pytest.mark.django_db
def test_api_response_has_the_security_headers(household_a: Any, clerk_a: User) -> None:
    response = api_client(clerk_a).get("/api/v1/households/")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert_security_headers(response)


@pytest.mark.django_db
def test_token_authenticated_api_response_is_not_stored(household_a: Any, clerk_a: User) -> None:
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=clerk_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get(f"/api/v1/households/{household_a.pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_export_has_the_security_headers(clerk_a: User, approver_a: User) -> None:
    from casework.models.enrolment import add_months, month_start
    from casework.services.payments import payment_roll_generate
    from tests.casework.test_enrolment import TODAY, dibao_family, enrol

    enrol(approver_a, dibao_family(clerk_a, wage="1200"))
    roll = payment_roll_generate(
        street=Region.objects.get(code=STREET_A), month=add_months(month_start(TODAY), -1), actor=approver_a
    )
    client = Client()
    client.force_login(approver_a)
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/payment-rolls/{roll.pk}/export.{fmt}")
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
        assert_security_headers(response)


@pytest.mark.django_db
def test_anonymous_pages_are_not_stored_but_static_files_are_cacheable() -> None:
    client = Client()
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert_security_headers(login)
    static = client.get("/static/css/app.css")
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")


@pytest.mark.django_db
def test_hsts_is_sent_over_https_in_production(settings: Any, clerk_a: User) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    client = Client()
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in client.get("/accounts/login/")  # never over plain HTTP


# --- no inline script ---------------------------------------------------------------------------


class _ScriptAudit(HTMLParser):
    """Collects <script> tags without src (except JSON data islands), on*= attributes and
    javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts = 0
        self._in_data_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            self.scripts += 1
            if not values.get("src") and (values.get("type") or "") != "application/json":
                self.problems.append("<script> without src")


def audit_html(html: str) -> _ScriptAudit:
    parser = _ScriptAudit()
    parser.feed(html)
    return parser


def _static_paths() -> list[str]:
    """Every URL of the site without parameters (admin, API, i18n and logout left out)."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                path = prefix + route
                if "<" in path or "(" in path or "^" in path or "$" in path:
                    continue
                found.append("/" + path)

    walk(get_resolver().url_patterns, "")
    skip = ("/admin/", "/api/v1/", "/i18n/", "/accounts/logout/", "/api/schema/")
    return sorted({p for p in found if not p.startswith(skip)})


@pytest.mark.django_db
def test_no_inline_script_or_handler_in_any_rendered_page(
    household_a: Any, clerk_a: User, approver_a: User, supervisor_shushan: User, city_admin: User
) -> None:
    paths = _static_paths()
    assert "/" in paths and "/households/" in paths and "/accounts/login/" in paths
    extra = [f"/households/{household_a.pk}/", "/accounts/otp/setup/", "/admin/"]
    checked = 0
    for user in (None, clerk_a, approver_a, supervisor_shushan, city_admin):
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        for path in [*paths, *extra]:
            if path == "/admin/" and user is not city_admin:
                continue
            response = client.get(path)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            if path.startswith("/admin/"):
                continue  # Django's admin ships its own JS files; checked separately below
            html = response.content.decode()
            audit = audit_html(html)
            assert audit.problems == [], (path, user, audit.problems)
            assert "Content-Security-Policy" in response
            assert "no-store" in response["Cache-Control"], path  # signed in or not (public status query)
            checked += 1
    assert checked >= 15, checked


@pytest.mark.django_db
def test_admin_pages_need_no_inline_script(city_admin: User) -> None:
    city_admin.is_superuser = True
    city_admin.save()
    client = Client()
    client.force_login(city_admin)
    for path in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{city_admin.pk}/change/"):
        response = client.get(path)
        assert response.status_code == 200, path
        audit = audit_html(response.content.decode())
        # Django's admin passes data through json_script / data-* attributes; no executable inline script.
        assert audit.problems == [], (path, audit.problems)


@pytest.mark.django_db
def test_swagger_ui_loads_its_init_script_from_a_url(clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    page = client.get("/api/docs/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="swagger-ui"' in html
    audit = audit_html(html)
    assert audit.problems == [] and audit.scripts == 3
    assert_security_headers(page)
    srcs = re.findall(r'<script src="([^"]+)"', html)
    assert srcs[0].startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/")
    script = client.get(srcs[-1].replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode() and "/api/schema/" in script.content.decode()


@pytest.fixture
def _reference_rows(transactional_db: None) -> None:
    """A transactional test may run after another one flushed the regions: load them back first."""
    from tests.casework.reference_data import ensure_reference_data

    ensure_reference_data()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_swagger_ui_and_pages_run_in_chromium_without_csp_violations(
    _reference_rows: None, live_server: Any, clerk_a: User
) -> None:
    """The browser enforces the header: Swagger UI renders the operations and no page reports a
    Content-Security-Policy violation."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser_support import CHROMIUM_ARGS, login

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = login(browser, live_server.url, clerk_a)
            violations: list[str] = []
            page.on(
                "console",
                lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
            )
            for path in ("/", "/households/", "/accounts/otp/setup/"):
                page.goto(f"{live_server.url}{path}")
            page.goto(f"{live_server.url}/api/docs/")
            page.wait_for_selector(".opblock", timeout=20000)
            assert page.locator(".opblock").count() > 5
            assert violations == [], violations
        finally:
            browser.close()


def test_the_kept_csp_header_is_django_csps_and_views_that_set_their_own_still_get_theirs(settings: Any) -> None:
    from csp.constants import NONCE, SELF
    from csp.decorators import csp_update
    from csp.utils import build_policy
    from django.http import HttpResponse
    from django.test import RequestFactory

    from accounts.middleware import CSPMiddleware

    def page(request: Any) -> HttpResponse:
        return HttpResponse("ok")

    middleware = CSPMiddleware(page)
    request = RequestFactory().get("/")
    middleware.process_request(request)
    response = middleware.process_response(request, page(request))
    assert response["Content-Security-Policy"] == build_policy() and _csp(response) == EXPECTED_CSP
    assert "Content-Security-Policy-Report-Only" not in response

    own = csp_update({"img-src": ["https://maps.example.cn"]})(page)  # a view with its own policy: django-csp's path
    request = RequestFactory().get("/")
    middleware.process_request(request)
    response = middleware.process_response(request, own(request))
    assert _csp(response)["img-src"] == "'self' data: https://maps.example.cn"

    # The kept header follows the settings.
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    request = RequestFactory().get("/")
    middleware.process_request(request)
    assert _csp(middleware.process_response(request, page(request))) == {
        "script-src": "'self'",
        "default-src": "'self'",
    }
    request = RequestFactory().get("/")  # a page that used a nonce: django-csp's path, the nonce in the header
    middleware.process_request(request)
    nonce = str(request.csp_nonce)
    assert _csp(middleware.process_response(request, page(request)))["script-src"] == f"'self' 'nonce-{nonce}'"
