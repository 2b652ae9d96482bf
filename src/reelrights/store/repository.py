"""The repository: open a database (upgrading its schema), read and write the deal book.

Every write happens inside :meth:`Store.writing`, one transaction that is serialized against
every other writer of the same licensor and titles: on PostgreSQL by transaction-scoped
advisory locks taken in a fixed order, on SQLite by ``BEGIN IMMEDIATE`` (one writer at a
time). Reads inside that transaction see everything committed before the lock was taken.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
)

from reelrights.domain import media as media_codes
from reelrights.domain import territories as territory_codes
from reelrights.domain.contracts import Contract, Grant, Holdback, Money, Option, Party
from reelrights.domain.languages import LanguageSet
from reelrights.domain.money import Instalment, ShareEntry, Tier
from reelrights.domain.terms import DateBound
from reelrights.domain.titles import Catalog, Title
from reelrights.store import tables as t
from reelrights.store.bulk import bound, insert_rows, json_document, json_text
from reelrights.store.listing import ListQueries
from reelrights.store.outbox import OutboxQueries

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_URL = "sqlite:///reelrights.db"
MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(url: str | None) -> str:
    """The SQLAlchemy URL for a ``--db`` value: ``postgresql://`` selects psycopg 3, a bare
    path means a SQLite file; nothing means ``REELRIGHTS_DB`` or ``./reelrights.db``."""
    url = url or os.environ.get("REELRIGHTS_DB") or DEFAULT_URL
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the change log."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any
    key_id: str | None = None
    party: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The entry as the CLI's ``history --json`` and the API's ``/changes`` show it."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "key": self.key_id,
            "party": self.party,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A stored API key (its secret only as a slow hash)."""

    id: str
    hash: str
    role: str
    party: str | None
    note: str | None
    created: datetime
    revoked: datetime | None


class Store:
    """A reelrights database: SQLite file or PostgreSQL, schema kept at the newest."""

    def __init__(self, url: str | None = None, upgrade: bool = True) -> None:
        self.url = database_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.engine: Engine = _engine(self.url)
        self._peeker: Any = None
        # SQLite file: (the peeker's PRAGMA data_version, the version read after it)
        self._peeked: tuple[int, int] | None = None
        self._checkpointing: list[threading.Thread] = []  # see _checkpoint_behind
        if upgrade:
            self.upgrade()

    def database_file(self) -> Path | None:
        """The SQLite database file (None for PostgreSQL or an in-memory database)."""
        if not self.is_sqlite:
            return None
        name = self.engine.url.database
        return Path(name).resolve() if name and name != ":memory:" else None

    def close(self) -> None:
        for thread in self._checkpointing:
            thread.join()
        self._checkpointing = []
        if self._peeker is not None:
            self._peeker.close()
            self._peeker = None
            self._peeked = None
        self.engine.dispose()

    def peek_version(self) -> int:
        """The book version, read on a connection of its own outside any transaction: the
        cheap check a warm index makes before each question.

        On a SQLite file the version is read again only when ``PRAGMA data_version`` on
        that connection has moved: it changes exactly when another connection (of this
        process or any other) has committed since it was last asked, and this connection
        never writes. It is asked before the version is read, so a commit falling between
        the two only costs one more read next time, never a stale answer. (An in-memory
        database may share its one connection with the writer: it always reads.)"""
        if self._peeker is None:
            self._peeker = self.engine.raw_connection()
            if not self.is_sqlite:
                self._peeker.driver_connection.autocommit = True
            elif self.database_file() is not None:
                self._peeked = (-1, 0)
        if self._peeked is not None:
            driver = self._peeker.driver_connection
            changes = int(driver.execute("PRAGMA data_version").fetchone()[0])
            if changes == self._peeked[0]:
                return self._peeked[1]
            version = self._read_version()
            self._peeked = (changes, version)
            return version
        return self._read_version()

    def _read_version(self) -> int:
        cursor = self._peeker.cursor()
        try:
            cursor.execute("SELECT version FROM book_state")
            row = cursor.fetchone()
        finally:
            cursor.close()
        return int(row[0]) if row else 0

    # -- schema --------------------------------------------------------------------------

    def _alembic(self, connection: Connection) -> Config:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def revision(self) -> str | None:
        """The schema revision of the database (``None`` for an empty one)."""
        from alembic.runtime.migration import MigrationContext

        with _quiet_alembic(), self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def upgrade(self, target: str = "head") -> None:
        """Bring the schema to the newest revision (creates it in an empty database).
        Alembic's log lines appear only when a migration runs.

        A database already at the head is recognised without importing Alembic (a
        third of a second a process, most of a CLI answer's start-up): the head is read
        from the migration files' ``revision`` lines and the database's from its
        ``alembic_version`` row; Alembic runs only when they differ."""
        if target == "head" and _stored_revision(self.engine) == head_revision():
            return
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with _quiet_alembic(), self.engine.connect() as connection:
            config = self._alembic(connection)
            head = ScriptDirectory.from_config(config).get_current_head()
            current = MigrationContext.configure(connection).get_current_revision()
        if current == (head if target == "head" else target):
            return
        with self.engine.connect().execution_options(immediate=True) as connection:
            command.upgrade(self._alembic(connection), target)
            connection.commit()

    def reset(self) -> None:
        """Drop every reelrights table and create the newest schema (for the demo only)."""
        with (
            self.engine.connect().execution_options(immediate=True) as connection,
            connection.begin(),
        ):
            t.metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        self.upgrade()

    # -- transactions --------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """A read transaction."""
        with self.engine.connect() as connection, connection.begin():
            yield Reader(connection)

    @contextmanager
    def writing(
        self, locks: Iterable[tuple[str, ...]] = (), whole_book: bool = False
    ) -> Iterator[Writer]:
        """One write transaction, serialized against writers of the same lock keys.

        Lock keys are tuples such as ``("grant", licensor, title)``; on PostgreSQL each
        becomes a transaction advisory lock, taken in sorted order so that writers never
        deadlock, under a shared lock on the whole book; ``whole_book`` takes that one
        exclusively instead (for bulk loads). SQLite takes its database write lock up
        front. Rolled back on error.
        """
        with self.engine.connect().execution_options(immediate=True) as connection:
            writer = Writer(connection)
            try:
                with connection.begin():
                    if not self.is_sqlite:
                        book = _lock_key(("book",))
                        if whole_book:
                            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (book,))
                        else:
                            connection.exec_driver_sql(
                                "SELECT pg_advisory_xact_lock_shared(%s)", (book,)
                            )
                            for key in sorted({_lock_key(k) for k in locks}):
                                connection.exec_driver_sql(
                                    "SELECT pg_advisory_xact_lock(%s)", (key,)
                                )
                    yield writer
            finally:
                if writer.autocheckpoint is not None:  # committed or not: the usual again
                    driver: Any = connection.connection.driver_connection
                    with suppress(sqlite3.Error):  # (a broken connection is not reused)
                        driver.execute(f"PRAGMA wal_autocheckpoint = {writer.autocheckpoint}")
            if writer.autocheckpoint is not None:
                self._checkpoint_behind()

    def _checkpoint_behind(self) -> None:
        """Copy the write-ahead log into the database file on a thread of its own (a
        connection of its own, ``PRAGMA wal_checkpoint(PASSIVE)``): after a bulk load's
        commit, whose frames the log already holds durably (the commit synced it), so the
        load does not wait for gigabytes to be copied a second time. Readers are right
        meanwhile (they read committed pages from the log); writers are not held up (a
        passive checkpoint takes no write lock), and the next writer's commit would
        checkpoint as usual. Once copied, the log is truncated if no one is using it.
        :meth:`close` waits for it."""
        path = self.database_file()
        if path is None:
            return
        self._checkpointing = [c for c in self._checkpointing if c.is_alive()]

        def checkpoint() -> None:
            try:
                with closing(sqlite3.connect(path, timeout=60, isolation_level=None)) as db:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    db.execute("PRAGMA busy_timeout = 0")
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as error:  # the next commit or close checkpoints instead
                logging.getLogger(__name__).warning("checkpoint after a bulk load: %s", error)

        thread = threading.Thread(target=checkpoint, name="reelrights-checkpoint", daemon=True)
        thread.start()
        self._checkpointing.append(thread)


_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*=\s*['\"]([^'\"]+)['\"]", re.M)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration's revision id, read from the migration files' ``revision =``
    and ``down_revision =`` lines (None unless exactly one revision is nobody's
    parent: then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def _stored_revision(engine: Engine) -> str | None:
    """The database's ``alembic_version`` (None: no such table or row yet)."""
    with engine.connect() as connection:
        try:
            value = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except Exception:  # no table: an empty database
            return None
    return None if value is None else str(value)


def _as_itself(value: None) -> None:
    return value


def _lock_key(parts: tuple[str, ...]) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _json(value: Any) -> str:
    """JSON columns: dates as ISO text, decimals as text (the change log keeps deal-sheet
    mappings as they were rendered)."""
    return json_text(value)


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic's INFO lines ("Context impl SQLiteImpl.") silenced while the schema is only
    looked at: a server start says nothing of migrations unless one runs."""
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, json_serializer=_json)
    # The driver binds a None through its adapters: with none registered for it, it looks
    # for two protocol methods that are not there, an exception raised and cleared for
    # each, about 0.25 microseconds a value. A bulk load binds a dozen None values for
    # every contract (no fee, no termination, no option holder, no key...): registering
    # None as itself takes it straight to NULL (2.4 s -> 1.3 s for 5 million values).
    sqlite3.register_adapter(type(None), _as_itself)
    engine = create_engine(url, connect_args={"timeout": 60}, json_serializer=_json)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# -- reading ------------------------------------------------------------------------------


class Reader(OutboxQueries, ListQueries):
    """Queries inside one transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def groups(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Stored custom groups: (territory groups, media groups), in definition order."""
        territory: dict[str, list[str]] = {}
        media: dict[str, list[str]] = {}
        rows = self.connection.execute(select(t.custom_groups))
        for row in rows:
            (territory if row.kind == "territory" else media)[row.name] = list(row.members)
        return territory, media

    def parties(self) -> list[Party]:
        rows = self.connection.execute(select(t.parties).order_by(t.parties.c.id))
        return [Party(r.id, r.name, dict(r.extra or {})) for r in rows]

    def party_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = list(set(ids))
        found: set[str] = set()
        for chunk in _chunks(wanted):
            found.update(
                self.connection.scalars(select(t.parties.c.id).where(t.parties.c.id.in_(chunk)))
            )
        return found

    def book_version(self) -> int:
        """The number of the last write transaction (see ``book_state``)."""
        return int(self.connection.scalar(select(t.book_state.c.version)) or 0)

    def schema_revision(self) -> str:
        """The Alembic revision the database's schema is at."""
        return str(
            self.connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        )

    def book_id(self) -> str:
        """The random id drawn when this database was created (kept by its backups)."""
        return str(self.connection.scalar(select(t.book_state.c.book_id)) or "")

    def version_token(self, version: int) -> str | None:
        """The token drawn by the write transaction that made ``version`` (None if this
        database has no such version)."""
        token = self.connection.scalar(
            select(t.book_versions.c.token).where(t.book_versions.c.version == version)
        )
        return None if token is None else str(token)

    def titles(self, since: int | None = None, upto: int | None = None) -> list[Title]:
        """Every title (or those written after version ``since``, up to ``upto``: see
        :func:`_written`), collection members in order."""
        members: dict[str, list[str]] = {}
        query = select(t.collection_members).order_by(
            t.collection_members.c.collection_id, t.collection_members.c.position
        )
        if since is not None:
            query = query.where(
                t.collection_members.c.collection_id.in_(
                    select(t.titles.c.id).where(_written(t.titles.c.version, since, upto))
                )
            )
        for row in self.connection.execute(query):
            members.setdefault(row.collection_id, []).append(row.member_id)
        rows = select(t.titles).order_by(t.titles.c.id)
        if since is not None:
            rows = rows.where(_written(t.titles.c.version, since, upto))
        return [
            Title(
                r.id,
                r.name,
                r.kind,
                r.year,
                r.release,
                {k: date.fromisoformat(v) for k, v in (r.releases or {}).items()},
                r.parent_id,
                tuple(members.get(r.id, ())),
                dict(r.external_ids or {}),
                dict(r.extra or {}),
            )
            for r in self.connection.execute(rows)
        ]

    def catalog(self) -> Catalog:
        return Catalog(self.titles())

    def existing_contract_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of these contract ids are stored (none asked of an empty book: the first
        load of a million contracts would ask two thousand queries for nothing)."""
        found: set[str] = set()
        if self.connection.scalar(select(t.contracts.c.id).limit(1)) is None:
            return found
        for chunk in _chunks(list(set(ids))):
            found.update(
                self.connection.scalars(select(t.contracts.c.id).where(t.contracts.c.id.in_(chunk)))
            )
        return found

    def stream_contracts(self, batch: int = 10_000) -> Iterator[list[Contract]]:
        """Every contract in stored order, a batch at a time (bounded memory for a
        million contracts)."""
        last = -1
        while True:
            rows = list(
                self.connection.execute(
                    select(t.contracts)
                    .where(t.contracts.c.seq > last)
                    .order_by(t.contracts.c.seq)
                    .limit(batch)
                )
            )
            if not rows:
                return
            first, last = rows[0].seq, rows[-1].seq
            rights: dict[str, list[Any]] = {}
            for right in self.connection.execute(
                select(t.rights)
                .join(t.contracts, t.contracts.c.id == t.rights.c.contract_id)
                .where(t.contracts.c.seq.between(first, last))
                .order_by(t.rights.c.contract_id, t.rights.c.kind, t.rights.c.position)
            ):
                rights.setdefault(right.contract_id, []).append(right)
            yield [_contract_of(r, rights.get(r.id, [])) for r in rows]

    def contracts(
        self,
        ids: Iterable[str] | None = None,
        *,
        touching: Iterable[str] | None = None,
        parties: Iterable[str] | None = None,
        since: int | None = None,
        upto: int | None = None,
    ) -> list[Contract]:
        """Contracts in the order they were stored: all, or those with the given ids, or
        those whose rights name one of the ``touching`` title ids, optionally only where
        one of ``parties`` is licensor or licensee, or written after version ``since`` (up
        to ``upto``: see :func:`_written`)."""
        query = select(t.contracts).order_by(t.contracts.c.seq)
        if since is not None:
            query = query.where(_written(t.contracts.c.version, since, upto))
        if ids is not None:
            wanted = list(ids)
            rows = [
                r
                for chunk in _chunks(wanted)
                for r in self.connection.execute(query.where(t.contracts.c.id.in_(chunk)))
            ]
        elif touching is not None:
            found: set[str] = set()
            for chunk in _chunks(list(set(touching))):
                found.update(
                    self.connection.scalars(
                        select(t.rights.c.contract_id)
                        .distinct()
                        .join(t.right_titles, t.right_titles.c.right_id == t.rights.c.id)
                        .where(t.right_titles.c.title_id.in_(chunk))
                    )
                )
            rows = [
                r
                for chunk in _chunks(sorted(found))
                for r in self.connection.execute(query.where(t.contracts.c.id.in_(chunk)))
            ]
        else:
            rows = list(self.connection.execute(query))
        if parties is not None:
            who = set(parties)
            rows = [r for r in rows if r.licensor_id in who or r.licensee_id in who]
        rows.sort(key=lambda r: r.seq)
        return self._with_rights(rows)

    def _with_rights(self, rows: list[Any]) -> list[Contract]:
        rights_by_contract: dict[str, list[Any]] = {}
        for chunk in _chunks([r.id for r in rows]):
            for right in self.connection.execute(
                select(t.rights)
                .where(t.rights.c.contract_id.in_(chunk))
                .order_by(t.rights.c.contract_id, t.rights.c.kind, t.rights.c.position)
            ):
                rights_by_contract.setdefault(right.contract_id, []).append(right)
        return [_contract_of(r, rights_by_contract.get(r.id, [])) for r in rows]

    def dated_contracts(
        self, first: date, last: date, parties: Iterable[str] | None = None
    ) -> list[Contract]:
        """The in-force contracts that may have a calendar date from ``first`` to ``last``
        (rule 20): a right starting or ending then, a relative bound (resolved by the
        caller), an option deadline then, a termination that ends rights then, or money
        terms (whose payment dues the caller reads)."""
        low, high = first.isoformat(), last.isoformat()
        rights = t.rights.c
        dated = select(rights.contract_id).where(
            or_(
                rights.start.between(low, high),
                rights.end.between(low, high),
                rights.start.like("release%"),
                rights.end.like("release%"),
                rights.exercise_by.between(first, last),
            )
        )
        ended = select(t.contracts.c.id).where(
            t.contracts.c.terminated.between(_next_day(first), _next_day(last))
        )
        query = (
            select(t.contracts)
            .where(t.contracts.c.status.in_(("executed", "terminated")))
            .where(
                or_(
                    t.contracts.c.id.in_(dated),
                    t.contracts.c.id.in_(ended),
                    t.contracts.c.money.is_not(None),  # a fee schedule: its dues are checked
                )
            )
        )
        if parties is not None:
            who = list(parties)
            query = query.where(
                or_(
                    t.contracts.c.licensor_id.in_(who),
                    t.contracts.c.licensee_id.in_(who),
                    t.contracts.c.id.in_(
                        select(rights.contract_id).where(rights.holder_id.in_(who))
                    ),
                )
            )
        rows = list(self.connection.execute(query.order_by(t.contracts.c.seq)))
        return self._with_rights(rows)

    def contract_heads(self, ids: Iterable[str] | None = None) -> list[Contract]:
        """Contracts without their grants and holdbacks (parties, status, money terms):
        what statements and the payments ledger need, at a fraction of the cost."""
        query = select(t.contracts).order_by(t.contracts.c.seq)
        if ids is None:
            return [_contract_of(r, []) for r in self.connection.execute(query)]
        return [
            _contract_of(r, [])
            for chunk in _chunks(list(ids))
            for r in self.connection.execute(query.where(t.contracts.c.id.in_(chunk)))
        ]

    def grants_licensed_to(self, party: str) -> list[tuple[Contract, Grant]]:
        """The grants of the contracts (executed or terminated) where ``party`` is the
        licensee, each with its contract reduced to what matching a sales line needs (id,
        parties, status, termination, currency; no rights, no extra). One query, and no
        JSON decoded but each grant's titles: a sales import asks this of every licensee
        it meets."""
        mark = "?" if self.connection.dialect.paramstyle == "qmark" else "%s"
        rows = self.connection.exec_driver_sql(
            "SELECT c.id, c.licensor_id, c.status, c.terminated, c.fee_currency, "
            'c.mg_currency, c.money, r.titles, r.media, r.territories, r.start, r."end", '
            "r.exclusive FROM contracts c JOIN rights r ON r.contract_id = c.id "
            f"WHERE c.licensee_id = {mark} AND r.kind = 'grant' "
            "AND c.status IN ('executed', 'terminated') ORDER BY c.seq, r.position",
            (party,),
        )
        heads: dict[str, Contract] = {}
        out: list[tuple[Contract, Grant]] = []
        for (
            cid,
            licensor,
            status,
            ended,
            fee_cur,
            mg_cur,
            money,
            titles,
            media,
            places,
            start,
            end,
            exclusive,
        ) in rows.fetchall():
            head = heads.get(cid)
            if head is None:
                terms = _document(money) if isinstance(money, str) else (money or {})
                currency = terms.get("currency") or fee_cur or mg_cur
                if isinstance(ended, str):
                    ended = date.fromisoformat(ended)
                head = heads[cid] = Contract(
                    cid, licensor, party, status, None, ended, currency=currency
                )
            out.append(
                (
                    head,
                    Grant(
                        _title_ids(titles) if isinstance(titles, str) else tuple(titles),
                        _media_mask(media),
                        _territory_mask(places),
                        start=_bound(start),
                        end=_bound(end),
                        exclusive=bool(exclusive),
                    ),
                )
            )
        return out

    def contract_page(
        self,
        party: str | None = None,
        status: str | None = None,
        titles: Iterable[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[int, list[Contract]]:
        """(how many contracts match, one page of them in stored order), filtered in SQL:
        by a party that is licensor or licensee, a status, and the title ids their rights
        name."""
        query = select(t.contracts)
        if party is not None:
            query = query.where(
                or_(t.contracts.c.licensor_id == party, t.contracts.c.licensee_id == party)
            )
        if status is not None:
            query = query.where(t.contracts.c.status == status)
        if titles is not None:
            query = query.where(
                t.contracts.c.id.in_(
                    select(t.rights.c.contract_id)
                    .join(t.right_titles, t.right_titles.c.right_id == t.rights.c.id)
                    .where(t.right_titles.c.title_id.in_(list(titles)))
                )
            )
        total = int(self.connection.scalar(select(func.count()).select_from(query.subquery())) or 0)
        page = query.order_by(t.contracts.c.seq).offset(offset)
        if limit is not None:
            page = page.limit(limit)
        return total, self._with_rights(list(self.connection.execute(page)))

    def contract(self, contract_id: str) -> Contract | None:
        found = self.contracts([contract_id])
        return found[0] if found else None

    def changes(
        self,
        entity: str | None = None,
        entity_id: str | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        newest_first: bool = True,
        after: datetime | None = None,
        entities: Sequence[str] | None = None,
    ) -> list[Change]:
        """Entries of the change log, filtered (``until`` inclusive, ``after`` exclusive).

        With ``after`` (and no ``limit``), the index on ``at`` finds the few entries since:
        asked for id order, SQLite (without statistics) would rather walk the whole log, or
        every entry of an entity, which at a million contracts costs seconds. So those come
        in time order from the database and are put in id order here."""
        since = after is not None and limit is None
        query = select(t.changes)
        if entity:
            query = query.where(t.changes.c.entity == entity)
        if entity_id:
            query = query.where(t.changes.c.entity_id == entity_id)
        if until is not None:
            query = query.where(t.changes.c.at <= until)
        if after is not None:
            query = query.where(t.changes.c.at > after)
        if entities is not None:
            # ``|| ''`` keeps the planner on the index on ``at`` (not the entity's)
            kind = t.changes.c.entity + "" if since else t.changes.c.entity
            query = query.where(kind.in_(list(entities)))
        if since:
            query = query.order_by(t.changes.c.at, t.changes.c.id)
        else:
            query = query.order_by(t.changes.c.id.desc() if newest_first else t.changes.c.id)
        if limit:
            query = query.limit(limit)
        found = [
            Change(
                r.id,
                _aware(r.at),
                r.actor,
                r.action,
                r.entity,
                r.entity_id,
                r.before,
                r.after,
                r.key_id,
                r.party_id,
            )
            for r in self.connection.execute(query)
        ]
        if since:
            found.sort(key=lambda c: c.id, reverse=newest_first)
        return found

    def recorded_by(self, moment: datetime, entities: Sequence[str]) -> bool:
        """Whether the change log holds an entry of these entities at or before
        ``moment``: the index on ``at`` from the oldest entry up to the first that fits."""
        query = (
            select(t.changes.c.id)
            .where(t.changes.c.at <= moment, (t.changes.c.entity + "").in_(list(entities)))
            .order_by(t.changes.c.at)
            .limit(1)
        )
        return self.connection.execute(query).first() is not None

    def key(self, key_id: str) -> KeyRow | None:
        row = self.connection.execute(select(t.api_keys).where(t.api_keys.c.id == key_id)).first()
        return _key_of(row) if row is not None else None

    def keys(self) -> list[KeyRow]:
        return [
            _key_of(r)
            for r in self.connection.execute(select(t.api_keys).order_by(t.api_keys.c.created))
        ]

    def actors(self) -> set[str]:
        """Everyone who ever changed the book."""
        return set(self.connection.scalars(select(t.changes.c.actor).distinct()))

    # -- money ---------------------------------------------------------------------------

    def rates(self) -> list[tuple[date, str, str, Decimal]]:
        """Every stored exchange rate: (day, from, to, rate)."""
        return [
            (r.day, r.source, r.target, Decimal(r.rate))
            for r in self.connection.execute(
                select(t.fx_rates).order_by(
                    t.fx_rates.c.source, t.fx_rates.c.target, t.fx_rates.c.day
                )
            )
        ]

    def known_sales(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Which of these sales-line ids are stored, with their contract (None: unmatched)."""
        found: dict[str, str | None] = {}
        for chunk in _chunks(sorted(ids), 900):  # in id order: fewer pages of the index
            for row in self.connection.execute(
                select(t.sales_lines.c.id, t.sales_lines.c.contract_id).where(
                    t.sales_lines.c.id.in_(chunk)
                )
            ):
                found[row.id] = row.contract_id
        return found

    def next_sales_seq(self) -> int:
        return (
            int(
                self.connection.scalar(select(func.coalesce(func.max(t.sales_lines.c.seq), 0))) or 0
            )
            + 1
        )

    def sales_of(self, contract_id: str, until: date | None = None) -> list[Any]:
        """The matched sales lines of a contract (rows), those ending by ``until``."""
        query = select(*_RATED).where(t.sales_lines.c.contract_id == contract_id)
        if until is not None:
            query = query.where(t.sales_lines.c.period_end <= until)
        return list(self.connection.execute(query))

    def stream_sales_rows(
        self, until: date, contract_ids: Sequence[str] | None = None, batch: int = 20_000
    ) -> Iterator[tuple[Any, ...]]:
        """Every matched sales line ending by ``until`` (of ``contract_ids`` if given), as
        plain tuples in the order of :data:`SALES_ROW` sorted by contract: one query for
        a whole period's statements, read by the driver's cursor without building a row
        object per line (a statement of a busy quarter reads millions of lines). Dates
        and amounts are as the driver gives them (see :func:`sales_row_day`)."""
        mark = "?" if self.connection.dialect.paramstyle == "qmark" else "%s"
        names = ", ".join(f's."{c}"' for c in SALES_ROW)
        where = f"s.contract_id IS NOT NULL AND s.period_end <= {mark}"
        params: list[Any] = [
            until if self.connection.dialect.name != "sqlite" else until.isoformat()
        ]
        if contract_ids is not None:
            where += f" AND s.contract_id IN ({', '.join([mark] * len(contract_ids))})"
            params += list(contract_ids)
        # the driver's own cursor, in this transaction: plain tuples, no row objects
        cursor = self.connection.connection.cursor()
        try:
            cursor.execute(
                f"SELECT {names} FROM sales_lines s WHERE {where} ORDER BY s.contract_id",
                tuple(params),
            )
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()

    def unmatched_sales(
        self,
        limit: int | None = None,
        offset: int = 0,
        licensee: str | None = None,
        reason: str | None = None,
    ) -> tuple[int, list[Any]]:
        """(how many, one page) of the stored unmatched lines, in the order they were
        reported, of ``licensee`` and with ``reason`` if given."""
        where: list[ColumnElement[bool]] = [t.sales_lines.c.contract_id.is_(None)]
        if licensee is not None:
            where.append(t.sales_lines.c.licensee == licensee)
        if reason is not None:
            where.append(t.sales_lines.c.reason == reason)
        total = self.connection.scalar(select(func.count()).where(*where))
        query = select(t.sales_lines).where(*where).order_by(t.sales_lines.c.seq).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return int(total or 0), list(self.connection.execute(query))

    def sales_counts(self) -> tuple[int, int]:
        """(matched, unmatched) sales lines stored."""
        matched = self.connection.scalar(
            select(func.count()).where(t.sales_lines.c.contract_id.is_not(None))
        )
        unmatched = self.connection.scalar(
            select(func.count()).where(t.sales_lines.c.contract_id.is_(None))
        )
        return int(matched or 0), int(unmatched or 0)

    def contracts_with_sales(self) -> list[str]:
        return list(
            self.connection.scalars(
                select(t.sales_lines.c.contract_id)
                .where(t.sales_lines.c.contract_id.is_not(None))
                .distinct()
                .order_by(t.sales_lines.c.contract_id)
            )
        )

    def payments(self, contract_ids: Iterable[str] | None = None) -> list[Any]:
        """Recorded payments (rows), in the order they were made."""
        query = select(t.payments).order_by(t.payments.c.day, t.payments.c.id)
        if contract_ids is None:
            return list(self.connection.execute(query))
        return [
            row
            for chunk in _chunks(list(set(contract_ids)))
            for row in self.connection.execute(query.where(t.payments.c.contract_id.in_(chunk)))
        ]

    def counts(self) -> dict[str, int]:
        """How many parties, titles, contracts and rights are stored."""
        out = {}
        for name, table in (
            ("parties", t.parties),
            ("titles", t.titles),
            ("contracts", t.contracts),
            ("rights", t.rights),
            ("changes", t.changes),
        ):
            out[name] = int(self.connection.scalar(select(func.count()).select_from(table)) or 0)
        return out


class Writer(Reader):
    """Queries and writes inside one serialized write transaction.

    The first write takes the next book version and stamps it on every row written; on
    PostgreSQL the row lock on ``book_state`` then orders commits as versions, so a
    reader that has seen version V has seen every write up to V.
    """

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self.version: int | None = None
        self.key_id: str | None = None  # who writes, for the change log
        self.party_id: str | None = None
        self.at: datetime | None = None  # when the change log says this happened (now)
        # SQLite: the connection's auto-checkpoint while a bulk load turned it off (its
        # commit leaves the checkpoint to Store._checkpoint_behind)
        self.autocheckpoint: int | None = None

    def stamp(self) -> int:
        """This transaction's book version (taken on first use)."""
        if self.version is None:
            self.version = int(
                self.connection.execute(
                    t.book_state.update()
                    .where(t.book_state.c.id == 1)
                    .values(version=t.book_state.c.version + 1)
                    .returning(t.book_state.c.version)
                ).scalar_one()
            )
            self.connection.execute(
                insert(t.book_versions).values(version=self.version, token=uuid.uuid4().hex)
            )
        return self.version

    @contextmanager
    def roomy_cache(self) -> Iterator[None]:
        """SQLite: a page cache of :data:`BULK_CACHE_KIB` for the writes inside, then the
        connection's own again (still inside the transaction: only clean pages are let go).
        A bulk load inserts into indexes in an order that is not theirs (rights by start
        and end day, titles of rights, events by random id): with SQLite's default 2 MiB
        nearly every such insert at a million licenses read a page back and spilled
        another to the write-ahead log. Fixed, so memory stays bounded however big the
        load. PostgreSQL: nothing to do."""
        if self.connection.dialect.name != "sqlite":
            yield
            return
        before = self.connection.exec_driver_sql("PRAGMA cache_size").scalar()
        self.connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        try:
            yield
        finally:
            self.connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")

    @contextmanager
    def indexes_built_after(self, tables: Sequence[str], rows: int) -> Iterator[None]:
        """SQLite, when ``rows`` new contracts are at least as many as those stored (and at
        least :data:`REBUILD_FROM`): the non-unique indexes of ``tables`` are dropped for
        the writes inside and created again from their own stored definitions after them,
        in the same transaction. Building an index from a million rows (one sort) costs a
        fraction of inserting a million entries into it one at a time in no order of its
        own. The indexes of :data:`KEPT_THROUGH_LOADS` stay too: a load writes their
        entries in their own order, at the end, which costs less than another scan of the
        table to build them. Unique indexes (primary keys, event ids) stay and check every
        row as it goes;
        an error inside rolls the transaction back, the drops with it. Its commit does not
        checkpoint the write-ahead log (``PRAGMA wal_autocheckpoint = 0`` until then):
        :meth:`Store.writing` copies the log into the database file after the commit, on a
        thread of its own (:meth:`Store._checkpoint_behind`). Otherwise (or on PostgreSQL)
        nothing changes."""
        stored = self.connection.scalar(select(func.coalesce(func.max(t.contracts.c.seq), 0)))
        if self.connection.dialect.name != "sqlite" or rows < max(REBUILD_FROM, int(stored or 0)):
            yield
            return
        marks = ", ".join("?" for _ in tables)
        found = [
            (name, sql)
            for name, sql in self.connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                f" AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({marks}) ORDER BY name",
                tuple(tables),
            )
            if name not in KEPT_THROUGH_LOADS
        ]
        for name, _ in found:
            self.connection.exec_driver_sql(f'DROP INDEX "{name}"')
        if self.autocheckpoint is None:
            before = self.connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            self.connection.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
            self.autocheckpoint = int(before if before is not None else 1000)
        yield
        for _, sql in found:
            self.connection.exec_driver_sql(sql)

    def add_group(self, kind: str, name: str, members: Sequence[str]) -> None:
        self.connection.execute(
            insert(t.custom_groups).values(
                kind=kind, name=name, members=list(members), version=self.stamp()
            )
        )

    def add_parties(self, parties: Sequence[Party]) -> None:
        if parties:
            self.connection.execute(
                insert(t.parties),
                [
                    {"id": p.id, "name": p.name, "extra": dict(p.extra), "version": self.stamp()}
                    for p in parties
                ],
            )

    def add_titles(self, titles: Sequence[Title]) -> None:
        if not titles:
            return
        self.connection.execute(
            insert(t.titles),
            [
                {
                    "id": x.id,
                    "name": x.name,
                    "kind": x.kind,
                    "year": x.year,
                    "release": x.release,
                    "releases": {k: v.isoformat() for k, v in x.releases.items()},
                    "parent_id": x.parent,
                    "external_ids": dict(x.external_ids),
                    "extra": dict(x.extra),
                    "version": self.stamp(),
                }
                for x in titles
            ],
        )
        members = [
            {"collection_id": x.id, "position": i, "member_id": m}
            for x in titles
            for i, m in enumerate(x.members)
        ]
        if members:
            self.connection.execute(insert(t.collection_members), members)

    def add_contracts(self, contracts: Sequence[Contract]) -> None:
        """Insert new contracts with their grants and holdbacks, in order. Rows go to the
        driver's ``executemany`` directly: a bulk load of a million contracts spends its
        time in the database, not in building statements."""
        if not contracts:
            return
        seq = int(
            self.connection.scalar(select(func.coalesce(func.max(t.contracts.c.seq), 0))) or 0
        )
        version = self.stamp()
        number, _, document = self._adapters()
        empty = document({})
        texts = _MaskText()  # the rows of rights write the same masks out again
        day = self._day(texts)
        keys = self._sort_keys(contracts, texts)
        self._bulk(
            t.contracts,
            (
                "id",
                "seq",
                "version",
                "licensor_id",
                "licensee_id",
                "status",
                "signed",
                "terminated",
                "fee_amount",
                "fee_currency",
                "mg_amount",
                "mg_currency",
                "money",
                "extra",
                *SORT_KEYS,
            ),
            [
                (
                    c.id,
                    seq + offset,
                    version,
                    c.licensor,
                    c.licensee,
                    c.status,
                    day(c.signed),
                    day(c.terminated),
                    number(c.fee.amount if c.fee else None),
                    c.fee.currency if c.fee else None,
                    number(c.minimum_guarantee.amount if c.minimum_guarantee else None),
                    c.minimum_guarantee.currency if c.minimum_guarantee else None,
                    _money_terms(c, document),
                    document(dict(c.extra)) if c.extra else empty,
                    *keys[c.id],
                )
                for offset, c in enumerate(contracts, start=1)
            ],
        )
        self._add_rights(contracts, texts)

    def _sort_keys(
        self, contracts: Sequence[Contract], texts: _MaskText | None = None
    ) -> dict[str, tuple[str | None, ...]]:
        """Each contract's sort keys for the contracts list (``SORT_KEYS``) over its
        grants: the smallest title name, media and territories (as stored), the earliest
        start, the latest end (an open end as ``9999-12-31``); ``None`` without grants.
        A bulk load writes a million of them, nearly all of one grant of one title: that
        case takes each key as it is (no smallest to find), each mask's and each bound's
        text written once per bulk insert (``texts``, shared with its rights' rows)."""
        named = sorted({title for c in contracts for g in c.grants for title in g.titles})
        names: dict[str, str] = {}
        for chunk in _chunks(named):
            query = select(t.titles.c.id, t.titles.c.name).where(t.titles.c.id.in_(chunk))
            names.update((row.id, row.name) for row in self.connection.execute(query))
        keys: dict[str, tuple[str | None, ...]] = {}
        texts = texts or _MaskText()
        media, territories = texts.texts()
        media_memo, territories_memo = texts.media, texts.territories
        bound_text = texts.bound
        none = (None, None, None, None, None)
        for c in contracts:
            grants = c.grants
            if len(grants) == 1:
                g = grants[0]
                ids = g.titles
                start, end = g.start, g.end
                keys[c.id] = (
                    names.get(ids[0])
                    if len(ids) == 1
                    else min((names[i] for i in ids if i in names), default=None),
                    media_memo.get(g.media) or media(g.media),
                    territories_memo.get(g.territories) or territories(g.territories),
                    None if start is None else bound_text(start),
                    OPEN_END if end is None else bound_text(end),
                )
            elif not grants:
                keys[c.id] = none
            else:
                keys[c.id] = (
                    min((names[i] for g in grants for i in g.titles if i in names), default=None),
                    min(media(g.media) for g in grants),
                    min(territories(g.territories) for g in grants),
                    min((bound_text(g.start) for g in grants if g.start), default=None),
                    max(bound_text(g.end) if g.end else OPEN_END for g in grants),
                )
        return keys

    def _adapters(
        self,
    ) -> tuple[Callable[[Any], Any], Callable[[bool], Any], Callable[[Any], Any]]:
        """How numbers, booleans and JSON documents go to this driver."""
        document = json_document(self.connection)
        if self.connection.dialect.name == "sqlite":
            return (lambda v: None if v is None else str(v)), int, document
        return (lambda v: v), (lambda v: v), document

    def _day(self, texts: _MaskText) -> Callable[[date | None], Any]:
        """How a day goes to this driver: SQLite's text (``texts.day``, each day written
        once, not through the driver's date adapter, a Python call for each), else as it
        is."""
        if self.connection.dialect.name == "sqlite":
            return texts.day
        return lambda value: value

    def _bulk(self, table: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        insert_rows(self.connection, table, columns, rows)

    def _right_ids(self, count: int) -> list[int]:
        """Ids for new rights: from the sequence on PostgreSQL, after the largest on SQLite
        (where this transaction is the only writer)."""
        if self.connection.dialect.name == "sqlite":
            first = (
                int(self.connection.scalar(select(func.coalesce(func.max(t.rights.c.id), 0))) or 0)
                + 1
            )
            return list(range(first, first + count))
        return list(
            self.connection.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('rights', 'id')) "
                "FROM generate_series(1, %s)",
                (count,),
            ).scalars()
        )

    def _add_rights(self, contracts: Sequence[Contract], texts: _MaskText | None = None) -> None:
        _, truth, document = self._adapters()
        rows: list[tuple[Any, ...]] = []
        links: list[tuple[int, str]] = []
        items: list[tuple[str, str, int, Grant | Holdback | Option]] = [
            (c.id, "grant", i, g) for c in contracts for i, g in enumerate(c.grants)
        ] + [(c.id, "holdback", i, h) for c in contracts for i, h in enumerate(c.holdbacks)]
        items += [(c.id, "option", i, o) for c in contracts for i, o in enumerate(c.options)]
        # A bulk load stores a million rights drawn from far fewer masks, language sets,
        # title lists and term bounds: each is written out once per call (at most _MEMO of
        # each, memory stays bounded).
        texts = texts or _MaskText()
        day = self._day(texts)
        media_of, territories_of = texts.texts()
        bounds = texts.bounds
        language_doc: dict[LanguageSet, Any] = {}
        titles_doc: dict[tuple[str, ...], Any] = {}
        empty, yes, no = document({}), truth(True), truth(False)
        for right_id, (contract_id, kind, position, item) in zip(
            self._right_ids(len(items)), items, strict=True
        ):
            languages = language_doc.get(item.languages)
            if languages is None:
                languages = document(item.languages.to_json())
                if len(language_doc) < _MEMO:
                    language_doc[item.languages] = languages
            titles = titles_doc.get(item.titles)
            if titles is None:
                titles = document(list(item.titles))
                if len(titles_doc) < _MEMO:
                    titles_doc[item.titles] = titles
            start, end = item.start, item.end
            option = kind == "option"
            rows.append(
                (
                    right_id,
                    contract_id,
                    kind,
                    position,
                    titles,
                    media_of(item.media),
                    territories_of(item.territories),
                    languages,
                    None if start is None else bounds.get(start) or texts.bound(start),
                    None if end is None else bounds.get(end) or texts.bound(end),
                    yes if kind == "grant" and item.exclusive else no,  # type: ignore[union-attr]
                    yes if kind == "grant" and item.sublicense else no,  # type: ignore[union-attr]
                    document(dict(item.extra)) if item.extra else empty,
                    item.kind if option else None,  # type: ignore[union-attr]
                    item.holder if option else None,  # type: ignore[union-attr]
                    day(item.exercise_by) if option else None,  # type: ignore[union-attr]
                )
            )
            if len(item.titles) == 1:
                links.append((right_id, item.titles[0]))
            else:
                links.extend((right_id, title) for title in dict.fromkeys(item.titles))
        self._bulk(
            t.rights,
            (
                "id",
                "contract_id",
                "kind",
                "position",
                "titles",
                "media",
                "territories",
                "languages",
                "start",
                "end",
                "exclusive",
                "sublicense",
                "extra",
                "option_kind",
                "holder_id",
                "exercise_by",
            ),
            rows,
        )
        self._bulk(t.right_titles, ("right_id", "title_id"), links)

    def rewrite_contract(self, contract: Contract) -> None:
        """Store a new definition of an existing (draft) contract: parties, money terms,
        grants and holdbacks, keeping its place in the stored order."""
        self.connection.execute(
            t.contracts.update()
            .where(t.contracts.c.id == contract.id)
            .values(
                licensor_id=contract.licensor,
                licensee_id=contract.licensee,
                fee_amount=contract.fee.amount if contract.fee else None,
                fee_currency=contract.fee.currency if contract.fee else None,
                mg_amount=contract.minimum_guarantee.amount if contract.minimum_guarantee else None,
                mg_currency=contract.minimum_guarantee.currency
                if contract.minimum_guarantee
                else None,
                money=_money_terms(contract, lambda v: v),
                extra=dict(contract.extra),
            )
        )
        self.replace_contract(contract)

    def replace_contract(self, contract: Contract) -> None:
        """Store a new state of an existing contract (status, dates, rights), keeping its
        place in the stored order."""
        self.connection.execute(
            t.contracts.update()
            .where(t.contracts.c.id == contract.id)
            .values(
                status=contract.status,
                terminated=contract.terminated,
                signed=contract.signed,
                version=self.stamp(),
                **dict(zip(SORT_KEYS, self._sort_keys([contract])[contract.id], strict=True)),
            )
        )
        self.connection.execute(delete(t.rights).where(t.rights.c.contract_id == contract.id))
        self._add_rights([contract])

    def add_rates(self, quotes: Sequence[tuple[date, str, str, Decimal]]) -> int:
        """Store exchange rates; a rate for a (from, to, day) already stored replaces it."""
        keys = {(q[1], q[2], q[0]) for q in quotes}
        for source, target, day in keys:
            self.connection.execute(
                delete(t.fx_rates).where(
                    t.fx_rates.c.source == source,
                    t.fx_rates.c.target == target,
                    t.fx_rates.c.day == day,
                )
            )
        unique = {(q[1], q[2], q[0]): q for q in quotes}
        if unique:
            self.connection.execute(
                insert(t.fx_rates),
                [
                    {"source": src, "target": dst, "day": day, "rate": str(rate)}
                    for day, src, dst, rate in unique.values()
                ],
            )
        return len(unique)

    def start_sales_file(self) -> None:
        """Forget the lines counted by :meth:`sales_occurrences` (a new file begins)."""
        if self.connection.dialect.name == "sqlite":
            # A page cache of a fixed 64 MiB for this connection: inserting a million
            # lines touches the id index at random, and with SQLite's default 2 MiB each
            # insert would read and spill pages. Fixed, so memory stays flat in the lines.
            self.connection.exec_driver_sql(f"PRAGMA cache_size = -{SALES_CACHE_KIB}")
            # the counts: one B-tree of 16-byte keys (no rowid table beside the index)
            self.connection.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS sales_seen (key BLOB PRIMARY KEY, n INTEGER)"
                " WITHOUT ROWID"
            )
            # the temporary database has a page cache of its own (2 MiB unless told)
            self.connection.exec_driver_sql(f"PRAGMA temp.cache_size = -{SEEN_CACHE_KIB}")
        else:
            self.connection.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS sales_seen (key BYTEA PRIMARY KEY, n INTEGER)"
                " ON COMMIT DROP"
            )
        self.connection.exec_driver_sql("DELETE FROM sales_seen")

    def sales_occurrences(self, keys: list[bytes]) -> list[int]:
        """For each key (a digest of a normalised line, in file order), how many lines
        with the same key came before it in the current file. The counts live in a
        temporary table, so memory stays flat however long the file."""
        mark = "?" if self.connection.dialect.paramstyle == "qmark" else "%s"
        counts: dict[bytes, int] = {}
        unique = sorted(set(keys))  # in key order: neighbours share the index's pages
        for chunk in _chunks(unique, 900):
            marks = ", ".join([mark] * len(chunk))
            for key, n in self.connection.exec_driver_sql(
                f"SELECT key, n FROM sales_seen WHERE key IN ({marks})", tuple(chunk)
            ):
                counts[bytes(key)] = int(n)
        known = set(counts)
        out = []
        for key in keys:
            n = counts.get(key, 0)
            out.append(n)
            counts[key] = n + 1
        updates = [(counts[k], k) for k in unique if k in known]
        if updates:
            self.connection.exec_driver_sql(
                f"UPDATE sales_seen SET n = {mark} WHERE key = {mark}", updates
            )
        fresh = [(k, counts[k]) for k in unique if k not in known]
        if fresh:
            self.connection.exec_driver_sql(
                f"INSERT INTO sales_seen (key, n) VALUES ({mark}, {mark})", fresh
            )
        return out

    def add_sales(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert sales lines: tuples in the order of :data:`SALES_COLUMNS`."""
        self._bulk(t.sales_lines, SALES_COLUMNS, self._sales_rows(rows))

    def _sales_rows(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        _, truth, _ = self._adapters()
        return [(*r[:-1], truth(bool(r[-1]))) for r in rows]

    def rematch_sales(self, rows: list[tuple[Any, ...]]) -> None:
        """Replace stored (unmatched) lines with a new reading of the same lines."""
        for chunk in _chunks([r[0] for r in rows], 900):
            self.connection.execute(delete(t.sales_lines).where(t.sales_lines.c.id.in_(chunk)))
        self._bulk(t.sales_lines, SALES_COLUMNS, self._sales_rows(rows))

    def add_payment(
        self, contract_id: str, day: date, amount: Decimal, currency: str, note: str | None
    ) -> int:
        return int(
            self.connection.execute(
                insert(t.payments)
                .values(
                    contract_id=contract_id,
                    day=day,
                    amount=str(amount),
                    currency=currency,
                    note=note,
                    created=datetime.now(UTC),
                )
                .returning(t.payments.c.id)
            ).scalar_one()
        )

    def add_key(self, key: KeyRow) -> None:
        self.connection.execute(
            insert(t.api_keys).values(
                id=key.id,
                hash=key.hash,
                role=key.role,
                party_id=key.party,
                note=key.note,
                created=key.created,
            )
        )

    def revoke_key(self, key_id: str, at: datetime) -> bool:
        done = self.connection.execute(
            t.api_keys.update()
            .where(t.api_keys.c.id == key_id, t.api_keys.c.revoked.is_(None))
            .values(revoked=at)
        )
        return bool(done.rowcount)

    def log(
        self,
        actor: str,
        action: str,
        entity: str,
        entity_id: str,
        before: Any,
        after: Any,
        at: datetime | None = None,
    ) -> None:
        self.log_many([(actor, action, entity, entity_id, before, after)], at)

    def log_many(
        self, entries: Sequence[tuple[str, str, str, str, Any, Any]], at: datetime | None = None
    ) -> None:
        """Append change-log entries, all stamped with the same time (a bulk load's are
        all by one actor, of one action on one kind of entity: those go into the
        statement once, see :func:`insert_rows`)."""
        if not entries:
            return
        stamp = bound(self.connection, t.changes.c.at, at or self.at or datetime.now(UTC))
        document = json_document(self.connection)
        same: dict[str, str | int | None] = {"key_id": self.key_id, "party_id": self.party_id}
        first = entries[0][:3]
        if all(entry[:3] == first for entry in entries):
            same.update(actor=first[0], action=first[1], entity=first[2])
            columns: tuple[str, ...] = ("at", "entity_id", "before", "after")
            rows: list[tuple[Any, ...]] = [
                (stamp, i, document(b), document(af)) for _, _, _, i, b, af in entries
            ]
        else:
            columns = ("at", "actor", "action", "entity", "entity_id", "before", "after")
            rows = [
                (stamp, a, act, e, i, document(b), document(af)) for a, act, e, i, b, af in entries
            ]
        insert_rows(self.connection, t.changes, columns, rows, same)


_MEMO = 100_000  # masks remembered by one bulk insert of rights


class _MaskText:
    """Media and territory masks as stored (comma-separated codes) and terms' bounds, each
    written out once for one bulk insert (its contracts' sort keys and its rights' rows):
    a million rights are drawn from far fewer. At most :data:`_MEMO` of each are kept."""

    __slots__ = ("bounds", "days", "media", "territories")

    def __init__(self) -> None:
        self.media: dict[int, str] = {}
        self.territories: dict[int, str] = {}
        self.bounds: dict[DateBound, str] = {}  # a term's start or end as stored
        self.days: dict[date, str] = {}  # a day as SQLite stores it (ISO text)

    def day(self, value: date | None) -> str | None:
        """A day as SQLite stores a ``Date`` column (ISO text), remembered (up to
        ``_MEMO``); None as it is."""
        if value is None:
            return None
        text = self.days.get(value)
        if text is None:
            text = value.isoformat()
            if len(self.days) < _MEMO:
                self.days[value] = text
        return text

    def bound(self, term: DateBound) -> str:
        """A term's start or end as stored (``str``), remembered (up to ``_MEMO``)."""
        text = self.bounds.get(term)
        if text is None:
            text = str(term)
            if len(self.bounds) < _MEMO:
                self.bounds[term] = text
        return text

    def texts(self) -> tuple[Callable[[int], str], Callable[[int], str]]:
        """(media text of a mask, territories text of a mask)."""
        return (
            _remembered(self.media, media_codes.leaves_of),
            _remembered(self.territories, territory_codes.countries_of),
        )


def _remembered(
    memo: dict[int, str], codes_of: Callable[[int], Iterable[str]]
) -> Callable[[int], str]:
    """The comma-joined codes of a mask, remembered in ``memo`` (up to ``_MEMO`` masks)."""

    def text_of(mask: int) -> str:
        text = memo.get(mask)
        if text is None:
            text = ",".join(codes_of(mask))
            if len(memo) < _MEMO:
                memo[mask] = text
        return text

    return text_of


SALES_COLUMNS = (
    "id",
    "seq",
    "file",
    "line",
    "licensee",
    "title",
    "medium",
    "territory",
    "period_start",
    "period_end",
    "units",
    "gross",
    "currency",
    "contract_hint",
    "contract_id",
    "reason",
    "candidates",
    "gross_converted",
    "fx_rate",
    "fx_date",
    "fx_inverse",
)
SALES_CACHE_KIB = 64 * 1024  # SQLite page cache of a connection importing sales
BULK_CACHE_KIB = 256 * 1024  # SQLite page cache of a connection storing a bulk load
REBUILD_FROM = 50_000  # contracts from which a load into SQLite builds indexes after it
# Non-unique indexes a load keeps filling row by row: every row of one load has the same
# change time, actor, key and action, and takes the next seq, so each entry goes at the end
# of its key (and each chunk of a load asks the largest seq). Measured at a million
# licenses, keeping the change log's four cost about as much as building them after the
# load (2.8 s more inserting, 2.5 s less building); the contracts' version and status,
# kept the same way before, cost more inserting than building them after (each build
# scans the contracts, narrower than the change log).
KEPT_THROUGH_LOADS = frozenset(
    {
        "ix_contracts_seq",
        "ix_changes_at",
        "ix_changes_action",
        "ix_changes_actor",
        "ix_changes_key",
    }
)
SEEN_CACHE_KIB = 32 * 1024  # and of its temporary table of line counts

SALES_ROW = (
    "contract_id",
    "period_end",
    "title",
    "medium",
    "territory",
    "seq",
    "gross_converted",
    "period_start",
    "gross",
    "currency",
    "file",
    "line",
    "fx_rate",
    "fx_date",
    "fx_inverse",
)
"""The columns of :meth:`Reader.stream_sales_rows`, in order."""


def sales_row_day(value: Any) -> date:
    """A date column of :meth:`Reader.stream_sales_rows`: text on SQLite, a date on
    PostgreSQL."""
    return date.fromisoformat(value) if isinstance(value, str) else value


_RATED = (
    t.sales_lines.c.title,
    t.sales_lines.c.medium,
    t.sales_lines.c.territory,
    t.sales_lines.c.period_start,
    t.sales_lines.c.period_end,
    t.sales_lines.c.gross,
    t.sales_lines.c.currency,
    t.sales_lines.c.gross_converted,
    t.sales_lines.c.seq,
    t.sales_lines.c.line,
    t.sales_lines.c.file,
    t.sales_lines.c.fx_rate,
    t.sales_lines.c.fx_date,
    t.sales_lines.c.fx_inverse,
)


def _key_of(row: Any) -> KeyRow:
    return KeyRow(
        row.id,
        row.hash,
        row.role,
        row.party_id,
        row.note,
        _aware(row.created),
        _aware(row.revoked) if row.revoked else None,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


T = TypeVar("T")


SORT_KEYS = ("sort_titles", "sort_media", "sort_territories", "sort_start", "sort_end")
"""The contracts list's sort keys kept on a contract's row (0010_contract_sort_keys)."""
OPEN_END = "9999-12-31"
"""An open end as a sort key: after every day."""


def _written(version: ColumnElement[int], since: int, upto: int | None) -> ColumnElement[bool]:
    """Rows written after version ``since`` and, with ``upto``, not after it. A catch-up
    knows the version it catches up to and says so: on PostgreSQL, a bounded range is
    read from the version index even before the table has planner statistics (after a
    bulk load, until autovacuum analyzes it, or never where autovacuum is off), where an
    open ``version > since`` was estimated at a third of the table and read whole: 20 ms
    for every write a server caught up with at 100,000 licenses, about 45 ms with the rest
    of the catch-up against 9 ms with the index."""
    if upto is None:
        return version > since
    return and_(version > since, version <= upto)


def _chunks(items: list[T], size: int = 500) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _money(amount: Any, currency: str | None) -> Money | None:
    if amount is None or currency is None:
        return None
    return Money(Decimal(amount).normalize() if Decimal(amount) != 0 else Decimal(0), currency)


@lru_cache(maxsize=65536)
def _media_mask(codes: str | None) -> int:
    """The mask of a stored comma-separated list (many rights repeat the same lists)."""
    return media_codes.mask_of(codes.split(",")) if codes else 0


@lru_cache(maxsize=65536)
def _title_ids(text: str) -> tuple[str, ...]:
    """A stored JSON list of title ids (licenses of one title repeat it)."""
    return tuple(json.loads(text))


@lru_cache(maxsize=4096)
def _document(text: str) -> Any:
    """A stored JSON document that is only read (money terms repeat across contracts)."""
    return json.loads(text)


@lru_cache(maxsize=4096)
def _bound(text: str | None) -> DateBound | None:
    """A stored term bound (few distinct ones: contracts share their dates)."""
    return DateBound.parse(text) if text else None


@lru_cache(maxsize=65536)
def _territory_mask(codes: str | None) -> int:
    return territory_codes.mask_of(codes.split(",")) if codes else 0


def forget_parsed_values() -> None:
    """Empty the caches of parsed stored values (media and territory lists, title lists,
    term bounds, documents). They speed a bulk read, where rights repeat the same lists,
    and are dead weight after it: a process that built its index from a million licenses
    kept about 15 MB of them (the stored texts and what they parse to), some 15 bytes per
    license beside the index itself."""
    for cached in (_media_mask, _title_ids, _document, _bound, _territory_mask):
        cached.cache_clear()


def _contract_of(row: Any, rights: list[Any]) -> Contract:
    grants: list[Grant] = []
    holdbacks: list[Holdback] = []
    options: list[Option] = []
    for r in rights:
        media = _media_mask(r.media)
        territories = _territory_mask(r.territories)
        languages = LanguageSet.parse(r.languages)
        start, end = _bound(r.start), _bound(r.end)
        if r.kind == "grant":
            grants.append(
                Grant(
                    tuple(r.titles),
                    media,
                    territories,
                    languages,
                    start,
                    end,
                    bool(r.exclusive),
                    bool(r.sublicense),
                    dict(r.extra or {}),
                )
            )
        elif r.kind == "option":
            options.append(
                Option(
                    r.option_kind,
                    r.holder_id,
                    tuple(r.titles),
                    media,
                    territories,
                    r.exercise_by,
                    languages,
                    start,
                    end,
                    dict(r.extra or {}),
                )
            )
        else:
            holdbacks.append(
                Holdback(
                    tuple(r.titles), media, territories, languages, start, end, dict(r.extra or {})
                )
            )
    money = row.money or {}
    if "revenue_share" in money:
        shares = tuple(_share_of(e) for e in money["revenue_share"])
    elif row.revenue_share is not None:  # stored before 0004_money: one plain rate
        shares = (ShareEntry.flat(Decimal(row.revenue_share).normalize()),)
    else:
        shares = ()
    return Contract(
        row.id,
        row.licensor_id,
        row.licensee_id,
        row.status,
        row.signed,
        row.terminated,
        _money(row.fee_amount, row.fee_currency),
        _money(row.mg_amount, row.mg_currency),
        shares,
        tuple(grants),
        tuple(holdbacks),
        dict(row.extra or {}),
        money.get("currency"),
        tuple(Instalment(date.fromisoformat(d), Decimal(a)) for d, a in money.get("payments", [])),
        money.get("reporting", "quarterly"),
        options=tuple(options),
    )


def _money_terms(contract: Contract, document: Callable[[Any], Any]) -> Any:
    """The ``money`` column: the money terms that are not one amount, or ``None``."""
    if not (
        contract.currency
        or contract.payments
        or contract.revenue_share
        or contract.reporting != "quarterly"
    ):
        return None
    return document(
        {
            "currency": contract.currency,
            "payments": [[p.due.isoformat(), str(p.amount)] for p in contract.payments],
            "revenue_share": [
                {
                    "media": None if e.media is None else ",".join(media_codes.leaves_of(e.media)),
                    "territories": None
                    if e.territories is None
                    else ",".join(territory_codes.countries_of(e.territories)),
                    "tiers": [
                        [None if x.upto is None else str(x.upto), str(x.rate)] for x in e.tiers
                    ],
                }
                for e in contract.revenue_share
            ],
            "reporting": contract.reporting,
        }
    )


def _share_of(data: dict[str, Any]) -> ShareEntry:
    tiers = tuple((u, r) for u, r in data["tiers"])
    return _share_entry(data.get("media"), data.get("territories"), tiers)


@lru_cache(maxsize=4096)
def _share_entry(
    media: str | None, territories: str | None, tiers: tuple[tuple[str | None, str], ...]
) -> ShareEntry:
    """A stored ``revenue_share`` entry (contracts repeat the same few: statements of a
    busy period read thousands of contracts)."""
    return ShareEntry(
        tuple(Tier(None if u is None else Decimal(u), Decimal(r)) for u, r in tiers),
        None if media is None else (media_codes.mask_of(media.split(",")) if media else 0),
        None
        if territories is None
        else (territory_codes.mask_of(territories.split(",")) if territories else 0),
    )


def _next_day(day: date) -> date:
    """The day after ``day``; the last day a date can name has none, and no termination
    can be stored after it."""
    return day if day == date.max else day + timedelta(days=1)
