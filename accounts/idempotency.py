"""``Idempotency-Key`` for the POST endpoints that create applications, payments and grants (issue 8).

Put ``@idempotent`` as the OUTERMOST decorator of the view method (above ``@extend_schema`` and
``@action``); it also documents the optional header in the OpenAPI schema.

Semantics (the key is scoped to the authenticated staff member + method + path):

- no header: the view runs exactly as before;
- a malformed key (not 1–255 printable ASCII characters): 400;
- first use: an ``in_progress`` row is inserted in its own short transaction (unique constraint), then
  the view runs in one transaction together with the storing of its response, so "business write
  committed" and "response stored" cannot come apart;
- the response (2xx and 4xx alike, e.g. a refused payment) is stored for 24 hours and replayed for the
  same key + the same body (header ``Idempotent-Replayed: true``);
- the same key with a different body: 422; while the first request is still running: 409;
- a 5xx or an unexpected exception rolls the business transaction back and deletes the row, so a
  retry with the same key runs again.

Expired rows are deleted by ``manage.py idempotency_purge`` (also a daily Celery beat job) and are
ignored (replaced) when a key is reused after expiry.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from accounts.models import IdempotencyRecord, User

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = dt.timedelta(hours=24)
# A crashed process leaves its row "in progress" (its business transaction was rolled back with it).
# After this long the key may be used again instead of answering 409 until the row expires.
STALE_AFTER = dt.timedelta(minutes=10)
KEY_PATTERN = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$")

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "幂等键(可选，1–255 个可打印 ASCII 字符，建议使用 UUID)。同一工作人员对同一接口使用相同的键和相同的请求体"
        "重复提交时，返回第一次的响应(响应头 Idempotent-Replayed: true)，不会重复创建；相同的键但请求体不同返回 422；"
        "第一次请求尚在处理中返回 409。键保留 24 小时。 "
        "Optional idempotency key (1–255 printable ASCII characters, a UUID is recommended): the same key and "
        "body replays the first response, the same key with a different body is 422, a concurrent duplicate "
        "is 409. Keys are kept for 24 hours."
    ),
)

F = TypeVar("F", bound=Callable[..., Any])


class _RollBack(Exception):
    """Raised inside the business transaction to roll it back when the view answered 5xx."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _canonical(value: Any) -> Any:
    """A JSON-able, order-independent form of ``request.data`` (JSON body, form or multipart)."""
    if hasattr(value, "getlist") and hasattr(value, "keys"):  # QueryDict / MultiValueDict
        return {str(k): [_canonical(v) for v in value.getlist(k)] for k in value.keys()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if hasattr(value, "chunks") and hasattr(value, "name"):  # an uploaded file: its name and content
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": str(value.name), "sha256": digest.hexdigest()}
    return value


def request_hash(data: Any) -> str:
    """SHA-256 of the canonical JSON of a request body (keys sorted, no insignificant whitespace)."""
    text = json.dumps(_canonical(data), cls=JSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(data: Any) -> Any:
    """Response data as plain JSON (Decimal, dates, lazy strings rendered exactly as the renderer does)."""
    return json.loads(json.dumps(data, cls=JSONEncoder, ensure_ascii=False))


def _error(code: int, message: str, error_code: str) -> Response:
    return Response({"detail": message, "code": error_code}, status=code)


def _claim(user: User, key: str, endpoint: str, digest: str) -> IdempotencyRecord | Response:
    """Insert the in-progress row, or answer from the row that already holds this key."""
    for _attempt in range(2):
        now = timezone.now()
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    user=user, key=key, endpoint=endpoint, request_hash=digest, expires_at=now + TTL
                )
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(user=user, key=key, endpoint=endpoint).first()
        if existing is None:  # deleted in between (the first request failed): try again
            continue
        stale = existing.state == IdempotencyRecord.State.IN_PROGRESS and existing.created_at < now - STALE_AFTER
        if existing.expires_at <= now or stale:
            IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.request_hash != digest:
            return _error(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                _(
                    "该幂等键(Idempotency-Key)已用于内容不同的另一请求，请为新的请求使用新的键。"
                    " This Idempotency-Key was already used with a different request body."
                ),
                "idempotency_key_reused",
            )
        if existing.state == IdempotencyRecord.State.IN_PROGRESS:
            return _error(
                status.HTTP_409_CONFLICT,
                _(
                    "使用该幂等键的请求正在处理中，请稍后重试。"
                    " A request with this Idempotency-Key is still being processed; retry later."
                ),
                "idempotency_in_progress",
            )
        replay = Response(existing.response_body, status=existing.response_status or status.HTTP_200_OK)
        replay[REPLAYED_HEADER] = "true"
        return replay
    return _error(
        status.HTTP_409_CONFLICT,
        _("使用该幂等键的请求正在处理中，请稍后重试。 A request with this Idempotency-Key is still being processed."),
        "idempotency_in_progress",
    )


def idempotent(view_method: F) -> F:
    """Make a DRF view method (``post``/``create``/an ``@action``) honour the ``Idempotency-Key`` header."""

    @functools.wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        user = request.user
        if key is None or not isinstance(user, User) or not user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        if not KEY_PATTERN.match(key):
            return _error(
                status.HTTP_400_BAD_REQUEST,
                _(
                    "幂等键(Idempotency-Key)格式不正确：应为 1–255 个可打印 ASCII 字符。"
                    " Idempotency-Key must be 1–255 printable ASCII characters."
                ),
                "idempotency_key_invalid",
            )
        endpoint = f"{request.method} {request.path}"[:500]
        claimed = _claim(user, key, endpoint, request_hash(request.data))
        if isinstance(claimed, Response):
            return claimed
        record = claimed
        try:
            with transaction.atomic():
                try:
                    response = view_method(self, request, *args, **kwargs)
                except Exception as exc:  # turned into the API error response, or re-raised
                    response = self.handle_exception(exc)
                if response.status_code >= 500:
                    raise _RollBack(response)
                record.state = IdempotencyRecord.State.DONE
                record.response_status = response.status_code
                record.response_body = _plain(getattr(response, "data", None))
                record.save(update_fields=["state", "response_status", "response_body"])
        except _RollBack as rollback:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return rollback.response
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        return response

    documented = extend_schema(parameters=[IDEMPOTENCY_PARAMETER])(wrapper)
    return cast(F, documented)


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete expired rows; the number deleted."""
    deleted, _detail = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
