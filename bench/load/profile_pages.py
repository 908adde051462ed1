"""Per-endpoint query profile of the load scenario (the "why" behind bench/load_test.py's figures).

For each endpoint of the Locust mix, as a given user, it runs the request a few times through the
Django test client on the bench database and reports: wall ms (median), number of SQL queries,
SQL ms, and the slowest statements; ``--explain`` adds EXPLAIN (ANALYZE, BUFFERS) of the slowest
statement of each endpoint.

    .venv/bin/python bench/load/profile_pages.py --database hefei_aid_bench_load --user clerk_a --explain
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import eligibility_batch as eb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="hefei_aid_bench_load")
    parser.add_argument("--user", default="clerk_a")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", default="", help="endpoint labels separated by |")
    parser.add_argument("--cprofile", type=int, default=0, help="print the top N functions (own time) per endpoint")
    parser.add_argument("--statements", action="store_true", help="list every statement of the last request, in order")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = eb.bench_database_url(args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hefei_aid.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    user = User.objects.get(username=args.user)
    street = str(user.region_id)
    token, _ = Token.objects.get_or_create(user=user)
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM casework_case WHERE street_id = %s ORDER BY random() LIMIT 20", [street])
        cases = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT id FROM applications_household WHERE street_id = %s ORDER BY random() LIMIT 20", [street])
        households = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT m.id_masked FROM applications_member m JOIN applications_household h ON h.id = m.household_id "
            "WHERE h.street_id = %s ORDER BY random() LIMIT 5",
            [street],
        )
        masked = [r[0] for r in cur.fetchall()]
    client = Client()
    client.force_login(user)
    evaluate_body = {
        "region": street[:6],
        "as_of": "2026-11-29",
        "members": [
            {"ref": "m1", "birth_date": "1978-04-02", "incomes": [{"kind": "wage", "monthly": "1200.00"}]},
            {"ref": "m2", "birth_date": "1981-10-20"},
            {"ref": "m3", "birth_date": "2013-06-01", "student": True},
        ],
    }
    person = iter(range(int(time.time()) % 100000 * 1000, 10**9))

    def intake_body() -> str:
        sys.path.insert(0, str(BASE_DIR / "bench" / "load"))
        from ids import resident_id  # the locustfile's own ID generator

        with connection.cursor() as cur:
            cur.execute("SELECT code FROM accounts_region WHERE parent_id = %s ORDER BY code LIMIT 1", [street])
            community = cur.fetchone()[0]
        members = []
        for relation in ("self", "spouse"):
            members.append(
                {
                    "name": "剖析甲",
                    "id_number": resident_id(850_000_000 + next(person)),
                    "relation": relation,
                    "incomes": [{"kind": "wage", "monthly": "900.00"}] if relation == "self" else [],
                    "authorisation_signed": True,
                }
            )
        return json.dumps(
            {
                "street": street,
                "community": community,
                "address": "剖析路1号",
                "phone": "13812345678",
                "bank_name": "徽商银行",
                "bank_account": "6228480012345678901",
                "financial_assets": "3000.00",
                "homes": 1,
                "members": members,
                "application": {"channel": "window", "assistance_types": ["dibao"], "help_text": "PROFILE"},
            }
        )

    endpoints: list[tuple[str, Any]] = [
        ("queue (mine)", lambda: client.get("/cases/")),
        ("queue (all, page N)", lambda: client.get(f"/cases/?tab=all&page={random.randint(1, 40)}")),
        ("queue (overdue)", lambda: client.get("/cases/?tab=overdue")),
        ("case detail", lambda: client.get(f"/cases/{random.choice(cases)}/")),
        ("household search (id)", lambda: client.get(f"/households/?q={random.choice(households)}")),
        ("household search (masked)", lambda: client.get(f"/households/?q={random.choice(masked)}")),
        ("household search (name)", lambda: client.get("/households/?q=张三")),
        ("household detail", lambda: client.get(f"/households/{random.choice(households)}/")),
        (
            "intake (POST)",
            lambda: client.post(
                "/api/v1/intake/",
                data=intake_body(),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {token.key}",
                HTTP_IDEMPOTENCY_KEY=str(random.random()),
            ),
        ),
        (
            "evaluate (POST)",
            lambda: client.post(
                "/api/v1/eligibility/evaluate/",
                data=json.dumps(evaluate_body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {token.key}",
            ),
        ),
    ]
    # Time spent rendering templates (outermost render only: includes are inside it).
    from django.template.backends import django as django_backend

    template_s = [0.0]
    depth = [0]
    plain_render = django_backend.Template.render

    def timed_render(self: Any, *a: Any, **k: Any) -> Any:
        depth[0] += 1
        t = time.perf_counter()
        try:
            return plain_render(self, *a, **k)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                template_s[0] += time.perf_counter() - t

    django_backend.Template.render = timed_render  # type: ignore[method-assign]
    import psutil

    def backend_pid() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            return int(cur.fetchone()[0])

    only = {x.strip() for x in args.only.split("|") if x.strip()}
    for label, call in endpoints:
        if only and label not in only:
            continue
        call()  # warm
        walls, cpus, counts, sql_ms, tpl_ms = [], [], [], [], []
        backend = psutil.Process(backend_pid())
        pg0 = backend.cpu_times()
        slow: dict[str, float] = {}
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                t0, c0, r0 = time.perf_counter(), time.process_time(), template_s[0]
                response = call()
                walls.append((time.perf_counter() - t0) * 1000)
                tpl_ms.append((template_s[0] - r0) * 1000)
                cpus.append((time.process_time() - c0) * 1000)
            if response.status_code not in (200, 201):
                print(f"{label}: HTTP {response.status_code}")
            counts.append(len(ctx.captured_queries))
            sql_ms.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
            for q in ctx.captured_queries:
                slow[q["sql"]] = max(slow.get(q["sql"], 0.0), float(q["time"]) * 1000)
        if args.statements:
            for q in ctx.captured_queries:
                print(f"    {float(q['time']) * 1000:7.2f} ms  {q['sql'][:160]}")
        pg1 = backend.cpu_times()
        pg_ms = (pg1.user + pg1.system - pg0.user - pg0.system) * 1000 / args.repeat
        print(
            f"{label:<28} wall {statistics.median(walls):7.1f} ms  Python CPU {statistics.median(cpus):6.1f} ms  "
            f"PostgreSQL CPU {pg_ms:5.1f} ms (mean)  "
            f"queries {statistics.median(counts):5.0f}  "
            f"SQL {statistics.median(sql_ms):7.1f} ms  templates {statistics.median(tpl_ms):5.1f} ms"
        )
        if args.cprofile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeat):
                call()
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(args.cprofile)
            stats.sort_stats("cumulative").print_stats(args.cprofile)
        top = sorted(slow.items(), key=lambda kv: -kv[1])[:3]
        with connection.cursor() as cur:  # GET requests run prepared statements (accounts/prepared.py)
            cur.execute("SELECT name, statement FROM pg_prepared_statements")
            prepared = dict(cur.fetchall())
        for sql, ms in top:
            name = sql.removeprefix("EXECUTE ").split("(", 1)[0]
            shown = f"{sql[:80]} = {prepared[name]}" if sql.startswith("EXECUTE ") and name in prepared else sql
            print(f"    {ms:7.1f} ms  {shown[:300]}")
        if args.explain and top and top[0][1] > 5:
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + top[0][0])
                for (line,) in cur.fetchall():
                    print(f"      | {line}")


if __name__ == "__main__":
    main()
