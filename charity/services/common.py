"""Small checks shared by the charity services: money, reasons, who may keep a fund's books."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.errors import BusinessError, Conflict
from accounts.models import Role, User
from accounts.selectors import region_visible_to
from charity.models import Fund, NeedType

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000000")


class InsufficientFunds(Conflict):
    """A payment, transfer or reversal would take a balance below zero: nothing was written."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message, code="insufficient_funds", **extra)


def yuan(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def money(value: object, *, field: str = "amount") -> Decimal:
    """A positive amount in yuan with at most two decimals (分), as Decimal."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("请输入有效的金额(元)。")}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("请输入有效的金额(元)。")})
    if amount <= 0:
        raise ValidationError({field: _("金额必须大于 0 元。")})
    if amount != amount.quantize(CENT):
        raise ValidationError({field: _("金额最多保留两位小数(到分)。")})
    if amount >= MAX_AMOUNT:
        raise ValidationError({field: _("金额过大，请核对。")})
    return amount.quantize(CENT)


def require_reason(reason: str, *, field: str = "reason", minimum: int = 4) -> str:
    reason = (reason or "").strip()
    if len(reason) < minimum:
        raise ValidationError({field: _("请填写原因(至少 %(n)d 个字)。") % {"n": minimum}})
    return reason


def check_purpose(purpose: str, *, field: str = "purpose") -> str:
    purpose = purpose or ""
    if purpose and purpose not in NeedType.values:
        raise ValidationError({field: _("限定用途无效。")})
    return purpose


def require_fund_officer(actor: User, fund: Fund) -> None:
    """Only the charity officer of the fund's county (or a wider region) keeps its books."""
    if not region_visible_to(actor, fund.region_id):
        raise BusinessError(_("该基金不在您的管辖范围内。"), code="out_of_scope", status=404)
    if actor.role != Role.CHARITY:
        raise BusinessError(
            _("只有慈善专员可以办理基金收支；您的岗位为“%(role)s”。") % {"role": Role(actor.role).label},
            code="role_forbidden",
            status=403,
        )
    if not fund.active:
        raise BusinessError(_("基金“%(f)s”已停用，不能再记账。") % {"f": fund.name}, code="fund_inactive")
