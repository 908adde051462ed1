from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Field, JSONField, Model, Prefetch, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex

from accounts.crypto import blind_index
from accounts.hooks import collect
from accounts.json_rows import columns, instances, json_array, json_children, json_object, set_prefetched
from accounts.models import AuditLog, Region, User
from accounts.selectors import scope_by_street
from applications.models import Household, IncomeItem, Member, NameBigrams, Vehicle

M = TypeVar("M", bound=Model)


def _scoped(qs: QuerySet[Household], user: User | AnonymousUser) -> QuerySet[Household]:
    qs = scope_by_street(qs, user)
    # Downstream apps narrow it further for some roles (casework: a social worker's assigned families).
    for condition in collect("household_scope", user):
        qs = qs.filter(condition)
    return qs


def households_visible_to(user: User | AnonymousUser) -> QuerySet[Household]:
    qs = Household.objects.select_related("street", "community").prefetch_related(
        Prefetch("members", queryset=Member.objects.filter(active=True).prefetch_related("incomes")),
        "vehicles",
    )
    return _scoped(qs, user)


# --- the household pages: one query each ----------------------------------------------------------
#
# The detail page shows a household with its street, community, active members and their incomes,
# vehicles and latest audit rows (and the engine's preview needs the street's county); the list
# shows households with street, community and active members. Read with ``select_related`` and
# ``prefetch_related`` that is four more queries, and compiling the three region joins alone costs
# ~0.35 ms of Python. Instead the household row carries all of it as one JSON object built by
# PostgreSQL (raw SQL from the models' metadata: cheap to compile, unlike ORM subqueries), and
# ``household_page_load`` / ``household_list_load`` put each part where the ORM would have:
# ``household.street`` (with ``street.parent``) and ``household.community`` as loaded foreign keys,
# ``household.members.all()``, ``member.incomes.all()`` and ``household.vehicles.all()`` as
# prefetched relations. Templates and services (the engine's preview) read them unchanged, with no
# further query. Children come in id order (for members, their model ordering within a household).

_HOUSEHOLD_ID = f'"{Household._meta.db_table}"."id"'
# Encrypted member columns the household pages never show (they show the masked ID; the full number
# only through ``member_reveal``): neither loaded nor decrypted.
_MEMBER_UNSHOWN = ("id_number", "id_index", "health_notes")


def _region(fields: list[Field], code: str) -> str:
    """SQL: the region whose code is ``code`` as a JSON object (null when none)."""
    return f'(SELECT {json_object(fields, "g")} FROM "{Region._meta.db_table}" g WHERE g."code" = {code})'  # noqa: S608


def _audit_rows() -> str:
    """SQL: the latest 50 audit rows of the household and of its active members (``ORDER BY at DESC``,
    as the page always listed them) as a JSON array, each branch on the ``audit_object`` index."""
    member = Member._meta.db_table
    members = f'ARRAY(SELECT m."id"::text FROM "{member}" m WHERE m."household_id" = {_HOUSEHOLD_ID} AND m."active")'  # noqa: S608
    of_household = f'a."object_type" = \'{Household._meta.label_lower}\' AND a."object_id" = {_HOUSEHOLD_ID}::text'
    of_members = f'a."object_type" = \'{Member._meta.label_lower}\' AND a."object_id" = ANY({members})'
    where = f"({of_household}) OR ({of_members})"
    latest = f'SELECT * FROM "{AuditLog._meta.db_table}" a WHERE {where} ORDER BY a."at" DESC LIMIT 50'  # noqa: S608
    return json_array(_AUDIT_FIELDS, "r", f"FROM ({latest}) r", 'r."at" DESC')


_REGION_FIELDS = columns(Region)
_REGION_NAME_FIELDS = columns(Region, names=("code", "name"))
_PAGE_MEMBER_FIELDS = columns(Member, exclude=_MEMBER_UNSHOWN)
_LIST_MEMBER_FIELDS = columns(Member, names=("id", "household_id", "name", "id_masked", "relation", "active"))
_INCOME_FIELDS = columns(IncomeItem)
_VEHICLE_FIELDS = columns(Vehicle)
_AUDIT_FIELDS = columns(AuditLog, names=("id", "at", "actor_label", "action", "reason"))
_STREET = f'"{Household._meta.db_table}"."street_id"'
_COMMUNITY = f'"{Household._meta.db_table}"."community_id"'
_ACTIVE = f'r_{Member._meta.db_table}."active"'
_INCOMES = json_children(IncomeItem, _INCOME_FIELDS, "member", f'r_{Member._meta.db_table}."id"')
_COUNTY_OF_STREET = f'(SELECT s."parent_id" FROM "{Region._meta.db_table}" s WHERE s."code" = {_STREET})'  # noqa: S608
_PAGE_MEMBERS = json_children(
    Member, _PAGE_MEMBER_FIELDS, "household", _HOUSEHOLD_ID, _ACTIVE, f"'incomes', {_INCOMES}"
)
_LIST_MEMBERS = json_children(Member, _LIST_MEMBER_FIELDS, "household", _HOUSEHOLD_ID, _ACTIVE)
_VEHICLES = json_children(Vehicle, _VEHICLE_FIELDS, "household", _HOUSEHOLD_ID)
# Only identifiers from the models' metadata go into the SQL, no input.
_PAGE = RawSQL(  # noqa: S611
    f"jsonb_build_object('street', {_region(_REGION_FIELDS, _STREET)},"
    f" 'county', {_region(_REGION_FIELDS, _COUNTY_OF_STREET)},"
    f" 'community', {_region(_REGION_FIELDS, _COMMUNITY)},"
    f" 'members', {_PAGE_MEMBERS}, 'vehicles', {_VEHICLES}, 'audit', {_audit_rows()})",
    (),
    output_field=JSONField(),
)
_LIST = RawSQL(  # noqa: S611
    f"jsonb_build_object('street', {_region(_REGION_NAME_FIELDS, _STREET)},"
    f" 'community', {_region(_REGION_NAME_FIELDS, _COMMUNITY)}, 'members', {_LIST_MEMBERS})",
    (),
    output_field=JSONField(),
)


def _set_regions(household: Household, data: dict[str, Any], fields: list[Field], db: str) -> None:
    """``household.street`` and ``household.community`` as ``select_related`` loads them."""
    (street,) = instances(Region, fields, [data["street"]], db)
    (community,) = instances(Region, fields, [data["community"]], db)
    Household._meta.get_field("street").set_cached_value(household, street)
    Household._meta.get_field("community").set_cached_value(household, community)


def household_page_queryset(user: User | AnonymousUser) -> QuerySet[Household]:
    """The household page (``GET /households/<id>/``) and its panels: the household, and (put in
    place by ``household_page_load``) its street with the street's county (``street.parent``: the
    engine's standard area), community, active members with their incomes, vehicles and latest
    audit rows."""
    return _scoped(Household.objects.annotate(page_json=_PAGE), user)


def household_page_load(household: Household) -> Household:
    """Put what a row of ``household_page_queryset`` carries where the ORM would have (see above)."""
    db = household._state.db or DEFAULT_DB_ALIAS
    data = household.page_json  # type: ignore[attr-defined]
    _set_regions(household, data, _REGION_FIELDS, db)
    street = household.street
    if data["county"] is not None and data["county"]["code"] == street.parent_id:
        (county,) = instances(Region, _REGION_FIELDS, [data["county"]], db)
        Region._meta.get_field("parent").set_cached_value(street, county)
    members = instances(Member, _PAGE_MEMBER_FIELDS, data["members"], db)
    for member, row in zip(members, data["members"], strict=True):
        set_prefetched(member, "incomes", instances(IncomeItem, _INCOME_FIELDS, row["incomes"], db))
    set_prefetched(household, "members", members, active=True)
    set_prefetched(household, "vehicles", instances(Vehicle, _VEHICLE_FIELDS, data["vehicles"], db))
    return household


def household_audit_rows(household: Household) -> list[AuditLog]:
    """The latest 50 audit rows of the household and of its active members, newest first, with the
    columns the page shows (read with a row of ``household_page_queryset``)."""
    db = household._state.db or DEFAULT_DB_ALIAS
    return instances(AuditLog, _AUDIT_FIELDS, household.page_json["audit"], db)  # type: ignore[attr-defined]


def household_list_rows(user: User | AnonymousUser) -> QuerySet[Household]:
    """The rows of the household list: number and address, and (put in place by
    ``household_list_load``) the street's and community's names and the active members' names and
    masked IDs (head and head count) — no encrypted column, incomes or vehicles."""
    return _scoped(Household.objects.only("address", "street", "community").annotate(row_json=_LIST), user)


def household_list_load(households: list[Household]) -> list[Household]:
    """Put what rows of ``household_list_rows`` carry where the ORM would have (see above)."""
    for household in households:
        db = household._state.db or DEFAULT_DB_ALIAS
        data = household.row_json  # type: ignore[attr-defined]
        _set_regions(household, data, _REGION_NAME_FIELDS, db)
        set_prefetched(household, "members", instances(Member, _LIST_MEMBER_FIELDS, data["members"], db), active=True)
    return households


def household_search(qs: QuerySet[Household], term: str) -> QuerySet[Household]:
    """Search by household number, masked ID (``340104********1234``), a full ID (via the blind
    index) or (part of) a member's name.

    One path per kind of term, each on an index, and no join + DISTINCT over the street: a number
    (< 12 digits) is the household's pk; an 18-character ID matches ``Member.id_masked`` /
    ``Member.id_index``; anything else is a name (``member_name_trgm``, pg_trgm GIN; two characters: ``member_name_bigrams``; one character: the members of the households in ``qs``). Households
    are then ``pk IN (members' household_id)``, still inside ``qs`` (the user's area).
    """
    term = term.strip()
    if not term:
        return qs
    if term.isdigit() and len(term) < 12:
        return qs.filter(pk=int(term))
    if len(term) == 18:
        if "*" in term:
            members = Member.objects.filter(id_masked=term.upper())
        else:
            members = Member.objects.filter(id_index=blind_index(term))
    elif len(term) == 2:
        # pg_trgm takes no trigram from a LIKE pattern shorter than three characters (a two-character
        # name such as 王丽): its index would hand back every member for a recheck (≈ 100 ms on
        # 500,000 members), and looking at the members of every household of the user's area costs
        # ≈ 10 ms a street. The pairs-of-characters index answers exactly "which names contain it".
        # The area and STRPOS stay in the member query: for a pair found in very many names the
        # index's statistics send PostgreSQL to the area's households instead, where the cheap STRPOS
        # is tested before the pairs are computed.
        members = Member.objects.annotate(_at=StrIndex("name", Value(term)), _pairs=NameBigrams("name")).filter(
            _at__gt=0, _pairs__contains=[term], active=True, household__in=qs.values("pk")
        )
    elif len(term) == 1:
        # One character (a surname) is in too many names for an index: the members of the households
        # in the user's area, read through STRPOS so that no index is tried.
        members = Member.objects.annotate(_at=StrIndex("name", Value(term))).filter(
            _at__gt=0, active=True, household__in=qs.values("pk")
        )
    else:
        members = Member.objects.filter(name__contains=term, active=True)
    return qs.filter(pk__in=members.values("household_id"))


def member_by_resident_id(number: str) -> Member | None:
    return Member.objects.filter(id_index=blind_index(number), active=True).select_related("household").first()
