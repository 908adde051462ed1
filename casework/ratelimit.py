"""A small fixed-window rate limiter on Django's cache (shared across processes with Redis)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.cache import cache

from accounts.security import client_ip_from_meta


def _key(scope: str, subject: str) -> str:
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def hit(scope: str, subject: str, *, limit: int, window: int) -> bool:
    """Count one attempt of ``subject`` in ``scope``; True while the count is within ``limit``."""
    key = _key(scope, subject)
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def client_ip(meta: Mapping[str, Any]) -> str:
    """The client address of a request's META, as django-axes sees it (one source of truth:
    ``accounts.security.client_ip_from_meta``).

    REMOTE_ADDR unless ``TRUSTED_PROXY_COUNT`` (N) reverse proxies are trusted; then the N-th
    X-Forwarded-For entry from the right (the client address the outermost trusted proxy recorded;
    entries left of it are the client's own and ignored). With the default 0 the header is ignored
    altogether: it is set by the client and proves nothing.
    """
    return client_ip_from_meta(meta) or "unknown"
