"""Recompute provisional working-day deadlines after an administrator added a year to the calendar."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from casework.services.calendar import calendar_year_generate, case_deadlines_refresh


class Command(BaseCommand):
    help = "重新计算暂定办理时限；--generate-year 先按周一至周五生成某年日历(再在后台标注节假日和调休)。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--generate-year", type=int, help="年份，例如 2027")
        parser.add_argument("--admin", default="admin", help="以哪个管理员账号记入审计日志")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate_year"]:
            admin = User.objects.filter(username=options["admin"]).first()
            if admin is None or not (admin.is_superuser or admin.role == Role.ADMIN):
                raise CommandError("--admin 须为系统管理员账号")
            created = calendar_year_generate(actor=admin, year=options["generate_year"])
            self.stdout.write(f"已生成 {options['generate_year']} 年日历 {created} 天")
        changed = case_deadlines_refresh()
        self.stdout.write(self.style.SUCCESS(f"已重新计算 {changed} 件案件的办理时限"))
