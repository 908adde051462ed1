"""Hook functions of the plans/services/referrals pages, merged into ``casework.hooks`` (last lines).

``case_panels`` adds the plan summary (资金+实物+服务), social workers, referrals with their
timeline, and conferences to the case page — only when the user may see the case through
``cases_for_user`` (a social worker who is not assigned gets nothing, the case page itself being
the owner's to scope).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role

Hook = Callable[..., list[Any]]


def extend(base: Hook | None, extra: Hook) -> Hook:
    """A hook that returns ``base``'s entries followed by ``extra``'s."""

    def merged(*args: Any) -> list[Any]:
        return (base(*args) if base is not None else []) + extra(*args)

    return merged


def nav_items(user: Any) -> list[dict[str, str]]:
    items = [{"label": _("救助服务"), "url": reverse("assistance-hub")}]
    if getattr(user, "role", None) == Role.SOCIAL_WORKER:
        items.insert(0, {"label": _("我的个案"), "url": reverse("my-cases")})
    return items


def home_tiles(user: Any) -> list[dict[str, str]]:
    from casework import selectors_plans as sel

    today = timezone.localdate()
    tiles = []
    if getattr(user, "role", None) == Role.SOCIAL_WORKER:
        n = sel.my_cases(user).count()
        tiles.append({"label": _("我的个案 %(n)d 件") % {"n": n}, "url": reverse("my-cases")})
    overdue = sel.overdue_referrals(user, today=today).count()
    if overdue:
        tiles.append(
            {"label": _("转介逾期未答复 %(n)d 件") % {"n": overdue}, "url": reverse("assistance-hub") + "?tab=overdue"}
        )
    return tiles


def case_panels(request: Any, case: Any) -> list[dict[str, Any]]:
    """No query for a case with no plan, orders, referrals, social workers or conferences (most
    cases) shown on the case page: its row was read through the user's scope with "which of these
    exist" (``selectors.case_page_queryset``). Any other caller pays one query for the visibility
    check and the same question; the lists are read only for the kinds the case has."""
    from casework import selectors
    from casework import selectors_plans as sel

    user = request.user
    facts = getattr(case, "plan_panel_facts", None)
    if isinstance(facts, selectors.ScopedFacts) and facts.viewer_id == user.pk:
        found: frozenset[str] | None = facts.present  # the page's scope is cases_for_user(user)'s
    else:
        row = (
            sel.cases_for_user(user)
            .filter(pk=case.pk)
            .annotate(present=selectors.relations_present(selectors.PLAN_PANEL_RELATIONS))
            .values_list("present", flat=True)
            .first()
        )
        found = None if row is None else frozenset(row)
    if found is None:
        return []
    # The case is visible, so its rows are exactly what the *_visible_to selectors give for it.
    today = timezone.localdate()
    plan = sel.plan_for(case) if "plan" in found else None
    in_kind = list(plan.in_kind_items.all()) if plan else []
    special = list(plan.special_items.all()) if plan else []
    orders = list(sel.service_orders_visible_to(user).filter(case=case)) if "orders" in found else []
    referrals = (
        list(sel.referrals_visible_to(user).filter(case=case).prefetch_related("events__actor"))
        if "referrals" in found
        else []
    )
    return [
        {
            "template": "casework/plans/panel_case.html",
            "case": case,
            "brand": case.street.service_brand,
            "in_kind_count": len(in_kind),
            "in_kind_value": sum((i.value for i in in_kind), Decimal("0")),
            "in_kind_delivered": sum(1 for i in in_kind if i.delivered),
            "special": special,
            "orders": orders,
            "assignments": list(sel.active_assignments(case)) if "assignments" in found else [],
            "referrals": [(r, r.is_overdue(today)) for r in referrals],
            "conferences": (
                list(sel.conferences_visible_to(user).filter(case=case)[:3]) if "conferences" in found else []
            ),
        }
    ]
