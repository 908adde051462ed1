"""accounts/frozen.py: a queryset compiled once per shape gives what the live queryset gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from accounts.frozen import FrozenQuery
from accounts.models import Region, User
from casework.models import Case
from casework.models.plans import CaseAssignment
from casework.selectors import cases_visible_to, overdue_cases
from tests.casework.plans_support import open_case, social_worker
from tests.support import COMMUNITY_B, STREET_B

builds: list[str] = []


def _visible(user: User, today: dt.date) -> QuerySet[Case]:
    builds.append("visible")
    return cases_visible_to(user).filter(accepted_on__lte=today).order_by("-id")


def _regions(prefix: str) -> QuerySet[Region]:
    return Region.objects.filter(code__startswith=prefix).order_by("code")


def _by_ids(ids: list[int]) -> QuerySet[Case]:
    return Case.objects.filter(pk__in=ids).select_related("application").order_by("pk")


def _page(user: User, offset: int) -> QuerySet[Any]:
    return cases_visible_to(user).order_by("pk").values_list("pk", flat=True)[offset : offset + 2]


def _reads_while_building(user: User) -> QuerySet[Case]:
    first = Case.objects.filter(street_id=user.region_id).order_by("pk").values_list("pk", flat=True).first()
    return Case.objects.filter(pk=first or 0)


def _baked_slice(n: int) -> QuerySet[Region]:
    return Region.objects.order_by("code")[:n]


@pytest.fixture
def two_streets(clerk_a: User, clerk_b: User) -> dict[str, Any]:
    cases_a = [open_case(clerk_a, seq=100 + n) for n in range(3)]
    cases_b = [open_case(clerk_b, seq=200 + n, street=STREET_B, community=COMMUNITY_B) for n in range(2)]
    return {"a": cases_a, "b": cases_b}


def _same(rows: list[Case], live: QuerySet[Case]) -> None:
    expected = list(live)
    assert [c.pk for c in rows] == [c.pk for c in expected]
    for got, want in zip(rows, expected, strict=True):
        assert got.status == want.status and got.receipt_no == want.receipt_no
        assert got.application.applicant_name == want.application.applicant_name  # select_related filled


@pytest.mark.django_db
def test_rows_match_the_live_queryset_for_users_of_other_streets_and_roles(
    two_streets: dict[str, Any], clerk_a: User, clerk_b: User, supervisor_shushan: User, city_admin: User
) -> None:
    frozen: FrozenQuery[Case] = FrozenQuery(_visible)
    today = dt.date.today()
    builds.clear()
    for user in (clerk_a, clerk_b, clerk_a, supervisor_shushan, city_admin):
        rows = frozen.rows("visible", user=user, today=today)
        _same(rows, cases_visible_to(user).filter(accepted_on__lte=today).order_by("-id"))
        assert rows  # every one of them sees cases
    assert {c.street_id for c in frozen.rows("visible", user=clerk_b, today=today)} == {STREET_B}
    assert frozen.rows("visible", user=clerk_a, today=today - dt.timedelta(days=400)) == []
    # street clerks share a shape, the county supervisor and the city admin have their own: each is
    # built twice with stand-ins and compiled; the other calls only fill in values
    assert len(frozen._entries) == 3 and all(hasattr(entry, "sql") for entry in frozen._entries.values())
    assert builds.count("visible") == 2 * 3


@pytest.mark.django_db
def test_a_social_worker_sees_only_the_assigned_cases(two_streets: dict[str, Any], clerk_a: User) -> None:
    worker, other = social_worker("sw_f1"), social_worker("sw_f2")
    case = two_streets["a"][0]
    CaseAssignment.objects.create(case=case, social_worker=worker, assigned_by=clerk_a)
    frozen: FrozenQuery[Case] = FrozenQuery(_visible)
    today = dt.date.today()
    assert [c.pk for c in frozen.rows("visible", user=worker, today=today)] == [case.pk]
    assert frozen.rows("visible", user=other, today=today) == []


@pytest.mark.django_db
def test_lists_values_lists_and_fixed_offsets(two_streets: dict[str, Any], clerk_a: User) -> None:
    ids = [c.pk for c in two_streets["a"]]
    by_ids: FrozenQuery[Case] = FrozenQuery(_by_ids)
    _same(by_ids.rows("ids", ids=ids[:2]), _by_ids(ids[:2]))
    _same(by_ids.rows("ids", ids=[ids[2], ids[0]]), _by_ids([ids[2], ids[0]]))
    assert by_ids.rows("ids", ids=[]) == []
    page: FrozenQuery[Any] = FrozenQuery(_page)
    everything = list(cases_visible_to(clerk_a).order_by("pk").values_list("pk", flat=True))
    assert page.rows("page", fixed={"offset": 0}, user=clerk_a) == everything[:2]
    assert page.rows("page", fixed={"offset": 2}, user=clerk_a) == everything[2:4]


@pytest.mark.django_db
def test_strings_inside_patterns_and_their_fallback() -> None:
    regions: FrozenQuery[Region] = FrozenQuery(_regions)
    for prefix in ("340104", "3401040", "340111"):
        assert [r.code for r in regions.rows("regions", prefix=prefix)] == [r.code for r in _regions(prefix)]
    assert regions.rows("regions", prefix="3401%_") == []  # not letters and digits: compiled as usual, escaped
    sql, params = regions.sql("regions", prefix="340104")
    live_sql, live_params = _regions("340104").query.get_compiler(using="default").as_sql()
    assert (sql, params) == (live_sql, list(live_params))


@pytest.mark.django_db
def test_what_cannot_be_frozen_is_compiled_every_time(two_streets: dict[str, Any], clerk_a: User) -> None:
    reading: FrozenQuery[Case] = FrozenQuery(_reads_while_building)
    first = min(c.pk for c in two_streets["a"])
    assert [c.pk for c in reading.rows("r", user=clerk_a)] == [first]
    assert not any(hasattr(entry, "sql") for entry in reading._entries.values())  # never frozen
    baked: FrozenQuery[Region] = FrozenQuery(_baked_slice)
    assert len(baked.rows("b", n=2)) == 2 and len(baked.rows("b", n=3)) == 3  # the LIMIT is text: never frozen


@pytest.mark.django_db
def test_a_frozen_read_is_one_statement_and_no_compiling(two_streets: dict[str, Any], clerk_a: User) -> None:
    frozen: FrozenQuery[Case] = FrozenQuery(overdue_for)
    today = dt.date.today() + dt.timedelta(days=60)
    frozen.rows("overdue", user=clerk_a, today=today)
    with CaptureQueriesContext(connection) as queries:
        rows = frozen.rows("overdue", user=clerk_a, today=today)
    assert len(queries) == 1
    _same(rows, overdue_cases(clerk_a, today=today))
    assert len(rows) == 3  # 60 days on, every open case of street A is late


def overdue_for(user: User, today: dt.date) -> QuerySet[Case]:
    return overdue_cases(user, today=today)


@pytest.mark.django_db
def test_a_value_without_a_stand_in_is_built_as_usual() -> None:
    from django.contrib.auth.models import AnonymousUser

    frozen: FrozenQuery[Case] = FrozenQuery(_visible)
    assert frozen.rows("visible", user=AnonymousUser(), today=dt.date.today()) == []
    assert frozen._entries == {}  # nothing remembered for it


@pytest.mark.django_db
def test_shapes_beyond_the_cap_are_built_as_usual(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("accounts.frozen.MAX_SHAPES", 2)
    regions: FrozenQuery[Region] = FrozenQuery(_regions)
    for prefix in ("3401", "34010", "340104", "3401040"):  # four lengths: four shapes
        assert [r.code for r in regions.rows("regions", prefix=prefix)] == [r.code for r in _regions(prefix)]
    assert len(regions._entries) == 2
