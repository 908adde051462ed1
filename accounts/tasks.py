"""Celery tasks of accounts (ids only, idempotent)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="accounts.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Daily (beat): delete Idempotency-Key rows older than 24 hours."""
    from accounts.idempotency import purge_expired

    return purge_expired()
