"""Menu entries, work-bench tiles and the case/household panels of the charity hand-off.

The casework case page calls ``accounts.hooks.collect("case_panels", request, case)``: casework never
imports charity (STYLE dependency direction); the panel reads through ``charity.selectors``.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role
from charity.models import REFERRER_ROLES, HandOffStatus


def nav_items(user: Any) -> list[dict[str, str]]:
    return [{"label": _("慈善衔接"), "url": reverse("charity-home")}]


def home_tiles(user: Any) -> list[dict[str, str]]:
    from charity import selectors

    role = getattr(user, "role", None)
    if role == Role.CHARITY:
        waiting = selectors.handoff_queue(user)
        counts = {s: waiting.filter(status=s).count() for s in (HandOffStatus.REFERRED, HandOffStatus.APPROVED)}
        return [
            {
                "label": _("待受理慈善转介 %(n)d 件") % {"n": counts[HandOffStatus.REFERRED]},
                "url": reverse("charity-handoff-list") + "?status=referred",
            },
            {
                "label": _("待支付慈善资助 %(n)d 件") % {"n": counts[HandOffStatus.APPROVED]},
                "url": reverse("charity-handoff-list") + "?status=approved",
            },
            {"label": _("慈善基金与台账"), "url": reverse("charity-home")},
        ]
    visible = selectors.handoffs_visible_to(user).filter(status__in=["referred", "accepted", "approved"]).count()
    return [{"label": _("进行中的慈善衔接 %(n)d 件") % {"n": visible}, "url": reverse("charity-handoff-list")}]


def case_panel_context(request: Any, case: Any) -> dict[str, Any]:
    from charity import selectors

    user = request.user
    handoffs = list(selectors.handoffs_for_case(user, case))
    can_refer = getattr(user, "role", None) in REFERRER_ROLES and selectors.funds_for_case(user, case).exists()
    return {
        "template": "charity/panel_case.html",
        "case": case,
        "handoffs": handoffs,
        "can_refer": can_refer,
        "refer_url": reverse("charity-refer", kwargs={"case_pk": case.pk}),
        "case_url": reverse("charity-case", kwargs={"case_pk": case.pk}),
    }


def case_panels(request: Any, case: Any) -> list[dict[str, Any]]:
    return [case_panel_context(request, case)]


def household_panels(request: Any, household: Any) -> list[dict[str, Any]]:
    from charity import selectors

    handoffs = list(selectors.handoffs_visible_to(request.user).filter(case__household=household)[:20])
    if not handoffs:
        return []
    return [{"template": "charity/panel_household.html", "handoffs": handoffs}]
