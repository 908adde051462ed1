from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from accounts.labels import choice_labels
from eligibility import services
from eligibility.rules.parameters import MissingParameter
from eligibility.templatetags.eligibility_tags import TIER_LABELS


def nav_items(user: Any) -> list[dict[str, str]]:
    return [{"label": _("政策参数"), "url": reverse("parameter-list")}]


def household_panels(request: Any, household: Any) -> list[dict[str, Any]]:
    """The engine's result for the household as it is recorded today (a preview, not a decision),
    printed by templates/jinja2/eligibility/panel_household.html."""
    as_of = services.today()
    try:
        result = services.evaluate_household(household, as_of=as_of)
        error = ""
    except MissingParameter as exc:
        result, error = None, str(exc)
    # The heading's sentence with the date, translated here (makemessages reads gettext() in Python,
    # not a Jinja2 _() given values) as {% blocktranslate %} printed it: the catalog's text as it
    # is, the date escaped.
    as_of_note = mark_safe(  # noqa: S308  (our catalogs' text; the value is escaped)
        _("按 %(d)s 在册信息与现行参数，仅供参考，不是认定决定") % {"d": conditional_escape(as_of.isoformat())}
    )
    return [
        {
            "template": "eligibility/panel_household.html",
            "using": "jinja2",
            "evaluation": result,
            "error": error,
            "as_of": as_of,
            "as_of_note": as_of_note,
            # The tiers' names (the ``tier_label`` filter of the Django pages) in the active language.
            "tier_labels": choice_labels("eligibility.tier_labels", lambda: TIER_LABELS.items()),
        }
    ]
