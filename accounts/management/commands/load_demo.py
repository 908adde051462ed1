"""Load demo data once: staff, then each app's ``demo.load(context)`` in dependency order.

Demo data come with published passwords (and department API tokens): the command refuses to run
unless ``settings.DEMO_DATA_ALLOWED`` (on with DEBUG; a training instance may set DEMO_DATA=1).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD, STAFF, DemoContext, load_app_demos, load_staff
from accounts.models import User

DEMO_APPS = ["applications", "eligibility", "casework", "charity"]


class Command(BaseCommand):
    help = "载入演示数据(只载入一次)，并打印演示账号。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-accounts", action="store_true", help="do not print the demo accounts")

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError("生产环境(DEBUG=0)不载入演示数据；演示/培训环境请设置 DEMO_DATA=1。")
        if User.objects.filter(username="clerk_a").exists():
            self.stdout.write("演示数据已存在，跳过载入。")
            usernames = [row[0] for row in STAFF]
            context = DemoContext(staff={u.username: u for u in User.objects.filter(username__in=usernames)})
        else:
            context = load_staff()
            for label in load_app_demos(context, DEMO_APPS):
                self.stdout.write(f"  {label}: 演示数据已载入")
        # Issue 7 (spot checks, department interface): each loads once, also into older demo data.
        from casework import demo_spotcheck
        from oversight import demo as oversight_demo

        if demo_spotcheck.demo_spot_check() is None and demo_spotcheck.load(context) is not None:
            self.stdout.write("  casework: 演示抽查已载入")
        issued = oversight_demo.load(context)
        if issued:
            self.stdout.write("  oversight: 演示数据共享部门已登记")
        if not options["quiet_accounts"]:
            self.stdout.write(self.style.SUCCESS(f"演示账号(密码均为 {DEMO_PASSWORD}):"))
            for username, full_name, role, region, _reveal in STAFF:
                self.stdout.write(f"  {username:<20} {full_name:<16} {role:<14} {region}")
            self.stdout.write(
                self.style.SUCCESS("演示部门接口令牌(仅限演示环境；POST /api/v1/departments/recipient-status/):")
            )
            for line in oversight_demo.summary_lines(issued):
                self.stdout.write(line)
