"""``backup_db`` / ``restore_db``: a pg_dump backup restored into a fresh database holds every case,
enrolment, charity ledger entry and audit row (same counts, same checksum of the key columns), and the
append-only / balanced-ledger triggers are there and still refuse an UPDATE of the audit log."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg2 import sql

from tests.casework.reference_data import ALL_APPS

# table → key columns whose values must come back identical (md5 over all rows in id order)
KEY_COLUMNS: dict[str, str] = {
    "applications_household": "id, street_id, address",
    "casework_case": "id, receipt_no, status, household_id, street_id, accepted_on",
    "casework_enrolment": "id, household_id, status, tier, monthly_amount, start_month",
    "casework_enrolmentperiod": "id, enrolment_id, seq, tier, monthly_amount",
    "charity_journalentry": "id, kind, booked_on, region_code, reverses_id",
    "charity_journalline": "id, entry_id, account_id, debit, credit",
    "charity_fund": "id, kind, balance",
    "accounts_auditlog": "id, at, action, object_type, object_id, region_code",
}


def _params(dbname: str) -> dict[str, Any]:
    params = connection.get_connection_params()
    params["dbname"] = dbname
    params.pop("database", None)
    return params


def _fingerprint(cur: Any) -> dict[str, tuple[int, str]]:
    result = {}
    for table, columns in KEY_COLUMNS.items():
        cur.execute(
            sql.SQL("SELECT count(*), coalesce(md5(string_agg(row({})::text, '|' ORDER BY id)), '') FROM {}").format(
                sql.SQL(columns), sql.Identifier(table)
            )
        )
        count, digest = cur.fetchone()
        result[table] = (int(count), str(digest))
    return result


def _triggers(cur: Any) -> set[tuple[str, str]]:
    cur.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal")
    return {(str(t), str(n)) for t, n in cur.fetchall()}


@pytest.fixture
def restored_name() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restored"
    yield name
    admin = psycopg2.connect(**_params("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    admin.close()


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_backup_restores_every_case_and_ledger_entry_with_triggers(tmp_path: Path, restored_name: str) -> None:
    call_command("load_demo", quiet_accounts=True)  # cases in every status, enrolments, rolls, ledger, audit
    original = psycopg2.connect(**_params(connection.settings_dict["NAME"]))
    try:
        with original.cursor() as cur:
            source = _fingerprint(cur)
            source_triggers = _triggers(cur)
    finally:
        original.close()
    # Real, non-trivial content (the demo's fixed numbers): nothing vacuous is being compared.
    assert source["casework_case"][0] >= 25
    assert source["charity_journalline"][0] >= 10
    assert source["casework_enrolment"][0] >= 10
    assert source["accounts_auditlog"][0] >= 100
    assert ("accounts_auditlog", "accounts_auditlog_no_update_delete") in source_triggers
    assert ("charity_journalentry", "charity_journalentry_no_update_delete") in source_triggers

    dump = tmp_path / "backups" / "hefei.dump"
    call_command("backup_db", output=str(dump))
    assert dump.is_file() and dump.read_bytes()[:5] == b"PGDMP"  # custom format (-Fc)
    assert not list(dump.parent.glob("*.partial"))

    call_command("restore_db", input=str(dump), target=restored_name)
    restored = psycopg2.connect(**_params(restored_name))
    try:
        with restored.cursor() as cur:
            assert _fingerprint(cur) == source
            assert _triggers(cur) == source_triggers
            cur.execute("SELECT id FROM accounts_auditlog ORDER BY id LIMIT 1")
            first = cur.fetchone()[0]
            with pytest.raises(psycopg2.Error, match="append-only"):
                cur.execute("UPDATE accounts_auditlog SET reason = 'tampered' WHERE id = %s", [first])
        restored.rollback()
    finally:
        restored.close()

    # An existing database is never overwritten without --replace.
    with pytest.raises(CommandError, match="exists"):
        call_command("restore_db", input=str(dump), target=restored_name)


def test_backup_command_picks_a_client_not_older_than_the_server() -> None:
    from accounts.management.commands.backup_db import client_major, pg_tool

    binary = pg_tool("pg_dump", 10)
    version = client_major(binary)
    assert version is not None and version >= 10
    with pytest.raises(CommandError, match="No pg_dump for PostgreSQL 99"):
        pg_tool("pg_dump", 99)
    assert os.access(binary, os.X_OK)


@pytest.mark.django_db
def test_a_damaged_backup_restores_nothing_and_leaves_no_database(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(b"PGDMP" + b"\x00" * 200)
    name = f"{connection.settings_dict['NAME']}_damaged"
    with pytest.raises(CommandError, match="pg_restore failed"):
        call_command("restore_db", input=str(damaged), target=name)
    admin = psycopg2.connect(**_params("postgres"))
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name])
            assert cur.fetchone()[0] == 0
    finally:
        admin.close()
    with pytest.raises(CommandError, match="backup file not found"):
        call_command("restore_db", input=str(tmp_path / "missing.dump"), target=name)
