"""``{{ case.status|status_class }}``: the badge colour of a case status (one table for the
templates' status badge and the rows computed in Python, casework/views/rows.py)."""

from __future__ import annotations

from django import template

from casework.views.rows import status_class as _status_class

register = template.Library()


@register.filter
def status_class(status: str) -> str:
    return _status_class(status)
