"""Restore a ``backup_db`` dump (``pg_restore``) into a fresh database.

    python manage.py restore_db --input var/backups/hefei_aid-20261129.dump --target hefei_aid_restored
    python manage.py restore_db --input … --target hefei_aid --replace   # drop and recreate it first

The target database is created (``CREATE DATABASE``) on the server of ``DATABASES["default"]`` and the
dump is restored in one transaction (``--single-transaction --exit-on-error``): either everything is
restored, with the append-only and ledger triggers, or nothing. An existing target is never
overwritten unless ``--replace`` is given (then it is dropped first, ending its sessions). Default
target: the configured database's name (so ``--replace`` is needed to restore in place). Point
``DATABASE_URL`` at the restored database and run ``manage.py migrate`` (a no-op for a dump of the
same release).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import psycopg2
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from psycopg2 import sql

from accounts.management.commands.backup_db import connection_args, pg_tool


def _admin_connection(settings_dict: dict[str, Any]) -> Any:
    params: dict[str, Any] = {"dbname": "postgres", "user": settings_dict.get("USER") or "postgres"}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("PASSWORD", "password")):
        if settings_dict.get(key):
            params[name] = settings_dict[key]
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


class Command(BaseCommand):
    help = "用 pg_restore 把 backup_db 的备份恢复到一个新建的数据库(整体成功或整体不变)。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--input", required=True, help="dump file written by backup_db")
        parser.add_argument("--target", help="database to create (default: the configured database name)")
        parser.add_argument("--replace", action="store_true", help="drop the target first if it exists")
        parser.add_argument("--database", default="default", help="Django alias giving the server (default)")

    def handle(self, *args: Any, **options: Any) -> None:
        dump = Path(options["input"])
        if not dump.is_file():
            raise CommandError(f"backup file not found: {dump}")
        alias = options["database"]
        settings_dict = dict(connections[alias].settings_dict)
        target = options["target"] or str(settings_dict["NAME"])
        if target == settings_dict["NAME"]:
            connections[alias].close()  # our own session would block DROP DATABASE
        # Through the maintenance database: the configured one may be the one that was lost.
        admin = _admin_connection(settings_dict)
        try:
            pg_restore = pg_tool("pg_restore", int(admin.server_version) // 10000)
            with admin.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target])
                if cur.fetchone() is not None:
                    if not options["replace"]:
                        raise CommandError(f"database {target!r} exists: choose another --target or add --replace")
                    cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(target)))
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
        finally:
            admin.close()
        conn_args, env = connection_args(settings_dict)
        command = [str(pg_restore), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
        command += [*conn_args, "--dbname", target, str(dump)]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            admin = _admin_connection(settings_dict)
            try:  # the database was created empty above: do not leave it behind
                with admin.cursor() as cur:
                    cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)))
            finally:
                admin.close()
            raise CommandError(
                f"pg_restore failed ({result.returncode}), nothing restored into {target!r}: {result.stderr.strip()}"
            )
        self.stdout.write(self.style.SUCCESS(f"恢复完成 / restored {dump} into database {target!r} ({pg_restore})"))
