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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.db import connection, transaction

from accounts.models import User
from casework.models.enrolment import Enrolment
from casework.models.reverification import ReverificationChunk, ReverificationRun, ReviewTask, RunKind, RunStatus
from casework.services.reverification import reverification_run_create
from hefei_aid.celery import app as celery_app
from tests.casework.worker_support import REDIS_URL, database_url, enrolled_caseload, redis_broker

BASE_DIR = Path(__file__).resolve().parents[2]
HOUSEHOLDS = 300
CHANGED_EVERY = 10  # every 10th household loses its wage: 30 changed
AS_OF = dt.date.today()


def _caseload(clerk: User) -> list[int]:
    """300 two-person 低保 households, enrolled with their current determination (fast, bulk)."""
    households, _changed = enrolled_caseload(
        clerk, households=HOUSEHOLDS, changed_every=CHANGED_EVERY, as_of=AS_OF, tag="celery"
    )
    return households


@pytest.fixture
def broker() -> Iterator[str]:
    with redis_broker("test-reverification") as queue:
        yield queue


def _start_worker(queue: str, log: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": REDIS_URL, "LOG_LEVEL": "INFO"}
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
    household_ids = _caseload(clerk_a)  # the broker fixture has checked Redis (a missing one fails)
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
