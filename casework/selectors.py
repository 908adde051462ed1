"""Reads for casework pages and endpoints, always scoped through ``accounts.selectors.scope_by_region``.

Another street's case or application is simply absent from these querysets, so a detail view's
``get_object_or_404`` answers 404 without saying that it exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Field, JSONField, Model, Prefetch, Q, QuerySet, TextField, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from accounts.counts import count_statements
from accounts.crypto import blind_index
from accounts.frozen import FrozenQuery
from accounts.json_rows import columns, instance_or_none, instances, json_array, json_children, json_row, set_prefetched
from accounts.models import Region, Role, User
from accounts.selectors import region_visible_to, scope_by_region, scope_by_street
from applications.models import (
    Application,
    ApplicationStatus,
    EconomicCheckAuthorisation,
    Household,
    IncomeItem,
    Member,
    Vehicle,
)
from casework.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    CaseTransition,
    Decision,
    EconomicCheck,
    EconomicCheckQuery,
    EmergencyPayment,
    Investigation,
    Objection,
    Opinion,
    PaymentStatus,
    PublicEmergency,
    PublicNotice,
    ReserveFund,
    overdue_q,
    statuses_waiting_for,
)
from casework.models.plans import AssistancePlan, CaseAssignment
from casework.models.referrals import CaseConference, Referral
from casework.models.services_catalogue import ServiceOrder
from casework.models.spotcheck import SpotCheckItem

M = TypeVar("M", bound=Model)


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    # Social workers see only the cases assigned to them (issue 6); imported here to avoid a cycle.
    from casework.selectors_plans import assigned_only

    qs = Case.objects.select_related("application", "household", "street", "accepted_by", "public_emergency")
    return assigned_only(scope_by_street(qs, user), user)


# The columns a work-queue row shows (casework/views/rows.py) and the household page's case list
# reads: loading only these keeps the encrypted application columns undecrypted and makes a
# 30-row page ≈ 3 × cheaper to instantiate than whole cases and applications.
_QUEUE_COLUMNS = (
    "receipt_no",
    "street",
    "household",
    "status",
    "accepted_on",
    "check_due",
    "opinion_due",
    "case_due",
    "confirm_due",
    "emergency_due",
    "deadlines_provisional",
    "fast_track",
    "application__applicant_name",
    "application__applicant_id_masked",
    "application__assistance_types",
    "public_emergency__title",
)


def queue_rows(qs: QuerySet[Case]) -> QuerySet[Case]:
    """The columns of a work-queue / case-list page (templates/jinja2/casework/queue_rows.html):
    the case, its application's name/masked ID/types and the public emergency's title."""
    return qs.select_related(None).select_related("application", "public_emergency").only(*_QUEUE_COLUMNS)


def _queue_page_rows(ids: list[int]) -> QuerySet[Case]:
    return queue_rows(Case.objects.filter(pk__in=ids))


_QUEUE_PAGE: FrozenQuery[Case] = FrozenQuery(_queue_page_rows)


def queue_page(ids: list[int]) -> list[Case]:
    """The cases of one page of a work queue, in the order of ``ids`` (already scoped and ordered
    by the caller's paginated id query). Compiled once per page length (accounts/frozen.py)."""
    by_id = {case.pk: case for case in _QUEUE_PAGE.rows("queue-page", ids=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


# --- the work queue's list and counts, compiled once per kind of user (accounts/frozen.py) ----------

QUEUE_TABS = ("mine", "all", "overdue")


def queue_list(user: User, *, tab: str, today: dt.date) -> QuerySet[Case]:
    """The cases of a work-queue tab: 待我处理 (``mine``), all cases, overdue cases."""
    if tab == "overdue":
        return overdue_cases(user, today=today)
    if tab == "all":
        return cases_visible_to(user).order_by("-accepted_on", "-id")
    return case_queue(user, today=today)


def _queue_ids(user: User, today: dt.date, tab: str, offset: int, limit: int) -> QuerySet[Any]:
    return queue_list(user, tab=tab, today=today).values_list("pk", flat=True)[offset : offset + limit]


def _queue_counted(user: User, today: dt.date, tab: str) -> QuerySet[Any]:
    return queue_list(user, tab=tab, today=today).order_by().values("pk")


def _submitted_counted(user: User) -> QuerySet[Any]:
    return submitted_applications(user).order_by().values("pk")


_QUEUE_IDS: FrozenQuery[Any] = FrozenQuery(_queue_ids)
_QUEUE_COUNTED: FrozenQuery[Any] = FrozenQuery(_queue_counted)
_SUBMITTED_COUNTED: FrozenQuery[Any] = FrozenQuery(_submitted_counted)


def queue_ids(user: User, *, tab: str, today: dt.date, offset: int, limit: int) -> list[int]:
    """One page of a tab's case ids (no search term: a search is compiled as usual)."""
    return _QUEUE_IDS.rows("queue-ids", fixed={"tab": tab, "offset": offset, "limit": limit}, user=user, today=today)


def _compiled(frozen: FrozenQuery[Any], key: str, **kwargs: Any) -> tuple[str, list[Any]] | None:
    try:
        return frozen.sql(key, **kwargs)
    except EmptyResultSet:  # a user who sees nothing: the count is 0
        return None


def queue_counts(user: User, *, tab: str, today: dt.date) -> tuple[int, int, int]:
    """(cases in the tab, overdue cases, applications waiting for a clerk — 0 for other roles) in
    one statement."""
    parts = [_compiled(_QUEUE_COUNTED, "queue-count", fixed={"tab": tab}, user=user, today=today)]
    if tab != "overdue":
        parts.append(_compiled(_QUEUE_COUNTED, "queue-count", fixed={"tab": "overdue"}, user=user, today=today))
    if user.role == Role.CLERK:
        parts.append(_compiled(_SUBMITTED_COUNTED, "submitted-count", user=user))
    counts = count_statements(parts)
    listed = counts[0]
    overdue = listed if tab == "overdue" else counts[1]
    return listed, overdue, counts[-1] if user.role == Role.CLERK else 0


def case_detail_queryset(user: User | AnonymousUser) -> QuerySet[Case]:
    """A case with every relation prefetched, one query each (the API's case detail and the step
    actions; the staff page reads only the relations a case has: ``case_page_queryset``)."""
    return (
        cases_visible_to(user)
        .select_related("household__community", "decision__decided_by")
        .prefetch_related(
            Prefetch("household__members", queryset=Member.objects.filter(active=True).prefetch_related("incomes")),
            "household__vehicles",
            Prefetch("transitions", queryset=CaseTransition.objects.select_related("actor")),
            Prefetch("checks", queryset=EconomicCheck.objects.select_related("requested_by")),
            Prefetch("checks__queries", queryset=EconomicCheckQuery.objects.select_related("operator")),
            "investigations__investigators",
            "investigations__photos",
            Prefetch("opinions", queryset=Opinion.objects.select_related("author")),
            "notices__objections",
            "emergency_payments",
            "application__authorisations",
        )
    )


# --- the staff case page (GET /cases/<id>/) --------------------------------------------------------
#
# ``case_detail_queryset`` prefetches every relation of the case: a dozen queries, most of them for
# relations the case does not have (on the bench database nearly every case is closed without a
# check, opinion or notice). The page reads only the relations that have rows (``case_page_load``):
# which ones do is known from the case row (an EXISTS per relation) or from its history.


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field.column


def _exists(model: type[Model], fk: str, outer: str = "id", condition: str = "") -> str:
    """SQL: a row of ``model`` whose ``fk`` is the case row's ``outer`` column exists."""
    meta = model._meta
    where = f'r."{_column(model, fk)}" = "{Case._meta.db_table}"."{_column(Case, outer)}"'
    if condition:
        where += f" AND {condition}"
    return f'EXISTS (SELECT 1 FROM "{meta.db_table}" r WHERE {where})'  # noqa: S608 (names from the models)


def relations_present(relations: Mapping[str, str]) -> RawSQL:
    """An annotation of a case query: the names of ``relations`` (name → ``_exists`` condition) that
    have rows, as one text[] column. Raw SQL because the page asks about eleven relations on every
    request: as many ORM ``Exists`` cost ~0.2 ms of Python each to build and compile, this ~0.01 ms.
    Only identifiers from the models' metadata and constant conditions go in, no input."""
    names = ", ".join(f"CASE WHEN {condition} THEN '{name}' END" for name, condition in relations.items())
    return RawSQL(f"ARRAY_REMOVE(ARRAY[{names}], NULL)", (), output_field=ArrayField(TextField()))  # noqa: S611


# Relations of the case page that many cases lack: read only when the case row says they have rows.
_PAGE_RELATIONS: dict[str, str] = {
    "checks": _exists(EconomicCheck, "case"),
    "check_queries": _exists(EconomicCheckQuery, "case"),
    "investigations": _exists(Investigation, "case"),
    "opinions": _exists(Opinion, "case"),
    "notices": _exists(PublicNotice, "case"),
    "objections": _exists(Objection, "case"),
    "emergency_payments": _exists(EmergencyPayment, "case"),
    "authorisations": _exists(EconomicCheckAuthorisation, "application", outer="application"),
    "vehicles": _exists(Vehicle, "household", outer="household"),
    # Whether the case was ever sampled, as the spot-check panel's own (unscoped) pre-check asks:
    # ``casework.hooks`` skips that query when the row says no.
    "spot_checks": _exists(SpotCheckItem, "case"),
}

# What the plans panel (``casework.hooks_plans.case_panels``) needs to know before reading anything.
PLAN_PANEL_RELATIONS: dict[str, str] = {
    "plan": _exists(AssistancePlan, "case"),
    "orders": _exists(ServiceOrder, "case"),
    "referrals": _exists(Referral, "case"),
    "assignments": _exists(CaseAssignment, "case", condition='r."ended_at" IS NULL'),  # active ones
    "conferences": _exists(CaseConference, "case"),
}

# The case row's joins: its application and household. What else every case page shows comes in
# one JSON column (``_PAGE_JSON``, as the household page does: ``applications.selectors``): joined,
# the street, community, two staff users and the decision made an eight-table join whose join-order
# search cost PostgreSQL more time to plan than to run (≈ 2.3 ms a request), and the members, their
# incomes and the timeline were three more queries. Not the public emergency either (a fast-tracked
# case of a declared event has one, 0.04 % of the bench's cases; the page reads it only then).
_PAGE_JOINS = ("application", "household")

# Columns the page never shows: the encrypted ones (it shows the masked IDs) are neither loaded nor
# decrypted. The JSON column leaves out the same kind (``_fields``: no column with a database
# converter), and with them a decision's evaluation (a JSON document of several kB).
_PAGE_DEFERRED = (
    "application__applicant_id_number",
    "application__applicant_phone",
    "application__online_payload",
    "household__phone",
    "household__bank_account",
)

_REGION_FIELDS = columns(Region)
# Staff rows as the page shows them (names, roles): not the password hash.
_USER_FIELDS = columns(User, exclude=("password",))
_DECISION_FIELDS = columns(Decision)
_MEMBER_FIELDS = columns(Member)
_INCOME_FIELDS = columns(IncomeItem)
_TRANSITION_FIELDS = columns(CaseTransition)


def _case_column(name: str) -> str:
    return f'"{Case._meta.db_table}"."{_column(Case, name)}"'


def _page_json() -> RawSQL:
    """The annotation ``page_json``: the case's street, its household's community, the user who
    accepted it, its decision with the deciding user, the household's active members with their
    incomes, and the timeline with each transition's user (``case_page_load`` puts them in place)."""
    community_of_household = (
        f'(SELECT h."{_column(Household, "community")}" FROM "{Household._meta.db_table}" h'  # noqa: S608
        f' WHERE h."id" = {_case_column("household")})'
    )
    decision = f"r_{Decision._meta.db_table}"
    decided_by = json_row(User, _USER_FIELDS, f'{decision}."{_column(Decision, "decided_by")}"')
    member = f"r_{Member._meta.db_table}"
    incomes = json_children(IncomeItem, _INCOME_FIELDS, "member", f'{member}."id"')
    members = json_children(
        Member, _MEMBER_FIELDS, "household", _case_column("household"), f'{member}."active"', f"'incomes', {incomes}"
    )
    transition = f"r_{CaseTransition._meta.db_table}"
    actor = json_row(User, _USER_FIELDS, f'{transition}."{_column(CaseTransition, "actor")}"')
    transitions = json_array(
        _TRANSITION_FIELDS,
        transition,
        f'FROM "{CaseTransition._meta.db_table}" {transition}'
        f' WHERE {transition}."{_column(CaseTransition, "case")}" = {_case_column("id")}',
        f'{transition}."at", {transition}."id"',  # the model's ordering
        f"'actor', {actor}",
    )
    decisions = json_children(
        Decision, _DECISION_FIELDS, "case", _case_column("id"), nested=f"'decided_by', {decided_by}"
    )
    sql = (
        f"jsonb_build_object('street', {json_row(Region, _REGION_FIELDS, _case_column('street'))},"
        f" 'community', {json_row(Region, _REGION_FIELDS, community_of_household)},"
        f" 'accepted_by', {json_row(User, _USER_FIELDS, _case_column('accepted_by'))},"
        f" 'decision', {decisions}, 'members', {members}, 'transitions', {transitions})"
    )
    # Only identifiers from the models' metadata go into the SQL, no input.
    return RawSQL(sql, (), output_field=JSONField())  # noqa: S611


_PAGE_JSON = _page_json()


@dataclass(frozen=True)
class ScopedFacts:
    """Which records of a case exist, read with the case row through the scope of the user
    ``viewer_id``: a panel hook may trust them for that user only."""

    viewer_id: int
    present: frozenset[str]


def _page_case_rows(user: User, pk: int) -> QuerySet[Case]:
    return case_page_queryset(user).filter(pk=pk)


_PAGE_CASE: FrozenQuery[Case] = FrozenQuery(_page_case_rows)


def case_page_case(user: User, pk: int) -> Case | None:
    """The case row of the staff case page (``case_page_queryset``) or ``None`` when the user
    does not see it; the statement is compiled once per kind of user (accounts/frozen.py)."""
    rows = _PAGE_CASE.rows("case-page", user=user, pk=pk)
    return rows[0] if rows else None


def case_page_queryset(user: User | AnonymousUser) -> QuerySet[Case]:
    """The case row of the staff case page: what ``case_detail_queryset`` reads of the case without
    the columns the page never shows, with which of its relations and plan-panel records exist."""
    return (
        cases_visible_to(user)
        .select_related(None)
        .select_related(*_PAGE_JOINS)
        .defer(*_PAGE_DEFERRED)
        .annotate(
            page_present=relations_present({**_PAGE_RELATIONS, **PLAN_PANEL_RELATIONS}),
            page_json=_PAGE_JSON,
        )
    )


def _none(instance: Model, relation: str, model: type[Model]) -> None:
    """Store an empty result as ``instance``'s prefetched ``relation``, as ``prefetch_related``
    does for a relation without rows, without its query."""
    rows = model._default_manager.none()
    rows._result_cache = []
    rows._prefetch_done = True  # type: ignore[attr-defined]
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = rows


def _load_page_json(case: Case) -> None:
    """Put what the ``page_json`` column carries where ``select_related`` and ``prefetch_related``
    would have: ``case.street``, ``case.household.community``, ``case.accepted_by``,
    ``case.decision`` (with ``decided_by``; ``Decision.DoesNotExist`` when none) as loaded relations,
    ``case.household.members.all()`` (active ones) with each ``member.incomes.all()`` and
    ``case.transitions.all()`` (with each ``actor``) as prefetched ones."""
    db = case._state.db or DEFAULT_DB_ALIAS
    data = case.page_json  # type: ignore[attr-defined]
    household = case.household
    Case._meta.get_field("street").set_cached_value(case, instance_or_none(Region, _REGION_FIELDS, data["street"], db))
    community = instance_or_none(Region, _REGION_FIELDS, data["community"], db)
    Household._meta.get_field("community").set_cached_value(household, community)
    accepted_by = instance_or_none(User, _USER_FIELDS, data["accepted_by"], db)
    Case._meta.get_field("accepted_by").set_cached_value(case, accepted_by)

    case_of_decision = Decision._meta.get_field("case")
    decision = None
    for row in data["decision"]:  # one at most (a one-to-one)
        (decision,) = instances(Decision, _DECISION_FIELDS, [row], db)
        case_of_decision.set_cached_value(decision, case)
        decided_by = instance_or_none(User, _USER_FIELDS, row["decided_by"], db)
        Decision._meta.get_field("decided_by").set_cached_value(decision, decided_by)
    case_of_decision.remote_field.set_cached_value(case, decision)

    members = instances(Member, _MEMBER_FIELDS, data["members"], db)
    for member, row in zip(members, data["members"], strict=True):
        set_prefetched(member, "incomes", instances(IncomeItem, _INCOME_FIELDS, row["incomes"], db))
    set_prefetched(household, "members", members, active=True)

    transitions = instances(CaseTransition, _TRANSITION_FIELDS, data["transitions"], db)
    actor_of = CaseTransition._meta.get_field("actor")
    for transition, row in zip(transitions, data["transitions"], strict=True):
        actor_of.set_cached_value(transition, instance_or_none(User, _USER_FIELDS, row["actor"], db))
    set_prefetched(case, "transitions", transitions)


def case_page_load(case: Case, user: User) -> Case:
    """Read the relations the case page shows into ``case`` (a row of ``case_page_queryset(user)``)
    as ``case_detail_queryset`` prefetches them, with one query per relation that has rows."""
    has = set(case.page_present)  # type: ignore[attr-defined]
    _load_page_json(case)
    lookups: list[str | Prefetch[Any]] = []
    if "investigations" in has:
        lookups += ["investigations__investigators", "investigations__photos"]
    if "emergency_payments" in has:
        lookups.append(Prefetch("emergency_payments", queryset=EmergencyPayment.objects.defer("evaluation")))
    if "vehicles" in has:
        lookups.append("household__vehicles")
    if "authorisations" in has:
        lookups.append("application__authorisations")
    prefetch_related_objects([case], *lookups)

    lookups = []
    if "checks" in has:
        # ``results`` (each person's department records) is not shown: the discrepancies are.
        checks = EconomicCheck.objects.select_related("requested_by").defer("results")
        lookups.append(Prefetch("checks", queryset=checks))
        if "check_queries" in has:
            queries = EconomicCheckQuery.objects.select_related("operator")
            lookups.append(Prefetch("checks__queries", queryset=queries))
    if "opinions" in has:
        lookups.append(Prefetch("opinions", queryset=Opinion.objects.select_related("author")))
    if "notices" in has:
        lookups.append("notices__objections" if "objections" in has else "notices")
    prefetch_related_objects([case], *lookups)

    for name, instance, relation, model in (
        ("checks", case, "checks", EconomicCheck),
        ("investigations", case, "investigations", Investigation),
        ("opinions", case, "opinions", Opinion),
        ("notices", case, "notices", PublicNotice),
        ("emergency_payments", case, "emergency_payments", EmergencyPayment),
        ("vehicles", case.household, "vehicles", Vehicle),
        ("authorisations", case.application, "authorisations", EconomicCheckAuthorisation),
    ):
        if name not in has:
            _none(instance, relation, model)
    if "check_queries" not in has:
        for check in case.checks.all():
            _none(check, "queries", EconomicCheckQuery)
    if "objections" not in has:
        for notice in case.notices.all():
            _none(notice, "objections", Objection)
    case.plan_panel_facts = ScopedFacts(user.pk, frozenset(has & PLAN_PANEL_RELATIONS.keys()))  # type: ignore[attr-defined]
    return case


def applications_visible_to(user: User | AnonymousUser) -> QuerySet[Application]:
    from casework.selectors_plans import assigned_only  # social workers: their assigned cases only

    qs = Application.objects.select_related("street", "community", "household")
    return assigned_only(scope_by_street(qs, user), user, "case")


def submitted_applications(user: User | AnonymousUser) -> QuerySet[Application]:
    return applications_visible_to(user).filter(status=ApplicationStatus.SUBMITTED).order_by("submitted_at")


def case_search(qs: QuerySet[Case], term: str) -> QuerySet[Case]:
    """Receipt number, applicant or member name, masked ID (``340104********1234``) or full ID."""
    term = term.strip()
    if not term:
        return qs
    condition = Q(receipt_no__icontains=term) | Q(application__applicant_name__contains=term)
    condition |= Q(household__members__name__contains=term, household__members__active=True)
    if len(term) == 18:
        if "*" in term:
            condition |= Q(application__applicant_id_masked=term.upper()) | Q(
                household__members__id_masked=term.upper()
            )
        else:
            condition |= Q(application__id_indexes__contains=[blind_index(term)])
    return qs.filter(condition).distinct()


def case_queue(user: User, *, today: dt.date) -> QuerySet[Case]:
    """待我处理: open cases in a status where the user's role has a next step, overdue first."""
    statuses = statuses_waiting_for(user.role)
    qs = cases_visible_to(user).filter(status__in=statuses)
    if user.role == Role.SUPERVISOR:
        # County supervisors act on county-level approvals only; they also watch overdue cases.
        qs = cases_visible_to(user).filter(Q(status=CaseStatus.REVIEW, approval_level="county") | overdue_q(today))
    # No multi-valued relation is joined here, so no DISTINCT (it made the page "SELECT DISTINCT" over
    # every column and the paginator's count a COUNT over a DISTINCT subquery).
    return qs.order_by("case_due", "id")


def overdue_cases(user: User | AnonymousUser, *, today: dt.date) -> QuerySet[Case]:
    return cases_visible_to(user).filter(overdue_q(today)).order_by("case_due", "id")


def payments_waiting_for_county(user: User | AnonymousUser) -> QuerySet[EmergencyPayment]:
    qs = EmergencyPayment.objects.filter(status=PaymentStatus.PENDING_COUNTY).select_related("case", "case__street")
    return scope_by_region(qs, user, "case__street__code")


def public_emergencies_visible_to(user: User | AnonymousUser) -> QuerySet[PublicEmergency]:
    """A supervisor sees her county's declarations; street staff see those covering their street."""
    qs = PublicEmergency.objects.select_related("region", "declared_by")
    if isinstance(user, User) and user.region_id and len(user.region_id) > 6:
        prefixes = [user.region_id[:n] for n in (4, 6, 9, 12) if len(user.region_id) >= n]
        return qs.filter(Q(region_id__in=prefixes) | Q(region__code__startswith=user.region_id))
    return scope_by_region(qs, user, "region__code")


def reserve_funds_visible_to(user: User | AnonymousUser) -> QuerySet[ReserveFund]:
    return scope_by_region(ReserveFund.objects.select_related("street"), user, "street__code")


@dataclass(frozen=True)
class Duplicate:
    id_masked: str
    receipt_no: str | None  # None when the other record is outside the user's area
    kind: str  # "application" or "case"
    status_label: str

    @property
    def message(self) -> str:
        if self.receipt_no is None:
            return _("证件号 %(id)s 已有正在办理的救助申请(不在您的辖区)，请核实后再登记。") % {"id": self.id_masked}
        what = _("申请") if self.kind == "application" else _("案件")
        return _("证件号 %(id)s 已在受理编号 %(no)s 的%(what)s中(%(status)s)。") % {
            "id": self.id_masked,
            "no": self.receipt_no,
            "what": what,
            "status": self.status_label,
        }


def _duplicates_sql() -> str:
    """SQL of ``duplicates_for``: the submitted applications and the open cases whose application
    names any of ``%(wanted)s``, except ``%(exclude)s`` (an application id, or null), as rows of
    (kind, id, street, receipt number, status, the application's blind indexes), applications
    first, each kind in id order. One scan of the ``id_indexes`` GIN index serves both kinds.
    Only identifiers from the models' metadata go into the SQL; the values are parameters."""
    app, case = Application._meta.db_table, Case._meta.db_table
    a_id, a_street, a_no, a_status, a_indexes = (
        _column(Application, name) for name in ("id", "street", "receipt_no", "status", "id_indexes")
    )
    c_id, c_application, c_street, c_no, c_status = (
        _column(Case, name) for name in ("id", "application", "street", "receipt_no", "status")
    )
    return (
        f'WITH named AS MATERIALIZED (SELECT a."{a_id}" AS id, a."{a_street}" AS street, a."{a_no}" AS no,'  # noqa: S608
        f' a."{a_status}" AS status, a."{a_indexes}" AS indexes FROM "{app}" a'
        f' WHERE a."{a_indexes}" && %(wanted)s::varchar(64)[])'
        " SELECT 'application', n.id, n.street, n.no, n.status, n.indexes FROM named n"
        " WHERE n.status = %(submitted)s AND n.id IS DISTINCT FROM %(exclude)s"
        f' UNION ALL SELECT \'case\', c."{c_id}", c."{c_street}", c."{c_no}", c."{c_status}", n.indexes'
        f' FROM named n JOIN "{case}" c ON c."{c_application}" = n.id'
        f' WHERE c."{c_status}" = ANY(%(open)s) AND c."{c_application}" IS DISTINCT FROM %(exclude)s'
        " ORDER BY 1, 2"
    )


_DUPLICATES_SQL = _duplicates_sql()


def duplicates_for(
    user: User, indexes: Mapping[str, str], *, exclude_application_id: int | None = None
) -> list[Duplicate]:
    """Open applications and active cases naming any of ``indexes`` (blind index → masked ID).

    Raw SQL (``_DUPLICATES_SQL``, one statement) because every intake and acceptance asks: the two
    ORM queries it replaces (applications; cases joined to their whole application row) cost ≈ 2 ms
    of Python to build, compile and load, ≈ 0.15 ms now, and scanned the GIN index twice. A record
    is named once, by the first of its matching indexes in sorted order, as before."""
    if not indexes:
        return []
    db = router.db_for_read(Application)
    params = {
        "wanted": list(indexes),
        "submitted": ApplicationStatus.SUBMITTED.value,
        "open": sorted(OPEN_STATUSES),
        "exclude": exclude_application_id,
    }
    with connections[db].cursor() as cursor:
        cursor.execute(_DUPLICATES_SQL, params)
        rows = cursor.fetchall()
    found: list[Duplicate] = []
    for kind, _pk, street_id, receipt_no, status, named in rows:
        index = min(set(named) & indexes.keys())
        # The model's own label (a Case keeps a per-language table), from a row with the status only.
        model: type[Application | Case] = Application if kind == "application" else Case
        label = model.from_db(db, ["status"], [status]).get_status_display()
        visible = region_visible_to(user, street_id)
        found.append(Duplicate(indexes[index], receipt_no if visible else None, kind, label))
    return found
