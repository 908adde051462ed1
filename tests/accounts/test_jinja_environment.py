"""The Jinja2 environment (hefei_aid/jinja2.py) prints what Django's templates would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import markupsafe
import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import UndefinedError

from accounts.templatetags.jinja_include import jinja_include
from hefei_aid import jinja2 as environment


def _render(source: str, **context: object) -> str:
    return engines["jinja2"].env.from_string(source).render(context)  # type: ignore[attr-defined]


def test_translations_follow_the_page_language_and_are_remembered_per_language() -> None:
    environment._TRANSLATED.clear()
    environment._PRINTED.clear()
    with translation.override("en"):
        assert _render('{{ _("退出") }}') == "Log out"
    with translation.override("zh-hans"):
        assert _render('{{ _("退出") }}') == "退出"
        assert _render('{{ _("退出") }}', LANGUAGE_CODE="en") == "Log out"  # the context's language wins
    assert environment._TRANSLATED[("en", "退出")] == "Log out"
    assert environment._TRANSLATED[("zh-hans", "退出")] == "退出"


def test_remembered_translations_are_dropped_when_the_locale_settings_change(settings: object) -> None:
    environment._TRANSLATED[("en", "不存在的文字")] = "stale"
    settings.LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]  # type: ignore[attr-defined]
    assert ("en", "不存在的文字") not in environment._TRANSLATED


def test_values_print_as_django_prints_them_and_are_escaped() -> None:
    with translation.override("zh-hans"):
        assert _render("{{ d }}", d=dt.date(2026, 11, 29)) == "2026年11月29日"
        assert _render("{{ m }}", m=Decimal("1234.50")) == "1234.50"
        assert _render("{{ n }}", n=None) == "None"
        assert _render("{{ s }}", s="<b>王</b>") == "&lt;b&gt;王&lt;/b&gt;"
        assert _render("{{ t|linebreaksbr }}", t="a<\nb") == "a&lt;<br>b"
        assert _render('{{ d|date("m-d") }}', d=dt.date(2026, 11, 29)) == "11-29"
        assert _render("{{ x|mask_ids }}", x="身份证 340102199001011234") != "身份证 340102199001011234"
        assert _render("{{ url('case-detail', 7) }}") == "/cases/7/"


@pytest.mark.django_db
def test_the_header_is_the_same_from_a_django_page_and_a_jinja_page(clerk_a: object) -> None:
    from django.template import Context

    request = RequestFactory().get("/cases/?q=340102199001011234")
    request.user = clerk_a  # type: ignore[assignment]
    with translation.override("zh-hans"):
        from_django = jinja_include(Context({"user": clerk_a, "nav_extra": ()}), "layout/header.html")
        context = Context({"user": clerk_a, "nav_extra": ()})
        context.request = request  # type: ignore[attr-defined]
        with_request = jinja_include(context, "layout/header.html")
    assert "退出" in from_django and 'name="next" value=""' in from_django and "csrfmiddlewaretoken" not in from_django
    assert "340102199001011234" not in with_request and "csrfmiddlewaretoken" in with_request


def test_datetimes_print_in_local_time_as_in_django_templates() -> None:
    from django.template import Context, Template
    from django.utils import timezone

    moment = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)  # 07:30 the next day in Hefei
    with translation.override("zh-hans"), timezone.override("Asia/Shanghai"):
        assert _render('{{ t|date("Y-m-d H:i") }}', t=moment) == "2026-11-30 07:30"
        django = Template("{{ t }}").render(Context({"t": moment}))
        assert _render("{{ t }}", t=moment) == django and "7:30" in django


def test_translations_with_values_escape_the_values_and_plain_ones_are_kept_as_printed() -> None:
    with translation.override("zh-hans"):
        assert _render('{{ _("退出") }}{{ _("退出") }}') == "退出退出"
        assert ("zh-hans", "退出") in environment._PRINTED
        assert _render('{{ _("%(n)s 处", n="<b>") }}') == "&lt;b&gt; 处"
        assert _render('{{ _("100%% 完成") }}') == "100% 完成"  # a format string, as Jinja2's newstyle gettext


def test_urls_without_arguments_and_static_files_are_looked_up_once(settings: object) -> None:
    environment._URLS.clear()
    assert _render("{{ url('home') }}|{{ url('case-detail', 5) }}") == "/|/cases/5/"
    assert [key[0] for key in environment._URLS] == ["home"]
    first = _render("{{ static('css/app.css') }}")
    assert first.endswith(".css") and environment._STATIC["css/app.css"] == first
    settings.STATIC_URL = "/other-static/"  # type: ignore[attr-defined]
    assert environment._STATIC == {}


@given(st.one_of(st.text(), st.integers(), st.decimals(allow_nan=False), st.none()))
def test_output_is_escaped_exactly_as_markupsafe_escapes_it(value: object) -> None:
    assert environment.escape_output(value) == str(markupsafe.escape(value))
    assert type(environment.escape_output(value)) is str


def test_compiled_templates_escape_output_but_keep_html_and_macro_output_as_it_is(settings: object) -> None:
    class Html:
        def __html__(self) -> str:
            return "<i>ok</i>"

    template = engines["jinja2"].env.from_string(  # type: ignore[attr-defined]
        "{% macro cell(v) %}<td>{{ v }}</td>{% endmacro %}{% set kept %}<b>{{ s }}</b>{% endset %}"
        "{{ cell(s) }}|{{ kept }}|{{ safe }}|{{ html }}|{{ n }}|{{ s|e }}"
    )
    assert template.root_render_func.__globals__["escape"] is environment.escape_output
    printed = template.render(s="<&>", safe=markupsafe.Markup("<br>"), html=Html(), n=1234567)
    assert printed == "<td>&lt;&amp;&gt;</td>|<b>&lt;&amp;&gt;</b>|<br>|<i>ok</i>|1234567|&lt;&amp;&gt;"
    settings.USE_THOUSAND_SEPARATOR = True  # type: ignore[attr-defined]
    with translation.override("en"):
        assert template.render(s="", safe="", html="", n=1234567).endswith("|1,234,567|")  # through localize()
    with pytest.raises(UndefinedError):
        engines["jinja2"].env.from_string("{{ missing }}").render({})  # type: ignore[attr-defined]


def test_row_links_are_built_once_per_url_name_and_forgotten_when_the_url_conf_changes(settings: object) -> None:
    from accounts import links

    links._MAKERS.clear()
    make = links.url_of("case-detail")
    assert make(7) == "/cases/7/" and links.link("case-detail", 12) == "/cases/12/"
    assert links.url_of("case-detail") is make and len(links._MAKERS) == 1
    settings.ROOT_URLCONF = "hefei_aid.urls"  # type: ignore[attr-defined]
    assert links._MAKERS == {}
