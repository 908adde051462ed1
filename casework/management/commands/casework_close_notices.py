"""Move every case whose 7-day public notice has ended without objection to review (same as the beat job)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from casework.services.notice import notices_close_due


class Command(BaseCommand):
    help = "公示期满无异议的案件转入待审批(与每日定时任务相同)。"

    def handle(self, *args: Any, **options: Any) -> None:
        count = notices_close_due()
        self.stdout.write(self.style.SUCCESS(f"已转入待审批：{count} 件"))
