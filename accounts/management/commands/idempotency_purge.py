"""Delete expired Idempotency-Key rows (kept 24 hours; also a daily Celery beat job)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts.idempotency import purge_expired


class Command(BaseCommand):
    help = "删除已过期(超过 24 小时)的幂等请求记录。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"已删除过期幂等请求记录 {purge_expired()} 条。")
