"""Sessions read from Redis (``cached_db``) without ever serving a session PostgreSQL no longer has.

Production with ``REDIS_URL`` keeps a copy of each session in Redis for at most a minute
(hefei_aid/cache.py: SessionRedisCache) so a signed-in request costs no session query. These tests
run against the machine's real Redis (``CELERY_TEST_REDIS_URL``, default db 14) and a closed port for
"Redis down".
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.security import end_user_sessions
from hefei_aid import cache as cache_module

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("CELERY_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
DOWN_URL = "redis://127.0.0.1:6390/0"  # nothing listens there
OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def _sessions_cache(location: str, prefix: str) -> dict[str, Any]:
    return {
        "BACKEND": "hefei_aid.cache.SessionRedisCache",
        "LOCATION": location,
        "KEY_PREFIX": prefix,
        "OPTIONS": OPTIONS,
    }


@pytest.fixture
def cached_sessions(settings: Any) -> Iterator[str]:
    """cached_db sessions on the real Redis, under a key prefix of this test."""
    prefix = f"test-sessions-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": _sessions_cache(REDIS_URL, prefix),
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_CACHE_ALIAS = "sessions"
    cache_module._session_state["down_until"] = 0.0
    cache_module._session_state["pending"].clear()
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()
    cache_module._session_state["down_until"] = 0.0
    cache_module._session_state["pending"].clear()


def _session_queries(client: Client, url: str = "/households/") -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return sum('"django_session"' in q["sql"] for q in ctx.captured_queries)


def _key(client: Client) -> str:
    key = client.session.session_key
    assert key is not None
    return key


def _cached(session_key: str) -> Any:
    return caches["sessions"].get(KEY_PREFIX + session_key)


def test_signed_in_requests_read_the_session_from_redis(cached_sessions: str, clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    key = _key(client)
    _session_queries(client)  # the first request stamps the session (a write), later ones only read
    assert _cached(key) is not None
    assert _session_queries(client) == 0
    assert _session_queries(client) == 0
    # The copy expires within SESSION_CACHE_TTL, whatever the session's own 12-hour age.
    raw = redis.Redis.from_url(REDIS_URL)
    ttl = raw.ttl(caches["sessions"].make_and_validate_key(KEY_PREFIX + key))
    raw.close()
    assert 0 < ttl <= cache_module.SESSION_CACHE_TTL


def test_logout_removes_the_cached_copy(cached_sessions: str, clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    key = _key(client)
    _session_queries(client)
    assert _cached(key) is not None
    stolen = Client()
    stolen.cookies["sessionid"] = key
    client.post("/accounts/logout/")
    assert _cached(key) is None
    assert not Session.objects.filter(session_key=key).exists()
    response = stolen.get("/households/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_disabling_a_user_ends_the_cached_session_at_once(cached_sessions: str, clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    key = _key(client)
    _session_queries(client)
    assert _cached(key) is not None
    assert end_user_sessions(clerk_a) == 1
    assert _cached(key) is None
    response = client.get("/households/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_redis_down_reads_postgresql_and_clears_what_it_could_not_delete(
    cached_sessions: str, settings: Any, clerk_a: User
) -> None:
    client = Client()
    client.force_login(clerk_a)
    key = _key(client)
    _session_queries(client)
    up = caches["sessions"]
    made_key = up.make_and_validate_key(KEY_PREFIX + key)
    assert _cached(key) is not None

    # Redis unreachable: pages still work, the session comes from PostgreSQL.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": _sessions_cache(DOWN_URL, cached_sessions),
    }
    assert _session_queries(client) >= 1
    # Ending the user's sessions during the outage: the row goes at once, the Redis copy is remembered…
    cache_module._session_state["down_until"] = 0.0
    assert end_user_sessions(clerk_a) == 1
    assert made_key in cache_module._session_state["pending"]
    raw = redis.Redis.from_url(REDIS_URL)
    assert raw.exists(made_key) == 1  # the copy the outage left behind (Redis kept its data)

    # …and deleted by the first call that reaches Redis again, before that call reads anything.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": _sessions_cache(REDIS_URL, cached_sessions),
    }
    cache_module._session_state["down_until"] = 0.0  # RETRY_AFTER elapsed
    response = client.get("/households/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert raw.exists(made_key) == 0
    assert not cache_module._session_state["pending"]
    raw.close()
