"""The registry of the authorisation matrix: every URL pattern and every OpenAPI operation, with
the street-A record it is tried on and who may use it.

One ``E(...)`` per (route, variant). ``allow`` maps an HTTP method to the personas that must succeed
(read: 200 and, for a list, street A's record is in it; write: the request gets past authorisation —
not 401/403/404). EVERY other persona must be refused, and a refused write changes nothing (audit
trail, the record's row, its table): anonymous gets 401/403 (API) or a redirect to the login page;
staff outside the record's area (not in ``SEES``) get exactly the answer a non-existent id gets
(404 — or the same 403/400 when the role/body check comes first: no existence oracle); on a list,
a refused persona may get 200 but without the record. ``holes``/``bug`` mark known defects (strict
xfail: the case turns red when the defect is fixed, so the entry gets updated).

Adding an endpoint: append ``E("/path/{pk}/", "<world key>", allow={"GET": AREA, "POST": STREET})`` (pages)
or ``api("/path/{pk}/", ...)`` (under /api/v1) here; if the record kind is new, add a finder for it to
``matrix_support._finders()`` (one street-A record) and its readers to ``SEES``. Run
``.venv/bin/pytest -q tests/security/test_endpoint_matrix.py -p no:randomly``.

Persona names: see ``matrix_support.PERSONAS`` (clerk_a, reviewer_a, approver_a, social_worker_a of
street A 340104001; clerk_b of 340104002; supervisor_shushan 340104; supervisor_feixi 340123;
city_admin 3401; charity_shushan 340104; charity_feixi 340123) plus ``anonymous``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# ---- persona groups -----------------------------------------------------------------------------
NOBODY: frozenset[str] = frozenset()
CLERK = frozenset({"clerk_a"})
REVIEWER = frozenset({"reviewer_a"})
APPROVER = frozenset({"approver_a"})
STREET = frozenset({"clerk_a", "reviewer_a", "approver_a"})
SW = frozenset({"social_worker_a"})
COUNTY = frozenset({"supervisor_shushan"})
CITY = frozenset({"city_admin"})
CHARITY = frozenset({"charity_shushan"})
AREA = STREET | COUNTY | CITY  # street staff of A + the county above it + the city
OTHERS = frozenset({"clerk_b", "supervisor_feixi", "charity_feixi"})  # staff outside street A's county/street
EVERYONE_STAFF = frozenset(
    {
        "clerk_a",
        "reviewer_a",
        "approver_a",
        "social_worker_a",
        "clerk_b",
        "supervisor_shushan",
        "supervisor_feixi",
        "city_admin",
        "charity_shushan",
        "charity_feixi",
    }
)
EVERYONE = EVERYONE_STAFF | {"anonymous"}


def ps(names: str) -> frozenset[str]:
    """Personas by name: ``ps("clerk_a clerk_b")``."""
    return frozenset(names.split())


@dataclass(frozen=True)
class E:
    path: str  # normalised route, e.g. "/cases/{pk}/act/{action}/" (see matrix_support.normalise)
    obj: str | None = None  # world key whose pk fills {pk} (and whose row a refused write must not touch)
    allow: Mapping[str, frozenset[str]] = field(default_factory=dict)  # METHOD → personas that succeed
    kwargs: Mapping[str, str] = field(default_factory=dict)  # other URL parts, e.g. {"action": "withdraw"}
    data: Callable[[Any], dict[str, Any]] | None = None  # request body built from the world
    listed: str | None = None  # list endpoint: world key whose record allowed personas see, others not
    listed_by: tuple[str, str] = ("id", "pk")  # API list: (field of a row, attribute of the record)
    marker: Callable[[Any], str] | None = None  # page list: text that shows the record (default its url)
    api: bool = False  # JSON API (401/403 for anonymous) rather than a page (redirect to login)
    public: bool = False  # open to anyone (no authorisation to test beyond "no 5xx, no leak")
    query: Mapping[str, str] = field(default_factory=dict)
    # Known authorisation holes: persona → what leaks. The persona is NOT in ``allow`` (it should be
    # refused); its case is a strict xfail until the hole is closed, then the xfail must be removed.
    holes: Mapping[str, str] = field(default_factory=dict)
    department: bool = False  # department-token interface: every staff session/anonymous → 401/403
    bug: str = ""  # a known server error on this endpoint (every signed-in persona: strict xfail)
    note: str = ""

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return self.path + (f"[{extra}]" if extra else "") + (f"@{self.obj}" if self.obj else "")


def api(path: str, obj: str | None = None, **kw: Any) -> E:
    return E("/api/v1" + path, obj, api=True, **kw)


# URL conf entries that are not authorisation-matrix material, each with its reason.
SKIPPED: dict[str, str] = {
    "/admin/": "Django admin: is_staff/superuser + model permissions, covered by Django itself",
    "/i18n/": "language switch (set_language): no data, no object",
    "/api/schema/": "OpenAPI document: describes endpoints, holds no records",
    "/api/docs/": "Swagger UI shell (static page around /api/schema/)",
    "/media/": "DEBUG-only static serving of uploads; production serves scans through the scoped views",
    "/static/": "static files",
}

REGISTRY: list[E] = []

STREET_A_QUERY = {"street": "340104001"}
TODAY = dt.date.today().isoformat()
PERIOD = {"start": "2020-01-01", "end": "2030-12-31"}


REGISTRY += [
    E("/", allow={"GET": EVERYONE_STAFF}),
    E("/accounts/login/", allow={"GET": EVERYONE_STAFF}, public=True),
    E("/accounts/logout/", allow={"POST": NOBODY}, public=True),
    E("/apply/", allow={"GET": EVERYONE_STAFF}, public=True),
    E("/apply/done/", allow={"GET": NOBODY}, public=True),
    E("/apply/status/", allow={"GET": EVERYONE_STAFF}, public=True),
    E("/households/", allow={"GET": AREA | CHARITY}, listed="household", query=STREET_A_QUERY),
    E(
        "/households/{pk}/",
        "household",
        allow={"GET": AREA | CHARITY},
    ),
    E("/members/{pk}/reveal/", "member", allow={"POST": AREA | CHARITY}, data=lambda w: {"reason": "核对身份"}),
    E("/parameters/", allow={"GET": EVERYONE_STAFF}),
    E(
        "/parameters/new/",
        allow={"GET": COUNTY | CITY | ps("supervisor_feixi"), "POST": COUNTY | CITY | ps("supervisor_feixi")},
    ),
    E("/parameters/{pk}/correct/", "parameter", allow={"GET": COUNTY | CITY, "POST": COUNTY | CITY}),
    E("/intake/", allow={"GET": ps("clerk_a clerk_b")}),
    E("/intake/applications/", allow={"GET": EVERYONE_STAFF}),
    E(
        "/intake/applications/{pk}/",
        "application",
        allow={"GET": AREA | CHARITY},
    ),
    E(
        "/intake/applications/{pk}/{action}/",
        "application",
        allow={"POST": AREA | CHARITY},
        kwargs={"action": "reject"},
    ),
    E("/cases/", allow={"GET": COUNTY | ps("clerk_a reviewer_a")}, listed="case"),
    E("/cases/{pk}/", "case", allow={"GET": AREA | CHARITY}),
    E("/cases/{pk}/act/{action}/", "case", allow={"POST": AREA | CHARITY}, kwargs={"action": "withdraw"}),
    E("/cases/{pk}/act/{action}/", "case", allow={"POST": AREA | CHARITY}, kwargs={"action": "confirm"}),
    E("/cases/{pk}/authorisation/", "case", allow={"POST": AREA | CHARITY}),
    E("/cases/{pk}/print/acceptance/", "case", allow={"GET": AREA | CHARITY}),
    E("/cases/{pk}/print/notice/", "noticed_case", allow={"GET": AREA | CHARITY}),
    E("/cases/{pk}/print/decision/", "decided_case", allow={"GET": AREA | SW | CHARITY}),
    E("/notices/board/", allow={"GET": EVERYONE_STAFF}),
    E(
        "/files/authorisations/{pk}/",
        "authorisation",
        allow={"GET": AREA | CHARITY},
    ),
    E("/files/investigation-photos/{pk}/", "photo", allow={"GET": AREA | CHARITY}),
    E("/emergencies/", allow={"GET": AREA | SW | CHARITY}, listed="emergency"),
    E("/emergencies/{pk}/", "emergency", allow={"GET": AREA | SW | CHARITY}),
    E("/reserve-funds/", allow={"GET": EVERYONE_STAFF}),
    E("/emergency-payments/{pk}/decide/", "emergency_payment", allow={"POST": AREA | SW | CHARITY}),
    E("/cases/{pk}/plan/", "case", allow={"GET": AREA | CHARITY}),
    E("/cases/{pk}/plan/", "assigned_case", allow={"GET": AREA | SW | CHARITY}),
    E("/cases/{pk}/plan/act/{action}/", "case", allow={"POST": AREA | CHARITY}, kwargs={"action": "goals"}),
    E("/cases/{pk}/referrals/", "case", allow={"GET": AREA | CHARITY}),
    E("/cases/{pk}/referrals/act/{action}/", "case", allow={"POST": AREA | CHARITY}, kwargs={"action": "referral"}),
    E("/referrals/{pk}/{action}/", "referral", allow={"POST": AREA | SW | CHARITY}, kwargs={"action": "withdraw"}),
    E("/my-cases/", allow={"GET": AREA | SW | CHARITY}, listed="assigned_case"),
    E("/assistance/", allow={"GET": EVERYONE_STAFF}),
    E("/services/", allow={"GET": EVERYONE_STAFF}),
    E("/services/act/{action}/", allow={"POST": EVERYONE_STAFF}, kwargs={"action": "item"}),
    E("/services/contracts/{pk}/", "service_contract", allow={"GET": AREA | SW | CHARITY | ps("clerk_b")}),
    E("/services/contracts/{pk}/evaluate/", "service_contract", allow={"POST": AREA | SW | CHARITY | ps("clerk_b")}),
    E("/facilities/", allow={"GET": AREA | SW | CHARITY | ps("clerk_b")}, listed="facility"),
    E("/facilities/new/", allow={"POST": EVERYONE_STAFF}),
    E("/facilities/{pk}/", "facility", allow={"GET": AREA | SW | CHARITY | ps("clerk_b")}),
    E(
        "/facilities/{pk}/{action}/",
        "facility",
        allow={"POST": AREA | SW | CHARITY | ps("clerk_b")},
        kwargs={"action": "beds"},
    ),
    E("/stranded/", allow={"GET": EVERYONE_STAFF}),
    E("/stranded/new/", allow={"POST": EVERYONE_STAFF}),
    E("/stranded/{pk}/", "stranded", allow={"GET": AREA | SW | CHARITY}),
    E("/stranded/{pk}/{action}/", "stranded", allow={"POST": AREA | SW | CHARITY}, kwargs={"action": "help"}),
    E("/volunteers/", allow={"GET": AREA | SW | CHARITY}, listed="volunteer_task"),
    E("/volunteers/act/{action}/", allow={"POST": EVERYONE_STAFF}, kwargs={"action": "volunteer"}),
    E("/volunteers/tasks/{pk}/", "volunteer_task", allow={"GET": AREA | SW | CHARITY}),
    E(
        "/volunteers/tasks/{pk}/{action}/",
        "volunteer_task",
        allow={"POST": AREA | SW | CHARITY},
        kwargs={"action": "close"},
    ),
    E("/enrolments/", allow={"GET": AREA | SW | CHARITY}, listed="enrolment"),
    E("/enrolments/{pk}/", "enrolment", allow={"GET": AREA | SW | CHARITY}),
    E("/enrolments/{pk}/bridging/", "enrolment", allow={"POST": AREA | SW | CHARITY}),
    E("/enrolments/{pk}/recheck/", "enrolment", allow={"POST": AREA | SW | CHARITY}),
    E("/enrolments/enrol/{decision_pk}/", "decision", allow={"POST": NOBODY}),
    E("/payment-rolls/", allow={"GET": AREA}, listed="roll"),
    E("/payment-rolls/generate/", allow={"POST": EVERYONE_STAFF}),
    E("/payment-rolls/{pk}/", "roll", allow={"GET": AREA}),
    E("/payment-rolls/{pk}/lock/", "roll", allow={"POST": AREA}),
    E(
        "/payment-rolls/{pk}/export.{fmt}",
        "roll",
        allow={"GET": AREA},
        kwargs={"fmt": "csv"},
    ),
    E(
        "/payment-rolls/{pk}/export.{fmt}",
        "roll",
        allow={"GET": AREA},
        kwargs={"fmt": "xlsx"},
    ),
    E("/reverification/", allow={"GET": EVERYONE_STAFF}),
    E("/reverification/runs/", allow={"POST": EVERYONE_STAFF}),
    E("/reverification/runs/{pk}/", "run", allow={"GET": AREA | SW | CHARITY}),
    E("/reverification/runs/{pk}/resume/", "run", allow={"POST": AREA | SW | CHARITY}),
    E("/review-tasks/", allow={"GET": AREA | SW | CHARITY}, listed="review_task"),
    E("/review-tasks/{pk}/", "review_task", allow={"GET": AREA | SW | CHARITY, "POST": AREA | SW | CHARITY}),
    E("/review-tasks/{pk}/notice/", "resolved_task", allow={"GET": AREA | SW | CHARITY}),
    E("/monitoring/", allow={"GET": EVERYONE_STAFF}),
    E("/monitoring/scan/", allow={"POST": EVERYONE_STAFF}),
    E("/monitoring/alerts/{pk}/{action}/", "alert", allow={"POST": AREA | SW | CHARITY}, kwargs={"action": "dismiss"}),
    E("/monitoring/report/", allow={"GET": STREET | SW | ps("clerk_b"), "POST": EVERYONE_STAFF}),
    E("/monitoring/leads/{pk}/", "lead", allow={"GET": AREA | SW | CHARITY, "POST": AREA | SW | CHARITY}),
    E("/charity/", allow={"GET": EVERYONE_STAFF}),
    E("/charity/handoffs/", allow={"GET": AREA | SW | CHARITY}, listed="handoff"),
    E("/charity/handoffs/{pk}/", "handoff", allow={"GET": AREA | SW | CHARITY}),
    E(
        "/charity/handoffs/{pk}/act/{action}/",
        "handoff",
        allow={"POST": AREA | SW | CHARITY},
        kwargs={"action": "accept"},
    ),
    E("/charity/handoffs/{pk}/consent-scan/", "handoff_scan", allow={"GET": AREA | SW | CHARITY}),
    E("/charity/cases/{case_pk}/", "case", allow={"GET": AREA | CHARITY}),
    E("/charity/cases/{case_pk}/refer/", "case", allow={"GET": STREET | COUNTY, "POST": AREA | CHARITY}),
    E("/charity/funds/{pk}/", "fund", allow={"GET": COUNTY | CITY | CHARITY}),
    E(
        "/charity/funds/{pk}/donations/new/",
        "fund",
        allow={"GET": COUNTY | CITY | CHARITY, "POST": COUNTY | CITY | CHARITY},
    ),
    E(
        "/charity/funds/{pk}/transfers/new/",
        "fund",
        allow={"GET": COUNTY | CITY | CHARITY, "POST": COUNTY | CITY | CHARITY},
    ),
    E("/charity/funds/{pk}/statement/", "fund", allow={"GET": COUNTY | CITY | CHARITY}),
    E("/charity/entries/{pk}/", "entry", allow={"GET": COUNTY | CITY | CHARITY}),
    E("/charity/reports/grants/", allow={"GET": EVERYONE_STAFF}),
]

REGISTRY += [
    api("/", allow={"GET": EVERYONE_STAFF}),
    api("/{format}", allow={"GET": EVERYONE_STAFF}, kwargs={"format": ".json"}),
    api(
        "/households/",
        allow={"GET": AREA | CHARITY, "POST": EVERYONE_STAFF - SW - CHARITY - ps("charity_feixi")},
        listed="household",
        query=STREET_A_QUERY,
    ),
    api(
        "/households.{format}",
        allow={"GET": AREA | CHARITY},
        kwargs={"format": "json"},
        listed="household",
        query=STREET_A_QUERY,
    ),
    api(
        "/households/{pk}/",
        "household",
        allow={"GET": AREA | CHARITY, "PATCH": AREA},
        data=lambda w: {"address": "越权修改"},
    ),
    api(
        "/households/{pk}.{format}",
        "household",
        allow={"GET": AREA | CHARITY},
        kwargs={"format": "json"},
    ),
    api("/households/{pk}/members/", "household", allow={"POST": AREA}),
    api(
        "/households/{pk}/members.{format}",
        "household",
        allow={"POST": AREA},
        kwargs={"format": "json"},
    ),
    api(
        "/members/{pk}/",
        "member",
        allow={"GET": AREA | CHARITY, "PATCH": AREA},
        data=lambda w: {"name": "越权改名"},
    ),
    api(
        "/members/{pk}.{format}",
        "member",
        allow={"GET": AREA | CHARITY},
        kwargs={"format": "json"},
    ),
    api(
        "/members/{pk}/reveal/",
        "member",
        allow={"POST": COUNTY | ps("approver_a reviewer_a")},
        data=lambda w: {"reason": "核对身份"},
    ),
    api(
        "/members/{pk}/reveal.{format}",
        "member",
        allow={"POST": COUNTY | ps("reviewer_a approver_a")},
        kwargs={"format": "json"},
        data=lambda w: {"reason": "核对身份"},
    ),
    api("/eligibility/evaluate/", allow={"POST": EVERYONE_STAFF}),
    api("/eligibility/parameters/", allow={"GET": EVERYONE_STAFF, "POST": NOBODY}),
    api("/intake/", allow={"POST": EVERYONE_STAFF}),
    api("/applications/", allow={"GET": AREA | CHARITY}, listed="application"),
    api(
        "/applications/{pk}/",
        "application",
        allow={"GET": AREA | CHARITY},
    ),
    api("/applications/{pk}/accept/", "application", allow={"POST": ps("clerk_a")}),
    api("/applications/{pk}/authorisations/", "application", allow={"POST": AREA}),
    api("/applications/{pk}/reject/", "application", allow={"POST": AREA | CHARITY}),
    api("/applications/{pk}/withdraw/", "application", allow={"POST": AREA | CHARITY}),
    api("/cases/", allow={"GET": AREA | CHARITY}, listed="case"),
    api("/cases/{pk}/", "case", allow={"GET": AREA | CHARITY}),
    api("/cases/{pk}/check/", "case", allow={"POST": ps("clerk_a reviewer_a")}),
    api("/cases/{pk}/close-notice/", "case", allow={"POST": AREA | CHARITY}),
    api("/cases/{pk}/confirm/", "case", allow={"POST": AREA | CHARITY}),
    api("/cases/{pk}/emergency-payment/", "case", allow={"POST": ps("approver_a")}),
    api("/cases/{pk}/investigation/", "case", allow={"POST": NOBODY}),
    api("/cases/{pk}/notice/", "case", allow={"POST": AREA | CHARITY}),
    api("/cases/{pk}/objection/", "case", allow={"POST": AREA | CHARITY}),
    api("/cases/{pk}/opinion/", "case", allow={"POST": AREA | CHARITY}),
    api("/cases/{pk}/refuse/", "case", allow={"POST": AREA | CHARITY}),
    api("/cases/{pk}/reinvestigate/", "case", allow={"POST": AREA | CHARITY}),
    api("/cases/{pk}/revise-opinion/", "case", allow={"POST": AREA | CHARITY}),
    api("/cases/{pk}/send-back/", "case", allow={"POST": AREA | CHARITY}),
    api("/cases/{pk}/withdraw/", "case", allow={"POST": ps("clerk_a reviewer_a")}),
    api("/emergency-payments/", allow={"GET": AREA | SW | CHARITY}, listed="emergency_payment"),
    api("/emergency-payments/{pk}/decide/", "emergency_payment", allow={"POST": COUNTY}),
    api("/public-emergencies/", allow={"GET": AREA | SW | CHARITY, "POST": EVERYONE_STAFF}, listed="emergency"),
    api("/public-emergencies/{pk}/", "emergency", allow={"GET": AREA | SW | CHARITY}),
    api("/public-emergencies/{pk}/cases/", "emergency", allow={"GET": AREA | SW | CHARITY}),
    api("/reserve-funds/", allow={"GET": EVERYONE_STAFF}),
    api("/reserve-funds/{street}/ledger/", "reserve_fund", allow={"GET": AREA | SW | CHARITY}),
    api("/reserve-funds/{street}/top-up/", "reserve_fund", allow={"POST": COUNTY | CITY | ps("approver_a")}),
    api("/plans/", allow={"GET": EVERYONE_STAFF, "POST": ps("approver_a reviewer_a")}),
    api("/plans/{pk}/", "case", allow={"GET": AREA | CHARITY}),
    api("/plans/{pk}/", "assigned_case", allow={"GET": AREA | SW | CHARITY}),
    api("/plans/{pk}/assign/", "case", allow={"POST": ps("approver_a reviewer_a")}),
    api("/plans/{pk}/in-kind/", "case", allow={"POST": ps("approver_a reviewer_a")}),
    api("/plans/{pk}/special/", "case", allow={"POST": ps("approver_a reviewer_a")}),
    api("/in-kind-items/{pk}/deliver/", "in_kind_item", allow={"POST": SW | ps("approver_a reviewer_a")}),
    api(
        "/service-orders/",
        allow={"GET": AREA | SW | CHARITY, "POST": ps("approver_a reviewer_a")},
        listed="service_order",
    ),
    api("/service-orders/{pk}/", "service_order", allow={"GET": AREA | SW | CHARITY}),
    api("/service-orders/{pk}/cancel/", "service_order", allow={"POST": ps("approver_a reviewer_a")}),
    api("/delivery-records/", allow={"GET": EVERYONE_STAFF, "POST": NOBODY}),
    api("/service-contracts/", allow={"GET": AREA | SW | CHARITY | ps("clerk_b")}, listed="service_contract"),
    api("/service-contracts/{pk}/", "service_contract", allow={"GET": AREA | SW | CHARITY | ps("clerk_b")}),
    api("/service-contracts/{pk}/evaluate/", "service_contract", allow={"POST": COUNTY}),
    api("/referrals/", allow={"GET": AREA | SW | CHARITY, "POST": ps("approver_a reviewer_a")}, listed="referral"),
    api("/referrals/{pk}/", "referral", allow={"GET": AREA | SW | CHARITY}),
    api("/referrals/{pk}/acknowledge/", "referral", allow={"POST": AREA | SW | CHARITY}),
    api("/referrals/{pk}/answer/", "referral", allow={"POST": AREA | SW | CHARITY}),
    api("/referrals/{pk}/close/", "referral", allow={"POST": SW | ps("approver_a reviewer_a")}),
    api("/referrals/{pk}/send/", "referral", allow={"POST": AREA | SW | CHARITY}),
    api("/referrals/{pk}/withdraw/", "referral", allow={"POST": AREA | SW | CHARITY}),
    api("/conferences/", allow={"GET": AREA | SW | CHARITY, "POST": EVERYONE_STAFF}, listed="conference"),
    api("/conferences/{pk}/", "conference", allow={"GET": AREA | SW | CHARITY}),
    api("/volunteers/", allow={"GET": AREA | SW | CHARITY, "POST": EVERYONE_STAFF}, listed="volunteer"),
    api("/volunteer-tasks/", allow={"GET": AREA | SW | CHARITY, "POST": EVERYONE_STAFF}, listed="volunteer_task"),
    api("/volunteer-tasks/{pk}/", "volunteer_task", allow={"GET": AREA | SW | CHARITY}),
    api("/volunteer-tasks/{pk}/close/", "volunteer_task", allow={"POST": SW | ps("approver_a reviewer_a")}),
    api("/volunteer-tasks/{pk}/hours/", "volunteer_task", allow={"POST": NOBODY}),
    api("/care-facilities/", allow={"GET": AREA | SW | CHARITY | ps("clerk_b")}, listed="facility"),
    api("/care-facilities/{pk}/place/", "facility", allow={"POST": COUNTY | ps("approver_a")}),
    api(
        "/stranded-persons/", allow={"GET": AREA | SW | CHARITY, "POST": STREET | SW | ps("clerk_b")}, listed="stranded"
    ),
    api("/stranded-persons/{pk}/", "stranded", allow={"GET": AREA | SW | CHARITY}),
    api("/stranded-persons/{pk}/help/", "stranded", allow={"POST": STREET | SW}),
    api("/stranded-persons/{pk}/transition/", "stranded", allow={"POST": AREA | SW | CHARITY}),
    api("/reverification-schedules/", allow={"GET": EVERYONE_STAFF}),
    api("/enrolments/", allow={"GET": AREA | SW | CHARITY}, listed="enrolment"),
    api("/enrolments/{pk}/", "enrolment", allow={"GET": AREA | SW | CHARITY}),
    api("/enrolments/{pk}/bridging/", "enrolment", allow={"POST": ps("approver_a")}),
    api("/enrolments/{pk}/recheck/", "enrolment", allow={"POST": STREET | SW}),
    api("/payment-rolls/", allow={"GET": AREA, "POST": EVERYONE_STAFF}, listed="roll"),
    api("/payment-rolls/{pk}/", "roll", allow={"GET": AREA}),
    api("/payment-rolls/{pk}/csv/", "roll", allow={"GET": AREA}),
    api("/payment-rolls/{pk}/xlsx/", "roll", allow={"GET": AREA}),
    api("/payment-rolls/{pk}/lock/", "roll", allow={"POST": AREA}),
    api(
        "/reverification-runs/",
        allow={"GET": AREA | SW | CHARITY, "POST": COUNTY | ps("approver_a supervisor_feixi")},
        listed="run",
    ),
    api("/reverification-runs/{pk}/", "run", allow={"GET": AREA | SW | CHARITY}),
    api("/reverification-runs/{pk}/resume/", "run", allow={"POST": COUNTY | CITY | ps("approver_a")}),
    api("/review-tasks/", allow={"GET": AREA | SW | CHARITY}, listed="review_task"),
    api("/review-tasks/{pk}/", "review_task", allow={"GET": AREA | SW | CHARITY}),
    api("/review-tasks/{pk}/resolve/", "review_task", allow={"POST": ps("approver_a reviewer_a")}),
    api("/alerts/", allow={"GET": STREET | SW | COUNTY | CHARITY}, listed="alert"),
    api("/alerts/{pk}/", "alert", allow={"GET": AREA | SW | CHARITY}),
    api("/alerts/{pk}/application/", "alert", allow={"POST": STREET | SW}),
    api("/alerts/{pk}/dismiss/", "alert", allow={"POST": AREA | SW | CHARITY}),
    api("/discovery-leads/", allow={"GET": AREA | SW | CHARITY, "POST": EVERYONE_STAFF}, listed="lead"),
    api("/discovery-leads/{pk}/", "lead", allow={"GET": AREA | SW | CHARITY}),
    api("/discovery-leads/{pk}/follow-up/", "lead", allow={"POST": STREET | SW}),
    api("/charity/transfers/", allow={"POST": CHARITY}),
    api(
        "/charity/reports/grants/",
        allow={"GET": AREA | SW | CHARITY},
        query=PERIOD,
        listed="handoff",
        listed_by=("street", "street_id"),
    ),
    api("/charity/funds/", allow={"GET": COUNTY | CITY | CHARITY}, listed="fund"),
    api("/charity/funds/{pk}/", "fund", allow={"GET": COUNTY | CITY | CHARITY}),
    api("/charity/funds/{pk}/statement/", "fund", allow={"GET": COUNTY | CITY | CHARITY}, query=PERIOD),
    api("/charity/entries/", allow={"GET": COUNTY | CITY | CHARITY}, listed="entry"),
    api("/charity/entries/{pk}/", "entry", allow={"GET": COUNTY | CITY | CHARITY}),
    api("/charity/entries/{pk}/reverse/", "entry", allow={"POST": CHARITY}),
    api("/charity/donations/", allow={"GET": COUNTY | CITY | CHARITY, "POST": CHARITY}, listed="donation"),
    api("/charity/donations/{pk}/", "donation", allow={"GET": COUNTY | CITY | CHARITY}),
    api("/charity/handoffs/", allow={"GET": AREA | SW | CHARITY, "POST": STREET | COUNTY}, listed="handoff"),
    api("/charity/handoffs/{pk}/", "handoff", allow={"GET": AREA | SW | CHARITY}),
    api("/charity/handoffs/{pk}/accept/", "handoff", allow={"POST": AREA | SW | CHARITY}),
    api("/charity/handoffs/{pk}/approve/", "handoff", allow={"POST": CHARITY}),
    api("/charity/handoffs/{pk}/close/", "handoff", allow={"POST": CHARITY}),
    api("/charity/handoffs/{pk}/decline/", "handoff", allow={"POST": AREA | SW | CHARITY}),
    api("/charity/handoffs/{pk}/pay/", "handoff", allow={"POST": AREA | SW | CHARITY}),
    api("/charity/handoffs/{pk}/withdraw/", "handoff", allow={"POST": AREA | SW | CHARITY}),
]

P = frozenset({"?"})  # placeholder while drafting an entry (the probe fills it); never left in REGISTRY
OVERSEERS = COUNTY | CITY | ps("supervisor_feixi")  # county/city tools, each scoped to its own area
RESPONDERS = ps("reviewer_a approver_a")  # the street answers a rectification
RESULT = {"result": "correct", "note": "材料齐全"}
RESPOND = {"response": "rectified", "note": "已补齐入户调查照片"}
CLOSE = {"accept": True, "note": "整改到位"}

REGISTRY += [
    # ---- issue 7/8 additions: OTP, spot checks, oversight, department interface ----------------
    E("/accounts/otp/setup/", allow={"GET": APPROVER | COUNTY | CITY | ps("supervisor_feixi")}),
    # no TOTP device yet: everybody is sent on (302) — nothing to authorise beyond the sign-in
    E("/accounts/otp/verify/", allow={"GET": NOBODY}),
    E("/spot-checks/", allow={"GET": COUNTY | CITY}, listed="spot_check"),
    E("/spot-checks/new/", allow={"GET": OVERSEERS, "POST": OVERSEERS}),
    E("/spot-checks/{pk}/", "spot_check", allow={"GET": COUNTY | CITY}),
    E("/spot-checks/{pk}/print/", "spot_check", allow={"GET": COUNTY | CITY}),
    E("/spot-checks/items/{pk}/", "spot_item", allow={"GET": AREA | SW | CHARITY}),
    E("/spot-checks/items/{pk}/result/", "spot_item", allow={"POST": COUNTY | CITY}, data=lambda w: RESULT),
    E("/spot-checks/items/{pk}/respond/", "spot_item", allow={"POST": RESPONDERS}, data=lambda w: RESPOND),
    E("/spot-checks/items/{pk}/close/", "spot_item", allow={"POST": COUNTY | CITY}, data=lambda w: CLOSE),
    E("/rectifications/", allow={"GET": AREA | SW | CHARITY}, listed="spot_item"),
    api(
        "/spot-checks/",
        allow={"GET": COUNTY | CITY, "POST": COUNTY | CITY},
        listed="spot_check",
        data=lambda w: {"street": "340104001", "period_start": "2000-01-01", "period_end": TODAY, "percentage": "10"},
    ),
    api("/spot-checks/{pk}/", "spot_check", allow={"GET": COUNTY | CITY}),
    api("/spot-check-items/", allow={"GET": AREA | SW | CHARITY}, listed="spot_item"),
    api("/spot-check-items/{pk}/", "spot_item", allow={"GET": AREA | SW | CHARITY}),
    api("/spot-check-items/{pk}/result/", "spot_item", allow={"POST": COUNTY | CITY}, data=lambda w: RESULT),
    api("/spot-check-items/{pk}/respond/", "spot_item", allow={"POST": RESPONDERS}, data=lambda w: RESPOND),
    api("/spot-check-items/{pk}/close/", "spot_item", allow={"POST": COUNTY | CITY}, data=lambda w: CLOSE),
    # oversight: ?street=340104001 — a street outside the user's area is a 404 (no object id here)
    E("/oversight/", allow={"GET": COUNTY | CITY}, query=STREET_A_QUERY),
    E("/oversight/refresh/", allow={"POST": OVERSEERS}),
    E("/oversight/list/{figure}/", kwargs={"figure": "received"}, allow={"GET": COUNTY | CITY}, query=STREET_A_QUERY),
    E("/oversight/reports/monthly/", allow={"GET": AREA}, query=STREET_A_QUERY),
    E("/oversight/reports/monthly.xlsx", allow={"GET": AREA}, query=STREET_A_QUERY),
    E("/oversight/departments/queries/", allow={"GET": OVERSEERS}),
    api("/oversight/figures/", allow={"GET": COUNTY | CITY}, query=STREET_A_QUERY),
    api("/departments/recipient-status/", allow={"POST": NOBODY}, department=True),
]

# Who can see each kind of street-A record at all (its detail page/endpoint answers 200): a persona
# outside this set must get the same refusal for the record as for a non-existent id.
SEES: dict[str, frozenset[str]] = {
    "alert": AREA | SW | CHARITY,
    "application": AREA | CHARITY,  # a social worker sees only the families assigned to her
    "assigned_case": AREA | SW | CHARITY,
    "authorisation": AREA | CHARITY,  # a social worker sees only the families assigned to her
    "case": AREA | CHARITY,
    "noticed_case": AREA | CHARITY,
    "conference": AREA | SW | CHARITY,
    "decided_case": AREA | SW | CHARITY,
    "decision": NOBODY,  # already enrolled: off every "waiting for enrolment" list, a 404 for all
    "donation": COUNTY | CITY | CHARITY,
    "emergency": AREA | SW | CHARITY,
    "emergency_payment": AREA | SW | CHARITY,
    "enrolment": AREA | SW | CHARITY,
    "entry": COUNTY | CITY | CHARITY,
    "facility": AREA | SW | CHARITY | ps("clerk_b"),  # county record: every street of 蜀山区 uses it
    "fund": COUNTY | CITY | CHARITY,
    "handoff": AREA | SW | CHARITY,
    "handoff_scan": AREA | SW | CHARITY,
    "household": AREA | CHARITY,  # a social worker sees only the families assigned to her
    "in_kind_item": AREA | SW | CHARITY,
    "lead": AREA | SW | CHARITY,
    "member": AREA | CHARITY,  # a social worker sees only the families assigned to her
    "parameter": EVERYONE_STAFF,  # policy parameters are public to all staff (the list shows them all)
    "photo": AREA | CHARITY,
    "referral": AREA | SW | CHARITY,
    "reserve_fund": AREA | SW | CHARITY,
    "resolved_task": AREA | SW | CHARITY,
    "review_task": AREA | SW | CHARITY,
    "roll": AREA,  # payee names and bank details of the whole street: no social worker, no charity
    "run": AREA | SW | CHARITY,
    "service_contract": AREA | SW | CHARITY | ps("clerk_b"),  # county contract: every street of 蜀山区
    "service_order": AREA | SW | CHARITY,
    "stranded": AREA | SW | CHARITY,
    "spot_check": COUNTY | CITY,
    "spot_item": AREA | SW | CHARITY,  # a rectification is sent to the street (and the county sees it)
    "volunteer_task": AREA | SW | CHARITY,
}
