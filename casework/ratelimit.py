"""A small fixed-window rate limiter on Django's cache (shared across processes with Redis)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


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


def client_ip(meta: dict[str, object]) -> str:
    """REMOTE_ADDR only: a forwarded-for header is set by the client and proves nothing here."""
    return str(meta.get("REMOTE_ADDR") or "unknown")
