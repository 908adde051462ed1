"""Set-based re-evaluation of the stored caseload (issue 3, batch path; used by issue 5's re-verification).

One chunk of household ids ``[id_from, id_to)`` is one transaction:

1. a transaction-scoped advisory lock on the chunk, so two workers handed the same chunk (a Celery
   redelivery, a rerun) run one after the other — the second finds every determination current;
2. ONE query, read through a server-side cursor: per household its assets, its counted members with
   incomes already summed in SQL by class (earned = wage + business; other non-exempt; exempt kinds
   ignored) and the age/disability flags the rules need, the highest non-business vehicle price,
   the rigid expenditure, and the stored determination (LEFT JOIN) — no ORM object per row;
3. ``fast.evaluate_batch`` per street, with ``FastParams`` built once per (street, as_of) and reused
   until a policy parameter changes;
4. only households whose result differs from the stored one are written, in the same transaction:
   first determinations with COPY straight into the table; changed ones with COPY into a temp table,
   then ``INSERT … ON CONFLICT DO UPDATE … WHERE <values differ>``. The WHERE makes the write a
   claim: a row another worker already brought up to date is not written (or counted) twice; the
   replaced values go to ``previous`` (old vs new for issue 5's review tasks). A first determination
   that a worker on an overlapping range wrote meanwhile breaks the COPY on the primary key, and the
   chunk is redone through the upsert.

A household whose evaluation fails (a parameter with no value in force, an unknown income kind) gets
``error`` set and is counted as failed — never a silent zero; its last good values are kept.

Money stays integer fen throughout; ``fast`` agrees with the Decimal rules to the fen.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import io
import json
import multiprocessing
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import Max, Min
from django.utils import timezone
from psycopg2.errors import UniqueViolation

from accounts.models import Region
from applications.models import Household, IncomeItem, Member, Vehicle
from eligibility.models import Determination, PolicyParameter
from eligibility.rules import fast
from eligibility.rules.common import age_on
from eligibility.rules.parameters import MissingParameter, ParameterSet, ParamValue
from eligibility.rules.types import COUNTED_INCOME_KINDS, EARNED_INCOME_KINDS, INCOME_KINDS

DEFAULT_CHUNK_SIZE = 20_000
_TIER_BITS = 31  # tekun, dibao, single-person dibao, low_income, expenditure_hardship (not "property passed")
_LOCK_NAMESPACE = b"eligibility.batch"

# --- reports ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeterminationValues:
    """What a determination says; two are equal exactly when the batch path would not rewrite."""

    primary_tier: str
    tiers: int
    monthly_amount_fen: int
    tekun_fen: int = 0
    dibao_fen: int = 0
    single_fen: int = 0
    tekun_members: tuple[int, ...] = ()
    single_members: tuple[int, ...] = ()

    @classmethod
    def from_json(cls, raw: dict[str, Any] | str | None) -> DeterminationValues | None:
        # Django leaves jsonb undecoded on the raw connection: it decodes in JSONField.from_db_value.
        data: dict[str, Any] | None = json.loads(raw) if isinstance(raw, str) else raw
        if not data:
            return None
        return cls(
            primary_tier=data["primary_tier"],
            tiers=data["tiers"],
            monthly_amount_fen=data["monthly_amount_fen"],
            tekun_fen=data["tekun_fen"],
            dibao_fen=data["dibao_fen"],
            single_fen=data["single_fen"],
            tekun_members=tuple(data["tekun_members"]),
            single_members=tuple(data["single_members"]),
        )

    @classmethod
    def of(cls, determination: Determination) -> DeterminationValues:
        return cls(
            primary_tier=determination.primary_tier,
            tiers=determination.tiers,
            monthly_amount_fen=determination.monthly_amount_fen,
            tekun_fen=determination.tekun_fen,
            dibao_fen=determination.dibao_fen,
            single_fen=determination.single_fen,
            tekun_members=tuple(determination.tekun_members),
            single_members=tuple(determination.single_members),
        )


@dataclass(frozen=True)
class Change:
    """One household whose determination this run changed; ``old`` is None for a first one."""

    household_id: int
    old: DeterminationValues | None
    new: DeterminationValues


@dataclass
class ChunkReport:
    id_from: int
    id_to: int
    checked: int = 0  # households read
    unchanged: int = 0  # evaluated, same values as stored
    changed: int = 0  # evaluated, values written (first determinations included)
    failed: int = 0  # evaluation failed; ``error`` set (written only when the message changed)
    written: int = 0  # rows actually inserted or updated (changed + new/changed errors + errors cleared)
    seconds: float = 0.0
    changes: list[Change] = field(default_factory=list)  # only with collect_changes=True
    failures: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class BatchReport:
    as_of: date
    run_at: datetime  # changed_at of every determination this run changed
    checked: int = 0
    unchanged: int = 0
    changed: int = 0
    failed: int = 0
    written: int = 0
    chunks: int = 0
    seconds: float = 0.0

    @property
    def households_per_second(self) -> float:
        return self.checked / self.seconds if self.seconds else 0.0

    def changed_ids(self) -> list[int]:
        """Households whose determination this run changed (their ``previous`` holds the old values)."""
        return list(changed_determinations(self.run_at).values_list("household_id", flat=True))

    def add(self, chunk: ChunkReport) -> None:
        self.checked += chunk.checked
        self.unchanged += chunk.unchanged
        self.changed += chunk.changed
        self.failed += chunk.failed
        self.written += chunk.written
        self.chunks += 1

    def __str__(self) -> str:
        return (
            f"as_of {self.as_of}: checked {self.checked}, unchanged {self.unchanged}, changed {self.changed}, "
            f"failed {self.failed}, rows written {self.written}, {self.chunks} chunks, {self.seconds:.1f} s "
            f"({self.households_per_second:,.0f} households/s)"
        )


def changed_determinations(run_at: datetime) -> Any:
    """Determinations changed by the run started at ``run_at`` (old values in ``previous``)."""
    return Determination.objects.filter(changed_at=run_at, error="").exclude(primary_tier="")


# --- age and parameters ----------------------------------------------------------------------------


def age_cutoff(as_of: date, years: int) -> date:
    """The latest birth date whose age on ``as_of`` is at least ``years``.

    ``age_on`` (whole years, birthday rule, 29 Feb → 1 Mar) never increases with the birth date, so
    "age ≥ years" ⇔ "birth_date ≤ cutoff": a comparison SQL can do for every member at once, found
    here with the rules' own function rather than re-implementing the birthday rule.
    """
    lo = as_of.toordinal() - (years + 1) * 366 - 1  # certainly old enough
    hi = as_of.toordinal() + 1  # certainly not (or born after as_of)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        born = date.fromordinal(mid)
        if born <= as_of and age_on(born, as_of) >= years:
            lo = mid
        else:
            hi = mid
    return date.fromordinal(lo)


_params_cache: dict[tuple[str, date], tuple[tuple[Any, ...], fast.FastParams | Exception]] = {}


def _parameter_rows() -> tuple[tuple[Any, ...], list[ParamValue]]:
    """All parameter rows (a few dozen) and a version key that changes whenever one is edited."""
    rows = list(PolicyParameter.objects.order_by("pk"))
    version = tuple((p.pk, p.changed_at) for p in rows)
    return version, [
        ParamValue(name=p.name, region=p.region_id, effective_from=p.effective_from, value=p.typed_value) for p in rows
    ]


def street_params(street: str, as_of: date, version: tuple[Any, ...], rows: list[ParamValue]) -> fast.FastParams:
    """``FastParams`` for a street's chain (street → county → city), cached per (street, as_of)."""
    key = (street, as_of)
    cached = _params_cache.get(key)
    if cached is None or cached[0] != version:
        chain = [street[:n] for n in (9, 6, 4) if len(street) >= n]
        built: fast.FastParams | Exception
        try:
            built = fast.FastParams(ParameterSet(rows, chain, as_of))
        except (MissingParameter, ValueError) as exc:
            built = exc
        cached = (version, built)
        _params_cache[key] = cached
    if isinstance(cached[1], Exception):
        raise cached[1]
    return cached[1]


# --- the chunk query -------------------------------------------------------------------------------

_OTHER_KINDS = sorted(COUNTED_INCOME_KINDS - EARNED_INCOME_KINDS)


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))  # fixed vocabularies from the rules, not input


# Member flags, packed in one integer: class (0 none, 1 B, 2 A) | 4 no work capacity | 8 able supporter
# | 16 × adl_incapable | 128 institutional. Exactly increments.increment_class and
# tiers.work_capacity_none (tests/eligibility/test_batch.py checks every combination), with the age
# tests turned into birth-date cutoffs (see age_cutoff). It runs for every member of the caseload, so
# the disability-kind comparisons are reached only for a member who has a disability grade.
MEMBER_FLAGS_SQL = """
    (CASE WHEN mb.serious_illness OR mb.disability_grade IN (1, 2) THEN 2
          WHEN mb.birth_date <= %(cut60)s OR mb.birth_date > %(cut18)s OR mb.disability_grade IN (3, 4) THEN 1
          ELSE 0 END)
    + (CASE WHEN mb.birth_date <= %(cut60)s OR mb.birth_date > %(cut18)s OR mb.work_capacity = 'none' THEN 4
            WHEN mb.disability_grade IS NULL THEN 0
            WHEN mb.disability_grade IN (1, 2) AND mb.disability_kind IN ('intellectual', 'mental') THEN 4
            WHEN mb.disability_grade = 1 AND mb.disability_kind = 'physical' THEN 4
            ELSE 0 END)
    + (CASE WHEN mb.has_able_supporter THEN 8 ELSE 0 END)
    + 16 * mb.adl_incapable
    + (CASE WHEN mb.care_mode = 'institutional' THEN 128 ELSE 0 END)
"""


def _chunk_sql() -> str:
    h, m, i, v, d = (
        Household._meta.db_table,
        Member._meta.db_table,
        IncomeItem._meta.db_table,
        Vehicle._meta.db_table,
        Determination._meta.db_table,
    )
    # Members are aggregated in no particular order: each member's id travels with its values, and
    # the ids a result mask selects are sorted before they are stored or compared.
    # Table names come from the models and income kinds from the rules; every value is a parameter.
    return f"""
WITH member_ids AS MATERIALIZED (
    -- OFFSET 0 keeps the household_id index scan; min(id) alone would walk the primary key instead.
    SELECT min(id) AS lo, max(id) AS hi
    FROM (SELECT id FROM {m} WHERE household_id >= %(lo)s AND household_id < %(hi)s OFFSET 0) x
),
incomes AS (
    -- Member ids grow with household ids, so the chunk's incomes are one index range (a member added
    -- to an old household later only widens it); incomes of other households in it find no member.
    SELECT member_id,
           (sum(monthly) FILTER (WHERE kind IN ({_sql_list(EARNED_INCOME_KINDS)})) * 100)::bigint AS earned,
           (sum(monthly) FILTER (WHERE kind IN ({_sql_list(_OTHER_KINDS)})) * 100)::bigint AS other,
           count(*) FILTER (WHERE kind NOT IN ({_sql_list(INCOME_KINDS)})) AS unknown
    FROM {i}
    WHERE member_id >= (SELECT lo FROM member_ids) AND member_id <= (SELECT hi FROM member_ids)
    GROUP BY member_id
),
members AS (
    SELECT mb.household_id,
           string_agg(int8send(coalesce(inc.earned, 0)) || int8send(coalesce(inc.other, 0))
                      || int2send(({MEMBER_FLAGS_SQL})::smallint) || int8send(mb.id), ''::bytea) AS members,
           sum(inc.unknown) AS unknown
    FROM {m} mb LEFT JOIN incomes inc ON inc.member_id = mb.id
    WHERE mb.household_id >= %(lo)s AND mb.household_id < %(hi)s
      AND mb.active AND mb.lives_together AND mb.excluded = '' AND mb.birth_date <= %(as_of)s
    GROUP BY mb.household_id
)
SELECT h.id, h.street_id,
       -- All integers in one bytea of big-endian int8s, so that Python converts them with one
       -- struct.unpack instead of one int() call each: the household's seven, the stored
       -- determination's seven (the first 1 when there is one), then per member earned, other,
       -- int2 flags and id.
       int8send((h.financial_assets * 100)::bigint) || int8send(coalesce(v.price_fen, -1))
       || int8send(h.homes::bigint) || int8send(h.business_employs_others_12m::int::bigint)
       || int8send((h.business_avg_monthly_net_profit * 100)::bigint)
       || int8send(((h.medical_expense_annual + h.education_expense_annual + h.rehabilitation_expense_annual)
                    * 100)::bigint)
       || int8send(coalesce(c.unknown, 0)::bigint)
       || CASE WHEN d.household_id IS NULL THEN {_NO_STORED_SQL}
               ELSE int8send(1) || int8send({_primary_code_sql("d.primary_tier")}) || int8send(d.tiers::bigint)
                    || int8send(d.monthly_amount_fen) || int8send(d.tekun_fen) || int8send(d.dibao_fen)
                    || int8send(d.single_fen) END
       || coalesce(c.members, ''::bytea),
       d.tekun_members::text, d.single_members::text, d.error
FROM {h} h
LEFT JOIN (
    SELECT household_id, (max(price) * 100)::bigint AS price_fen
    FROM {v}
    WHERE household_id >= %(lo)s AND household_id < %(hi)s AND NOT business_use
    GROUP BY household_id
) v ON v.household_id = h.id
LEFT JOIN members c ON c.household_id = h.id
LEFT JOIN {d} d ON d.household_id = h.id AND d.household_id >= %(lo)s AND d.household_id < %(hi)s
WHERE h.id >= %(lo)s AND h.id < %(hi)s
ORDER BY h.id
"""  # noqa: S608


def _primary_code_sql(column: str) -> str:
    """The index of a stored primary tier in fast.PRIMARY_CODES (-1 for none stored yet)."""
    whens = " ".join(f"WHEN '{code}' THEN {i}" for i, code in enumerate(fast.PRIMARY_CODES))
    return f"(CASE {column} {whens} ELSE -1 END)::bigint"


_NO_STORED_SQL = "'\\x" + "00" * 8 * 7 + "'::bytea"  # seven zero int8: no stored determination

# flags integer → (inc_class, no_work_capacity, has_able_supporter, adl_incapable, institutional)
_FLAGS = tuple((f & 3, bool(f & 4), bool(f & 8), (f >> 4) & 7, bool(f & 128)) for f in range(256))
_HOUSEHOLD_BYTES, _MEMBER_BYTES = 14 * 8, 8 + 8 + 2 + 8


@functools.cache
def _layout(size: int) -> struct.Struct:
    """The struct of a household's bytea: 14 int8, then (int8, int8, int2, int8) per counted member."""
    members, rest = divmod(size - _HOUSEHOLD_BYTES, _MEMBER_BYTES)
    if rest or members < 0:
        raise ValueError(f"malformed household record of {size} bytes")
    return struct.Struct(">14q" + "qqhq" * members)


_UNKNOWN_KIND = "收入类型未知，无法评估 (unknown income kind)"

# --- writing ---------------------------------------------------------------------------------------

_TEMP = "_batch_determination"
_VALUE_COLUMNS = (
    "primary_tier, tiers, monthly_amount_fen, tekun_fen, dibao_fen, single_fen, tekun_members, single_members"
)


def _upsert_values_sql(returning: bool) -> str:
    d = Determination._meta.db_table
    excluded = ", ".join(f"EXCLUDED.{c.strip()}" for c in _VALUE_COLUMNS.split(","))
    current = ", ".join(f"d.{c.strip()}" for c in _VALUE_COLUMNS.split(","))
    return f"""
INSERT INTO {d} AS d (household_id, as_of, {_VALUE_COLUMNS}, error, evaluated_at, changed_at, previous)
SELECT household_id, %(as_of)s, {_VALUE_COLUMNS}, '', %(now)s, %(run_at)s, NULL FROM {_TEMP}
ON CONFLICT (household_id) DO UPDATE SET
    as_of = EXCLUDED.as_of,
    primary_tier = EXCLUDED.primary_tier, tiers = EXCLUDED.tiers,
    monthly_amount_fen = EXCLUDED.monthly_amount_fen, tekun_fen = EXCLUDED.tekun_fen,
    dibao_fen = EXCLUDED.dibao_fen, single_fen = EXCLUDED.single_fen,
    tekun_members = EXCLUDED.tekun_members, single_members = EXCLUDED.single_members,
    error = '', evaluated_at = EXCLUDED.evaluated_at, changed_at = EXCLUDED.changed_at,
    previous = CASE WHEN d.primary_tier = '' THEN NULL ELSE jsonb_build_object(
        'primary_tier', d.primary_tier, 'tiers', d.tiers, 'monthly_amount_fen', d.monthly_amount_fen,
        'tekun_fen', d.tekun_fen, 'dibao_fen', d.dibao_fen, 'single_fen', d.single_fen,
        'tekun_members', to_jsonb(d.tekun_members), 'single_members', to_jsonb(d.single_members),
        'as_of', d.as_of, 'changed_at', d.changed_at) END
WHERE ({current}) IS DISTINCT FROM ({excluded})
{"RETURNING d.household_id, d.previous" if returning else ""}
"""  # noqa: S608 (table and column names are constants; values are parameters)


def _upsert_errors_sql() -> str:
    d = Determination._meta.db_table
    return f"""
INSERT INTO {d} AS d (household_id, as_of, {_VALUE_COLUMNS}, error, evaluated_at, changed_at, previous)
SELECT x.household_id, %(as_of)s, '', 0, 0, 0, 0, 0, '{{}}', '{{}}', x.error, %(now)s, %(run_at)s, NULL
FROM unnest(%(ids)s::bigint[], %(errors)s::text[]) AS x(household_id, error)
ON CONFLICT (household_id) DO UPDATE SET error = EXCLUDED.error
WHERE d.error IS DISTINCT FROM EXCLUDED.error
"""  # noqa: S608 (table and column names are constants; values are parameters)


def _lock_key(id_from: int, id_to: int) -> int:
    digest = hashlib.blake2b(_LOCK_NAMESPACE + f":{id_from}:{id_to}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _member_ids(mask: int, values: tuple[int, ...]) -> str:
    """The ids of the members whose bit is set, sorted, as PostgreSQL prints a bigint[]."""
    ids = values[17::4]  # the id of member i is its fourth value, after the 14 of the household
    return "{" + ",".join(map(str, sorted(ids[i] for i in range(len(ids)) if mask >> i & 1))) + "}"


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.strip("{}").split(",") if x)


# --- the chunk -------------------------------------------------------------------------------------


def reevaluate_chunk(
    as_of: date,
    id_from: int,
    id_to: int,
    *,
    run_at: datetime | None = None,
    collect_changes: bool = True,
) -> ChunkReport:
    """Re-evaluate households with ``id_from ≤ id < id_to`` on ``as_of``; write only what changed.

    Idempotent: a rerun (e.g. after a worker died mid-chunk, whose transaction rolled back) redoes
    the chunk; a second call on the same chunk while the first runs waits for it and writes nothing.
    ``run_at`` (default now) is stored as ``changed_at`` of every changed row, so the rows a whole run
    changed can be found afterwards (``changed_determinations``).
    """
    started = time.perf_counter()
    now = timezone.now()
    run_at = run_at or now
    # A chunk allocates a few hundred thousand small tuples and no cycles: the cyclic collector
    # would only rescan them again and again.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        try:
            report = _run_chunk(as_of, id_from, id_to, now, run_at, collect_changes, copy_new=True)
        except UniqueViolation:
            # A household first determined by a worker on an overlapping range since we read it:
            # redo the chunk with every write through the conditional upsert.
            report = _run_chunk(as_of, id_from, id_to, now, run_at, collect_changes, copy_new=False)
    finally:
        if gc_was_enabled:
            gc.enable()
    # Households found changed but already written by a concurrent worker count as unchanged here.
    report.unchanged = report.checked - report.failed - report.changed
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Writes:
    """What a chunk has to write, prepared while evaluating it."""

    new: io.StringIO = field(default_factory=io.StringIO)  # COPY text of first determinations
    new_count: int = 0
    updates: io.StringIO = field(default_factory=io.StringIO)  # COPY text of changed determinations
    clear_ids: list[int] = field(default_factory=list)  # same values, a stale error to clear
    errors: list[tuple[int, str]] = field(default_factory=list)  # new or different errors
    # the new values, kept only with collect_changes
    new_values: dict[int, DeterminationValues] = field(default_factory=dict)
    update_values: dict[int, DeterminationValues] = field(default_factory=dict)


_NEW_COLUMNS = f"household_id, {_VALUE_COLUMNS}, as_of, error, evaluated_at, changed_at, previous"


def _run_chunk(
    as_of: date,
    id_from: int,
    id_to: int,
    now: datetime,
    run_at: datetime,
    collect_changes: bool,
    *,
    copy_new: bool,
) -> ChunkReport:
    report = ChunkReport(id_from=id_from, id_to=id_to)
    with transaction.atomic():
        connection.ensure_connection()
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cur:
            # JIT compilation costs more than it saves on a query of a few hundred milliseconds;
            # the aggregates of a chunk need more than the default 4 MB to stay in memory.
            cur.execute(
                "SELECT pg_advisory_xact_lock(%s), set_config('jit', 'off', true), "
                "set_config('work_mem', '64MB', true)",
                [_lock_key(id_from, id_to)],
            )
        version, rows = _parameter_rows()
        # First determinations go straight into the table with COPY (nothing to compare with, and
        # cheaper than temp table + upsert); should one exist by now, the primary key refuses it.
        new_suffix = f"\t{as_of.isoformat()}\t\t{now.isoformat()}\t{run_at.isoformat()}\t\\N\n" if copy_new else None
        writes = _evaluate_chunk(raw, as_of, id_from, id_to, version, rows, report, collect_changes, new_suffix)
        with raw.cursor() as cur:
            params = {"as_of": as_of, "now": now, "run_at": run_at}
            if writes.new_count:
                writes.new.seek(0)
                cur.copy_expert(f"COPY {Determination._meta.db_table} ({_NEW_COLUMNS}) FROM STDIN", writes.new)
                report.changed += writes.new_count
            if writes.updates.tell():
                cur.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {_TEMP} (household_id bigint, primary_tier varchar(24), "
                    "tiers smallint, monthly_amount_fen bigint, tekun_fen bigint, dibao_fen bigint, "
                    "single_fen bigint, tekun_members bigint[], single_members bigint[]) ON COMMIT DELETE ROWS"
                )
                cur.execute(f"TRUNCATE {_TEMP}")  # ON COMMIT does not fire between chunks of one outer transaction
                writes.updates.seek(0)
                cur.copy_expert(f"COPY {_TEMP} FROM STDIN", writes.updates)
                cur.execute(_upsert_values_sql(collect_changes), params)
                report.changed += cur.rowcount
                if collect_changes:
                    for household_id, previous in cur.fetchall():
                        old = DeterminationValues.from_json(previous)
                        report.changes.append(Change(household_id, old, writes.update_values[household_id]))
            report.changes.extend(Change(hid, None, new) for hid, new in writes.new_values.items())
            report.written = report.changed
            if writes.clear_ids:
                table = Determination._meta.db_table
                sql = f"UPDATE {table} SET error = '' WHERE household_id = ANY(%s) AND error <> ''"  # noqa: S608
                cur.execute(sql, [writes.clear_ids])
                report.written += cur.rowcount
            if writes.errors:
                ids, texts = [e[0] for e in writes.errors], [e[1] for e in writes.errors]
                cur.execute(_upsert_errors_sql(), {**params, "ids": ids, "errors": texts})
                report.written += cur.rowcount
    return report


def _evaluate_chunk(
    raw: Any,
    as_of: date,
    id_from: int,
    id_to: int,
    version: tuple[Any, ...],
    rows: list[ParamValue],
    report: ChunkReport,
    collect_changes: bool,
    new_suffix: str | None,
) -> _Writes:
    """Read and evaluate the chunk, and prepare its writes (``new_suffix``: COPY first determinations)."""
    flags = _FLAGS
    # per street: (row, its integers) and the FastHousehold-shaped tuples
    groups: dict[str, tuple[list[tuple[tuple[Any, ...], tuple[int, ...]]], list[Any]]] = {}
    failures: list[tuple[tuple[Any, ...], str]] = []
    with raw.cursor(name=f"batch_{id_from}_{id_to}") as cur:
        cur.itersize = 5000
        cur.execute(
            _chunk_sql(),
            {
                "lo": id_from,
                "hi": id_to,
                "as_of": as_of,
                "cut60": age_cutoff(as_of, 60),
                "cut18": age_cutoff(as_of, 18),
            },
        )
        # row: id, street, bytea of integers, stored tekun_members and single_members, stored error
        for row in cur:
            street, numbers = row[1], row[2]
            values = _layout(len(numbers)).unpack(numbers)
            fin, veh, homes, employs, profit, rigid, unknown = values[:7]
            if unknown:
                failures.append((row, _UNKNOWN_KIND))
                continue
            members = tuple([(values[k], values[k + 1], *flags[values[k + 2]]) for k in range(14, len(values), 4)])
            group = groups.get(street)
            if group is None:
                group = groups[street] = ([], [])
            group[0].append((row, values))
            # Plain tuples in FastHousehold's field order: evaluate_batch unpacks them positionally and
            # building NamedTuples for 1,000,000 households would cost more than evaluating them.
            group[1].append((members, fin, veh, homes, employs, profit, rigid))
    report.checked = sum(len(g[0]) for g in groups.values()) + len(failures)

    writes = _Writes()
    write_new, write_update = writes.new.write, writes.updates.write
    codes = fast.PRIMARY_CODES
    for street, (chunk_rows, households) in groups.items():
        try:
            params = street_params(street, as_of, version, rows)
            results: Sequence[tuple[int, ...] | Exception] = _evaluate(households, params)
        except (MissingParameter, ValueError) as exc:
            results = [exc] * len(chunk_rows)
        for (row, values), result in zip(chunk_rows, results, strict=True):
            if isinstance(result, Exception):
                failures.append((row, str(result)[:200]))
                continue
            primary, monthly, mask, tekun, dibao, single, tekun_mask, single_mask = result
            tiers = mask & _TIER_BITS
            tekun_members = _member_ids(tekun_mask, values) if tekun_mask else "{}"
            single_members = _member_ids(single_mask, values) if single_mask else "{}"
            if (
                values[7:14] == (1, primary, tiers, monthly, tekun, dibao, single)
                and row[3] == tekun_members
                and row[4] == single_members
            ):
                if row[5]:
                    writes.clear_ids.append(row[0])
                continue
            line = f"{row[0]}\t{codes[primary]}\t{tiers}\t{monthly}\t{tekun}\t{dibao}\t{single}\t{tekun_members}\t{single_members}"
            if collect_changes:
                new = DeterminationValues(
                    codes[primary], tiers, monthly, tekun, dibao, single, _ids(tekun_members), _ids(single_members)
                )
            if not values[7] and new_suffix is not None:
                write_new(line + new_suffix)
                writes.new_count += 1
                if collect_changes:
                    writes.new_values[row[0]] = new
            else:
                write_update(line + "\n")
                if collect_changes:
                    writes.update_values[row[0]] = new
    report.failed = len(failures)
    report.failures = [(row[0], text) for row, text in failures]
    # Only errors that are new or different are written; the same error again is no change.
    writes.errors = [(row[0], text) for row, text in failures if row[5] != text]
    return writes


def _evaluate(households: list[Any], params: fast.FastParams) -> Sequence[tuple[int, ...] | Exception]:
    """``evaluate_batch`` for the group; if a household needs a parameter that is missing, find which."""
    try:
        return fast.evaluate_batch(households, params)
    except (MissingParameter, ValueError):
        results: list[tuple[int, ...] | Exception] = []
        for household in households:
            try:
                results.append(fast.evaluate_batch((household,), params)[0])
            except (MissingParameter, ValueError) as exc:
                results.append(exc)
        return results


# --- the whole caseload ----------------------------------------------------------------------------


def household_chunks(households: range | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[tuple[int, int]]:
    """Half-open id ranges covering ``households`` (default: every household) — the unit of work."""
    if households is None:
        bounds = Household.objects.aggregate(lo=Min("id"), hi=Max("id"))
        if bounds["lo"] is None:
            return []
        households = range(bounds["lo"], bounds["hi"] + 1)
    if households.step != 1:
        raise ValueError("households must be a contiguous id range")
    return [(lo, min(lo + chunk_size, households.stop)) for lo in range(households.start, households.stop, chunk_size)]


def _warm_params(as_of: date) -> None:
    version, rows = _parameter_rows()
    for street in Region.objects.filter(level=Region.Level.STREET).values_list("code", flat=True):
        try:
            street_params(street, as_of, version, rows)
        except (MissingParameter, ValueError):
            pass  # cached too: each chunk reports it for its households


def _pool_chunk(args: tuple[date, int, int, datetime]) -> ChunkReport:
    as_of, lo, hi, run_at = args
    return reevaluate_chunk(as_of, lo, hi, run_at=run_at, collect_changes=False)


def _pool_init() -> None:
    # The parent closed its connections before forking; make sure no child ever reuses a socket.
    for conn in connections.all(initialized_only=True):
        conn.connection = None


def reevaluate(
    as_of: date,
    *,
    households: range | None = None,
    workers: int = 2,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    run_at: datetime | None = None,
) -> BatchReport:
    """Re-evaluate the caseload (or an id range) on ``as_of`` with ``workers`` processes.

    Each worker process has its own database connection and takes the next chunk when it is done
    with one, so a slow chunk does not hold the other worker up. Memory stays bounded by the chunk
    size (a few tens of MB per process), whatever the caseload.
    """
    started = time.perf_counter()
    run_at = run_at or timezone.now()
    chunks = household_chunks(households, chunk_size)
    report = BatchReport(as_of=as_of, run_at=run_at)
    if workers <= 1 or len(chunks) <= 1:
        for lo, hi in chunks:
            report.add(reevaluate_chunk(as_of, lo, hi, run_at=run_at, collect_changes=False))
    else:
        if connection.in_atomic_block:
            raise RuntimeError("parallel re-evaluation commits per chunk; do not call it inside a transaction")
        _warm_params(as_of)  # once here rather than once per worker: the children inherit the cache
        connections.close_all()  # a forked child must never share the parent's socket
        context = multiprocessing.get_context("fork")
        with context.Pool(processes=min(workers, len(chunks)), initializer=_pool_init) as pool:
            tasks = [(as_of, lo, hi, run_at) for lo, hi in chunks]
            for chunk in pool.imap_unordered(_pool_chunk, tasks, chunksize=1):
                report.add(chunk)
    report.seconds = time.perf_counter() - started
    return report


def values_from_payload(payload: dict[str, Any]) -> DeterminationValues:
    """The determination the batch path stores, from the single path's public response JSON
    (``services.evaluate_household``): used to check that both agree."""

    def fen(text: str) -> int:
        yuan, _, cents = text.partition(".")
        return int(yuan) * 100 + int(cents or 0)

    tiers = payload["tiers"]
    dibao = [t for t in tiers if t["tier"] == "dibao"]
    household_dibao, singles = dibao[0], dibao[1:]
    by_name = {t["tier"]: t for t in tiers if t["tier"] != "dibao"}
    mask = 0
    if by_name["tekun"]["eligible"]:
        mask |= fast.BIT_TEKUN
    if household_dibao["eligible"]:
        mask |= fast.BIT_DIBAO
    if any(t["eligible"] for t in singles):
        mask |= fast.BIT_DIBAO_SINGLE
    if by_name["low_income"]["eligible"]:
        mask |= fast.BIT_LOW_INCOME
    if by_name["expenditure_hardship"]["eligible"]:
        mask |= fast.BIT_EXPENDITURE_HARDSHIP
    eligible_singles = [t for t in singles if t["eligible"]]
    return DeterminationValues(
        primary_tier=payload["primary_tier"],
        tiers=mask,
        monthly_amount_fen=fen(payload["monthly_amount"]),
        tekun_fen=fen(by_name["tekun"]["monthly_amount"]) if by_name["tekun"]["eligible"] else 0,
        dibao_fen=fen(household_dibao["monthly_amount"]) if household_dibao["eligible"] else 0,
        single_fen=sum(fen(t["monthly_amount"]) for t in eligible_singles),
        tekun_members=tuple(sorted(int(ref) for ref in by_name["tekun"]["members"])),
        single_members=tuple(sorted(int(m) for t in eligible_singles for m in t["members"])),
    )
