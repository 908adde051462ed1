"""Querysets whose SQL Django compiles once per process (``FrozenQuery``).

Building a queryset and compiling it to SQL is pure Python work that gives the same text every
time a page runs: the case page's statement (a dozen joins and a JSON column), a queue page's 30
rows, its counts. Under the load bench that was ≈ 12 % of a web worker's CPU. A ``FrozenQuery``
compiles its queryset once per *shape* and afterwards only puts the request's values into the
parameter list; rows still become model instances through Django's own iterables and field
converters, so callers get the same objects.

How values reach the SQL. ``build`` is a module-level function of its keyword arguments only
(no closures, no globals that vary), and it must not branch on what a string value *says* (its
length and whether it is all digits are part of the shape; a region code is only compared in
SQL). The first time a shape is asked for, it is called twice with two different sets of
stand-in values (markers) and compiled each time:

- the two SQL texts must be identical (a value that ends up in the text — a LIMIT, an IN list's
  length, a branch on the value — makes them differ);
- every parameter that differs between the two must be exactly a marker, or a string that
  contains one and differs only there (``street__code__startswith``: ``'<marker>%'``);
- the build and the compiling must not run a query (what a stand-in reads would be baked in);
anything else and the shape is never frozen: that call and later ones with the shape build and
compile the queryset as usual. Values: ``int``, ``bool`` (a flag: part of the shape), ``str``
(length ≥ 6, or ≥ 4 digits), a date, a list of ints (its length is part of the shape), and a ``User`` (stands in
as an unsaved user with the same role and flags and ``pk`` and ``region_id`` markers). A string
put *inside* a string parameter must be letters and digits (it is spliced into, e.g., a LIKE
pattern without Django's escaping); otherwise that call is compiled as usual. ``fixed`` values
(a page's offset) are part of the shape and reach ``build`` unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, ObjectDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

from accounts.models import User

M = TypeVar("M", bound=Model)

_UNFROZEN = object()  # a shape that cannot be frozen: build and compile every time
MAX_SHAPES = 256  # per FrozenQuery


@dataclass(frozen=True, slots=True)
class _Slot:
    """Where parameter ``index`` comes from: ``path`` names the value (``("user", "pk")``,
    ``("ids", 3)``, ``("today",)``); ``template`` is set when the marker sits inside a string."""

    index: int
    path: tuple[Any, ...]
    template: str | None = None
    marker: str | None = None


@dataclass(frozen=True, slots=True)
class _Entry:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[_Slot, ...]
    queryset: QuerySet[Any]
    compiler: Any


def _shape(value: Any) -> Hashable:
    if isinstance(value, User):
        region = value.region_id
        region_shape = None if region is None else (len(region), region.isdigit())
        return ("user", value.role, value.is_superuser, value.is_active, value.is_staff, region_shape)
    if isinstance(value, bool):
        return ("bool", value)  # a flag: part of the shape, never a marker
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return ("str", len(value), value.isdigit())
    if isinstance(value, dt.datetime):
        raise TypeError("FrozenQuery: no stand-in for a datetime")
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return ("ints", len(value))
    raise TypeError(f"FrozenQuery: no stand-in for a {type(value).__name__}")


class _Markers:
    """Stand-in values, distinct per set (``which`` 1 or 2) and per value."""

    def __init__(self, which: int) -> None:
        self.which = which
        self.count = 0
        self.paths: dict[Any, tuple[Any, ...]] = {}  # marker -> value path

    def _next(self) -> int:
        self.count += 1
        return self.count

    def integer(self, path: tuple[Any, ...]) -> int:
        marker = 7_000_000_000 + self.which * 100_000_000 + self._next()
        self.paths[marker] = path
        return marker

    def string(self, path: tuple[Any, ...], value: str) -> str | None:
        """A stand-in of the same length, of digits when ``value`` is (a region code), so that a
        build branching on the length or on ``isdigit()`` takes the same branch."""
        length = len(value)
        if length < (4 if value.isdigit() else 6):
            return None  # too short to be told apart from the statement's own strings
        n = self._next()
        if value.isdigit():
            marker = (f"9{self.which}{n:02d}" + "7" * length)[:length]
        else:
            marker = (f"~{'xy'[self.which - 1]}{n}~" * length)[:length]
        self.paths[marker] = path
        return marker

    def date(self, path: tuple[Any, ...]) -> dt.date:
        marker = dt.date(1700 + self.which * 100, 1, 1) + dt.timedelta(days=self._next())
        self.paths[marker] = path
        return marker

    def stand_in(self, name: str, value: Any) -> Any:
        if isinstance(value, User):
            user = User(pk=self.integer((name, "pk")), role=value.role)
            user.is_superuser, user.is_active, user.is_staff = value.is_superuser, value.is_active, value.is_staff
            if value.region_id is not None:
                user.region_id = self.string((name, "region_id"), value.region_id)
                if user.region_id is None:
                    raise _CannotFreeze
            return user
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return self.integer((name,))
        if isinstance(value, str):
            marker = self.string((name,), value)
            if marker is None:
                raise _CannotFreeze
            return marker
        if isinstance(value, dt.date):
            return self.date((name,))
        return [self.integer((name, i)) for i in range(len(value))]


class _CannotFreeze(Exception):
    pass


def _no_queries(*args: Any) -> Any:
    raise _CannotFreeze


def _resolve(values: dict[str, Any], path: tuple[Any, ...]) -> Any:
    value = values[path[0]]
    for step in path[1:]:
        value = value[step] if isinstance(step, int) else getattr(value, step)
    return value


class FrozenQuery(Generic[M]):
    """``build(**values)``'s queryset, compiled once per shape of the values (see the module)."""

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self.build = build
        self._entries: dict[Hashable, Any] = {}

    # --- compiling -------------------------------------------------------------------------------

    def _compile(self, values: dict[str, Any], fixed: dict[str, Any]) -> Any:
        try:
            # A build that reads the database with stand-in values would bake what it read (for a
            # stand-in: nothing) into the SQL, the same for both sets: not allowed to freeze.
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(_no_queries):
                first, second = _Markers(1), _Markers(2)
                qs1 = self.build(**fixed, **{k: first.stand_in(k, v) for k, v in values.items()})
                qs2 = self.build(**fixed, **{k: second.stand_in(k, v) for k, v in values.items()})
                compiler = qs1.query.get_compiler(using=qs1.db)
                sql1, params1 = compiler.as_sql()
                sql2, params2 = qs2.query.get_compiler(using=qs2.db).as_sql()
        except (_CannotFreeze, EmptyResultSet, ObjectDoesNotExist):
            return _UNFROZEN
        if sql1 != sql2 or len(params1) != len(params2) or qs1.db != DEFAULT_DB_ALIAS:
            return _UNFROZEN
        slots: list[_Slot] = []
        for index, (one, two) in enumerate(zip(params1, params2, strict=True)):
            if type(one) is type(two) and one == two:
                continue
            path = first.paths.get(one) if isinstance(one, int | str | dt.date) else None
            if path is not None and second.paths.get(two) == path:
                slots.append(_Slot(index, path))
                continue
            slot = self._inside_string(index, one, two, first, second)
            if slot is None:
                return _UNFROZEN
            slots.append(slot)
        return _Entry(sql1, tuple(params1), tuple(slots), qs1, compiler)

    @staticmethod
    def _inside_string(index: int, one: Any, two: Any, first: _Markers, second: _Markers) -> _Slot | None:
        if not (isinstance(one, str) and isinstance(two, str)):
            return None
        for marker, path in first.paths.items():
            if isinstance(marker, str) and marker in one:
                other = next((m for m, p in second.paths.items() if p == path), None)
                if other is not None and one.replace(marker, other) == two:
                    return _Slot(index, path, template=one, marker=marker)
        return None

    def _entry(self, key: Hashable, values: dict[str, Any], fixed: dict[str, Any]) -> Any:
        try:
            shapes = tuple((name, _shape(value)) for name, value in sorted(values.items()))
        except TypeError:  # e.g. an anonymous user: built and compiled as usual
            return _UNFROZEN
        shape = (key, tuple(sorted(fixed.items())), shapes)
        entry = self._entries.get(shape)
        if entry is None:
            if len(self._entries) >= MAX_SHAPES:
                return _UNFROZEN  # shapes a caller can multiply (a string's length): not kept beyond this
            entry = self._entries[shape] = self._compile(values, fixed)
        return entry

    # --- running ---------------------------------------------------------------------------------

    def sql(self, key: Hashable, fixed: dict[str, Any] | None = None, **values: Any) -> tuple[str, list[Any]]:
        """The SQL and parameters ``build(**fixed, **values)`` compiles to (raises
        ``EmptyResultSet`` as compiling would)."""
        fixed = fixed or {}
        entry = self._entry(key, values, fixed)
        params = self._params(entry, values) if entry is not _UNFROZEN else None
        if params is None:
            qs = self.build(**fixed, **values)
            sql, compiled = qs.query.get_compiler(using=qs.db).as_sql()
            return sql, list(compiled)
        return entry.sql, params

    def rows(self, key: Hashable, fixed: dict[str, Any] | None = None, **values: Any) -> list[M]:
        """``list(build(**fixed, **values))``: model instances (or the rows of a ``values_list``),
        prefetches done. ``fixed`` values are part of the shape and reach ``build`` as they are (a
        page's offset, a flag); ``values`` become parameters."""
        fixed = fixed or {}
        entry = self._entry(key, values, fixed)
        params = self._params(entry, values) if entry is not _UNFROZEN else None
        if params is None:
            return list(self.build(**fixed, **values))
        template: Any = entry.queryset  # the stubs do not declare a queryset's private attributes
        compiler = entry.compiler.__class__.__new__(entry.compiler.__class__)
        compiler.__dict__.update(entry.compiler.__dict__)
        compiler.connection = connections[template.db]
        sql = entry.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        query = template.query.__class__.__new__(template.query.__class__)
        query.__dict__.update(template.query.__dict__)
        query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        # A queryset over the fixed SQL, read here and never handed out (filtering or counting it
        # would reuse the rows' SQL).
        qs: Any = template.__class__(model=template.model, query=query, using=template._db, hints=template._hints)
        qs._iterable_class = template._iterable_class
        qs._fields = template._fields
        qs._prefetch_related_lookups = template._prefetch_related_lookups
        return list(qs)

    @staticmethod
    def _params(entry: _Entry, values: dict[str, Any]) -> list[Any] | None:
        params = list(entry.params)
        for slot in entry.slots:
            value = _resolve(values, slot.path)
            if slot.template is None:
                params[slot.index] = value
                continue
            if not (isinstance(value, str) and value.isalnum() and slot.marker is not None):
                return None  # would need Django's LIKE escaping: compile this call as usual
            params[slot.index] = slot.template.replace(slot.marker, value)
        return params
