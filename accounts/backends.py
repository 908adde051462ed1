"""Authentication backend of the staff site: Django's ModelBackend, loading the signed-in user
together with their region — and, with Redis, keeping that pair beside the session.

Every page shows the user's street/district (``base.html``: ``user.region.name``) and every scoped
query reads ``user.region_id``: one query for the session's user instead of two on every request.
With ``REDIS_URL`` (settings ``AUTH_USER_CACHE``) not even that: the user row is read from the cache
the sessions use (hefei_aid/cache.py ``SessionRedisCache``: a copy lives at most 60 s, a delete
that could not reach Redis is replayed when it is back). Saving or deleting a user or a region
deletes the copies concerned (``forget_cached_users``, from accounts/signals.py), so a changed role,
a disabled account or a new password is seen on the next request; the copy never holds what a
request computed (it is stored as read, before any permission check fills its caches).
django-axes stays first in ``AUTHENTICATION_BACKENDS`` (lockout); this replaces
``django.contrib.auth.backends.ModelBackend`` after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import BaseCache, caches
from django.db import transaction

from accounts.models import User


def _cache() -> BaseCache | None:
    alias = getattr(settings, "AUTH_USER_CACHE", None)
    return caches[alias] if alias else None


def _key(user_id: Any) -> str:
    return f"auth-user:{user_id}"


def forget_cached_users(user_ids: Iterable[Any]) -> None:
    """Delete the cached rows now and again when the transaction commits: a request that read the
    old row between the two (the change not yet committed) cannot leave its copy behind."""
    cache = _cache()
    if cache is None:
        return
    keys = [_key(user_id) for user_id in user_ids]

    def forget() -> None:
        for key in keys:
            cache.delete(key)

    forget()
    transaction.on_commit(forget)


class RegionModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        cache = _cache()
        user = cache.get(_key(user_id)) if cache is not None else None
        if not isinstance(user, User):
            try:
                user = User._default_manager.select_related("region").get(pk=user_id)
            except User.DoesNotExist:
                return None
            if cache is not None:
                cache.set(_key(user_id), user)
        return user if self.user_can_authenticate(user) else None
