"""The persisted index: the built index saved in a file beside the book, mapped back into
memory by the next process and caught up from the store by version.

A new process otherwise builds its index from every stored contract (about a minute at a
million licenses). With a saved file it maps the shelves' numpy columns (the operating
system reads only the pages a question touches), checks that the file belongs to this
database and to its history, and reads from the store only what was written after the
version the file reflects, as a warm index does before every question.

A file is never trusted blindly; it is rebuilt from the store, not used, when it

- is not a whole, intact file of this format (truncated, corrupt: every array carries a
  checksum; see :mod:`.index_file`),
- was saved by another reelrights (index layout) or for another schema revision,
- belongs to another database (``book_state.book_id``, drawn when a database is created),
- reflects a version this database does not have, or has with another token
  (``book_versions``): the database was restored from a backup older than the file.

Saving never blocks a writer: the index is copied under the service's lock (its numpy
columns are never written in place, so a reference is a copy) and written by a background
thread to a temporary file renamed over the old one. It happens after a build from the
store, after a catch-up or in-process writes that shelved :data:`RESAVE_AFTER` contracts
since the file, and when the service closes if anything changed since.

Where: ``$REELRIGHTS_INDEX_DIR/<book id>.index`` if set; else beside a SQLite file
(``reelrights.db.index``); else (PostgreSQL) ``~/.cache/reelrights/<book id>/index``
(``$XDG_CACHE_HOME`` respected). ``$REELRIGHTS_INDEX`` is ``auto`` (the default: books of
:data:`PERSIST_FROM` contracts or more, smaller ones build faster than a file reads),
``always`` (any book, saved again whenever it moved) or ``off``.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.territories import Geography
from reelrights.domain.titles import Catalog, Title
from reelrights.engine import RightsBook
from reelrights.service import index_file
from reelrights.service.base import IndexState, Progress, ServiceBase, settle_heap
from reelrights.store.repository import Reader, Writer

LAYOUT = 2  # the engine's shelf layout; bump when RightsBook.snapshot changes meaning
PERSIST_FROM = 5_000  # contracts: a smaller book is rebuilt faster than a file is read
RESAVE_AFTER = 2_000  # contracts shelved since the file before it is saved again


@dataclass
class IndexFileStatus:
    """Where this process's index came from, for tests and ``reelrights index``."""

    path: Path | None = None
    source: str = "none"  # file | store | none (not built yet)
    rejected: str | None = None  # why a file was not used
    saved_version: int | None = None  # the version of the last file read or written
    caught_up: int = 0  # contracts read from the store after loading the file


@contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Pause Python's garbage collector while the index is first made (``pause``): it
    creates objects by the hundred thousand (titles, shelves, interned masks), none of them
    garbage, and the collector would walk them all again and again as they are made (half
    the time of a start from the saved file)."""
    enabled = pause and gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _title_json(title: Title) -> list[Any]:
    return [
        title.id,
        title.name,
        title.kind,
        title.year,
        title.release.isoformat() if title.release else None,
        {k: v.isoformat() for k, v in title.releases.items()},
        title.parent,
        list(title.members),
        dict(title.external_ids),
        dict(title.extra),
    ]


def _title_of(data: list[Any]) -> Title:
    ident, name, kind, year, release, releases, parent, members, external, extra = data
    return Title(
        ident,
        name,
        kind,
        year,
        date.fromisoformat(release) if release else None,
        {k: date.fromisoformat(v) for k, v in releases.items()},
        parent,
        tuple(members),
        external,
        extra,
    )


class IndexFiles(ServiceBase):
    """Saving the index to a file and starting from it (see the module docs)."""

    _index: IndexFileStatus | None = None
    _saving: threading.Thread | None = None
    _saved_shelvings = 0

    @property
    def index_status(self) -> IndexFileStatus:
        if self._index is None:
            self._index = IndexFileStatus()
        return self._index

    @staticmethod
    def _index_mode() -> str:
        mode = os.environ.get("REELRIGHTS_INDEX", "auto").strip().lower()
        return mode if mode in ("auto", "always", "off") else "auto"

    def _index_path(self, book_id: str) -> Path | None:
        if self._index_mode() == "off" or not book_id:
            return None
        where = os.environ.get("REELRIGHTS_INDEX_DIR")
        if where:
            return Path(where).expanduser() / f"{book_id}.index"
        if self.store.is_sqlite:
            database = self.store.database_file()
            return database.with_name(database.name + ".index") if database else None
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(cache) / "reelrights" / book_id / "index"

    # -- starting from a file ------------------------------------------------------------

    def _fresh(self, reader: Reader, progress: Progress | None = None) -> IndexState:
        with self._lock:
            built = self._state is None
            with _collector_paused(built):
                if built:
                    saved = self._state = self._load_saved(reader)
                    built = saved is None
                    if saved is not None:
                        settle_heap(saved.book)
                before = self._state.book.shelvings() if self._state is not None else 0
                state = super()._fresh(reader, progress)
            if built:
                self.index_status.source = "store"
            else:
                self.index_status.caught_up += state.book.shelvings() - before
            self._save_if_due(force=built, background=True)
            return state

    def _load_saved(self, reader: Reader) -> IndexState | None:
        status = self.index_status
        path = status.path = self._index_path(reader.book_id())
        if path is None:
            return None
        try:
            meta, arrays = index_file.read(path)
        except FileNotFoundError:
            status.rejected = "no index file"
            return None
        except (OSError, index_file.IndexFileError) as error:
            status.rejected = str(error)
            return None
        version = reader.book_version()
        reason = self._misfit(reader, meta, version)
        if reason is not None:
            status.rejected = reason
            return None
        try:
            catalog = Catalog(_title_of(t) for t in meta["titles"])
            book = RightsBook.restore(catalog, meta["book"], arrays)
        except Exception as error:  # a file that checks out but does not fit the engine
            status.rejected = f"cannot restore the index: {error!r}"
            return None
        territory_groups, media_groups = reader.groups()
        status.source, status.rejected = "file", None
        status.saved_version = int(meta["version"])
        self._saved_shelvings = book.shelvings()
        return IndexState(
            int(meta["version"]),
            book,
            {p.id: p for p in reader.parties()},
            territory_groups,
            media_groups,
            MediaTaxonomy(media_groups),
            Geography(territory_groups),
        )

    @staticmethod
    def _misfit(reader: Reader, meta: dict[str, Any], version: int) -> str | None:
        """Why a file that reads whole does not fit this database (None: it fits)."""
        if meta.get("layout") != LAYOUT:
            return f"index layout {meta.get('layout')}, this reelrights uses {LAYOUT}"
        if meta.get("book_id") != reader.book_id():
            return "the index belongs to another database"
        if meta.get("schema") != reader.schema_revision():
            return f"the index was saved for schema {meta.get('schema')}"
        saved = meta.get("version")
        if not isinstance(saved, int) or saved > version:
            return (
                f"the index reflects version {saved}, the database is at {version} "
                "(restored from an older backup?)"
            )
        if reader.version_token(saved) != meta.get("token"):
            return (
                f"the database's version {saved} is not the one the index reflects "
                "(restored from a backup and written to since?)"
            )
        return None

    # -- saving --------------------------------------------------------------------------

    def _wrote(self, writer: Writer, before: int) -> None:
        super()._wrote(writer, before)
        with self._lock:
            self._save_if_due(background=True)

    def _save_if_due(self, force: bool = False, background: bool = True) -> None:
        """Start saving the index in the background if it moved far enough from the file
        (or ``force``: it was just built from the store). Called under the lock."""
        state, mode = self._state, self._index_mode()
        if state is None or mode == "off" or self._saving_now():
            return
        size, moved = state.book.shelvings(), state.book.shelvings() - self._saved_shelvings
        if mode == "auto" and (size < PERSIST_FROM or not (force or moved >= RESAVE_AFTER)):
            return
        if not (force or moved):
            return
        self._save(state, background)

    def _saving_now(self) -> bool:
        return self._saving is not None and self._saving.is_alive()

    def _save(self, state: IndexState, background: bool) -> None:
        """Copy the index (under the lock) and write it, in a thread if ``background``."""
        try:
            meta, arrays = state.book.snapshot()
        except ValueError as error:
            self.index_status.rejected = str(error)
            return
        titles = list(state.catalog.titles.values())
        version = state.version
        self._saved_shelvings = state.book.shelvings()

        def write() -> None:
            try:
                with self.store.reading() as reader:
                    book_id = reader.book_id()
                    header = {
                        "layout": LAYOUT,
                        "book_id": book_id,
                        "schema": reader.schema_revision(),
                        "version": version,
                        "token": reader.version_token(version),
                        "titles": [_title_json(t) for t in titles],
                        "book": meta,
                    }
                path = self._index_path(book_id)
                if path is not None:
                    index_file.write(path, header, arrays)
                    self.index_status.path = path
                    self.index_status.saved_version = version
            except Exception as error:  # a full disk or a closed database: keep answering
                self.index_status.rejected = f"could not save the index: {error!r}"

        if background:
            self._saving = threading.Thread(target=write, name="reelrights-index-save")
            self._saving.start()
        else:
            write()

    def save_index(self) -> Path | None:
        """Save the index now (built from the store first if need be) and wait for it;
        returns the file, or None if saving is off or the file cannot be placed."""
        self.warm()
        self._wait_for_save()
        with self._lock:
            state = self._state
            if state is None:
                return None
            self._save(state, background=False)
        return self.index_status.path

    def _wait_for_save(self) -> None:
        saving = self._saving
        if saving is not None:
            saving.join()

    def close(self) -> None:
        """Finish a save in progress, save once more if the index moved far since, close."""
        self._wait_for_save()
        with self._lock:
            self._save_if_due(background=False)
        super().close()
