"""Resident ID numbers (居民身份证号码, GB 11643-1999).

Checks length, characters, the ISO 7064 MOD 11-2 check character, the birth date
and the region prefix, using ``python-stdnum`` (``stdnum.cn.ric``). The region
prefix is accepted when stdnum's historical code list knows it for the birth
year, or when it is a county-level code of our own region table (the 2023
development-zone codes 340176–340178 are newer than stdnum's list).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exc
from stdnum.cn import ric


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    sex: str  # "M" / "F"


# County codes of the region table, per process: every intake parses each ID number several times
# (serializer, duplicate guard, member rows) and the table is reference data. A Region save or delete
# in this process forgets them; the age limit bounds how long another process's change goes unseen.
COUNTY_CODES_MAX_AGE = 300.0  # seconds
_county_codes: tuple[float, frozenset[str]] | None = None


def _local_county_codes() -> frozenset[str]:
    global _county_codes
    cached = _county_codes
    now = time.monotonic()
    if cached is not None and now - cached[0] < COUNTY_CODES_MAX_AGE:
        return cached[1]
    from accounts.models import Region

    codes = frozenset(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
    _county_codes = (now, codes)
    return codes


def forget_county_codes(**kwargs: Any) -> None:
    global _county_codes
    _county_codes = None


post_save.connect(forget_county_codes, sender="accounts.Region", dispatch_uid="ids_forget_county_codes_save")
post_delete.connect(forget_county_codes, sender="accounts.Region", dispatch_uid="ids_forget_county_codes_delete")


def _known_local_prefix(prefix: str) -> bool:
    return prefix in _local_county_codes()


@lru_cache(maxsize=4096)
def _stdnum_knows_prefix(prefix: str, birth_year: int) -> bool:
    """Whether stdnum's code list has the region ``prefix`` for people born in ``birth_year``.

    ``ric.get_birth_place`` looks only at these two (its list is part of the package), so the answer
    is kept per process: an intake checks each ID number several times and the search is the costly
    part of the check.
    """
    try:
        ric.get_birth_place(f"{prefix}{birth_year:04d}01010000")  # 1 January: only the year counts
    except (stdnum_exc.ValidationError, KeyError, ValueError):
        return False
    return True


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
    if not _stdnum_knows_prefix(number[:6], birth.year) and not _known_local_prefix(number[:6]):
        raise ValidationError(_("身份证号码前6位地区码无效。"), code="region")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, birth_date=birth, sex=sex)
