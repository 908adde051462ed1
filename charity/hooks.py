"""Menu entries, work-bench tiles and the case/household panels of the charity hand-off.

The casework case page calls ``accounts.hooks.collect("case_panels", request, case)``: casework never
imports charity (STYLE dependency direction); the panel reads through ``charity.selectors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.labels import choice_labels
from accounts.links import link
from accounts.models import Role
from charity.models import REFERRER_ROLES, HandOff, HandOffStatus, NeedType
from charity.templatetags.charity_tags import yuan


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


def _case_panel_flags(user: Any, case: Any, may_refer: bool) -> tuple[bool, bool]:
    """(the case has hand-offs the user may see, a fund could take a referral of it) as two EXISTS
    of one statement, raw SQL from the models' metadata: the same conditions as
    ``handoffs_visible_to(user).filter(case=case).exists()`` (``scope_by_region`` on the street code)
    and ``funds_for_case(user, case).exists()``; ≈ 0.2 ms of Python instead of ≈ 1.6 ms for the
    ORM's ``Exists`` on every case page."""
    from django.db import connection

    from accounts.selectors import scope_prefix
    from charity import selectors
    from charity.models import Fund, HandOff

    prefix = scope_prefix(user)
    if prefix is None:  # sees nothing (and so no fund region either)
        return False, False
    regions = selectors.fund_regions_for_case(user, case) if may_refer else []
    handoff = HandOff._meta
    fund = Fund._meta
    handoffs_sql = (
        f'EXISTS(SELECT 1 FROM "{handoff.db_table}" h WHERE h."{handoff.get_field("case").column}" = %s'  # noqa: S608
        f' AND h."{handoff.get_field("street").column}"::text LIKE %s)'
    )
    funds_sql = (
        f'EXISTS(SELECT 1 FROM "{fund.db_table}" f WHERE f."{fund.get_field("active").column}"'  # noqa: S608
        f' AND f."{fund.get_field("region").column}" = ANY(%s))'
        if regions
        else "FALSE"
    )
    params: list[Any] = [case.pk, f"{prefix}%"] + ([regions] if regions else [])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {handoffs_sql}, {funds_sql}", params)
        has_handoffs, has_funds = cursor.fetchone()
    return bool(has_handoffs), bool(has_funds)


@dataclass(frozen=True, slots=True)
class EventRow:
    """A line of a hand-off's timeline on the case panel."""

    at: Any  # a database time: the template prints it with |date("Y-m-d H:i") (local time)
    actor: str
    label: str
    amount: str | None  # ``yuan`` of the amount, None without one
    to_status: str
    reason: str


@dataclass(frozen=True, slots=True)
class HandOffRow:
    """A hand-off as the case and household panels print it (the Django pages' ``yuan`` filter,
    ``get_*_display`` labels, ``{% url %}`` and ``|date`` computed once here)."""

    url: str
    number: str
    need_label: str
    asked: str
    granted: str  # "" without a grant amount
    has_grant: bool  # the case panel shows the grant only then (``{% if h.grant_amount %}``)
    status_tone: str
    status_label: str
    # the case panel's
    fund_name: str = ""
    consent_by: str = ""
    consent_on: str = ""
    events: list[EventRow] = field(default_factory=list)
    # the household panel's
    receipt_no: str = ""
    street_name: str = ""
    referred_at: Any = None  # a database time, printed with |date("Y-m-d H:i")


def _handoff_row(handoff: HandOff, *, case_panel: bool) -> HandOffRow:
    needs = choice_labels(NeedType, lambda: NeedType.choices)
    statuses = choice_labels(HandOffStatus, lambda: HandOffStatus.choices)
    common: dict[str, Any] = {
        "url": link("charity-handoff-detail", handoff.pk),
        "number": handoff.number,
        "need_label": needs.get(handoff.need_type, handoff.need_type),
        "asked": yuan(handoff.amount_asked),
        "granted": yuan(handoff.grant_amount),
        "has_grant": bool(handoff.grant_amount),
        "status_tone": handoff.status_tone,
        "status_label": statuses.get(handoff.status, handoff.status),
    }
    if not case_panel:
        return HandOffRow(
            **common,
            receipt_no=handoff.case.receipt_no,
            street_name=handoff.street.name,
            referred_at=handoff.referred_at,
        )
    return HandOffRow(
        **common,
        fund_name=handoff.fund.name,
        consent_by=handoff.consent_by,
        consent_on=handoff.consent_on.isoformat(),
        events=[
            EventRow(
                at=event.at,
                actor=event.actor.display_name,
                label=event.label,
                amount=None if event.amount is None else yuan(event.amount),
                to_status=statuses.get(event.to_status, event.to_status),
                reason=event.reason,
            )
            for event in handoff.events.all()
        ],
    )


def case_panel_context(request: Any, case: Any) -> dict[str, Any]:
    """The case page's charity section (templates/jinja2/charity/panel_case.html, its rows computed
    here), also the charity case page's (charity/case_handoffs.html includes the Django twin,
    templates/charity/panel_case.html, which reads the hand-offs themselves). One query for a case
    without hand-offs (most cases): whether it has visible hand-offs and whether a fund could take a
    referral, as two EXISTS of one row."""
    from charity import selectors

    user = request.user
    may_refer = getattr(user, "role", None) in REFERRER_ROLES
    has_handoffs, has_funds = _case_panel_flags(user, case, may_refer)
    handoffs = list(selectors.handoffs_for_case(user, case)) if has_handoffs else []
    can_refer = may_refer and bool(has_funds)
    return {
        "template": "charity/panel_case.html",
        "using": "jinja2",
        "case": case,
        "handoffs": handoffs,
        "rows": [_handoff_row(h, case_panel=True) for h in handoffs],
        "can_refer": can_refer,
        "refer_url": link("charity-refer", case.pk) if can_refer else "",
    }


def case_panels(request: Any, case: Any) -> list[dict[str, Any]]:
    return [case_panel_context(request, case)]


# What the household panel's rows show (templates/jinja2/charity/panel_household.html): not the fund
# and the two staff users of ``handoffs_visible_to``'s joins.
_HOUSEHOLD_PANEL_COLUMNS = (
    "case__receipt_no",
    "street__name",
    "need_type",
    "amount_asked",
    "grant_amount",
    "status",
    "referred_at",
)


def _household_had_handoffs(household_id: int) -> bool:
    """Whether any case of the household was ever handed off (not scoped: it only decides whether the
    scoped query below runs). Raw SQL from the models' metadata: the ORM's ``exists()`` costs ~0.3 ms
    of Python to build and compile, this ~0.06 ms, on every household page."""
    from django.db import connection

    from casework.models import Case
    from charity.models import HandOff

    case_column = HandOff._meta.get_field("case").column
    household_column = Case._meta.get_field("household").column
    sql = (
        f'SELECT 1 FROM "{HandOff._meta.db_table}" h JOIN "{Case._meta.db_table}" c ON c."id" = h."{case_column}"'  # noqa: S608
        f' WHERE c."{household_column}" = %s LIMIT 1'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [household_id])
        return cursor.fetchone() is not None


def household_panels(request: Any, household: Any) -> list[dict[str, Any]]:
    from charity import selectors

    # Most households never had a hand-off: one small EXISTS before the scoped join.
    if not _household_had_handoffs(household.pk):
        return []
    handoffs = list(
        selectors.handoffs_visible_to(request.user)
        .filter(case__household=household)
        .select_related(None)
        .select_related("case", "street")
        .only(*_HOUSEHOLD_PANEL_COLUMNS)[:20]
    )
    if not handoffs:
        return []
    return [
        {
            "template": "charity/panel_household.html",
            "using": "jinja2",
            "rows": [_handoff_row(h, case_panel=False) for h in handoffs],
        }
    ]
