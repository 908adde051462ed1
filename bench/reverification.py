"""Benchmark of periodic re-verification through the Celery path (issue 5).

End to end: a ``ReverificationRun`` over N enrolled households (default 1,000,000, generated with
``bench/eligibility_batch.py``'s generator), split into chunks, one Celery task per chunk, processed
by real Celery workers on Redis (default 2 worker processes), each chunk re-running the engine on
the batch path, claiming its enrolments, comparing department data and opening review tasks. The
clock runs from the run's creation (population split into chunks) to its last chunk committed.

Setup (not timed): generate the caseload, compute the baseline determinations
(``eligibility.batch.reevaluate``), enrol every household (SQL), then change ~1 % of the households
(``change_one_percent`` of the eligibility bench) plus ~1 % wage rises, and add department records
(tax wages) for ~0.5 % of the members, half of them higher than declared.

    .venv/bin/python bench/reverification.py                       # 1,000,000 households, 2 workers
    .venv/bin/python bench/reverification.py --households 50000    # a quick run
    .venv/bin/python bench/reverification.py --reuse               # keep generated data and baseline

Needs Redis (``--redis-url``, default redis://127.0.0.1:6379/14) and PostgreSQL (DATABASE_URL's
server, database ``hefei_aid_bench_reverification``; else the embedded server).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import eligibility_batch as eb  # noqa: E402  (the eligibility bench's generator and helpers)

BENCH_DB = "hefei_aid_bench_reverification"


def enrol_everyone(as_of: dt.date) -> int:
    """Enrol every household with its baseline determination, verified a year ago (all due)."""
    from django.db import DatabaseError, connection, transaction

    verified = as_of - dt.timedelta(days=366)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE casework_reviewtask, casework_reverificationchunk, casework_reverificationrun, "
            "casework_rollline, casework_paymentroll, casework_bridgingpayment, casework_enrolmentperiod, "
            "casework_enrolment RESTART IDENTITY CASCADE"
        )
        # Deployed databases got fillfactor 50 from migration 0006; keep it even if an older one had 70.
        cur.execute("ALTER TABLE casework_enrolment SET (fillfactor = 50)")
        try:
            with transaction.atomic():
                cur.execute("SET session_replication_role = replica")
        except DatabaseError:
            pass
        cur.execute(
            """
            INSERT INTO casework_enrolment (id, household_id, street_id, status, tier, monthly_amount, start_month,
                basis_tier, basis_amount, review_interval_months, next_review_due, last_verified_on, created_at,
                current_period_id)
            SELECT h.id, h.id, h.street_id, 'active',
                   CASE WHEN d.primary_tier IN ('tekun', 'dibao', 'low_income', 'expenditure_hardship')
                        THEN d.primary_tier ELSE 'low_income' END,
                   d.monthly_amount_fen / 100.0, %(start)s, d.primary_tier, d.monthly_amount_fen / 100.0,
                   CASE WHEN d.primary_tier = 'dibao' THEN 6 ELSE 12 END, %(due)s, %(verified)s, now(), h.id
            FROM applications_household h JOIN eligibility_determination d ON d.household_id = h.id
            WHERE d.error = ''
            ORDER BY h.id
            """,
            {"start": verified.replace(day=1), "due": as_of - dt.timedelta(days=1), "verified": verified},
        )
        enrolled = cur.rowcount
        cur.execute(
            """
            INSERT INTO casework_enrolmentperiod (id, enrolment_id, seq, kind, tier, monthly_amount, start_month, members,
                parameters_used, earned_income, reason, created_at)
            SELECT id, id, 1, 'import', tier, monthly_amount, start_month, '{}', '[]', 0, 'bench', now()
            FROM casework_enrolment ORDER BY id
            """
        )
        # (current_period_id = id was set by the INSERT: no second write of a million rows.)
        for table in ("casework_enrolment", "casework_enrolmentperiod"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("RESET session_replication_role")
        cur.execute("VACUUM ANALYZE casework_enrolment")
        cur.execute("VACUUM ANALYZE casework_enrolmentperiod")
    return enrolled


def change_households(as_of: dt.date) -> dict[str, int]:
    """~1 % changed by the eligibility bench's own mutation, ~1 % wage rises, department data."""
    from django.db import connection

    changed = eb.change_one_percent()
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE applications_incomeitem SET monthly = monthly + 1500 WHERE kind = 'wage' AND member_id IN "
            "(SELECT id FROM applications_member WHERE household_id % 100 = 53)"
        )
        raises = cur.rowcount
        cur.execute("TRUNCATE casework_dataexchangerecord")
        cur.execute(
            """
            INSERT INTO casework_dataexchangerecord (department, id_index, kind, value, amount, employs_others, as_of,
                source_ref)
            SELECT 'tax', m.id_index, 'wage_income', '',
                   coalesce(w.monthly, 0) + CASE WHEN (m.id / 200) %% 2 = 0 THEN 2000 ELSE 0 END, false, %(as_of)s, 'bench'
            FROM applications_member m
            LEFT JOIN (SELECT member_id, sum(monthly) AS monthly FROM applications_incomeitem WHERE kind = 'wage'
                       GROUP BY member_id) w ON w.member_id = m.id
            WHERE m.id %% 200 = 7
            """,
            {"as_of": as_of},
        )
        records = cur.rowcount
    eb.vacuum_analyze()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE casework_dataexchangerecord")
    return {"eligibility_bench_changes": changed, "wage_rises": raises, "department_records": records}


def start_workers(count: int, database_url: str, redis_url: str, queue: str) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"}
    workers = []
    for n in range(count):
        log = open(BASE_DIR / "var" / f"bench-worker-{n + 1}.log", "wb")
        workers.append(
            subprocess.Popen(
                [
                    str(BASE_DIR / ".venv" / "bin" / "celery"),
                    "-A",
                    "hefei_aid",
                    "worker",
                    "-P",
                    "solo",
                    "-Q",
                    queue,
                    "-n",
                    f"bench{n + 1}-{queue}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "WARNING",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return workers


def wait_for_workers(app: Any, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= count:
            return
    raise SystemExit(f"workers did not answer within {timeout:.0f} s (see var/bench-worker-*.log)")


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=30)
        except subprocess.TimeoutExpired:
            w.kill()


def run_once(as_of: dt.date, chunk_size: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from casework.models.reverification import ReverificationRun, RunKind, RunStatus
    from casework.services.reverification import reverification_run_create

    started = time.perf_counter()
    with transaction.atomic():
        run = reverification_run_create(
            kind=RunKind.SCHEDULED, as_of=as_of, actor=None, trigger="bench", chunk_size=chunk_size
        )
    created = time.perf_counter() - started
    print(
        f"run #{run.pk}: {run.households_total:,} households due, {run.chunks_total} chunks "
        f"(split and dispatched in {created:.1f} s)",
        flush=True,
    )
    last_report = 0.0
    while True:
        time.sleep(0.5)
        run.refresh_from_db()
        now = time.perf_counter() - started
        if run.status in {RunStatus.DONE, RunStatus.INCOMPLETE}:
            break
        if now - last_report >= 10:
            print(f"  {now:5.0f} s: {run.chunks_done}/{run.chunks_total} chunks, {run.checked:,} checked", flush=True)
            last_report = now
    total = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM casework_enrolment WHERE last_run_id = %s", [run.pk])
        claimed = cur.fetchone()[0]
        cur.execute(
            "SELECT coalesce(sum(checked), 0), coalesce(max(attempts), 0), count(*) FILTER (WHERE attempts > 1) "
            "FROM casework_reverificationchunk WHERE run_id = %s",
            [run.pk],
        )
        chunk_checked, max_attempts, retried = cur.fetchone()
        cur.execute(
            "SELECT proposed_outcome, count(*) FROM casework_reviewtask WHERE run_id = %s GROUP BY 1 ORDER BY 1",
            [run.pk],
        )
        proposals = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM casework_reviewtask WHERE run_id = %s AND discrepancies <> '[]'", [run.pk])
        with_discrepancies = cur.fetchone()[0]
    return {
        "run": ReverificationRun.objects.get(pk=run.pk),
        "total": total,
        "claimed": claimed,
        "chunk_checked": chunk_checked,
        "max_attempts": max_attempts,
        "retried_chunks": retried,
        "proposals": proposals,
        "with_discrepancies": with_discrepancies,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=20_000)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 12, 1))
    parser.add_argument("--database", default=BENCH_DB)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--reuse", action="store_true", help="keep generated households and baseline if present")
    args = parser.parse_args()

    url = eb.bench_database_url(args.database)
    eb.create_database(url)
    os.environ["REDIS_URL"] = args.redis_url  # this process publishes the chunk tasks to Redis
    eb.setup_django(url)
    from django.db import connection

    from applications.models import Household
    from eligibility.batch import reevaluate
    from eligibility.models import Determination
    from hefei_aid.celery import app

    queue = f"bench-reverification-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    print(
        f"database {args.database}; {args.households:,} households; as_of {args.as_of}; "
        f"{args.workers} Celery workers on {args.redis_url} (queue {queue}); chunks of {args.chunk_size:,}",
        flush=True,
    )

    have = Household.objects.count()
    if not (args.reuse and have == args.households):
        t = eb.generate(args.households, args.as_of)
        print(f"setup: generated households in {t['total']:.1f} s", flush=True)
    if not (args.reuse and have == args.households and Determination.objects.count() >= args.households * 0.99):
        with connection.cursor() as cur:
            cur.execute("TRUNCATE eligibility_determination")
        connection.close()
        t0 = time.perf_counter()
        baseline = reevaluate(args.as_of - dt.timedelta(days=1), workers=2)
        print(f"setup: baseline determinations in {time.perf_counter() - t0:.1f} s ({baseline.checked:,})", flush=True)
    t0 = time.perf_counter()
    enrolled = enrol_everyone(args.as_of)
    print(f"setup: enrolled {enrolled:,} households in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    changes = change_households(args.as_of)
    print(f"setup: changes {changes} in {time.perf_counter() - t0:.1f} s", flush=True)
    connection.close()

    workers = start_workers(args.workers, url, args.redis_url, queue)
    try:
        wait_for_workers(app, args.workers)
        result = run_once(args.as_of, args.chunk_size)
    finally:
        stop_workers(workers)
        import redis

        client = redis.Redis.from_url(args.redis_url)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()
    run = result["run"]
    rate = run.checked / result["total"] if result["total"] else 0.0
    print(
        f"\nre-verification of {run.checked:,} households through Celery ({args.workers} workers): "
        f"{result['total']:.1f} s end to end ({rate:,.0f} households/s); run.seconds {run.seconds:.1f}\n"
        f"  status {run.status}; checked {run.checked:,}, unchanged {run.unchanged:,}, changed {run.changed:,}, "
        f"failed {run.failed:,}; chunks {run.chunks_done}/{run.chunks_total} (max attempts {result['max_attempts']}, "
        f"{result['retried_chunks']} retried)\n"
        f"  review tasks by proposal {result['proposals']}, {result['with_discrepancies']:,} with department-data "
        f"discrepancies\n"
        f"  no household twice: enrolments claimed by the run {result['claimed']:,} = sum of chunk counts "
        f"{result['chunk_checked']:,} = run.checked {run.checked:,}",
        flush=True,
    )
    ok = (
        run.status == "done"
        and result["claimed"] == run.checked == result["chunk_checked"] == run.households_total
        and sum(result["proposals"].values()) == run.changed
    )
    print("OK" if ok else "MISMATCH", "goal ≤ 120 s:", "met" if result["total"] <= 120 else "NOT met", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
