"""The Jinja2 environment (``TEMPLATES[1]``, templates under ``templates/jinja2/``).

Pages are Django templates. Jinja2 renders only fragments printed on the busiest pages where the
Django template language's cost per node shows: the work queue's 30 rows are ≈ 400 variable nodes,
1.6 ms in DTL and ≈ 0.3 ms here (``casework.views.rows.render_queue_rows``). Translations are
Django's own (``{{ _("…") }}``, which ``makemessages`` also extracts from these files); an undefined
name is an error, not an empty string.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, ngettext
from jinja2 import Environment, StrictUndefined


def environment(**options: Any) -> Environment:
    options["undefined"] = StrictUndefined  # Django passes (Debug)Undefined: an empty string for a typo
    options.setdefault("keep_trailing_newline", True)  # as Django's templates print the file's last newline
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env
