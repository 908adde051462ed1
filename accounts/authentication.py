"""DRF's token authentication with its lookup compiled once (accounts/frozen.py).

Other departments' systems call the API with ``Authorization: Token <key>``; DRF looks the key up
with ``Token.objects.select_related("user").get(key=key)``, compiling that statement on every call
(≈ 1.5 % of a web worker's CPU under the load bench, where evaluate and intake are API calls).
Same answers and messages as DRF's own class.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from accounts.frozen import FrozenQuery

KEY_LENGTH = 40  # DRF's keys; another length is looked up as usual (and never found)


def _token(token_key: str) -> QuerySet[Token]:
    return Token.objects.select_related("user").filter(key=token_key)[:2]


_TOKEN: FrozenQuery[Token] = FrozenQuery(_token)


class FrozenTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        if len(key) != KEY_LENGTH:
            return super().authenticate_credentials(key)  # type: ignore[no-any-return]
        found = _TOKEN.rows("token", token_key=key)
        if len(found) != 1:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = found[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
