"""Links to many objects of one kind on a page (work-queue rows, household lists)."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

_MARK = 987654321


def url_of(name: str) -> Callable[[int], str]:
    """``lambda pk: reverse(name, args=[pk])`` with one ``reverse()`` per page instead of one per
    row: the URL differs only by the id."""
    head, tail = reverse(name, args=[_MARK]).split(str(_MARK))
    return lambda pk: f"{head}{pk}{tail}"
