"""Fault tests: a Celery worker killed mid-task, a database connection dropped mid-request, Redis down.

1. Worker killed (SIGKILL of the whole worker: main process and pool child, as an OOM kill or a lost
   node) while a re-verification chunk is inside its transaction: the chunk's enrolments are row-locked
   by the test, so the task is provably blocked after claiming the chunk and writing determinations,
   before its commit. Nothing of it is committed; the message stays un-acked in Redis
   (``acks_late``) and a new worker gets it back after the visibility timeout
   (``CELERY_VISIBILITY_TIMEOUT``, 6 s here, 1 h by default); the chunk completes exactly once.
2. Database connection terminated (``pg_terminate_backend`` from another connection) between two
   writes of one business transaction: the client gets a clean 503 JSON (no traceback), nothing of the
   transaction is in the database, and the next request on the same process works.
3. Redis down (``REDIS_URL`` pointing at a closed port): pages and the API still answer, the
   rate-limited public page falls back to a per-process limiter, and a business write that queues
   Celery work commits, keeps its job recorded as pending in the database, and the job runs once the
   broker is back (the re-verification watchdog re-dispatches it).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import redis
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction

from accounts.models import User
from applications.models import Household, Member
from casework.models.enrolment import Enrolment
from casework.models.reverification import ReverificationChunk, ReverificationRun, ReviewTask, RunKind, RunStatus
from casework.services.reverification import reverification_run_create
from hefei_aid.celery import app as celery_app
from tests.casework.reference_data import ALL_APPS
from tests.casework.worker_support import REDIS_URL, database_url, enrolled_caseload, redis_broker, reset_kombu
from tests.support import STREET_A, household_payload, make_resident_id

BASE_DIR = Path(__file__).resolve().parents[2]
AS_OF = dt.date.today()
VISIBILITY_TIMEOUT = 6
CELERY_WORKER = [sys.executable, "-m", "celery", "-A", "hefei_aid", "worker"]
WORKER_FLAGS = ["-c", "1", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]


# --- a real worker on Redis ------------------------------------------------------------------------


@pytest.fixture
def broker() -> Iterator[str]:
    with redis_broker("test-faults") as queue:
        yield queue


def _start_worker(queue: str, name: str, log: Any) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "INFO",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    return subprocess.Popen(
        [*CELERY_WORKER, "-Q", queue, "-n", f"{name}@%h", *WORKER_FLAGS],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL reaches the pool child too
    )


def _wait_ready(worker: subprocess.Popen[bytes], name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the Celery worker exited"
        if celery_app.control.ping(destination=[f"{name}@{socket.gethostname()}"], timeout=0.5):
            return
    raise AssertionError("the Celery worker did not come up")


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def _lock_waiters(cur: Any, dbname: str) -> list[int]:
    """Backends of ``dbname`` waiting for a row lock (the worker's task, blocked by the test)."""
    cur.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
        [dbname],
    )
    return [int(row[0]) for row in cur.fetchall()]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_killed_mid_chunk_completes_exactly_once_after_restart(clerk_a: User, broker: str) -> None:
    households, changed = enrolled_caseload(
        clerk_a, households=40, changed_every=8, as_of=AS_OF, tag="fault"
    )  # 5 changed
    dbname = connection.settings_dict["NAME"]
    blocker = psycopg2.connect(**connection.get_connection_params())
    watcher = psycopg2.connect(**connection.get_connection_params())
    watcher.autocommit = True
    logs = []
    workers: list[subprocess.Popen[bytes]] = []
    try:
        first_log = tempfile.NamedTemporaryFile(prefix="faults-worker1-", suffix=".log", delete=False)
        logs.append(first_log)
        first = _start_worker(broker, f"{broker}-1", first_log)
        workers.append(first)
        _wait_ready(first, f"{broker}-1")
        # The known point: every enrolment of the range is row-locked by the test.
        with blocker.cursor() as cur:
            cur.execute("SELECT id FROM casework_enrolment WHERE household_id = ANY(%s) FOR UPDATE", [households])
        with transaction.atomic():
            run = reverification_run_create(kind=RunKind.FULL, as_of=AS_OF, actor=None, chunk_size=1000)
        published = time.monotonic()
        chunk = ReverificationChunk.objects.get(run=run)
        with watcher.cursor() as cur:
            deadline = time.monotonic() + 20
            while not (waiting := _lock_waiters(cur, dbname)):  # claimed, wrote, now blocked before its commit
                assert time.monotonic() < deadline, Path(first_log.name).read_text(errors="replace")[-3000:]
                time.sleep(0.05)
        chunk.refresh_from_db()
        assert (chunk.status, chunk.attempts) == ("running", 1)
        os.killpg(first.pid, signal.SIGKILL)  # mid-transaction (lock_timeout is 5 s: well before it)
        first.wait(timeout=10)
        blocker.rollback()  # the locks go; the orphaned backend cannot commit without its client
        with watcher.cursor() as cur:  # PostgreSQL ends the dead worker's session and rolls it back
            deadline = time.monotonic() + 15
            while True:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [waiting])
                if cur.fetchone()[0] == 0:
                    break
                assert time.monotonic() < deadline, "the killed worker's database session did not end"
                time.sleep(0.1)

        # Nothing of the killed attempt is committed.
        assert Enrolment.objects.filter(last_run=run).count() == 0
        assert ReviewTask.objects.filter(run=run).count() == 0
        chunk.refresh_from_db()
        assert (chunk.status, chunk.checked) == ("running", 0)
        run.refresh_from_db()
        assert (run.status, run.checked, run.chunks_done) == (RunStatus.RUNNING, 0, 0)

        # A new worker, once the visibility timeout has passed, gets the un-acked message back.
        time.sleep(max(0.0, VISIBILITY_TIMEOUT + 0.5 - (time.monotonic() - published)))
        second_log = tempfile.NamedTemporaryFile(prefix="faults-worker2-", suffix=".log", delete=False)
        logs.append(second_log)
        second = _start_worker(broker, f"{broker}-2", second_log)
        workers.append(second)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status in {RunStatus.DONE, RunStatus.INCOMPLETE}:
                break
            time.sleep(0.3)
    finally:
        for worker in workers:
            _stop(worker)
        blocker.close()
        watcher.close()
    output = "\n".join(Path(log.name).read_text(errors="replace")[-3000:] for log in logs)
    for log in logs:
        log.close()
        Path(log.name).unlink(missing_ok=True)

    assert run.status == RunStatus.DONE, output
    # Exactly once: 40 households checked once, 5 changed → 5 review tasks, one per household.
    assert (run.households_total, run.checked, run.unchanged, run.changed, run.failed) == (40, 40, 35, 5, 0)
    assert (run.chunks_total, run.chunks_done) == (1, 1)
    chunk.refresh_from_db()
    assert (chunk.status, chunk.checked, chunk.attempts) == ("done", 40, 2)  # the redelivered attempt
    assert Enrolment.objects.filter(last_run=run).count() == 40
    tasks = list(ReviewTask.objects.filter(run=run).values_list("household_id", flat=True))
    assert sorted(tasks) == sorted(changed)
    assert Enrolment.objects.filter(household_id__in=households, last_verified_on=AS_OF).count() == 40


# --- Redis down ------------------------------------------------------------------------------------

DOWN_URL = "redis://127.0.0.1:6390/0"  # nothing listens there


@pytest.fixture
def redis_down(settings: Any) -> Iterator[None]:
    """The cache and the Celery broker both pointed at a closed port (as production with Redis down)."""
    from hefei_aid import cache as resilient

    settings.CACHES = {
        "default": {
            "BACKEND": "hefei_aid.cache.ResilientRedisCache",
            "LOCATION": DOWN_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        "sessions": {
            "BACKEND": "hefei_aid.cache.SessionRedisCache",
            "LOCATION": DOWN_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    # Production with REDIS_URL: sessions are cached_db over Redis; with Redis down they are read
    # from PostgreSQL.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_CACHE_ALIAS = "sessions"
    resilient._session_state["down_until"] = 0.0
    resilient._session_state["pending"].clear()
    conf = celery_app.conf
    saved = {k: conf[k] for k in ("broker_url", "task_always_eager")}
    conf.update(broker_url=DOWN_URL, task_always_eager=False)
    reset_kombu()
    resilient._state["down_until"] = 0.0
    try:
        yield
    finally:
        conf.update(saved)
        reset_kombu()
        resilient._state["down_until"] = 0.0
        resilient._session_state["down_until"] = 0.0
        resilient._session_state["pending"].clear()
        LocMemCache("hefei-aid-redis-fallback", {}).clear()  # the outage's per-process counters


@pytest.mark.celery_worker  # not eager: tasks go to the (unreachable) broker
@pytest.mark.django_db
def test_redis_down_pages_work_and_queued_work_runs_once_it_returns(
    clerk_a: User, supervisor_shushan: User, redis_down: None, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from django.test import TestCase
    from rest_framework.test import APIClient

    from casework.services.reverification import reverification_run_resume
    from casework.views.public import STATUS_LIMIT

    _households, changed = enrolled_caseload(
        clerk_a, households=12, changed_every=4, as_of=AS_OF, tag="fault"
    )  # 3 changed

    # Staff pages and the API answer (sessions and login lockouts live in PostgreSQL).
    client.force_login(clerk_a)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/enrolments/").status_code == 200

    # A page action that only queues work says the queue is down (nothing to write), never a 500.
    client.force_login(supervisor_shushan)
    assert client.get("/oversight/").status_code == 200
    refresh = client.post("/oversight/refresh/", {"next": "/oversight/"}, follow=True)
    assert refresh.status_code == 200
    assert "任务队列暂时不可用" in refresh.content.decode()

    # The rate-limited public page answers from the per-process fallback and still limits.
    anonymous = type(client)()
    codes = [
        anonymous.post(
            "/apply/status/", {"receipt_no": "340104001-2026-999999", "id_number": make_resident_id()}
        ).status_code
        for _ in range(STATUS_LIMIT + 1)
    ]
    assert codes == [200] * STATUS_LIMIT + [429]
    assert any("Redis cache unreachable" in r.getMessage() for r in caplog.records)

    # A business write that queues Celery work: committed, its job recorded as pending, no 500.
    api = APIClient()
    api.force_authenticate(supervisor_shushan)
    started = time.monotonic()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.post("/api/v1/reverification-runs/", {"kind": "full", "scope": STREET_A}, format="json")
    assert response.status_code == 202, response.content
    assert time.monotonic() - started < 15  # the failed publish is bounded, not a hung request
    run = ReverificationRun.objects.get(pk=response.json()["id"])
    assert (run.status, run.households_total, run.checked) == (RunStatus.RUNNING, 12, 0)
    assert list(run.chunks.values_list("status", flat=True)) == ["pending"]
    assert any("on_commit" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")

    # Redis is back (eager here): resuming the run (the watchdog does it on its own) runs it, once.
    celery_app.conf.update(task_always_eager=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert len(reverification_run_resume(run=run, actor=None)) == 1
    run.refresh_from_db()
    assert (run.status, run.checked, run.changed, run.chunks_done) == (RunStatus.DONE, 12, 3, 1)
    assert sorted(ReviewTask.objects.filter(run=run).values_list("household_id", flat=True)) == sorted(changed)


# --- database connection dropped mid-request -------------------------------------------------------


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_database_connection_dropped_mid_write_is_a_clean_503_and_nothing_is_half_written(clerk_a: User) -> None:
    """``POST /api/v1/households/`` writes the household, then its members (one INSERT), then the audit
    row, in one transaction. Right after the household's INSERT, the request's PostgreSQL backend is
    terminated from another connection (``pg_terminate_backend``): the members' INSERT fails."""
    from django.db.models.signals import post_save
    from rest_framework.authtoken.models import Token
    from werkzeug.test import Client

    from accounts.models import AuditLog
    from hefei_aid.wsgi import application

    token = Token.objects.create(user=clerk_a).key
    # Through the WSGI handler, as gunicorn calls it (Django closes a broken connection at request end).
    http = Client(application)
    headers = {"Authorization": f"Token {token}"}
    payload = household_payload(address="故障测试路1号")
    killed: list[int] = []

    def terminate_after_household(sender: Any, instance: Household, created: bool, **kwargs: Any) -> None:
        if killed or not created:
            return
        pid = connection.connection.get_backend_pid()  # the request's own backend, mid-transaction
        killer = psycopg2.connect(**connection.get_connection_params())
        killer.autocommit = True
        with killer.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):  # until the server has ended it
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cur.fetchone()[0] == 0:
                    break
                time.sleep(0.05)
        killer.close()
        killed.append(pid)

    audit_before = AuditLog.objects.count()
    post_save.connect(terminate_after_household, sender=Household)
    try:
        response = http.post("/api/v1/households/", json=payload, headers=headers)
    finally:
        post_save.disconnect(terminate_after_household, sender=Household)
    connection.close()  # the test's own handle shared the terminated backend

    assert killed, "the hook did not run: no household was saved"
    assert response.status_code == 503, response.get_data(as_text=True)[:2000]
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Retry-After"] == "5"
    body = response.get_data(as_text=True)
    assert response.get_json()["code"] == "database_unavailable"
    assert "Traceback" not in body and "psycopg2" not in body and "terminating connection" not in body
    # Nothing half-written: not the household, no member, not an audit row.
    assert not Household.objects.filter(address="故障测试路1号").exists()
    assert not Member.objects.filter(name__in=[m["name"] for m in payload["members"]]).exists()
    assert AuditLog.objects.count() == audit_before

    # The next request on the same process gets a fresh connection and works.
    again = http.post("/api/v1/households/", json=payload, headers=headers)
    assert again.status_code == 201, again.get_data(as_text=True)[:2000]
    household = Household.objects.get(address="故障测试路1号")
    assert household.members.count() == 2
    assert AuditLog.objects.count() == audit_before + 1


def test_resilient_cache_falls_back_while_redis_is_down_and_returns_to_it() -> None:
    from hefei_aid import cache as resilient

    options = {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
    down = resilient.ResilientRedisCache(DOWN_URL, options)
    up = resilient.ResilientRedisCache(REDIS_URL, options)
    key = f"faults-{uuid.uuid4().hex[:8]}"
    resilient._state["down_until"] = 0.0
    try:
        started = time.monotonic()
        down.set(key, 1, timeout=60)  # refused → fallback, Redis skipped for RETRY_AFTER seconds
        assert time.monotonic() - started < 3
        assert resilient._state["down_until"] > time.monotonic()
        assert down.incr(key) == 2 and up.get(key) == 2  # the same process-local fallback store
        resilient._state["down_until"] = 0.0  # RETRY_AFTER elapsed: Redis is tried (and answers) again
        up.set(key, 10, timeout=60)
        assert up.incr(key) == 11
        client = redis.Redis.from_url(REDIS_URL)
        assert client.exists(up.make_and_validate_key(key)) == 1  # really in Redis, not in the fallback
        up.delete(key)
        client.close()
    finally:
        resilient._state["down_until"] = 0.0
        down._fallback.clear()


def test_cache_keeps_one_redis_client_whose_pool_reconnects() -> None:
    """``hefei_aid.cache.ReusedClient``: one ``redis.Redis`` per pool instead of one per call; the
    pool behind it still reconnects when its connection is dropped."""
    from hefei_aid import cache as resilient

    options = {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
    for cache_class in (resilient.ResilientRedisCache, resilient.SessionRedisCache):
        store = cache_class(REDIS_URL, options)
        first = store._cache.get_client("k")  # type: ignore[attr-defined]
        assert store._cache.get_client("k", write=True) is first  # type: ignore[attr-defined]
        key = f"client-{uuid.uuid4().hex[:8]}"
        store.set(key, "one", timeout=30)
        assert store.get(key) == "one"
        own = first.client_id()
        admin = redis.Redis.from_url(REDIS_URL)
        admin.client_kill_filter(_id=own)  # drops the pooled connection the shared client uses
        admin.close()
        assert store.get(key) == "one"  # the shared client's pool opened a new connection
        store.delete(key)
        assert store.get(key) is None
