"""Reading .xlsx workbooks row by row, in bounded memory, whatever the workbook claims.

A workbook is a zip of XML parts. This reader opens the zip, checks every part's size
*before* decompressing anything, then streams each worksheet's ``<row>`` elements through
the hardened parser of :mod:`reelrights.formats.xmlsafe`, one cell at a time, and forgets
each row once it is handed on. It never trusts the worksheet's stored dimension
(``<dimension ref="A1"/>`` in a sheet of thirty rows is common in workbooks other tools
wrote), never fills the gap before a far-away row number with empty rows, and yields each
row as a sparse mapping of column number to value.

The limits, every one refused with a :class:`WorkbookError` naming the file and the part:

========================  ===========================================================
:data:`MAX_PARTS`         parts in the zip (10,000)
:data:`MAX_PART_BYTES`    uncompressed size of one part (256 MiB)
:data:`MAX_TOTAL_BYTES`   uncompressed size of all parts together (512 MiB)
:data:`MAX_RATIO`         uncompressed / compressed size of a part over 1 MiB (100; real
                          worksheets compress 3 to 25 times, a zip bomb 1,000 times)
:data:`MAX_ROWS`          a row number (1,048,576, Excel's own limit)
:data:`MAX_COLUMNS`       a column number (16,384, column XFD, Excel's own limit)
:data:`MAX_CELL_CHARS`    characters in one cell (32,767, Excel's own limit)
:data:`MAX_ROW_CHARS`     characters in one row, all cells together (1,048,576)
:data:`MAX_SHARED_STRINGS`  entries in the shared-string table (2,000,000)
========================  ===========================================================

Values are what the cells hold (formulas are not evaluated; their cached result is read):
text, ``int`` or ``float`` numbers, ``bool``, and ``datetime`` for numbers in a date format
(or ``timedelta`` for a duration format), as ``openpyxl`` reads them.

>>> import io, openpyxl
>>> book = openpyxl.Workbook(); sheet = book.active; sheet.title = "Avails"
>>> sheet["A1"], sheet["C3"] = "ALID", 7
>>> data = io.BytesIO(); book.save(data)
>>> with Workbook("demo.xlsx", io.BytesIO(data.getvalue())) as workbook:
...     [(s.title, list(s.rows())) for s in workbook.worksheets()]
[('Avails', [(1, {1: 'ALID'}), (3, {3: 7})])]
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import IO, Any

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from reelrights.domain.problems import Problem
from reelrights.formats import xmlsafe

MAX_PARTS = 10_000
MAX_PART_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
"""Parts smaller than this are not held to :data:`MAX_RATIO` (tiny parts of repeated
markup compress very well and can do no harm)."""
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELL_CHARS = 32_767
MAX_ROW_CHARS = 1_048_576
MAX_SHARED_STRINGS = 2_000_000

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_DOCUMENT = "/officeDocument"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")

Value = str | int | float | bool | datetime | timedelta
Row = dict[int, Value]


class WorkbookError(Exception):
    """A workbook that cannot be read within the limits, or at all; carries the problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass
class _Part:
    name: str
    size: int


class Workbook:
    """An open workbook: its worksheets in workbook order (use as a context manager)."""

    def __init__(self, file: str, source: str | IO[bytes] | None = None) -> None:
        self.file = file
        try:
            self.zip = zipfile.ZipFile(source if source is not None else file)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise WorkbookError(Problem(f"not a readable .xlsx workbook: {error}", file)) from None
        try:
            self._check_sizes()
            self.shared: list[str] = []
            self.date_styles: dict[int, bool] = {}  # style index -> is a duration
            self.epoch = CALENDAR_WINDOWS_1900
            self._sheets: list[tuple[str, str]] = []
            self.reading: IO[bytes] | None = None  # the part being read, for progress
            self._read_workbook()
        except BaseException:
            self.zip.close()
            raise

    def __enter__(self) -> Workbook:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.zip.close()

    def close(self) -> None:
        self.zip.close()

    # -- the parts ------------------------------------------------------------------------

    def fail(self, message: str, part: str | None = None, line: int | None = None) -> WorkbookError:
        where = f"part {part}" if part else None
        return WorkbookError(Problem(message, self.file, line, where))

    def _check_sizes(self) -> None:
        members = self.zip.infolist()
        if len(members) > MAX_PARTS:
            raise self.fail(f"the workbook has {len(members)} parts; at most {MAX_PARTS} are read")
        total = 0
        for member in members:
            size = member.file_size
            total += size
            if size > MAX_PART_BYTES:
                raise self.fail(
                    f"the part unpacks to {size:,} bytes; at most {MAX_PART_BYTES:,} are read",
                    member.filename,
                )
            if size > RATIO_FLOOR and size > MAX_RATIO * max(member.compress_size, 1):
                ratio = size // max(member.compress_size, 1)
                raise self.fail(
                    f"the part unpacks {ratio:,} times its packed size ({size:,} bytes); "
                    f"a workbook part may unpack at most {MAX_RATIO} times",
                    member.filename,
                )
        if total > MAX_TOTAL_BYTES:
            raise self.fail(
                f"the workbook unpacks to {total:,} bytes; at most {MAX_TOTAL_BYTES:,} are read"
            )

    def _open(self, name: str) -> IO[bytes]:
        try:
            return self.zip.open(name)
        except KeyError:
            raise self.fail("the part is missing", name) from None

    def _events(self, name: str, tags: tuple[str, ...], **options: Any) -> Iterator[Any]:
        """Hardened ``iterparse`` events of a part; broken XML or zip data is a
        :class:`WorkbookError` naming the part and the line."""
        with self._open(name) as stream:
            self.reading = stream
            try:
                yield from xmlsafe.iterparse(stream, tag=tags, **options)
            except etree.XMLSyntaxError as error:
                line = error.position[0] if error.position else None
                raise self.fail(f"not well-formed XML: {error.msg}", name, line) from None
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
                raise self.fail(f"the part cannot be unpacked: {error}", name) from None

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, part name) of a part (empty when it has none)."""
        folder, base = posixpath.split(part)
        name = posixpath.join(folder, "_rels", base + ".rels")
        if name not in self.zip.NameToInfo:
            return {}
        out = {}
        for _, node in self._events(name, (f"{RELATIONSHIPS}Relationship",)):
            target = node.get("Target") or ""
            if node.get("TargetMode") == "External":
                continue
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(folder, target))
            out[node.get("Id") or ""] = (node.get("Type") or "", resolved)
            node.clear()
        return out

    def _read_workbook(self) -> None:
        documents = [p for kind, p in self._rels("").values() if kind.endswith(_DOCUMENT)]
        main = documents[0] if documents else "xl/workbook.xml"
        rels = self._rels(main)
        for _, node in self._events(main, (f"{MAIN}workbookPr", f"{MAIN}sheet")):
            if node.tag == f"{MAIN}workbookPr":
                if (node.get("date1904") or "").lower() in ("1", "true"):
                    self.epoch = CALENDAR_MAC_1904
            else:
                kind, part = rels.get(node.get(R_ID) or "", ("", ""))
                if kind.endswith("/worksheet"):
                    self._sheets.append((node.get("name") or part, part))
        for kind, part in rels.values():
            if kind.endswith("/sharedStrings"):
                self._read_shared_strings(part)
            elif kind.endswith("/styles"):
                self._read_styles(part)

    def _read_shared_strings(self, part: str) -> None:
        for _, node in self._events(part, (f"{MAIN}si",)):
            if len(self.shared) >= MAX_SHARED_STRINGS:
                raise self.fail(
                    f"more than {MAX_SHARED_STRINGS:,} shared strings; no more are read", part
                )
            self.shared.append(_text_of(node))
            node.clear()
            while node.getprevious() is not None:
                del node.getparent()[0]

    def _read_styles(self, part: str) -> None:
        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        index = 0
        in_cell_xfs = False
        for event, node in self._events(
            part, (f"{MAIN}numFmt", f"{MAIN}cellXfs", f"{MAIN}xf"), events=("start", "end")
        ):
            if node.tag == f"{MAIN}numFmt" and event == "end":
                number = node.get("numFmtId") or ""
                if number.isdigit():
                    formats[int(number)] = node.get("formatCode") or ""
            elif node.tag == f"{MAIN}cellXfs":
                in_cell_xfs = event == "start"
            elif node.tag == f"{MAIN}xf" and event == "end" and in_cell_xfs:
                number = node.get("numFmtId") or "0"
                code = formats.get(int(number)) if number.isdigit() else None
                if code and is_date_format(code):
                    self.date_styles[index] = is_timedelta_format(code)
                index += 1

    # -- the worksheets -------------------------------------------------------------------

    def worksheets(self) -> list[Worksheet]:
        """The worksheets in workbook order (chart sheets and others left out)."""
        return [Worksheet(self, title, part) for title, part in self._sheets]


class Worksheet:
    """One worksheet of an open :class:`Workbook`."""

    def __init__(self, workbook: Workbook, title: str, part: str) -> None:
        self.workbook, self.title, self.part = workbook, title, part

    @property
    def size(self) -> int:
        """The uncompressed size of the sheet's part, in bytes (for progress)."""
        info = self.workbook.zip.NameToInfo.get(self.part)
        return info.file_size if info else 0

    @property
    def done(self) -> int:
        """How many bytes of the sheet's part have been read so far (for progress)."""
        stream = self.workbook.reading
        try:
            return min(stream.tell(), self.size) if stream is not None else 0
        except (OSError, ValueError):
            return 0

    def rows(self) -> Iterator[tuple[int, Row]]:
        """``(row number, {column number: value})`` for every row that holds a value, in
        document order; empty cells and empty rows are left out."""
        book = self.workbook
        row_tag, cell_tag = f"{MAIN}row", f"{MAIN}c"
        number = 0
        count = 0
        column = 0
        chars = 0
        values: Row = {}
        for event, node in book._events(self.part, (row_tag, cell_tag), events=("start", "end")):
            if node.tag == row_tag:
                if event == "start":
                    given = node.get("r")
                    number = int(given) if given and given.isdigit() else number + 1
                    count += 1
                    if number > MAX_ROWS or count > MAX_ROWS:
                        raise self._fail(
                            f"row {max(number, count):,} is past the last row a workbook may "
                            f"have ({MAX_ROWS:,})",
                            node,
                        )
                    column, chars, values = 0, 0, {}
                    continue
                if values:
                    yield number, values
                node.clear()
                parent = node.getparent()
                if parent is not None:
                    while node.getprevious() is not None:
                        del parent[0]
                continue
            if event == "start":
                continue
            reference = node.get("r")
            matched = _CELL_REF.match(reference) if reference else None
            column = _column_number(matched.group(1)) if matched else column + 1
            if column > MAX_COLUMNS:
                raise self._fail(
                    f"cell {reference or column} is past the last column a workbook may have "
                    f"({MAX_COLUMNS:,}, XFD)",
                    node,
                )
            value = self._value(node)
            node.clear()
            if value is None:
                continue
            if isinstance(value, str):
                if len(value) > MAX_CELL_CHARS:
                    raise self._fail(
                        f"cell {reference or column} of row {number} holds {len(value):,} "
                        f"characters; a cell may hold at most {MAX_CELL_CHARS:,}",
                        node,
                    )
                chars += len(value)
                if chars > MAX_ROW_CHARS:
                    raise self._fail(
                        f"row {number} holds more than {MAX_ROW_CHARS:,} characters",
                        node,
                    )
            values[column] = value

    def _fail(self, message: str, node: Any) -> WorkbookError:
        return self.workbook.fail(
            f"worksheet '{self.title}': {message}", self.part, node.sourceline
        )

    def _value(self, node: Any) -> Value | None:
        kind = node.get("t") or "n"
        if kind == "inlineStr":
            inline = node.find(f"{MAIN}is")
            return _text_of(inline) if inline is not None else None
        raw: str | None = node.findtext(f"{MAIN}v")
        if raw is None or raw == "":
            return None
        try:
            if kind == "s":
                return self.workbook.shared[int(raw)]
            if kind == "b":
                return raw.strip() in ("1", "true")
            if kind in ("str", "e"):
                return raw
            if kind == "d":
                return datetime.fromisoformat(raw.strip().rstrip("Z"))
            number: int | float = int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except (ValueError, IndexError):
            raise self._fail(
                f"cell {node.get('r') or ''} holds '{raw[:40]}', not a value of type '{kind}'",
                node,
            ) from None
        style = node.get("s")
        if style and style.isdigit() and int(style) in self.workbook.date_styles:
            try:
                found: datetime | timedelta = from_excel(
                    number, self.workbook.epoch, timedelta=self.workbook.date_styles[int(style)]
                )
                return found
            except (OverflowError, ValueError):
                return number
        return number


def _text_of(node: Any) -> str:
    """The text of a string item (``<si>`` or ``<is>``): its ``<t>``, or its rich-text runs'
    ``<t>`` joined, phonetic hints (``<rPh>``) left out."""
    plain = node.find(f"{MAIN}t")
    if plain is not None:
        return str(plain.text or "")
    return "".join(str(t.text or "") for t in node.iterfind(f"{MAIN}r/{MAIN}t"))


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number
