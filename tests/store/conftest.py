"""Fixtures shared by the tests of a big load checked by a forked copy."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the forked copy of a load writes into, under the test's own
    directory (so a test can see that nothing is left behind), and no persisted index."""
    where = tmp_path / "temp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    monkeypatch.setenv("REELRIGHTS_INDEX", "off")
    return where
