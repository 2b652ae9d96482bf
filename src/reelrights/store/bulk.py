"""Many rows into one table through the driver's ``executemany``.

SQLAlchemy's ``connection.execute(insert(table), [dicts])`` compiles the statement and runs
every value of every row through the column type's bind processor in Python: for the
checked import of a million licenses that was more time than the database took to store
them (most of it serialising JSON documents one encoder at a time). Bulk writes build
their rows here instead, with values already in the form the driver stores — the same
form SQLAlchemy would have produced: JSON as the text of :func:`json_text` on SQLite and
``psycopg``'s ``Json`` on PostgreSQL; a value shared by every row (a timestamp) goes
through its column's own bind processor once, and a text or number shared by every row (the
actor, the version) can be written into the statement once instead of bound for each row.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Connection, Integer, String, Table, literal


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON: {value!r}")


# One encoder for every document: ``json.dumps(..., default=...)`` builds a new encoder
# on each call, which for a million change-log documents cost seconds. Same output.
_encode = json.JSONEncoder(default=_json_default).encode
# Even one encoder's ``encode`` makes a C encoder and a table of the objects it has seen
# (to refuse cycles) for every document: a third of the time of a small one. The C
# encoder is made once, with the settings ``json.dumps`` uses; documents are built here
# from plain data and cannot hold a cycle.
_make_encoder: Callable[..., Any] | None = getattr(json.encoder, "c_make_encoder", None)
_c_encode = (
    _make_encoder(
        None,  # no cycle check
        _json_default,
        json.encoder.encode_basestring_ascii,  # ensure_ascii
        None,  # indent
        ": ",
        ", ",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    if _make_encoder is not None
    else None
)


class JSONText(str):
    """A document already written as JSON text, exactly as :func:`json_text` would write
    it: stored as it is."""

    __slots__ = ()


def json_text(value: Any) -> str:
    """``value`` as JSON text, exactly as ``json.dumps(value, default=...)`` writes it (the
    empty documents most rights carry, ``{}`` and ``[]``, without calling the encoder; a
    :class:`JSONText` as it is)."""
    if type(value) is JSONText:
        return value
    if not value and value is not None and isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    if _c_encode is None or isinstance(value, str):
        return _encode(value)
    return "".join(_c_encode(value, 0))


def json_document(connection: Connection) -> Callable[[Any], Any]:
    """How a JSON document goes to this connection's driver (None becomes JSON null, as
    SQLAlchemy's JSON type stores it)."""
    if connection.dialect.name == "sqlite":
        return json_text
    from psycopg.types.json import Json

    return lambda value: Json(value, dumps=json_text)


def bound(connection: Connection, column: Column[Any], value: Any) -> Any:
    """``value`` as SQLAlchemy would send it for ``column`` (e.g. a timestamp as SQLite
    text)."""
    dialect = connection.dialect
    process = dialect.type_descriptor(column.type).bind_processor(dialect)
    return process(value) if process is not None else value


def insert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    same: Mapping[str, str | int | None] | None = None,
) -> None:
    """INSERT ``rows`` (tuples in the order of ``columns``) in one ``executemany``.

    ``same``: more columns, each with one value for every row (a load's actor, key,
    version...), written into the statement as literals, rendered by SQLAlchemy for the
    dialect, instead of being bound again for every row: the driver binds each value of
    each row in turn (on SQLite about 0.2 microseconds apiece, a second or more for a
    million rows of half a dozen such columns). A text SQL cannot hold (a NUL character)
    is bound with every row instead."""
    if not rows:
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    fixed = dict(same or {})
    if any(isinstance(value, str) and "\x00" in value for value in fixed.values()):
        rows = [(*row, *fixed.values()) for row in rows]
        columns, fixed = (*columns, *fixed), {}
    names = ", ".join(f'"{c}"' for c in (*columns, *fixed))
    values = ", ".join([mark] * len(columns) + [_literal(connection, v) for v in fixed.values()])
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({values})", rows)


def _literal(connection: Connection, value: str | int | None) -> str:
    """``value`` as an SQL literal of this connection's dialect (for a driver that reads
    ``%s`` marks, SQLAlchemy doubles a ``%`` in it)."""
    kind = String() if isinstance(value, str) else Integer()
    return str(
        literal(value, kind).compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True}
        )
    )
