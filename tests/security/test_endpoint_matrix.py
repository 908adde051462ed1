"""Object-level authorisation for every endpoint × persona (issue 8).

1. The URL conf and the OpenAPI schema are walked; every route and every (path, method) must have an
   entry in ``tests/security/endpoint_matrix.py`` — a new endpoint without one fails here, and so
   does an entry whose endpoint no longer exists.
2. One generated case per (entry, method, persona): the persona requests the street-A record of the
   entry (built once per module from the demo data, see conftest.py) and the result is checked
   against the entry's ``allow`` set — see the module docstring of endpoint_matrix.py for the rules.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.security import endpoint_matrix as matrix
from tests.security.matrix_support import (
    ALL_PERSONAS,
    ANONYMOUS,
    MISSING_PK,
    World,
    fingerprint,
    is_login_redirect,
    openapi_operations,
    schema_body,
    send,
    walk_urlconf,
)

pytestmark = pytest.mark.django_db  # (the marker also makes pytest-django create the test database)

REFUSED = {401, 403, 404}


# ---------------------------------------------------------------------------------------------
# 1. Completeness: URL conf and OpenAPI against the registry
# ---------------------------------------------------------------------------------------------


def _skipped(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in matrix.SKIPPED)


def test_every_url_pattern_has_a_registry_entry() -> None:
    routes = {route for route in walk_urlconf() if not _skipped(route)}
    registered = {entry.path for entry in matrix.REGISTRY}
    missing = sorted(routes - registered)
    stale = sorted(registered - routes)
    assert not missing, (
        "new endpoint without a scoping test — add it to tests/security/endpoint_matrix.py:\n"
        + "\n".join(f"  {route}  ({walk_urlconf()[route]})" for route in missing)
    )
    assert not stale, "registry entries whose endpoint no longer exists:\n" + "\n".join(stale)


def test_every_openapi_operation_has_a_registry_entry() -> None:
    operations = openapi_operations()
    registered = {(entry.path, method) for entry in matrix.REGISTRY if entry.api for method in entry.allow}
    missing = sorted(operations - registered)
    assert not missing, "OpenAPI operations without a scoping test:\n" + "\n".join(f"  {m} {p}" for p, m in missing)
    api_paths = {path for path, _ in operations}
    stale = sorted((p, m) for p, m in registered - operations if p in api_paths)
    assert not stale, "registry methods the schema does not document:\n" + "\n".join(f"  {m} {p}" for p, m in stale)


def test_registry_has_no_placeholders_and_known_personas() -> None:
    for entry in matrix.REGISTRY:
        for method, personas in entry.allow.items():
            assert personas <= set(ALL_PERSONAS), (entry.id, method, personas - set(ALL_PERSONAS))
        if entry.obj:  # every record kind says who can see it (the others must not learn it exists)
            assert entry.obj in matrix.SEES, f"{entry.id}: add {entry.obj!r} to SEES"


# ---------------------------------------------------------------------------------------------
# 2. The matrix
# ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: int
    location: str
    listed: bool | None  # list endpoints: whether the street-A record is in the response
    missing_status: int | None  # same request on a non-existent id (object endpoints)
    changed: bool  # whether the database fingerprint moved


def url_of(entry: matrix.E, world: World, missing: bool = False) -> str:
    values: dict[str, Any] = dict(entry.kwargs)
    obj = world.objects.get(entry.obj) if entry.obj else None
    for name in re.findall(r"{(\w+)}", entry.path):
        if name in values:
            continue
        assert obj is not None, (entry.id, name)
        if name == "street":
            values[name] = "340104999" if missing else obj.street_id  # type: ignore[attr-defined]
        else:
            values[name] = MISSING_PK if missing else obj.pk
    return entry.path.format(**values)


def _is_listed(entry: matrix.E, world: World, response: Any) -> bool:
    assert entry.listed is not None
    obj = world.objects[entry.listed]
    if entry.api:
        body = response.json()
        if isinstance(body, dict):  # a page of results, or a report with one list of rows
            body = body.get("results") or next((v for v in body.values() if isinstance(v, list)), [])
        key, attr = entry.listed_by
        return any(isinstance(row, dict) and row.get(key) == getattr(obj, attr) for row in body)
    text = response.content.decode()
    marker = entry.marker(obj) if entry.marker else _default_marker(entry.listed, obj)
    return marker in text


PAGE_URLS = {
    "household": "/households/{}/",
    "application": "/intake/applications/{}/",
    "case": "/cases/{}/",
    "assigned_case": "/cases/{}/plan/",
    "emergency": "/emergencies/{}/",
    "facility": "/facilities/{}/",
    "stranded": "/stranded/{}/",
    "volunteer_task": "/volunteers/tasks/{}/",
    "enrolment": "/enrolments/{}/",
    "roll": "/payment-rolls/{}/",
    "review_task": "/review-tasks/{}/",
    "alert": "/monitoring/alerts/{}/",
    "handoff": "/charity/handoffs/{}/",
    "run": "/reverification/runs/{}/",
    "spot_check": "/spot-checks/{}/",
    "spot_item": "/spot-checks/items/{}/",
}


def _default_marker(key: str, obj: Any) -> str:
    return 'href="' + PAGE_URLS[key].format(obj.pk)


def observe(entry: matrix.E, method: str, persona: str, world: World, *, twin: bool = True) -> Outcome:
    """One request of ``persona``; for a write, whether the database moved; with ``twin``, the same
    request on a non-existent id (to compare: a refusal must not tell that the record exists)."""
    client = world.clients[persona]  # one Client per persona: its handler loads the middleware once
    cookies = copy.deepcopy(client.cookies)  # a logout (new session cookie) must not leak to the next test
    try:
        return _observe(client, entry, method, world, twin=twin)
    finally:
        client.cookies = cookies


def _observe(client: Client, entry: matrix.E, method: str, world: World, *, twin: bool) -> Outcome:
    obj = world.objects.get(entry.obj) if entry.obj else None
    data = entry.data(world) if entry.data else None
    if data is None and entry.api and method != "GET":
        data = schema_body(entry.path, method, world, obj)
    query = dict(entry.query)
    before = fingerprint(obj) if method != "GET" else None
    response = send(client, method, url_of(entry, world), data, entry.api, query)
    changed = before is not None and fingerprint(obj) != before
    listed = _is_listed(entry, world, response) if entry.listed and response.status_code == 200 else None
    missing_status = None
    if entry.obj and twin:
        missing_status = send(client, method, url_of(entry, world, missing=True), data, entry.api, query).status_code
    return Outcome(response.status_code, response.get("Location", ""), listed, missing_status, changed)


def _cases() -> list[Any]:
    cases = []
    for entry in matrix.REGISTRY:
        for method in entry.allow:
            for persona in ALL_PERSONAS:
                marks: list[Any] = []
                hole = entry.holes.get(f"{method} {persona}") or entry.holes.get(persona)
                if hole:
                    marks.append(pytest.mark.xfail(strict=True, reason="HOLE: " + hole))
                elif entry.bug and persona != ANONYMOUS:
                    marks.append(pytest.mark.xfail(strict=True, reason="BUG: " + entry.bug))
                cases.append(pytest.param(entry, method, persona, id=f"{method} {entry.id} {persona}", marks=marks))
    return cases


@pytest.mark.parametrize(("entry", "method", "persona"), _cases())
def test_matrix(entry: matrix.E, method: str, persona: str, matrix_world: World, db: None) -> None:
    allowed = persona in entry.allow[method]
    outsider = persona != ANONYMOUS and persona not in matrix.SEES.get(entry.obj or "", frozenset())
    out = observe(entry, method, persona, matrix_world, twin=bool(entry.obj) and outsider and not allowed)
    assert out.status < 500, f"{out.status} server error"
    if entry.department:
        assert out.status in {401, 403}, f"department interface answered {persona}'s session with {out.status}"
        assert not out.changed
        return
    if entry.public:  # open to anyone: only "no server error" (and no record of street A to leak)
        return
    if allowed:
        assert out.status not in REFUSED, f"{persona} must be allowed, got {out.status}"
        assert not is_login_redirect(_as_response(out)), f"{persona} sent to the login page"
        if method == "GET":
            assert out.status == 200, f"{persona} GET → {out.status} {out.location}"
            if entry.listed:
                assert out.listed, f"{persona} must see street A's {entry.listed} in the list"
        return
    # ---- refused ----
    assert not out.changed, f"{persona} was refused ({out.status}) but the database changed"
    if entry.listed and method == "GET" and out.status == 200:
        assert not out.listed, f"{persona} sees street A's {entry.listed} in the list"
        return
    if persona == ANONYMOUS:
        if entry.api:
            assert out.status in {401, 403}, f"anonymous got {out.status}"
        else:
            assert is_login_redirect(_as_response(out)), f"anonymous got {out.status} {out.location}"
        return
    if entry.obj and outsider:
        # outside the record's area: the same answer as for an id that does not exist
        assert out.status == out.missing_status, (
            f"existence oracle: {out.status} for street A's record, {out.missing_status} for a missing one"
        )
        assert out.status in REFUSED or out.status == 400, f"{persona} got {out.status} on another area's record"
    elif method == "GET":
        assert out.status in REFUSED or out.status == 302, f"{persona} GET → {out.status}"


def _as_response(out: Outcome) -> HttpResponse:
    response = HttpResponse(status=out.status)
    if out.location:
        response["Location"] = out.location
    return response


def test_department_interface_takes_department_tokens_only(matrix_world: World, db: None) -> None:
    """The department interface answers a department token; a staff session (matrix above), a staff
    DRF token and no credentials are refused; a department token opens nothing else."""
    from django.core.cache import cache
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from oversight import departments as svc
    from oversight.models import DepartmentClient

    cache.clear()  # the interface is rate-limited per client/IP
    url = "/api/v1/departments/recipient-status/"
    client = DepartmentClient.objects.create(
        code="matrix-test", name="矩阵测试部门", region_id="3401", allowed_tiers=["dibao", "low_income", "tekun"]
    )
    raw = svc.department_token_issue(client=client, actor=None)[1]
    body = {"id_number": matrix_world.objects["member"].id_number}  # type: ignore[attr-defined]

    department = APIClient()
    department.credentials(HTTP_AUTHORIZATION=f"Department {raw}")
    assert department.post(url, body, format="json").status_code == 200
    for other in ("/api/v1/cases/", "/api/v1/households/", "/api/v1/oversight/figures/"):
        assert department.get(other).status_code in {401, 403}, other

    staff_key = Token.objects.create(user=matrix_world.users["city_admin"]).key
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Token {staff_key}")
    assert staff.get("/api/v1/cases/").status_code == 200  # the staff token itself works...
    assert staff.post(url, body, format="json").status_code in {401, 403}  # ...but not here
    wrong_scheme = APIClient()
    wrong_scheme.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert wrong_scheme.post(url, body, format="json").status_code in {401, 403}
    assert APIClient().post(url, body, format="json").status_code in {401, 403}
    cache.clear()
