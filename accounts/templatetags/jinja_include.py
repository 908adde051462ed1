"""``{% jinja_include "layout/header.html" %}``: a Jinja2 template (hefei_aid/jinja2.py) printed from a
Django template, so a piece both kinds of page show — the layout's header — is written once."""

from __future__ import annotations

from typing import Any

from django import template
from django.template import engines
from django.template.backends.utils import csrf_input
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja_include(context: template.Context, name: str) -> SafeString:
    request = getattr(context, "request", None)
    flat: Any = context.flatten()  # keys are the context's names
    values: dict[str, Any] = {"user": None, "nav_extra": (), **flat}
    values["request"] = request
    values["LANGUAGE_CODE"] = get_language()
    values["csrf_input"] = csrf_input(request) if request is not None else ""
    html = engines["jinja2"].env.get_template(name).render(values)  # type: ignore[attr-defined]
    return mark_safe(html)  # noqa: S308  (Jinja2 escaped every value; the markup is the template's)
