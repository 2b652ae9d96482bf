"""Sales reports and exchange-rate files (CSV or XLSX), read as a stream of checked rows.

A sales report has a header row naming the columns ``licensee, title, medium, territory,
period_start, period_end, units, gross, currency`` and optionally ``contract`` (any order,
any case). Every row is checked as it is read; a malformed number, date or currency is a
problem located at its file, row and column, and the caller refuses the whole file if any
was found. Unknown titles, media or territories are not problems here: the line is kept
and reported unmatched (docs/semantics.md rule 14).

A line's identity is a hash of its normalised fields (codes upper-cased, amounts and dates
in canonical form) and of how many identical lines came before it in the same file; the
file's name and the line's position are not part of it, so importing the same lines
again, renamed or reordered, finds them already stored (see :func:`line_identity`).

>>> rows = SalesReader("r.csv", b"licensee,title,medium,territory,period_start,period_end,"
...     b"units,gross,currency\\nsohu,d,svod,cn,2017-01-01,2017-03-31,10,1e3,cny\\n")
>>> [(r.line, r.medium, r.gross, r.currency) for r in rows]
[(2, 'SVOD', Decimal('1E+3'), 'CNY')]
>>> bad = SalesReader("r.csv", b"licensee,title,medium,territory,period_start,period_end,"
...     b"units,gross,currency\\nsohu,d,svod,cn,2017-01-01,2017-03-31,10,1.000,00,cny\\n")
>>> list(bad), [str(p) for p in bad.problems]
([], ['r.csv:2: row has 10 cells, the header 9'])
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Literal

from reelrights.domain.money import NUMBER, currency_code, parse_amount
from reelrights.domain.problems import CodeError, Problem
from reelrights.domain.terms import parse_date

COLUMNS = (
    "licensee",
    "title",
    "medium",
    "territory",
    "period_start",
    "period_end",
    "units",
    "gross",
    "currency",
)
OPTIONAL = ("contract",)
RATE_COLUMNS = ("date", "from", "to", "rate")
MAX_CELL = 200  # characters in one cell: ids, codes and amounts are short
MAX_PROBLEMS = 1000  # a file this broken is refused without listing more
MAX_ROWS = 10_000_000
MEMO = 10_000  # distinct dates, currencies and codes remembered while reading a report


@dataclass(frozen=True, slots=True)
class SalesRow:
    """One checked line of a sales report."""

    file: str
    line: int
    licensee: str
    title: str
    medium: str
    territory: str
    period_start: date
    period_end: date
    units: Decimal | None
    gross: Decimal
    currency: str
    contract: str | None = None

    def normalised(self) -> str:
        """The fields in canonical form, for :func:`line_identity`."""
        return "\x1f".join(
            (
                self.licensee,
                self.title,
                self.medium,
                self.territory,
                self.period_start.isoformat(),
                self.period_end.isoformat(),
                "" if self.units is None else _canonical(self.units),
                _canonical(self.gross),
                self.currency,
                self.contract or "",
            )
        )


def _canonical(number: Decimal) -> str:
    """``10``, ``10.0`` and ``1E+1`` are the same amount."""
    return format(number.normalize(), "f") if number else "0"


def line_identity(normalised: str, occurrence: int) -> str:
    """The stored id of a line: SHA-256 of its normalised fields (:meth:`SalesRow.normalised`)
    and its occurrence number (0 for the first line with these fields in its file, 1 for
    the second, ...)."""
    return hashlib.sha256(f"{normalised}\x1e{occurrence}".encode()).hexdigest()


def line_key(normalised: str) -> bytes:
    """A short digest of a line's normalised fields, to count identical lines in a file."""
    return hashlib.blake2b(normalised.encode(), digest_size=16).digest()


class _Table:
    """Rows of a CSV or XLSX file as lists of text, with their row numbers."""

    def __init__(
        self, file: str, source: bytes | IO[bytes] | None, problems: list[Problem]
    ) -> None:
        self.file = file
        self.source = source
        self.problems = problems

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        if self.file.lower().endswith((".xlsx", ".xlsm")):
            yield from self._xlsx()
        else:
            yield from self._csv()

    def _csv(self) -> Iterator[tuple[int, list[str]]]:
        source = self.source
        raw: IO[bytes]
        if source is None:
            try:
                raw = Path(self.file).open("rb")  # noqa: SIM115 (closed below)
            except OSError as error:
                self.problems.append(Problem(f"cannot read: {error.strerror or error}", self.file))
                return
        elif isinstance(source, bytes):
            raw = io.BytesIO(source)
        else:  # the caller's open file: read from its start, left open
            source.seek(0)
            raw = source
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            yield from enumerate(csv.reader(handle), start=1)
        except (UnicodeDecodeError, csv.Error) as error:
            self.problems.append(Problem(f"not a readable CSV file: {error}", self.file))
        finally:
            if raw is source:
                handle.detach()
            else:
                handle.close()

    def _xlsx(self) -> Iterator[tuple[int, list[str]]]:
        # the first worksheet, streamed within the limits of formats.workbook (part sizes,
        # rows, cells), whatever its stored dimension says; lxml loads only for workbooks
        from reelrights.formats.workbook import Workbook, WorkbookError

        try:
            source = self.source
            if isinstance(source, bytes):
                source = io.BytesIO(source)
            elif source is not None:
                source.seek(0)
            with Workbook(self.file, source) as book:
                sheets = book.worksheets()
                if not sheets:
                    self.problems.append(Problem("the workbook has no worksheet", self.file))
                    return
                for number, values in sheets[0].rows():
                    cells = [""] * max(values)
                    for column, value in values.items():
                        cells[column - 1] = _cell_text(value)
                    yield number, cells
        except WorkbookError as error:
            self.problems.append(error.problem)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()[:10]
    if isinstance(value, float):
        return repr(value)
    return str(value)


class _Rows:
    """A checked header and the cells of each row by column name."""

    def __init__(
        self,
        file: str,
        source: bytes | IO[bytes] | None,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self._table = _Table(file, source, self.problems)
        self.required, self.optional = required, optional
        self.header: list[str] = []

    def problem(self, line: int | None, column: str | None, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(message, self.file, line, column))
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append(Problem("more problems not listed", self.file))

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        for number, cells in self.lists():
            yield number, dict(zip(self.header, cells, strict=True))

    def lists(self) -> Iterator[tuple[int, list[str]]]:
        """The checked rows as lists of stripped cells in the order of :attr:`header`
        (set before the first row comes): no dictionary per row."""
        header: list[str] | None = None
        for number, cells in self._table.rows():
            if header is None:
                header = [c.strip().lower() for c in cells]
                while header and not header[-1]:
                    header.pop()
                if not self._header_ok(header):
                    return
                self.header = header
                continue
            while len(cells) > len(header) and not cells[-1].strip():
                cells = cells[:-1]
            if not "".join(cells).strip():
                continue  # a blank line
            if number > MAX_ROWS:
                self.problem(number, None, f"more than {MAX_ROWS} rows")
                return
            if len(cells) != len(header):
                self.problem(number, None, f"row has {len(cells)} cells, the header {len(header)}")
                continue
            if max(map(len, cells)) > MAX_CELL:  # rare: found, then located
                for column, cell in zip(header, cells, strict=True):
                    if len(cell) > MAX_CELL:
                        self.problem(number, column, f"longer than {MAX_CELL} characters")
                continue
            yield number, [c.strip() for c in cells]
        if header is None and not self.problems:
            self.problem(None, None, "the file is empty (no header row)")

    def _header_ok(self, header: list[str]) -> bool:
        ok = True
        for column in header:
            if column not in self.required and column not in self.optional:
                known = ", ".join(self.required + self.optional)
                self.problem(1, column or None, f"unknown column (expected {known})")
                ok = False
        for column in self.required:
            if column not in header:
                self.problem(1, column, "missing column")
                ok = False
        if len(set(header)) != len(header):
            self.problem(1, None, "a column is named twice")
            ok = False
        return ok


class SalesReader:
    """Iterate the checked lines of one sales report; :attr:`problems` lists what is
    malformed (complete once iteration ends).

    A report repeats the same few dates, currencies and codes on every line, so each
    distinct text is checked once and remembered (at most :data:`MEMO` of each, so
    memory stays bounded whatever the file holds)."""

    def __init__(self, file: str, source: bytes | IO[bytes] | None = None) -> None:
        self._rows = _Rows(file, source, COLUMNS, OPTIONAL)
        self.file = file
        self._dates: dict[str, date | str] = {}  # text -> day, or the problem's message
        self._currencies: dict[str, str | None] = {}  # text -> code, None: unknown
        self._strings: dict[str, str] = {}  # one copy of each repeated id or code

    @property
    def problems(self) -> list[Problem]:
        return self._rows.problems

    def __iter__(self) -> Iterator[SalesRow]:
        rows = self._rows
        at: Callable[[list[str]], tuple[str, ...]] | None = None
        contract = -1
        for number, cells in rows.lists():
            if at is None:  # the header is read: where each column is
                at = itemgetter(*(rows.header.index(c) for c in COLUMNS))
                contract = rows.header.index("contract") if "contract" in rows.header else -1
            row = self._plain_row(number, cells, at, contract)
            if row is None:
                row = self._row(number, dict(zip(rows.header, cells, strict=True)))
            if row is not None:
                yield row

    def _share(self, text: str) -> str:
        found = self._strings.get(text)
        if found is None:
            if len(self._strings) < MEMO:
                self._strings[text] = text
            return text
        return found

    def _date(self, text: str) -> date | str:
        """The day, or the message of the problem with it."""
        found = self._dates.get(text)
        if found is None:
            try:
                found = parse_date(text)
            except CodeError as error:
                found = str(error)
            if len(self._dates) < MEMO:
                self._dates[text] = found
        return found

    def _currency(self, text: str) -> str | None:
        if text in self._currencies:
            return self._currencies[text]
        try:
            found: str | None = currency_code(text)
        except CodeError:
            found = None
        if len(self._currencies) < MEMO:
            self._currencies[text] = found
        return found

    def _row(self, number: int, cells: dict[str, str]) -> SalesRow | None:
        """The checked row, or ``None`` with its problems noted: a row that
        :meth:`_plain_row` could not take, checked cell by cell."""
        problem = self._rows.problem
        ok = True
        for column in ("licensee", "title", "medium", "territory"):
            if not cells[column]:
                problem(number, column, "missing")
                ok = False
        days: list[date | None] = []
        for column in ("period_start", "period_end"):
            text = cells[column]
            if not text:
                problem(number, column, "missing")
                ok = False
                days.append(None)
                continue
            day = self._date(text)
            if isinstance(day, str):
                problem(number, column, day)
                ok = False
                days.append(None)
            else:
                days.append(day)
        start, end = days
        gross = self._amount(number, cells, "gross", required=True)
        currency = None
        text = cells["currency"]
        if not text:
            problem(number, "currency", "missing")
        else:
            currency = self._currency(text)
            if currency is None:
                problem(number, "currency", f"unknown currency '{text.strip()}' (ISO 4217)")
        units = self._amount(number, cells, "units", required=False)
        if not isinstance(gross, Decimal) or currency is None or units is False:
            ok = False
        if start is not None and end is not None and end < start:
            problem(number, "period_end", f"the period ends ({end}) before it starts ({start})")
            ok = False
        if not ok or start is None or end is None or not isinstance(gross, Decimal) or not currency:
            return None
        return SalesRow(
            self.file,
            number,
            self._share(cells["licensee"]),
            self._share(cells["title"]),
            self._share(cells["medium"].upper()),
            self._share(cells["territory"].upper()),
            start,
            end,
            None if units is False else units,
            gross,
            currency,
            cells.get("contract") or None,
        )

    def _plain_row(
        self,
        number: int,
        cells: list[str],
        at: Callable[[list[str]], tuple[str, ...]],
        contract: int,
    ) -> SalesRow | None:
        """The row if every cell is there, its dates and currency are remembered as good
        and its amounts are numbers; else ``None`` (and no problem noted: :meth:`_row`
        looks again). Most rows of a report are such rows; ``at`` picks the cells of
        :data:`COLUMNS` from ``cells``, ``contract`` where that column is (-1: none)."""
        licensee, title, medium, territory, first, last, units, gross, code = at(cells)
        start = self._dates.get(first)
        end = self._dates.get(last)
        currency = self._currencies.get(code)
        if not (
            isinstance(start, date)
            and isinstance(end, date)
            and currency
            and licensee
            and title
            and medium
            and territory
            and start <= end
            and NUMBER.match(gross)
            and (not units or NUMBER.match(units))
        ):
            return None
        share = self._share
        return SalesRow(
            self.file,
            number,
            share(licensee),
            share(title),
            share(medium.upper()),
            share(territory.upper()),
            start,
            end,
            Decimal(units) if units else None,
            Decimal(gross),
            currency,
            (cells[contract] or None) if contract >= 0 else None,
        )

    def _amount(
        self, number: int, cells: dict[str, str], column: str, required: bool
    ) -> Decimal | Literal[False] | None:
        """The cell's amount; ``None`` if it is empty (a problem if ``required``), and
        ``False`` (with the problem noted) if it is not a number."""
        text = cells[column]
        if not text:
            if required:
                self._rows.problem(number, column, "missing")
            return None
        try:
            return parse_amount(text)
        except CodeError as error:
            self._rows.problem(number, column, str(error))
            return False if not required else None


def read_rates(
    file: str, source: bytes | IO[bytes] | None = None
) -> tuple[list[tuple[date, str, str, Decimal]], list[Problem]]:
    """The quotes of an exchange-rate file (``date, from, to, rate``: 1 FROM = rate TO),
    or the located problems that refuse it. A rate must be more than zero."""
    rows = _Rows(file, source, RATE_COLUMNS)
    quotes: list[tuple[date, str, str, Decimal]] = []
    for number, cells in rows:
        values: dict[str, Any] = {}
        for column, make in (
            ("date", parse_date),
            ("from", currency_code),
            ("to", currency_code),
            ("rate", parse_amount),
        ):
            if not cells[column]:
                rows.problem(number, column, "missing")
                continue
            try:
                values[column] = make(cells[column])
            except CodeError as error:
                rows.problem(number, column, str(error))
        if len(values) < 4:
            continue
        if values["rate"] <= 0:
            rows.problem(number, "rate", "must be more than zero")
            continue
        if values["from"] == values["to"]:
            rows.problem(number, "to", "a rate converts between two different currencies")
            continue
        quotes.append((values["date"], values["from"], values["to"], values["rate"]))
    return quotes, rows.problems
