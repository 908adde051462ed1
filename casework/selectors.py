"""Reads for casework pages and endpoints, always scoped through ``accounts.selectors.scope_by_region``.

Another street's case or application is simply absent from these querysets, so a detail view's
``get_object_or_404`` answers 404 without saying that it exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.crypto import blind_index
from accounts.models import Role, User
from accounts.selectors import region_visible_to, scope_by_region, scope_prefix
from applications.models import Application, ApplicationStatus, Member
from casework.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    CaseTransition,
    EconomicCheck,
    EconomicCheckQuery,
    EmergencyPayment,
    Opinion,
    PaymentStatus,
    PublicEmergency,
    ReserveFund,
    overdue_q,
    statuses_waiting_for,
)

M = TypeVar("M", bound=Model)
STREET_CODE_LENGTH = 9  # 340104001: city 4, district 6, street 9, community 12 digits


def scope_by_street(qs: QuerySet[M], user: User | AnonymousUser, field: str = "street") -> QuerySet[M]:
    """``scope_by_region(qs, user, f"{field}__code")`` with the same rows, but ``street_id = '…'`` for
    a street-level user instead of ``street_id::text LIKE '…%'``: the planner estimates an equality
    on the street FK properly and can use the (street_id, …) indexes. The street column only holds
    street codes (9 digits), so for a 9-digit prefix both conditions select the same rows."""
    prefix = scope_prefix(user)
    if prefix is not None and len(prefix) == STREET_CODE_LENGTH:
        return qs.filter(**{f"{field}_id": prefix})
    return scope_by_region(qs, user, f"{field}__code")


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
    """The columns of a work-queue / case-list page (templates/casework/includes/case_rows.html):
    the case, its application's name/masked ID/types and the public emergency's title."""
    return qs.select_related(None).select_related("application", "public_emergency").only(*_QUEUE_COLUMNS)


def case_detail_queryset(user: User | AnonymousUser) -> QuerySet[Case]:
    """A case with everything its page shows: one query per relation (the page reads the newest
    check/opinion/notice from these, not with a query of its own)."""
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


def duplicates_for(
    user: User, indexes: Mapping[str, str], *, exclude_application_id: int | None = None
) -> list[Duplicate]:
    """Open applications and active cases naming any of ``indexes`` (blind index → masked ID)."""
    if not indexes:
        return []
    wanted = list(indexes)
    found: list[Duplicate] = []
    seen: set[tuple[str, int]] = set()
    applications = Application.objects.filter(status=ApplicationStatus.SUBMITTED, id_indexes__overlap=wanted)
    cases = Case.objects.filter(status__in=OPEN_STATUSES, application__id_indexes__overlap=wanted).select_related(
        "application"
    )
    if exclude_application_id is not None:
        applications = applications.exclude(pk=exclude_application_id)
        cases = cases.exclude(application_id=exclude_application_id)
    for app in applications.order_by("id"):
        for index in sorted(set(app.id_indexes) & set(wanted)):
            if ("a", app.pk) in seen:
                continue
            seen.add(("a", app.pk))
            visible = region_visible_to(user, app.street_id)
            found.append(
                Duplicate(indexes[index], app.receipt_no if visible else None, "application", app.get_status_display())
            )
    for case in cases.order_by("id"):
        for index in sorted(set(case.application.id_indexes) & set(wanted)):
            if ("c", case.pk) in seen:
                continue
            seen.add(("c", case.pk))
            visible = region_visible_to(user, case.street_id)
            found.append(
                Duplicate(indexes[index], case.receipt_no if visible else None, "case", case.get_status_display())
            )
    return found
