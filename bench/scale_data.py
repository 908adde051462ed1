"""Generate a realistic caseload at scale directly in PostgreSQL (issues 7 and 8 benchmarks).

    .venv/bin/python bench/scale_data.py --database hefei_aid_bench_dash \
        --households 400000 --applications 1000000 --enrolled 300000 [--seed 1] [--force]

On the server of DATABASE_URL (else the embedded one) it (re)creates the database ``--database``,
migrates it, loads the demo data (``manage.py load_demo``: staff, regions' service brands, policy
parameters, the demo cases of the four demo streets), then adds with set-based SQL
(``INSERT … SELECT`` over ``generate_series`` and temp tables; foreign-key triggers skipped while
loading rows that are consistent by construction):

- N households with ~2.5 members, incomes and vehicles over the 160 streets (the generator of
  ``bench/eligibility_batch.py``, ids after the demo's), and their engine determinations
  (``eligibility.batch.reevaluate``: the tiers and amounts the enrolments rest on);
- staff for every street without demo staff (clerk, reviewer, approver; a supervisor per county);
- N applications 2024-01-01 … today (≈97 % accepted into cases, the rest refused at the window,
  withdrawn or waiting), cases with realistic statuses (open cases in the last ~45 days spread over
  the steps, some overdue; older ones approved / refused / withdrawn), deadlines, accepted / opinion /
  closed dates, the accept and last transitions, decisions (approved / refused) and receipt counters;
- N enrolments (households preferred in order of their engine tier; 35 % historical imports, the
  rest from an approved case), 1–2 periods each (raise / lower / 渐退 / stop after a review), payment
  rolls of the last 12 months per street (locked, the current month a draft) with their lines for the
  cash tiers (特困 / 低保), re-verification runs and review tasks (resolved with outcomes, or open),
  monitoring alerts, and charity hand-offs for the counties that have a fund.

Append-only / lock triggers are respected: rows are only inserted (rolls inserted as drafts, lines
added, then locked with an UPDATE that the lock trigger allows). ``ANALYZE`` at the end. Writes
``var/bench/<database>.ready`` (JSON: arguments, counts, timings). When that file exists with the
same arguments the database is reused as is (``--force`` rebuilds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import eligibility_batch as eb  # noqa: E402  (bench/eligibility_batch.py: the household generator)

READY_DIR = BASE_DIR / "var" / "bench"
FIRST_DAY = dt.date(2024, 1, 1)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)


# --- database ---------------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def database_size(url: str) -> int:
    import psycopg2

    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        size: int = cur.fetchone()[0]
    conn.close()
    return size


class Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def step(self, label: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        self.timings[label] = round(time.perf_counter() - t0, 1)
        log(f"{label}: {self.timings[label]:.1f} s")
        return result


def run_sql(cur: Any, sql: str, params: dict[str, Any] | None = None) -> None:
    for statement in [s.strip() for s in sql.split(";\n") if s.strip()]:
        cur.execute(statement, params)


def replica_role(cur: Any, on: bool) -> None:
    """Skip FK triggers while loading consistent rows (superuser only; else just slower)."""
    from django.db import DatabaseError, transaction

    if on:
        try:
            with transaction.atomic():
                cur.execute("SET session_replication_role = replica")
        except DatabaseError:
            log("(not a superuser: loading with foreign-key checks)")
    else:
        cur.execute("RESET session_replication_role")


# --- households (the eligibility bench's generator, placed after the demo's ids) ----------------------


def generate_households(n: int, as_of: dt.date, seed: int) -> tuple[int, int]:
    from django.db import connection

    from accounts.crypto import encrypt

    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM applications_household")
        h_off = int(cur.fetchone()[0]) + 1000
        cur.execute("SELECT coalesce(max(id), 0) FROM applications_member")
        m_off = int(cur.fetchone()[0]) + 1000
        cur.execute("SELECT count(*) FROM accounts_region WHERE level = 'street'")
        streets = cur.fetchone()[0]
        cur.execute("SET work_mem = '256MB'")
        replica_role(cur, True)
        sql = eb.GENERATION_SQL.replace("{profile_case}", eb._profile_case()).replace("{streets}", str(streets))
        replacements = [
            ("generate_series(1, {n})", f"generate_series({h_off + 1}, {h_off + n})"),
            (
                "SELECT row_number() OVER (ORDER BY n, j) AS id,",
                f"SELECT {m_off} + row_number() OVER (ORDER BY n, j) AS id,",
            ),
            ("SELECT setseed(0.20261201)", f"SELECT setseed({(seed % 1000) / 1000.0 + 0.0001})"),
        ]
        for old, new in replacements:
            if old not in sql:
                raise RuntimeError(f"bench/eligibility_batch.py's generator changed: {old!r} not found")
            sql = sql.replace(old, new)
        params = {"id_number": encrypt(eb.dummy_resident_id()), "as_of": as_of}
        for statement in [s.strip() for s in sql.split(";\n") if s.strip()]:
            cur.execute(statement, params if "%(" in statement else None)
        cur.execute("DROP TABLE gen_m, gen_h, gen_street")
        # The generator gives every member the same masked ID; a search by masked ID would then find
        # the whole street. Give each a plausible one (county of the street + 4 varied last digits).
        cur.execute(MASKED_SQL.format(hmin=h_off + 1, hmax=h_off + n))
        replica_role(cur, False)
        for table in (
            "applications_household",
            "applications_member",
            "applications_incomeitem",
            "applications_vehicle",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")
    return h_off + 1, h_off + n


MASKED_SQL = """
UPDATE applications_member m
SET id_masked = left(h.street_id, 6) || '********' || lpad(((m.id * 7919) % 1000)::text, 3, '0')
                || substr('0123456789X', 1 + ((m.id * 31) % 11)::int, 1)
FROM applications_household h
WHERE h.id = m.household_id AND m.household_id BETWEEN {hmin} AND {hmax}
"""


def determinations(as_of: dt.date) -> None:
    from django.db import connection

    from eligibility.batch import reevaluate

    connection.close()
    report = reevaluate(as_of, workers=2)
    log(f"  engine: checked {report.checked:,}, failed {report.failed:,}")


# --- staff ----------------------------------------------------------------------------------------


def bench_staff() -> int:
    """A clerk, reviewer and approver for every street without demo staff, a supervisor per county."""
    from django.contrib.auth.hashers import make_password

    from accounts.demo import DEMO_PASSWORD
    from accounts.models import Region, Role, User

    password = make_password(DEMO_PASSWORD)
    have = set(User.objects.values_list("region_id", "role"))
    new: list[User] = []
    for region in Region.objects.filter(level__in=["street", "county"]).order_by("code"):
        roles = [Role.CLERK, Role.REVIEWER, Role.APPROVER] if region.level == "street" else [Role.SUPERVISOR]
        for role in roles:
            if (region.code, role) not in have:
                new.append(
                    User(
                        username=f"bench_{role}_{region.code}",
                        full_name=f"{region.name[:20]}{role}",
                        role=role,
                        region_id=region.code,
                        password=password,
                    )
                )
    User.objects.bulk_create(new)
    return len(new)


# --- the caseload ---------------------------------------------------------------------------------

STAFF_SQL = """
DROP TABLE IF EXISTS sc_staff;
CREATE TEMP TABLE sc_staff AS
SELECT s.code AS street, s.parent_id AS county, s.name AS street_name,
       (SELECT min(id) FROM accounts_user u WHERE u.region_id = s.code AND u.role = 'clerk') AS clerk,
       (SELECT min(id) FROM accounts_user u WHERE u.region_id = s.code AND u.role = 'reviewer') AS reviewer,
       (SELECT min(id) FROM accounts_user u WHERE u.region_id = s.code AND u.role = 'approver') AS approver,
       (SELECT min(id) FROM accounts_user u WHERE u.region_id = s.parent_id AND u.role = 'supervisor') AS supervisor
FROM accounts_region s WHERE s.level = 'street';
ALTER TABLE sc_staff ADD PRIMARY KEY (street);
DROP TABLE IF EXISTS sc_users;
CREATE TEMP TABLE sc_users AS SELECT id, username FROM accounts_user;
ALTER TABLE sc_users ADD PRIMARY KEY (id);
DROP TABLE IF EXISTS sc_head;
CREATE TEMP TABLE sc_head AS
SELECT DISTINCT ON (m.household_id) m.household_id, m.id AS member_id, m.name, m.id_masked, m.id_index
FROM applications_member m WHERE m.household_id BETWEEN {hmin} AND {hmax} ORDER BY m.household_id, m.id;
ALTER TABLE sc_head ADD PRIMARY KEY (household_id)
"""

# Enrolled households: eligible ones first (engine tier), then others (enrolled as 低收入 on their
# past situation; the engine now says "none", so they carry an open review task proposing to stop).
ENROLMENT_SQL = """
DROP TABLE IF EXISTS sc_enr;
CREATE TEMP TABLE sc_enr AS
WITH picked AS (
    SELECT h.id AS household_id, h.street_id AS street, h.community_id AS community,
           coalesce(d.primary_tier, 'none') AS engine_tier, coalesce(d.monthly_amount_fen, 0) AS engine_fen,
           coalesce(d.tekun_members, '{{}}') AS tekun_members
    FROM applications_household h LEFT JOIN eligibility_determination d ON d.household_id = h.id
    WHERE h.id BETWEEN {hmin} AND {hmax}
    ORDER BY (coalesce(d.primary_tier, 'none') = 'none' OR coalesce(d.error, '') <> ''), random()
    LIMIT {enrolled}
), base AS (
    SELECT p.*, {e_base} + row_number() OVER (ORDER BY household_id) AS e_id, random() AS u, random() AS v,
           random() AS w,
           CASE WHEN engine_tier IN ('tekun', 'dibao', 'low_income', 'expenditure_hardship') THEN engine_tier
                ELSE 'low_income' END AS tier
    FROM picked p
), dated AS (
    SELECT b.*,
           CASE WHEN tier IN ('tekun', 'dibao') THEN round(engine_fen / 100.0, 2) ELSE 0 END AS amount,
           u >= 0.35 AS case_based,
           -- case-based: the decision closed between 2024-02-01 and 10 days ago; imports before 2024
           CASE WHEN u >= 0.35 THEN DATE '2024-02-01' + floor(w * (DATE '{today}' - 10 - DATE '2024-02-01'))::int
           END AS closed_on,
           CASE WHEN u < 0.35 THEN (DATE '2018-01-01' + floor(w * 2160)::int) END AS import_day
    FROM base b
), months AS (
    SELECT d.*,
           CASE WHEN closed_on IS NOT NULL THEN (date_trunc('month', closed_on) + interval '1 month')::date
                ELSE date_trunc('month', import_day)::date END AS start_month
    FROM dated d
)
SELECT m.*,
       -- what happened since: changes take effect between 6 months after the start and this month
       CASE WHEN start_month + interval '6 months' > DATE '{month}' THEN 'single'
            WHEN engine_tier = 'none' OR engine_fen = 0 AND tier IN ('tekun', 'dibao') THEN 'single'
            WHEN v < 0.70 THEN 'single'
            WHEN v < 0.82 AND tier NOT IN ('tekun', 'dibao') THEN 'keep'
            WHEN v < 0.76 THEN 'raise'
            WHEN v < 0.82 THEN 'lower'
            WHEN v < 0.88 THEN 'stop'
            WHEN v < 0.91 THEN 'gradual_exit'
            WHEN v < 0.95 THEN 'keep'
            ELSE 'open' END AS change,
       (start_month + interval '1 month' * (6 + floor(random() * greatest(1,
           (extract(year FROM DATE '{month}') * 12 + extract(month FROM DATE '{month}'))
           - (extract(year FROM start_month) * 12 + extract(month FROM start_month)) - 5))))::date AS change_month
FROM months m;
ALTER TABLE sc_enr ADD PRIMARY KEY (e_id);
CREATE INDEX ON sc_enr (household_id)
"""

APPLICATION_SQL = """
DROP TABLE IF EXISTS sc_app0;
CREATE TEMP TABLE sc_app0 AS
SELECT e.household_id, 'enr'::text AS src, e.e_id, e.closed_on,
       e.closed_on - (15 + floor(random() * 26))::int AS accepted_on,
       ARRAY[CASE e.tier WHEN 'expenditure_hardship' THEN 'expenditure_hardship' ELSE e.tier END]::varchar[] AS types,
       random() AS u, random() AS r
FROM sc_enr e WHERE e.case_based
UNION ALL
SELECT {hmin} + floor(random() * ({hmax} - {hmin} + 1))::bigint, 'pool', NULL::bigint, NULL::date,
       DATE '{first}' + floor(random() * (DATE '{today}' - DATE '{first}' + 1))::int,
       string_to_array((ARRAY['dibao', 'dibao', 'dibao,medical', 'tekun', 'low_income', 'low_income,education',
                               'expenditure_hardship,medical', 'emergency', 'emergency', 'emergency,medical'])
                        [1 + floor(random() * 10)::int], ',')::varchar[],
       random(), random()
FROM generate_series(1, {npool});

DROP TABLE IF EXISTS sc_app;
CREATE TEMP TABLE sc_app AS
WITH a AS (
    SELECT x.*, h.street_id AS street, h.community_id AS community, DATE '{today}' - x.accepted_on AS age,
           {a_base} + row_number() OVER (ORDER BY x.accepted_on, x.household_id, x.u) AS app_id
    FROM sc_app0 x JOIN applications_household h ON h.id = x.household_id
), s AS (
    SELECT a.*,
           CASE WHEN src = 'enr' THEN 'approved'
                WHEN u < 0.03 THEN NULL  -- never accepted
                WHEN age <= 45 THEN (ARRAY['accepted', 'checking', 'investigation', 'opinion', 'notice_pending',
                                            'notice', 'review'])[least(7, greatest(1, 1 + floor((age - r * 12) / 6)::int))]
                WHEN 'emergency' = ANY(types) THEN CASE WHEN r < 0.80 THEN 'approved' WHEN r < 0.95 THEN 'refused'
                                                   ELSE 'withdrawn' END
                WHEN r < 0.65 THEN 'refused' ELSE 'withdrawn' END AS case_status
    FROM a
)
SELECT s.*,
       CASE WHEN case_status IS NOT NULL THEN 'accepted'
            WHEN age <= 5 THEN 'submitted'
            WHEN r < 0.6 THEN 'rejected_at_window' ELSE 'withdrawn' END AS app_status,
       extract(year FROM accepted_on)::int AS year,
       CASE WHEN case_status IS NOT NULL THEN app_id END AS case_id,
       CASE WHEN src = 'enr' THEN closed_on
            WHEN case_status = 'withdrawn' THEN accepted_on + 1 + floor(r * 14)::int
            WHEN case_status IN ('approved', 'refused') THEN least(DATE '{today}', accepted_on + 15 + floor(r * 26)::int)
       END AS closed
FROM s;
ALTER TABLE sc_app ADD PRIMARY KEY (app_id);

DROP TABLE IF EXISTS sc_app_no;
CREATE TEMP TABLE sc_app_no AS
SELECT a.app_id,
       a.street || '-' || a.year || '-' || lpad((coalesce(c.last, 0)
           + row_number() OVER (PARTITION BY a.street, a.year ORDER BY a.app_id))::text, 6, '0') AS receipt_no
FROM sc_app a LEFT JOIN applications_receiptcounter c ON c.street_id = a.street AND c.year = a.year;
ALTER TABLE sc_app_no ADD PRIMARY KEY (app_id);

INSERT INTO applications_application (id, receipt_no, street_id, community_id, household_id, channel, assistance_types,
    help_text, agent_note, status, status_reason, applicant_name, applicant_id_number, applicant_id_index,
    applicant_id_masked, applicant_phone, id_indexes, online_payload, emergency_kind, emergency_date, emergency_cost,
    emergency_insurance, emergency_other_aid, submitted_at, submitted_by_id, decided_at, decided_by_id)
SELECT a.app_id, n.receipt_no, a.street, a.community, a.household_id,
       (ARRAY['window', 'window', 'window', 'online', 'community', 'active_discovery'])[1 + floor(a.u * 6)::int],
       a.types, '家庭困难，申请救助。', '', a.app_status,
       CASE WHEN a.app_status = 'rejected_at_window' THEN '不属于本街道受理范围或材料不全，已一次性告知。'
            WHEN a.app_status = 'withdrawn' THEN '申请人撤回。' ELSE '' END,
       hd.name, %(id_number)s, hd.id_index, hd.id_masked, '', ARRAY[hd.id_index], '',
       CASE WHEN 'emergency' = ANY(a.types) THEN (ARRAY['fire', 'accident', 'sudden_illness', 'disaster'])[1 + floor(a.r * 4)::int]
            ELSE '' END,
       CASE WHEN 'emergency' = ANY(a.types) THEN a.accepted_on - 5 END,
       CASE WHEN 'emergency' = ANY(a.types) THEN round((3000 + a.r * 30000)::numeric, 2) END,
       CASE WHEN 'emergency' = ANY(a.types) THEN 0 END,
       CASE WHEN 'emergency' = ANY(a.types) THEN 0 END,
       (a.accepted_on + time '09:00' + a.u * interval '7 hours') AT TIME ZONE 'Asia/Shanghai', st.clerk,
       CASE WHEN a.app_status <> 'submitted' THEN (a.accepted_on + time '09:30' + a.u * interval '7 hours') AT TIME ZONE 'Asia/Shanghai' END,
       CASE WHEN a.app_status <> 'submitted' THEN st.clerk END
FROM sc_app a JOIN sc_app_no n USING (app_id) JOIN sc_head hd ON hd.household_id = a.household_id
JOIN sc_staff st ON st.street = a.street
ORDER BY a.app_id;

INSERT INTO applications_receiptcounter (street_id, year, last)
SELECT a.street, a.year, max(split_part(n.receipt_no, '-', 3)::int)
FROM sc_app a JOIN sc_app_no n USING (app_id) GROUP BY a.street, a.year
ON CONFLICT (street_id, year) DO UPDATE SET last = greatest(applications_receiptcounter.last, excluded.last)
"""

CASE_SQL = """
INSERT INTO casework_case (id, application_id, household_id, street_id, receipt_no, status, status_changed_at, accepted_on,
    accepted_by_id, fast_track, public_emergency_id, check_due, opinion_due, case_due, confirm_due, emergency_due,
    deadlines_provisional, approval_level, check_started_on, opinion_on, closed_on)
SELECT a.case_id, a.app_id, a.household_id, a.street, n.receipt_no, a.case_status,
       (coalesce(a.closed, a.accepted_on + least(a.age, 12)) + time '10:00') AT TIME ZONE 'Asia/Shanghai',
       a.accepted_on, st.clerk, false, NULL,
       a.accepted_on + 4, a.accepted_on + 10, a.accepted_on + 28,
       CASE WHEN a.case_status IN ('notice', 'review', 'approved', 'refused') THEN a.accepted_on + 33 END,
       NULL, false,
       CASE WHEN a.src = 'enr' AND a.r < 0.05 THEN 'county' ELSE 'street' END,
       CASE WHEN a.case_status <> 'accepted' THEN a.accepted_on + 1 + floor(a.r * 2)::int END,
       CASE WHEN a.case_status IN ('notice_pending', 'notice', 'review') THEN least(DATE '{today}', a.accepted_on + 12)
            WHEN a.case_status IN ('approved', 'refused') THEN greatest(a.accepted_on + 2, a.closed - 10) END,
       a.closed
FROM sc_app a JOIN sc_app_no n USING (app_id) JOIN sc_staff st ON st.street = a.street
WHERE a.case_id IS NOT NULL
ORDER BY a.case_id;

INSERT INTO casework_casetransition (case_id, from_status, to_status, action, actor_id, actor_label, at, reason)
SELECT a.case_id, '', 'accepted', 'accept', st.clerk, u.username,
       (a.accepted_on + time '09:30' + a.u * interval '7 hours') AT TIME ZONE 'Asia/Shanghai', ''
FROM sc_app a JOIN sc_staff st ON st.street = a.street JOIN sc_users u ON u.id = st.clerk
WHERE a.case_id IS NOT NULL
ORDER BY a.case_id;

INSERT INTO casework_casetransition (case_id, from_status, to_status, action, actor_id, actor_label, at, reason)
SELECT a.case_id, t.from_status, a.case_status, t.action, t.actor, u.username,
       (coalesce(a.closed, a.accepted_on + least(a.age, 12)) + time '10:00') AT TIME ZONE 'Asia/Shanghai', t.reason
FROM sc_app a JOIN sc_staff st ON st.street = a.street
CROSS JOIN LATERAL (VALUES (
    CASE a.case_status WHEN 'checking' THEN 'accepted' WHEN 'investigation' THEN 'checking'
         WHEN 'opinion' THEN 'investigation' WHEN 'notice_pending' THEN 'opinion' WHEN 'notice' THEN 'notice_pending'
         WHEN 'review' THEN 'notice' WHEN 'withdrawn' THEN 'investigation' ELSE 'review' END,
    CASE a.case_status WHEN 'checking' THEN 'start_check' WHEN 'investigation' THEN 'check_complete'
         WHEN 'opinion' THEN 'record_investigation' WHEN 'notice_pending' THEN 'issue_opinion'
         WHEN 'notice' THEN 'publish_notice' WHEN 'review' THEN 'close_notice' WHEN 'approved' THEN 'confirm'
         WHEN 'refused' THEN 'refuse' ELSE 'withdraw' END,
    CASE WHEN a.case_status IN ('approved', 'refused') THEN st.approver
         WHEN a.case_status IN ('checking', 'withdrawn') THEN st.clerk ELSE st.reviewer END,
    CASE a.case_status WHEN 'refused' THEN '家庭人均收入高于当地低保标准。' WHEN 'withdrawn' THEN '申请人撤回申请。'
         ELSE '' END
)) AS t(from_status, action, actor, reason)
JOIN sc_users u ON u.id = t.actor
WHERE a.case_id IS NOT NULL AND a.case_status <> 'accepted'
ORDER BY a.case_id;

INSERT INTO casework_decision (id, case_id, outcome, document_no, tier, monthly_amount, one_off_amount, start_month,
    evaluation, reasons, approval_level, decided_on, decided_by_id, decided_at)
SELECT a.case_id, a.case_id, CASE a.case_status WHEN 'approved' THEN 'approved' ELSE 'refused' END,
       n.receipt_no || CASE a.case_status WHEN 'approved' THEN '-P' ELSE '-R' END,
       CASE WHEN a.case_status = 'refused' THEN '' WHEN a.src = 'enr' THEN e.tier ELSE 'emergency' END,
       CASE WHEN a.src = 'enr' THEN e.amount1 ELSE 0 END,
       CASE WHEN a.src = 'pool' AND a.case_status = 'approved' THEN round((924 * (1 + a.r * 3))::numeric, 2) ELSE 0 END,
       CASE WHEN a.case_status = 'approved' THEN (date_trunc('month', a.closed) + interval '1 month')::date END,
       NULL,
       CASE WHEN a.case_status = 'refused' THEN '经核对，家庭人均收入高于当地低保标准，不符合条件。' ELSE '' END,
       CASE WHEN a.src = 'enr' AND a.r < 0.05 THEN 'county' ELSE 'street' END,
       a.closed, st.approver, (a.closed + time '16:00') AT TIME ZONE 'Asia/Shanghai'
FROM sc_app a JOIN sc_app_no n USING (app_id) JOIN sc_staff st ON st.street = a.street
LEFT JOIN sc_enr2 e ON e.e_id = a.e_id
WHERE a.case_status IN ('approved', 'refused')
ORDER BY a.case_id
"""

# Amounts and periods of the enrolments (first period's amount differs after a raise / lower).
ENROLMENT_ROWS_SQL = """
DROP TABLE IF EXISTS sc_enr2;
CREATE TEMP TABLE sc_enr2 AS
SELECT e.*,
       CASE e.change WHEN 'raise' THEN round(e.amount * 0.85, 2) WHEN 'lower' THEN round(e.amount * 1.15, 2)
            ELSE e.amount END AS amount1,
       e.change IN ('raise', 'lower', 'gradual_exit') AS two_periods,
       {p_base} + 2 * (e.e_id - {e_base}) - 1 AS p1, {p_base} + 2 * (e.e_id - {e_base}) AS p2,
       CASE WHEN e.tier = 'dibao' THEN 6 ELSE 12 END AS interval_months,
       DATE '{today}' - floor(random() * CASE WHEN e.tier = 'dibao' THEN 200 ELSE 390 END)::int AS verified_on
FROM sc_enr e;
ALTER TABLE sc_enr2 ADD PRIMARY KEY (e_id)
"""

ENROLMENT_INSERT_SQL = """
INSERT INTO casework_enrolment (id, household_id, street_id, case_id, status, tier, monthly_amount, start_month, end_month,
    current_period_id, basis_tier, basis_amount, review_interval_months, next_review_due, last_verified_on,
    previous_verified_on, last_run_id, created_at, created_by_id)
SELECT e.e_id, e.household_id, e.street, a.case_id,
       CASE WHEN e.change = 'stop' THEN 'closed'
            WHEN e.change = 'gradual_exit' AND (e.change_month + interval '5 months')::date < DATE '{month}' THEN 'closed'
            WHEN e.change = 'gradual_exit' THEN 'exiting' ELSE 'active' END,
       e.tier, e.amount, e.start_month,
       CASE WHEN e.change = 'stop' THEN (e.change_month - interval '1 month')::date
            WHEN e.change = 'gradual_exit' THEN (e.change_month + interval '5 months')::date END,
       CASE WHEN e.two_periods THEN e.p2 ELSE e.p1 END,
       CASE WHEN e.engine_tier = 'none' THEN 'low_income' ELSE e.engine_tier END,
       CASE WHEN e.engine_tier = 'none' THEN 0 ELSE e.amount END,
       e.interval_months, (e.verified_on + interval '1 month' * e.interval_months)::date, e.verified_on,
       (e.verified_on - interval '1 month' * e.interval_months)::date, NULL,
       (coalesce(e.closed_on, e.import_day) + time '16:00') AT TIME ZONE 'Asia/Shanghai', st.approver
FROM sc_enr2 e JOIN sc_staff st ON st.street = e.street
LEFT JOIN sc_app a ON a.e_id = e.e_id
ORDER BY e.e_id;

INSERT INTO casework_enrolmentperiod (id, enrolment_id, seq, kind, tier, monthly_amount, start_month, end_month, members,
    parameters_used, evaluation, earned_income, decision_id, review_task_id, reason, created_by_id, created_at, closed_at)
SELECT e.p1, e.e_id, 1, CASE WHEN e.case_based THEN 'enrol' ELSE 'import' END, e.tier, e.amount1, e.start_month,
       CASE WHEN e.two_periods OR e.change = 'stop' THEN (e.change_month - interval '1 month')::date END,
       CASE WHEN e.tier = 'tekun' THEN e.tekun_members ELSE '{{}}' END, '[]', NULL, 0,
       CASE WHEN e.case_based THEN a.case_id END, NULL,
       CASE WHEN e.case_based THEN '' ELSE '历史在册对象导入' END, st.approver,
       (coalesce(e.closed_on, e.import_day) + time '16:00') AT TIME ZONE 'Asia/Shanghai',
       CASE WHEN e.two_periods OR e.change = 'stop' THEN (e.change_month - 12 + time '16:00') AT TIME ZONE 'Asia/Shanghai' END
FROM sc_enr2 e JOIN sc_staff st ON st.street = e.street LEFT JOIN sc_app a ON a.e_id = e.e_id
ORDER BY e.e_id;

INSERT INTO casework_enrolmentperiod (id, enrolment_id, seq, kind, tier, monthly_amount, start_month, end_month, members,
    parameters_used, evaluation, earned_income, decision_id, review_task_id, reason, created_by_id, created_at, closed_at)
SELECT e.p2, e.e_id, 2, e.change, e.tier, e.amount, e.change_month,
       CASE WHEN e.change = 'gradual_exit' THEN (e.change_month + interval '5 months')::date END,
       CASE WHEN e.tier = 'tekun' THEN e.tekun_members ELSE '{{}}' END, '[]', NULL, 0, NULL, NULL,
       CASE e.change WHEN 'raise' THEN '复核：家庭收入减少，提高救助金。' WHEN 'lower' THEN '复核：家庭收入增加，降低救助金。'
            ELSE '复核：就业收入增加，实行渐退。' END,
       st.reviewer, (e.change_month - 12 + time '16:00') AT TIME ZONE 'Asia/Shanghai', NULL
FROM sc_enr2 e JOIN sc_staff st ON st.street = e.street
WHERE e.two_periods
ORDER BY e.e_id;

-- Re-verification runs (one a month) and review tasks: resolved ones behind every change, 'keep'
-- decisions, and open ones (including every household the engine no longer finds eligible).
INSERT INTO casework_reverificationrun (kind, as_of, scope_code, household_ids, trigger, task_trigger, status, created_at,
    started_at, finished_at, seconds, chunk_size, chunks_total, chunks_done, households_total, checked, unchanged,
    changed, failed)
SELECT 'scheduled', m::date, '', '{{}}', '定期复核(到期家庭)', 'scheduled', 'done',
       (m::date + time '02:00') AT TIME ZONE 'Asia/Shanghai', (m::date + time '02:00') AT TIME ZONE 'Asia/Shanghai',
       (m::date + time '02:01') AT TIME ZONE 'Asia/Shanghai', 60, 20000, 1, 1, 0, 0, 0, 0, 0
FROM generate_series(DATE '{first}', DATE '{month}', interval '1 month') m;

DROP TABLE IF EXISTS sc_task;
CREATE TEMP TABLE sc_task AS
SELECT e.*, CASE WHEN e.change = 'open' OR (e.engine_tier = 'none' AND e.change = 'single') THEN 'open'
                 ELSE 'resolved' END AS task_status,
       CASE WHEN e.change IN ('open', 'single') THEN date_trunc('month', DATE '{today}' - floor(random() * 25)::int)::date
            ELSE (e.change_month - interval '1 month')::date END AS run_month
FROM sc_enr2 e
WHERE e.change IN ('raise', 'lower', 'stop', 'gradual_exit', 'keep', 'open')
   OR (e.engine_tier = 'none' AND e.change = 'single');

INSERT INTO casework_reviewtask (run_id, enrolment_id, household_id, street_id, trigger, status, proposed_outcome,
    old_tier, old_amount, new_tier, new_amount, employment_driven, discrepancies, as_of, created_at, updated_at, outcome,
    reason, final_amount, effective_month, last_paid_month, evaluation, document_no, new_period_id, resolved_by_id,
    resolved_on, resolved_at)
SELECT r.id, t.e_id, t.household_id, t.street, 'scheduled', t.task_status,
       CASE WHEN t.engine_tier = 'none' THEN 'stop' WHEN t.change IN ('keep', 'open') THEN
            CASE WHEN random() < 0.5 THEN 'raise' ELSE 'lower' END ELSE t.change END,
       t.tier, t.amount1,
       CASE WHEN t.engine_tier = 'none' OR t.change = 'stop' THEN 'none' WHEN t.change = 'gradual_exit' THEN 'low_income'
            ELSE t.tier END,
       CASE WHEN t.engine_tier = 'none' OR t.change IN ('stop', 'gradual_exit') THEN 0 ELSE t.amount END,
       t.change = 'gradual_exit', '[]', t.run_month,
       (t.run_month + time '02:01') AT TIME ZONE 'Asia/Shanghai',
       (t.run_month + 10 + time '15:00') AT TIME ZONE 'Asia/Shanghai',
       CASE WHEN t.task_status = 'open' THEN '' ELSE t.change END,
       CASE WHEN t.task_status = 'open' THEN ''
            WHEN t.change = 'keep' THEN '入户核实：收入变化属临时性，维持原待遇。'
            WHEN t.change = 'raise' THEN '入户核实：家庭收入减少，按复核测算提高救助金。'
            WHEN t.change = 'lower' THEN '入户核实：家庭收入增加，按复核测算降低救助金。'
            WHEN t.change = 'stop' THEN '入户核实：家庭人均收入超过标准，停止救助。'
            ELSE '就业后收入超过标准，按规定渐退。' END,
       CASE WHEN t.task_status = 'open' THEN NULL WHEN t.change = 'stop' THEN 0 ELSE t.amount END,
       CASE WHEN t.task_status = 'open' OR t.change = 'keep' THEN NULL ELSE t.change_month END,
       CASE WHEN t.change = 'stop' THEN (t.change_month - interval '1 month')::date
            WHEN t.change = 'gradual_exit' THEN (t.change_month + interval '5 months')::date END,
       NULL, NULL,
       CASE WHEN t.two_periods AND t.task_status = 'resolved' THEN t.p2 END,
       CASE WHEN t.task_status = 'resolved' THEN st.approver END,
       CASE WHEN t.task_status = 'resolved' THEN t.run_month + 10 END,
       CASE WHEN t.task_status = 'resolved' THEN (t.run_month + 10 + time '15:00') AT TIME ZONE 'Asia/Shanghai' END
FROM sc_task t JOIN sc_staff st ON st.street = t.street
LEFT JOIN casework_reverificationrun r ON r.as_of = t.run_month AND r.trigger = '定期复核(到期家庭)'
ORDER BY t.e_id;

UPDATE casework_reverificationrun r SET changed = x.n, checked = x.n * 9, unchanged = x.n * 8,
       households_total = x.n * 9
FROM (SELECT run_id, count(*) AS n FROM casework_reviewtask GROUP BY run_id) x
WHERE x.run_id = r.id AND r.trigger = '定期复核(到期家庭)'
"""

# Payment rolls for the last 12 months per street (skipping any the demo generated), lines for
# every cash period covering the month, totals, then the months before this one locked.
ROLL_SQL = """
INSERT INTO casework_paymentroll (street_id, month, status, generated_at, generated_by_id, line_count, total_amount,
    totals, locked_at, locked_by_id)
SELECT st.street, m::date, 'draft', (m::date + 3 + time '09:00') AT TIME ZONE 'Asia/Shanghai', st.clerk, 0, 0, '{{}}',
       NULL, NULL
FROM sc_staff st CROSS JOIN generate_series(DATE '{month}' - interval '11 months', DATE '{month}', interval '1 month') m
WHERE NOT EXISTS (SELECT 1 FROM casework_paymentroll p WHERE p.street_id = st.street AND p.month = m::date)
ORDER BY 2, 1;

DROP TABLE IF EXISTS sc_roll;
CREATE TEMP TABLE sc_roll AS
SELECT id, street_id AS street, month FROM casework_paymentroll WHERE id > {roll_base};
CREATE INDEX ON sc_roll (street, month);

INSERT INTO casework_rollline (roll_id, kind, enrolment_id, period_id, bridging_id, household_id, payee_name, id_masked,
    community_name, tier, amount, bank_name, account_masked)
SELECT r.id, 'monthly', p.enrolment_id, p.id, NULL, e.household_id, hd.name, hd.id_masked, c.name, p.tier,
       p.monthly_amount, '', ''
FROM casework_enrolmentperiod p
JOIN sc_enr2 e ON e.e_id = p.enrolment_id
JOIN sc_roll r ON r.street = e.street AND r.month >= p.start_month AND (p.end_month IS NULL OR r.month <= p.end_month)
JOIN sc_head hd ON hd.household_id = e.household_id
JOIN accounts_region c ON c.code = e.community
WHERE p.tier IN ('tekun', 'dibao') AND p.monthly_amount > 0 AND p.enrolment_id > {e_base}
ORDER BY r.id, c.name, e.household_id;

UPDATE casework_paymentroll p SET line_count = x.n, total_amount = x.total, totals = x.totals
FROM (
    SELECT roll_id, sum(n)::int AS n, sum(total) AS total,
           jsonb_build_object('count', sum(n), 'total', sum(total)::text,
               'by_tier', jsonb_agg(jsonb_build_object('kind', 'monthly', 'tier', tier, 'count', n, 'total', total::text,
                   'kind_label', '月度救助金',
                   'tier_label', CASE tier WHEN 'dibao' THEN '最低生活保障' ELSE '特困人员救助供养' END)
                   ORDER BY tier)) AS totals
    FROM (SELECT roll_id, tier, count(*) AS n, sum(amount) AS total FROM casework_rollline
          WHERE roll_id IN (SELECT id FROM sc_roll) GROUP BY roll_id, tier) t
    GROUP BY roll_id
) x
WHERE x.roll_id = p.id
"""

LOCK_SQL = """
UPDATE casework_paymentroll p SET status = 'locked', locked_by_id = st.supervisor,
       locked_at = (p.month + 8 + time '10:00') AT TIME ZONE 'Asia/Shanghai'
FROM sc_staff st
WHERE st.street = p.street_id AND p.id IN (SELECT id FROM sc_roll) AND p.month < DATE '{month}'
  AND st.supervisor IS NOT NULL
"""

ALERT_SQL = """
INSERT INTO casework_alert (rule_id, household_id, member_id, street_id, message, facts, dedupe_key, status, created_at,
    handled_by_id, handled_at, handling_note, application_id)
SELECT x.rule, hd.household_id, hd.member_id, h.street_id,
       CASE x.rule WHEN 'high_medical_cost' THEN hd.name || ' 近12个月个人自付医疗费用较高'
            WHEN 'new_disability' THEN hd.name || ' 新增残疾认定'
            WHEN 'unemployment' THEN hd.name || ' 社保显示在职参保已中断'
            WHEN 'income_drop' THEN hd.name || ' 月工资收入明显下降'
            ELSE '家庭刚性支出超过上年收入' END,
       jsonb_build_object('as_of', x.day::text), 'bench:' || x.g, x.status,
       (x.day + time '03:00') AT TIME ZONE 'Asia/Shanghai',
       CASE WHEN x.status <> 'open' THEN st.reviewer END,
       CASE WHEN x.status <> 'open' THEN (x.day + 5 + time '11:00') AT TIME ZONE 'Asia/Shanghai' END,
       CASE WHEN x.status = 'dismissed' THEN '入户核实，家庭收入稳定，暂无需救助。' ELSE '' END, NULL
FROM (
    SELECT g, {hmin} + floor(random() * ({hmax} - {hmin} + 1))::bigint AS household_id,
           (ARRAY['high_medical_cost', 'new_disability', 'unemployment', 'income_drop', 'rigid_over_income'])
               [1 + floor(random() * 5)::int] AS rule,
           DATE '{today}' - floor(random() * 365)::int AS day,
           CASE WHEN random() < 0.35 THEN 'open' ELSE 'dismissed' END AS status
    FROM generate_series(1, {nalerts}) g
) x
JOIN sc_head hd ON hd.household_id = x.household_id
JOIN applications_household h ON h.id = x.household_id
JOIN sc_staff st ON st.street = h.street_id
ORDER BY x.day
"""

# Hand-offs (referred / accepted / declined / withdrawn: no money moved, so no journal entries) of
# closed cases of the counties that have a county fund, with their timeline events.
HANDOFF_SQL = """
DROP TABLE IF EXISTS sc_handoff;
CREATE TEMP TABLE sc_handoff AS
SELECT a.case_id, a.street, a.closed, f.id AS fund_id, st.reviewer, ch.id AS officer, hd.name,
       (ARRAY['referred', 'accepted', 'declined', 'withdrawn'])[1 + floor(random() * 4)::int] AS status,
       (ARRAY['medical', 'education', 'housing', 'living', 'other'])[1 + floor(random() * 5)::int] AS need_type,
       round((1000 + random() * 19000)::numeric, -2) AS asked
FROM sc_app a
JOIN sc_staff st ON st.street = a.street
JOIN charity_fund f ON f.region_id = st.county AND f.kind = 'county' AND f.active
JOIN LATERAL (SELECT min(id) AS id FROM accounts_user u WHERE u.role = 'charity' AND u.region_id = st.county) ch ON true
JOIN sc_head hd ON hd.household_id = a.household_id
WHERE a.case_status IN ('refused', 'approved') AND a.closed >= DATE '{today}' - 365 AND a.u < 0.15;

INSERT INTO charity_handoff (case_id, street_id, fund_id, need_type, description, amount_asked, consent_by, consent_relation,
    consent_on, consent_scan, status, status_changed_at, referred_by_id, referred_at, handled_by_id, decision_reason,
    grant_amount, approved_at, paid_at, closed_at)
SELECT case_id, street, fund_id, need_type, '救助后仍有未满足需求，经本人同意转介慈善救助。', asked, name, '本人', closed + 1, '',
       status, (closed + 6 + time '10:00') AT TIME ZONE 'Asia/Shanghai', reviewer,
       (closed + 2 + time '10:00') AT TIME ZONE 'Asia/Shanghai',
       CASE WHEN status IN ('accepted', 'declined') THEN officer END,
       CASE status WHEN 'declined' THEN '不符合本基金资助范围。' WHEN 'withdrawn' THEN '家庭已获其他渠道帮助，撤回转介。'
            ELSE '' END,
       NULL, NULL, NULL, NULL
FROM sc_handoff
ORDER BY closed, case_id;

INSERT INTO charity_handoffevent (handoff_id, action, from_status, to_status, actor_id, at, amount, reason)
SELECT h.id, 'refer', '', 'referred', h.referred_by_id, h.referred_at, NULL::numeric, ''
FROM charity_handoff h WHERE h.description = '救助后仍有未满足需求，经本人同意转介慈善救助。'
UNION ALL
SELECT h.id, CASE h.status WHEN 'accepted' THEN 'accept' WHEN 'declined' THEN 'decline' ELSE 'withdraw' END,
       'referred', h.status, coalesce(h.handled_by_id, h.referred_by_id), h.status_changed_at, NULL, h.decision_reason
FROM charity_handoff h WHERE h.description = '救助后仍有未满足需求，经本人同意转介慈善救助。' AND h.status <> 'referred'
"""


def max_id(cur: Any, table: str) -> int:
    cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
    return int(cur.fetchone()[0])


def fmt(sql: str, **values: Any) -> str:
    return sql.format(**values)


def caseload(args: argparse.Namespace, hmin: int, hmax: int, today: dt.date, timer: Timer) -> None:
    from django.db import connection

    from accounts.crypto import encrypt

    month = today.replace(day=1)
    with connection.cursor() as cur:
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute(f"SELECT setseed({(args.seed % 1000) / 1000.0 + 0.0002})")
        values = {
            "hmin": hmin,
            "hmax": hmax,
            "today": today.isoformat(),
            "month": month.isoformat(),
            "first": FIRST_DAY.isoformat(),
            "enrolled": args.enrolled,
            "e_base": max_id(cur, "casework_enrolment") + 1000,
            "p_base": max_id(cur, "casework_enrolmentperiod") + 1000,
            "a_base": max(
                max_id(cur, "applications_application"), max_id(cur, "casework_case"), max_id(cur, "casework_decision")
            )
            + 1000,
        }
        timer.step("staff and heads (temp)", run_sql, cur, fmt(STAFF_SQL, **values))
        timer.step("choose enrolled households (temp)", run_sql, cur, fmt(ENROLMENT_SQL, **values))
        cur.execute("SELECT count(*) FILTER (WHERE case_based) FROM sc_enr")
        case_based = int(cur.fetchone()[0])
        values["npool"] = max(0, args.applications - case_based)
        timer.step("enrolment rows (temp)", run_sql, cur, fmt(ENROLMENT_ROWS_SQL, **values))
        replica_role(cur, True)
        timer.step(
            "applications + receipt counters",
            run_sql,
            cur,
            fmt(APPLICATION_SQL, **values),
            {"id_number": encrypt(eb.dummy_resident_id())},
        )
        timer.step("cases + transitions + decisions", run_sql, cur, fmt(CASE_SQL, **values))
        timer.step("enrolments + periods + review tasks", run_sql, cur, fmt(ENROLMENT_INSERT_SQL, **values))
        values["nalerts"] = max(10, (hmax - hmin + 1) // 20)
        timer.step("alerts", run_sql, cur, fmt(ALERT_SQL, **values))
        timer.step("charity hand-offs", run_sql, cur, fmt(HANDOFF_SQL, **values))
        # Lines go into draft rolls (what the lock trigger checks); then the rolls before this month
        # are locked with the triggers active (draft → locked is the one change they allow).
        values["roll_base"] = max_id(cur, "casework_paymentroll")
        timer.step("payment rolls + lines (12 months)", run_sql, cur, fmt(ROLL_SQL, **values))
        replica_role(cur, False)
        timer.step("lock past rolls (triggers on)", run_sql, cur, fmt(LOCK_SQL, **values))
        for table in (
            "applications_application",
            "casework_case",
            "casework_decision",
            "casework_enrolment",
            "casework_enrolmentperiod",
        ):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


COUNTED = [
    ("households", "applications_household"),
    ("members", "applications_member"),
    ("income_items", "applications_incomeitem"),
    ("applications", "applications_application"),
    ("cases", "casework_case"),
    ("case_transitions", "casework_casetransition"),
    ("decisions", "casework_decision"),
    ("enrolments", "casework_enrolment"),
    ("enrolment_periods", "casework_enrolmentperiod"),
    ("payment_rolls", "casework_paymentroll"),
    ("roll_lines", "casework_rollline"),
    ("review_tasks", "casework_reviewtask"),
    ("alerts", "casework_alert"),
    ("charity_handoffs", "charity_handoff"),
    ("users", "accounts_user"),
]


def counts() -> dict[str, Any]:
    from django.db import connection

    out: dict[str, Any] = {}
    with connection.cursor() as cur:
        for label, table in COUNTED:
            cur.execute(f"SELECT count(*) FROM {table}")
            out[label] = cur.fetchone()[0]
        cur.execute("SELECT status, count(*) FROM casework_case GROUP BY 1 ORDER BY 1")
        out["cases_by_status"] = dict(cur.fetchall())
        cur.execute("SELECT tier, count(*) FROM casework_enrolment WHERE status <> 'closed' GROUP BY 1 ORDER BY 1")
        out["open_enrolments_by_tier"] = dict(cur.fetchall())
        cur.execute("SELECT count(DISTINCT household_id) FROM casework_enrolment")
        out["enrolled_households"] = cur.fetchone()[0]
    return out


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def command(database: str, households: int, applications: int, enrolled: int) -> list[str]:
    """The command line that builds (or reuses) ``database`` with this caseload: the benches that
    need a scaled database (bench/dashboard.py, bench/load_test.py) run it as a subprocess."""
    return [
        sys.executable,
        str(BASE_DIR / "bench" / "scale_data.py"),
        "--database",
        database,
        "--households",
        str(households),
        "--applications",
        str(applications),
        "--enrolled",
        str(enrolled),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True)
    parser.add_argument("--households", type=int, required=True)
    parser.add_argument("--applications", type=int, required=True)
    parser.add_argument("--enrolled", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="rebuild even if the database is ready")
    args = parser.parse_args()
    if args.enrolled > args.households:
        parser.error("--enrolled cannot exceed --households")

    wanted = {k: getattr(args, k) for k in ("households", "applications", "enrolled", "seed")}
    ready_file = READY_DIR / f"{args.database}.ready"
    url = eb.bench_database_url(args.database)
    if ready_file.exists() and not args.force:
        ready = json.loads(ready_file.read_text())
        if ready.get("arguments") == wanted:
            eb.setup_django(url)  # apply migrations added since it was built
            log(f"{args.database} is ready ({ready_file}; migrations applied); --force to rebuild")
            return
    ready_file.unlink(missing_ok=True)
    started = time.perf_counter()
    timer = Timer()
    log(f"building {args.database}: {wanted}")
    timer.step("create database", recreate_database, url)
    timer.step("migrate", eb.setup_django, url)
    from django.core.management import call_command
    from django.utils import timezone

    timer.step("load_demo", call_command, "load_demo", "--quiet-accounts", verbosity=0)
    today = timezone.localdate()
    hmin, hmax = timer.step(
        "households (eligibility bench generator)", generate_households, args.households, today, args.seed
    )
    timer.step("determinations (eligibility.batch.reevaluate)", determinations, today)
    created = timer.step("bench staff", bench_staff)
    log(f"  {created} staff accounts added")
    caseload(args, hmin, hmax, today, timer)
    timer.step("VACUUM ANALYZE", analyze)
    total = round(time.perf_counter() - started, 1)
    result = {
        "database": args.database,
        "arguments": wanted,
        "as_of": today.isoformat(),
        "bench_household_ids": [hmin, hmax],
        "counts": counts(),
        "timings_s": timer.timings,
        "build_seconds": total,
        "database_bytes": database_size(url),
        "load_average": os.getloadavg(),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    READY_DIR.mkdir(parents=True, exist_ok=True)
    partial = ready_file.with_suffix(".partial")
    partial.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    partial.replace(ready_file)  # atomic: a reader never sees half a file
    log(f"done in {total:.1f} s; database {result['database_bytes'] / 2**30:.2f} GiB; {ready_file}")
    print(json.dumps(result["counts"], indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
