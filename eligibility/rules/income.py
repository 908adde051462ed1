"""Counted household members and counted income (DOMAIN §2, §8)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from eligibility.rules.common import SRC_INCOME, ZERO, reason, yuan
from eligibility.rules.parameters import ParameterSet
from eligibility.rules.types import (
    EARNED_INCOME_KINDS,
    EXCLUSION_LABELS,
    EXEMPT_INCOME_KINDS,
    INCOME_LABELS,
    Household,
    Member,
    Reason,
)


@dataclass(frozen=True)
class MemberIncome:
    """One counted member's monthly income, split as the rules need it."""

    member: Member
    earned: Decimal  # wage + business, before the employment-cost deduction
    deduction: Decimal  # part of the deduction actually applied (never more than ``earned``)
    other: Decimal  # other non-exempt kinds
    exempt: Decimal  # exempt kinds (not counted; reported only)

    @property
    def ref(self) -> str:
        return self.member.ref

    @property
    def counted(self) -> Decimal:
        """The member's own counted income: max(0, earned − ratio × S) + other non-exempt."""
        return self.earned - self.deduction + self.other


@dataclass(frozen=True)
class HouseholdIncome:
    members: tuple[MemberIncome, ...]  # counted members only, in request order
    total: Decimal  # exact; never rounded before use
    reasons: tuple[Reason, ...]

    @property
    def size(self) -> int:
        return len(self.members)


def member_income(member: Member, deduction: Decimal | None) -> MemberIncome:
    """Split a member's incomes; ``deduction`` (ratio × S) may be None when nothing is earned."""
    earned = sum((i.monthly for i in member.incomes if i.kind in EARNED_INCOME_KINDS), ZERO)
    exempt = sum((i.monthly for i in member.incomes if i.kind in EXEMPT_INCOME_KINDS), ZERO)
    other = sum(
        (i.monthly for i in member.incomes if i.kind not in EXEMPT_INCOME_KINDS and i.kind not in EARNED_INCOME_KINDS),
        ZERO,
    )
    applied = ZERO
    if earned > 0:
        if deduction is None:
            raise ValueError("earned income needs the employment-cost deduction")
        applied = min(earned, deduction)
    return MemberIncome(member=member, earned=earned, deduction=applied, other=other, exempt=exempt)


def counted_members(household: Household) -> tuple[Member, ...]:
    """共同生活的家庭成员: ``lives_together`` and no exclusion (prison, rehab, conscript, ...)."""
    return tuple(m for m in household.members if m.counted)


def household_income(household: Household, standard: Decimal, params: ParameterSet) -> HouseholdIncome:
    """Counted income of all counted members, each member's earned income reduced first."""
    reasons: list[Reason] = []
    for m in household.members:
        if not m.lives_together:
            reasons.append(
                reason(
                    "income.member_not_living_together",
                    f"成员 {m.ref} 不共同生活，不计入家庭成员及家庭收入",
                    SRC_INCOME,
                )
            )
        elif m.excluded is not None:
            reasons.append(
                reason(
                    "income.member_excluded",
                    f"成员 {m.ref} {EXCLUSION_LABELS[m.excluded]}，不计入家庭成员及家庭收入",
                    SRC_INCOME,
                )
            )
    counted = counted_members(household)
    deduction: Decimal | None = None
    ratio = ZERO
    if any(i.kind in EARNED_INCOME_KINDS and i.monthly > 0 for m in counted for i in m.incomes):
        ratio = params.value("employment_cost_deduction_ratio")
        deduction = ratio * standard
    members = tuple(member_income(m, deduction) for m in counted)
    for mi in members:
        for inc in mi.member.incomes:
            if inc.kind in EXEMPT_INCOME_KINDS and inc.monthly > 0:
                reasons.append(
                    reason(
                        "income.exempt_income_excluded",
                        f"成员 {mi.ref} 的{INCOME_LABELS[inc.kind]} {yuan(inc.monthly)} 元为豁免收入，不计入家庭收入",
                        SRC_INCOME,
                    )
                )
        if mi.earned > 0 and deduction is not None:
            reasons.append(
                reason(
                    "income.employment_cost_deducted",
                    f"成员 {mi.ref} 工资及经营收入 {yuan(mi.earned)} 元扣减就业成本"
                    f" {ratio.normalize():f} × {yuan(standard)} = {yuan(deduction)} 元"
                    f"(不低于零)，计入 {yuan(mi.earned - mi.deduction)} 元",
                    SRC_INCOME,
                )
            )
    total = sum((mi.counted for mi in members), ZERO)
    reasons.append(
        reason(
            "income.counted_total",
            f"共同生活家庭成员 {len(members)} 人，家庭月计入收入合计 {yuan(total)} 元",
            SRC_INCOME,
        )
    )
    return HouseholdIncome(members=members, total=total, reasons=tuple(reasons))
