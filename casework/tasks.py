"""Celery tasks: they take ids only (never an ID number), call a service, are idempotent, retry."""

from __future__ import annotations

from celery import shared_task

from casework.checks.adapters import AdapterUnavailable


@shared_task(
    name="casework.run_economic_check",
    autoretry_for=(AdapterUnavailable,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
    acks_late=True,
)
def run_economic_check(case_id: int) -> str:
    from casework.services.check import check_run

    return check_run(case_id=case_id)


@shared_task(name="casework.resend_stuck_checks")
def resend_stuck_checks() -> int:
    """Every 10 minutes (beat): re-send economic checks whose Celery message was lost (broker down)."""
    from casework.services.check import checks_resend_stuck

    return checks_resend_stuck()


@shared_task(name="casework.close_ended_notices")
def close_ended_notices() -> int:
    """Daily (beat): move cases whose 7-day notice has ended without objection to review."""
    from casework.services.notice import notices_close_due

    return notices_close_due()


from casework.tasks_reverification import *  # noqa: E402, F403 (issue 5 tasks, for autodiscovery)
