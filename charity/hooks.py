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
    """The case page's charity section. One query for a case without hand-offs (most cases): whether
    it has visible hand-offs and whether a fund could take a referral, as two EXISTS of one row."""
    from django.db.models import BooleanField, Exists, Value

    from charity import selectors

    user = request.user
    may_refer = getattr(user, "role", None) in REFERRER_ROLES
    # Both EXISTS are about this one case: a constant condition, no outer reference to resolve.
    has_handoffs, has_funds = (
        type(case)
        ._default_manager.filter(pk=case.pk)
        .annotate(
            has_handoffs=Exists(selectors.handoffs_visible_to(user).filter(case_id=case.pk)),
            has_funds=(
                Exists(selectors.funds_for_case(user, case)) if may_refer else Value(False, output_field=BooleanField())
            ),
        )
        .values_list("has_handoffs", "has_funds")
        .first()
    ) or (False, False)
    handoffs = list(selectors.handoffs_for_case(user, case)) if has_handoffs else []
    return {
        "template": "charity/panel_case.html",
        "case": case,
        "handoffs": handoffs,
        "can_refer": may_refer and bool(has_funds),
        "refer_url": reverse("charity-refer", kwargs={"case_pk": case.pk}),
        "case_url": reverse("charity-case", kwargs={"case_pk": case.pk}),
    }


def case_panels(request: Any, case: Any) -> list[dict[str, Any]]:
    return [case_panel_context(request, case)]


# What the household panel's rows show (charity/includes/handoff_rows.html): not the fund and the
# two staff users of ``handoffs_visible_to``'s joins.
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
    return [{"template": "charity/panel_household.html", "handoffs": handoffs}]
