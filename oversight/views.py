"""Pages of the supervision dashboard: the figures of a county (the city for its administrators) and
the scoped list behind each figure. Street staff get 403; a street outside the area is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.selectors import streets_visible_to
from casework.models.enrolment import add_months
from oversight import figures
from oversight.figures import FilterError, Filters

PAGE_SIZE = 50


def _require_dashboard(request: HttpRequest) -> None:
    if not figures.can_view_dashboard(request.user):
        raise PermissionDenied


def _filters(request: HttpRequest) -> Filters:
    try:
        return figures.parse_filters(request.user, request.GET)
    except FilterError as exc:
        messages.error(request, str(exc))
        street = request.GET.get("street", "")
        return figures.parse_filters(request.user, {"street": street})


def _street_rows(data: dict[str, Any], drill: dict[str, str], period_qs: str) -> SafeString:
    """Rows of the per-street table, built here: the city has 160 streets × 12 linked cells, which the
    template engine renders an order of magnitude slower than this (the page's 300 ms budget)."""

    def link(figure: str, code: str, value: Any, key: str = "") -> SafeString:
        href = f"{drill[figure]}?{period_qs}&street={code}" + (f"&key={key}" if key else "")
        return format_html('<a href="{}">{}</a>', href, value)

    rows = []
    for s in data["caseload"]["streets"]:
        code = s["code"]
        cells = [format_html('<th scope="row"><a href="?{}&street={}">{}</a></th>', period_qs, code, s["name"])]
        cells += [format_html('<td class="num">{}</td>', link("caseload", code, n, k)) for k, n in s["by_tier"].items()]
        cells.append(format_html('<td class="num strong">{}</td>', link("caseload", code, s["households"])))
        cells.append(format_html('<td class="num">{}</td>', s["people"]))
        for figure, field in [("received", "received"), ("approved", "approved"), ("refused", "refused")]:
            cells.append(format_html('<td class="num">{}</td>', link(figure, code, s[field])))
        late = " late" if s["overdue"] else ""
        cells.append(format_html('<td class="num{}">{}</td>', late, link("overdue", code, s["overdue"])))
        cells.append(format_html('<td class="num">{}</td>', link("alerts", code, s["alerts_open"])))
        rows.append(format_html("<tr>{}</tr>", mark_safe("".join(cells))))  # noqa: S308 (escaped above)
    return mark_safe("\n".join(rows))  # noqa: S308 (each row built with format_html)


def _chart_data(data: dict[str, Any], drill: dict[str, str], filters: Filters) -> dict[str, Any]:
    """What dashboard.js draws (labels already translated; amounts as numbers)."""
    spending = data["spending"]
    return {
        "labels": {
            "received": _("受理"),
            "approved": _("批准"),
            "refused": _("不予批准"),
            "households": _("在保户数"),
            "people": _("在保人数"),
            "yuan": _("元"),
            "count": _("件"),
        },
        "months": [m["month"] for m in data["applications"]["monthly"]],
        "applications": data["applications"]["monthly"],
        "tiers": [{"key": t["tier"], "label": t["label"]} for t in data["caseload"]["tiers"]],
        "spending_tiers": [{"key": t["tier"], "label": t["label"]} for t in spending["by_tier"]],
        "spending": [
            {"month": m["month"], "by_tier": {k: float(v) for k, v in m["by_tier"].items()}}
            for m in spending["monthly"]
        ],
        # The 30 streets with most households (the city has 160; all are in the table).
        "streets": [
            {"name": s["name"], "by_tier": s["by_tier"]}
            for s in sorted(data["caseload"]["streets"], key=lambda s: -s["households"])[:30]
            if s["households"]
        ],
        "caseload": data["caseload"]["tiers"],
        "overdue": data["overdue"]["steps"],
        "reviews": data["reviews"]["outcomes"],
        "handoffs": [h for h in data["charity"]["handoffs"] if h["count"]],
        # Clicking a bar or a slice opens the drill-down list behind it (same filters).
        "drill": drill,
        "street": filters.street,
        "filter_qs": filters.query(),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    filters = _filters(request)
    if figures.latest_refresh() is None:
        figures.refresh_figures()  # first visit ever: compute once (the beat job keeps it fresh)
    data = figures.compute_figures(request.user, filters)
    today = timezone.localdate()
    drill = {name: reverse("oversight-drilldown", args=[name]) for name in figures.FIGURES}
    context = {
        "data": data,
        "street_rows": _street_rows(data, drill, filters.query(street=False)),
        "chart_data": _chart_data(data, drill, filters),
        "filters": filters,
        "filter_qs": filters.query(),
        "period_qs": filters.query(street=False),
        "streets": list(streets_visible_to(request.user).order_by("code").only("code", "name")),
        "presets": _presets(today),
        "can_refresh": True,
        "tier_keys": [t["tier"] for t in data["caseload"]["tiers"]],
        "drill": drill,
    }
    return render(request, "oversight/dashboard.html", context)


def _presets(today: dt.date) -> list[dict[str, str]]:
    current = today.replace(day=1)
    year_start = current.replace(month=1)
    return [
        {"label": _("本月"), "from": f"{current:%Y-%m}", "to": f"{current:%Y-%m}"},
        {"label": _("近3个月"), "from": f"{add_months(current, -2):%Y-%m}", "to": f"{current:%Y-%m}"},
        {"label": _("近12个月"), "from": f"{add_months(current, -11):%Y-%m}", "to": f"{current:%Y-%m}"},
        {"label": _("本年"), "from": f"{year_start:%Y-%m}", "to": f"{current:%Y-%m}"},
    ]


@login_required
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """Queue a recomputation of the figures (Celery; in-process when no broker is configured)."""
    _require_dashboard(request)
    from kombu.exceptions import OperationalError as BrokerUnavailable

    from oversight.tasks import refresh_figures

    try:
        refresh_figures.delay()
    except BrokerUnavailable:  # Redis down: say so (nothing was written), never a 500
        messages.error(request, _("任务队列暂时不可用，统计数据未能提交刷新，请稍后再试。"))
    else:
        messages.success(request, _("已提交统计数据刷新，稍后刷新页面即可看到最新数据。"))
    target = request.POST.get("next", "")
    if not target.startswith("/oversight/"):
        target = "/oversight/"
    return redirect(target)


@login_required
def drilldown(request: HttpRequest, figure: str) -> HttpResponse:
    _require_dashboard(request)
    filters = _filters(request)
    key = request.GET.get("key", "").strip()
    result = figures.drilldown(request.user, filters, figure, key)
    page = Paginator(result.queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    if result.kind == "cases":
        rows = list(page.object_list)
        for case in rows:
            case.overdue_steps_today = case.overdue_steps(today)  # type: ignore[attr-defined]
        page.object_list = rows
    period_bound = figure not in {"overdue", "caseload", "review_open", "alerts"}
    context = {
        "result": result,
        "page_obj": page,
        "total": page.paginator.count,
        "filters": filters,
        "filter_qs": filters.query(),
        "period_bound": period_bound,
        "today": today,
        "is_admin": getattr(request.user, "role", None) == Role.ADMIN,
    }
    return render(request, f"oversight/drilldown_{result.kind}.html", context)
