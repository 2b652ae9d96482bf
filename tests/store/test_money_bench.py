"""The money benchmark's command line: its work directory is made when it does not exist,
and one that cannot be made is refused with a message, not a database traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.money", "--licenses", "200", "--lines", "100", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_missing_workdir_is_created(tmp_path: Path) -> None:
    workdir = tmp_path / "not" / "yet"
    done = _bench("--workdir", str(workdir), "--json")
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert row["lines"] == 100
    assert row["matched"] + row["unmatched"] == 100
    assert (workdir / "money-book-200.db").exists()


def test_a_workdir_that_cannot_be_made_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    done = _bench("--workdir", str(tmp_path / "a-file" / "below"))
    assert done.returncode == 2
    assert "--workdir" in done.stderr and "cannot create it" in done.stderr
    assert "Traceback" not in done.stderr
