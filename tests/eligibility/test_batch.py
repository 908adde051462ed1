"""The set-based batch path (eligibility.batch) against the single path (services.evaluate_household).

Households are created through ``applications.services.household_create``; every comparison is on
what the Determination stores: primary tier, recurring monthly amount to the fen, tier flags, the
per-tier amounts and the members of 特困 and 单人户 cases.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import itertools
import os
import random
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg2
import psycopg2.extras
import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.crypto import blind_index, mask_id
from accounts.models import Region, User
from applications.models import Household, IncomeItem, Member, Vehicle
from applications.services import HOUSEHOLD_FIELDS, MEMBER_FIELDS, household_create
from eligibility import batch
from eligibility.batch import DeterminationValues, reevaluate, reevaluate_chunk, values_from_payload
from eligibility.models import Determination
from eligibility.rules.common import age_on
from eligibility.rules.increments import CLASS_A, CLASS_B, increment_class
from eligibility.rules.parameters import MissingParameter
from eligibility.rules.tiers import work_capacity_none
from eligibility.rules.types import Member as RuleMember
from eligibility.services import evaluate_household
from tests.support import STREET_A, STREET_F, make_resident_id

AS_OF = dt.date(2026, 3, 1)  # 18th birthday of someone born 29 Feb 2008; 2023-07 standards in force
STANDARD = {STREET_A: Decimal("924.00"), STREET_F: Decimal("881.00")}  # district / county S on AS_OF
_ids = itertools.count()


# --- generating households ---------------------------------------------------------------------------


def _resident_id(birth: dt.date) -> str:
    n = next(_ids)
    county = ("340104", "340102", "340103", "340111", "340121", "340122")[n // 1000 % 6]
    return make_resident_id(county=county, birth=birth, seq=n % 1000)


def _birth(rng: random.Random, lo: int, hi: int) -> dt.date:
    """A birth date for an age between ``lo`` and ``hi`` on AS_OF, with the birthday boundaries over-weighted."""
    if rng.random() < 0.15:
        return rng.choice(
            [dt.date(2008, 2, 29), dt.date(2008, 3, 1), dt.date(2008, 3, 2), dt.date(1966, 3, 1), dt.date(1966, 3, 2)]
        )
    return AS_OF - dt.timedelta(days=rng.randint(lo * 365 + 1, hi * 365 + 300))


def _yuan(rng: random.Random, lo: float, hi: float) -> Decimal:
    return Decimal(rng.randint(int(lo * 100), int(hi * 100))) / 100


def _member(rng: random.Random, *, age: tuple[int, int], income: Decimal = Decimal(0), **extra: Any) -> dict[str, Any]:
    kind = "wage" if age[0] >= 18 and age[1] < 60 else rng.choice(["pension", "other", "maintenance", "agriculture"])
    incomes = [{"kind": kind, "monthly": income}] if income else []
    if rng.random() < 0.2:  # exempt kinds never count
        incomes.append(
            {
                "kind": rng.choice(["scholarship", "martyr_pension", "resident_basic_pension"]),
                "monthly": _yuan(rng, 1, 900),
            }
        )
    if rng.random() < 0.1:
        incomes.append({"kind": rng.choice(["business", "property"]), "monthly": _yuan(rng, 0, 600)})
    grade = rng.choice([None] * 8 + [1, 2, 3, 4])
    birth = extra.pop("birth", None) or _birth(rng, *age)
    data: dict[str, Any] = {
        "name": "成员",
        "id_number": _resident_id(birth),
        "birth": birth,  # for the bulk factory (household_create reads it from the ID)
        "relation": "other",
        "disability_grade": grade,
        "disability_kind": rng.choice(["physical", "intellectual", "mental", "visual"]) if grade else None,
        "serious_illness": rng.random() < 0.08,
        "work_capacity": rng.choice([None, None, None, "none", "partial", "full"]),
        "adl_incapable": rng.randint(0, 6),
        "has_able_supporter": rng.random() < 0.6,
        "care_mode": rng.choice(["home", "home", "institutional"]),
        "lives_together": rng.random() > 0.05,
        "excluded": rng.choice([None] * 15 + ["prison", "conscript", "missing"]),
        "incomes": incomes,
    }
    data.update(extra)
    return data


def household_data(rng: random.Random, street: str, profile: str) -> dict[str, Any]:
    s = STANDARD[street]
    members: list[dict[str, Any]]
    if profile == "tekun":
        members = [
            _member(
                rng,
                age=(61, 95),
                income=_yuan(rng, 0, 900),
                has_able_supporter=False,
                excluded=None,
                lives_together=True,
            )
        ]
        if rng.random() < 0.4:
            members.append(_member(rng, age=(25, 59), income=_yuan(rng, 0, 3000)))
    elif profile == "single":  # a member with grade 1–2 disability and low own income; p between S and 2S
        members = [
            _member(
                rng,
                age=(25, 59),
                income=_yuan(rng, 0, 300),
                disability_grade=rng.choice([1, 2]),
                disability_kind="visual",
                excluded=None,
                lives_together=True,
            ),
            _member(rng, age=(25, 59), income=s * 3 + _yuan(rng, 0, 900), excluded=None, lives_together=True),
        ]
    elif profile == "boundary":  # p = S exactly: wage − 0.3 × S = S
        members = [
            _member(
                rng,
                age=(25, 59),
                income=s + s * Decimal("0.3"),
                excluded=None,
                lives_together=True,
                disability_grade=None,
                serious_illness=False,
            )
        ]
        for m in members:
            m["incomes"] = [i for i in m["incomes"] if i["kind"] not in ("business", "property")]
    else:
        size = rng.choice([1, 2, 2, 3, 3, 4, 5])
        per_capita = {"dibao": (0, 900), "low": (900, 1800), "none": (1800, 9000)}.get(profile, (0, 3000))
        members = [
            _member(rng, age=rng.choice([(25, 59), (25, 59), (0, 17), (60, 90)]), income=_yuan(rng, *per_capita))
            for _ in range(size)
        ]
        if rng.random() < 0.1:  # a child born after AS_OF: not yet a member on that date
            members.append(_member(rng, age=(0, 0), birth=dt.date(2026, 6, 1)))
    vehicles = []
    if rng.random() < 0.15:
        vehicles.append(
            {
                "price": rng.choice([Decimal("79999.99"), Decimal("80000.00"), _yuan(rng, 10_000, 150_000)]),
                "business_use": rng.random() < 0.3,
            }
        )
    data: dict[str, Any] = {
        "street": _region(street),
        "community": _region(street, community=True),
        "address": "测试地址",
        "financial_assets": _yuan(rng, 0, 20_000),
        "homes": 1,
        "medical_expense_annual": Decimal(0),
        "members": members,
        "vehicles": vehicles,
    }
    if profile == "property":
        failure = rng.choice(["assets", "homes", "business", "profit"])
        data.update(
            {
                "assets": {"financial_assets": Decimal(48 * 924 * len(members) + 1)},
                "homes": {"homes": 2},
                "business": {"business_employs_others_12m": True},
                "profit": {"business_avg_monthly_net_profit": s * 2 + Decimal("0.01")},
            }[failure]
        )
    if profile == "hardship" or rng.random() < 0.1:
        data["medical_expense_annual"] = _yuan(rng, 5_000, 80_000)
        data["education_expense_annual"] = _yuan(rng, 0, 10_000)
    return data


def _region(street: str, community: bool = False) -> Region:
    region = Region.objects.filter(parent_id=street).order_by("code").first() if community else None
    return region or Region.objects.get(code=street)


PROFILES = ["tekun", "dibao", "dibao", "single", "low", "hardship", "none", "property", "boundary", "mixed"]
_TEXT_CHOICES = {"excluded", "disability_kind", "work_capacity"}  # None is stored as "" (as household_create does)


def bulk_households(actor: User, datas: list[dict[str, Any]]) -> list[Household]:
    """The same rows household_create writes, in four bulk inserts (a few ms instead of ~35 ms a household)."""
    fields = [f for f in HOUSEHOLD_FIELDS if f not in ("street", "community")]
    households = Household.objects.bulk_create(
        Household(created_by=actor, street=d["street"], community=d["community"], **{f: d[f] for f in fields if f in d})
        for d in datas
    )
    members: list[tuple[Member, list[dict[str, Any]]]] = []
    for household, d in zip(households, datas, strict=True):
        for m in d["members"]:
            number = m["id_number"]
            member = Member(
                household=household,
                id_number=number,
                id_index=blind_index(number),
                id_masked=mask_id(number),
                birth_date=m["birth"],
                sex="M",
            )
            for f in MEMBER_FIELDS:
                if f in m:
                    setattr(member, f, "" if m[f] is None and f in _TEXT_CHOICES else m[f])
            members.append((member, m["incomes"]))
    Member.objects.bulk_create(m for m, _ in members)
    IncomeItem.objects.bulk_create(
        IncomeItem(member=m, kind=i["kind"], monthly=Decimal(i["monthly"])) for m, incomes in members for i in incomes
    )
    Vehicle.objects.bulk_create(
        Vehicle(household=h, price=v["price"], business_use=v["business_use"])
        for h, d in zip(households, datas, strict=True)
        for v in d["vehicles"]
    )
    return households


def create_households(actor: User, count: int, seed: int = 7, *, through_service: int = 0) -> list[Household]:
    """``count`` varied households; the first ``through_service`` go through household_create."""
    rng = random.Random(seed)
    streets = [STREET_A, STREET_F]
    datas = [household_data(rng, streets[k % 2], PROFILES[k % len(PROFILES)]) for k in range(count)]
    made = [household_create(actor=actor, data=d) for d in datas[:through_service]]
    return made + bulk_households(actor, datas[through_service:])


def single_values(household: Household, as_of: dt.date) -> DeterminationValues:
    return single_values_many([household.pk], as_of)[household.pk]


def single_values_many(ids: list[int], as_of: dt.date) -> dict[int, DeterminationValues]:
    """The single path (services.evaluate_household, the public response JSON) for each household."""
    households = Household.objects.prefetch_related("members__incomes", "vehicles").filter(pk__in=ids)
    return {h.pk: values_from_payload(evaluate_household(h, as_of=as_of)) for h in households}


def stored(household_id: int) -> DeterminationValues:
    return DeterminationValues.of(Determination.objects.get(pk=household_id))


def id_range(households: list[Household]) -> range:
    ids = [h.pk for h in households]
    return range(min(ids), max(ids) + 1)


# --- age and flags: the vectorised form equals the rules --------------------------------------------


BOUNDARY_DATES = [dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2025, 3, 1), AS_OF]


@pytest.mark.parametrize("as_of", BOUNDARY_DATES)
@pytest.mark.parametrize("years", [18, 60])
def test_age_cutoff_equals_age_on_around_every_birthday(as_of: dt.date, years: int) -> None:
    cut = batch.age_cutoff(as_of, years)
    anchor = as_of.replace(year=as_of.year - years, day=28 if as_of.day == 29 else as_of.day)
    births = [anchor + dt.timedelta(days=d) for d in range(-400, 400)] + [dt.date(y, 2, 29) for y in (1964, 2008)]
    for born in births:
        if born <= as_of:
            assert (born <= cut) == (age_on(born, as_of) >= years), (born, as_of)


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", [dt.date(2024, 2, 29), AS_OF])
def test_member_flags_in_sql_equal_increment_class_and_work_capacity_none(as_of: dt.date) -> None:
    births = [
        as_of.replace(year=as_of.year - y, day=28 if as_of.day == 29 else as_of.day) + dt.timedelta(days=d)
        for y in (18, 60)
        for d in (-1, 0, 1)
    ] + [dt.date(1964, 2, 29), dt.date(2008, 2, 29), dt.date(1990, 6, 1)]
    combos = list(
        itertools.product(
            births,
            [None, 1, 2, 3, 4],
            ["", "physical", "intellectual", "mental", "visual"],
            [False, True],
            ["", "none", "partial", "full"],
        )
    )
    rows = ", ".join(["(%s::date, %s::int, %s, %s, %s, false, 5, 'institutional')"] * len(combos))
    columns = (
        "birth_date, disability_grade, disability_kind, serious_illness, work_capacity, "
        "has_able_supporter, adl_incapable, care_mode"
    )
    sql = f"SELECT {batch.MEMBER_FLAGS_SQL} FROM (VALUES {rows}) AS mb({columns})"  # noqa: S608
    params: dict[str, Any] = {"cut60": batch.age_cutoff(as_of, 60), "cut18": batch.age_cutoff(as_of, 18)}
    flat = [v for combo in combos for v in combo]
    with connection.cursor() as cur:
        # Positional placeholders for the rows, named ones for the cutoffs: inline the cutoffs first.
        cur.execute(sql.replace("%(cut60)s", f"'{params['cut60']}'").replace("%(cut18)s", f"'{params['cut18']}'"), flat)
        flags = [row[0] for row in cur.fetchall()]
    for (born, grade, kind, ill, capacity), f in zip(combos, flags, strict=True):
        member = RuleMember(
            ref="m",
            birth_date=born,
            disability_grade=grade,
            disability_kind=kind or None,
            serious_illness=ill,
            work_capacity=capacity or None,
        )
        expected_class = {CLASS_A: 2, CLASS_B: 1, None: 0}[increment_class(member, as_of)]
        assert (f & 3, bool(f & 4)) == (expected_class, work_capacity_none(member, as_of) is not None), member
        assert batch._FLAGS[f][2:] == (False, 5, True)  # supporter, adl_incapable, institutional


# --- batch = single -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_batch_equals_single_path_and_a_second_run_writes_nothing(clerk_a: User) -> None:
    households = create_households(clerk_a, 300, through_service=20)
    report = reevaluate(AS_OF, households=id_range(households), workers=1, chunk_size=64)
    assert (report.checked, report.changed, report.failed, report.unchanged) == (300, 300, 0, 0)
    expected = single_values_many([h.pk for h in households], AS_OF)
    rows = {d.pk: DeterminationValues.of(d) for d in Determination.objects.filter(pk__in=expected)}
    mismatches = {pk: (rows.get(pk), value) for pk, value in expected.items() if rows.get(pk) != value}
    assert not mismatches
    primaries = {value.primary_tier for value in rows.values()}
    assert primaries == {"tekun", "dibao", "low_income", "expenditure_hardship", "none"}
    assert Determination.objects.filter(single_fen__gt=0).exists()
    assert Determination.objects.filter(tiers=batch.fast.BIT_LOW_INCOME | batch.fast.BIT_EXPENDITURE_HARDSHIP).exists()
    assert sorted(report.changed_ids()) == [h.pk for h in households]

    again = reevaluate(AS_OF, households=id_range(households), workers=1, chunk_size=64)
    assert (again.checked, again.unchanged, again.changed, again.written) == (300, 300, 0, 0)


@pytest.mark.django_db
def test_changing_one_household_income_rewrites_exactly_that_one(clerk_a: User) -> None:
    households = create_households(clerk_a, 60, seed=11)
    reevaluate(AS_OF, households=id_range(households), workers=1)
    target = Determination.objects.filter(primary_tier="dibao", tiers__in=[2, 2 | 16]).order_by("pk").first()
    assert target is not None
    before = DeterminationValues.of(target)
    member = Member.objects.filter(
        household_id=target.pk, active=True, lives_together=True, excluded="", birth_date__lte=AS_OF
    ).first()
    assert member is not None
    IncomeItem.objects.create(member=member, kind="other", monthly=Decimal("1.00"))

    report = reevaluate(AS_OF, households=id_range(households), workers=1)
    assert (report.changed, report.written, report.failed) == (1, 1, 0)
    assert report.changed_ids() == [target.pk]
    row = Determination.objects.get(pk=target.pk)
    assert DeterminationValues.from_json(row.previous) == before
    assert DeterminationValues.of(row) == single_values(Household.objects.get(pk=target.pk), AS_OF)
    assert row.changed_at == report.run_at and row.changed_at > target.changed_at


@pytest.mark.django_db
def test_chunk_reports_old_and_new_values(clerk_a: User) -> None:
    households = create_households(clerk_a, 12, seed=5)
    lo, hi = households[0].pk, households[-1].pk + 1
    first = reevaluate_chunk(AS_OF, lo, hi)
    assert len(first.changes) == 12 and all(c.old is None for c in first.changes)
    Household.objects.filter(pk=households[0].pk).update(financial_assets=Decimal("99999999.00"))
    second = reevaluate_chunk(AS_OF, lo, hi)
    old = {c.household_id: c.new for c in first.changes}[households[0].pk]
    if old.primary_tier == "none":
        assert second.changes == []
    else:
        [change] = second.changes
        assert change.household_id == households[0].pk and change.old == old
        assert change.new.primary_tier == "none" and change.new.monthly_amount_fen == 0


@pytest.mark.django_db
def test_missing_parameter_marks_households_failed_and_keeps_their_last_result(clerk_a: User) -> None:
    households = create_households(clerk_a, 20, seed=3)
    ids = id_range(households)
    reevaluate(AS_OF, households=ids, workers=1)
    good = {h.pk: stored(h.pk) for h in households}

    early = dt.date(2019, 6, 30)  # before the first dibao standard (2019-07-01)
    report = reevaluate_chunk(early, ids.start, ids.stop)
    assert (report.failed, report.changed, report.written) == (20, 0, 20)
    assert all("dibao_standard" in text and "2019-06-30" in text for _, text in report.failures)
    for h in households:
        row = Determination.objects.get(pk=h.pk)
        assert "dibao_standard" in row.error
        assert DeterminationValues.of(row) == good[h.pk]  # never a silent zero
        with pytest.raises(MissingParameter) as raised:
            evaluate_household(Household.objects.get(pk=h.pk), as_of=early)
        assert raised.value.name == "dibao_standard"
    assert reevaluate_chunk(early, ids.start, ids.stop).written == 0  # the same error is no change

    recovered = reevaluate_chunk(AS_OF, ids.start, ids.stop)
    assert (recovered.failed, recovered.changed, recovered.written) == (0, 0, 20)
    assert not Determination.objects.filter(pk__in=ids).exclude(error="").exists()


@pytest.mark.django_db
def test_a_new_household_without_parameters_gets_an_error_row_not_a_zero(clerk_a: User) -> None:
    [household] = create_households(clerk_a, 1)
    report = reevaluate_chunk(dt.date(2019, 1, 1), household.pk, household.pk + 1)
    assert report.failed == 1
    row = Determination.objects.get(pk=household.pk)
    assert row.primary_tier == "" and "dibao_standard" in row.error
    assert report.failures == [(household.pk, row.error)]


# --- hypothesis: batch = single at the database level --------------------------------------------------

MEMBER = st.fixed_dictionaries(
    {
        "age": st.sampled_from([(0, 17), (18, 59), (18, 59), (60, 95), (17, 18), (59, 60)]),
        "grade": st.sampled_from([None, None, None, 1, 2, 3, 4]),
        "kind": st.sampled_from(["physical", "intellectual", "mental", "hearing"]),
        "ill": st.booleans(),
        "capacity": st.sampled_from([None, None, "none", "partial", "full"]),
        "adl": st.integers(0, 6),
        "supporter": st.booleans(),
        "institutional": st.booleans(),
        "together": st.sampled_from([True] * 6 + [False]),
        "excluded": st.sampled_from([None] * 8 + ["prison", "clergy"]),
        "incomes": st.lists(
            st.tuples(
                st.sampled_from(["wage", "business", "pension", "other", "scholarship", "social_assistance"]),
                st.integers(0, 400_000),
            ),
            max_size=2,
        ),
    }
)


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    members=st.lists(MEMBER, min_size=1, max_size=4),
    street=st.sampled_from([STREET_A, STREET_F]),
    as_of=st.sampled_from([dt.date(2022, 3, 1), dt.date(2024, 2, 29), AS_OF]),
    financial=st.integers(0, 6_000_000),
    vehicle=st.one_of(st.none(), st.tuples(st.integers(0, 12_000_000), st.booleans())),
    medical=st.integers(0, 6_000_000),
    seed=st.integers(0, 10_000),
)
def test_property_batch_equals_single(
    clerk_a: User,
    members: list[dict[str, Any]],
    street: str,
    as_of: dt.date,
    financial: int,
    vehicle: tuple[int, bool] | None,
    medical: int,
    seed: int,
) -> None:
    rng = random.Random(seed)
    with transaction.atomic():
        data = household_data(rng, street, "dibao")
        data["members"] = [
            {
                "name": "成员",
                "id_number": _resident_id(_age_to_birth(as_of, m["age"], rng)),
                "disability_grade": m["grade"],
                "disability_kind": m["kind"] if m["grade"] else None,
                "serious_illness": m["ill"],
                "work_capacity": m["capacity"],
                "adl_incapable": m["adl"],
                "has_able_supporter": m["supporter"],
                "care_mode": "institutional" if m["institutional"] else "home",
                "lives_together": m["together"],
                "excluded": m["excluded"],
                "incomes": [{"kind": k, "monthly": Decimal(f) / 100} for k, f in m["incomes"]],
            }
            for m in members
        ]
        data["financial_assets"] = Decimal(financial) / 100
        data["medical_expense_annual"] = Decimal(medical) / 100
        data["vehicles"] = [] if vehicle is None else [{"price": Decimal(vehicle[0]) / 100, "business_use": vehicle[1]}]
        household = household_create(actor=clerk_a, data=data)
        report = reevaluate_chunk(as_of, household.pk, household.pk + 1)
        try:
            expected = single_values(household, as_of)
        except MissingParameter as exc:
            assert report.failed == 1 and exc.name in report.failures[0][1]
        else:
            assert report.failed == 0, report.failures
            assert stored(household.pk) == expected
        transaction.set_rollback(True)


def _age_to_birth(as_of: dt.date, ages: tuple[int, int], rng: random.Random) -> dt.date:
    lo, hi = ages
    if (lo, hi) in ((17, 18), (59, 60)):  # right at the 18th / 60th birthday
        try:
            birthday = as_of.replace(year=as_of.year - hi)
        except ValueError:  # 29 Feb in a common year
            birthday = dt.date(as_of.year - hi, 3, 1)
        return birthday + dt.timedelta(days=rng.choice([-1, 0, 1]))
    return as_of - dt.timedelta(days=rng.randint(lo * 366, hi * 365 + 364))


# --- two workers on the same chunk ------------------------------------------------------------------

# The tables the batch path reads and writes, and which of their rows belong to a household range.
_RACE_TABLES = {
    Household: "id >= %s AND id < %s",
    Member: "household_id >= %s AND household_id < %s",
    IncomeItem: "member_id IN (SELECT id FROM applications_member WHERE household_id >= %s AND household_id < %s)",
    Vehicle: "household_id >= %s AND household_id < %s",
    Determination: "household_id >= %s AND household_id < %s",
}


@contextlib.contextmanager
def committed_copy(id_from: int, id_to: int) -> Iterator[str]:
    """Committed copies of the chunk's rows in a scratch schema, so that other connections see them.

    The test's own rows are uncommitted (pytest-django's transaction); a transactional test would
    flush the migration data (regions, parameters) for every later test. Connections that put the
    schema first on their search_path run the real batch code against the copies.
    """
    schema = f"batch_race_{os.getpid()}"
    other = psycopg2.connect(**connection.get_connection_params())
    other.autocommit = True
    try:
        with other.cursor() as out, connection.cursor() as source:
            out.execute(f"CREATE SCHEMA {schema}")
            for model, in_range in _RACE_TABLES.items():
                table = model._meta.db_table
                out.execute(f"CREATE TABLE {schema}.{table} (LIKE public.{table} INCLUDING ALL)")
                source.execute(f"SELECT * FROM {table} WHERE {in_range}", [id_from, id_to])  # noqa: S608
                rows = source.fetchall()
                if rows:
                    psycopg2.extras.execute_values(out, f"INSERT INTO {schema}.{table} VALUES %s", rows)  # noqa: S608
        yield schema
    finally:
        with other.cursor() as out:
            out.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        other.close()


def run_concurrently(schema: str, ranges: list[tuple[int, int]]) -> list[batch.ChunkReport]:
    """reevaluate_chunk on each range, each in its own thread and connection, started together."""
    barrier = threading.Barrier(len(ranges))
    reports: list[batch.ChunkReport] = []
    errors: list[BaseException] = []

    def work(lo: int, hi: int) -> None:
        from django.db import connection as own  # each thread has its own connection (autocommit)

        try:
            with own.cursor() as cur:
                cur.execute(f"SET search_path TO {schema}, public")
            barrier.wait()
            reports.append(reevaluate_chunk(AS_OF, lo, hi))
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=work, args=r) for r in ranges]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return reports


def scratch_counts(schema: str) -> tuple[int, int]:
    """(determinations, determinations written more than once) in the scratch schema."""
    # Not through the test's connection: its lock on the table would block DROP SCHEMA.
    with psycopg2.connect(**connection.get_connection_params()) as reader, reader.cursor() as cur:
        cur.execute(f"SELECT count(*), count(previous) FROM {schema}.{Determination._meta.db_table}")  # noqa: S608
        rows, rewritten = cur.fetchone()
    reader.close()
    return rows, rewritten


@pytest.mark.django_db
def test_two_concurrent_calls_on_one_chunk_do_not_double_write(clerk_a: User) -> None:
    households = create_households(clerk_a, 30, seed=2)
    lo, hi = households[0].pk, households[-1].pk + 1
    with committed_copy(lo, hi) as schema:
        reports = run_concurrently(schema, [(lo, hi), (lo, hi)])
        assert scratch_counts(schema) == (30, 0)
    assert sorted(r.changed for r in reports) == [0, 30]  # the second waited, then found all current
    assert [r.checked for r in reports] == [30, 30]
    assert sum(r.written for r in reports) == 30 and sum(len(r.changes) for r in reports) == 30


@pytest.mark.django_db
def test_overlapping_chunks_write_each_household_once(clerk_a: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """Different ranges take different locks; a first determination copied by both is refused by the
    primary key, and the loser redoes its chunk through the conditional upsert."""
    households = create_households(clerk_a, 30, seed=4)
    lo, hi = households[0].pk, households[-1].pk + 1
    evaluate_chunk, both_have_read = batch._evaluate_chunk, threading.Barrier(2, timeout=60)
    calls: collections.Counter[int] = collections.Counter()

    def read_then_wait(*args: Any, **kwargs: Any) -> Any:
        writes = evaluate_chunk(*args, **kwargs)
        calls[threading.get_ident()] += 1
        if calls[threading.get_ident()] == 1:
            both_have_read.wait()  # both saw no determination: both will try to COPY the same rows
        return writes

    monkeypatch.setattr(batch, "_evaluate_chunk", read_then_wait)
    with committed_copy(lo, hi) as schema:
        reports = run_concurrently(schema, [(lo, hi), (lo + 5, hi)])
        assert scratch_counts(schema) == (30, 0)
    assert sorted(calls.values()) == [1, 2]  # exactly one chunk was redone
    assert sum(r.changed for r in reports) == 30
    assert sorted(r.checked for r in reports) == [25, 30]


@pytest.mark.django_db
def test_parallel_run_refuses_to_start_inside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside a transaction"):
        reevaluate(AS_OF, households=range(1, 100), workers=2, chunk_size=10)


def test_chunks_cover_the_range_without_overlap() -> None:
    assert batch.household_chunks(range(5, 27), chunk_size=10) == [(5, 15), (15, 25), (25, 27)]


@pytest.mark.django_db
def test_management_command_prints_the_report(clerk_a: User) -> None:
    from io import StringIO

    from django.core.management import call_command

    households = create_households(clerk_a, 5, seed=9)
    out = StringIO()
    call_command(
        "reevaluate",
        "--as-of",
        AS_OF.isoformat(),
        "--workers",
        "1",
        "--from-id",
        str(households[0].pk),
        "--to-id",
        str(households[-1].pk),
        stdout=out,
    )
    assert "checked 5, unchanged 0, changed 5, failed 0" in out.getvalue()
