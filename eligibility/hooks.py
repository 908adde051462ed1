from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from eligibility import services
from eligibility.rules.parameters import MissingParameter


def nav_items(user: Any) -> list[dict[str, str]]:
    return [{"label": _("政策参数"), "url": reverse("parameter-list")}]


def household_panels(request: Any, household: Any) -> list[dict[str, Any]]:
    """The engine's result for the household as it is recorded today (a preview, not a decision)."""
    as_of = services.today()
    try:
        result = services.evaluate_household(household, as_of=as_of)
        error = ""
    except MissingParameter as exc:
        result, error = None, str(exc)
    return [{"template": "eligibility/panel_household.html", "evaluation": result, "error": error, "as_of": as_of}]
