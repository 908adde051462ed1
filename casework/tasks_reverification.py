"""Celery tasks of enrolment, payment rolls, re-verification and monitoring (issue 5).

Tasks take ids only, call a service, are idempotent and retry. The chunk task is ``acks_late`` and
``reject_on_worker_lost``: a worker killed mid-chunk leaves the message to be delivered again (its
transaction rolled back); a chunk blocked on a row lock fails fast (``lock_timeout``) and is retried
with exponential back-off. After its last retry the chunk is marked failed and the run incomplete,
to be resumed from the page or by the watchdog.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone


class ChunkTask(Task):  # type: ignore[misc]
    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        from casework.services.reverification import reverification_chunk_failed

        chunk_id = args[0] if args else kwargs.get("chunk_id")
        if chunk_id is not None:
            reverification_chunk_failed(chunk_id=int(chunk_id), error=f"{type(exc).__name__}: {exc}")


@shared_task(
    bind=True,
    base=ChunkTask,
    name="casework.reverification_chunk",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def reverification_chunk(self: Any, chunk_id: int) -> str:
    from casework.services.reverification import reverification_chunk_process

    # A retry or a redelivery keeps the task id: the same token may take its own chunk back.
    token = self.request.id or f"local-{chunk_id}"
    return reverification_chunk_process(chunk_id=chunk_id, token=token)


@shared_task(name="casework.reverification_daily", acks_late=True)
def reverification_daily() -> dict[str, Any]:
    """Daily (beat): close ended 渐退, enrol approved decisions, start the run of households due."""
    from casework.services.enrolment import enrolments_backfill, enrolments_close_ended
    from casework.services.reverification import reverification_due_run

    closed = enrolments_close_ended()
    enrolled = enrolments_backfill()
    run = reverification_due_run(as_of=timezone.localdate())
    return {"closed": closed, "enrolled": enrolled, "run": run.pk if run else None}


@shared_task(name="casework.reverification_watchdog")
def reverification_watchdog() -> int:
    """Every 10 minutes (beat): re-dispatch chunks of dead workers (expired claims)."""
    from casework.services.reverification import reverification_watchdog as watchdog

    return watchdog()


@shared_task(
    name="casework.monitoring_scan",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=5,
)
def monitoring_scan() -> dict[str, Any]:
    """Every 15 minutes (beat): alert rules on new department data; immediate re-checks."""
    from casework.services.monitoring import monitoring_scan as scan

    result = scan()
    return {"alerts": result.alerts, "recheck_run": result.recheck_run}


@shared_task(
    name="casework.generate_payment_rolls",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=60,
    max_retries=5,
)
def generate_payment_rolls() -> list[int]:
    """Monthly (beat, the 1st): this month's roll of every street with anything to pay."""
    from casework.services.payments import payment_rolls_generate_all

    return payment_rolls_generate_all(month=timezone.localdate())


@shared_task(
    name="casework.enrol_decision",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=10,
    max_retries=5,
)
def enrol_decision(decision_id: int) -> int | None:
    """Post-approval step: enrol an approved decision (idempotent; queue it with on_commit)."""
    from casework.models import Decision
    from casework.services.enrolment import enrolment_create_from_decision

    decision = Decision.objects.filter(pk=decision_id).first()
    if decision is None:
        return None
    enrolment = enrolment_create_from_decision(decision=decision, actor=None)
    return enrolment.pk if enrolment else None
