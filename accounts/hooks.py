"""Extension points so a downstream app adds to a page without the upstream app importing it.

Each app may have a ``hooks.py`` defining any of:
- ``nav_items(user) -> list[dict(label, url)]``: top menu entries — a function of the user's role,
  region, ``is_superuser``/``is_staff``/``is_active`` and the active language only: the menu is kept
  per process under those (``accounts.context_processors.navigation``);
- ``home_tiles(user) -> list[dict(label, url)]``: shortcuts on the work-bench page;
- ``household_panels(request, household) -> list[dict(template=..., **context)]``: sections on the
  household page (e.g. casework lists the household's cases there); ``case_panels(request, case)``
  likewise on the case page. A panel says which engine prints its template: ``"using": "jinja2"``
  (templates/jinja2/, what the panels of these two Jinja2 pages use), else Django's.
The dependency direction of STYLE.md holds: applications never imports casework or charity.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

HOOK_APPS = ["applications", "eligibility", "casework", "charity", "oversight"]


def app_module(label: str, name: str) -> ModuleType | None:
    """The module ``<label>.<name>`` (``casework.hooks``), or None when the app has none; an import
    error inside an existing module still raises."""
    try:
        return importlib.import_module(f"{label}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{label}.{name}":
            raise
        return None


def render_panels(name: str, request: HttpRequest, **context: Any) -> list[SafeString]:
    """The panels a page's ``name`` hooks add (``household_panels``, ``case_panels``), each printed
    by its own template with ``context`` and itself as ``panel``: by the Jinja2 engine when the panel
    says ``"using": "jinja2"`` (its values come computed by its hook: labels, money, local times and
    links), else by Django's — as the page's ``{% include panel.template with panel=panel %}`` did
    when the pages were Django templates."""
    from django.template import loader

    return [
        mark_safe(  # noqa: S308  (the panel's template escaped its values)
            loader.get_template(panel["template"], using=panel.get("using", "django")).render(
                {**context, "panel": panel}, request
            )
        )
        for panel in collect(name, request, *context.values())
    ]


def collect(name: str, *args: Any) -> list[Any]:
    results: list[Any] = []
    for label in HOOK_APPS:
        func = getattr(app_module(label, "hooks"), name, None)
        if func is not None:
            results.extend(func(*args))
    return results
