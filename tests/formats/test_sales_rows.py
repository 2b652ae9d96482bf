"""A sales report's rows are read the same whichever way the reader takes them.

The reader remembers the dates and currencies it has checked and reads a row whose cells
are all known good in one step; any other row is checked cell by cell. The oracle reads
every row alone, in a file of its own, so always cell by cell: the rows and the problems
(docs/semantics.md rule 14) must be the same.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.formats.sales import SalesReader

HEADER = "licensee,title,medium,territory,period_start,period_end,units,gross,currency"
CELLS = {
    "licensee": ["sohu", "", " iqiyi "],
    "title": ["drama", "", "t-1"],
    "medium": ["svod", "AVOD", ""],
    "territory": ["cn", "HK", ""],
    "period_start": ["2017-01-01", "2017-04-01", "20170101", "2017-13-01", ""],
    "period_end": ["2017-03-31", "2017-06-30", "2016-12-31", "x", ""],
    "units": ["10", "", "1e3", "ten", "-1"],
    "gross": ["1000", "-50.5", "1,000", "NaN", "1E+2", "", ".5", "1_000"],
    "currency": ["usd", "CNY", "XYZ", "", " eur "],
}
COLUMNS = HEADER.split(",")

rows = st.lists(st.tuples(*(st.sampled_from(CELLS[c]) for c in COLUMNS)), min_size=1, max_size=25)


def _shape(row):  # type: ignore[no-untyped-def]
    return (
        row.licensee,
        row.title,
        row.medium,
        row.territory,
        row.period_start,
        row.period_end,
        row.units,
        row.gross,
        row.currency,
        row.contract,
    )


@settings(max_examples=150, deadline=None)
@given(rows)
def test_one_file_reads_as_each_row_alone(cells: list[tuple[str, ...]]) -> None:
    lines = [",".join(c) for c in cells]
    whole = SalesReader("r.csv", ("\n".join([HEADER, *lines]) + "\n").encode())
    got = [(r.line, _shape(r)) for r in whole]
    expected, problems = [], []
    for number, line in enumerate(lines, start=2):
        alone = SalesReader("r.csv", f"{HEADER}\n{line}\n".encode())
        for r in alone:
            expected.append((number, _shape(r)))
        problems += [(number, p.field, p.message) for p in alone.problems]
    assert got == expected
    assert [(p.line, p.field, p.message) for p in whole.problems] == problems
