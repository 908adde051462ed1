"""accounts/prepared.py: GET requests read through server-side prepared statements, safely."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from accounts.models import Region, User
from accounts.prepared import LIMIT, dollar_placeholders, prepared_execute
from tests.casework.reference_data import ALL_APPS


def _prepared_on_this_connection() -> dict[str, tuple[str, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {name: (text, generic, custom) for name, text, generic, custom in cursor.fetchall()}


def test_placeholders_become_numbered_and_escaped_percent_signs_single() -> None:
    assert dollar_placeholders("SELECT \"a\" FROM t WHERE x = %s AND y LIKE '%%b' AND z IN (%s, %s)") == (
        "SELECT \"a\" FROM t WHERE x = $1 AND y LIKE '%b' AND z IN ($2, $3)",
        3,
    )
    assert dollar_placeholders("SELECT 1") == ("SELECT 1", 0)


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_a_select_outside_a_transaction_is_prepared_once_and_then_executed() -> None:
    connection.close()  # a fresh connection: nothing prepared yet
    with connection.execute_wrapper(prepared_execute):
        first = list(Region.objects.filter(code__startswith="3401").order_by("code").values_list("code", flat=True))
        for _ in range(6):
            again = list(Region.objects.filter(code__startswith="3401").order_by("code").values_list("code", flat=True))
        other = Region.objects.filter(code="340104").values_list("name", flat=True).first()
    assert first and again == first and all(code.startswith("3401") for code in first)
    assert other is not None
    statements = _prepared_on_this_connection()
    region_queries = [s for s in statements.values() if "accounts_region" in s[0]]
    assert len(region_queries) == 2  # one per statement text, whatever the values
    by_text = {text: generic + custom for text, generic, custom in region_queries}
    assert sorted(by_text.values()) == [1, 7]
    assert all("$1" in text for text in by_text)


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_inside_a_transaction_nothing_is_prepared() -> None:
    connection.close()
    with connection.execute_wrapper(prepared_execute), transaction.atomic():
        assert Region.objects.filter(code="340104").exists()
    assert _prepared_on_this_connection() == {}


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_a_statement_postgresql_cannot_prepare_or_execute_is_sent_as_it_was() -> None:
    connection.close()
    with connection.execute_wrapper(prepared_execute):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s IS NULL", [None])  # PREPARE fails: $1 has no type
            assert cursor.fetchone() == (True,)
            cursor.execute("SELECT code FROM accounts_region WHERE code = %s", ["340104"])
            assert cursor.fetchone() == ("340104",)
            cursor.execute("DEALLOCATE ALL")  # behind the wrapper's back: EXECUTE now fails
            cursor.execute("SELECT code FROM accounts_region WHERE code = %s", ["340104"])
            assert cursor.fetchone() == ("340104",)  # sent unprepared instead
            cursor.execute("SELECT code FROM accounts_region WHERE code = %s", ["340111"])
            assert cursor.fetchone() == ("340111",)
    statements: dict[str, str] = connection._prepared_statements  # type: ignore[attr-defined]
    assert (
        statements["SELECT %s IS NULL"] == "" and statements["SELECT code FROM accounts_region WHERE code = %s"] == ""
    )
    assert _prepared_on_this_connection() == {}


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_server_side_cursors_and_the_per_connection_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    connection.close()
    monkeypatch.setattr("accounts.prepared.LIMIT", 2)
    with connection.execute_wrapper(prepared_execute):
        codes = [r.code for r in Region.objects.filter(code__startswith="3401").iterator(chunk_size=5)]
        for n in range(4):
            assert Region.objects.filter(code__startswith="3401")[n : n + 1].exists()
    assert codes
    assert len(_prepared_on_this_connection()) == 2 < LIMIT


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_a_page_is_read_through_prepared_statements_and_a_post_is_not(clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    connection.close()
    for _ in range(3):
        response = client.get("/cases/")
        assert response.status_code == 200 and "待办案件" in response.content.decode()
    statements = _prepared_on_this_connection()
    assert any("casework_case" in text for text, _g, _c in statements.values())
    executed: Any = max(generic + custom for _t, generic, custom in statements.values())
    assert executed >= 3
    connection.close()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert _prepared_on_this_connection() == {}
