"""~200 demo households over the demo streets, spread over every tier (DOMAIN §4).

Generated deterministically (seeded) through the same audited service the intake uses.
Figures are chosen against the 2023-07 standards (S = 924 district, 881 county).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from stdnum.cn import ric

from accounts.demo import DEMO_STREETS, DemoContext
from accounts.models import Region
from applications.services import household_create

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力燕凤云梅琳志红宇浩晨欣怡子轩雨涵梓博"
STREETS_OF_COUNTY = {code: code[:6] for code in DEMO_STREETS}
TODAY = dt.date(2026, 11, 1)


class IdFactory:
    """Valid, unique GB 11643 numbers for demo people."""

    def __init__(self) -> None:
        self.seq = 100

    def make(self, county: str, birth: dt.date, male: bool) -> str:
        self.seq += 2
        seq = self.seq % 1000
        seq = seq if (seq % 2 == 1) == male else (seq + 1) % 1000
        body = f"{county}{birth:%Y%m%d}{seq:03d}"
        return body + ric.calc_check_digit(body + "0")


def _birth(rng: random.Random, age_lo: int, age_hi: int) -> dt.date:
    age = rng.randint(age_lo, age_hi)
    return dt.date(TODAY.year - age, rng.randint(1, 12), rng.randint(1, 28))


def _member(
    rng: random.Random,
    ids: IdFactory,
    county: str,
    relation: str,
    age: tuple[int, int],
    incomes: list[tuple[str, int]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    male = rng.random() < 0.5
    birth = _birth(rng, *age)
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    return {
        "name": name,
        "id_number": ids.make(county, birth, male),
        "relation": relation,
        "incomes": [{"kind": k, "monthly": Decimal(v)} for k, v in (incomes or [])],
        **extra,
    }


def _profile(kind: str, rng: random.Random, ids: IdFactory, county: str, s: int) -> dict[str, Any]:
    m = lambda *a, **k: _member(rng, ids, county, *a, **k)  # noqa: E731
    hh: dict[str, Any] = {"financial_assets": Decimal(rng.randint(0, 8) * 1000), "homes": 1}
    if kind == "tekun_elder":
        hh["members"] = [
            m(
                "self",
                (62, 88),
                [("resident_basic_pension", 165), ("other", rng.randint(0, 300))],
                has_able_supporter=False,
                adl_incapable=rng.choice([0, 0, 1, 2, 3, 4, 6]),
                care_mode=rng.choice(["home", "home", "institutional"]),
            )
        ]
    elif kind == "tekun_disabled":
        hh["members"] = [
            m(
                "self",
                (25, 55),
                [],
                disability_grade=rng.choice([1, 2]),
                disability_kind="intellectual",
                has_able_supporter=False,
                adl_incapable=rng.randint(2, 6),
            )
        ]
    elif kind == "dibao_family":
        wage = rng.randint(1100, 2000)
        hh["members"] = [
            m("self", (30, 50), [("wage", wage)]),
            m("spouse", (30, 50), [], serious_illness=rng.random() < 0.4),
            m("child", (6, 16), [], student=True),
        ]
        if rng.random() < 0.3:
            hh["members"].append(m("parent", (65, 80), [("resident_basic_pension", 165)]))
    elif kind == "dibao_elderly":
        hh["members"] = [
            m("self", (62, 80), [("pension", rng.randint(200, 500))]),
            m("spouse", (60, 80), [("pension", rng.randint(100, 400))]),
        ]
    elif kind == "single_person":
        hh["members"] = [
            m("self", (40, 55), [("wage", s + rng.randint(900, 1400))]),
            m("spouse", (40, 55), [("wage", s + rng.randint(300, 700))]),
            m("child", (18, 30), [], disability_grade=1, disability_kind="physical"),
        ]
    elif kind == "low_income":
        hh["members"] = [
            m("self", (35, 55), [("wage", int(s * 1.9) + rng.randint(0, 300))]),
            m("spouse", (35, 55), [("wage", int(s * 1.4) + rng.randint(0, 300))]),
            m("child", (8, 16), [("scholarship", 200)], student=True),
        ]
    elif kind == "expenditure":
        hh["members"] = [
            m("self", (40, 58), [("wage", int(s * 1.6))]),
            m("spouse", (40, 58), [("wage", int(s * 1.3))]),
            m("child", (10, 17), [], serious_illness=True, student=True),
        ]
        hh["medical_expense_annual"] = Decimal(rng.randint(40, 90) * 1000)
    elif kind == "above_line":
        hh["members"] = [
            m("self", (30, 55), [("wage", rng.randint(5000, 9000))]),
            m("spouse", (30, 55), [("wage", 3500)]),
        ]
    elif kind == "property_fail":
        hh["members"] = [m("self", (35, 55), [("wage", 800)]), m("spouse", (35, 55), [])]
        which = rng.choice(["car", "homes", "money"])
        if which == "car":
            hh["vehicles"] = [
                {"price": Decimal(rng.randint(90, 200) * 1000), "business_use": False, "description": "小轿车"}
            ]
        elif which == "homes":
            hh["homes"] = 2
        else:
            hh["financial_assets"] = Decimal(s * 2 * 40)
    elif kind == "excluded_member":
        hh["members"] = [
            m("self", (35, 50), [("wage", 1300)]),
            m("child", (5, 12), [], student=True),
            m("spouse", (35, 50), [("wage", 3000)], excluded="prison"),
        ]
    return hh


PROFILES = [
    ("tekun_elder", 24),
    ("tekun_disabled", 8),
    ("dibao_family", 40),
    ("dibao_elderly", 24),
    ("single_person", 16),
    ("low_income", 30),
    ("expenditure", 16),
    ("above_line", 16),
    ("property_fail", 16),
    ("excluded_member", 10),
]
ROADS = ["长江西路", "潜山路", "黄山路", "望江西路", "合作化路", "芜湖路", "徽州大道", "宁国路", "金寨路", "紫云路"]


def load(context: DemoContext) -> None:
    rng = random.Random(20210617)
    ids = IdFactory()
    communities = {
        street: list(Region.objects.filter(parent_id=street, level=Region.Level.COMMUNITY).order_by("code"))
        for street in DEMO_STREETS
    }
    clerks = {u.region_id: u for u in context.staff.values() if u.role == "clerk"}
    n = 0
    for kind, count in PROFILES:
        for _ in range(count):
            street = DEMO_STREETS[n % len(DEMO_STREETS)]
            county = street[:6]
            s = 881 if county == "340123" else 924
            data = _profile(kind, rng, ids, county, s)
            community = rng.choice(communities[street])
            data.update(
                {
                    "street": Region.objects.get(code=street),
                    "community": community,
                    "address": f"{rng.choice(ROADS)}{rng.randint(1, 399)}号{rng.randint(1, 30)}栋{rng.randint(101, 1802)}室",
                    "phone": f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
                    "bank_name": rng.choice(["合肥科技农村商业银行", "中国邮政储蓄银行", "徽商银行"]),
                    "bank_account": f"6228{rng.randint(10**14, 10**15 - 1)}",
                }
            )
            data.setdefault("medical_expense_annual", Decimal(rng.randint(0, 6) * 500))
            household_create(actor=clerks[street], data=data)
            n += 1
