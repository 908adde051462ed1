"""Related rows carried in one JSON column and put back where the ORM would have put them.

A page that shows a row with several relations pays, per relation, a query (``prefetch_related``)
or a wider join (``select_related``: with eight tables PostgreSQL spends longer choosing the join
order than running it). Instead, PostgreSQL builds the related rows as JSON in a scalar subquery of
the main row (``json_object``/``json_children``), and the loader makes model instances of them
(``instances``) and stores them as loaded or prefetched relations (``set_prefetched``), so views and
templates read ``household.members.all()`` as before. Used by the household page
(``applications.selectors``) and the staff case page (``casework.selectors``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import DecimalField, Field, Model

M = TypeVar("M", bound=Model)


def columns(model: type[Model], names: Iterable[str] | None = None, exclude: Iterable[str] = ()) -> list[Field]:
    """The concrete fields to carry in the JSON column. Never a field with a database converter
    (``from_db_value``: the encrypted columns, JSON): the loader below builds instances with
    ``from_db`` and ``to_python`` only, so such a field would come back undecrypted. A page that
    needs one reads it as a deferred field (one more query, caught by the query budgets)."""
    return [
        f
        for f in model._meta.concrete_fields
        if (names is None or f.attname in names) and f.attname not in exclude and not hasattr(f, "from_db_value")
    ]


def json_object(fields: list[Field], alias: str, nested: str = "") -> str:
    """SQL: a JSON object of row ``alias``'s ``fields`` by attname (plus the ``nested`` pairs). JSON
    keeps text, numbers, booleans, dates and timestamps (with their offset); a decimal goes as its
    exact text (a JSON number would come back as a float)."""
    pairs = [
        f"'{f.attname}', {alias}.\"{f.column}\"" + ("::text" if isinstance(f, DecimalField) else "") for f in fields
    ]
    if nested:
        pairs.append(nested)
    return f"jsonb_build_object({', '.join(pairs)})"


def json_array(fields: list[Field], alias: str, source: str, order: str, nested: str = "") -> str:
    """SQL: the rows ``alias`` of ``source`` (``FROM … WHERE …``) as a JSON array ordered by ``order``
    (``[]`` when none)."""
    return f"coalesce((SELECT jsonb_agg({json_object(fields, alias, nested)} ORDER BY {order}) {source}), '[]'::jsonb)"


def json_children(
    model: type[Model], fields: list[Field], fk: str, outer: str, where: str = "", nested: str = ""
) -> str:
    """SQL: the rows of ``model`` whose ``fk`` column is ``outer``, in id order, as a JSON array."""
    table = model._meta.db_table
    alias = f"r_{table}"
    column = model._meta.get_field(fk).column  # type: ignore[union-attr]
    condition = f'{alias}."{column}" = {outer}' + (f" AND {where}" if where else "")
    return json_array(fields, alias, f'FROM "{table}" {alias} WHERE {condition}', f'{alias}."id"', nested)


def json_row(model: type[Model], fields: list[Field], key: str) -> str:
    """SQL: the row of ``model`` whose primary key is ``key`` as a JSON object (null when none)."""
    meta = model._meta
    assert meta.pk is not None
    alias = f"o_{meta.db_table}"
    return (
        f'(SELECT {json_object(fields, alias)} FROM "{meta.db_table}" {alias} WHERE {alias}."{meta.pk.column}" = {key})'  # noqa: S608
    )


def instances(model: type[M], fields: list[Field], rows: list[dict[str, Any]], db: str) -> list[M]:
    """Model instances as the ORM would load them (``from_db``; the columns not read are deferred)."""
    names = [f.attname for f in fields]
    return [model.from_db(db, names, [f.to_python(row[f.attname]) for f in fields]) for row in rows]


def set_prefetched(instance: Model, relation: str, rows: list[Any], **condition: Any) -> None:
    """Store ``rows`` as ``instance``'s prefetched ``relation``, as ``prefetch_related`` does: the
    relation's own queryset (so a further ``.filter()`` still stays inside the relation) with its
    result already there, and each row's reference back to ``instance``."""
    manager = getattr(instance, relation)
    for row in rows:
        manager.field.set_cached_value(row, instance)
    qs = manager.filter(**condition) if condition else manager.all()
    qs._result_cache = rows
    qs._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = qs


def instance_or_none(model: type[M], fields: list[Field], row: dict[str, Any] | None, db: str) -> M | None:
    """One instance of ``instances``, or None for a JSON null (no related row)."""
    return instances(model, fields, [row], db)[0] if row is not None else None
