"""``audit_batch``: the audit rows of a write of several steps, inserted together when it ends."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.audit import audit_batch, audit_entry, audit_record, audit_record_many
from accounts.models import AuditLog, User
from tests.perf.support import statements

pytestmark = pytest.mark.django_db


def test_rows_are_inserted_in_order_with_one_statement_when_the_block_ends(clerk_a: User) -> None:
    before = AuditLog.objects.count()
    with transaction.atomic(), statements() as sqls:
        with audit_batch():
            audit_record(actor=clerk_a, action="test.first", object_type="t", object_id=1)
            with audit_batch():  # an inner batch adds to the outer one
                audit_record_many([audit_entry(actor=clerk_a, action="test.second", object_type="t", object_id=2)])
            audit_record(actor=None, action="test.third", object_type="t", object_id=3, reason="why")
            assert AuditLog.objects.count() == before
    assert len([s for s in sqls if s.startswith('INSERT INTO "accounts_auditlog"')]) == 1
    rows = list(AuditLog.objects.order_by("id")[before:])
    assert [(r.action, r.actor_label, r.object_id, r.reason) for r in rows] == [
        ("test.first", "clerk_a", "1", ""),
        ("test.second", "clerk_a", "2", ""),
        ("test.third", "system", "3", "why"),
    ]


def test_an_error_drops_the_rows_held_back(clerk_a: User) -> None:
    before = AuditLog.objects.count()
    with pytest.raises(ValueError), transaction.atomic(), audit_batch():
        audit_record(actor=clerk_a, action="test.first", object_type="t", object_id=1)
        raise ValueError("the write fails")
    assert AuditLog.objects.count() == before
    with transaction.atomic():  # outside a batch again: each row at once
        audit_record(actor=clerk_a, action="test.after", object_type="t", object_id=2)
        assert AuditLog.objects.count() == before + 1
