"""Tables for spreadsheets: the one way the outer layers write a CSV or an XLSX file, safe
against formula injection (the rules are in :mod:`reelrights.formats.table`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from reelrights.domain.problems import InvalidInput, Problem

TABLE_KINDS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
"""The file kinds a table is written as, with their media types."""


class TableJobs:
    """Rows written as a spreadsheet file."""

    @staticmethod
    def table_file(rows: Iterable[Sequence[Any]], kind: str, sheet: str = "table") -> bytes:
        """``rows`` as a ``csv`` (UTF-8) or ``xlsx`` file; no cell can run as a formula."""
        from reelrights.formats import table  # openpyxl only when a table is written

        if kind == "csv":
            return table.render_csv(rows).encode("utf-8")
        if kind == "xlsx":
            return table.render_xlsx(rows, sheet)
        raise _unknown_kind(kind)

    @staticmethod
    def table_stream(
        rows: Iterable[Sequence[Any]], kind: str, sheet: str = "table"
    ) -> Iterator[bytes]:
        """:meth:`table_file` as pieces to send as they are made: a CSV a few hundred rows
        at a time; an XLSX (a zip, written at its end) whole."""
        from reelrights.formats import table

        if kind == "csv":
            return (piece.encode("utf-8") for piece in table.stream_csv(rows))
        if kind == "xlsx":
            return iter([table.render_xlsx(rows, sheet)])
        raise _unknown_kind(kind)


def _unknown_kind(kind: str) -> InvalidInput:
    return InvalidInput(
        [Problem(f"a table is written as {' or '.join(TABLE_KINDS)}, not '{kind}'", field="kind")]
    )
