"""Load bench of issue 8: headless Locust against gunicorn (4 workers, DEBUG off) on a scaled caseload.

    .venv/bin/python bench/load_test.py                       # 200,000 households, 1,000,000 applications
    .venv/bin/python bench/load_test.py --duration 120 --users 50 --worker-class sync --threads 1
    .venv/bin/python bench/load_test.py --scenario ceiling    # only the sign-in page: the machine's ceiling

1. makes sure the database exists (``bench/scale_data.py --database hefei_aid_bench_load
   --households 200000 --applications 1000000 --enrolled 120000``; reused when ready) and runs on a
   fresh copy of it (``hefei_aid_bench_load_run``, ``CREATE DATABASE … TEMPLATE``, ≈ 7 s, dropped
   after the run), so that every run starts from the same caseload (``--on-built-database`` keeps
   the intakes instead);
2. prepares the scenario: API tokens and the street staff accounts to sign in with (the demo clerks
   and reviewers of the four demo streets and the bench staff of more streets), per street a sample
   of case ids, household ids and masked IDs (``var/bench/load_fixture.json``);
3. collects static files (WhiteNoise, manifest storage) and starts gunicorn with production
   settings: ``DEBUG=0``, its own ``SECRET_KEY``, the field key the data were encrypted with,
   ``ALLOWED_HOSTS``, Redis for cache and Celery (tasks queued, not run in the web worker);
4. runs Locust headless (``bench/load/locustfile.py``: 50 users, 10/s spawn, the duration given),
   then stops gunicorn;
5. counts the rows the run created (applications marked with the run id, their cases) and compares
   them with the intakes Locust saw succeed (ids logged by the users): lost writes = successes
   without a row (and rows nobody saw: duplicates);
6. prints p50 / p95 / p99 / requests per second / failures per endpoint and writes
   ``var/bench/load_<run>.json`` (+ Locust's CSV files ``var/bench/load_<run>_stats.csv``).

The machine is shared: the load average before, during and after the run is in the summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import eligibility_batch as eb  # noqa: E402
import scale_data  # noqa: E402

OUT = BASE_DIR / "var" / "bench"
PY = str(BASE_DIR / ".venv" / "bin" / "python")
DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLSEhISE="  # the key the bench data were encrypted with
DEMO_ACCOUNTS = ["clerk_a", "reviewer_a", "clerk_b", "reviewer_b", "clerk_c", "reviewer_c", "clerk_d", "reviewer_d"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def ensure_database(args: argparse.Namespace) -> None:
    subprocess.run(
        scale_data.command(args.database, args.households, args.applications, args.enrolled), check=True, cwd=BASE_DIR
    )


def copy_database(source: str, copy: str) -> float:
    """``copy`` made afresh from ``source`` (``CREATE DATABASE … TEMPLATE``, a file copy: the rows,
    indexes, statistics and visibility map as built), so that every run starts from the same
    caseload: the intakes of earlier runs would otherwise pile up as open cases in the streets the
    bench signs in to and make each run's queue counts a little dearer than the last. Returns seconds."""
    import psycopg2

    parsed = urlparse(eb.bench_database_url(source))
    admin = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    admin.autocommit = True
    t0 = time.time()
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        # A template must have no other session (left over by a build or an earlier run).
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [source])
        cur.execute("SHOW server_version_num")
        file_copy = " STRATEGY = FILE_COPY" if int(cur.fetchone()[0]) >= 150000 else ""
        cur.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"{file_copy}')
    admin.close()
    return time.time() - t0


def drop_database(name: str) -> None:
    import psycopg2

    parsed = urlparse(eb.bench_database_url(name))
    admin = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def prepare(args: argparse.Namespace, run: str) -> dict[str, Any]:
    """Tokens, accounts and per-street samples, read from the bench database."""
    os.environ["DATABASE_URL"] = eb.bench_database_url(args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hefei_aid.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from accounts.demo import DEMO_PASSWORD
    from accounts.models import User

    call_command("migrate", verbosity=0)  # migrations added since the data were built
    users = list(User.objects.filter(username__in=DEMO_ACCOUNTS).order_by("username"))
    bench = (
        User.objects.filter(username__startswith="bench_", role__in=["clerk", "reviewer"])
        .exclude(region__code__startswith="340104")
        .order_by("region_id", "role")
    )
    streets_taken = sorted({u.region_id for u in bench})[:: max(1, len({u.region_id for u in bench}) // 8)][:8]
    users += [u for u in bench if u.region_id in streets_taken]
    accounts = []
    for user in users:
        token, _ = Token.objects.get_or_create(user=user)
        accounts.append({"username": user.username, "role": user.role, "street": user.region_id, "token": token.key})
    streets: dict[str, Any] = {}
    with connection.cursor() as cur:
        for street in sorted({a["street"] for a in accounts}):
            cur.execute("SELECT id FROM casework_case WHERE street_id = %s ORDER BY random() LIMIT 400", [street])
            cases = [r[0] for r in cur.fetchall()]
            cur.execute(
                "SELECT id FROM applications_household WHERE street_id = %s ORDER BY random() LIMIT 400", [street]
            )
            households = [r[0] for r in cur.fetchall()]
            cur.execute(
                "SELECT m.id_masked FROM applications_member m JOIN applications_household h ON h.id = m.household_id "
                "WHERE h.street_id = %s AND m.active ORDER BY random() LIMIT 100",
                [street],
            )
            masked = [r[0] for r in cur.fetchall()]
            cur.execute("SELECT code FROM accounts_region WHERE parent_id = %s ORDER BY code", [street])
            communities = [r[0] for r in cur.fetchall()]
            streets[street] = {
                "county": street[:6],
                "cases": cases,
                "households": households,
                "masked_ids": masked,
                "names": ["张三", "王丽", "压测甲"],
                "communities": communities,
            }
        # Resident IDs of new people: past every earlier run's (each run draws < 1,000,000 numbers).
        cur.execute("SELECT count(*) FROM applications_application WHERE help_text LIKE 'LOADTEST %%'")
        earlier = cur.fetchone()[0]
        cur.execute("SELECT count(DISTINCT help_text) FROM applications_application WHERE help_text LIKE 'LOADTEST %%'")
        runs = cur.fetchone()[0]
    connection.close()
    return {
        "run": run,
        "password": DEMO_PASSWORD,
        "as_of": dt.date.today().isoformat(),
        "accounts": accounts,
        "streets": streets,
        "person_offset": (runs + 1) * 1_000_000 + earlier * 4,
    }


def gunicorn_env(args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.load.settings_load",
            "DEBUG": "0",
            "SECRET_KEY": "load-bench-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz",
            "FIELD_ENCRYPTION_KEY": DEV_FIELD_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": eb.bench_database_url(args.database),
            "REDIS_URL": args.redis_url,
            "DB_CONN_MAX_AGE": str(args.conn_max_age),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(BASE_DIR),
        }
    )
    return env


def start_gunicorn(args: argparse.Namespace, run: str) -> subprocess.Popen[bytes]:
    env = gunicorn_env(args)
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], check=True, cwd=BASE_DIR, env=env)
    cmd = [
        str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
        "hefei_aid.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--timeout",
        "60",
        "--access-logfile",
        str(OUT / f"load_{run}_access.log"),
    ]
    if args.threads > 1:
        cmd += ["--threads", str(args.threads)]
    errors = open(OUT / f"load_{run}_gunicorn.log", "wb")
    proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=errors, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/accounts/login/", timeout=5) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("gunicorn did not come up; see " + str(OUT / f"load_{run}_gunicorn.log"))


def sign_in(args: argparse.Namespace, fixture: dict[str, Any]) -> list[float]:
    """Sign every account in through the login page once (session + CSRF), before the measured run.

    Staff sign in once a day; 50 simultaneous PBKDF2 logins at the start would otherwise be what the
    first half-minute measures. The session cookie is handed to the Locust users of that account
    (set with Secure, so it is carried by hand over the bench's plain-HTTP link). Returns the login
    POST times (ms)."""
    import http.client
    import re
    from urllib.parse import urlencode

    times = []
    for account in fixture["accounts"]:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        conn.request("GET", "/accounts/login/")
        page = conn.getresponse()
        body = page.read().decode("utf-8")
        cookies = {}
        for header, value in page.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookies[name] = rest.split(";", 1)[0]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        form = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": account["username"],
                "password": fixture["password"],
            }
        )
        t0 = time.perf_counter()
        conn.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                "Referer": f"http://127.0.0.1:{args.port}/accounts/login/",
            },
        )
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - t0) * 1000)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookies[name] = rest.split(";", 1)[0]
        if response.status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"login failed for {account['username']}: HTTP {response.status}")
        account["cookies"] = {k: v for k, v in cookies.items() if k in ("sessionid", "csrftoken")}
        conn.close()
    return times


class LoadSampler:
    """Load average and CPU seconds of gunicorn, PostgreSQL and Locust during the run."""

    def __init__(self, database: str) -> None:
        self.samples: list[float] = []
        self.database = database
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(5):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def machine_gauge() -> float:
    """Milliseconds a fixed piece of pure Python takes here now (best of five): the machine's speed
    drifts by ±15 % from minute to minute (it is shared), and this says how fast it was around a run."""
    import timeit

    return round(min(timeit.repeat("sum(range(1_000_000))", number=20, repeat=5)) * 1000 / 20, 2)


def cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            pass
    return total


def postgres_cpu(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL server serving ``database``: its postmaster, the
    processes alive now and — through the postmaster's reaped-children times — the ones that have
    exited (backends closed by CONN_MAX_AGE during a run would otherwise take their CPU with them).
    Counts the whole server, other databases included: run on a quiet server."""
    import psutil
    import psycopg2

    conn = psycopg2.connect(eb.bench_database_url(database))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            postmaster = psutil.Process(cur.fetchone()[0]).parent()
    finally:
        conn.close()
    if postmaster is None:
        raise RuntimeError("no PostgreSQL postmaster found")
    own = postmaster.cpu_times()
    total = own.user + own.system + own.children_user + own.children_system
    for child in postmaster.children():
        try:
            t = child.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return float(total)


def start_py_spy(pid: int, duration: int, run: str) -> subprocess.Popen[bytes]:
    """py-spy sampling every gunicorn worker at 50 Hz for the run, as collapsed stacks. Only stacks
    holding the GIL count (``--gil``): a worker waiting for PostgreSQL, Redis or the client has let
    go of it, so what is left is the worker's own CPU."""
    cmd = [
        str(BASE_DIR / ".venv" / "bin" / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--nonblocking",
        "--gil",
        "--rate",
        "50",
        "--format",
        "raw",
        "--duration",
        str(duration),
        "--output",
        str(OUT / f"load_{run}_pyspy.txt"),
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_locust(args: argparse.Namespace, run: str, fixture_path: Path, writes_log: Path) -> int:
    env = {
        **os.environ,
        "LOAD_FIXTURE": str(fixture_path),
        "LOAD_WRITES_LOG": str(writes_log),
        "LOAD_STATS_JSON": str(OUT / f"load_{run}_final.json"),
        "LOAD_SCENARIO": args.scenario,
    }
    cmd = [
        str(BASE_DIR / ".venv" / "bin" / "locust"),
        "-f",
        str(BASE_DIR / "bench" / "load" / "locustfile.py"),
        "--headless",
        "-u",
        str(args.users),
        "-r",
        str(args.spawn_rate),
        "-t",
        f"{args.duration}s",
        "--host",
        f"http://127.0.0.1:{args.port}",
        "--csv",
        str(OUT / f"load_{run}"),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
    ]
    return subprocess.run(cmd, cwd=BASE_DIR, env=env).returncode


def read_stats(run: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((OUT / f"load_{run}_final.json").read_text())
    return data


def count_writes(args: argparse.Namespace, run: str, writes_log: Path) -> dict[str, Any]:
    import psycopg2

    seen = {int(x) for x in writes_log.read_text().split()} if writes_log.exists() else set()
    conn = psycopg2.connect(eb.bench_database_url(args.database))
    with conn.cursor() as cur:
        cur.execute(
            "SELECT a.id, c.id IS NOT NULL FROM applications_application a "
            "LEFT JOIN casework_case c ON c.application_id = a.id WHERE a.help_text = %s",
            [f"LOADTEST {run}"],
        )
        rows = cur.fetchall()
    conn.close()
    in_db = {r[0] for r in rows}
    return {
        "intake_successes_seen_by_locust": len(seen),
        "applications_in_db": len(in_db),
        "cases_in_db": sum(1 for r in rows if r[1]),
        "lost_writes": len(seen - in_db),
        "rows_without_success": len(in_db - seen),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="hefei_aid_bench_load")
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--enrolled", type=int, default=120_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=90)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument("--port", type=int, default=8077)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--label", default="", help="free text stored in the summary (what was changed)")
    parser.add_argument(
        "--scenario",
        choices=["mix", "ceiling"],
        default="mix",
        help="mix: the staff mix of bench/load/locustfile.py; ceiling: only the sign-in page (the machine's ceiling)",
    )
    parser.add_argument(
        "--on-built-database",
        action="store_true",
        help="run on the built database itself, keeping every run's intakes (default: on a fresh copy "
        "of it, <database>_run, dropped after the run)",
    )
    parser.add_argument(
        "--py-spy",
        action="store_true",
        help="sample the gunicorn workers with py-spy during the run (var/bench/load_<run>_pyspy.txt; "
        "read it with bench/load/pyspy_top.py); costs the machine a little CPU",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        log("DATABASE_URL not set: using the embedded server")
    OUT.mkdir(parents=True, exist_ok=True)
    run = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    ensure_database(args)
    built = args.database
    if not args.on_built_database:
        args.database = f"{built}_run"
        log(f"copy of {built} for this run: {args.database} ({copy_database(built, args.database):.1f} s)")
    fixture = prepare(args, run)
    fixture_path = OUT / "load_fixture.json"
    fixture_path.write_text(json.dumps(fixture, ensure_ascii=False))
    writes_log = OUT / f"load_{run}_writes.txt"
    log(
        f"run {run} ({args.scenario}): {args.users} users, {args.duration} s, gunicorn {args.workers} × {args.worker_class}"
        f"{f' × {args.threads} threads' if args.threads > 1 else ''}, CONN_MAX_AGE {args.conn_max_age}; "
        f"{len(fixture['accounts'])} accounts on {len(fixture['streets'])} streets; load {load_avg()}"
    )
    before = load_avg()
    gauge_before = machine_gauge()
    gunicorn = start_gunicorn(args, run)
    try:
        logins = sign_in(args, fixture)
        fixture_path.write_text(json.dumps(fixture, ensure_ascii=False))
        log(f"{len(logins)} accounts signed in; login POST median {sorted(logins)[len(logins) // 2]:.0f} ms")
        cpu0 = cpu_seconds([gunicorn.pid]), postgres_cpu(args.database)
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.time()
        spy = start_py_spy(gunicorn.pid, args.duration, run) if args.py_spy else None
        with LoadSampler(args.database) as sampler:
            code = run_locust(args, run, fixture_path, writes_log)
        if spy is not None:
            spy.wait(timeout=60)
        wall = time.time() - t0
        cpu1 = cpu_seconds([gunicorn.pid]), postgres_cpu(args.database)
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # Locust (the only child run meanwhile)
        locust_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
    final = read_stats(run)
    stats = final["endpoints"]
    writes = count_writes(args, run, writes_log)
    if not args.on_built_database:
        drop_database(args.database)
    gauge = [gauge_before, machine_gauge()]
    summary = {
        "run": run,
        "label": args.label,
        "database": args.database,
        "arguments": vars(args),
        "locust_exit_code": code,
        "load_average_before": before,
        "load_average_during": [round(x, 2) for x in sampler.samples],
        "load_average_after": load_avg(),
        "cpu_seconds": {
            "gunicorn": round(cpu1[0] - cpu0[0], 1),
            "postgres": round(cpu1[1] - cpu0[1], 1),
            "locust": round(locust_cpu, 1),
        },
        "wall_seconds": round(wall, 1),
        "machine_gauge_ms": gauge,
        "login_post_ms": [round(x) for x in logins],
        "endpoints": stats,
        "errors": final["errors"],
        "writes": writes,
    }
    (OUT / f"load_{run}.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print()
    print(f"{'endpoint':<24}{'requests':>9}{'fail':>6}{'p50':>7}{'p95':>7}{'p99':>7}{'max':>8}{'req/s':>8}")
    for row in stats:
        print(
            f"{row['endpoint']:<24}{row['requests']:>9}{row['failures']:>6}{row['p50_ms']:>7.0f}{row['p95_ms']:>7.0f}"
            f"{row['p99_ms']:>7.0f}{row['max_ms']:>8.0f}{row['rps']:>8.1f}"
        )
    for error in final["errors"]:
        print(f"error: {error}")
    print(f"writes: {writes}")
    print(
        f"load average before {before}, during {summary['load_average_during']}, after {summary['load_average_after']}; "
        f"CPU s gunicorn {summary['cpu_seconds']['gunicorn']}, postgres {summary['cpu_seconds']['postgres']}, "
        f"locust {summary['cpu_seconds']['locust']} over {summary['wall_seconds']} s; "
        f"machine gauge before/after {gauge[0]} / {gauge[1]} ms"
    )
    total = next((row["requests"] for row in stats if row["endpoint"] == "ALL"), 0)
    if total:
        per = {k: round(v * 1000 / total, 1) for k, v in summary["cpu_seconds"].items()}
        print(f"CPU ms per request: {per}")
    print(f"summary: {OUT / f'load_{run}.json'}")


if __name__ == "__main__":
    main()
