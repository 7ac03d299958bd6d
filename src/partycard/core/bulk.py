"""Updating many rows, each with its own values, in one round of statements.

Django's ``bulk_update`` writes one ``UPDATE … SET f = CASE WHEN id = 1 THEN … END`` per batch: building
and planning that expression costs about 1 ms per row in Python (production's build chunk spent two thirds
of its time there, docs/performance.md). ``rows_update`` sends one plain parameterised ``UPDATE … WHERE
pk = %s`` through the driver's ``executemany`` instead (psycopg 3 pipelines it; SQLite prepares it once).
No model code runs: callers are services that have already checked and validated every value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.db import connections, models, router

__all__ = ["rows_update"]


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
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(meta.pk.column))} = %s"  # noqa: S608 - names from the model
    params = [
        [f.get_db_prep_save(value, connection) for f, value in zip(columns, row[1:], strict=True)] + [row[0]]
        for row in rows
    ]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
    return len(params)
