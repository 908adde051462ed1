"""The Jinja2 environment (``TEMPLATES[1]``, templates under ``templates/jinja2/``).

Most pages are Django templates. The busiest pages of the load mix (issue 8) and the layout's
header are Jinja2, where the Django template language's cost per node showed: the work queue's 30
rows are ≈ 400 variable nodes, 1.6 ms in DTL and ≈ 0.3 ms here. Django pages print the same
header through ``{% jinja_include %}`` (accounts/templatetags/jinja_include.py), so the markup
exists once.

What a Jinja2 page has that a Django one would:
- Django's context processors (``user``, ``request``, ``messages``, ``nav_extra``,
  ``LANGUAGE_CODE``) and ``csrf_input`` when rendered with the request
  (``render(request, name, context, using="jinja2")``);
- translations through Django's catalogs: ``{{ _("…") }}`` (``makemessages`` extracts these files
  too), ``{{ ngettext("…", "…", n) }}``;
- ``url(name, *args)``, ``static(path)``;
- Django's filters where Jinja2 has none or a different one: ``date``, ``linebreaksbr``,
  ``truncatechars``, ``mask_ids``; ``value or "—"`` stands for Django's ``|default:"—"``;
- values printed as Django prints them: dates and numbers through ``django.utils.formats.localize``
  (``finalize``), strings as they are.
An undefined name is an error, not an empty string.
"""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaksbr, truncatechars
from django.templatetags.static import static
from django.urls import reverse
from django.utils.formats import localize
from django.utils.translation import get_language, gettext, ngettext, override
from jinja2 import Environment, StrictUndefined, pass_context
from jinja2.runtime import Context

from accounts.templatetags.id_masking import mask_ids


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def finalize(value: Any) -> Any:
    """What ``{{ value }}`` prints: Django's localized form for dates, times and numbers."""
    if isinstance(value, str):
        return value
    return localize(value)


# Translations already looked up, per (language, message). Django's gettext walks two context-local
# lookups and the catalogs on every call, ≈ 70 times on a case page; the catalogs do not change
# while a process runs (a test that changes the locale settings clears this, as Django does its own).
_TRANSLATED: dict[tuple[str, str], str] = {}


@pass_context
def cached_gettext(context: Context, message: str) -> str:
    """Django's ``gettext`` for ``{{ _("…") }}``, remembered per language; the page's language is the
    ``LANGUAGE_CODE`` of its context (Django's i18n context processor) when it has one."""
    language = context.get("LANGUAGE_CODE") or get_language()
    key = (language, message)
    text = _TRANSLATED.get(key)
    if text is None:
        with override(language):
            text = _TRANSLATED[key] = gettext(message)
    return text


def _forget_translations(*, setting: str, **kwargs: Any) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"}:
        _TRANSLATED.clear()


setting_changed.connect(_forget_translations)


def environment(**options: Any) -> Environment:
    options["undefined"] = StrictUndefined  # Django passes (Debug)Undefined: an empty string for a typo
    options.setdefault("keep_trailing_newline", True)  # as Django's templates print the file's last newline
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], finalize=finalize, **options)
    env.install_gettext_callables(cached_gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update({"url": url, "static": static})
    env.filters.update(
        {
            "date": date_filter,
            "linebreaksbr": lambda value: linebreaksbr(value, autoescape=True),
            "truncatechars": truncatechars,
            "mask_ids": mask_ids,
        }
    )
    return env
