"""``{{ value|mask_ids }}``: mask anything shaped like a full resident ID in text echoed into a page
(a search box, the current URL), so a page never repeats a full ID number (issue 8)."""

from __future__ import annotations

from django import template

from accounts.logging import mask_ids_in_text

register = template.Library()


@register.filter(name="mask_ids")
def mask_ids(value: object) -> str:
    return mask_ids_in_text("" if value is None else str(value))
