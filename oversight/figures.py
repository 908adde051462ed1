"""Figures of the supervision dashboard: one function computes what the page and the API show.

- ``refresh_figures()`` rewrites the summary cells (``oversight.models_summary``) from the live tables,
  one GROUP BY pass per table, in one transaction (readers keep the previous cells until it commits).
- ``parse_filters(user, params)`` turns the query string (``from``/``to`` months, ``street``) into
  ``Filters`` inside the user's area (a street outside it is a 404, never data).
- ``compute_figures(user, filters)`` sums the cells of the area and period; charity hand-offs and fund
  balances are read live through ``charity.selectors`` (small tables, their ledger rules).
- ``drilldown(user, filters, figure, key)`` is the live, scoped queryset behind each figure, filtered
  exactly like it: right after a refresh its count equals the figure.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Region, Role, User
from accounts.selectors import scope_by_region, scope_prefix, streets_visible_to
from casework.models.case import BEFORE_OPINION, OPEN_STATUSES, Case, CaseStatus, overdue_q
from casework.models.emergency import EmergencyPayment, PaymentStatus
from casework.models.enrolment import Enrolment, EnrolmentStatus, add_months, month_start
from casework.models.monitoring import Alert, AlertRule, AlertStatus
from casework.models.payments import RollLine
from casework.models.reverification import ReviewOutcome, ReviewTask, TaskStatus
from casework.models.review import Tier
from oversight.models_summary import FigureCell, FigureRefresh, Metric

Viewer = User | AnonymousUser
DASHBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
MAX_MONTHS = 60
ZERO = Decimal("0.00")
ENROLMENT_TIERS = [Tier.TEKUN, Tier.DIBAO, Tier.LOW_INCOME, Tier.EXPENDITURE_HARDSHIP]
SPENDING_KEYS = [*ENROLMENT_TIERS, Tier.EMERGENCY]
DECIDED_KEYS = [CaseStatus.APPROVED, CaseStatus.REFUSED]

# Overdue steps: the parts of ``casework.models.case.overdue_q`` one by one, with the labels of
# ``Case.overdue_steps`` (a case late on two deadlines counts under both steps, once under "any").
OVERDUE_STEPS: list[tuple[str, Any]] = [
    ("check", gettext_lazy("核对启动超时")),
    ("opinion", gettext_lazy("初审意见超时")),
    ("confirm", gettext_lazy("审批确认超时")),
    ("case", gettext_lazy("办结超时")),
    ("emergency", gettext_lazy("先行救助后补办超时")),
]


def overdue_step_q(step: str, today: dt.date) -> Q:
    """Open cases late on ``step`` ("any": late on at least one — exactly ``overdue_q``)."""
    if step == "any":
        return overdue_q(today)
    parts = {
        "check": Q(status=CaseStatus.ACCEPTED, check_due__lt=today),
        "opinion": Q(status__in=BEFORE_OPINION, opinion_due__lt=today),
        "confirm": Q(status__in=[CaseStatus.NOTICE, CaseStatus.REVIEW], confirm_due__lt=today),
        "case": Q(case_due__lt=today),
        "emergency": Q(emergency_due__lt=today),
    }
    if step not in parts:
        raise Http404
    return Q(status__in=OPEN_STATUSES) & parts[step]


def can_view_dashboard(user: Viewer) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or getattr(user, "role", None) in DASHBOARD_ROLES)
        and scope_prefix(user) is not None
    )


# --- filters ----------------------------------------------------------------------------------


class FilterError(ValueError):
    """A malformed period (the API answers 400; the page falls back to the default period)."""


@dataclass(frozen=True)
class Filters:
    month_from: dt.date  # first day of the first month
    month_to: dt.date  # first day of the last month
    street: str = ""  # a street code inside the user's area, or "" for the whole area

    @property
    def date_from(self) -> dt.date:
        return self.month_from

    @property
    def date_to(self) -> dt.date:
        """Last day of the last month."""
        return add_months(self.month_to, 1) - dt.timedelta(days=1)

    def months(self) -> list[dt.date]:
        out, month = [], self.month_from
        while month <= self.month_to:
            out.append(month)
            month = add_months(month, 1)
        return out

    def query(self, *, street: bool = True) -> str:
        """The query string of these filters (for links to drill-downs and other views)."""
        parts = [f"from={self.month_from:%Y-%m}", f"to={self.month_to:%Y-%m}"]
        if street and self.street:
            parts.append(f"street={self.street}")
        return "&".join(parts)


def default_filters(today: dt.date | None = None) -> Filters:
    """The last 12 months, the current one included."""
    current = month_start(today or timezone.localdate())
    return Filters(month_from=add_months(current, -11), month_to=current)


def parse_month(value: str) -> dt.date:
    if len(value) > 7 or "\x00" in value:
        raise FilterError(_("月份格式应为 YYYY-MM。"))
    try:
        month = dt.datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError as exc:
        raise FilterError(_("月份格式应为 YYYY-MM。")) from exc
    if not 2000 <= month.year <= 2100:
        raise FilterError(_("月份超出范围。"))
    return month


def parse_filters(user: Viewer, params: Any, *, today: dt.date | None = None) -> Filters:
    """Filters from a query dict. Raises ``FilterError`` for a bad period, ``Http404`` for a street
    outside the user's area (or not a street)."""
    default = default_filters(today)
    raw_from, raw_to = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    month_to = parse_month(raw_to) if raw_to else default.month_to
    month_from = parse_month(raw_from) if raw_from else add_months(month_to, -11)
    if month_from > month_to:
        raise FilterError(_("起始月份不能晚于截止月份。"))
    if (month_to.year - month_from.year) * 12 + month_to.month - month_from.month >= MAX_MONTHS:
        raise FilterError(_("统计期间最长 %(n)d 个月。") % {"n": MAX_MONTHS})
    street = (params.get("street") or "").strip()
    if street and not (street.isascii() and street.isdigit() and len(street) <= 12):
        raise Http404  # not a region code at all (never reaches the database)
    if street and not streets_visible_to(user).filter(code=street).exists():
        raise Http404
    return Filters(month_from=month_from, month_to=month_to, street=street)


# --- refresh (Celery) -------------------------------------------------------------------------

_LOCK_KEY = 7_202_611  # pg_advisory_xact_lock key of the refresh


def _decided_rows() -> list[tuple[str, dt.date, str, int, int]]:
    """(street, month, status, cases, working days) of decided cases: working days from acceptance
    to decision as ``casework.workdays.working_days_between`` counts them (the calendar's days in
    (accepted_on, closed_on]; a date the calendar lacks falls back to Monday–Friday), computed with
    one running count over the calendar instead of a loop per case."""
    sql = """
        WITH decided AS (
            SELECT street_id, accepted_on, closed_on, status FROM casework_case
            WHERE status IN ('approved', 'refused') AND closed_on IS NOT NULL
        ), bounds AS (
            SELECT min(accepted_on) AS lo, max(closed_on) AS hi FROM decided
        ), days AS (
            SELECT g::date AS day,
                   sum(CASE WHEN coalesce(wc.is_working_day, extract(isodow FROM g) < 6) THEN 1 ELSE 0 END)
                       OVER (ORDER BY g) AS cum
            FROM bounds, generate_series(bounds.lo::timestamp, bounds.hi::timestamp, interval '1 day') AS g
            LEFT JOIN casework_workingcalendar wc ON wc.date = g::date
        )
        SELECT d.street_id, date_trunc('month', d.closed_on)::date, d.status, count(*),
               coalesce(sum(greatest(c.cum - a.cum, 0)), 0)
        FROM decided d JOIN days a ON a.day = d.accepted_on JOIN days c ON c.day = d.closed_on
        GROUP BY 1, 2, 3
    """
    with connection.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


def _caseload_rows() -> list[tuple[str, str, int, int]]:
    """(street, tier, households, people) of open enrolments. People: the members the current period
    names (特困 persons, 单人户), else the household's counted members."""
    sql = """
        SELECT e.street_id, e.tier, count(*),
               coalesce(sum(CASE WHEN cardinality(p.members) > 0 THEN cardinality(p.members)
                                 ELSE coalesce(m.n, 0) END), 0)
        FROM casework_enrolment e
        LEFT JOIN casework_enrolmentperiod p ON p.id = e.current_period_id
        LEFT JOIN (
            SELECT household_id, count(*) AS n FROM applications_member
            WHERE active AND excluded = '' GROUP BY household_id
        ) m ON m.household_id = e.household_id
        WHERE e.status <> 'closed'
        GROUP BY 1, 2
    """
    with connection.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


def _build_cells(today: dt.date) -> list[FigureCell]:
    cells: list[FigureCell] = []
    add = cells.append

    for street, tier, households, people in _caseload_rows():
        add(FigureCell(street=street, metric=Metric.CASELOAD, key=tier, count=households, people=people))

    received = (
        Case.objects.annotate(m=TruncMonth("accepted_on"))
        .values_list("street_id", "m")
        .annotate(n=Count("id"))
        .order_by()
    )
    for street, month, n in received:
        add(FigureCell(street=street, month=month, metric=Metric.RECEIVED, count=n))

    for street, month, status, n, days in _decided_rows():
        add(FigureCell(street=street, month=month, metric=Metric.DECIDED, key=status, count=n, days=days))

    lines = (
        RollLine.objects.values_list("roll__street_id", "roll__month", "tier")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    for street, month, tier, n, total in lines:
        add(FigureCell(street=street, month=month, metric=Metric.SPENDING, key=tier, count=n, amount=total))
    emergency = (
        EmergencyPayment.objects.filter(status=PaymentStatus.PAID, paid_on__isnull=False)
        .annotate(m=TruncMonth("paid_on"))
        .values_list("case__street_id", "m")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    for street, month, n, total in emergency:
        add(FigureCell(street=street, month=month, metric=Metric.SPENDING, key=Tier.EMERGENCY, count=n, amount=total))

    # One pass over the overdue cases: conditional counts per step (aliases prefixed: no clash with fields).
    steps = {f"late_{step}": Count("id", filter=overdue_step_q(step, today)) for step, _label in OVERDUE_STEPS}
    overdue = (
        Case.objects.filter(overdue_q(today)).values("street_id").annotate(late_any=Count("id"), **steps).order_by()
    )
    for row in overdue:
        for step in ["any", *(s for s, _label in OVERDUE_STEPS)]:
            if row[f"late_{step}"]:
                add(FigureCell(street=row["street_id"], metric=Metric.OVERDUE, key=step, count=row[f"late_{step}"]))

    reviewed = (
        ReviewTask.objects.filter(status=TaskStatus.RESOLVED, resolved_on__isnull=False)
        .annotate(m=TruncMonth("resolved_on"))
        .values_list("street_id", "m", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    for street, month, outcome, n in reviewed:
        add(FigureCell(street=street, month=month, metric=Metric.REVIEWED, key=outcome, count=n))
    review_open = (
        ReviewTask.objects.filter(status=TaskStatus.OPEN).values_list("street_id").annotate(n=Count("id")).order_by()
    )
    for street, n in review_open:
        add(FigureCell(street=street, metric=Metric.REVIEW_OPEN, count=n))

    alerts = (
        Alert.objects.filter(status=AlertStatus.OPEN)
        .values_list("street_id", "rule_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for street, rule, n in alerts:
        add(FigureCell(street=street, metric=Metric.ALERT_OPEN, key=rule, count=n))
    return cells


def refresh_figures(*, today: dt.date | None = None) -> FigureRefresh:
    """Recompute every summary cell (idempotent; concurrent refreshes queue on an advisory lock)."""
    today = today or timezone.localdate()
    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        cells = _build_cells(today)
        FigureCell.objects.all().delete()
        FigureCell.objects.bulk_create(cells, batch_size=5000)
        with connection.cursor() as cur:
            cur.execute("ANALYZE oversight_figurecell")  # fresh statistics for the page's query plan
        FigureRefresh.objects.filter(refreshed_at__lt=timezone.now() - dt.timedelta(days=7)).delete()
        return FigureRefresh.objects.create(
            refreshed_at=timezone.now(), as_of=today, seconds=time.monotonic() - started, cells=len(cells)
        )


def latest_refresh() -> FigureRefresh | None:
    return FigureRefresh.objects.order_by("-refreshed_at", "-id").first()


# --- the figures ------------------------------------------------------------------------------


def _area(user: Viewer, filters: Filters) -> tuple[str, str]:
    """(code, name) of the area the figures cover: the street, else the user's county/city."""
    code = filters.street or (scope_prefix(user) or "")
    if not code:
        return "", str(_("全市"))
    region = Region.objects.filter(code=code).only("name").first()
    return code, region.name if region else code


def _money(value: Decimal | int | None) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _cells(prefix: str, filters: Filters) -> list[tuple[Any, ...]]:
    """Cells of the area and period, summed twice: per (metric, key, month) and per (metric, key, street)."""
    # Region codes are digits only: LIKE with the street code itself is an equality, with "prefix%" the area.
    street_param = filters.street or f"{prefix}%"
    sql = """
        SELECT metric, key, month, street, GROUPING(month) AS by_street,
               sum(count), sum(people), sum(amount), sum(days)
        FROM oversight_figurecell
        WHERE street LIKE %s AND (month IS NULL OR (month >= %s AND month <= %s))
        GROUP BY GROUPING SETS ((metric, key, month), (metric, key, street))
    """
    with connection.cursor() as cur:
        cur.execute(sql, [street_param, filters.month_from, filters.month_to])
        return list(cur.fetchall())


CELLS_CACHE_SECONDS = 3600


def _cached_cells(prefix: str, filters: Filters, refresh: FigureRefresh | None) -> list[tuple[Any, ...]]:
    """``_cells`` memoised per refresh: the cells change only when a refresh commits, and the key names
    that refresh, so a new one is read at once and nothing stale is ever served."""
    if refresh is None:
        return _cells(prefix, filters)
    key = ":".join(
        [
            "oversight:cells",
            str(refresh.pk),
            f"{refresh.refreshed_at.timestamp():.6f}",
            prefix,
            filters.street,
            filters.month_from.isoformat(),
            filters.month_to.isoformat(),
        ]
    )
    rows = cache.get(key)
    if rows is None:
        rows = _cells(prefix, filters)
        cache.set(key, rows, CELLS_CACHE_SECONDS)
    return list(rows)


def compute_figures(user: Viewer, filters: Filters) -> dict[str, Any]:
    """Every figure of the dashboard for the user's area (or one street) and the period."""
    prefix = scope_prefix(user)
    if prefix is None:
        raise Http404
    refresh = latest_refresh()
    rows = _cached_cells(prefix, filters, refresh)

    # totals[metric][key] and per-month / per-street breakdowns
    total: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0, ZERO, 0])
    monthly: dict[tuple[str, str, dt.date], list[Any]] = defaultdict(lambda: [0, 0, ZERO, 0])
    by_street: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, 0, ZERO, 0])
    for metric, key, month, street, grouped_by_street, count, people, amount, days in rows:
        values: list[Any] = [int(count or 0), int(people or 0), Decimal(amount or 0), int(days or 0)]
        if grouped_by_street:
            by_street[(metric, key, street)] = values
        else:
            t = total[(metric, key)]
            for i, v in enumerate(values):
                t[i] += v
            if month is not None:
                monthly[(metric, key, month)] = values

    def tot(metric: str, key: str, i: int = 0) -> Any:
        return total[(metric, key)][i] if (metric, key) in total else (ZERO if i == 2 else 0)

    tier_labels = dict(Tier.choices)
    months = filters.months()

    # caseload by tier and street
    tiers = [
        {
            "tier": t.value,
            "label": str(tier_labels[t]),
            "households": tot(Metric.CASELOAD, t),
            "people": tot(Metric.CASELOAD, t, 1),
        }
        for t in ENROLMENT_TIERS
    ]
    streets_qs = streets_visible_to(user).order_by("code")
    if filters.street:
        streets_qs = streets_qs.filter(code=filters.street)
    alerts_by_street: dict[str, int] = defaultdict(int)
    for (metric, _key, street), street_values in by_street.items():
        if metric == Metric.ALERT_OPEN:
            alerts_by_street[street] += int(street_values[0])
    streets = []
    for region in streets_qs.only("code", "name"):
        code = region.code

        def cell(metric: str, key: str, i: int = 0, code: str = code) -> Any:
            v = by_street.get((metric, key, code))
            return v[i] if v else 0

        row = {
            "code": code,
            "name": region.name,
            "by_tier": {t.value: cell(Metric.CASELOAD, t) for t in ENROLMENT_TIERS},
            "households": sum(cell(Metric.CASELOAD, t) for t in ENROLMENT_TIERS),
            "people": sum(cell(Metric.CASELOAD, t, 1) for t in ENROLMENT_TIERS),
            "received": cell(Metric.RECEIVED, ""),
            "approved": cell(Metric.DECIDED, CaseStatus.APPROVED),
            "refused": cell(Metric.DECIDED, CaseStatus.REFUSED),
            "overdue": cell(Metric.OVERDUE, "any"),
            "alerts_open": alerts_by_street.get(code, 0),
        }
        streets.append(row)
    households = sum(t["households"] for t in tiers)
    people = sum(t["people"] for t in tiers)

    # applications
    approved, refused = tot(Metric.DECIDED, CaseStatus.APPROVED), tot(Metric.DECIDED, CaseStatus.REFUSED)
    decided = approved + refused
    days = tot(Metric.DECIDED, CaseStatus.APPROVED, 3) + tot(Metric.DECIDED, CaseStatus.REFUSED, 3)
    average = (Decimal(days) / Decimal(decided)).quantize(Decimal("0.1"), ROUND_HALF_UP) if decided else None

    def month_count(metric: str, key: str, month: dt.date, i: int = 0) -> Any:
        v = monthly.get((metric, key, month))
        return v[i] if v else (ZERO if i == 2 else 0)

    applications = {
        "received": tot(Metric.RECEIVED, ""),
        "approved": approved,
        "refused": refused,
        "decided": decided,
        "avg_working_days": average,
        "monthly": [
            {
                "month": m.strftime("%Y-%m"),
                "received": month_count(Metric.RECEIVED, "", m),
                "approved": month_count(Metric.DECIDED, CaseStatus.APPROVED, m),
                "refused": month_count(Metric.DECIDED, CaseStatus.REFUSED, m),
            }
            for m in months
        ],
    }

    spending_tiers = [
        {
            "tier": k.value,
            "label": str(tier_labels[k]),
            "amount": _money(tot(Metric.SPENDING, k, 2)),
            "payments": tot(Metric.SPENDING, k),
        }
        for k in SPENDING_KEYS
    ]
    spending = {
        "total": _money(sum((t["amount"] for t in spending_tiers), ZERO)),
        "by_tier": spending_tiers,
        "monthly": [
            {
                "month": m.strftime("%Y-%m"),
                "by_tier": {k.value: _money(month_count(Metric.SPENDING, k, m, 2)) for k in SPENDING_KEYS},
                "total": _money(sum((month_count(Metric.SPENDING, k, m, 2) for k in SPENDING_KEYS), ZERO)),
            }
            for m in months
        ],
    }

    overdue = {
        "total": tot(Metric.OVERDUE, "any"),
        "steps": [
            {"step": step, "label": str(label), "count": tot(Metric.OVERDUE, step)} for step, label in OVERDUE_STEPS
        ],
    }
    reviews = {
        "open": tot(Metric.REVIEW_OPEN, ""),
        "resolved": sum(tot(Metric.REVIEWED, o) for o in ReviewOutcome.values),
        "outcomes": [
            {"outcome": o.value, "label": str(o.label), "count": tot(Metric.REVIEWED, o)} for o in ReviewOutcome
        ],
    }
    rule_labels = dict(AlertRule.objects.values_list("code", "label"))
    alert_rules = sorted({k for (m, k) in total if m == Metric.ALERT_OPEN} | set(rule_labels))
    alerts = {
        "open": sum(tot(Metric.ALERT_OPEN, r) for r in alert_rules),
        "rules": [{"rule": r, "label": rule_labels.get(r, r), "count": tot(Metric.ALERT_OPEN, r)} for r in alert_rules],
    }

    code, name = _area(user, filters)
    return {
        "area": {"code": code, "name": name, "street": filters.street},
        "period": {"from": filters.month_from.strftime("%Y-%m"), "to": filters.month_to.strftime("%Y-%m")},
        "as_of": refresh.refreshed_at if refresh else None,
        "as_of_date": refresh.as_of if refresh else None,
        "coverage": {"households": households, "people": people},
        "caseload": {"tiers": tiers, "streets": streets},
        "applications": applications,
        "spending": spending,
        "overdue": overdue,
        "reviews": reviews,
        "alerts": alerts,
        "charity": charity_figures(user, filters),
    }


def charity_figures(user: Viewer, filters: Filters) -> dict[str, Any]:
    """Hand-offs referred in the period by status, and the balances of the funds serving the area —
    read live through the charity app's scoped selectors (its cached balances are kept by its ledger)."""
    from charity import selectors as charity_selectors
    from charity.models import HandOffStatus

    handoffs = _handoffs(user, filters)
    counts = {
        row["status"]: (row["n"], row["granted"])
        for row in handoffs.values("status").annotate(n=Count("id"), granted=Sum("grant_amount")).order_by()
    }
    statuses = [{"status": s.value, "label": str(s.label), "count": counts.get(s, (0, None))[0]} for s in HandOffStatus]
    funds = charity_selectors.funds_visible_to(user).filter(active=True)
    if filters.street:
        funds = funds.filter(Q(region_id=filters.street[:6]) | Q(region__code__startswith=filters.street))
    fund_rows: list[dict[str, Any]] = [
        {
            "id": f.pk,
            "name": f.name,
            "kind": f.kind,
            "kind_label": str(f.get_kind_display()),
            "region": f.region.name,
            "balance": _money(f.balance),
        }
        for f in funds.order_by("region_id", "kind", "name")
    ]
    return {
        "handoffs_total": sum(s["count"] for s in statuses),
        "granted": _money(sum((g or ZERO for _n, g in counts.values()), ZERO)),
        "handoffs": statuses,
        "funds": fund_rows,
        "funds_total": _money(sum((f["balance"] for f in fund_rows), ZERO)),
    }


def _handoffs(user: Viewer, filters: Filters) -> QuerySet[Any]:
    from charity import selectors as charity_selectors

    qs = charity_selectors.handoffs_visible_to(user).filter(
        referred_at__date__gte=filters.date_from, referred_at__date__lte=filters.date_to
    )
    if filters.street:
        qs = qs.filter(street_id=filters.street)
    return qs


# --- drill-downs ------------------------------------------------------------------------------

FIGURES: dict[str, Any] = {
    "received": gettext_lazy("受理申请"),
    "approved": gettext_lazy("批准"),
    "refused": gettext_lazy("不予批准"),
    "decided": gettext_lazy("审批办结"),
    "overdue": gettext_lazy("逾期案件"),
    "caseload": gettext_lazy("在保家庭"),
    "spending": gettext_lazy("救助金支出"),
    "reviewed": gettext_lazy("复核办结"),
    "review_open": gettext_lazy("复核待办"),
    "alerts": gettext_lazy("待处理监测预警"),
    "handoffs": gettext_lazy("慈善衔接"),
}


@dataclass
class Drilldown:
    figure: str
    key: str
    kind: str  # cases | enrolments | lines | emergency | tasks | alerts | handoffs
    title: str
    queryset: QuerySet[Any]


def _street(qs: QuerySet[Any], user: Viewer, path: str, filters: Filters) -> QuerySet[Any]:
    """Scope ``qs`` by the region foreign key at ``path`` (e.g. ``case__street``) and the street filter."""
    qs = scope_by_region(qs, user, f"{path}__code")
    if filters.street:
        qs = qs.filter(**{f"{path}_id": filters.street})
    return qs


def drilldown(user: Viewer, filters: Filters, figure: str, key: str = "", *, today: dt.date | None = None) -> Drilldown:
    """The scoped list behind a figure (404 for an unknown figure or key)."""
    today = today or timezone.localdate()
    if figure not in FIGURES:
        raise Http404
    if key and not (key.isascii() and key.replace("_", "").isalnum() and len(key) <= 32):
        raise Http404  # keys are tier / status / step / outcome / rule codes
    title = str(FIGURES[figure])
    start, end = filters.date_from, filters.date_to
    qs: QuerySet[Any]
    kind = "cases"
    if figure in {"received", "approved", "refused", "decided", "overdue"}:
        cases: QuerySet[Case] = _street(Case.objects.select_related("street", "application"), user, "street", filters)
        if figure == "received":
            qs = cases.filter(accepted_on__gte=start, accepted_on__lte=end)
        elif figure == "overdue":
            step = key or "any"
            labels = dict(OVERDUE_STEPS)
            if step != "any":
                title = f"{title} · {labels[step]}" if step in labels else title
            qs = cases.filter(overdue_step_q(step, today)).order_by("case_due", "id")
        else:
            statuses: list[str] = [str(k) for k in DECIDED_KEYS] if figure == "decided" else [figure]
            qs = cases.filter(status__in=statuses, closed_on__gte=start, closed_on__lte=end).order_by(
                "-closed_on", "-id"
            )
    elif figure == "caseload":
        kind = "enrolments"
        qs = _street(
            Enrolment.objects.select_related("street", "household").exclude(status=EnrolmentStatus.CLOSED),
            user,
            "street",
            filters,
        )
        if key:
            _check_key(key, [t.value for t in ENROLMENT_TIERS])
            qs = qs.filter(tier=key)
            title = f"{title} · {Tier(key).label}"
    elif figure == "spending":
        _check_key(key, [k.value for k in SPENDING_KEYS])
        title = f"{title} · {Tier(key).label}"
        if key == Tier.EMERGENCY:
            kind = "emergency"
            qs = _street(
                EmergencyPayment.objects.select_related("case", "case__street"), user, "case__street", filters
            ).filter(status=PaymentStatus.PAID, paid_on__gte=start, paid_on__lte=end)
        else:
            kind = "lines"
            qs = _street(RollLine.objects.select_related("roll", "roll__street"), user, "roll__street", filters).filter(
                tier=key, roll__month__gte=filters.month_from, roll__month__lte=filters.month_to
            )
    elif figure in {"reviewed", "review_open"}:
        kind = "tasks"
        tasks = _street(ReviewTask.objects.select_related("street"), user, "street", filters)
        if figure == "review_open":
            qs = tasks.filter(status=TaskStatus.OPEN)
        else:
            qs = tasks.filter(status=TaskStatus.RESOLVED, resolved_on__gte=start, resolved_on__lte=end)
            if key:
                _check_key(key, ReviewOutcome.values)
                qs = qs.filter(outcome=key)
                title = f"{title} · {ReviewOutcome(key).label}"
    elif figure == "alerts":
        kind = "alerts"
        qs = _street(Alert.objects.select_related("street", "rule"), user, "street", filters).filter(
            status=AlertStatus.OPEN
        )
        if key:
            qs = qs.filter(rule_id=key)
    else:  # handoffs
        from charity.models import HandOffStatus

        kind = "handoffs"
        qs = _handoffs(user, filters)
        if key:
            _check_key(key, HandOffStatus.values)
            qs = qs.filter(status=key)
            title = f"{title} · {HandOffStatus(key).label}"
    return Drilldown(figure=figure, key=key, kind=kind, title=title, queryset=qs)


def _check_key(key: str, allowed: list[str]) -> None:
    if key not in allowed:
        raise Http404
