"""Django error reports without personal data or credentials (issue 8, DOMAIN §9).

Django's error reports — the mails to ``ADMINS`` (``AdminEmailHandler``) and the technical 500 page
shown with ``DEBUG`` — carry the POST and GET parameters, request.META, cookies, the settings and
every frame's local variables. Two settings plug in here:

- ``DEFAULT_EXCEPTION_REPORTER_FILTER = "accounts.error_reporting.MaskingExceptionReporterFilter"``:
  parameters, META keys and frame variables whose NAME says what they hold (resident ID, phone,
  bank account, password, token, key — ``HTTP_IDEMPOTENCY_KEY`` included) are replaced by stars;
  every other POST and META value (query string, path, referer …) has ID-, bank-card- and
  mobile-shaped text masked; all cookies (the session id is a credential) and credentials inside
  URLs in settings or the environment (``redis://:secret@host``) are starred. It is active with ``DEBUG`` on too: a technical 500 page
  on a test server shows real data as well.
- ``DEFAULT_EXCEPTION_REPORTER = "accounts.error_reporting.MaskingExceptionReporter"``: GET
  parameters and the request URL are not passed through the filter by Django, and an ID can also sit
  in an exception message or a frame variable (``<WSGIRequest: GET '/x/?id=…'>``); the reporter
  filters GET by name like POST and masks the finished text and HTML once more, so no ID-shaped
  string leaves in any part of the report.

Masking keeps what the rest of the system shows: an ID as ``340104********1234``
(``accounts.logging.mask_ids_in_text``), a bank account / card as its last four digits and a mobile
number as ``139****5678`` (``accounts.crypto.mask_account`` / ``mask_phone``).
"""

from __future__ import annotations

import re
from collections.abc import ItemsView
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.safestring import SafeString, mark_safe
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from accounts.crypto import mask_account, mask_phone
from accounts.logging import mask_ids_in_text

# Names of parameters / variables / headers whose whole value is hidden. Matched anywhere in the
# name, case-insensitively (``m-0-id_number``, ``HTTP_IDEMPOTENCY_KEY``, ``bank_account_no``).
SENSITIVE_NAMES = re.compile(
    r"id_?(number|no|card)|identity|resident|身份证|证件"
    r"|phone|mobile|tel(ephone)?$|手机|电话"
    r"|bank|account_?(no|number)|card_?(no|number)|iban|账号|卡号"
    r"|pass|pwd|secret|token|api|auth|key|signature|csrf|session|cookie|otp|totp",
    flags=re.IGNORECASE,
)
# After IDs are masked: runs of 16–19 digits (bank cards, account numbers) and mainland mobile numbers.
CARD_PATTERN = re.compile(r"(?<![0-9])[0-9]{16,19}(?![0-9])")
MOBILE_PATTERN = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
# Credentials inside a URL: scheme://user:password@host
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s:]*:[^/@\s]*@", flags=re.IGNORECASE)


def mask_sensitive_text(text: str) -> str:
    """``text`` with resident IDs, bank-card-length digit runs and mobile numbers masked."""
    if not text:
        return text
    text = mask_ids_in_text(text)
    text = CARD_PATTERN.sub(lambda m: mask_account(m.group(0)), text)
    return MOBILE_PATTERN.sub(lambda m: mask_phone(m.group(0)), text)


def _mask_value(value: Any) -> Any:
    if type(value) is str:
        return mask_sensitive_text(value)
    if isinstance(value, bytes):
        return mask_sensitive_text(value.decode("utf-8", errors="replace"))
    return value


class MaskingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's safe filter, active in every mode, that also hides sensitive names and masks IDs."""

    cleansed_substitute = "********************"
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|CREDENTIAL|PRIVATE|DSN", flags=re.IGNORECASE
    )

    def is_active(self, request: HttpRequest | None) -> bool:
        return True  # the technical 500 page of a DEBUG server shows real residents' data just the same

    def is_sensitive_name(self, name: Any) -> bool:
        return isinstance(name, str) and bool(SENSITIVE_NAMES.search(name))

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if type(cleansed) is str:  # not lazy objects posing as str
            cleansed = URL_CREDENTIALS.sub(rf"\g<scheme>{self.cleansed_substitute}@", cleansed)
        return cleansed

    def cleanse_parameters(self, params: MultiValueDict[str, Any] | dict[str, Any]) -> QueryDict:
        """A copy of a QueryDict/MultiValueDict: sensitive names starred, other values masked."""
        cleansed = QueryDict(mutable=True)
        pairs = params.lists() if isinstance(params, MultiValueDict) else ((k, [v]) for k, v in params.items())
        for name, values in pairs:
            if self.is_sensitive_name(name):
                cleansed.setlist(name, [self.cleansed_substitute for _value in values])
            else:
                cleansed.setlist(name, [_mask_value(v) for v in values])
        return cleansed

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        if request is None:
            return {}
        params = super().get_post_parameters(request)  # honours @sensitive_post_parameters
        return self.cleanse_parameters(params)

    def get_cleansed_multivaluedict(self, request: HttpRequest, multivaluedict: QueryDict) -> QueryDict:
        # Frame variables holding request.POST / request.GET (or any MultiValueDict).
        return self.cleanse_parameters(super().get_cleansed_multivaluedict(request, multivaluedict))

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)
        return {
            key: self.cleansed_substitute if self.is_sensitive_name(key) else _mask_value(value)
            for key, value in meta.items()
        }

    def get_safe_cookies(self, request: HttpRequest) -> dict[str, Any]:
        cookies = getattr(request, "COOKIES", None) or {}
        return {name: self.cleansed_substitute for name in cookies}

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> ItemsView[str, Any]:
        return {
            name: self.cleansed_substitute if self.is_sensitive_name(name) else value
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        }.items()


class MaskingExceptionReporter(ExceptionReporter):
    """Filters GET like POST, and masks ID-shaped text in the whole rendered report."""

    def get_traceback_data(self) -> dict[str, Any]:
        data: dict[str, Any] = super().get_traceback_data()
        if self.request is not None and isinstance(self.filter, MaskingExceptionReporterFilter):
            data["request_GET_items"] = list(self.filter.cleanse_parameters(self.request.GET).items())
        for key in ("request_insecure_uri", "exception_value", "exception_notes", "user_str"):
            if isinstance(data.get(key), str):
                data[key] = mask_sensitive_text(data[key])
        for frame in data.get("frames", []):
            if "vars" in frame:
                frame["vars"] = [(name, mask_sensitive_text(str(value))) for name, value in frame["vars"]]
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = mask_sensitive_text(str(frame["exc_cause"]))
        return data

    # Masking replaces digits with "*": what Django rendered stays as safe as it was.
    def get_traceback_html(self) -> SafeString:
        return mark_safe(mask_sensitive_text(str(super().get_traceback_html())))  # noqa: S308

    def get_traceback_text(self) -> SafeString:
        return mark_safe(mask_sensitive_text(str(super().get_traceback_text())))  # noqa: S308
