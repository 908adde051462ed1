"""Menu entries, work-bench tiles and the household-page panel of the one-window workflow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.frozen import FrozenQuery
from accounts.labels import choice_labels
from accounts.models import Role


def nav_items(user: Any) -> list[dict[str, str]]:
    items = [{"label": _("待办案件"), "url": reverse("case-queue")}]
    if getattr(user, "role", None) == Role.CLERK:
        items.insert(0, {"label": _("一门受理"), "url": reverse("intake")})
    items.append({"label": _("急难救助"), "url": reverse("emergency-list")})
    return items


def home_tiles(user: Any) -> list[dict[str, str]]:
    from casework import selectors

    today = timezone.localdate()
    mine = selectors.case_queue(user, today=today).count()
    overdue = selectors.overdue_cases(user, today=today).count()
    tiles = [
        {"label": _("待我处理 %(n)d 件") % {"n": mine}, "url": reverse("case-queue")},
        {"label": _("逾期案件 %(n)d 件") % {"n": overdue}, "url": reverse("case-queue") + "?tab=overdue"},
    ]
    if getattr(user, "role", None) == Role.CLERK:
        waiting = selectors.submitted_applications(user).count()
        tiles.insert(0, {"label": _("登记新申请"), "url": reverse("intake")})
        tiles.append({"label": _("待受理申请(含掌上办) %(n)d 件") % {"n": waiting}, "url": reverse("application-list")})
    tiles.append({"label": _("公示张贴名单"), "url": reverse("notice-board")})
    tiles.append({"label": _("街道备用金"), "url": reverse("reserve-funds")})
    return tiles


# What the household page's case list shows (templates/jinja2/casework/panels/household_cases.html).
_HOUSEHOLD_CASE_COLUMNS = ("receipt_no", "status", "accepted_on", "application__assistance_types")


@dataclass(frozen=True, slots=True)
class HouseholdCaseRow:
    url: str
    receipt_no: str
    type_labels: list[str]
    status_label: str
    status_class: str
    accepted_on: str  # as Django's |date:"Y-m-d" prints it


def _household_case_rows(cases: list[Any]) -> list[HouseholdCaseRow]:
    """The values of the household page's case rows, computed once in Python (as the work queue's
    rows, casework/views/rows.py): no status badge, ``reverse()``, ``|date`` or label lookups per
    row in the template."""
    from applications.models import AssistanceType
    from casework.models.case import status_labels
    from casework.views.rows import case_url, status_class

    statuses = status_labels()
    types = choice_labels(AssistanceType, lambda: AssistanceType.choices)
    url = case_url()
    return [
        HouseholdCaseRow(
            url=url(case.pk),
            receipt_no=case.receipt_no,
            type_labels=[types.get(t, t) for t in case.application.assistance_types],
            status_label=statuses.get(case.status, case.status),
            status_class=status_class(case.status),
            accepted_on=case.accepted_on.isoformat(),
        )
        for case in cases
    ]


def _household_cases(user: Any, household_id: int) -> Any:
    from casework import selectors

    return (
        selectors.cases_visible_to(user)
        .filter(household_id=household_id)
        .select_related(None)
        .select_related("application")
        .only(*_HOUSEHOLD_CASE_COLUMNS)
        .order_by("-accepted_on", "-id")[:20]
    )


_HOUSEHOLD_CASES: FrozenQuery[Any] = FrozenQuery(_household_cases)  # compiled once per kind of user


def household_panels(request: Any, household: Any) -> list[dict[str, Any]]:
    cases = _HOUSEHOLD_CASES.rows("household-cases", user=request.user, household_id=household.pk)
    return [
        {
            "template": "casework/panels/household_cases.html",
            "using": "jinja2",
            "rows": _household_case_rows(cases),
            "can_intake": getattr(request.user, "role", None) == Role.CLERK,
            "household_id": household.pk,
        }
    ]


# Issue 6 (plans, services, referrals, conferences): merge the hooks of casework/hooks_plans.py.
from casework import hooks_plans as _plans  # noqa: E402

nav_items = _plans.extend(nav_items, _plans.nav_items)
home_tiles = _plans.extend(home_tiles, _plans.home_tiles)
case_panels = _plans.extend(globals().get("case_panels"), _plans.case_panels)


# Issue 5: enrolment, payment rolls, re-verification (动态管理), monitoring (主动发现).
def _issue5_nav(user: Any) -> list[dict[str, str]]:
    items = [
        {"label": _("保障对象"), "url": reverse("enrolment-list")},
        {"label": _("发放名册"), "url": reverse("roll-list")},
        {"label": _("动态复核"), "url": reverse("review-task-list")},
        {"label": _("监测预警"), "url": reverse("monitoring-queue")},
    ]
    if getattr(user, "role", None) == Role.SUPERVISOR:
        items[2] = {"label": _("动态复核"), "url": reverse("reverification-home")}
    return items


def _issue5_tiles(user: Any) -> list[dict[str, str]]:
    from casework.services.monitoring import alerts_visible_to, leads_visible_to
    from casework.services.reverification import review_tasks_visible_to

    tasks = review_tasks_visible_to(user).filter(status="open").count()
    alerts = alerts_visible_to(user).filter(status="open").count()
    overdue = leads_visible_to(user).filter(status="open", follow_up_due__lt=timezone.localdate()).count()
    tiles = [
        {"label": _("复核待办 %(n)d 件") % {"n": tasks}, "url": reverse("review-task-list")},
        {"label": _("监测预警 %(n)d 条") % {"n": alerts}, "url": reverse("monitoring-queue")},
        {"label": _("报告困难群众(主动发现)"), "url": reverse("lead-report")},
    ]
    if overdue:
        tiles.append(
            {
                "label": _("线索逾期未跟进 %(n)d 条") % {"n": overdue},
                "url": reverse("monitoring-queue") + "?tab=overdue",
            }
        )
    return tiles


def _issue5_household_panels(request: Any, household: Any) -> list[dict[str, Any]]:
    from casework.views.enrolment import household_panel_context

    panel = household_panel_context(request, household)
    return [panel] if panel else []


def _merge(base: Any, extra: Any) -> Any:
    def merged(*args: Any) -> list[Any]:
        return (base(*args) if base is not None else []) + extra(*args)

    return merged


nav_items = _merge(nav_items, _issue5_nav)
home_tiles = _merge(home_tiles, _issue5_tiles)
household_panels = _merge(household_panels, _issue5_household_panels)

# Issue 7: spot checks (抽查) and the street's rectifications (整改); hooks in casework/views/spotcheck.py.
from casework.views import spotcheck as _spotcheck  # noqa: E402


def _spotcheck_case_panel(request: Any, case: Any) -> list[dict[str, Any]]:
    """The spot-check panel, without its "was this case ever sampled?" query when the case page's
    row already answered it (``selectors.case_page_queryset``: the same unscoped EXISTS)."""
    present = getattr(case, "page_present", None)
    if present is not None and "spot_checks" not in present:
        return []
    return _spotcheck.case_panel(request, case)


nav_items = _merge(nav_items, _spotcheck.nav_items)
home_tiles = _merge(home_tiles, _spotcheck.home_tiles)
case_panels = _merge(case_panels, _spotcheck_case_panel)


def household_scope(user: Any) -> list[Any]:
    """Extra filters on ``applications.selectors.households_visible_to``: a social worker sees only
    the households of the cases assigned to her (the rule of issue 6), on every household page and
    endpoint, not only on case pages."""
    from django.db.models import Q

    from accounts.models import Role
    from casework.models import Case
    from casework.selectors_plans import assigned_only

    if getattr(user, "role", None) != Role.SOCIAL_WORKER:
        return []
    return [Q(pk__in=assigned_only(Case.objects.all(), user).values("household_id"))]
