"""Resident ID numbers (居民身份证号码, GB 11643-1999).

Checks length, characters, the ISO 7064 MOD 11-2 check character, the birth date
and the region prefix, using ``python-stdnum`` (``stdnum.cn.ric``). The region
prefix is accepted when stdnum's historical code list knows it for the birth
year, or when it is a county-level code of our own region table (the 2023
development-zone codes 340176–340178 are newer than stdnum's list).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exc
from stdnum.cn import ric


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    sex: str  # "M" / "F"


def _known_local_prefix(prefix: str) -> bool:
    from accounts.models import Region

    return Region.objects.filter(code=prefix, level=Region.Level.COUNTY).exists()


def parse_resident_id(raw: str) -> ResidentId:
    """Validate and normalise (upper-case ``X``); raise ValidationError with a Chinese message."""
    number = (raw or "").strip().replace(" ", "").upper()
    if len(number) != 18:
        raise ValidationError(_("身份证号码应为18位，当前为%(n)d位。") % {"n": len(number)}, code="length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("身份证号码前17位须为数字，最后一位为数字或X。"), code="format")
    if ric.calc_check_digit(number) != number[17]:
        raise ValidationError(_("身份证号码校验位不正确，请核对后重新输入。"), code="checksum")
    try:
        birth = ric.get_birth_date(number)
    except stdnum_exc.ValidationError:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="birth_date") from None
    if birth > dt.date.today() or birth.year < 1900:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="birth_date")
    try:
        ric.get_birth_place(number)
    except (stdnum_exc.ValidationError, KeyError, ValueError):
        if not _known_local_prefix(number[:6]):
            raise ValidationError(_("身份证号码前6位地区码无效。"), code="region") from None
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, birth_date=birth, sex=sex)
