"""A real Celery worker on Redis runs a re-verification over a few hundred households.

The worker is a subprocess (``celery -A hefei_aid worker``, prefork, 2 processes) on the test
database, consuming a queue of its own on Redis db 14. One chunk's enrolments are row-locked by
the test while the run starts: that chunk's task hits ``lock_timeout``, fails and is retried with
back-off by Celery, and succeeds once the lock is released. The run's counts must add up and no
household may be processed twice. Redis unreachable is a failure, not a skip.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import kombu.pools
import psycopg2
import pytest
import redis
from django.db import connection, transaction

from accounts.crypto import blind_index, encrypt
from accounts.models import User
from applications.models import Household, IncomeItem, Member
from casework.models.enrolment import ChangeKind, Enrolment, EnrolmentPeriod, month_start
from casework.models.reverification import ReverificationChunk, ReverificationRun, ReviewTask, RunKind, RunStatus
from casework.services.reverification import reverification_run_create
from eligibility.batch import reevaluate
from eligibility.models import Determination
from hefei_aid.celery import app as celery_app
from tests.support import COMMUNITY_A, STREET_A, make_resident_id

REDIS_URL = os.environ.get("CELERY_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
BASE_DIR = Path(__file__).resolve().parents[2]
HOUSEHOLDS = 300
CHANGED_EVERY = 10  # every 10th household loses its wage: 30 changed
AS_OF = dt.date.today()


def _database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or ""
    if host.startswith("/"):
        return f"postgres://{user}{password}@/{s['NAME']}?host={host}"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{user}{password}@{host or 'localhost'}{port}/{s['NAME']}"


def _caseload(clerk: User) -> list[int]:
    """300 two-person 低保 households, enrolled with their current determination (fast, bulk)."""
    households = Household.objects.bulk_create(
        Household(street_id=STREET_A, community_id=COMMUNITY_A, address=f"测试路{n}号", created_by=clerk)
        for n in range(HOUSEHOLDS)
    )
    number = make_resident_id()
    token = encrypt(number)
    members = Member.objects.bulk_create(
        Member(
            household=h,
            name=f"成员{n}{j}",
            id_number=token,
            id_index=blind_index(f"celery-{h.pk}-{j}"),
            id_masked="340104********1234",
            birth_date=dt.date(1980, 1, 1) if j == 0 else dt.date(1985, 6, 1),
            sex="M" if j == 0 else "F",
            relation="self" if j == 0 else "spouse",
        )
        for n, h in enumerate(households)
        for j in range(2)
    )
    IncomeItem.objects.bulk_create(
        IncomeItem(member=m, kind="wage", monthly=Decimal("1000.00") + (m.household_id % 7) * 100)
        for m in members
        if m.relation == "self"
    )
    reevaluate(AS_OF - dt.timedelta(days=1), workers=1)
    start = month_start(AS_OF)
    dets = {d.household_id: d for d in Determination.objects.filter(household__in=households)}
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(
            household=h,
            street_id=STREET_A,
            tier="dibao",
            monthly_amount=Decimal(dets[h.pk].monthly_amount_fen) / 100,
            start_month=start,
            basis_tier=dets[h.pk].primary_tier,
            basis_amount=Decimal(dets[h.pk].monthly_amount_fen) / 100,
            next_review_due=AS_OF - dt.timedelta(days=1),
            last_verified_on=AS_OF - dt.timedelta(days=200),
        )
        for h in households
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
    assert all(dets[h.pk].primary_tier == "dibao" for h in households)
    changed = [h.pk for n, h in enumerate(households) if n % CHANGED_EVERY == 0]
    IncomeItem.objects.filter(member__household_id__in=changed).update(monthly=Decimal("0"))
    return [h.pk for h in households]


@pytest.fixture
def broker() -> Iterator[str]:
    """The test process publishes to Redis (db 14) on a queue of its own; restored afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    queue = f"test-reverification-{uuid.uuid4().hex[:10]}"
    conf = celery_app.conf
    saved = {k: conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}

    def reset() -> None:
        # kombu keeps connection/producer pools in global registries keyed by broker URL: close
        # AND forget them, or later eager tasks of other tests find a closed pool.
        kombu.pools.reset()
        celery_app._pool = None
        amqp = celery_app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None
            for name in ("queues", "default_queue", "router"):
                amqp.__dict__.pop(name, None)

    conf.update(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    reset()
    try:
        yield queue
    finally:
        conf.update(saved)
        reset()
        try:  # the queue and kombu's bindings for it (a queue name is used once)
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        except redis.RedisError:
            pass
        client.close()


def _start_worker(queue: str, log: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": REDIS_URL, "LOG_LEVEL": "INFO"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hefei_aid",
            "worker",
            "-Q",
            queue,
            "-c",
            "2",
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "INFO",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_ready(worker: subprocess.Popen[bytes], queue: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the Celery worker exited"
        if celery_app.control.ping(destination=[f"{queue}@{socket.gethostname()}"], timeout=1.0):
            return
    raise AssertionError("the Celery worker did not come up")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_worker_completes_a_run_with_a_retried_chunk(clerk_a: User, broker: str) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:  # CI must have Redis: a missing broker fails the test, never skips it
        pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}")
    household_ids = _caseload(clerk_a)
    lo, hi = household_ids[100], household_ids[150]
    with tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False) as log:
        worker = _start_worker(broker, log)
        blocker = psycopg2.connect(**connection.get_connection_params())
        try:
            _wait_ready(worker, broker)
            # Hold the row locks of one chunk's enrolments while the run starts.
            with blocker.cursor() as cur:
                cur.execute(
                    "SELECT id FROM casework_enrolment WHERE household_id >= %s AND household_id < %s FOR UPDATE",
                    [lo, hi],
                )
            started = time.monotonic()
            with transaction.atomic():
                run = reverification_run_create(kind=RunKind.FULL, as_of=AS_OF, actor=None, chunk_size=50)
            time.sleep(7)  # > lock_timeout (5 s): the blocked chunk's first attempt fails
            blocker.rollback()  # release: the retry succeeds
            while time.monotonic() - started < 90:
                run.refresh_from_db()
                if run.status in {RunStatus.DONE, RunStatus.INCOMPLETE}:
                    break
                time.sleep(0.5)
        finally:
            blocker.close()
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        output = Path(log.name).read_text(errors="replace")
    assert run.status == RunStatus.DONE, output[-4000:]
    assert run.chunks_total == 6 and run.chunks_done == 6
    # Counts: every household once; the 30 whose wage was cut are changed (review tasks).
    assert (run.households_total, run.checked, run.unchanged, run.changed, run.failed) == (300, 300, 270, 30, 0)
    chunks = list(ReverificationChunk.objects.filter(run=run))
    assert sum(c.checked for c in chunks) == 300
    assert Enrolment.objects.filter(last_run=run).count() == 300
    assert ReviewTask.objects.filter(run=run).count() == 30
    assert set(ReviewTask.objects.values_list("proposed_outcome", flat=True)) == {"raise"}
    # The blocked chunk failed at least once and was retried by Celery; the others ran once.
    retried = [(c.id_from, c.id_to) for c in chunks if c.attempts > 1]
    assert retried == [(lo, hi)]
    assert "Retry in" in output or "retry" in output.lower()
    assert run.seconds is not None and run.seconds > 5
    assert ReverificationRun.objects.count() == 1
