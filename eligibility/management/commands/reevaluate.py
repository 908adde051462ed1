"""Re-evaluate the stored caseload on a date with the batch path, writing only changed determinations.

manage.py reevaluate --as-of 2026-12-01 [--workers 2] [--chunk-size 20000] [--from-id N --to-id M]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eligibility.batch import DEFAULT_CHUNK_SIZE, reevaluate


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of 应为 YYYY-MM-DD 日期: {text!r}") from None


class Command(BaseCommand):
    help = "按评估日期批量重新认定全部在册家庭(只写入认定结果有变化的家庭)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", required=True, type=_date, help="评估日期 YYYY-MM-DD")
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="households per chunk")
        parser.add_argument("--from-id", type=int, default=None, help="first household id (inclusive)")
        parser.add_argument("--to-id", type=int, default=None, help="last household id (inclusive)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1 or options["chunk_size"] < 1:
            raise CommandError("--workers and --chunk-size must be at least 1")
        households = None
        if options["from_id"] is not None or options["to_id"] is not None:
            if options["from_id"] is None or options["to_id"] is None:
                raise CommandError("--from-id and --to-id go together")
            households = range(options["from_id"], options["to_id"] + 1)
        report = reevaluate(
            options["as_of"], households=households, workers=options["workers"], chunk_size=options["chunk_size"]
        )
        self.stdout.write(str(report))
        self.stdout.write(
            f"changed determinations: changed_at = {report.run_at.isoformat()} (see 'previous' for the old values)"
        )
        if report.failed:
            self.stdout.write(self.style.WARNING(f"{report.failed} households failed: see Determination.error"))
