"""accounts/authentication.py: DRF's token authentication with the lookup compiled once — same
answers and messages."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.authentication import _TOKEN
from accounts.models import User

EVALUATE = "/api/v1/eligibility/evaluate/"


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.django_db
def test_tokens_of_two_users_then_a_wrong_an_odd_and_an_inactive_one(clerk_a: User, clerk_b: User) -> None:
    first, second = Token.objects.create(user=clerk_a), Token.objects.create(user=clerk_b)
    for token, user in ((first, clerk_a), (second, clerk_b), (first, clerk_a)):
        response = _client(token.key).get("/api/v1/households/")
        assert response.status_code == 200
        assert response.wsgi_request.user == user  # type: ignore[attr-defined]
    assert any(hasattr(entry, "sql") for entry in _TOKEN._entries.values())  # the lookup was frozen
    wrong = _client("0" * 40).get("/api/v1/households/")
    assert wrong.status_code in (401, 403) and wrong.json()["detail"] == gettext("Invalid token.") == "认证令牌无效。"
    odd = _client("abc").get("/api/v1/households/")  # not 40 characters: DRF's own lookup
    assert odd.status_code in (401, 403) and odd.json()["detail"] == gettext("Invalid token.")
    User.objects.filter(pk=clerk_b.pk).update(is_active=False)
    inactive = _client(second.key).get("/api/v1/households/")
    assert inactive.status_code in (401, 403) and inactive.json()["detail"] == gettext("User inactive or deleted.")
