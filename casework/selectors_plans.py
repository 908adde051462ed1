"""Reads for plans, purchased services, referrals, facilities, stranded persons and volunteers.

``cases_for_user`` is THE case scope of these pages and endpoints: the region scope of
``casework.selectors.cases_visible_to`` (another street's case is absent, hence 404), narrowed for
a social worker to the cases she is assigned to. Every case-linked queryset is built on it.
County-level registers (catalogue, organisations, contracts, facilities) are visible to the
county's supervisors and, read-only, to the staff of its streets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, DecimalField, F, Model, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Region, Role, User
from accounts.selectors import scope_by_region, scope_prefix
from casework import selectors
from casework.models import Case
from casework.models.facilities import CareFacility, CareShare, Placement
from casework.models.plans import AssistancePlan, CaseAssignment
from casework.models.referrals import CaseConference, Referral, referral_overdue_q
from casework.models.services_catalogue import (
    ContractEvaluation,
    DeliveryRecord,
    OrderStatus,
    ServiceContract,
    ServiceItem,
    ServiceOrder,
    ServiceOrganisation,
)
from casework.models.stranded import StrandedPerson
from casework.models.volunteers import Volunteer, VolunteerHours, VolunteerTask

M = TypeVar("M", bound=Model)
AnyUser = User | AnonymousUser


def is_social_worker(user: AnyUser) -> bool:
    return isinstance(user, User) and user.role == Role.SOCIAL_WORKER


def _assigned_case_ids(user: User) -> QuerySet[CaseAssignment, Any]:
    return CaseAssignment.objects.filter(social_worker=user, ended_at__isnull=True).values("case_id")


def assigned_only(qs: QuerySet[M], user: AnyUser, case_path: str = "") -> QuerySet[M]:
    """Narrow ``qs`` (rows reached from a case through ``case_path``) to a social worker's cases."""
    if not isinstance(user, User) or user.role != Role.SOCIAL_WORKER:
        return qs
    mine = _assigned_case_ids(user)
    lookup = f"{case_path}__in" if case_path else "pk__in"
    return qs.filter(**{lookup: mine})


def cases_for_user(user: AnyUser) -> QuerySet[Case]:
    return assigned_only(selectors.cases_visible_to(user), user)


def my_cases(user: User) -> QuerySet[Case]:
    """A social worker's assigned cases (other roles: the cases they assigned a social worker to)."""
    if is_social_worker(user):
        return cases_for_user(user).order_by("-accepted_on", "-id")
    assigned = CaseAssignment.objects.filter(ended_at__isnull=True).values("case_id")
    return cases_for_user(user).filter(pk__in=assigned).order_by("-accepted_on", "-id")


def plan_case(user: AnyUser, pk: int) -> QuerySet[Case]:
    return cases_for_user(user).filter(pk=pk).select_related("decision", "plan")


def plan_for(case: Case) -> AssistancePlan | None:
    return (
        AssistancePlan.objects.filter(case=case)
        .prefetch_related("in_kind_items__delivered_by", "special_items__referral", "created_by")
        .first()
    )


def active_assignments(case: Case) -> QuerySet[CaseAssignment]:
    return CaseAssignment.objects.filter(case=case, ended_at__isnull=True).select_related(
        "social_worker", "assigned_by"
    )


def assignable_social_workers(case: Case) -> QuerySet[User]:
    return User.objects.filter(role=Role.SOCIAL_WORKER, region_id=case.street_id, is_active=True).order_by("username")


# --- case-linked records ----------------------------------------------------------------------


def service_orders_visible_to(user: AnyUser) -> QuerySet[ServiceOrder]:
    qs = ServiceOrder.objects.select_related("case", "service", "contract__organisation", "ordered_by")
    return qs.filter(case__in=cases_for_user(user).values("pk"))


def deliveries_visible_to(user: AnyUser) -> QuerySet[DeliveryRecord]:
    qs = DeliveryRecord.objects.select_related("case", "order__service", "social_worker")
    return qs.filter(case__in=cases_for_user(user).values("pk"))


def referrals_visible_to(user: AnyUser) -> QuerySet[Referral]:
    qs = Referral.objects.select_related("case", "case__application", "special_item", "created_by", "conference")
    return qs.filter(case__in=cases_for_user(user).values("pk"))


def overdue_referrals(user: AnyUser, *, today: dt.date) -> QuerySet[Referral]:
    return referrals_visible_to(user).filter(referral_overdue_q(today)).order_by("due_on", "id")


def conferences_visible_to(user: AnyUser) -> QuerySet[CaseConference]:
    qs = CaseConference.objects.select_related("case", "recorded_by")
    return qs.filter(case__in=cases_for_user(user).values("pk"))


# --- county registers -------------------------------------------------------------------------


def county_scope(qs: QuerySet[M], user: AnyUser, field: str) -> QuerySet[M]:
    """County rows for county/city staff by region prefix; a street's staff see their own county."""
    prefix = scope_prefix(user)
    if prefix is None:
        return qs.none()
    if len(prefix) > 6:
        return qs.filter(**{f"{field}_id": prefix[:6]})
    return scope_by_region(qs, user, f"{field}__code")


def counties_visible_to(user: AnyUser) -> QuerySet[Region]:
    """Counties the user works in or above (a street's staff: their own county)."""
    prefix = scope_prefix(user)
    if prefix is None:
        return Region.objects.none()
    return Region.objects.filter(level=Region.Level.COUNTY, code__startswith=prefix[:6])


def service_items_visible_to(user: AnyUser) -> QuerySet[ServiceItem]:
    return county_scope(ServiceItem.objects.select_related("county"), user, "county")


def organisations_visible_to(user: AnyUser) -> QuerySet[ServiceOrganisation]:
    return county_scope(ServiceOrganisation.objects.select_related("county"), user, "county")


def contracts_visible_to(user: AnyUser) -> QuerySet[ServiceContract]:
    qs = ServiceContract.objects.select_related("organisation", "county").prefetch_related("services")
    return county_scope(qs, user, "county")


def contracts_for_case(user: AnyUser, case: Case, *, today: dt.date) -> QuerySet[ServiceContract]:
    """Contracts of the case's county in force today (what a street may order under)."""
    return contracts_visible_to(user).filter(county_id=case.street_id[:6], starts_on__lte=today, ends_on__gte=today)


@dataclass(frozen=True)
class Completion:
    orders_total: int
    orders_completed: int
    units_ordered: int
    units_delivered: int
    spent: Decimal

    @property
    def orders_percent(self) -> int:
        return int(self.orders_completed * 100 / self.orders_total) if self.orders_total else 0

    @property
    def units_percent(self) -> int:
        return int(self.units_delivered * 100 / self.units_ordered) if self.units_ordered else 0


def contract_completion(contract: ServiceContract) -> Completion:
    """Orders delivered over orders placed (cancelled orders do not count)."""
    row = contract.orders.exclude(status=OrderStatus.CANCELLED).aggregate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=OrderStatus.COMPLETED)),
        ordered=Sum("quantity"),
        delivered=Sum("delivered_quantity"),
        spent=Sum("amount"),
    )
    return Completion(
        orders_total=row["total"] or 0,
        orders_completed=row["completed"] or 0,
        units_ordered=row["ordered"] or 0,
        units_delivered=row["delivered"] or 0,
        spent=row["spent"] or Decimal("0"),
    )


def contract_orders(user: AnyUser, contract: ServiceContract) -> QuerySet[ServiceOrder]:
    """A contract's orders the user may see (county staff: all of the county's cases)."""
    return service_orders_visible_to(user).filter(contract=contract).order_by("-ordered_at", "-id")


def evaluations_of(contract: ServiceContract) -> QuerySet[ContractEvaluation]:
    return contract.evaluations.select_related("evaluated_by")


def facilities_visible_to(user: AnyUser) -> QuerySet[CareFacility]:
    qs = (
        CareFacility.objects.select_related("county", "street")
        .annotate(
            occupied=Count("placements", filter=Q(placements__ended_on__isnull=True)),
            care_occupied=Count("placements", filter=Q(placements__ended_on__isnull=True, placements__care_bed=True)),
        )
        .annotate(free=F("beds") - F("occupied"), care_free=F("care_beds") - F("care_occupied"))
    )
    return county_scope(qs, user, "county").order_by("county_id", "name")


def care_share(facilities: QuerySet[CareFacility]) -> CareShare:
    row = facilities.filter(active=True).aggregate(beds=Sum("beds"), care=Sum("care_beds"))
    return CareShare(beds=row["beds"] or 0, care_beds=row["care"] or 0)


def placements_of(user: AnyUser, facility: CareFacility) -> QuerySet[Placement]:
    """A facility's residents: the county sees all; a street only its own (a social worker hers)."""
    qs = facility.placements.select_related("case", "member", "placed_by").order_by("ended_on", "-placed_on")
    prefix = scope_prefix(user)
    if prefix is None:
        return qs.none()
    if len(prefix) > 6:
        qs = qs.filter(case__street_id=prefix)
    return assigned_only(qs, user, "case")


def tekun_cases(user: AnyUser, county: str) -> QuerySet[Case]:
    """Approved 特困 cases of ``county`` the user may see (candidates for institutional care)."""
    return cases_for_user(user).filter(
        decision__outcome="approved", decision__tier="tekun", street__code__startswith=county
    )


# --- street registers -------------------------------------------------------------------------


def stranded_visible_to(user: AnyUser) -> QuerySet[StrandedPerson]:
    return scope_by_region(StrandedPerson.objects.select_related("street", "registered_by"), user, "street__code")


def volunteers_visible_to(user: AnyUser) -> QuerySet[Volunteer]:
    hours = Coalesce(
        Sum("hours__hours"), Value(Decimal("0")), output_field=DecimalField(max_digits=8, decimal_places=1)
    )
    qs = Volunteer.objects.select_related("street").annotate(total_hours=hours)
    return scope_by_region(qs, user, "street__code").order_by("street_id", "name", "id")


def volunteer_tasks_visible_to(user: AnyUser) -> QuerySet[VolunteerTask]:
    qs = VolunteerTask.objects.select_related("street", "case", "social_worker").annotate(
        total_hours=Sum("hours__hours")
    )
    qs = scope_by_region(qs, user, "street__code").order_by("-scheduled_on", "-id")
    if isinstance(user, User) and user.role == Role.SOCIAL_WORKER:
        # Her own tasks, and tasks of the cases she is assigned to.
        qs = qs.filter(Q(social_worker=user) | Q(case__in=_assigned_case_ids(user)))
    return qs


def hours_of(task: VolunteerTask) -> QuerySet[VolunteerHours]:
    return task.hours.select_related("volunteer", "recorded_by")
