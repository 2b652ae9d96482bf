"""A CSV table sent a piece at a time is the same text as the table written whole."""

from __future__ import annotations

import csv
import io

from reelrights.formats.table import render_csv, stream_csv


def test_a_streamed_csv_is_the_whole_csv_in_pieces() -> None:
    rows = [["id", "note"]] + [
        [f"c-{i}", "=1+1" if i % 7 == 0 else f"line\n{i}"] for i in range(1203)
    ]
    pieces = list(stream_csv(rows, batch=500))
    assert len(pieces) == 3  # 1,204 rows: 500, 500, 204
    assert "".join(pieces) == render_csv(rows)
    read = list(csv.reader(io.StringIO("".join(pieces))))
    assert read[0] == ["id", "note"] and len(read) == 1204
    assert read[1] == ["c-0", "'=1+1"]  # formula-like text is never a formula
    assert list(stream_csv([])) == []
