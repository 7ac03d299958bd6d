"""Updating many rows, each with its own values, in one round of statements.

Django's ``bulk_update`` writes one ``UPDATE … SET f = CASE WHEN id = 1 THEN … END`` per batch: building
and planning that expression costs about 1 ms per row in Python (production's build chunk spent two thirds
of its time there, docs/performance.md). ``rows_update`` sends ``UPDATE … FROM (VALUES …)`` on
PostgreSQL (one statement per thousand rows) and one prepared ``UPDATE … WHERE pk = ?`` through
``executemany`` on SQLite.
No model code runs: callers are services that have already checked and validated every value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.db import connections, models, router

__all__ = ["rows_update"]

_CHUNK = 1000  # rows per statement on PostgreSQL


def rows_update(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Set ``fields`` of each row ``(pk, value1, value2, …)`` (values in ``fields`` order); how many rows.

    Field names are the model's (``status_list`` for a foreign key's column ``status_list_id``); values
    are adapted as the field would adapt them for a query.
    """
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    columns = [cast(models.Field[Any, Any], meta.get_field(name)) for name in fields]
    assert meta.pk is not None
    pk = meta.pk
    params = [
        [row[0]] + [f.get_db_prep_save(value, connection) for f, value in zip(columns, row[1:], strict=True)]
        for row in rows
    ]
    if not params:
        return 0
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement per thousand rows: UPDATE … FROM (VALUES …), each value cast to its column's type.
            names = ["id", *(f"c{i}" for i in range(len(columns)))]
            casts = [pk.db_type(connection) or "", *(f.db_type(connection) or "" for f in columns)]
            casts = [c.replace("serial", "integer") for c in casts]
            row_sql = "(" + ", ".join(f"%s::{c}" for c in casts) + ")"
            sets = ", ".join(f"{quote(str(f.column))} = v.c{i}" for i, f in enumerate(columns))
            for start in range(0, len(params), _CHUNK):
                part = params[start : start + _CHUNK]
                sql = (
                    f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row_sql] * len(part))}) "  # noqa: S608
                    f"AS v({', '.join(names)}) WHERE {table}.{quote(str(pk.column))} = v.id"
                )
                cursor.execute(sql, [value for row in part for value in row])
        else:
            assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in columns)
            sql = f"UPDATE {table} SET {assignments} WHERE {quote(str(pk.column))} = %s"  # noqa: S608
            cursor.executemany(sql, [row[1:] + row[:1] for row in params])
    return len(params)
