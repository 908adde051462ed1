"""Write audit rows inside the caller's transaction (one business write = one transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from accounts.models import AuditLog, User

# The rows ``audit_record`` and ``audit_record_many`` hold back inside ``audit_batch``.
_batch: ContextVar[list[AuditLog] | None] = ContextVar("audit_batch", default=None)

# Chinese labels for audit actions; each app registers its own in AppConfig.ready().
ACTION_LABELS: dict[str, str] = {"crypto.rotate_keys": "密钥轮换"}


def register_action_labels(labels: dict[str, str]) -> None:
    ACTION_LABELS.update(labels)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """Plain values of the named fields; encrypted identifiers must be masked by the caller."""
    return {name: _jsonable(getattr(instance, name if not _is_fk(instance, name) else f"{name}_id")) for name in fields}


def _is_fk(instance: models.Model, name: str) -> bool:
    field = instance._meta.get_field(name)
    return bool(field.is_relation and field.many_to_one)


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    region_code: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    actor_label: str | None = None,
) -> AuditLog:
    row = audit_entry(
        actor=actor,
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        region_code=region_code,
        before=before,
        after=after,
        reason=reason,
        actor_label=actor_label,
    )
    audit_record_many([row])  # inside the business write's transaction, or held by ``audit_batch``
    return row


def audit_entry(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    region_code: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    actor_label: str | None = None,
) -> AuditLog:
    """The (unsaved) row ``audit_record`` writes; ``audit_record_many`` inserts several at once."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    label = actor_label or (actor.username if actor is not None else "system")
    return AuditLog(
        actor=actor,
        actor_label=label,
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        region_code=region_code,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
    )


def audit_record_many(rows: list[AuditLog]) -> list[AuditLog]:
    """Insert the ``audit_entry`` rows of one business write with one statement, in order."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit rows must be written inside the business write's transaction")
    batch = _batch.get()
    if batch is not None:
        batch.extend(rows)
        return rows
    return AuditLog.objects.bulk_create(rows) if rows else rows


@contextmanager
def audit_batch() -> Iterator[None]:
    """Hold back the audit rows recorded in the block and insert them, in order, with one statement
    when it ends (the same rows, each stamped as it is inserted; the rows returned have no id yet).

    For a write made of several audited steps in one transaction, inside that transaction. The block
    must end on any error, its rows then being dropped with the work it undoes: nothing in it may roll
    back a savepoint and carry on, or the rows of the work undone would still be inserted. A batch
    inside a batch adds its rows to the outer one.
    """
    if _batch.get() is not None:
        yield
        return
    rows: list[AuditLog] = []
    token = _batch.set(rows)
    try:
        yield
    finally:
        _batch.reset(token)
    if rows:
        AuditLog.objects.bulk_create(rows)


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys that changed, for compact before/after rows."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
