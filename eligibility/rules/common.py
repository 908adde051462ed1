"""Money, age and reason helpers shared by the rule modules (no policy logic here)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

from eligibility.rules.types import Reason

ZERO = Decimal("0")
CENT = Decimal("0.01")

# Enough digits that every product/sum of yuan amounts and ratios is exact.
_EXACT = Context(prec=60)


def exact_context() -> AbstractContextManager[Context]:
    """A decimal context in which money arithmetic (sums, products with ratios) is exact."""
    return localcontext(_EXACT)


def money(value: Decimal) -> Decimal:
    """Round half-up to the fen (0.01 yuan): done once, at the end of each amount."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def yuan(value: Decimal) -> str:
    """Format an amount for a message: two decimals, or every digit if it has sub-fen precision."""
    if value == money(value):
        return f"{money(value):.2f}"
    return format(value.normalize(), "f")


def num(value: Decimal) -> str:
    """Format a ratio or multiplier for a message without exponent notation."""
    return format(value.normalize(), "f")


def age_on(birth_date: date, as_of: date) -> int:
    """Whole years (周岁) on ``as_of``; the age increases on the birthday itself.

    A person born on 29 February reaches the next age on 1 March in a common year.
    """
    if birth_date > as_of:
        raise ValueError(f"出生日期 {birth_date} 晚于评估日期 {as_of} (birth date after as_of)")
    before_birthday = (as_of.month, as_of.day) < (birth_date.month, birth_date.day)
    return as_of.year - birth_date.year - (1 if before_birthday else 0)


def reason(code: str, message: str, source: str) -> Reason:
    return Reason(code=code, message=message, source=source)


# Policy sources named beside each rule (STYLE §3). DOMAIN = /shared/docs/DOMAIN.md.
PLAN_2021 = "合肥市改革完善社会救助制度实施方案(2021-06-17)"
SRC_INCOME = f"DOMAIN §2、§8 家庭收入; {PLAN_2021}(收入豁免、就业成本抵扣)"
SRC_PROPERTY = "DOMAIN §3 财产状况; 安徽县级实践 (可配置默认值)"
SRC_TEKUN = f"DOMAIN §4、§8 特困人员救助供养; {PLAN_2021}(未成年人年龄延长至18周岁)"
SRC_CARE = "DOMAIN §4、§8 特困人员照料护理标准; 市场星报 2023-06-09"
SRC_DIBAO = f"DOMAIN §4、§8 最低生活保障; {PLAN_2021}"
SRC_SINGLE = f"DOMAIN §4、§8 单人户低保; {PLAN_2021}"
SRC_INCREMENT = "DOMAIN §4 分类施保 (可配置默认值)"
SRC_LOW_INCOME = f"DOMAIN §4、§8 低收入家庭; {PLAN_2021}(低保标准2倍以下)"
SRC_EXPENDITURE = f"DOMAIN §4、§8 支出型困难家庭; {PLAN_2021}"
SRC_EMERGENCY = f"DOMAIN §4、§8 急难/临时救助; {PLAN_2021}; 安徽县级实践 (可配置默认值)"
