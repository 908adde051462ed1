"""Periodic re-verification (动态管理, DOMAIN §6 step 10): runs, chunk processing, review tasks.

The job (see ``casework.models.reverification`` for the data):

1. ``reverification_run_create`` fixes the population (households due, all enrolled households of
   an area, or named households for an immediate re-check) and splits it into chunks of about
   ``chunk_size`` households by household-id range; after commit one Celery task per chunk.
2. ``reverification_chunk_process`` (the task body) claims the chunk with a conditional UPDATE and a
   lease, then, in ONE transaction: re-runs the engine on the batch path for the range
   (``eligibility.batch.reevaluate_chunk``), claims each enrolment of the range with a conditional
   UPDATE (``last_run IS DISTINCT FROM this run``, which also moves its next due date), compares
   the new determinations with what each standing rests on, compares new department data with the
   declaration (``casework.checks.compare``), opens or refreshes a review task for every changed
   household, and adds its counts to the chunk and the run. A worker that dies mid-chunk rolls all
   of it back; the task is redelivered (``acks_late``) or the run resumed, and the rerun claims
   exactly the households nobody has committed yet — so no household is processed twice.
3. Street staff resolve review tasks (``review_task_resolve``): the job proposes, it never changes
   a payment. Lower, stop and 渐退 need a written reason; each outcome gives a printable notice and
   (except "keep") a new enrolment period.

渐退 dates (DOMAIN §4): decided on day D of month M with ``gradual_exit_months`` = N in force on D,
the household keeps its amount for the N months after M; the last paid month is M + N and the
enrolment closes after it. E.g. decided 2026-03-15 with N = 6 → paid through 2026-09, nothing from
2026-10. Stop: the last paid month is M. Raise/lower: the new amount applies from M + 1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg2.extras import execute_values

from accounts.audit import audit_record
from accounts.errors import BusinessError, Conflict
from accounts.models import Role, User
from accounts.selectors import region_visible_to, scope_by_region, scope_prefix
from applications.models import Household, IncomeItem, Member, Vehicle
from casework.checks.adapters import Finding
from casework.checks.compare import DeclaredHousehold, DeclaredMember, compare
from casework.models import DataExchangeRecord, Tier
from casework.models.enrolment import (
    CASH_TIERS,
    ChangeKind,
    Enrolment,
    EnrolmentPeriod,
    EnrolmentStatus,
    add_months,
    month_start,
)
from casework.models.reverification import (
    REASON_REQUIRED,
    ChunkStatus,
    ReverificationChunk,
    ReverificationRun,
    ReviewOutcome,
    ReviewTask,
    RunKind,
    RunStatus,
    TaskStatus,
    TaskTrigger,
)
from casework.services.enrolment import (
    NO_FACTS,
    period_close,
    period_open,
    period_snapshot,
    schedule_facts_for,
    six_month_households,
)
from eligibility.batch import reevaluate_chunk
from eligibility.models import Determination
from eligibility.rules.parameters import MissingParameter
from eligibility.services import evaluate_household, parameter_set

DEFAULT_CHUNK_SIZE = 20_000  # as eligibility.batch: ~2 s of work per chunk on this machine
LEASE = dt.timedelta(minutes=5)  # a claimed chunk not finished by then may be taken over
LOCK_TIMEOUT = "5s"  # a chunk blocked on a row lock fails fast and is retried by Celery
CENT = Decimal("0.01")
ZERO = Decimal("0")
RUN_ROLES = frozenset({Role.SUPERVISOR, Role.APPROVER, Role.ADMIN})
RESOLVE_ROLES = frozenset({Role.REVIEWER, Role.APPROVER})
REPORT_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SOCIAL_WORKER})

# --- selectors -----------------------------------------------------------------------------------


def runs_visible_to(user: Any) -> QuerySet[ReverificationRun]:
    """Runs over the user's area, over an area containing it (city-wide), or inside it."""
    prefix = scope_prefix(user)
    qs = ReverificationRun.objects.select_related("requested_by")
    if prefix is None:
        return qs.none()
    if prefix == "":
        return qs
    ancestors = [prefix[:n] for n in (4, 6, 9, 12) if len(prefix) >= n]
    return qs.filter(Q(scope_code="") | Q(scope_code__in=ancestors) | Q(scope_code__startswith=prefix))


def review_tasks_visible_to(user: Any) -> QuerySet[ReviewTask]:
    qs = ReviewTask.objects.select_related("household", "household__community", "street", "enrolment", "run")
    return scope_by_region(qs, user, "street__code")


# --- the proposal (pure) ---------------------------------------------------------------------------


def propose_outcome(
    *, old_tier: str, old_amount: Decimal, new_tier: str, new_amount: Decimal, employment_driven: bool
) -> str:
    """What the job suggests for a changed household (people decide; DOMAIN §4 渐退, §6 step 10)."""
    if new_amount > old_amount:
        return ReviewOutcome.RAISE
    if new_amount < old_amount:
        if new_amount == 0:
            if old_tier == Tier.DIBAO and employment_driven and new_tier != Tier.TEKUN:
                return ReviewOutcome.GRADUAL_EXIT
            return ReviewOutcome.STOP
        return ReviewOutcome.LOWER
    if new_tier in {Tier.NONE, ""} and old_tier != Tier.NONE:
        return ReviewOutcome.STOP
    return ReviewOutcome.KEEP


# --- runs ----------------------------------------------------------------------------------------


def _population(run: ReverificationRun, alias: str = "e") -> tuple[str, dict[str, Any]]:
    where = [f"{alias}.status = 'active'"]
    params: dict[str, Any] = {"as_of": run.as_of}
    if run.scope_code:
        where.append(f"{alias}.street_id LIKE %(scope)s")
        params["scope"] = run.scope_code + "%"
    if run.kind == RunKind.SCHEDULED:
        where.append(f"{alias}.next_review_due <= %(as_of)s")
    elif run.kind == RunKind.IMMEDIATE:
        where.append(f"{alias}.household_id = ANY(%(ids)s::bigint[])")
        params["ids"] = list(run.household_ids)
    return " AND ".join(where), params


def _require_runner(actor: User | None, scope_code: str) -> None:
    if actor is None:
        return
    if not (actor.is_superuser or actor.role in RUN_ROLES):
        raise BusinessError(_("您的岗位不能发起动态复核。"), code="role_forbidden", status=403)
    prefix = scope_prefix(actor)
    if prefix is None or not scope_code.startswith(prefix):
        raise BusinessError(_("复核范围超出您的管辖区域。"), code="out_of_scope", status=403)


@transaction.atomic
def reverification_run_create(
    *,
    kind: str,
    as_of: dt.date,
    actor: User | None,
    scope_code: str = "",
    household_ids: Sequence[int] = (),
    trigger: str = "",
    task_trigger: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> ReverificationRun:
    """Create a run, split its population into household-id ranges, dispatch one task per chunk."""
    if kind not in RunKind.values:
        raise ValidationError({"kind": [_("未知的复核类别。")]})
    if actor is not None and not scope_code and not (actor.is_superuser or actor.role == Role.ADMIN):
        scope_code = actor.region_id or ""
    _require_runner(actor, scope_code)
    if kind == RunKind.IMMEDIATE and not household_ids:
        raise ValidationError({"household_ids": [_("即时复核须指定家庭。")]})
    default_trigger = {
        RunKind.SCHEDULED: TaskTrigger.SCHEDULED,
        RunKind.FULL: TaskTrigger.FULL,
        RunKind.IMMEDIATE: TaskTrigger.DATA,
    }[RunKind(kind)]
    run = ReverificationRun.objects.create(
        kind=kind,
        as_of=as_of,
        scope_code=scope_code,
        household_ids=sorted(set(household_ids)),
        trigger=trigger,
        task_trigger=task_trigger or default_trigger,
        requested_by=actor,
        chunk_size=max(1, chunk_size),
        started_at=timezone.now(),
        status=RunStatus.RUNNING,
    )
    where, params = _population(run)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT min(household_id), max(household_id), count(*) FROM (
                SELECT e.household_id, (row_number() OVER (ORDER BY e.household_id) - 1) / %(size)s AS bucket
                FROM {Enrolment._meta.db_table} e WHERE {where}
            ) numbered GROUP BY bucket ORDER BY bucket
            """,  # noqa: S608 (table names from the models; values are parameters)
            {**params, "size": run.chunk_size},
        )
        buckets = cur.fetchall()
    ReverificationChunk.objects.bulk_create(
        ReverificationChunk(run=run, seq=n, id_from=lo, id_to=hi + 1) for n, (lo, hi, _count) in enumerate(buckets)
    )
    run.chunks_total = len(buckets)
    run.households_total = sum(count for _lo, _hi, count in buckets)
    if not buckets:
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.seconds = 0.0
    run.save()
    audit_record(
        actor=actor,
        action="reverification.run",
        obj=run,
        region_code=scope_code,
        after={
            "kind": kind,
            "as_of": as_of,
            "households": run.households_total,
            "chunks": run.chunks_total,
            "household_ids": run.household_ids[:50],
        },
        reason=trigger,
    )
    chunk_ids = list(run.chunks.values_list("pk", flat=True))
    # robust: with the broker down the chunks stay pending in the database (logged); the watchdog or
    # "resume" sends them once it is back.
    transaction.on_commit(lambda: _dispatch(chunk_ids), robust=True)
    return run


def _dispatch(chunk_ids: Iterable[int]) -> None:
    from casework.tasks_reverification import reverification_chunk

    for chunk_id in chunk_ids:
        reverification_chunk.delay(chunk_id)


@transaction.atomic
def reverification_run_resume(
    *, run: ReverificationRun, actor: User | None, lease: dt.timedelta = LEASE, pending_age: dt.timedelta | None = None
) -> list[int]:
    """Re-dispatch what a run has not finished: failed chunks, chunks whose claim expired (a dead
    worker), and chunks still pending (``pending_age``: only those queued longer than that).

    Safe at any time: a chunk a live worker still holds keeps its lease, and the household claims
    make a duplicate task find nothing to do.
    """
    _require_runner(actor, run.scope_code)
    run = ReverificationRun.objects.select_for_update().get(pk=run.pk)
    if run.status == RunStatus.DONE:
        return []
    now = timezone.now()
    stale = Q(status=ChunkStatus.FAILED) | Q(status=ChunkStatus.RUNNING, claimed_at__lt=now - lease)
    if pending_age is None:
        stale |= Q(status=ChunkStatus.PENDING)
    else:
        stale |= Q(status=ChunkStatus.PENDING, run__created_at__lt=now - pending_age)
    ids = list(run.chunks.filter(stale).values_list("pk", flat=True))
    if ids:
        ReverificationChunk.objects.filter(pk__in=ids).filter(stale).update(status=ChunkStatus.PENDING, error="")
        if run.status != RunStatus.RUNNING:
            run.status = RunStatus.RUNNING
            run.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="reverification.resume",
            obj=run,
            region_code=run.scope_code,
            after={"chunks": len(ids)},
        )
        transaction.on_commit(lambda: _dispatch(ids), robust=True)
    return ids


def reverification_watchdog() -> int:
    """Beat: resume runs with chunks whose claim expired or that waited too long in the queue."""
    resumed = 0
    for run in ReverificationRun.objects.filter(status=RunStatus.RUNNING, created_at__lt=timezone.now() - LEASE):
        resumed += len(reverification_run_resume(run=run, actor=None, pending_age=dt.timedelta(minutes=30)))
    return resumed


def reverification_due_run(*, as_of: dt.date | None = None) -> ReverificationRun | None:
    """Beat (daily): one scheduled run per day over every enrolment whose review is due."""
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(f"reverification_due:{as_of}")])
        existing = ReverificationRun.objects.filter(kind=RunKind.SCHEDULED, as_of=as_of, scope_code="").first()
        if existing is not None:
            return existing
        if not Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE, next_review_due__lte=as_of).exists():
            return None
        return reverification_run_create(
            kind=RunKind.SCHEDULED, as_of=as_of, actor=None, trigger=_("到期定期复核(6个月/12个月)")
        )


def _lock_key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


@transaction.atomic
def reverification_request(*, actor: User, household: Household, reason: str) -> ReverificationRun:
    """家庭报告变化: an immediate re-check of one enrolled household."""
    if not (actor.is_superuser or actor.role in REPORT_ROLES):
        raise BusinessError(_("您的岗位不能发起即时复核。"), code="role_forbidden", status=403)
    if not region_visible_to(actor, household.street_id):
        raise BusinessError(_("该家庭不在您的管辖范围内。"), code="out_of_scope", status=404)
    if len(reason.strip()) < 4:
        raise ValidationError({"reason": [_("请填写家庭报告的变化情况(至少4个字)。")]})
    if not Enrolment.objects.filter(household=household, status=EnrolmentStatus.ACTIVE).exists():
        raise BusinessError(_("该家庭不在保障中，无需复核。"), code="not_enrolled")
    return reverification_run_create(
        kind=RunKind.IMMEDIATE,
        as_of=timezone.localdate(),
        actor=None,
        scope_code=household.street_id,
        household_ids=[household.pk],
        trigger=_("%(who)s 登记家庭报告变化：%(r)s") % {"who": actor.display_name, "r": reason.strip()},
        task_trigger=TaskTrigger.REPORTED,
    )


def recheck_households(*, household_ids: Sequence[int], trigger: str) -> ReverificationRun | None:
    """Immediate re-check after new department data (only households currently enrolled)."""
    enrolled = sorted(
        set(
            Enrolment.objects.filter(household_id__in=household_ids, status=EnrolmentStatus.ACTIVE).values_list(
                "household_id", flat=True
            )
        )
    )
    if not enrolled:
        return None
    return reverification_run_create(
        kind=RunKind.IMMEDIATE,
        as_of=timezone.localdate(),
        actor=None,
        household_ids=enrolled,
        trigger=trigger,
        task_trigger=TaskTrigger.DATA,
    )


# --- the chunk -----------------------------------------------------------------------------------


def claim_chunk(*, chunk_id: int, token: str, lease: dt.timedelta = LEASE) -> tuple[int, int, int] | None:
    """Conditional UPDATE: take a pending chunk, or one this token already holds (a Celery retry or
    redelivery keeps its task id), or one whose lease expired. Returns (run, id_from, id_to)."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            UPDATE {ReverificationChunk._meta.db_table}
            SET status = 'running', claimed_by = %(token)s, claimed_at = now(), attempts = attempts + 1
            WHERE id = %(id)s AND (
                status = 'pending'
                OR (status = 'running' AND (claimed_by = %(token)s OR claimed_at < now() - %(lease)s::interval))
            )
            RETURNING run_id, id_from, id_to
            """,  # noqa: S608 (table names from the models; values are parameters)
            {"id": chunk_id, "token": token, "lease": f"{int(lease.total_seconds())} seconds"},
        )
        row = cur.fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else None


@dataclass
class ChunkCounts:
    checked: int = 0
    unchanged: int = 0
    changed: int = 0
    failed: int = 0


def reverification_chunk_process(*, chunk_id: int, token: str) -> str:
    """Body of the chunk task. Idempotent: returns "skipped" when another worker holds or finished it."""
    claimed = claim_chunk(chunk_id=chunk_id, token=token)
    if claimed is None:
        return "skipped"
    run_id, id_from, id_to = claimed
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
            # The chunk is all-or-nothing and its claim row was committed durably before: if the
            # server crashed before this commit reached disk, the chunk would simply be redone
            # (lease expiry), so the commit need not wait for the WAL flush.
            cur.execute("SELECT set_config('synchronous_commit', 'off', true)")
        run = ReverificationRun.objects.get(pk=run_id)
        report = reevaluate_chunk(run.as_of, id_from, id_to, collect_changes=False)
        counts = verify_range(run=run, id_from=id_from, id_to=id_to, failures={hid for hid, _ in report.failures})
        _finish_chunk(chunk_id=chunk_id, run_id=run_id, counts=counts)
    return "done"


def reverification_chunk_failed(*, chunk_id: int, error: str) -> None:
    """The task gave up after its retries: mark the chunk failed and the run incomplete."""
    with transaction.atomic():
        chunk = ReverificationChunk.objects.select_for_update().filter(pk=chunk_id).first()
        if chunk is None or chunk.status == ChunkStatus.DONE:
            return
        chunk.status = ChunkStatus.FAILED
        chunk.error = error[:2000]
        chunk.save(update_fields=["status", "error"])
        ReverificationRun.objects.filter(pk=chunk.run_id, status=RunStatus.RUNNING).update(status=RunStatus.INCOMPLETE)


def _finish_chunk(*, chunk_id: int, run_id: int, counts: ChunkCounts) -> None:
    c, r = ReverificationChunk._meta.db_table, ReverificationRun._meta.db_table
    values = {
        "id": chunk_id,
        "run": run_id,
        "checked": counts.checked,
        "unchanged": counts.unchanged,
        "changed": counts.changed,
        "failed": counts.failed,
    }
    with connection.cursor() as cur:
        # Counts always add up (each household is claimed by exactly one processor), even when a
        # second processor of the same chunk (lease taken over) commits after the first.
        cur.execute(
            f"""UPDATE {c} SET checked = checked + %(checked)s, unchanged = unchanged + %(unchanged)s,
                changed = changed + %(changed)s, failed = failed + %(failed)s WHERE id = %(id)s""",  # noqa: S608 (table names from the models; values are parameters)
            values,
        )
        cur.execute(
            f"UPDATE {c} SET status = 'done', finished_at = clock_timestamp(), error = '' "  # noqa: S608
            "WHERE id = %(id)s AND status <> 'done'",
            values,
        )
        newly_done = cur.rowcount
        # The run row lock serialises chunk completions: the last one sees every other chunk done.
        cur.execute(
            f"""UPDATE {r} SET checked = checked + %(checked)s, unchanged = unchanged + %(unchanged)s,
                changed = changed + %(changed)s, failed = failed + %(failed)s,
                chunks_done = chunks_done + %(done)s
                WHERE id = %(run)s RETURNING chunks_done, chunks_total, status""",  # noqa: S608 (table names from the models; values are parameters)
            {**values, "done": newly_done},
        )
        done, total, status = cur.fetchone()
        if done >= total and status != RunStatus.DONE:
            cur.execute(
                f"""UPDATE {r} SET status = 'done', finished_at = clock_timestamp(),
                    seconds = extract(epoch FROM clock_timestamp() - started_at) WHERE id = %(run)s""",  # noqa: S608 (table names from the models; values are parameters)
                values,
            )


class Changed(NamedTuple):
    """A claimed household whose engine result differs from its standing (or new data disagree)."""

    enrolment_id: int
    household_id: int
    street_id: str
    tier: str
    amount_fen: int
    current_period_id: int | None
    new_tier: str
    new_fen: int


def _claim_and_compare(
    run: ReverificationRun, id_from: int, id_to: int, failures: set[int], disagreeing: set[int]
) -> tuple[ChunkCounts, list[Changed]]:
    """THE claim, and the comparison, in one statement.

    The claim is a conditional UPDATE of the range's enrolments in the run's population that this
    run has not claimed yet (``last_run IS DISTINCT FROM run``); it also records the verification
    and the next due date. A concurrent processor of the same range waits on the row locks and
    then finds them claimed (READ COMMITTED re-check), so no household is processed twice.
    The claimed rows are then compared, in the database, with the determinations the engine has
    just written: only the counts and the changed households come back (not 10,000 rows).

    A household the engine could not evaluate is claimed and counted as failed, but keeps its
    dates, so it stays due.
    """
    e, d = Enrolment._meta.db_table, Determination._meta.db_table
    where, params = _population(run)
    six = sorted(six_month_households(as_of=run.as_of, id_from=id_from, id_to=id_to, failures=failures))
    params.update(
        {
            "lo": id_from,
            "hi": id_to,
            "run": run.pk,
            "six": six,
            "failed": sorted(failures),
            "disagreeing": sorted(disagreeing),
        }
    )
    # Constant arrays: PostgreSQL hashes ``= ANY(array)`` lookups. Month arithmetic as in
    # ``next_due`` (same day, clamped to the month's end).
    failed = "e.household_id = ANY(%(failed)s::bigint[])"
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH claimed AS (
                UPDATE {e} e SET last_run_id = %(run)s,
                    previous_verified_on = CASE WHEN {failed} THEN e.previous_verified_on ELSE e.last_verified_on END,
                    last_verified_on = CASE WHEN {failed} THEN e.last_verified_on ELSE %(as_of)s END,
                    review_interval_months = CASE WHEN {failed} THEN e.review_interval_months
                        WHEN e.household_id = ANY(%(six)s::bigint[]) THEN 6 ELSE 12 END,
                    next_review_due = CASE WHEN {failed} THEN e.next_review_due
                        WHEN e.household_id = ANY(%(six)s::bigint[]) THEN (%(as_of)s::date + interval '6 months')::date
                        ELSE (%(as_of)s::date + interval '12 months')::date END
                WHERE e.household_id >= %(lo)s AND e.household_id < %(hi)s AND {where}
                  AND e.last_run_id IS DISTINCT FROM %(run)s
                RETURNING e.id, e.household_id, e.street_id, e.tier, (e.monthly_amount * 100)::bigint AS amount_fen,
                    e.basis_tier, (e.basis_amount * 100)::bigint AS basis_fen, e.current_period_id
            ), judged AS (
                SELECT c.*, d.primary_tier, d.monthly_amount_fen,
                       (d.household_id IS NULL OR d.error <> '' OR d.primary_tier = ''
                        OR c.household_id = ANY(%(failed)s::bigint[])) AS failed
                FROM claimed c LEFT JOIN {d} d
                    ON d.household_id = c.household_id AND d.household_id >= %(lo)s AND d.household_id < %(hi)s
            )
            SELECT count(*), count(*) FILTER (WHERE failed),
                   json_agg(json_build_array(id, household_id, street_id, tier, amount_fen, current_period_id,
                                             primary_tier, monthly_amount_fen))
                       FILTER (WHERE NOT failed AND (primary_tier <> basis_tier OR monthly_amount_fen <> basis_fen
                                                     OR household_id = ANY(%(disagreeing)s::bigint[])))
            FROM judged
            """,  # noqa: S608 (table names from the models; values are parameters)
            params,
        )
        checked, failed_count, rows = cur.fetchone()
    changed = [Changed._make(row) for row in (rows or [])]
    counts = ChunkCounts(
        checked=checked, failed=failed_count, changed=len(changed), unchanged=checked - failed_count - len(changed)
    )
    return counts, changed


def verify_range(*, run: ReverificationRun, id_from: int, id_to: int, failures: set[int]) -> ChunkCounts:
    """Claim the range's enrolments for ``run``, compare, open review tasks; inside the caller's
    transaction (after the engine wrote the range's determinations)."""
    new_data = _department_discrepancies(run, id_from, id_to)
    counts, changed = _claim_and_compare(run, id_from, id_to, failures, set(new_data))
    if changed:
        # 渐退 needs "through employment": earned income now versus when the current period opened.
        earned_now = schedule_facts_for([c.household_id for c in changed], as_of=run.as_of)
        earned_then = dict(
            EnrolmentPeriod.objects.filter(
                pk__in=[c.current_period_id for c in changed if c.current_period_id]
            ).values_list("pk", "earned_income")
        )
        employment = {
            c.household_id: earned_now.get(c.household_id, NO_FACTS).earned_fen
            > int(earned_then.get(c.current_period_id or 0, ZERO) * 100)
            for c in changed
        }
        _upsert_tasks(run, changed, employment, new_data)
    return counts


_TASK_COLUMNS = (
    "run_id, enrolment_id, household_id, street_id, trigger, status, proposed_outcome, old_tier, old_amount, "
    "new_tier, new_amount, employment_driven, discrepancies, as_of, created_at, updated_at, outcome, reason"
)


def _upsert_tasks(
    run: ReverificationRun,
    changed: list[Changed],
    employment: dict[int, bool],
    discrepancies: dict[int, list[dict[str, Any]]],
) -> None:
    """Open a review task per changed household, or refresh the one still open (raw SQL: a chunk
    may carry hundreds, and the ORM's per-object cost showed in the benchmark)."""
    t = ReviewTask._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT enrolment_id, id FROM {t} WHERE enrolment_id = ANY(%s::bigint[]) AND status = 'open' FOR UPDATE",  # noqa: S608
            [[c.enrolment_id for c in changed]],
        )
        open_tasks = dict(cur.fetchall())
        now = timezone.now()
        new_rows, refreshed = [], []
        for c in changed:
            old_amount, new_amount = Decimal(c.amount_fen) / 100, Decimal(c.new_fen) / 100
            proposed = propose_outcome(
                old_tier=c.tier,
                old_amount=old_amount,
                new_tier=c.new_tier,
                new_amount=new_amount,
                employment_driven=employment[c.household_id],
            )
            found = json.dumps(discrepancies.get(c.household_id, []), ensure_ascii=False)
            values = (run.task_trigger, proposed, c.tier, old_amount, c.new_tier, new_amount)
            if c.enrolment_id in open_tasks:
                refreshed.append((open_tasks[c.enrolment_id], *values, employment[c.household_id], found))
            else:
                new_rows.append(
                    (
                        run.pk,
                        c.enrolment_id,
                        c.household_id,
                        c.street_id,
                        values[0],
                        TaskStatus.OPEN,
                        *values[1:],
                        employment[c.household_id],
                        found,
                        run.as_of,
                        now,
                        now,
                        "",
                        "",
                    )
                )
        if new_rows:
            execute_values(
                cur.cursor,
                f"INSERT INTO {t} ({_TASK_COLUMNS}) VALUES %s",  # noqa: S608
                new_rows,
                template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s)",
                page_size=1000,
            )
        if refreshed:
            sql = f"""UPDATE {t} t SET run_id = {int(run.pk)}, trigger = v.trigger,
                proposed_outcome = v.proposed, old_tier = v.old_tier, old_amount = v.old_amount,
                new_tier = v.new_tier, new_amount = v.new_amount, employment_driven = v.employment,
                discrepancies = v.discrepancies::jsonb, as_of = '{run.as_of.isoformat()}'::date, updated_at = now()
                FROM (VALUES %s) AS v(id, trigger, proposed, old_tier, old_amount, new_tier, new_amount, employment,
                                      discrepancies)
                WHERE t.id = v.id"""  # noqa: S608 (an int and an ISO date; the values are parameters)
            execute_values(cur.cursor, sql, refreshed, page_size=1000)


# --- department data comparison (the economic check's comparison, set-based) ------------------------


def _department_discrepancies(run: ReverificationRun, id_from: int, id_to: int) -> dict[int, list[dict[str, Any]]]:
    """Discrepancies between department records and the declaration, for the range's enrolments
    due in this run that have a record newer than their last verification (older records were
    seen when it was verified). Runs before the claim, so ``last_verified_on`` is still the old one."""
    m, d, e = Member._meta.db_table, DataExchangeRecord._meta.db_table, Enrolment._meta.db_table
    where, params = _population(run)
    params.update({"lo": id_from, "hi": id_to, "run": run.pk})
    findings: dict[int, list[Finding]] = defaultdict(list)
    fresh: set[int] = set()
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT mb.household_id, mb.id, d.department, d.kind, d.value, d.amount, d.employs_others, d.as_of,
                       e.last_verified_on
                FROM {m} mb JOIN {d} d ON d.id_index = mb.id_index
                JOIN {e} e ON e.household_id = mb.household_id AND {where} AND e.last_run_id IS DISTINCT FROM %(run)s
                WHERE mb.household_id >= %(lo)s AND mb.household_id < %(hi)s AND mb.active
                  AND d.as_of <= %(as_of)s""",  # noqa: S608 (table names from the models; values are parameters)
            params,
        )
        for hid, member_id, department, kind, value, amount, employs, as_of, verified in cur:
            findings[hid].append(Finding(department, member_id, kind, value, amount, employs, as_of))
            if verified is None or as_of > verified:
                fresh.add(hid)
    if not fresh:
        return {}
    declared = _declared(sorted(fresh))
    out: dict[int, list[dict[str, Any]]] = {}
    for hid in sorted(fresh):
        if hid in declared:
            found = compare(declared[hid], findings[hid])
            if found:
                out[hid] = found
    return out


def _declared(household_ids: list[int]) -> dict[int, DeclaredHousehold]:
    """What the households declared (set-based: three queries for any number of households)."""
    incomes: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for member_id, kind, monthly in IncomeItem.objects.filter(
        member__household_id__in=household_ids, member__active=True
    ).values_list("member_id", "kind", "monthly"):
        incomes[member_id][kind] = incomes[member_id].get(kind, ZERO) + monthly
    members: dict[int, list[DeclaredMember]] = defaultdict(list)
    for member_id, hid, name, masked in (
        Member.objects.filter(household_id__in=household_ids, active=True)
        .order_by("id")
        .values_list("id", "household_id", "name", "id_masked")
    ):
        members[hid].append(DeclaredMember(member_id, name, masked, incomes.get(member_id, {})))
    vehicles: dict[int, list[Decimal]] = defaultdict(list)
    for hid, price in Vehicle.objects.filter(household_id__in=household_ids).values_list("household_id", "price"):
        vehicles[hid].append(price)
    out: dict[int, DeclaredHousehold] = {}
    for hid, homes, assets, employs, profit in Household.objects.filter(pk__in=household_ids).values_list(
        "pk", "homes", "financial_assets", "business_employs_others_12m", "business_avg_monthly_net_profit"
    ):
        out[hid] = DeclaredHousehold(
            members=tuple(members.get(hid, [])),
            homes=homes,
            vehicle_prices=tuple(vehicles.get(hid, [])),
            financial_assets=assets,
            business_employs_others=employs,
            business_profit=profit,
        )
    return out


# --- resolving a review task ------------------------------------------------------------------


def gradual_exit_last_month(*, decided_on: dt.date, months: int) -> dt.date:
    """Last paid month of a 渐退 decided on ``decided_on``: the decision month + ``months``."""
    return add_months(month_start(decided_on), months)


def _gradual_exit_months(street_code: str, on: dt.date) -> int:
    try:
        value = parameter_set(street_code, on).value("gradual_exit_months")
    except MissingParameter as exc:
        raise BusinessError(str(exc), code="missing_parameter", status=409) from None
    return int(value)


def _evaluate(household: Household, on: dt.date) -> dict[str, Any]:
    try:
        return evaluate_household(household, as_of=on)
    except MissingParameter as exc:
        raise BusinessError(
            _("缺少政策参数，无法测算：%(e)s。请联系县级管理员维护参数。") % {"e": exc},
            code="missing_parameter",
            status=409,
        ) from None
    except ValueError as exc:
        raise BusinessError(_("家庭数据无法测算：%(e)s") % {"e": exc}, code="evaluation_input") from None


def _check_outcome(outcome: str, enrolment: Enrolment, final: Decimal, reason: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = [_("未知的处理结果。")]
        return errors
    if outcome in REASON_REQUIRED and len(reason.strip()) < 4:
        errors["reason"] = [_("降低、停止救助或渐退须填写书面理由(至少4个字)。")]
    if final < 0:
        errors["monthly_amount"] = [_("金额不能为负数。")]
    elif outcome == ReviewOutcome.RAISE and final <= enrolment.monthly_amount:
        errors["monthly_amount"] = [
            _("提高救助金时，新金额须高于现发放金额 %(a)s 元。") % {"a": enrolment.monthly_amount}
        ]
    elif outcome == ReviewOutcome.LOWER and not (ZERO < final < enrolment.monthly_amount):
        errors["monthly_amount"] = [
            _("降低救助金时，新金额须大于0且低于现发放金额 %(a)s 元；停发请选择“停止救助”。")
            % {"a": enrolment.monthly_amount}
        ]
    if outcome == ReviewOutcome.GRADUAL_EXIT and enrolment.tier != Tier.DIBAO:
        errors["outcome"] = [_("渐退只适用于低保家庭。")]
    return errors


@transaction.atomic
def review_task_resolve(
    *,
    actor: User,
    task: ReviewTask,
    outcome: str,
    reason: str = "",
    monthly_amount: Decimal | None = None,
    on: dt.date | None = None,
) -> ReviewTask:
    """Decide a review task: raise / lower / 渐退 / stop / keep, with a notice and a new period."""
    task = ReviewTask.objects.select_for_update().get(pk=task.pk)
    if not region_visible_to(actor, task.street_id):
        raise BusinessError(_("该复核待办不在您的管辖范围内。"), code="out_of_scope", status=404)
    if not (actor.is_superuser or actor.role in RESOLVE_ROLES):
        raise BusinessError(_("只有街道审核、审批人员可以处理复核待办。"), code="role_forbidden", status=403)
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("该复核待办已处理。"), code="already_resolved")
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("current_period", "household")
        .get(pk=task.enrolment_id)
    )
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise Conflict(
            _("该家庭已不在正常保障状态(%(s)s)。") % {"s": enrolment.get_status_display()}, code="not_active"
        )
    on = on or timezone.localdate()
    evaluation = _evaluate(enrolment.household, on)
    engine_tier = str(evaluation.get("primary_tier") or Tier.NONE)
    engine_amount = Decimal(str(evaluation.get("monthly_amount") or "0"))
    if monthly_amount is None:
        final = {
            ReviewOutcome.RAISE: engine_amount,
            ReviewOutcome.LOWER: engine_amount,
        }.get(
            ReviewOutcome(outcome) if outcome in ReviewOutcome.values else ReviewOutcome.KEEP, enrolment.monthly_amount
        )
    else:
        final = monthly_amount
    if outcome == ReviewOutcome.STOP:
        final = ZERO
    errors = _check_outcome(outcome, enrolment, final, reason)
    if errors:
        raise ValidationError(errors)
    month = month_start(on)
    before = {"status": task.status, "tier": enrolment.tier, "monthly_amount": enrolment.monthly_amount}
    reason = reason.strip() or str(ReviewOutcome(outcome).label)
    new_period: EnrolmentPeriod | None = None
    last_paid: dt.date | None = None
    effective: dt.date | None = add_months(month, 1)
    if outcome in {ReviewOutcome.RAISE, ReviewOutcome.LOWER}:
        tier = engine_tier if engine_tier in CASH_TIERS else enrolment.tier
        new_period = period_open(
            enrolment=enrolment,
            kind=ChangeKind.RAISE if outcome == ReviewOutcome.RAISE else ChangeKind.LOWER,
            tier=tier,
            amount=final,
            start_month=add_months(month, 1),
            actor=actor,
            evaluation=evaluation,
            earned_income=Decimal(
                schedule_facts_for([enrolment.household_id], as_of=on).get(enrolment.household_id, NO_FACTS).earned_fen
            )
            / 100,
            review_task=task,
            reason=reason,
        )
    elif outcome == ReviewOutcome.GRADUAL_EXIT:
        months = _gradual_exit_months(enrolment.street_id, on)
        last_paid = gradual_exit_last_month(decided_on=on, months=months)
        new_period = period_open(
            enrolment=enrolment,
            kind=ChangeKind.GRADUAL_EXIT,
            tier=enrolment.tier,
            amount=enrolment.monthly_amount,
            start_month=add_months(month, 1),
            end_month=last_paid,
            actor=actor,
            evaluation=evaluation,
            review_task=task,
            reason=_("渐退%(n)d个月，发放至 %(m)s：%(r)s") % {"n": months, "m": f"{last_paid:%Y-%m}", "r": reason},
        )
        enrolment.status = EnrolmentStatus.EXITING
        enrolment.end_month = last_paid
        final = enrolment.monthly_amount
    elif outcome == ReviewOutcome.STOP:
        last_paid = month
        new_period = period_open(
            enrolment=enrolment,
            kind=ChangeKind.STOP,
            tier=enrolment.tier,
            amount=ZERO,
            start_month=add_months(month, 1),
            actor=actor,
            evaluation=evaluation,
            review_task=task,
            reason=reason,
        )
        enrolment.status = EnrolmentStatus.CLOSED
        enrolment.end_month = last_paid
    else:
        effective = None
    enrolment.basis_tier, enrolment.basis_amount = engine_tier, engine_amount
    enrolment.save(update_fields=["status", "end_month", "basis_tier", "basis_amount"])
    task.status = TaskStatus.RESOLVED
    task.outcome = outcome
    task.reason = reason
    task.final_amount = final
    task.effective_month = effective
    task.last_paid_month = last_paid
    task.evaluation = evaluation
    task.new_period = new_period
    task.resolved_by = actor
    task.resolved_on = on
    task.resolved_at = timezone.now()
    task.document_no = f"{task.street_id}-FH-{on:%Y}-{task.pk:06d}"
    task.save()
    audit_record(
        actor=actor,
        action="review_task.resolve",
        obj=task,
        region_code=task.street_id,
        before=before,
        after={
            "outcome": outcome,
            "monthly_amount": final,
            "effective_month": effective,
            "last_paid_month": last_paid,
            "document_no": task.document_no,
            "period": period_snapshot(new_period) if new_period else None,
            "enrolment_status": enrolment.status,
        },
        reason=reason,
    )
    return task


def period_history(enrolment: Enrolment) -> list[EnrolmentPeriod]:
    return list(enrolment.periods.select_related("created_by", "decision").order_by("seq"))


__all__ = [
    "LEASE",
    "ChunkCounts",
    "claim_chunk",
    "period_close",
    "propose_outcome",
    "recheck_households",
    "reverification_chunk_failed",
    "reverification_chunk_process",
    "reverification_due_run",
    "reverification_request",
    "reverification_run_create",
    "reverification_run_resume",
    "reverification_watchdog",
    "review_task_resolve",
    "review_tasks_visible_to",
    "runs_visible_to",
    "verify_range",
]
