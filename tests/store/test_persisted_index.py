"""The persisted index: a new process starts from the saved file and answers exactly as a
rebuild from the store would; a file that does not fit (truncated, corrupt, foreign,
another schema, a database restored from an older backup) is rebuilt, not used; a writer
killed midway or two writers at once never leave a broken file."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from benchmarks.generate import Catalog, generate

from reelrights.domain.languages import ALL_LANGUAGES
from reelrights.domain.media import ALL_MEDIA, LEAVES
from reelrights.domain.territories import COUNTRIES, WORLD, mask_of
from reelrights.engine import AvailsRequest
from reelrights.formats.sheet import DealSheet
from reelrights.service import Service, index_file

GENERATED = generate(300)


@pytest.fixture(autouse=True)
def always_saved(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Save any book, however small; a PostgreSQL book's cache under the test's dir."""
    monkeypatch.setenv("REELRIGHTS_INDEX", "always")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("REELRIGHTS_INDEX_DIR", raising=False)


def sheet(catalog: Catalog, licenses: slice, everything: bool = True) -> DealSheet:
    return DealSheet(
        "generated",
        parties=catalog.parties if everything else [],
        titles=catalog.titles if everything else [],
        territory_groups=catalog.territory_groups if everything else {},
        contracts=(catalog.ownerships if everything else []) + catalog.licenses[licenses],
    )


def load(url: str, licenses: slice, everything: bool = True) -> None:
    service = Service(url, actor="test")
    service.load_sheets([sheet(GENERATED, licenses, everything)])
    service.close()


def questions(count: int = 60) -> list[AvailsRequest]:
    rng = random.Random(7)
    out = []
    roots = GENERATED.roots
    for i in range(count):
        root = rng.choice(roots)
        year = rng.randint(2001, 2039)
        media = ALL_MEDIA if i % 10 == 0 else mask_of_media(rng.sample(LEAVES, 5))
        territories = WORLD if i % 7 == 0 else mask_of(rng.sample(COUNTRIES, 40))
        titles = frozenset(roots) if i % 20 == 0 else frozenset([root])
        out.append(
            AvailsRequest(
                GENERATED.owner_of[root],
                titles,
                media,
                territories,
                ALL_LANGUAGES,
                date(year, 1, 1).toordinal(),
                date(year + 1, 1, 1).toordinal(),
                rng.random() < 0.3,
            )
        )
    return out


def mask_of_media(codes: list[str]) -> int:
    return sum(1 << LEAVES.index(c) for c in codes)


QUESTIONS = questions()


def answers(url: str, mode: str = "always") -> tuple[list[Any], Any]:
    """Every question's answer from a new service, and where its index came from."""
    before = os.environ.get("REELRIGHTS_INDEX")
    os.environ["REELRIGHTS_INDEX"] = mode
    try:
        service = Service(url)
        try:
            out = [service.avails(q).to_json() for q in QUESTIONS]
            status = service.index_status
        finally:
            service.close()
    finally:
        os.environ["REELRIGHTS_INDEX"] = before or "auto"
    return out, status


def rebuilt(url: str) -> list[Any]:
    return answers(url, mode="off")[0]


def index_of(url: str) -> Path:
    service = Service(url)
    service.warm()
    path = service.index_status.path
    service.close()
    assert path is not None
    return path


@pytest.fixture
def book(tmp_path: Path) -> str:
    url = str(tmp_path / "book.db")
    load(url, slice(0, 200))
    return url


def test_a_new_process_starts_from_the_file_and_answers_as_a_rebuild(db_url: str) -> None:
    load(db_url, slice(0, 200))
    path = index_of(db_url)
    assert path.exists()
    ours, status = answers(db_url)
    assert status.source == "file" and status.rejected is None and status.caught_up == 0
    assert ours == rebuilt(db_url)
    # Answers that say something: some questions meet sold rights, some find free ones.
    assert any(a["unavailable"] for a in ours) and any(a["available"] for a in ours)


def test_a_stale_file_is_caught_up_from_the_store(db_url: str) -> None:
    load(db_url, slice(0, 150))
    index_of(db_url)
    os.environ["REELRIGHTS_INDEX"] = "off"  # the second load leaves the file behind
    try:
        load(db_url, slice(150, 300), everything=False)
    finally:
        os.environ["REELRIGHTS_INDEX"] = "always"
    ours, status = answers(db_url)
    assert status.source == "file" and status.caught_up == 150
    assert ours == rebuilt(db_url)


def test_a_file_under_reelrights_index_dir_is_named_by_book(
    book: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELRIGHTS_INDEX_DIR", str(tmp_path / "indexes"))
    path = index_of(book)
    assert path.parent == tmp_path / "indexes" and path.suffix == ".index" and path.exists()
    assert answers(book)[1].source == "file"


def rejected_then_rebuilt(url: str, path: Path, why: str) -> None:
    """The file is not used (``why`` says so), answers equal a rebuild, and the file
    saved afterwards is whole and used by the next process."""
    ours, status = answers(url)
    assert status.source == "store"
    assert status.rejected is not None and why in status.rejected, status.rejected
    assert ours == rebuilt(url)
    index_file.read(path)  # saved again, whole
    assert answers(url)[1].source == "file"


@pytest.mark.parametrize("keep", [0, 7, 100, 0.5, -1])
def test_a_truncated_file_is_rebuilt(book: str, keep: float) -> None:
    path = index_of(book)
    data = path.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep
    path.write_bytes(data[:cut])
    rejected_then_rebuilt(book, path, "truncated")


def test_a_corrupt_file_is_rebuilt(book: str) -> None:
    path = index_of(book)
    data = bytearray(path.read_bytes())
    data[len(data) * 3 // 4] ^= 0x55  # one flipped byte among the shelves' columns
    path.write_bytes(bytes(data))
    rejected_then_rebuilt(book, path, "checksum")


def test_a_corrupt_header_is_rebuilt(book: str) -> None:
    path = index_of(book)
    data = bytearray(path.read_bytes())
    data[40] ^= 0x01
    path.write_bytes(bytes(data))
    rejected_then_rebuilt(book, path, "checksum")


def test_something_else_than_an_index_is_rebuilt(book: str) -> None:
    path = index_of(book)
    path.write_bytes(b"SQLite format 3\x00" + bytes(5000))
    rejected_then_rebuilt(book, path, "not a reelrights index")


def test_a_file_from_another_database_is_rebuilt(book: str, tmp_path: Path) -> None:
    path = index_of(book)
    other = str(tmp_path / "other.db")
    load(other, slice(0, 100))  # another, smaller book: same titles and parties
    theirs = index_of(other)
    shutil.copy(path, theirs)
    rejected_then_rebuilt(other, theirs, "another database")


def test_a_file_for_another_schema_or_layout_is_rebuilt(book: str) -> None:
    path = index_of(book)
    meta, arrays = index_file.read(path)
    index_file.write(path, {**meta, "schema": "0001"}, {k: np.array(a) for k, a in arrays.items()})
    rejected_then_rebuilt(book, path, "schema")
    meta, arrays = index_file.read(path)
    index_file.write(path, {**meta, "layout": 0}, {k: np.array(a) for k, a in arrays.items()})
    rejected_then_rebuilt(book, path, "layout")


def test_a_database_restored_from_an_older_backup_is_detected(book: str, tmp_path: Path) -> None:
    backup = tmp_path / "backup.db"
    shutil.copy(book, backup)
    load(book, slice(200, 300), everything=False)  # the file now reflects a later version
    path = index_of(book)
    assert answers(book)[1].source == "file"

    def restore() -> None:
        for suffix in ("-wal", "-shm"):
            Path(book + suffix).unlink(missing_ok=True)
        shutil.copy(backup, book)

    restore()
    rejected_then_rebuilt(book, path, "older backup")

    # Restored again, then written to until it reaches the file's version: the version
    # numbers match, the history does not.
    load(book, slice(200, 300), everything=False)
    path = index_of(book)
    restore()
    os.environ["REELRIGHTS_INDEX"] = "off"  # so that the write leaves the file as it is
    try:
        load(book, slice(200, 250), everything=False)
    finally:
        os.environ["REELRIGHTS_INDEX"] = "always"
    rejected_then_rebuilt(book, path, "not the one the index reflects")


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from reelrights.service import Service, index_file
    def stall(fd):
        print("writing", flush=True)
        time.sleep(120)
    index_file.os.fsync = stall
    service = Service(sys.argv[1])
    service.save_index()
    """
)


def test_a_writer_killed_midway_leaves_the_old_file_whole(book: str) -> None:
    path = index_of(book)
    before = path.read_bytes()
    load(book, slice(200, 300), everything=False)  # now the new process has more to save
    path.write_bytes(before)
    os.environ["REELRIGHTS_INDEX"] = "always"
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, book], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "writing"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    temporary = list(path.parent.glob(path.name + ".*.tmp"))
    assert temporary, "the killed writer's temporary file"
    assert path.read_bytes() == before  # the target was never touched
    ours, status = answers(book)
    assert status.source == "file" and status.caught_up == 100
    assert ours == rebuilt(book)


SAVER = textwrap.dedent(
    """
    import sys
    from reelrights.service import Service
    service = Service(sys.argv[1])
    for _ in range(5):
        service.save_index()
    service.close()
    """
)


def test_two_processes_saving_at_once_leave_a_whole_file(book: str) -> None:
    path = index_of(book)
    path.unlink()
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, book]) for _ in range(2)]
    assert [s.wait() for s in savers] == [0, 0]
    index_file.read(path)
    ours, status = answers(book)
    assert status.source == "file"
    assert ours == rebuilt(book)
    assert not list(path.parent.glob(path.name + ".*.tmp"))


def test_writes_in_the_process_are_saved_and_seen_by_the_next(book: str) -> None:
    service = Service(book)
    service.warm()
    first = service.index_status.saved_version
    service.load_sheets([sheet(GENERATED, slice(200, 300), everything=False)])
    service.close()
    ours, status = answers(book)
    assert status.source == "file" and status.caught_up == 0
    assert status.saved_version is not None and first is not None
    assert status.saved_version > first
    assert ours == rebuilt(book)


def test_a_small_book_is_not_saved_by_default(tmp_path: Path) -> None:
    os.environ["REELRIGHTS_INDEX"] = "auto"
    try:
        url = str(tmp_path / "small.db")
        service = Service(url)
        small = sheet(GENERATED, slice(0, 0))
        small.contracts = GENERATED.ownerships[:100]
        service.load_sheets([small])
        service.close()
        service = Service(url)
        service.warm()
        service.close()
    finally:
        os.environ["REELRIGHTS_INDEX"] = "always"
    assert not (tmp_path / "small.db.index").exists()


def test_a_build_from_the_store_leaves_no_parsed_values_behind(book: str) -> None:
    """The store's caches of parsed lists and bounds speed the build and are emptied after
    it: a process that built its index does not keep them (about 15 MB at 1M licenses)."""
    from reelrights.store import repository

    service = Service(book)
    repository._territory_mask("FR,DE")  # left by some earlier read
    assert repository._territory_mask.cache_info().currsize > 0
    try:
        os.environ["REELRIGHTS_INDEX"] = "off"
        service.warm()
    finally:
        os.environ["REELRIGHTS_INDEX"] = "always"
        service.close()
    caches = (repository._territory_mask, repository._media_mask, repository._title_ids)
    assert [c.cache_info().currsize for c in caches] == [0, 0, 0]
