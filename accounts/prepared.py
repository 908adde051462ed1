"""Server-side prepared statements for the SELECTs of a page (``PreparedStatementsMiddleware``).

PostgreSQL parses, analyses and plans every statement psycopg2 sends, and psycopg2 (unlike
psycopg 3) cannot ask it to keep a statement. The pages of the load mix send the same few SELECTs
over and over, only their values change; parsing and planning them was ≈ a third of PostgreSQL's
CPU per request (the case page's one large statement alone ≈ 1.1 ms of planning). So while a GET
request is served, each SELECT the ORM sends is turned into ``PREPARE sN AS …`` once per
database connection, then ``EXECUTE sN(values)``: PostgreSQL keeps the parse tree and, after five
executions, a generic plan when that plan costs no more than the custom ones (``plan_cache_mode``
auto).

Rules that keep this safe:
- only outside a transaction (autocommit): a PREPARE or EXECUTE that fails there affects nothing
  else, and the statement is then sent as it was and never prepared again on that connection;
- at most ``LIMIT`` statements per connection (a statement whose text varies, e.g. an ``IN`` list
  of a varying length, would otherwise keep adding more), then statements are sent as they are;
- a new connection starts with none (``connection_created``); ``CONN_MAX_AGE`` bounds how long a
  connection keeps them. (Behind PgBouncer in transaction mode prepared statements do not work:
  leave the middleware out there.)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("hefei_aid.prepared")

LIMIT = 300  # prepared statements per connection
_UNPREPARABLE = ""  # marks a statement PostgreSQL would not prepare (e.g. a parameter without a type)
_PLACEHOLDER = re.compile(r"%[s%]")


def dollar_placeholders(sql: str) -> tuple[str, int]:
    """The psycopg2 statement ``sql`` (``%s`` placeholders, ``%%`` for a percent sign) with
    PostgreSQL's ``$1 … $n``, and n."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(replace, sql), count


def _statements(connection: Any) -> dict[str, str]:
    statements = getattr(connection, "_prepared_statements", None)
    if statements is None:
        statements = connection._prepared_statements = {}
    return statements


def _forget(sender: Any, connection: Any, **kwargs: Any) -> None:
    connection._prepared_statements = {}


connection_created.connect(_forget)


def prepared_execute(
    execute: Callable[..., Any], sql: str, params: Sequence[Any] | None, many: bool, context: dict[str, Any]
) -> Any:
    """A ``connection.execute_wrapper``: a SELECT sent outside a transaction runs as a prepared statement."""
    connection = context["connection"]
    if many or params is None or connection.in_atomic_block or not sql.startswith("SELECT"):
        return execute(sql, params, many, context)
    if getattr(context["cursor"].cursor, "name", None):  # a server-side cursor declares a SELECT, not an EXECUTE
        return execute(sql, params, many, context)
    statements = _statements(connection)
    name = statements.get(sql)
    if name is None:
        if len(statements) >= LIMIT:
            return execute(sql, params, many, context)
        text, count = dollar_placeholders(sql)
        if count != len(params):
            statements[sql] = _UNPREPARABLE
            return execute(sql, params, many, context)
        name = f"s{len(statements)}"
        try:
            execute(f"PREPARE {name} AS {text}", None, False, context)
        except DatabaseError as exc:
            logger.info("statement not prepared (%s): %.120s", type(exc).__name__, sql)
            statements[sql] = _UNPREPARABLE
            return execute(sql, params, many, context)
        statements[sql] = name
    elif name == _UNPREPARABLE:
        return execute(sql, params, many, context)
    values = ", ".join(["%s"] * len(params))
    try:
        return execute(f"EXECUTE {name}({values})" if params else f"EXECUTE {name}", params, many, context)
    except DatabaseError as exc:
        # A value PostgreSQL would not coerce to the prepared parameter's type: send it as it was.
        logger.info("prepared statement failed (%s), sent unprepared: %.120s", type(exc).__name__, sql)
        statements[sql] = _UNPREPARABLE
        return execute(sql, params, many, context)


class PreparedStatementsMiddleware:
    """GET and HEAD requests read through prepared statements (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        connection = connections["default"]
        if connection.vendor != "postgresql":
            return self.get_response(request)
        with connection.execute_wrapper(prepared_execute):
            return self.get_response(request)
