"""Classified increments 分类施保 (DOMAIN §4): class A +30 % of S, class B +20 % of S.

Class A: grade 1–2 disability (any kind) or serious illness. Class B: aged 60+, minors (< 18) or
grade 3–4 disability. A member gets only the highest class (A before B), never both.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eligibility.rules.common import SRC_INCREMENT, ZERO, age_on, num, reason, yuan
from eligibility.rules.parameters import ParameterSet
from eligibility.rules.types import Member, Reason

CLASS_A = "A"
CLASS_B = "B"
_PARAMETER = {CLASS_A: "increment_class_a", CLASS_B: "increment_class_b"}


def is_vulnerable(member: Member) -> bool:
    """Grade 1–2 disability or serious illness: class A, 单人户 candidate, 48× asset limit."""
    return member.serious_illness or member.disability_grade in (1, 2)


def increment_class(member: Member, as_of: date) -> str | None:
    if is_vulnerable(member):
        return CLASS_A
    age = age_on(member.birth_date, as_of)
    if age >= 60 or age < 18 or member.disability_grade in (3, 4):
        return CLASS_B
    return None


def _why(member: Member, as_of: date, cls: str) -> str:
    if cls == CLASS_A:
        parts = []
        if member.disability_grade in (1, 2):
            parts.append(f"{member.disability_grade}级残疾")
        if member.serious_illness:
            parts.append("重病")
        return "、".join(parts)
    age = age_on(member.birth_date, as_of)
    if age >= 60:
        return f"年满60周岁({age}岁)"
    if age < 18:
        return f"未成年({age}岁)"
    return f"{member.disability_grade}级残疾"


def member_increment(
    member: Member, as_of: date, standard: Decimal, params: ParameterSet, source: str = SRC_INCREMENT
) -> tuple[Decimal, Reason | None]:
    """The member's increment (exact, unrounded) and its reason; zero and None for no class."""
    cls = increment_class(member, as_of)
    if cls is None:
        return ZERO, None
    rate = params.value(_PARAMETER[cls])
    amount = rate * standard
    code = "dibao.increment_class_a" if cls == CLASS_A else "dibao.increment_class_b"
    return amount, reason(
        code,
        f"成员 {member.ref} {_why(member, as_of, cls)}，{cls}类分类施保加发"
        f" {num(rate)} × {yuan(standard)} = {yuan(amount)} 元",
        source,
    )
