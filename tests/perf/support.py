"""Shared by the query-budget tests: a signed-in client and the SQL statements of a block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User


def signed_in_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.get("/households/")  # first request of the session: remembers "no TOTP device"
    return client


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL of the block, filled in when the block ends."""
    sqls: list[str] = []
    with CaptureQueriesContext(connection) as ctx:
        yield sqls
    sqls.extend(q["sql"] for q in ctx.captured_queries)


def get_with_statements(client: Client, url: str) -> tuple[Any, list[str]]:
    with statements() as sqls:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response, sqls
