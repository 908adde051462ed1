"""Hook functions of the plans/services/referrals pages, merged into ``casework.hooks`` (last lines).

``case_panels`` adds the plan summary (资金+实物+服务), social workers, referrals with their
timeline, and conferences to the case page — only when the user may see the case through
``cases_for_user`` (a social worker who is not assigned gets nothing, the case page itself being
the owner's to scope).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from accounts.labels import choice_labels
from accounts.links import link
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


@dataclass(frozen=True, slots=True)
class OrderRow:
    name: str
    delivered: int
    quantity: int
    unit: str
    status_class: str
    status_label: str


@dataclass(frozen=True, slots=True)
class ReferralEventRow:
    at: Any  # a database time: the template prints it with |date("Y-m-d H:i") (local time)
    actor: str
    to_status: str
    note: str  # at most 80 characters (|truncatechars:80)


@dataclass(frozen=True, slots=True)
class ReferralRow:
    target: str
    badge_class: str
    status_label: str
    result_label: str  # "" without a result
    overdue: bool
    events: list[ReferralEventRow]


@dataclass(frozen=True, slots=True)
class ConferenceRow:
    held_on: str
    measures: Any  # joined by "；" (|join:"；")


def _referral_badge_class(referral: Any) -> str:
    """The colour of a referral's badge (templates/casework/plans/_referral_badge.html)."""
    if referral.result == "declined":
        return "bad"
    if referral.result == "accepted":
        return "ok"
    return "" if referral.status in {"closed", "drafted"} else "info"


def _joined(values: Any) -> Any:
    """Django's ``|join:"；"`` of a conference's measures (a JSON list): the value as it is when it
    is not a list of things."""
    try:
        return "；".join(str(v) for v in values)
    except TypeError:
        return values


def _printed(value: int | Decimal) -> str:
    """A number as Django's templates print it into a {% blocktranslate %} sentence (localized, escaped)."""
    return conditional_escape(localize(value))


def _labels(model: Any, name: str) -> dict[Any, str]:
    return choice_labels((model, name), lambda: model._meta.get_field(name).flatchoices)


def _order_rows(orders: list[Any]) -> list[OrderRow]:
    from casework.models.services_catalogue import ServiceOrder

    if not orders:
        return []
    labels = _labels(ServiceOrder, "status")
    colours = {"completed": "ok", "cancelled": "bad"}
    return [
        OrderRow(
            name=o.service.name,
            delivered=o.delivered_quantity,
            quantity=o.quantity,
            unit=o.service.unit,
            status_class=colours.get(o.status, "info"),
            status_label=labels.get(o.status, o.status),
        )
        for o in orders
    ]


def _referral_rows(referrals: list[Any], today: Any) -> list[ReferralRow]:
    from casework.models.referrals import Referral, ReferralEvent

    if not referrals:
        return []
    statuses, results = _labels(Referral, "status"), _labels(Referral, "result")
    event_statuses = _labels(ReferralEvent, "to_status")
    return [
        ReferralRow(
            target=r.target,
            badge_class=_referral_badge_class(r),
            status_label=statuses.get(r.status, r.status),
            result_label=results.get(r.result, r.result) if r.result else "",
            overdue=r.is_overdue(today),
            events=[
                ReferralEventRow(
                    at=e.at,
                    actor=e.actor.display_name,
                    to_status=event_statuses.get(e.to_status, e.to_status),
                    note=truncatechars(e.note, 80) if e.note else "",
                )
                for e in r.events.all()
            ],
        )
        for r in referrals
    ]


def case_panels(request: Any, case: Any) -> list[dict[str, Any]]:
    """No query for a case with no plan, orders, referrals, social workers or conferences (most
    cases) shown on the case page: its row was read through the user's scope with "which of these
    exist" (``selectors.case_page_queryset``). Any other caller pays one query for the visibility
    check and the same question; the lists are read only for the kinds the case has. Printed by
    templates/jinja2/casework/plans/panel_case.html, its values computed here."""
    from casework import selectors
    from casework import selectors_plans as sel
    from casework.models.plans import SpecialAssistanceItem

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
    assignments = list(sel.active_assignments(case)) if "assignments" in found else []
    conferences = list(sel.conferences_visible_to(user).filter(case=case)[:3]) if "conferences" in found else []
    in_kind_count = len(in_kind)
    in_kind_value = sum((i.value for i in in_kind), Decimal("0"))
    in_kind_delivered = sum(1 for i in in_kind if i.delivered)
    # The sentence with numbers, translated here (makemessages reads gettext() in Python, not a Jinja2
    # _() given values) as {% blocktranslate %} printed it: the catalog's text as it is, the values
    # localized and escaped.
    values = {"n": _printed(in_kind_count), "v": _printed(in_kind_value), "d": _printed(in_kind_delivered)}
    in_kind_note = mark_safe(  # noqa: S308  (our catalogs' text; the values are escaped)
        _("%(n)s 项，折合 ¥%(v)s，已发放 %(d)s 项") % values
    )
    special_kinds = _labels(SpecialAssistanceItem, "kind") if special else {}
    return [
        {
            "template": "casework/plans/panel_case.html",
            "using": "jinja2",
            "case": case,
            "brand": case.street.service_brand,
            "in_kind_count": in_kind_count,
            "in_kind_value": in_kind_value,
            "in_kind_delivered": in_kind_delivered,
            "in_kind_note": in_kind_note,
            "special": [special_kinds.get(s.kind, s.kind) for s in special],
            "orders": _order_rows(orders),
            "social_workers": [a.social_worker.display_name for a in assignments],
            "referrals": _referral_rows(referrals, today),
            "conferences": [ConferenceRow(c.held_on.isoformat(), _joined(c.measures)) for c in conferences],
            "plan_url": link("case-plan", case.pk),
            "referrals_url": link("case-referrals", case.pk),
        }
    ]
