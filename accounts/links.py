"""Links to many objects of one kind on a page (work-queue rows, household lists, panels)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse

_MARK = 987654321

# Per process, under the script prefix and URL configuration the maker was built with.
_MAKERS: dict[tuple[str, str, Any], Callable[[int], str]] = {}


def url_of(name: str) -> Callable[[int], str]:
    """``lambda pk: reverse(name, args=[pk])`` with one ``reverse()`` per process and name instead of
    one per row: the URL differs only by the id."""
    key = (name, get_script_prefix(), get_urlconf())
    make = _MAKERS.get(key)
    if make is None:
        head, tail = reverse(name, args=[_MARK]).split(str(_MARK))
        make = _MAKERS[key] = lambda pk: f"{head}{pk}{tail}"
    return make


def link(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` of a URL with one argument (``url_of``)."""
    return url_of(name)(pk)


def _forget(*, setting: str, **kwargs: Any) -> None:
    if setting in {"ROOT_URLCONF", "INSTALLED_APPS"}:
        _MAKERS.clear()


setting_changed.connect(_forget)
