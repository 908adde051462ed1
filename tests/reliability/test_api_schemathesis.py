"""Schemathesis against ``/api/schema/``: no 5xx, no response that breaks the schema, auth never ignored.

The schema is loaded from the Django WSGI application itself (no server) and every operation is called
through that application, in the pytest-django test database holding the demo data (``load_demo``:
the same households, cases in every status, enrolments, rolls, plans and charity ledger as ``make run``).

- Stateless phase: every operation, positive and negative data, once per persona (street clerk, street
  reviewer, county supervisor; ``Authorization: Token …``). Each call runs in a savepoint rolled back
  afterwards, so every example starts from the same demo state (deterministic, and a failing write
  cannot poison the next example).
- Checks: ``not_a_server_error``, ``response_schema_conformance``, ``content_type_conformance`` and an
  explicit :func:`credentials_required` (schemathesis' ``ignored_auth`` made stricter and cheaper): the
  same request without credentials, and with an unknown token, must answer 401/403 whatever the
  authenticated answer was; probed once per operation.
- Real records: random ids mostly miss, so the first listed demo record of every kind is also read by
  its id (``GET …/{id}/``) and checked the same way, as a clerk and as a supervisor.
- Stateful phase: schemathesis' state machine over the links it infers from the schema (drf-spectacular
  emits none; schemathesis 4 derives them from the ``{id}`` parameters and the response bodies), as a
  county supervisor, each scenario in a savepoint.

Bounded for CI: derandomized Hypothesis (fixed seed), no example database, a few examples per operation;
the whole module stays under three minutes on the 2-core machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, settings
from requests.structures import CaseInsensitiveDict
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from accounts.models import User

PERSONAS = ["clerk_a", "reviewer_a", "supervisor_shushan"]
STATEFUL_PERSONA = "supervisor_shushan"
MAX_EXAMPLES = 4  # per operation and persona (positive and negative data mixed)
STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 6
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class AuthIgnored(Failure):
    """A request without (valid) credentials was not refused with 401/403."""

    code = "ST991"
    kind_title = "Authentication ignored"


_AUTH_VERIFIED: set[str] = set()  # operations already probed (auth does not depend on the example)


@schemathesis.check
def credentials_required(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """The same request with no credentials, then with an unknown token, must answer 401 or 403.

    Probed once per operation (with its first example whose path reaches a view): DRF checks
    authentication and permissions before it parses anything else, so one probe is conclusive.
    """
    label = case.operation.label
    if label in _AUTH_VERIFIED:
        return None
    if not _routes(case.formatted_path):
        return None  # a generated path parameter no URL pattern matches: Django's 404 before any view
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in {"authorization", "cookie"}}
    for name, extra in (("no credentials", {}), ("an unknown token", {"Authorization": "Token " + "0" * 40})):
        probe = case.derive(headers=CaseInsensitiveDict({**headers, **extra}), cookies={})
        with transaction.atomic():
            anonymous = probe.call()
            transaction.set_rollback(True)
        if anonymous.status_code not in (401, 403):
            raise AuthIgnored(
                operation=label,
                message=f"Expected 401 or 403 with {name}, got {anonymous.status_code} "
                f"(authenticated: {response.status_code}) for {label} {case.formatted_path}",
            )
    _AUTH_VERIFIED.add(label)
    return True


CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    credentials_required,
]


def _routes(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@pytest.fixture(scope="module")
def demo_tokens(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """The demo data, loaded once for the module inside a transaction rolled back at the end.

    Each test's own ``db`` transaction nests as a savepoint inside it. Django's WSGI handler closes
    "old" connections at request start and end; inside a transaction that would drop the test
    transaction, so (as Django's test client does) that receiver is disconnected for the module.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
            call_command("load_demo", quiet_accounts=True, verbosity=0)
            tokens = {name: Token.objects.create(user=User.objects.get(username=name)).key for name in PERSONAS}
        yield tokens
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _load_schema() -> schemathesis.BaseSchema:
    """The schema as the running application serves it (collection time: no database needed)."""
    from hefei_aid.wsgi import application

    assert isinstance(application, WSGIHandler)
    loaded = schemathesis.openapi.from_wsgi("/api/schema/", application)
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
        with_security_parameters=False,
    )
    return loaded


schema = _load_schema()


@pytest.fixture(params=PERSONAS)
def persona(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def auth_headers(persona: str, demo_tokens: dict[str, str], db: None) -> dict[str, str]:
    return {"Authorization": f"Token {demo_tokens[persona]}"}


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],  # no explicit phase: it would add the (exhaustive, slow) coverage phase
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_as_each_persona(case: schemathesis.Case, auth_headers: dict[str, str]) -> None:
    """Stateless: every operation, positive and negative inputs; each call rolled back."""
    with transaction.atomic():
        try:
            case.call_and_validate(headers=auth_headers, checks=CHECKS)
        finally:
            transaction.set_rollback(True)


@pytest.mark.django_db
def test_stateful_links(demo_tokens: dict[str, str]) -> None:
    """Stateful: sequences along the inferred links (create → read → act on the created record)."""
    headers = {"Authorization": f"Token {demo_tokens[STATEFUL_PERSONA]}"}
    statuses: dict[str, list[int]] = {}
    base = schema.as_state_machine()
    assert schema.statistic.transitions.total > 50, "schemathesis inferred no links to follow"

    class Workflow(base):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            self._scenario = transaction.atomic()
            self._scenario.__enter__()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self._scenario.__exit__(None, None, None)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": headers}

        def after_call(self, response: schemathesis.Response, case: schemathesis.Case) -> None:
            super().after_call(response, case)
            statuses.setdefault(case.operation.label, []).append(response.status_code)

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, headers=headers, transport_kwargs=kwargs)

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
    )
    # The scenarios really followed links: records created or listed, then read or acted on by id.
    by_id = {label: codes for label, codes in statuses.items() if "{" in label}
    followed = sum(1 for codes in by_id.values() for code in codes if 200 <= code < 300)
    print(f"stateful: {sum(map(len, statuses.values()))} calls, {len(statuses)} operations, {followed} 2xx by id")
    assert followed >= 5, statuses


def _detail_paths() -> list[str]:
    """``/api/v1/<things>/{id}/`` read operations whose list ``/api/v1/<things>/`` can also be read."""
    paths = schema.raw_schema["paths"]
    return sorted(
        path
        for path, item in paths.items()
        if path.endswith("/{id}/") and "get" in item and "get" in paths.get(path[: -len("{id}/")], {})
    )


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["clerk_a", "supervisor_shushan"])
def test_a_real_record_of_every_kind_conforms(persona: str, demo_tokens: dict[str, str]) -> None:
    """Random ids mostly miss: read the first listed demo record of every kind by its id, and check it."""
    headers = {"Authorization": f"Token {demo_tokens[persona]}"}
    read = []
    for path in _detail_paths():
        listing = schema[path[: -len("{id}/")]]["GET"].Case().call_and_validate(headers=headers, checks=CHECKS)
        data = listing.json()
        rows = data.get("results", []) if isinstance(data, dict) else data
        if listing.status_code != 200 or not rows or "id" not in rows[0]:
            continue
        detail = schema[path]["GET"].Case(path_parameters={"id": rows[0]["id"]})
        response = detail.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code == 200, (path, response.status_code)
        read.append(path)
    print(f"{persona}: {len(read)} kinds of record read by id")
    assert len(read) >= 10, read


def test_every_operation_declares_authentication() -> None:
    """The schema itself never offers an anonymous way in (an operation with ``{}`` in its security)."""
    raw = schema.raw_schema
    default = raw.get("security", [])
    operations = [
        (f"{method.upper()} {path}", op.get("security", default))
        for path, item in raw["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 100
    anonymous = [label for label, security in operations if not security or {} in security]
    assert anonymous == []
    # Staff operations accept the staff token; the department interface has its own credential.
    other = sorted(label for label, security in operations if {"tokenAuth": []} not in security)
    assert all("/api/v1/departments/" in label for label in other), other
