"""The shared core of the service: the store, the in-memory index kept current with it,
who is acting, and the write transaction every job uses."""

from __future__ import annotations

import gc
import getpass
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from reelrights.domain.contracts import Contract, Party
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.problems import CodeError, InvalidInput, Problem
from reelrights.domain.territories import Geography
from reelrights.domain.titles import Catalog
from reelrights.engine import ContractCheck, RightsBook
from reelrights.service.signin import SignInLimiter
from reelrights.store.repository import (
    KeyRow,
    Reader,
    Store,
    Writer,
    database_url,
    forget_parsed_values,
)

Progress = Callable[[str, int, int], None]
BULK_LOCKS = 2000


@contextmanager
def no_cyclic_gc(bulk: bool) -> Iterator[None]:
    """For a ``bulk`` write: no cyclic garbage collection until it ends. A bulk load makes
    millions of objects that all live on (the index's entries, the rows and documents it
    stores), and every few hundred thousand of them Python walks every object of the
    process looking for cycles (the parsed sheets, the whole index): at a million contracts
    those walks cost more than a third of the import and grew faster than it. Reference
    counting still frees whatever dies meanwhile; the few cycles made are collected by the
    next collection after. Collection stays as it was if it was off already."""
    if not bulk or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def missing_database(url: str | None) -> str | None:
    """The path of the SQLite file ``url`` names (``--db``, else ``REELRIGHTS_DB``, else
    ``./reelrights.db``) when that file does not exist, else None. Opening it would create
    an empty database: commands that only read say so instead (PostgreSQL: always None)."""
    resolved = database_url(url)
    if not resolved.startswith("sqlite:///"):
        return None
    path = resolved.removeprefix("sqlite:///").split("?", 1)[0]
    if path in ("", ":memory:") or os.path.exists(path):
        return None
    return os.path.abspath(path)


@dataclass(frozen=True)
class Acting:
    """Who is acting: a name for the change log, and the API key, party and role behind
    it (without a key: the operator, who may do everything)."""

    actor: str
    key_id: str | None = None
    party: str | None = None
    role: str = "admin"
    at: datetime | None = None  # record the changes as made at this time (the demo's past)

    @staticmethod
    def of_key(key: KeyRow) -> Acting:
        """A request made with an API key (from the REST API or the web UI)."""
        return Acting(f"key:{key.id}", key.id, key.party, key.role)


_acting: ContextVar[Acting | None] = ContextVar("reelrights_acting", default=None)


class RightsConflict(Exception):
    """A write that would sell what is not available; carries one check per contract."""

    def __init__(self, checks: list[ContractCheck]) -> None:
        self.checks = checks
        super().__init__(", ".join(c.contract for c in checks))

    def to_json(self) -> dict[str, Any]:
        """``{"status": "rejected", "conflicts": [{"contract", "grants", "problems"}]}``:
        one avails report per grant, as the CLI prints and the API answers."""
        return {
            "status": "rejected",
            "conflicts": [
                {
                    "contract": c.contract,
                    "grants": [r.to_json() for r in c.reports],
                    "problems": [str(p) for p in c.problems],
                }
                for c in self.checks
            ],
        }


@dataclass
class IndexState:
    """The in-memory view of the stored book as of ``version``."""

    version: int
    book: RightsBook
    parties: dict[str, Party]
    territory_groups: dict[str, list[str]]
    media_groups: dict[str, list[str]]
    media: MediaTaxonomy
    geography: Geography

    @property
    def catalog(self) -> Catalog:
        return self.book.catalog


def _actor() -> str:
    return os.environ.get("REELRIGHTS_ACTOR") or f"{getpass.getuser()}@cli"


def collecting(problems: list[Problem]) -> Callable[[str, Callable[[], Any]], Any]:
    """``attempt(field, make)``: ``make()``, or None with its problems added to ``problems``.

    Lets a request builder report every bad field at once instead of the first.
    """

    def attempt(field_name: str, make: Callable[[], Any]) -> Any:
        try:
            return make()
        except CodeError as error:
            problems.append(Problem(str(error), field=field_name))
            return None
        except InvalidInput as error:
            problems.extend(error.problems)
            return None

    return attempt


def json_safe(value: Any) -> Any:
    """Sheet mappings with dates as ISO text, for the JSON change log."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def lock_keys(contracts: Iterable[Contract], limit: int | None = None) -> set[tuple[str, ...]]:
    """The (licensor, title) pairs, and the titles of ownership records, a write touches;
    with ``limit``, only until there are more than that many (a bulk load locks the whole
    book: it need not list a million pairs to know)."""
    keys: set[tuple[str, ...]] = set()
    for contract in contracts:
        for item in contract.rights:
            for title in item.titles:
                keys.add(("grant", contract.licensor or "", title))
                if contract.is_ownership:
                    keys.add(("own", title))
        if limit is not None and len(keys) > limit:
            break
    return keys


def settle_heap(book: RightsBook) -> None:
    """Move what is alive now (a freshly built index: millions of long-lived objects at
    catalog size) out of the cyclic garbage collector's generations, so that a request's
    collections no longer walk the whole index (a grid of one title at 10,000 licenses:
    about 130 ms with the index in the collector's generations, 30 ms without). A ``book``
    of fewer than :data:`SETTLE_FROM` contracts is left where it is: the full collection
    this takes walks every object of the process for little to gain (the first load into
    an empty book, with a million parsed contracts in memory: 3.3 s)."""
    if book.shelvings() < SETTLE_FROM:
        return
    gc.collect()
    gc.freeze()


SETTLE_FROM = 10_000  # contracts in a freshly built index from which it is settled


class ServiceBase:
    """reelrights on one database: the store and the index every job mixin shares."""

    def __init__(self, url: str | None = None, actor: str | None = None) -> None:
        self.store = Store(url)
        self.actor = actor or _actor()
        self._state: IndexState | None = None
        self._lock = threading.RLock()
        self._verified: dict[str, str] = {}
        self._sign_ins = SignInLimiter()
        self._dirty = False  # a load changed the in-memory catalog or groups before failing

    def close(self) -> None:
        self.store.close()

    # -- who is acting -------------------------------------------------------------------

    @contextmanager
    def acting(self, who: Acting) -> Iterator[None]:
        """Record ``who`` in the change log for every write made inside the block (per
        thread or task: an API request sets it for its own writes only)."""
        token = _acting.set(who)
        try:
            yield
        finally:
            _acting.reset(token)

    def _who(self) -> Acting:
        return _acting.get() or Acting(self.actor)

    @contextmanager
    def _writing(
        self, locks: Iterable[tuple[str, ...]] = (), whole_book: bool = False
    ) -> Iterator[Writer]:
        who = self._who()
        with self._lock, self.store.writing(locks, whole_book=whole_book) as writer:
            writer.key_id, writer.party_id, writer.at = who.key_id, who.party, who.at
            yield writer

    # -- the in-memory view --------------------------------------------------------------

    def _fresh(self, reader: Reader, progress: Progress | None = None) -> IndexState:
        """The state caught up with the store as ``reader`` sees it."""
        with self._lock:
            version = reader.book_version()
            state = self._state
            if state is None:
                state = self._state = self._build(reader, version, progress)
                settle_heap(state.book)
            elif state.version != version:
                self._catch_up(reader, state, version)
            return state

    @staticmethod
    def _build(reader: Reader, version: int, progress: Progress | None) -> IndexState:
        territory_groups, media_groups = reader.groups()
        book = RightsBook(reader.catalog(), keep_contracts=False)
        total = reader.counts()["contracts"] if progress else 0
        done = 0
        for batch in reader.stream_contracts():
            for contract in batch:
                book.add(contract)
            done += len(batch)
            if progress:
                progress("indexing contracts", done, total)
        book.compact()
        forget_parsed_values()
        return IndexState(
            version,
            book,
            {p.id: p for p in reader.parties()},
            territory_groups,
            media_groups,
            MediaTaxonomy(media_groups),
            Geography(territory_groups),
        )

    @staticmethod
    def _catch_up(reader: Reader, state: IndexState, version: int) -> None:
        # A title this process already holds (it added it, or a saved index did) is not
        # shelved twice.
        since = state.version
        new_titles = [t for t in reader.titles(since, version) if state.catalog.get(t.id) != t]
        if new_titles:
            catalog = state.catalog
            for title in new_titles:
                catalog.add(title)
            referents = {r for title in new_titles for r in catalog.referents(title.id)}
            covering = reader.contracts(touching=referents)
            for title in new_titles:
                refs = catalog.referents(title.id)
                state.book.add_title(
                    title,
                    [c for c in covering if any(t in refs for i in c.rights for t in i.titles)],
                )
        for contract in reader.contracts(since=since, upto=version):
            state.book.replace(contract)
        state.parties = {p.id: p for p in reader.parties()}
        state.territory_groups, state.media_groups = reader.groups()
        state.media = MediaTaxonomy(state.media_groups)
        state.geography = Geography(state.territory_groups)
        state.version = version

    def _wrote(self, writer: Writer, before: int) -> None:
        """After a commit: the state is current if this write was the only one since."""
        if self._state is not None and writer.version == before + 1:
            self._state.version = writer.version

    def warm(self, progress: Progress | None = None) -> None:
        """Build the in-memory index now rather than at the first question."""
        with self.store.reading() as reader:
            self._fresh(reader, progress)

    def _current(self) -> IndexState:
        """The state, current with the store: a warm index that nothing has changed since
        costs one version read on its own connection, with no transaction."""
        with self._lock:
            state = self._state
            if state is not None and self.store.peek_version() == state.version:
                return state
        with self.store.reading() as reader:
            return self._fresh(reader)

    def vocabularies(self) -> tuple[MediaTaxonomy, Geography]:
        """The media taxonomy and geography with this book's custom groups."""
        with self.store.reading() as reader:
            territory_groups, media_groups = reader.groups()
        return MediaTaxonomy(media_groups), Geography(territory_groups)
