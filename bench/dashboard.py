"""Benchmark of the supervision dashboard page (issue 7): ≤ 300 ms median at 1,000,000 applications.

    .venv/bin/python bench/dashboard.py                      # database hefei_aid_bench_dash
    .venv/bin/python bench/dashboard.py --requests 50        # more samples

1. Ensures the caseload exists: when ``var/bench/<database>.ready`` is missing it runs the generator
   ``bench/scale_data.py --database <database> --households 400000 --applications 1000000
   --enrolled 300000`` (or, when that generator is already running for the same database, waits for
   its marker);
2. migrates the database (the dashboard's summary tables and indexes) and refreshes the summary
   (``oversight.figures.refresh_figures`` — what the Celery beat job does every 15 minutes), timed;
3. GETs ``/oversight/`` (default period: the last 12 months) with Django's test ``Client`` — the full
   middleware, view and template path — as a county supervisor (蜀山区) and as the city administrator:
   3 warm-ups, then ``--requests`` timed requests each; prints median / p95 / max in ms, and the same
   for the figures API and one drill-down page, with the row counts of the tables behind the figures.
   "cold cache": the per-refresh cache of the summed cells is emptied before every request, so each
   request runs the summary query; "warm": the cells of the current refresh come from the cache
   (what repeated views between two refreshes get).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import eligibility_batch as eb  # noqa: E402  (bench_database_url: the URL scale_data.py built it at)
import scale_data  # noqa: E402

READY_DIR = scale_data.READY_DIR
DEFAULT_DB = "hefei_aid_bench_dash"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)


def generator_running(database: str) -> bool:
    """Whether bench/scale_data.py is already building this database (then we wait, never start a second)."""
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=False).stdout
    return any("scale_data.py" in line and f"--database {database}" in line for line in out.splitlines())


def ensure_data(args: argparse.Namespace) -> dict[str, Any]:
    marker = READY_DIR / f"{args.database}.ready"
    if not marker.exists():
        if generator_running(args.database):
            log(f"bench/scale_data.py is already building {args.database}; waiting for {marker}")
        else:
            command = scale_data.command(args.database, args.households, args.applications, args.enrolled)
            log("building the caseload: " + " ".join(command[1:]))
            subprocess.run(command, check=True, cwd=BASE_DIR)
        while not marker.exists():
            if not generator_running(args.database):
                raise SystemExit(f"the generator stopped without writing {marker}")
            time.sleep(10)
    try:
        return dict(json.loads(marker.read_text()))
    except ValueError:
        return {}


def timed(client: Any, url: str, n: int, warmups: int, *, cold: bool = False) -> list[float]:
    """Milliseconds per GET. ``cold``: the figures cache is emptied before each request (every request
    sums the summary cells in PostgreSQL); otherwise the cells of this refresh come from the cache."""
    from django.core.cache import cache

    for _ in range(warmups):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(n):
        if cold:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return (
        f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms"
        f"   (n={len(ordered)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=DEFAULT_DB)
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--enrolled", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--supervisor", default="supervisor_shushan")
    parser.add_argument("--admin", default="admin")
    args = parser.parse_args()

    meta = ensure_data(args)
    os.environ["DATABASE_URL"] = eb.bench_database_url(args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hefei_aid.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from oversight import figures

    log(f"database {args.database} (generated: {meta.get('counts') or meta.get('args') or 'marker without details'})")
    call_command("migrate", verbosity=0)

    started = time.perf_counter()
    refresh = figures.refresh_figures()
    log(f"summary refresh (Celery task body): {time.perf_counter() - started:.1f} s, {refresh.cells:,} cells")

    with connection.cursor() as cur:
        counts = {}
        for table in [
            "applications_application",
            "applications_household",
            "casework_case",
            "casework_enrolment",
            "casework_enrolmentperiod",
            "casework_rollline",
            "casework_reviewtask",
            "casework_alert",
            "charity_handoff",
            "oversight_figurecell",
        ]:
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM casework_enrolment WHERE status <> 'closed'")
        counts["casework_enrolment (open)"] = cur.fetchone()[0]
    for table, n in counts.items():
        log(f"  {table:32s} {n:>12,}")

    results: dict[str, dict[str, list[float]]] = {}
    for username in [args.supervisor, args.admin]:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        prefix = figures.scope_prefix(user)
        data = figures.compute_figures(user, figures.default_filters())
        log(
            f"{username} (scope {prefix or 'all'}): {data['coverage']['households']:,} households, "
            f"{data['coverage']['people']:,} people, {data['applications']['received']:,} applications received "
            f"in the last 12 months, average {data['applications']['avg_working_days']} working days, "
            f"overdue {data['overdue']['total']:,}"
        )
        api = "/api/v1/oversight/figures/"
        results[username] = {
            "dashboard /oversight/ (cold cache)": timed(client, "/oversight/", args.requests, args.warmups, cold=True),
            "dashboard /oversight/ (warm)": timed(client, "/oversight/", args.requests, args.warmups),
            "API figures (cold cache)": timed(client, api, args.requests, args.warmups, cold=True),
            "API figures (warm)": timed(client, api, args.requests, args.warmups),
            "drill-down /oversight/list/received/": timed(
                client, "/oversight/list/received/", max(10, args.requests // 3), 1
            ),
        }
    print()
    for username, pages in results.items():
        for page, samples in pages.items():
            print(f"{username:20s} {page:40s} {summary(samples)}")


if __name__ == "__main__":
    main()
