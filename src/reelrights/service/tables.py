"""Tables for spreadsheets: the one way the outer layers write a CSV or an XLSX file, safe
against formula injection (the rules are in :mod:`reelrights.formats.table`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
        raise InvalidInput(
            [
                Problem(
                    f"a table is written as {' or '.join(TABLE_KINDS)}, not '{kind}'", field="kind"
                )
            ]
        )
