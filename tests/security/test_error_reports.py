"""Django's error reports (ADMINS mails, the DEBUG technical 500 page) carry no full resident ID, phone
number, bank account, password, token, session id or Idempotency-Key (accounts/error_reporting.py)."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from types import TracebackType
from typing import Any

import pytest
from django.core import mail
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils.log import AdminEmailHandler
from django.views.debug import (
    ExceptionReporter,
    get_exception_reporter_class,
    get_exception_reporter_filter,
    technical_500_response,
)

from accounts.error_reporting import (
    MaskingExceptionReporter,
    MaskingExceptionReporterFilter,
    mask_sensitive_text,
)
from tests.support import make_resident_id

POST_ID = make_resident_id(seq=123)  # in a field named id_number: starred whole
GET_ID = make_resident_id(birth=dt.date(1977, 8, 30), seq=555)
TEXT_ID = make_resident_id(birth=dt.date(1990, 1, 1), seq=246)  # inside a free-text field
VAR_ID = make_resident_id(birth=dt.date(2001, 2, 3), seq=777)  # a frame variable and the exception message
PHONE = "13912345678"
OTHER_PHONE = "13987654321"
BANK = "6222020200112233445"
PASSWORD = "Correct-Horse-9931"
API_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0deadbeef"
IDEMPOTENCY_KEY = "idem-5f0b2c1e-4a77-4c11-9d2e-0f3b8a6c7d21"
SESSION_ID = "s3ss10nk3yabcdefghijklmnopqrstuv"
REDIS_PASSWORD = "hunter2-redis-pw"

SECRETS = [POST_ID, GET_ID, TEXT_ID, VAR_ID, PHONE, OTHER_PHONE, BANK, PASSWORD, API_TOKEN, IDEMPOTENCY_KEY, SESSION_ID]


def _request() -> HttpRequest:
    request = RequestFactory().post(
        f"/apply/status/?id_number={GET_ID}&q=find-{GET_ID}&page=2",
        data={
            "receipt_no": "340104001-2026-000123",
            "m-0-id_number": POST_ID,
            "help_text": f"我的身份证 {TEXT_ID}，电话 {OTHER_PHONE}",
            "phone": PHONE,
            "bank_account": BANK,
            "password": PASSWORD,
            "community": "340104001001",
        },
        HTTP_AUTHORIZATION=f"Token {API_TOKEN}",
        HTTP_IDEMPOTENCY_KEY=IDEMPOTENCY_KEY,
        HTTP_REFERER=f"http://testserver/search/?q={GET_ID}",
        HTTP_COOKIE=f"sessionid={SESSION_ID}",
        REMOTE_ADDR="10.1.2.3",
    )
    request.POST  # noqa: B018 (parse the body so the report sees the POST)
    return request


def _crash(request: HttpRequest) -> tuple[type[BaseException], BaseException, TracebackType]:
    def failing_view(request: HttpRequest) -> None:
        id_number = VAR_ID  # noqa: F841 (a sensitive local variable name)
        member_label = f"成员 {VAR_ID}"  # noqa: F841 (an ID in an innocently named variable)
        raise RuntimeError(f"cannot decrypt member {VAR_ID}")

    try:
        failing_view(request)
    except RuntimeError:
        exc_type, exc_value, tb = sys.exc_info()
        assert exc_type is not None and exc_value is not None and tb is not None
        return exc_type, exc_value, tb
    raise AssertionError("the view did not fail")


def _assert_clean(report: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in report, f"{where}: {secret} leaked"
    assert REDIS_PASSWORD not in report, where
    # The sections were rendered (masked, not dropped): the masked forms are there.
    assert GET_ID[:6] + "********" + GET_ID[-4:] in report, where  # GET and the request URL
    assert TEXT_ID[:6] + "********" + TEXT_ID[-4:] in report, where  # a POST free-text value
    assert VAR_ID[:6] + "********" + VAR_ID[-4:] in report, where  # exception message, frame variable
    assert "139****4321" in report, where  # the phone inside free text
    assert "receipt_no" in report and "340104001-2026-000123" in report, where  # harmless values stay


def test_mask_sensitive_text_keeps_the_usual_visible_parts() -> None:
    assert mask_sensitive_text("id 340104199001011234 end") == "id 340104********1234 end"
    assert mask_sensitive_text("卡号6222020200112233445。") == "卡号***************3445。"
    assert mask_sensitive_text("tel:13912345678;") == "tel:139****5678;"
    # Not a phone, a card or an ID: left alone.
    assert mask_sensitive_text("340104001-2026-000123 / 2026-11-29 / 12345678901") == (
        "340104001-2026-000123 / 2026-11-29 / 12345678901"
    )


def test_settings_select_the_masking_filter_and_reporter() -> None:
    request = _request()
    assert isinstance(get_exception_reporter_filter(request), MaskingExceptionReporterFilter)
    assert get_exception_reporter_class(request) is MaskingExceptionReporter


@pytest.mark.parametrize("debug", [False, True])
def test_exception_report_text_and_html_have_no_ids_or_credentials(settings: Any, debug: bool) -> None:
    settings.DEBUG = debug
    settings.DEMO_RESULTS_URL = f"redis://:{REDIS_PASSWORD}@redis.internal:6379/1"
    request = _request()
    exc_info = _crash(request)
    reporter = get_exception_reporter_class(request)(request, *exc_info)
    text = reporter.get_traceback_text()
    html = reporter.get_traceback_html()
    _assert_clean(text, "text")
    _assert_clean(html, "html")
    assert "redis://********************@redis.internal:6379/1" in text
    # Names that say what they hold are starred whole (POST, META, frame variables).
    data = reporter.get_traceback_data()
    post = dict(data["filtered_POST_items"])
    for name in ("m-0-id_number", "phone", "bank_account", "password"):
        assert post[name] == "********************", name
    meta = data["request_meta"]
    for name in ("HTTP_AUTHORIZATION", "HTTP_IDEMPOTENCY_KEY", "HTTP_COOKIE"):
        assert meta[name] == "********************", name
    assert (
        meta["QUERY_STRING"]
        == f"id_number={GET_ID[:6]}********{GET_ID[-4:]}&q=find-{GET_ID[:6]}********{GET_ID[-4:]}&page=2"
    )
    assert dict(data["request_GET_items"])["id_number"] == "********************"
    assert dict(data["request_COOKIES_items"]) == {"sessionid": "********************"}
    view_frame = next(f for f in data["frames"] if f["function"] == "failing_view")
    assert dict(view_frame["vars"])["id_number"] == "'********************'"


def test_django_stock_reporter_with_the_filter_cleanses_post_meta_and_frames() -> None:
    """Django's own ExceptionReporter (what a third-party handler might construct) uses the filter from
    settings: POST, META, cookies and frame variables are clean. GET and the URL it takes straight
    from the request — hence the reporter class in settings as well."""
    request = _request()
    reporter = ExceptionReporter(request, *_crash(request))
    data = reporter.get_traceback_data()
    post_and_meta = repr(data["filtered_POST_items"]) + repr(data["request_meta"])
    post_and_meta += repr(list(data["request_COOKIES_items"])) + repr([f.get("vars") for f in data["frames"]])
    for secret in (POST_ID, TEXT_ID, PHONE, BANK, PASSWORD, API_TOKEN, IDEMPOTENCY_KEY, SESSION_ID):
        assert secret not in post_and_meta, secret
    assert TEXT_ID[:6] + "********" + TEXT_ID[-4:] in post_and_meta


def test_technical_500_page_with_debug_has_no_ids(settings: Any) -> None:
    settings.DEBUG = True
    request = _request()
    response = technical_500_response(request, *_crash(request))
    assert response.status_code == 500
    page = response.content.decode()
    assert "RuntimeError" in page
    _assert_clean(page, "technical 500")


def test_admins_error_mail_has_no_ids(settings: Any) -> None:
    settings.DEBUG = False
    settings.ADMINS = [("运维", "ops@example.org")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    request = _request()
    exc_info = _crash(request)
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", (request.path,), exc_info
    )
    record.request = request  # type: ignore[attr-defined]
    record.status_code = 500  # type: ignore[attr-defined]
    AdminEmailHandler(include_html=True).emit(record)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    html = str(message.alternatives[0][0])  # type: ignore[attr-defined]
    _assert_clean(str(message.body), "mail text")
    _assert_clean(html, "mail html")
    assert POST_ID not in str(message.subject)
