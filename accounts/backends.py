"""Authentication backend of the staff site: Django's ModelBackend, loading the signed-in user
together with their region.

Every page shows the user's street/district (``base.html``: ``user.region.name``) and every scoped
query reads ``user.region_id``: one query for the session's user instead of two on every request.
django-axes stays first in ``AUTHENTICATION_BACKENDS`` (lockout); this replaces
``django.contrib.auth.backends.ModelBackend`` after it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class RegionModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        try:
            user = User._default_manager.select_related("region").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
