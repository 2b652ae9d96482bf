"""ruff and mypy --strict run with the tests, so a lint or type error fails CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_lint() -> None:
    # Formatting (`ruff format`) is a habit, not a gate: its style moves between releases.
    lint = _run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_mypy_strict_on_the_typed_packages() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
