"""Load demo data once: staff, then each app's ``demo.load(context)`` in dependency order."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, STAFF, load_staff
from accounts.models import User

DEMO_APPS = ["applications", "eligibility", "casework", "charity"]


class Command(BaseCommand):
    help = "载入演示数据(只载入一次)，并打印演示账号。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-accounts", action="store_true", help="do not print the demo accounts")

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(username="clerk_a").exists():
            self.stdout.write("演示数据已存在，跳过载入。")
        else:
            context = load_staff()
            for label in DEMO_APPS:
                if not apps.is_installed(label):
                    continue
                try:
                    module = importlib.import_module(f"{label}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{label}.demo":
                        raise
                    continue
                module.load(context)
                self.stdout.write(f"  {label}: 演示数据已载入")
        if not options["quiet_accounts"]:
            self.stdout.write(self.style.SUCCESS(f"演示账号(密码均为 {DEMO_PASSWORD}):"))
            for username, full_name, role, region, _reveal in STAFF:
                self.stdout.write(f"  {username:<20} {full_name:<16} {role:<14} {region}")
