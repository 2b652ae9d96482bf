"""Tables reelrights writes for spreadsheets (CSV and XLSX), safe against formula injection.

Text in a rights book comes from outside: contract ids, party and title names, a feed's
free-text fields. A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is run as a formula by spreadsheet applications when the file is opened
(``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). Every CSV and XLSX the product writes goes
through this module, so that never happens:

- **XLSX** (:func:`xlsx_row`): every text cell is written with the string data type, so
  no cell is ever a formula, and the text stays exactly as it is (an Avails workbook reads
  back to the same values). Numbers (``int``, ``float``, ``Decimal``) stay numbers,
  negative ones included.
- **CSV** (:func:`csv_cell`): CSV has no types, so a text cell starting with one of those
  characters gets an apostrophe in front (``'=1+2``), which spreadsheets show as text
  and do not run. A text that is a plain decimal number (``-12.50``, ``+3``) is left as
  it is: spreadsheets read it as that number, and nothing in it can run. Numbers are
  written as numbers.

>>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("-12.50"), csv_cell("-1+2"), csv_cell(-3)
('\\'=HYPERLINK("http://x")', '-12.50', "'-1+2", -3)
>>> data = render_xlsx([["contract", "fee"], ["=1+2", -5]], "t")
>>> import io, openpyxl
>>> sheet = openpyxl.load_workbook(io.BytesIO(data)).active
>>> [(c.value, c.data_type) for c in sheet[2]]
[('=1+2', 's'), (-5, 'n')]
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # openpyxl loads when a workbook is written, not for CSV
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet application run a cell as a formula."""
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula (a plain number is not)."""
    return text.startswith(FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(text) is None


def csv_cell(value: Any) -> Any:
    """A value as it is safe to write to a CSV cell (see the module's rules)."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def render_csv(rows: Iterable[Sequence[Any]]) -> str:
    """A CSV text of ``rows``, every cell through :func:`csv_cell`."""
    return "".join(stream_csv(rows))


def stream_csv(rows: Iterable[Sequence[Any]], batch: int = 500) -> Iterator[str]:
    """:func:`render_csv` a piece at a time (``batch`` rows each): a long table is sent
    as it is read, never held whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(v) for v in row])
        if number % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def xlsx_row(sheet: WriteOnlyWorksheet, row: Sequence[Any]) -> list[Any]:
    """A row ready for ``sheet.append``: text that a spreadsheet would take for a formula
    becomes a cell of the string data type; everything else is left to openpyxl (text
    stays text, numbers stay numbers)."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for value in row:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            out.append(cell)
        else:
            out.append(value)
    return out


def render_xlsx(rows: Iterable[Sequence[Any]], title: str) -> bytes:
    """An .xlsx workbook of one sheet ``title`` holding ``rows`` (see :func:`xlsx_row`)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()
