"""The checked-import benchmark's command line, at a tiny size: it loads every generated
contract and says how long that took, and its profile lands where it was asked to."""

from __future__ import annotations

import json
import pstats
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_benchmark_loads_the_whole_catalog(tmp_path: Path) -> None:
    profile = tmp_path / "import.prof"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.load",
            "--licenses",
            "300",
            "--workdir",
            str(tmp_path / "work"),
            "--profile",
            str(profile),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert row["licenses"] == 300
    assert row["contracts"] > 300  # the licenses and every title's ownership record
    assert row["import_s"] > 0 and row["import_cpu_s"] > 0 and row["peak_mib"] > 0
    stats = pstats.Stats(str(profile))
    assert any(name == "load_sheets" for (_, _, name) in stats.stats)  # type: ignore[attr-defined]
    assert list((tmp_path / "work").iterdir()) == []  # the book is deleted afterwards


def test_the_import_benchmark_times_its_phases(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--licenses", "300", "--phases", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    phases = json.loads(done.stdout)["phases"]
    for label in ("checking (in order)", "storing (_store_load)", "  change-log rows"):
        assert phases[label]["wall_s"] >= 0 and phases[label]["cpu_s"] >= 0
    assert "storing (_store_load)" in done.stderr  # and the table, for a reader
