"""Django's Redis cache that keeps pages working while Redis is unreachable.

The cache holds nothing that must survive (rate-limit counters; sessions and django-axes are in
PostgreSQL — with Redis, sessions are also copied to it through ``SessionRedisCache`` below). When a Redis call fails to connect or times out, the call is answered by a process-local
memory cache instead, and Redis is not tried again for ``RETRY_AFTER`` seconds (so a down Redis costs
one short connect timeout per process every few seconds, not one per cache call). The failure is logged
at ERROR level once per outage window.

Consequence while Redis is down: rate limits are counted per gunicorn worker process instead of across
the whole site, i.e. a client can make up to (workers × limit) attempts per window. Counters kept in
Redis before the outage are ignored until it returns (fail-soft, never fail-open to an unlimited rate).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("hefei_aid.cache")

RETRY_AFTER = 5.0  # seconds without trying Redis after a failure
_state = {"down_until": 0.0}  # per process (shared by the per-thread cache instances)
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class ReusedClient(RedisCacheClient):
    """Django's Redis cache client, keeping one ``redis.Redis`` per connection pool.

    Django builds a new ``redis.Redis`` for every cache call, and its constructor fills a table of
    ≈ 200 response callbacks each time: under the load bench that was ≈ 0.1 ms of every signed-in
    request (the session read). A ``redis.Redis`` holds no connection of its own (the pool does) and
    is safe to share between threads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        this: Any = self  # the stubs do not declare RedisCacheClient's private helpers
        index = this._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = this._client(connection_pool=this._get_connection_pool(write))
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClient
        # One fallback store per process: LocMemCache instances with the same name share their data.
        self._fallback = LocMemCache("hefei-aid-redis-fallback", {"TIMEOUT": params.get("TIMEOUT", 300)})

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        now = time.monotonic()
        if now >= _state["down_until"]:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except _UNREACHABLE as exc:
                _state["down_until"] = now + RETRY_AFTER
                logger.error(
                    "Redis cache unreachable (%s: %s): using the process-local fallback for %.0f s",
                    type(exc).__name__,
                    exc,
                    RETRY_AFTER,
                )
        return getattr(self._fallback, name)(*args, **kwargs)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return bool(self._call("add", key, value, timeout, version))

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._call("get", key, default, version)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._call("set", key, value, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return bool(self._call("touch", key, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return bool(self._call("delete", key, version))

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return dict(self._call("get_many", keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return bool(self._call("has_key", key, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return int(self._call("incr", key, delta, version))

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        return list(self._call("set_many", data, timeout, version) or [])

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._call("delete_many", keys, version)

    def clear(self) -> None:
        self._call("clear")


# --- sessions ----------------------------------------------------------------------------------

SESSION_CACHE_TTL = 60  # seconds a session copy may be served from Redis before PostgreSQL is read again
_session_state: dict[str, Any] = {"down_until": 0.0, "pending": set()}


class SessionRedisCache(RedisCache):
    """The cache of ``django.contrib.sessions.backends.cached_db`` (settings ``SESSION_CACHE_ALIAS``).

    PostgreSQL stays the record of every session; Redis only saves the session query of each signed-in
    request. What must never happen is a copy in Redis outliving the row: a signed-out session, or one
    ended because its user was disabled (accounts.security.end_user_sessions), served again. So:

    - every copy lives at most ``SESSION_CACHE_TTL`` seconds, whatever the session's own expiry;
    - a read that cannot reach Redis is a miss (the session store then reads PostgreSQL);
    - a write or delete that cannot reach Redis remembers the key, and the first call that reaches
      Redis again deletes those keys before anything else, so a copy the outage left behind is gone
      as soon as this process sees Redis again (and at the latest after the TTL);
    - after a failure Redis is not tried again for ``RETRY_AFTER`` seconds.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClient

    def _up(self) -> bool:
        if time.monotonic() < _session_state["down_until"]:
            return False
        pending: set[str] = _session_state["pending"]
        if pending:
            try:
                self._cache.delete_many(list(pending))  # type: ignore[attr-defined]  # keys already made (prefix + version)
            except _UNREACHABLE as exc:
                self._down(exc)
                return False
            pending.clear()
        return True

    @staticmethod
    def _down(exc: BaseException, key: str | None = None) -> None:
        if key is not None:
            _session_state["pending"].add(key)
        if time.monotonic() >= _session_state["down_until"]:
            logger.error(
                "Redis session cache unreachable (%s: %s): sessions read from PostgreSQL", type(exc).__name__, exc
            )
        _session_state["down_until"] = time.monotonic() + RETRY_AFTER

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        if not self._up():
            return default
        try:
            return super().get(key, default, version)
        except _UNREACHABLE as exc:
            self._down(exc)
            return default

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        ttl = SESSION_CACHE_TTL if timeout in (DEFAULT_TIMEOUT, None) else max(0, min(int(timeout), SESSION_CACHE_TTL))
        if not self._up():
            self._down(ConnectionError("in the retry window"), self.make_and_validate_key(key, version))
            return
        try:
            super().set(key, value, ttl, version)
        except _UNREACHABLE as exc:
            self._down(exc, self.make_and_validate_key(key, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        if not self._up():
            self._down(ConnectionError("in the retry window"), self.make_and_validate_key(key, version))
            return False
        try:
            return bool(super().delete(key, version))
        except _UNREACHABLE as exc:
            self._down(exc, self.make_and_validate_key(key, version))
            return False

    def has_key(self, key: Any, version: int | None = None) -> bool:
        if not self._up():
            return False
        try:
            return bool(super().has_key(key, version))
        except _UNREACHABLE as exc:
            self._down(exc)
            return False
