"""Shared by the tests that start real Celery workers (tests/casework/test_celery_integration.py,
tests/reliability/test_faults.py): the Redis broker on a queue of the test's own, the test
database's URL for a worker process, and a small enrolled 低保 caseload built in bulk."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import kombu.pools
import pytest
import redis
from django.db import connection

from accounts.crypto import blind_index, encrypt
from accounts.models import User
from applications.models import Household, IncomeItem, Member
from casework.models.enrolment import ChangeKind, Enrolment, EnrolmentPeriod, month_start
from eligibility.batch import reevaluate
from eligibility.models import Determination
from hefei_aid.celery import app as celery_app
from tests.support import COMMUNITY_A, STREET_A, make_resident_id

REDIS_URL = os.environ.get("CELERY_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def reset_kombu() -> None:
    """kombu keeps connection/producer pools in global registries keyed by broker URL: close AND
    forget them, or later eager tasks of other tests find a closed pool."""
    kombu.pools.reset()
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
        for name in ("queues", "default_queue", "router"):
            amqp.__dict__.pop(name, None)


@contextmanager
def redis_broker(prefix: str) -> Iterator[str]:
    """The test process publishes to Redis (``REDIS_URL``, db 14) on a queue of its own, named
    ``<prefix>-<random>``; the Celery configuration is restored and the queue deleted afterwards.
    CI must have Redis: a missing broker fails the test, never skips it."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}")
    queue = f"{prefix}-{uuid.uuid4().hex[:10]}"
    conf = celery_app.conf
    saved = {k: conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    conf.update(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    reset_kombu()
    try:
        yield queue
    finally:
        conf.update(saved)
        reset_kombu()
        try:  # the queue, kombu's bindings and un-acked leftovers of this queue (a name is used once)
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        except redis.RedisError:
            pass
        client.close()


def database_url() -> str:
    """The URL of the database this test runs on (the test database), for a worker subprocess."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or ""
    if host.startswith("/"):
        return f"postgres://{user}{password}@/{s['NAME']}?host={host}"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{user}{password}@{host or 'localhost'}{port}/{s['NAME']}"


def enrolled_caseload(
    clerk: User, *, households: int, changed_every: int, as_of: dt.date, tag: str
) -> tuple[list[int], list[int]]:
    """``households`` two-person 低保 households enrolled on their current determination (review due
    yesterday); every ``changed_every``-th then loses its wage, so its re-verification proposes a
    raise. Returns (all household ids, changed ones)."""
    rows = Household.objects.bulk_create(
        Household(street_id=STREET_A, community_id=COMMUNITY_A, address=f"{tag}路{n}号", created_by=clerk)
        for n in range(households)
    )
    token = encrypt(make_resident_id())
    members = Member.objects.bulk_create(
        Member(
            household=h,
            name=f"成员{n}{j}",
            id_number=token,
            id_index=blind_index(f"{tag}-{h.pk}-{j}"),
            id_masked="340104********1234",
            birth_date=dt.date(1980, 1, 1) if j == 0 else dt.date(1985, 6, 1),
            sex="M" if j == 0 else "F",
            relation="self" if j == 0 else "spouse",
        )
        for n, h in enumerate(rows)
        for j in range(2)
    )
    IncomeItem.objects.bulk_create(
        IncomeItem(member=m, kind="wage", monthly=Decimal("1000.00") + (m.household_id % 7) * 100)
        for m in members
        if m.relation == "self"
    )
    reevaluate(as_of - dt.timedelta(days=1), workers=1)
    dets = {d.household_id: d for d in Determination.objects.filter(household__in=rows)}
    start = month_start(as_of)
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(
            household=h,
            street_id=STREET_A,
            tier="dibao",
            monthly_amount=Decimal(dets[h.pk].monthly_amount_fen) / 100,
            start_month=start,
            basis_tier=dets[h.pk].primary_tier,
            basis_amount=Decimal(dets[h.pk].monthly_amount_fen) / 100,
            next_review_due=as_of - dt.timedelta(days=1),
            last_verified_on=as_of - dt.timedelta(days=200),
        )
        for h in rows
    )
    periods = EnrolmentPeriod.objects.bulk_create(
        EnrolmentPeriod(
            enrolment=e, seq=1, kind=ChangeKind.IMPORT, tier="dibao", monthly_amount=e.monthly_amount, start_month=start
        )
        for e in enrolments
    )
    for e, p in zip(enrolments, periods, strict=True):
        e.current_period = p
    Enrolment.objects.bulk_update(enrolments, ["current_period"])
    assert all(dets[h.pk].primary_tier == "dibao" for h in rows)
    changed = [h.pk for n, h in enumerate(rows) if n % changed_every == 0]
    IncomeItem.objects.filter(member__household_id__in=changed).update(monthly=Decimal("0"))
    return [h.pk for h in rows], changed
