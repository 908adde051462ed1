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
- values printed as Django prints them: datetimes in local time, dates and numbers through
  ``django.utils.formats.localize``
  (``finalize``), strings as they are, quotes escaped as Django escapes them (``&quot;``, ``&#x27;``).
An undefined name is an error, not an empty string.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.template import Context as DjangoContext
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaksbr, truncatechars
from django.templatetags.static import static as django_static
from django.test.signals import template_rendered
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs
from django.utils.translation import get_language, gettext, ngettext, override
from jinja2 import Environment, StrictUndefined, Template, pass_context, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup

try:  # markupsafe's own C escaping of a str (what ``markupsafe.escape`` calls), else its Python one
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover  (a platform without the compiled module)
    from markupsafe._native import _escape_inner

from accounts.templatetags.id_masking import mask_ids


def date(value: Any, arg: str | None = None) -> str:
    """Django's ``|date``, which Django's templates give a datetime in local time (the filter's
    ``expects_localtime``); Jinja2 would pass a database timestamp as it is, in UTC."""
    return date_filter(template_localtime(value), arg)


def _quotes_as_django(text: str) -> str:
    """``text`` escaped by Django when it has a quote: markupsafe writes ``&#34;``/``&#39;`` where
    Django writes ``&quot;``/``&#x27;`` (``<>&`` alike), and a page prints the same bytes from either
    engine. Django's result is safe: Jinja2 prints it as it is."""
    if '"' in text or "'" in text:
        return escape(text)
    return text


@pass_eval_context
def finalize(eval_ctx: EvalContext, value: Any) -> Any:
    """What ``{{ value }}`` prints: Django's localized form for dates, times and numbers; quotes
    escaped as Django escapes them."""
    if type(value) is not str:
        if isinstance(value, str):  # Markup, SafeString: HTML already
            return value
        if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
            return str(value)  # what localize() makes of it, without its three format lookups
        value = localize(template_localtime(value))
        if not isinstance(value, str):
            if hasattr(value, "__html__"):
                return value
            value = str(value)  # as Jinja2 would (a StrictUndefined raises here)
    return _quotes_as_django(value) if eval_ctx.autoescape else value


# Translations already looked up, per (language, message). Django's gettext walks two context-local
# lookups and the catalogs on every call, ≈ 70 times on a case page; the catalogs do not change
# while a process runs (a test that changes the locale settings clears this, as Django does its own).
_TRANSLATED: dict[tuple[str, str], str] = {}
# ``{{ _("…") }}`` without values, as printed: Jinja2's newstyle gettext would wrap the text in Markup
# and apply ``% {}`` on every call.
_PRINTED: dict[tuple[str, str], Markup] = {}


def _translated(language: str, message: str) -> str:
    key = (language, message)
    text = _TRANSLATED.get(key)
    if text is None:
        with override(language):
            text = _TRANSLATED[key] = gettext(message)
    return text


@pass_context
def translate(context: Context, message: str, **variables: Any) -> Markup:
    """``{{ _("…") }}`` and ``{{ _("… %(n)s …", n=…) }}``: Django's ``gettext`` in the page's language
    (the ``LANGUAGE_CODE`` of its context, from Django's i18n context processor, else the active
    one), remembered per language, with Jinja2's newstyle semantics (the text is a format string;
    values are escaped)."""
    language = context.get("LANGUAGE_CODE") or get_language()
    if variables:
        return Markup(_translated(language, message)) % variables  # noqa: S704  (our catalogs' text, as Jinja2's gettext)
    printed = _PRINTED.get((language, message))
    if printed is None:
        text = _translated(language, message)
        printed = _PRINTED[(language, message)] = Markup(text) % {}  # noqa: S704  (our catalogs' text)
    return printed


_URLS: dict[tuple[str, str, Any], str] = {}
_STATIC: dict[str, str] = {}


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """``reverse()``; a URL without arguments is kept per process (a page's header asks for the
    same half-dozen on every request)."""
    if args or kwargs:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    key = (name, get_script_prefix(), get_urlconf())
    found = _URLS.get(key)
    if found is None:
        found = _URLS[key] = reverse(name)
    return found


def static(path: str) -> str:
    """``{% static %}``: the collected file's URL (with its content hash) is fixed while a process runs."""
    found = _STATIC.get(path)
    if found is None:
        found = _STATIC[path] = django_static(path)
    return found


def _forget(*, setting: str, **kwargs: Any) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"}:
        _TRANSLATED.clear()
        _PRINTED.clear()
    if setting in {"ROOT_URLCONF", "INSTALLED_APPS"}:
        _URLS.clear()
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES", "STATICFILES_DIRS", "INSTALLED_APPS"}:
        _STATIC.clear()


setting_changed.connect(_forget)


def escape_output(value: Any) -> str:
    """What a compiled template calls for each ``{{ … }}`` (after ``finalize``) in place of
    ``markupsafe.escape``: the same text — HTML (anything with ``__html__``) as it is, everything
    else as a string with ``& < > " '`` escaped — but as a plain ``str``. ``markupsafe.escape`` wraps
    each result in a new ``Markup`` (≈ 0.5 µs, a few hundred times per queue page: 4–5 % of the
    workers' CPU in the load run); the printed pieces are only joined, and what is kept as a value
    (a macro's output, ``{% set %}…{% endset %}``) is wrapped in ``Markup`` by Jinja2 itself."""
    if value.__class__ is str:
        return _escape_inner(value)  # type: ignore[no-any-return]
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()  # type: ignore[no-any-return]
    return _escape_inner(str(value))  # type: ignore[no-any-return]


class RecordedTemplate(Template):
    """Tells Django's test client that a page was rendered (``template_rendered``, as Django's own
    templates do in tests), so ``response.context`` of a Jinja2 page is its context. Outside tests the
    signal has no receiver: one list check. Its compiled code escapes output with ``escape_output``."""

    @classmethod
    def from_code(cls, environment: Environment, code: Any, globals: Any, uptodate: Any = None) -> Template:
        template = super().from_code(environment, code, globals, uptodate)
        # The module namespace the compiled functions run in: its ``escape`` came from jinja2.runtime.
        template.root_render_func.__globals__["escape"] = escape_output
        return template

    def render(self, *args: Any, **kwargs: Any) -> str:
        if template_rendered.receivers:
            template_rendered.send(sender=self, template=self, context=DjangoContext(dict(*args, **kwargs)))
        return super().render(*args, **kwargs)


def environment(**options: Any) -> Environment:
    options["undefined"] = StrictUndefined  # Django passes (Debug)Undefined: an empty string for a typo
    options.setdefault("keep_trailing_newline", True)  # as Django's templates print the file's last newline
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], finalize=finalize, **options)
    env.install_gettext_callables(translate, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update({"_": translate, "gettext": translate})  # not wrapped again by the i18n extension
    env.template_class = RecordedTemplate
    env.globals.update({"url": url, "static": static})
    env.filters.update(
        {
            "date": date,
            "linebreaksbr": lambda value: linebreaksbr(value, autoescape=True),
            "truncatechars": truncatechars,
            "mask_ids": mask_ids,
        }
    )
    return env
