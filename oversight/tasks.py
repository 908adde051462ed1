"""Celery tasks of county/city supervision (autodiscovered; the beat schedule is in migration 0003)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="oversight.refresh_figures", acks_late=True)
def refresh_figures() -> int:
    """Recompute the dashboard's summary cells (idempotent); returns the number of cells written."""
    from oversight.figures import refresh_figures as refresh

    return refresh().cells
