from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from charity.models import HandOffStatus

register = template.Library()

STEPS = [
    (HandOffStatus.REFERRED, "转介"),
    (HandOffStatus.ACCEPTED, "受理"),
    (HandOffStatus.APPROVED, "批准资助"),
    (HandOffStatus.PAID, "支付"),
    (HandOffStatus.CLOSED, "结案"),
]


@register.filter
def yuan(value: Any) -> str:
    """12345.6 → 12,345.60 (money is shown with two decimals and thousands separators)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


@register.simple_tag
def handoff_steps(status: str) -> list[tuple[str, str]]:
    """(label, css class) for the stepper: done / current / (blank); a stopped hand-off shows where it stopped."""
    order = [str(s) for s, _label in STEPS]
    if status in order:
        index = order.index(status)
    else:
        index = -1
    result = []
    for i, (_s, label) in enumerate(STEPS):
        if i < index or (i == index and status == HandOffStatus.CLOSED):
            css = "done"
        elif i == index:
            css = "current"
        else:
            css = ""
        result.append((label, css))
    return result
