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
from django.urls import reverse

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


# --- the signed-in user's row, kept beside the session (accounts/backends.py) ----------------------


@pytest.fixture
def cached_users(cached_sessions: str, settings: Any) -> str:
    settings.AUTH_USER_CACHE = "sessions"
    return cached_sessions


def _user_queries(client: Client, url: str = "/households/") -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return sum('FROM "accounts_user"' in q["sql"] for q in ctx.captured_queries), response.content.decode()


def test_the_user_row_is_read_once_then_from_the_cache(cached_users: str, clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    assert _user_queries(client)[0] == 1
    queries, html = _user_queries(client)
    assert queries == 0 and clerk_a.display_name in html and "三里庵街道" in html
    raw = redis.Redis.from_url(REDIS_URL)
    ttl = raw.ttl(caches["sessions"].make_and_validate_key(f"auth-user:{clerk_a.pk}"))
    raw.close()
    assert 0 < ttl <= cache_module.SESSION_CACHE_TTL


def test_a_changed_role_region_or_password_is_seen_on_the_next_request(
    cached_users: str, clerk_a: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.force_login(clerk_a)
    assert f'href="{reverse("intake")}"' in _user_queries(client)[1]
    assert _user_queries(client)[0] == 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        clerk_a.role = "reviewer"
        clerk_a.save(update_fields=["role"])
    assert callbacks  # deleted again at commit
    queries, html = _user_queries(client)
    assert queries == 1 and f'href="{reverse("intake")}"' not in html  # the reviewer's menu: no intake entry
    assert clerk_a.region is not None
    region = clerk_a.region
    region.name = "三里庵街道(更名)"
    region.save(update_fields=["name"])
    queries, html = _user_queries(client)
    assert queries == 1 and "三里庵街道(更名)" in html
    clerk_a.set_password("a-new-password-for-the-test")
    clerk_a.save()
    response = client.get("/households/")  # the session's password hash no longer matches
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_disabled_or_deleted_user_is_not_served_from_the_cache(cached_users: str, clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    _user_queries(client)
    key = f"auth-user:{clerk_a.pk}"
    assert isinstance(caches["sessions"].get(key), User)
    clerk_a.is_active = False
    clerk_a.save()
    assert caches["sessions"].get(key) is None
    response = client.get("/households/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    clerk_a.is_active = True
    clerk_a.save()
    client.force_login(clerk_a)
    _user_queries(client)
    assert isinstance(caches["sessions"].get(key), User)
    User.objects.filter(pk=clerk_a.pk).delete()
    assert caches["sessions"].get(key) is None


def test_without_the_setting_nothing_is_kept(cached_sessions: str, clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    _user_queries(client)
    assert _user_queries(client)[0] == 1
    assert caches["sessions"].get(f"auth-user:{clerk_a.pk}") is None
