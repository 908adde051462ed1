"""Choice labels in the active language, from a table built once per process and language.

Django's ``get_<field>_display()`` and a ``dict(Choices.choices)`` evaluate every lazy label of the
choices on each call (≈ 40 µs for a field; a 30-row work queue or the case page ask hundreds of
times a request). Choices are constants of the code, so the table never goes stale.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.utils.translation import get_language

_TABLES: dict[tuple[str, Hashable], dict[Any, str]] = {}


def choice_labels(key: Hashable, choices: Callable[[], Iterable[tuple[Any, Any]]]) -> dict[Any, str]:
    """``{value: label}`` of the choices in the active language. ``key`` names them (the choices
    class, or a (model, field) pair); ``choices`` gives them and is called only the first time
    (``Choices.choices`` and ``Field.flatchoices`` build a new list on each access)."""
    table_key = (get_language() or "", key)
    table = _TABLES.get(table_key)
    if table is None:
        table = _TABLES[table_key] = {value: str(label) for value, label in choices()}
    return table
