"""Benchmark of the batch re-evaluation path (eligibility.batch, issue 3).

Generates N households (default 1,000,000; ~2.5 members each) with set-based SQL in a separate
database (``hefei_aid_bench`` on the DATABASE_URL server, else on the embedded server), migrates it,
then times the full five-tier batch evaluation end to end (read, evaluate, write changes) twice:

1. every determination new (all written);
2. after changing ~1 % of the households (only the changed determinations written);

and a third, steady-state run (nothing changed, nothing written). Reports households/s, wall
seconds and peak RSS (sum over the Python processes; PostgreSQL backends separately), and checks
the stored determinations against the single path (``services.evaluate_household``) on a random
sample.

    .venv/bin/python bench/eligibility_batch.py                      # 1,000,000 households
    .venv/bin/python bench/eligibility_batch.py --households 20000   # a quick run
    .venv/bin/python bench/eligibility_batch.py --reuse              # keep the generated data
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DB = "hefei_aid_bench"


# --- the database -------------------------------------------------------------------------------------


def bench_database_url(name: str) -> str:
    """DATABASE_URL with the database renamed, or the embedded server's URL for ``name``."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        from hefei_aid.embedded_db import embedded_database_url

        url = embedded_database_url(BASE_DIR)
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


def create_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hefei_aid.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- generation ---------------------------------------------------------------------------------------

# Profiles (share of households) chosen so that every tier appears in realistic proportions:
# 特困 elderly without supporter, 低保 low income, 单人户 (a severely disabled member in a modest
# household), 低收入 S…2S, 支出型 (large medical bills), above 2S, and property-test failures.
PROFILES = [
    ("tekun", 0.06),
    ("dibao", 0.30),
    ("single", 0.04),
    ("low", 0.20),
    ("hardship", 0.07),
    ("none", 0.25),
    ("property", 0.08),
]


def _profile_case() -> str:
    bounds, total = [], 0.0
    for name, share in PROFILES:
        total += share
        bounds.append(f"WHEN u < {total:.4f} THEN '{name}'")
    return "CASE " + " ".join(bounds[:-1]) + f" ELSE '{PROFILES[-1][0]}' END"


def dummy_resident_id() -> str:
    from stdnum.cn import ric

    body = "34010419800517123"
    return body + ric.calc_check_digit(body + "0")


GENERATION_SQL = """
SELECT setseed(0.20261201);

CREATE TEMP TABLE gen_street AS
SELECT row_number() OVER (ORDER BY s.code) AS k, s.code AS street, min(c.code) AS community
FROM accounts_region s JOIN accounts_region c ON c.parent_id = s.code
WHERE s.level = 'street' GROUP BY s.code;

CREATE TEMP TABLE gen_h AS
SELECT n, profile, street, community,
       CASE profile WHEN 'tekun' THEN (CASE WHEN random() < 0.8 THEN 1 ELSE 2 END)
                    WHEN 'single' THEN 2 + (random() * 2)::int
                    ELSE 1 + least(4, floor(-ln(1 - random() * 0.98) * 2.5)::int) END AS size,
       CASE profile WHEN 'dibao' THEN random() * 850
                    WHEN 'single' THEN 1100 + random() * 500
                    WHEN 'low' THEN 950 + random() * 850
                    WHEN 'hardship' THEN 1000 + random() * 1800
                    WHEN 'none' THEN 1900 + random() * 7000
                    WHEN 'property' THEN random() * 1500
                    ELSE random() * 600 END AS level,
       random() AS r1, random() AS r2, random() AS r3
FROM (SELECT g AS n, {profile_case} AS profile, 1 + (random() * ({streets} - 1))::int AS k
      FROM (SELECT g, random() AS u FROM generate_series(1, {n}) g) x) h
JOIN gen_street USING (k);

INSERT INTO applications_household (id, address, phone, bank_name, bank_account, financial_assets, homes,
    business_employs_others_12m, business_avg_monthly_net_profit, medical_expense_annual, education_expense_annual,
    rehabilitation_expense_annual, created_at, updated_at, community_id, created_by_id, street_id)
SELECT n, 'bench', '', '', '',
       round((CASE WHEN profile = 'property' AND r1 < 0.4 THEN 200000 + r2 * 800000 ELSE r2 * 15000 END)::numeric, 2),
       CASE WHEN profile = 'property' AND r1 >= 0.4 AND r1 < 0.6 THEN 2 WHEN r3 < 0.05 THEN 0 ELSE 1 END,
       profile = 'property' AND r1 >= 0.6 AND r1 < 0.75,
       round((CASE WHEN profile = 'property' AND r1 >= 0.75 THEN 2000 + r3 * 8000 ELSE 0 END)::numeric, 2),
       round((CASE WHEN profile = 'hardship' THEN 15000 + r3 * 100000 WHEN r3 < 0.3 THEN r3 * 8000 ELSE 0 END)::numeric, 2),
       round((CASE WHEN r2 < 0.2 THEN r2 * 20000 ELSE 0 END)::numeric, 2),
       round((CASE WHEN r1 < 0.03 THEN r1 * 200000 ELSE 0 END)::numeric, 2),
       now(), now(), community, NULL, street
FROM gen_h ORDER BY n;

-- Members: the first two are working-age adults (the earners), further ones children or elderly
-- parents; a 特困 household is one or two elderly people without an able supporter.
CREATE TEMP TABLE gen_m AS
SELECT row_number() OVER (ORDER BY n, j) AS id, n, j, profile, size, level, age, grade, kind, ill, u,
       CASE WHEN profile = 'single' AND j = 1 THEN 0  -- the disabled member earns little or nothing
            WHEN profile = 'single' AND j = 2 THEN round((level * size * (0.9 + u * 0.2) + 277.2)::numeric, 2)
            WHEN age BETWEEN 18 AND 59 AND j <= 2 THEN
            round((level * size / least(size, 2) * (0.8 + u * 0.4) + CASE WHEN level > 0 THEN 277.2 ELSE 0 END)::numeric, 2)
            ELSE 0 END AS wage,
       CASE WHEN age >= 60 THEN round((CASE WHEN profile = 'tekun' THEN u * 1300 ELSE u * 2500 END)::numeric, 2)
            ELSE 0 END AS pension,
       CASE WHEN u < 0.12 THEN round((50 + u * 2000)::numeric, 2) ELSE 0 END AS exempt,
       CASE WHEN u > 0.93 THEN round((u * 600)::numeric, 2) ELSE 0 END AS other
FROM (
    SELECT h.n, j, h.profile, h.size, h.level, random() AS u,
           CASE WHEN h.profile = 'tekun' THEN 60 + (random() * 35)::int
                WHEN j <= 2 THEN 20 + (random() * 39)::int
                WHEN random() < 0.65 THEN (random() * 17)::int
                ELSE 60 + (random() * 30)::int END AS age,
           CASE WHEN h.profile = 'single' AND j = 1 THEN 1 + (random() > 0.5)::int
                WHEN random() < 0.08 THEN 1 + (random() * 3)::int END AS grade,
           (ARRAY['physical', 'intellectual', 'mental', 'visual', 'hearing'])[1 + (random() * 4)::int] AS kind,
           random() < 0.04 AS ill
    FROM gen_h h CROSS JOIN LATERAL generate_series(1, h.size) j
) m;

INSERT INTO applications_member (id, name, id_number, id_index, id_masked, birth_date, sex, relation, lives_together,
    excluded, disability_grade, disability_kind, serious_illness, student, work_capacity, adl_incapable,
    has_able_supporter, care_mode, health_notes, active, household_id)
SELECT id, '成员' || j, %(id_number)s, 'bench-' || id, '340104********1230',
       %(as_of)s::date - (age * 365.25 + (u * 364))::int,
       CASE WHEN u < 0.5 THEN 'M' ELSE 'F' END,
       CASE j WHEN 1 THEN 'self' WHEN 2 THEN 'spouse' ELSE 'child' END,
       NOT (j > 1 AND u > 0.97),
       CASE WHEN j > 1 AND u BETWEEN 0.95 AND 0.965 THEN 'prison' WHEN j > 1 AND u BETWEEN 0.965 AND 0.97 THEN 'conscript'
            ELSE '' END,
       grade, CASE WHEN grade IS NULL THEN '' ELSE kind END, ill, age BETWEEN 6 AND 22,
       CASE WHEN u < 0.02 THEN 'none' WHEN u < 0.1 THEN 'partial' ELSE '' END,
       CASE WHEN age >= 60 OR grade IS NOT NULL THEN (u * 100)::int %% 7 ELSE 0 END,
       NOT (profile = 'tekun' AND u < 0.85) AND NOT (age >= 60 AND u < 0.1),
       CASE WHEN profile = 'tekun' AND u > 0.75 THEN 'institutional' ELSE 'home' END,
       '', true, n
FROM gen_m ORDER BY id;

INSERT INTO applications_incomeitem (member_id, kind, monthly, note)
SELECT id, x.kind, x.monthly, ''
FROM gen_m CROSS JOIN LATERAL (VALUES
    (CASE WHEN u < 0.15 THEN 'business' ELSE 'wage' END, wage),
    (CASE WHEN u < 0.5 THEN 'pension' ELSE 'resident_basic_pension' END, pension),
    ((ARRAY['scholarship', 'martyr_pension', 'family_planning_award', 'social_assistance'])[1 + (u * 1000)::int % 4],
     exempt),
    ((ARRAY['property', 'maintenance', 'agriculture', 'other'])[1 + (u * 1000)::int % 4], other)
) AS x(kind, monthly)
WHERE x.monthly > 0
ORDER BY id;

INSERT INTO applications_vehicle (description, price, business_use, household_id)
SELECT 'bench', round((CASE WHEN profile = 'property' AND r1 >= 0.3 AND r1 < 0.4 THEN 90000 + r3 * 200000
                           ELSE 5000 + r3 * 120000 END)::numeric, 2),
       r2 < 0.3, n
FROM gen_h WHERE r3 < 0.1 OR (profile = 'property' AND r1 >= 0.3 AND r1 < 0.4)
ORDER BY n;

SELECT setval(pg_get_serial_sequence('applications_household', 'id'), (SELECT max(id) FROM applications_household));
SELECT setval(pg_get_serial_sequence('applications_member', 'id'), (SELECT max(id) FROM applications_member));
"""


def generate(n: int, as_of: dt.date) -> dict[str, float]:
    from django.db import DatabaseError, connection, transaction

    from accounts.crypto import encrypt

    timings: dict[str, float] = {}
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE applications_household, applications_member, applications_incomeitem, applications_vehicle, "
            "eligibility_determination RESTART IDENTITY CASCADE"
        )
        cur.execute("SELECT count(*) FROM accounts_region WHERE level = 'street'")
        streets = cur.fetchone()[0]
        cur.execute("SET work_mem = '256MB'")
        try:
            # Skip the per-row foreign-key triggers while loading rows that are consistent by
            # construction (superuser only, e.g. the embedded server; otherwise just slower).
            with transaction.atomic():
                cur.execute("SET session_replication_role = replica")
        except DatabaseError:
            print("(not a superuser: loading with foreign-key checks)", flush=True)
        sql = GENERATION_SQL.replace("{profile_case}", _profile_case()).replace("{streets}", str(streets))
        sql = sql.replace("{n}", str(n))
        # Every member gets the same (valid, encrypted) dummy resident ID and a distinct blind index.
        params = {"id_number": encrypt(dummy_resident_id()), "as_of": as_of}
        for statement in [s.strip() for s in sql.split(";\n") if s.strip()]:
            t0 = time.perf_counter()
            cur.execute(statement, params if "%(" in statement else None)
            head = " ".join(statement.split()[:3])
            timings[head] = timings.get(head, 0.0) + time.perf_counter() - t0
        cur.execute("DROP TABLE gen_m, gen_h, gen_street")
        cur.execute("RESET session_replication_role")
    t0 = time.perf_counter()
    vacuum_analyze()
    timings["VACUUM ANALYZE"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    return timings


def vacuum_analyze() -> None:
    from django.db import connection

    # A real caseload is vacuumed by autovacuum; without it the first read would set hint bits.
    with connection.cursor() as cur:
        for table in (
            "applications_household",
            "applications_member",
            "applications_incomeitem",
            "applications_vehicle",
            "eligibility_determination",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")


def change_one_percent() -> int:
    """Change ~1 % of the households so that their determination must change.

    Households currently receiving something lose it (financial assets far above any limit); the
    others lose their income and assets (and so come into 低保 or 特困).
    """
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE picked AS SELECT id FROM applications_household WHERE id % 100 = 37")
        cur.execute(
            "UPDATE applications_household h SET financial_assets = 99999999 FROM eligibility_determination d "
            "WHERE d.household_id = h.id AND h.id IN (SELECT id FROM picked) AND d.primary_tier <> 'none'"
        )
        cur.execute(
            "CREATE TEMP TABLE picked_none AS SELECT household_id AS id FROM eligibility_determination "
            "WHERE household_id IN (SELECT id FROM picked) AND primary_tier = 'none'"
        )
        cur.execute(
            "UPDATE applications_household SET financial_assets = 0, homes = 1, business_employs_others_12m = false, "
            "business_avg_monthly_net_profit = 0 WHERE id IN (SELECT id FROM picked_none)"
        )
        cur.execute(
            "UPDATE applications_vehicle SET business_use = true WHERE household_id IN (SELECT id FROM picked_none)"
        )
        cur.execute(
            "UPDATE applications_incomeitem SET monthly = 0 WHERE member_id IN "
            "(SELECT id FROM applications_member WHERE household_id IN (SELECT id FROM picked_none))"
        )
        cur.execute("SELECT count(*) FROM picked")
        count: int = cur.fetchone()[0]
        cur.execute("DROP TABLE picked, picked_none")
    return count


# --- measuring ----------------------------------------------------------------------------------------


class PeakRss:
    """Samples the RSS of this process and its children (the worker pool) every 50 ms and the private
    memory (USS) of the benchmark database's PostgreSQL backends every second, and adds up the CPU
    seconds both used (the machine is shared, so wall time alone says little). The sampling thread's
    own CPU is left out of the figures, and it looks for new processes only once a second: walking
    /proc for them costs more than the sampling itself."""

    def __init__(self, database: str) -> None:
        import psutil

        self.psutil = psutil
        self.me = psutil.Process()
        self.database = database
        self.peak_python = 0
        self.peak_postgres = 0
        self._cpu: dict[tuple[str, int], float] = {}
        self._cpu_start: dict[tuple[str, int], float] = {}
        self._own_cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _postgres_backends(self) -> list[Any]:
        found = []
        for proc in self.psutil.process_iter(["cmdline"]):
            cmd = " ".join(proc.info["cmdline"] or [])
            if cmd.startswith("postgres: ") and f" {self.database} " in cmd:
                found.append(proc)
        return found

    def _note_cpu(self, kind: str, proc: Any) -> None:
        try:
            times = proc.cpu_times()
        except self.psutil.Error:
            return
        key = (kind, proc.pid)
        used = times.user + times.system
        # Pool workers start from zero; this process and the backends from their value now.
        self._cpu_start.setdefault(key, used if proc.pid == self.me.pid or kind == "pg" else 0.0)
        self._cpu[key] = used

    def cpu_seconds(self, kind: str) -> float:
        total = sum(v - self._cpu_start.get(k, 0.0) for k, v in self._cpu.items() if k[0] == kind)
        return total - (self._own_cpu if kind == "python" else 0.0)

    def _run(self) -> None:
        started = time.thread_time()
        ticks = 0
        python: list[Any] = [self.me]
        backends: list[Any] = []
        while not self._stop.is_set():
            if ticks % 20 == 0:
                python = [self.me, *self.me.children(recursive=True)]
                backends = self._postgres_backends()
                uss = 0
                for proc in backends:
                    try:
                        uss += proc.memory_full_info().uss
                    except self.psutil.Error:
                        pass
                self.peak_postgres = max(self.peak_postgres, uss)
            total = 0
            for proc in python:
                try:
                    total += proc.memory_info().rss
                except self.psutil.Error:
                    pass
                self._note_cpu("python", proc)
            self.peak_python = max(self.peak_python, total)
            for proc in backends:
                self._note_cpu("pg", proc)
            ticks += 1
            self._own_cpu = time.thread_time() - started
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed_run(label: str, as_of: dt.date, workers: int, chunk_size: int, database: str) -> dict[str, Any]:
    from eligibility.batch import reevaluate

    with PeakRss(database) as rss:
        report = reevaluate(as_of, workers=workers, chunk_size=chunk_size)
    print(
        f"{label}: {report.seconds:.1f} s wall, {report.households_per_second:,.0f} households/s; "
        f"checked {report.checked:,}, changed {report.changed:,}, unchanged {report.unchanged:,}, "
        f"failed {report.failed:,}, rows written {report.written:,}; "
        f"peak RSS {rss.peak_python / 2**20:,.0f} MiB (Python, all processes), "
        f"PostgreSQL backends {rss.peak_postgres / 2**20:,.0f} MiB (private USS); "
        f"CPU {rss.cpu_seconds('python'):.1f} s Python + {rss.cpu_seconds('pg'):.1f} s PostgreSQL "
        f"(machine load average {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    return {"report": report, "rss": rss.peak_python, "pg": rss.peak_postgres}


def verify_sample(as_of: dt.date, size: int, seed: int = 20261201) -> tuple[int, int, list[str]]:
    """Compare stored determinations with the single path on a random sample of households."""
    from applications.models import Household
    from eligibility.batch import DeterminationValues, values_from_payload
    from eligibility.models import Determination
    from eligibility.services import evaluate_household

    ids = list(Household.objects.values_list("id", flat=True).order_by("id"))
    sample = sorted(random.Random(seed).sample(ids, min(size, len(ids))))
    stored = {d.pk: d for d in Determination.objects.filter(pk__in=sample)}
    households = Household.objects.prefetch_related("members__incomes", "vehicles").filter(pk__in=sample)
    agree, problems = 0, []
    for household in households:
        expected = values_from_payload(evaluate_household(household, as_of=as_of))
        row = stored.get(household.pk)
        got = DeterminationValues.of(row) if row is not None else None
        if got == expected and row is not None and not row.error:
            agree += 1
        else:
            problems.append(f"household {household.pk}: batch {got} ≠ single {expected}")
    return agree, len(sample), problems


def tier_spread() -> dict[str, int]:
    from django.db.models import Count

    from eligibility.models import Determination

    spread = dict(Determination.objects.values_list("primary_tier").annotate(n=Count("pk")).order_by("primary_tier"))
    spread["(single-person dibao cases)"] = Determination.objects.filter(tiers__gte=4).filter(single_fen__gt=0).count()
    spread["(low_income + expenditure_hardship)"] = Determination.objects.filter(tiers=8 | 16).count()
    return spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 12, 1))
    parser.add_argument("--sample", type=int, default=600)
    parser.add_argument("--database", default=BENCH_DB)
    parser.add_argument("--reuse", action="store_true", help="keep the generated households if the count matches")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()

    url = bench_database_url(args.database)
    create_database(url)
    setup_django(url)
    from django.db import connection

    from applications.models import Household
    from eligibility.batch import DEFAULT_CHUNK_SIZE

    chunk_size = args.chunk_size or DEFAULT_CHUNK_SIZE
    print(
        f"database {args.database}; {args.households:,} households; as_of {args.as_of}; "
        f"{args.workers} workers, chunks of {chunk_size:,}",
        flush=True,
    )
    if args.reuse and Household.objects.count() == args.households:
        print("reusing the generated households", flush=True)
    else:
        timings = generate(args.households, args.as_of)
        print(
            f"generation: {timings['total']:.1f} s ("
            + ", ".join(f"{k} {v:.1f}" for k, v in timings.items() if k != "total")
            + ")",
            flush=True,
        )
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM applications_member), (SELECT count(*) FROM applications_incomeitem), "
            "(SELECT count(*) FROM applications_vehicle)"
        )
        members, incomes, vehicles = cur.fetchone()
        print(
            f"caseload: {args.households:,} households, {members:,} members ({members / args.households:.2f} each), "
            f"{incomes:,} income items, {vehicles:,} vehicles",
            flush=True,
        )
        cur.execute("TRUNCATE eligibility_determination")
    connection.close()
    if args.generate_only:
        return

    first = timed_run("run 1 (all new)", args.as_of, args.workers, chunk_size, args.database)
    print("primary tiers:", tier_spread(), flush=True)
    modified = change_one_percent()
    vacuum_analyze()
    connection.close()
    print(f"changed {modified:,} households (~1 %)", flush=True)
    second = timed_run("run 2 (~1 % changed)", args.as_of, args.workers, chunk_size, args.database)
    third = timed_run("run 3 (nothing changed)", args.as_of, args.workers, chunk_size, args.database)

    agree, total, problems = verify_sample(args.as_of, args.sample)
    print(
        f"single path agreement: {agree}/{total} sampled households identical "
        "(primary tier, monthly amount to the fen, tier flags, per-tier amounts, members)",
        flush=True,
    )
    for line in problems[:20]:
        print("  ", line)
    ok = (
        not problems
        and first["report"].changed == args.households - first["report"].failed
        and second["report"].changed <= modified
        and third["report"].written == 0
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
