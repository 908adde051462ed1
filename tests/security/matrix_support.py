"""Machinery of the endpoint × persona authorisation matrix (tests/security/test_endpoint_matrix.py).

* ``walk_urlconf()`` / ``openapi_operations()`` enumerate what the project serves.
* ``build_world()`` loads the demo data set once per module (three streets of 蜀山区/包河区 and one of
  肥西县 with every kind of record) plus the personas of tests/conftest.py, and picks in street A
  (340104001, 蜀山区 三里庵街道) one object of each kind the registry refers to.
* ``fingerprint()`` / ``classify()`` turn a response into what the matrix asserts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import AuditLog, Role, User
from tests.support import STREET_A

COUNTY_A = STREET_A[:6]  # 340104 蜀山区
MISSING_PK = 987654321  # never an id of the test database: the "does not exist" twin of every object URL

# persona → (username, role, region, extra). The usernames of the street/county staff are the ones of
# tests/conftest.py (and of the demo data, which uses the same names and regions).
PERSONAS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "clerk_a": ("clerk_a", Role.CLERK, STREET_A, {}),
    "reviewer_a": ("reviewer_a", Role.REVIEWER, STREET_A, {}),
    "approver_a": ("approver_a", Role.APPROVER, STREET_A, {"can_reveal_ids": True}),
    "social_worker_a": ("socialworker_a", Role.SOCIAL_WORKER, STREET_A, {}),
    "clerk_b": ("clerk_b", Role.CLERK, "340104002", {}),
    "supervisor_shushan": ("supervisor_shushan", Role.SUPERVISOR, COUNTY_A, {"can_reveal_ids": True}),
    "supervisor_feixi": ("supervisor_feixi", Role.SUPERVISOR, "340123", {}),
    "city_admin": ("city_admin", Role.ADMIN, "3401", {"is_staff": True}),
    "charity_shushan": ("charity_shushan", Role.CHARITY, COUNTY_A, {}),
    "charity_feixi": ("charity_feixi", Role.CHARITY, "340123", {}),
}
ANONYMOUS = "anonymous"
ALL_PERSONAS: tuple[str, ...] = (ANONYMOUS, *PERSONAS)


def in_area_of_a(persona: str) -> bool:
    """Whether the persona's region contains street A (a street-A object is inside their scope)."""
    if persona == ANONYMOUS:
        return False
    region = PERSONAS[persona][2]
    return STREET_A.startswith(region)


# ---------------------------------------------------------------------------------------------
# Enumeration: URL conf and OpenAPI
# ---------------------------------------------------------------------------------------------

_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def normalise(route: str) -> str:
    """``api/v1/^cases/(?P<pk>[^/.]+)/check/$`` → ``/api/v1/cases/{pk}/check/``;
    ``cases/<int:pk>/`` → ``/cases/{pk}/``; a DRF format suffix becomes ``.{format}``."""
    route = route.replace("^", "").replace("$", "")
    route = route.replace(r"\.", ".").replace("/?", "")
    route = _NAMED_GROUP.sub(lambda m: "{" + m.group(1) + "}", route)
    route = _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", route)
    return "/" + route


def walk_urlconf() -> dict[str, str]:
    """Every URL pattern of the project: normalised route → dotted name of its view."""
    found: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, Any]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    for route, callback in walk(get_resolver().url_patterns, ""):
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback
        found[normalise(route)] = f"{view.__module__}.{getattr(view, '__qualname__', view.__class__.__name__)}"
    return found


_SCHEMA: dict[str, Any] = {}


def openapi_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    if not _SCHEMA:
        _SCHEMA.update(SchemaGenerator().get_schema(request=None, public=True))
    return _SCHEMA


def _reference_ids(world: World | None, obj: Any) -> dict[str, int]:
    """Ids for the body's reference fields: street A's records of the world (never a bare ``1``,
    which names some other row once earlier tests have advanced the sequences)."""
    if world is None:
        return {}
    from applications.models import Member

    refs: dict[str, int] = {"social_worker": world.users["social_worker_a"].pk}
    case = obj if obj is not None and obj._meta.model_name == "case" else world.objects.get("case")
    if case is not None:
        refs["case"] = case.pk
    household_id = getattr(obj, "household_id", None) or getattr(case, "household_id", None)
    member = Member.objects.filter(household_id=household_id, active=True).order_by("id").first()
    if member is not None:
        refs["member"] = member.pk
    fund = world.objects.get("fund")
    if fund is not None:
        refs.update(fund=fund.pk, from_fund=fund.pk, to_fund=fund.pk)
    contract = world.objects.get("service_contract")
    if contract is not None:
        refs["contract"] = contract.pk
        service = contract.services.order_by("id").first()  # type: ignore[attr-defined]
        if service is not None:
            refs["service"] = service.pk
    return refs


def schema_body(path: str, method: str, world: World | None = None, obj: Any = None) -> dict[str, Any] | None:
    """A minimal request body that passes the documented serializer (required fields, plausible
    values, reference fields pointing at street A's records of the world), so that a write reaches
    its object lookup and its role check instead of stopping at 400 or at a 404 of the referenced row."""
    import datetime as dt

    refs = _reference_ids(world, obj)

    schema = openapi_schema()
    operation = schema["paths"].get(path.replace("{pk}", "{id}"), {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    if body is None:
        return None
    components = schema["components"]["schemas"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node or "allOf" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else node["allOf"][0]
        return node

    def value(node: dict[str, Any]) -> Any:
        node = resolve(node)
        if "enum" in node:
            return next(v for v in node["enum"] if v not in ("", None))
        kind, fmt = node.get("type"), node.get("format")
        if kind == "object":
            return {
                k: refs[k] if k in refs else value(v)
                for k, v in node.get("properties", {}).items()
                if k in node.get("required", [])
            }
        if kind == "array":
            return []
        if kind == "boolean":
            return True
        if kind in {"integer", "number"}:
            return 1
        if fmt == "date":
            return dt.date.today().isoformat()
        if fmt == "decimal":
            return "1.00"
        return "矩阵越权测试"

    result = value(body)
    return result if isinstance(result, dict) else None


def openapi_operations() -> set[tuple[str, str]]:
    """Every (path, METHOD) of the OpenAPI schema (``{id}`` written ``{pk}`` like the URL conf)."""
    schema = openapi_schema()
    ops: set[tuple[str, str]] = set()
    for path, item in schema["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.add((path.replace("{id}", "{pk}"), method.upper()))
    return ops


# ---------------------------------------------------------------------------------------------
# The world: demo data + personas, built once per module inside a transaction that is rolled back
# ---------------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    objects: dict[str, models.Model] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)  # signed in once (sessions live in the world)


def _personas() -> dict[str, User]:
    users: dict[str, User] = {}
    for persona, (username, role, region, extra) in PERSONAS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username, password="pw-Test-12345", role=role, region_id=region, full_name=username, **extra
            )
        assert (user.role, user.region_id) == (role, region), persona
        users[persona] = user
    return users


def build_world() -> World:
    from django.db import connection
    from django.test import override_settings

    from accounts.demo import load_app_demos, load_staff

    # never on a real database: the world is only ever built in pytest-django's test database
    assert connection.settings_dict["NAME"].startswith("test_"), connection.settings_dict["NAME"]

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        context = load_staff()
        load_app_demos(context, ("applications", "eligibility", "casework", "charity", "oversight"))
        world = World(users=_personas())
    absent = []
    for key, finder in _finders().items():
        obj = finder(world)
        if obj is None:
            absent.append(key)
        else:
            world.objects[key] = obj
    assert not absent, f"the matrix world has no street-A object for {absent}"
    for persona in ALL_PERSONAS:
        client = Client()
        if persona != ANONYMOUS:
            client.force_login(world.users[persona])
        world.clients[persona] = client
    return world


# ---------------------------------------------------------------------------------------------
# Requests and what they mean
# ---------------------------------------------------------------------------------------------


def send(
    client: Client, method: str, url: str, data: dict[str, Any] | None, api: bool, query: dict[str, str] | None = None
) -> Any:  # the test client's response (HttpResponse with .json())
    import json

    if method == "GET":
        return client.get(url, query or {})
    call: Callable[..., HttpResponse] = getattr(client, method.lower())
    if api:
        return call(url, json.dumps(data or {}), content_type="application/json")
    if method == "POST":
        return client.post(url, data or {})
    return call(url, data or {})


def fingerprint(obj: models.Model | None) -> tuple[Any, ...]:
    """What a refused write must leave untouched: the audit trail, the object's row, its table size."""
    audit = AuditLog.objects.count()
    if obj is None:
        return (audit,)
    model = type(obj)
    row = list(model._default_manager.filter(pk=obj.pk).values())
    return (audit, model._default_manager.count(), repr(row))


def is_login_redirect(response: HttpResponse) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response.get("Location", "")


# ---------------------------------------------------------------------------------------------
# One object of each kind inside street A (or, for county records, inside 蜀山区)
# ---------------------------------------------------------------------------------------------


def _first(qs: Any) -> Any:
    return qs.order_by("pk").first()


def _case(world: World) -> Any:
    from casework.models import Case

    unassigned = Case.objects.filter(street_id=STREET_A).exclude(
        assignments__social_worker=world.users["social_worker_a"]
    )
    return _first(unassigned.filter(plan__isnull=False)) or _first(unassigned)


def _assigned_case(world: World) -> Any:
    from casework.models import Case

    return _first(Case.objects.filter(street_id=STREET_A, assignments__social_worker=world.users["social_worker_a"]))


def _run(world: World) -> Any:
    from django.utils import timezone

    from casework.models.reverification import ReverificationRun, RunKind, RunStatus

    return ReverificationRun.objects.create(
        kind=RunKind.IMMEDIATE,
        as_of=timezone.localdate(),
        scope_code=STREET_A,
        status=RunStatus.INCOMPLETE,
        trigger="matrix",
        requested_by=world.users["approver_a"],
    )


def _authorisation(world: World) -> Any:
    from django.core.files.base import ContentFile

    from applications.models import EconomicCheckAuthorisation

    auth = _first(EconomicCheckAuthorisation.objects.filter(application__street_id=STREET_A))
    auth.scan.save("scan.pdf", ContentFile(b"%PDF-1.4 matrix\n"), save=True)
    return auth


def _photo(world: World) -> Any:
    from django.core.files.base import ContentFile

    from casework.models import Investigation
    from casework.models.investigation import InvestigationPhoto

    investigation = _first(Investigation.objects.filter(case__street_id=STREET_A))
    photo = InvestigationPhoto(investigation=investigation)
    photo.image.save("photo.jpg", ContentFile(b"\xff\xd8\xff\xe0matrix"), save=False)
    photo.save()
    return photo


def _handoff(world: World) -> Any:
    from charity.models import HandOff

    return _first(HandOff.objects.filter(street_id=STREET_A))


def _handoff_scan(world: World) -> Any:
    from django.core.files.base import ContentFile

    handoff = _handoff(world)
    handoff.consent_scan.save("consent.pdf", ContentFile(b"%PDF-1.4 consent\n"), save=True)
    return handoff


def _spot_check(world: World) -> Any:
    """A 蜀山区 spot check of street A (every confirmed case sampled), its first item sent back to the
    street for rectification (missing documents)."""
    import datetime as dt

    from django.utils import timezone

    from casework.models.spotcheck import CheckResult
    from casework.services import spotcheck as svc

    supervisor = world.users["supervisor_shushan"]
    check = svc.spot_check_create(
        actor=supervisor,
        street_code=STREET_A,
        period_start=dt.date(2000, 1, 1),
        period_end=timezone.localdate(),
        percentage=100,
        seed="matrix",
    )
    item = check.items.order_by("seq").first()
    assert item is not None
    svc.spot_check_record(actor=supervisor, item=item, result=CheckResult.MISSING_DOCUMENTS, note="缺少入户调查照片")
    return check


def _spot_item(world: World) -> Any:
    from casework.models.spotcheck import RectificationStatus, SpotCheckItem

    return _first(SpotCheckItem.objects.filter(street_id=STREET_A, rectification_status=RectificationStatus.OPEN))


def _finders() -> dict[str, Callable[[World], Any]]:
    from applications.models import Application, Household, Member
    from casework.models import Case, Decision, EmergencyPayment, PublicEmergency, ReserveFund
    from casework.models.enrolment import Enrolment
    from casework.models.facilities import CareFacility
    from casework.models.monitoring import Alert, DiscoveryLead
    from casework.models.payments import PaymentRoll
    from casework.models.plans import InKindItem
    from casework.models.referrals import CaseConference, Referral
    from casework.models.reverification import ReviewTask, TaskStatus
    from casework.models.services_catalogue import ServiceContract, ServiceOrder
    from casework.models.stranded import StrandedPerson
    from casework.models.volunteers import Volunteer, VolunteerTask
    from charity.models import Donation, Fund, JournalEntry
    from eligibility.models import PolicyParameter

    a = STREET_A
    return {
        # the newest: first on the (newest-first, paginated) household list page
        "household": lambda w: Household.objects.filter(street_id=a).order_by("-pk").first(),
        "member": lambda w: _first(Member.objects.filter(household__street_id=a)),
        # (an application with its household: the online one without a household crashes the page, see report)
        "application": lambda w: _first(Application.objects.filter(street_id=a, household__isnull=False)),
        "case": _case,
        "assigned_case": _assigned_case,
        "decision": lambda w: _first(Decision.objects.filter(case__street_id=a)),
        "noticed_case": lambda w: _first(Case.objects.filter(street_id=a, notices__isnull=False)),
        "decided_case": lambda w: _first(Case.objects.filter(street_id=a, decision__isnull=False)),
        "emergency": lambda w: _first(PublicEmergency.objects.filter(region__code__startswith=COUNTY_A)),
        "emergency_payment": lambda w: (
            EmergencyPayment.objects.filter(case__street_id=a).order_by("-status", "pk").first()
        ),
        "reserve_fund": lambda w: ReserveFund.objects.get(street_id=a),
        "in_kind_item": lambda w: _first(InKindItem.objects.filter(plan__case__street_id=a)),
        "service_order": lambda w: _first(ServiceOrder.objects.filter(case__street_id=a)),
        "service_contract": lambda w: _first(ServiceContract.objects.filter(county_id=COUNTY_A)),
        "referral": lambda w: _first(Referral.objects.filter(case__street_id=a)),
        "conference": lambda w: _first(CaseConference.objects.filter(case__street_id=a)),
        "volunteer": lambda w: _first(Volunteer.objects.filter(street_id=a)),
        "volunteer_task": lambda w: _first(VolunteerTask.objects.filter(street_id=a)),
        "facility": lambda w: _first(CareFacility.objects.filter(county_id=COUNTY_A)),
        "stranded": lambda w: _first(StrandedPerson.objects.filter(street_id=a)),
        "enrolment": lambda w: _first(Enrolment.objects.filter(street_id=a)),
        "roll": lambda w: _first(PaymentRoll.objects.filter(street_id=a)),
        "run": _run,
        "review_task": lambda w: _first(ReviewTask.objects.filter(street_id=a).exclude(status=TaskStatus.RESOLVED)),
        "resolved_task": lambda w: _first(ReviewTask.objects.filter(street_id=a, status=TaskStatus.RESOLVED)),
        "alert": lambda w: _first(Alert.objects.filter(street_id=a)),
        "lead": lambda w: _first(DiscoveryLead.objects.filter(street_id=a)),
        "handoff": _handoff,
        "handoff_scan": _handoff_scan,
        "fund": lambda w: _first(Fund.objects.filter(region_id=COUNTY_A)),
        "entry": lambda w: _first(JournalEntry.objects.filter(region_code__startswith=COUNTY_A)),
        "donation": lambda w: _first(Donation.objects.filter(fund__region_id=COUNTY_A)),
        "parameter": lambda w: _first(PolicyParameter.objects.filter(region__code__startswith=COUNTY_A)),
        "authorisation": _authorisation,
        "photo": _photo,
        "spot_check": _spot_check,  # after the records above: it samples street A's confirmed cases
        "spot_item": _spot_item,
    }
