import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from applications.ids import parse_resident_id

# 11010519491231002X is the worked example of GB 11643-1999 (check character X).
STANDARD_EXAMPLE = "11010519491231002X"


@pytest.mark.django_db
def test_accepts_valid_number_and_derives_birth_date_and_sex() -> None:
    parsed = parse_resident_id(STANDARD_EXAMPLE)
    assert parsed.number == STANDARD_EXAMPLE
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "F"  # sequence 002 is even


@pytest.mark.django_db
def test_lowercase_x_is_accepted_and_normalised() -> None:
    assert parse_resident_id("11010519491231002x").number == STANDARD_EXAMPLE


@pytest.mark.django_db
def test_male_when_sequence_is_odd() -> None:
    # 340104 198005 17 123 + check digit computed by MOD 11-2
    from tests.support import make_resident_id

    parsed = parse_resident_id(make_resident_id(seq=123))
    assert parsed.sex == "M"
    assert parsed.birth_date == dt.date(1980, 5, 17)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        ("110105194912310021", "checksum", "校验位"),
        ("11010519491331002X", "checksum", "校验位"),
        ("11010519491231002", "length", "18位"),
        ("1101051949123100211", "length", "18位"),
        ("11010519A91231002X", "format", "数字"),
    ],
)
def test_rejects_malformed_numbers_with_chinese_message(number: str, code: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_resident_id(number)
    assert exc.value.code == code
    assert message in exc.value.messages[0]


@pytest.mark.django_db
def test_rejects_impossible_birth_date_even_with_right_checksum() -> None:
    from stdnum.cn import ric

    body = "34010419800231123"  # 31 February
    number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(ValidationError) as exc:
        parse_resident_id(number)
    assert exc.value.code == "birth_date"
    assert "出生日期" in exc.value.messages[0]


@pytest.mark.django_db
def test_rejects_unknown_region_prefix() -> None:
    from stdnum.cn import ric

    body = "99999919800517123"
    number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(ValidationError) as exc:
        parse_resident_id(number)
    assert exc.value.code == "region"


@pytest.mark.django_db
def test_accepts_development_zone_prefix_unknown_to_stdnum() -> None:
    from tests.support import make_resident_id

    assert parse_resident_id(make_resident_id(county="340176", seq=11)).number.startswith("340176")
