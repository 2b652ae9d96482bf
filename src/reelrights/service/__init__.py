"""The one facade every outer layer calls: load, execute, terminate, ask, export.

It turns user text (codes, dates, file contents) into domain values, keeps an avails index
of the stored book in memory, and lets the engine decide. The store is the source of
truth: before every question and inside every write, the index catches up with the rows
written since the book version it last saw, so a write made by any process is seen by the
very next question. Problems in the input raise :class:`InvalidInput` (nothing is
stored); a write that would break avails raises :class:`RightsConflict` with the engine's
reports (nothing is stored either).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reelrights.domain.contracts import Contract, Party
from reelrights.domain.languages import LanguageSet
from reelrights.domain.media import MediaTaxonomy, leaves_of
from reelrights.domain.problems import CodeError, InvalidInput, Problem
from reelrights.domain.terms import from_end, from_start, parse_date
from reelrights.domain.territories import Geography, countries_of
from reelrights.domain.titles import Catalog, Title
from reelrights.engine import (
    AvailsReport,
    AvailsRequest,
    ContractCheck,
    RightsBook,
    validate_contract,
)
from reelrights.formats import sheet as sheets
from reelrights.store.repository import Change, KeyRow, Reader, Store, Writer

Progress = Callable[[str, int, int], None]
BULK_LOCKS = 2000
ROLES = ("admin", "editor", "viewer")
ApiKey = KeyRow  # what the outer layers call a stored API key


@dataclass(frozen=True)
class Acting:
    """Who is acting: a name for the change log, and the API key and party behind it."""

    actor: str
    key_id: str | None = None
    party: str | None = None

    @staticmethod
    def of_key(key: KeyRow) -> Acting:
        """A request made with an API key (from the REST API or the web UI)."""
        return Acting(f"key:{key.id}", key.id, key.party)


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
class LoadResult:
    """What a load stored."""

    parties: int = 0
    titles: int = 0
    contracts: int = 0
    groups: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class _State:
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


def _json_safe(value: Any) -> Any:
    """Sheet mappings with dates as ISO text, for the JSON change log."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _lock_keys(contracts: Iterable[Contract]) -> set[tuple[str, ...]]:
    """The (licensor, title) pairs, and the titles of ownership records, a write touches."""
    keys: set[tuple[str, ...]] = set()
    for contract in contracts:
        for item in contract.rights:
            for title in item.titles:
                keys.add(("grant", contract.licensor or "", title))
                if contract.is_ownership:
                    keys.add(("own", title))
    return keys


class Service:
    """reelrights on one database."""

    def __init__(self, url: str | None = None, actor: str | None = None) -> None:
        self.store = Store(url)
        self.actor = actor or _actor()
        self._state: _State | None = None
        self._lock = threading.RLock()
        self._verified: dict[str, str] = {}
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
            writer.key_id, writer.party_id = who.key_id, who.party
            yield writer

    # -- the in-memory view --------------------------------------------------------------

    def _fresh(self, reader: Reader, progress: Progress | None = None) -> _State:
        """The state caught up with the store as ``reader`` sees it."""
        with self._lock:
            version = reader.book_version()
            state = self._state
            if state is None:
                state = self._state = self._build(reader, version, progress)
            elif state.version != version:
                self._catch_up(reader, state, version)
            return state

    @staticmethod
    def _build(reader: Reader, version: int, progress: Progress | None) -> _State:
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
        book.settle()
        return _State(
            version,
            book,
            {p.id: p for p in reader.parties()},
            territory_groups,
            media_groups,
            MediaTaxonomy(media_groups),
            Geography(territory_groups),
        )

    @staticmethod
    def _catch_up(reader: Reader, state: _State, version: int) -> None:
        new_titles = reader.titles(since=state.version)
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
        for contract in reader.contracts(since=state.version):
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

    def _current(self) -> _State:
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

    # -- loading -------------------------------------------------------------------------

    def load(self, paths: Sequence[str | Path], progress: Progress | None = None) -> LoadResult:
        """Validate deal sheets and store them, all or nothing (DESIGN.md rule 11)."""
        texts = []
        for path in paths:
            try:
                texts.append((str(path), Path(path).read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as error:
                raise InvalidInput([Problem(f"cannot read: {error}", str(path))]) from None
        return self.load_texts(texts, progress)

    def load_texts(
        self, texts: Sequence[tuple[str, str]], progress: Progress | None = None
    ) -> LoadResult:
        """:meth:`load` for (file name, text) pairs."""
        media, geography = self.vocabularies()
        parsed = [sheets.parse_sheet(text, name, media, geography) for name, text in texts]
        problems = [p for s in parsed for p in s.problems]
        if problems:
            raise InvalidInput(problems)
        return self.load_sheets(parsed, progress)

    def load_sheets(
        self, parsed: Sequence[sheets.DealSheet], progress: Progress | None = None
    ) -> LoadResult:
        """Store deal sheets already read (or built in code), all or nothing.

        Each writer locks the (licensor, title) pairs it touches; a load touching more
        than :data:`BULK_LOCKS` pairs locks the whole book instead.
        """
        locks = _lock_keys(c for s in parsed for c in s.contracts)
        bulk = len(locks) > BULK_LOCKS
        with self._writing(() if bulk else sorted(locks), whole_book=bulk) as w:
            state = self._fresh(w, progress)
            before = state.version
            self._dirty = False
            try:
                result = self._load_parsed(w, state, list(parsed), progress)
            except BaseException:
                if self._dirty:  # new titles or groups were added in memory: rebuild later
                    self._state = None
                raise
        self._wrote(w, before)
        return result

    def _load_parsed(
        self,
        writer: Writer,
        state: _State,
        parsed: list[sheets.DealSheet],
        progress: Progress | None,
    ) -> LoadResult:
        problems: list[Problem] = []
        result = LoadResult()
        media, geography = state.media, state.geography
        groups_before = (dict(state.territory_groups), dict(state.media_groups))

        def locate(sheet: sheets.DealSheet, key: str, message: str, where: str) -> None:
            problems.append(Problem(message, sheet.file, sheet.line_of(key), where))

        # Custom groups: new ones are stored; a redefinition with other members is an error.
        new_groups: list[tuple[str, str, list[str]]] = []
        for sheet in parsed:
            for kind, defined, known, add in (
                ("territory", sheet.territory_groups, state.territory_groups, geography.add_group),
                ("media", sheet.media_groups, state.media_groups, media.add_group),
            ):
                for name, members in defined.items():
                    try:
                        add(name, members)
                    except CodeError as error:
                        problems.append(Problem(str(error), sheet.file, None, f"{kind}_groups"))
                        continue
                    if name not in known:
                        self._dirty = True
                        known[name] = list(members)
                        new_groups.append((kind, name, list(members)))

        # Parties and titles: new ones are stored; an identical repeat is accepted.
        catalog = state.catalog
        new_parties: dict[str, tuple[Party, sheets.DealSheet]] = _new_entities(
            "party",
            "parties",
            [(sheet, sheet.parties) for sheet in parsed],
            state.parties.get,
            problems,
        )
        new_titles: dict[str, tuple[Title, sheets.DealSheet]] = _new_entities(
            "title", "titles", [(sheet, sheet.titles) for sheet in parsed], catalog.get, problems
        )
        known_ids = set(new_titles)
        for title, sheet in new_titles.values():
            key, where = f"title:{title.id}", f"title {title.id}"
            for member in title.members:
                if member not in catalog and member not in known_ids:
                    locate(sheet, key, f"unknown member title '{member}'", where)
            if title.parent:
                parent = catalog.get(title.parent) or (
                    new_titles[title.parent][0] if title.parent in new_titles else None
                )
                if parent is None:
                    locate(sheet, key, f"unknown parent title '{title.parent}'", where)
                elif parent.kind not in ("series", "season"):
                    locate(
                        sheet,
                        key,
                        f"parent '{title.parent}' is a {parent.kind}, not a series or season",
                        where,
                    )
        if problems:
            raise InvalidInput(problems)

        # From here on the in-memory book changes: a failure must throw it away.
        if new_titles:
            self._dirty = True
            for title, _ in new_titles.values():
                catalog.add(title)
            referents = {r for t in new_titles for r in catalog.referents(t)}
            covering = writer.contracts(touching=referents - set(new_titles))
            for title, _ in new_titles.values():
                state.book.add_title(title, covering)

        party_ids = set(state.parties) | set(new_parties)
        ordered: list[tuple[Contract, sheets.DealSheet]] = []
        seen: dict[str, sheets.DealSheet] = {}
        all_ids = [c.id for s in parsed for c in s.contracts]
        stored_ids = writer.existing_contract_ids(all_ids)
        for sheet in parsed:
            for contract in sheet.contracts:
                key = f"contract:{contract.id}"
                if contract.id in stored_ids:
                    locate(sheet, key, f"contract '{contract.id}' already exists", "contracts")
                elif contract.id in seen:
                    other = seen[contract.id]
                    locate(
                        sheet,
                        key,
                        f"duplicate contract id '{contract.id}' (also in "
                        f"{other.file} line {other.line_of(key)})",
                        "contracts",
                    )
                seen[contract.id] = sheet
                for role, party_id in contract.named_parties():
                    if party_id not in party_ids:
                        inner = re.match(r"options\[(\d+)\]", role)
                        problems.append(
                            Problem(
                                f"unknown party '{party_id}'",
                                sheet.file,
                                sheet.line_within(key, "options", int(inner.group(1)), "holder")
                                if inner
                                else sheet.line_of(key),
                                f"contract {contract.id} {role}",
                            )
                        )
                for problem in validate_contract(contract, catalog):
                    inner = re.search(r"(grants|holdbacks|options)\[(\d+)\]", problem.field or "")
                    line = (
                        sheet.line_within(key, inner.group(1), int(inner.group(2)))
                        if inner
                        else sheet.line_of(key)
                    )
                    problems.append(Problem(problem.message, sheet.file, line, problem.field))
                ordered.append((contract, sheet))
        if problems:
            state.territory_groups, state.media_groups = groups_before
            raise InvalidInput(problems)

        # Rule 11: ownership records first, then contracts in sheet order.
        ordered.sort(key=lambda pair: not pair[0].is_ownership)
        conflicts: list[ContractCheck] = []
        added: list[Contract] = []
        total = len(ordered)
        try:
            for done, (contract, _sheet) in enumerate(ordered, start=1):
                if contract.in_force():
                    check = state.book.check(contract, is_new=True)
                    if not check.ok:
                        conflicts.append(check)
                        continue
                state.book.add(contract)
                added.append(contract)
                if progress and (done % 1000 == 0 or done == total):
                    progress("checking contracts", done, total)
            if conflicts:
                raise RightsConflict(conflicts)
            self._store_load(
                writer, parsed, new_groups, new_parties, new_titles, media, geography, progress
            )
        except BaseException:
            for contract in added:
                state.book.remove(contract)
            state.territory_groups, state.media_groups = groups_before
            raise
        state.parties.update({p.id: p for p, _ in new_parties.values()})
        result.parties, result.titles = len(new_parties), len(new_titles)
        result.contracts, result.groups = len(all_ids), len(new_groups)
        return result

    def _store_load(
        self,
        writer: Writer,
        parsed: list[sheets.DealSheet],
        new_groups: list[tuple[str, str, list[str]]],
        new_parties: dict[str, tuple[Party, sheets.DealSheet]],
        new_titles: dict[str, tuple[Title, sheets.DealSheet]],
        media: MediaTaxonomy,
        geography: Geography,
        progress: Progress | None,
    ) -> None:
        for kind, name, members in new_groups:
            writer.add_group(kind, name, members)
        writer.add_parties([p for p, _ in new_parties.values()])
        writer.add_titles([t for t, _ in new_titles.values()])
        contracts = [c for s in parsed for c in s.contracts]
        for start in range(0, len(contracts), 20_000):
            writer.add_contracts(contracts[start : start + 20_000])
            if progress:
                progress("storing contracts", min(start + 20_000, len(contracts)), len(contracts))
        actor = self._who().actor
        log: list[tuple[str, str, str, str, Any, Any]] = [
            (actor, "create", f"{kind}_group", name, None, members)
            for kind, name, members in new_groups
        ]
        log += [
            (actor, "create", "party", p.id, None, sheets.render_party(p))
            for p, _ in new_parties.values()
        ]
        log += [
            (actor, "create", "title", t.id, None, _json_safe(sheets.render_title(t)))
            for t, _ in new_titles.values()
        ]
        log += [
            (actor, "create", "contract", c.id, None, sheets.render_contract(c, media, geography))
            for c in contracts
        ]
        writer.log_many(log)

    # -- MovieLabs Avails feeds ------------------------------------------------------------

    def import_feeds(
        self,
        sources: Sequence[str | Path | tuple[str, Any]],
        progress: Progress | None = None,
        derive_ownership: bool = True,
    ) -> ImportResult:
        """Read, check and store Avails XML feeds and EMA spreadsheets, all or nothing
        (a path, or a (name, binary file object) pair per feed); see :mod:`.feeds`."""
        named = [s if isinstance(s, tuple) else (str(s), None) for s in sources]
        return feeds.import_feeds(self, named, progress, derive_ownership)

    def export_avails(self, kind: str = "xml", version: str | None = None) -> ExportedFeed:
        """The book's in-force licenses as Avails XML (``kind="xml"``, of ``version``) or
        an EMA workbook (``kind="xlsx"``), with what Avails cannot say listed apart."""
        return feeds.export_avails(self, kind, version or feeds.LATEST)

    # -- contract life -------------------------------------------------------------------

    def execute(self, contract_id: str) -> Contract:
        """Execute a draft or hold contract, if all its grants are available."""
        return self._change_status(contract_id, "executed", None)

    def terminate(self, contract_id: str, on: date | None = None) -> Contract:
        """Terminate an executed contract: in force until the day before ``on``, or void
        when no date is given. Never rewrites another contract (see :meth:`check`)."""
        return self._change_status(contract_id, "terminated", on)

    def _change_status(self, contract_id: str, status: str, on: date | None) -> Contract:
        with self.store.reading() as reader:
            current = reader.contract(contract_id)
        if current is None:
            raise InvalidInput([Problem(f"unknown contract '{contract_id}'", field="contract")])
        allowed = {"executed": ("draft", "hold"), "terminated": ("executed", "terminated")}
        if current.status not in allowed[status]:
            raise InvalidInput(
                [
                    Problem(
                        f"contract '{contract_id}' is {current.status}; only a "
                        f"{' or '.join(allowed[status])} contract can be {status}",
                        field="status",
                    )
                ]
            )
        if (
            status == "terminated"
            and current.status == "terminated"
            and (current.terminated is None or on is None or on > current.terminated)
        ):
            raise InvalidInput(
                [
                    Problem(
                        f"contract '{contract_id}' is already terminated; a new termination date "
                        "may only bring the end earlier",
                        field="terminated",
                    )
                ]
            )
        updated = replace(current, status=status, terminated=on)
        with self._writing(sorted(_lock_keys([current]))) as writer:
            state = self._fresh(writer)
            before = state.version
            if writer.contract(contract_id) != current:
                raise InvalidInput(
                    [
                        Problem(
                            f"contract '{contract_id}' changed meanwhile; try again",
                            field="contract",
                        )
                    ]
                )
            if status == "executed":
                check = state.book.check(updated)
                if not check.ok:
                    raise RightsConflict([check])
            writer.replace_contract(updated)
            writer.log(
                self._who().actor,
                "execute" if status == "executed" else "terminate",
                "contract",
                contract_id,
                _json_safe(sheets.render_contract(current, state.media, state.geography)),
                _json_safe(sheets.render_contract(updated, state.media, state.geography)),
            )
            state.book.replace(updated)
        self._wrote(writer, before)
        return updated

    # -- questions -----------------------------------------------------------------------

    def request(
        self,
        licensor: str,
        titles: Iterable[str],
        media: Iterable[str],
        territories: Iterable[str],
        start: date | str,
        end: date | str | None = None,
        languages: Any = None,
        exclusive: bool = False,
    ) -> AvailsRequest:
        """An avails request from user codes; every bad code is reported at once."""
        state = self._current()
        problems: list[Problem] = []

        def attempt(field_name: str, make: Callable[[], Any]) -> Any:
            try:
                return make()
            except CodeError as error:
                problems.append(Problem(str(error), field=field_name))
                return None

        media_mask = attempt("media", lambda: state.media.parse(list(media)))
        territory_mask = attempt("territory", lambda: state.geography.parse(list(territories)))
        language_set = attempt("language", lambda: LanguageSet.parse(languages))
        first = attempt("start", lambda: parse_date(start))
        last = attempt("end", lambda: parse_date(end)) if end is not None else None
        if first and last and last < first:
            problems.append(Problem(f"end {last} is before start {first}", field="end"))
        title_ids = [t for t in titles if t]
        if not title_ids:
            problems.append(Problem("no titles given", field="title"))
        for title_id in title_ids:
            if title_id not in state.catalog:
                problems.append(Problem(f"unknown title '{title_id}'", field="title"))
        if licensor not in state.parties:
            problems.append(Problem(f"unknown party '{licensor}'", field="licensor"))
        if problems:
            raise InvalidInput(problems)
        assert first is not None
        return AvailsRequest.of(
            licensor, title_ids, media_mask, territory_mask, first, last, language_set, exclusive
        )

    def avails(self, request: AvailsRequest, as_of: datetime | None = None) -> AvailsReport:
        """Answer an avails request from the stored book, or from the book as it was
        recorded at ``as_of`` (DESIGN.md rule 12)."""
        if request.today is None:  # rule 21: options stand through their deadline
            asked = (as_of or datetime.now(UTC)).date()
            request = replace(request, today=asked.toordinal())
        if as_of is not None:
            return self.book_as_of(as_of).avails(request)
        state = self._current()
        with self._lock:
            return state.book.avails(request)

    def book_as_of(self, moment: datetime) -> RightsBook:
        """The book as the change log recorded it at ``moment``."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        with self.store.reading() as reader:
            entries = reader.changes(until=moment, newest_first=False)
        latest: dict[tuple[str, str], Any] = {}
        for change in entries:
            latest[(change.entity, change.entity_id)] = change.after
        document: dict[str, Any] = {
            "parties": [],
            "titles": [],
            "territory_groups": {},
            "media_groups": {},
            "contracts": [],
        }
        plural = {"party": "parties", "title": "titles", "contract": "contracts"}
        for (entity, entity_id), after in latest.items():
            if after is None or entity not in (*plural, "territory_group", "media_group"):
                continue  # API keys and the like are no part of the book
            if entity in ("territory_group", "media_group"):
                document[entity + "s"][entity_id] = after
            else:
                document[plural[entity]].append(after)
        sheet = sheets.parse_document(
            document, f"change log at {moment.isoformat()}", MediaTaxonomy(), Geography()
        )
        if sheet.problems:  # pragma: no cover - the log only holds what was valid
            raise InvalidInput(sheet.problems)
        return RightsBook(Catalog(sheet.titles), sheet.contracts)

    def check(self) -> list[tuple[str, int, AvailsReport]]:
        """Executed grants whose licensor no longer holds what they gave."""
        with self.store.reading() as reader:
            state = self._fresh(reader)
            contracts = reader.contracts()
        with self._lock:
            return state.book.broken_chains(contracts)

    # -- drafts ----------------------------------------------------------------------------

    def _one_contract(self, document: dict[str, Any], where: str) -> Contract:
        media, geography = self.vocabularies()
        sheet = sheets.parse_document({"contracts": [document]}, where, media, geography)
        if sheet.problems:
            raise InvalidInput(sheet.problems)
        return sheet.contracts[0]

    def check_contract(self, document: dict[str, Any]) -> ContractCheck:
        """Whether a contract (a deal-sheet mapping, stored or not) could be executed now,
        grant by grant, with the avails report of each: nothing is stored. A stored
        contract of the same id is left out of the book while it is checked."""
        contract = self._one_contract({**document, "status": "executed"}, "contract")
        state = self._current()
        for role, party in contract.named_parties():
            if party not in state.parties:
                raise InvalidInput([Problem(f"unknown party '{party}'", field=role)])
        with self._lock:
            return state.book.check(contract, today=datetime.now(UTC).date())

    def create_contract(self, document: dict[str, Any]) -> Contract:
        """Store a new contract from its deal-sheet mapping, as a draft unless it says
        ``hold`` (executing is a separate step, see :meth:`execute`)."""
        document = {**document, "status": document.get("status") or "draft"}
        if document["status"] not in ("draft", "hold"):
            raise InvalidInput(
                [
                    Problem(
                        "a new contract is a draft or a hold; execute it afterwards", field="status"
                    )
                ]
            )
        contract = self._one_contract(document, "contract")
        self.load_sheets([sheets.DealSheet("contract", contracts=[contract])])
        return self.contract(contract.id)

    def update_draft(self, contract_id: str, document: dict[str, Any]) -> Contract:
        """Replace a draft's definition (its id and status stay)."""
        current = self.contract(contract_id)
        if current.status != "draft":
            raise InvalidInput(
                [
                    Problem(
                        f"contract '{contract_id}' is {current.status}; only "
                        "a draft can be changed",
                        field="status",
                    )
                ]
            )
        updated = self._one_contract({**document, "id": contract_id, "status": "draft"}, "contract")
        with self._writing(sorted(_lock_keys([current, updated]))) as writer:
            state = self._fresh(writer)
            before = state.version
            problems = [p for p in validate_contract(updated, state.catalog)]
            for role, party in updated.named_parties():
                if party not in state.parties:
                    problems.append(Problem(f"unknown party '{party}'", field=role))
            if problems:
                raise InvalidInput(problems)
            if writer.contract(contract_id) != current:
                raise InvalidInput(
                    [
                        Problem(
                            f"contract '{contract_id}' changed meanwhile; try again",
                            field="contract",
                        )
                    ]
                )
            writer.rewrite_contract(updated)
            writer.log(
                self._who().actor,
                "update",
                "contract",
                contract_id,
                _json_safe(sheets.render_contract(current, state.media, state.geography)),
                _json_safe(sheets.render_contract(updated, state.media, state.geography)),
            )
        self._wrote(writer, before)
        return updated

    # -- the grid --------------------------------------------------------------------------

    def grid(
        self,
        licensor: str,
        title: str,
        start: date | str,
        end: date | str | None,
        exclusive: bool = False,
        match: str = "cover",
        min_days: int = 1,
        media: Iterable[str] = ("ALL_MEDIA",),
        territories: Iterable[str] = ("WORLD",),
    ) -> dict[str, Any]:
        """Which media x territories are available for one title (or collection) and term.

        Each cell says ``available`` when the match holds (``cover``: the whole term is
        free; ``overlap``: some free window lasts at least ``min_days``), ``partial`` when
        some days are free but the match fails, else ``unavailable``; with the free
        windows, the reasons with their contracts, and any hold.
        """
        if match not in ("cover", "overlap"):
            raise InvalidInput([Problem("match is 'cover' or 'overlap'", field="match")])
        if min_days < 1:
            raise InvalidInput([Problem("min_days is at least 1", field="min_days")])
        request = self.request(
            licensor, [title], media, territories, start, end, exclusive=exclusive
        )
        report = self.avails(request)
        cells: dict[tuple[str, str], dict[str, Any]] = {}

        def cell(medium: str, country: str) -> dict[str, Any]:
            return cells.setdefault(
                (medium, country),
                {"medium": medium, "territory": country, "windows": [], "reasons": [], "holds": []},
            )

        def span(box: Any) -> dict[str, Any]:
            first, last = from_start(box.start), from_end(box.end)
            return {
                "start": first.isoformat() if first else None,
                "end": last.isoformat() if last else None,
                "days": box.end - box.start,
                "titles": sorted(box.titles),
            }

        for box in report.available:
            for medium in leaves_of(box.media):
                for country in countries_of(box.territories):
                    cell(medium, country)["windows"].append(span(box))
        for item in report.unavailable:
            for medium in leaves_of(item.box.media):
                for country in countries_of(item.box.territories):
                    cell(medium, country)["reasons"].append(
                        {"reason": item.reason, "contract": item.contract, **span(item.box)}
                    )
        for warning in report.warnings:
            for medium in leaves_of(warning.box.media):
                for country in countries_of(warning.box.territories):
                    cell(medium, country)["holds"].append(
                        {"contract": warning.contract, **span(warning.box)}
                    )
        for value in cells.values():
            free = value["windows"]
            if not value["reasons"]:
                ok = bool(free)
            elif match == "cover":
                ok = False
            else:
                ok = any(w["days"] >= min_days for w in free)
            value["status"] = "available" if ok else ("partial" if free else "unavailable")
        ordered = sorted(cells.values(), key=lambda c: (c["territory"], c["medium"]))
        return {
            "licensor": licensor,
            "title": title,
            "status": report.status,
            "match": match,
            "min_days": min_days,
            "cells": ordered,
        }

    # -- API keys ----------------------------------------------------------------------------

    def create_key(
        self, role: str, party: str | None = None, note: str | None = None
    ) -> tuple[KeyRow, str]:
        """A new API key: (its stored row, the key itself, shown only this once). Only a
        slow hash of the secret is stored."""
        if role not in ROLES:
            raise InvalidInput(
                [
                    Problem(
                        f"unknown role '{role}' (expected one of {', '.join(ROLES)})", field="role"
                    )
                ]
            )
        if party is not None and party not in {p.id for p in self.parties()}:
            raise InvalidInput([Problem(f"unknown party '{party}'", field="party")])
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(24)
        row = KeyRow(key_id, _hash_secret(secret), role, party, note, datetime.now(UTC), None)
        with self._writing() as writer:
            writer.add_key(row)
            writer.log(
                self._who().actor,
                "create",
                "api_key",
                key_id,
                None,
                {"role": role, "party": party, "note": note},
            )
        return row, f"rr_{key_id}_{secret}"

    def keys(self) -> list[KeyRow]:
        with self.store.reading() as reader:
            return reader.keys()

    def revoke_key(self, key_id: str) -> None:
        with self._writing() as writer:
            if not writer.revoke_key(key_id, datetime.now(UTC)):
                raise InvalidInput([Problem(f"no active key '{key_id}'", field="key")])
            writer.log(self._who().actor, "revoke", "api_key", key_id, None, None)

    def verify_key(self, key: str) -> KeyRow | None:
        """The active key row for a presented key, or None (malformed, unknown, revoked
        or wrong). A key verified once is remembered by its digest, so the slow hash is
        paid once per key and process; revocation is read from the store every time."""
        match = re.fullmatch(r"rr_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})", key or "")
        if match is None:
            return None
        key_id, secret = match.groups()
        with self.store.reading() as reader:
            row = reader.key(key_id)
        if row is None or row.revoked is not None:
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()
        if self._verified.get(key_id) == digest:
            return row
        if not _check_secret(secret, row.hash):
            return None
        self._verified[key_id] = digest
        return row

    # -- listings ------------------------------------------------------------------------

    def parties(self) -> list[Party]:
        with self.store.reading() as reader:
            return reader.parties()

    def catalog(self) -> Catalog:
        """The catalog as the index knows it (current with the store)."""
        return self._current().catalog

    def titles(self) -> list[Title]:
        with self.store.reading() as reader:
            return reader.titles()

    def contracts(
        self, party: str | None = None, status: str | None = None, title: str | None = None
    ) -> list[Contract]:
        """Contracts in stored order, filtered (see :meth:`contract_page`)."""
        return self.contract_page(party, status, title)[1]

    def contract_page(
        self,
        party: str | None = None,
        status: str | None = None,
        title: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[int, list[Contract]]:
        """(how many match, one page) of the contracts where ``party`` is licensor or
        licensee, with ``status``, covering ``title`` (through its series, season or
        collections too)."""
        with self.store.reading() as reader:
            touching = None
            if title:
                catalog = self._fresh(reader).catalog
                touching = set(catalog.referents(title)) | set(catalog.expand([title]))
            return reader.contract_page(party, status, touching, limit, offset)

    def contract(self, contract_id: str) -> Contract:
        with self.store.reading() as reader:
            found = reader.contract(contract_id)
        if found is None:
            raise InvalidInput([Problem(f"unknown contract '{contract_id}'", field="contract")])
        return found

    def contract_sheet(self, contract_id: str) -> dict[str, Any]:
        """One contract as its deal-sheet mapping (groups named where they match)."""
        return self.render_contracts([self.contract(contract_id)])[0]

    def render_contracts(self, contracts: Iterable[Contract]) -> list[dict[str, Any]]:
        """Contracts as JSON-ready deal-sheet mappings (dates as ISO text)."""
        media, geography = self.vocabularies()
        return [_json_safe(sheets.render_contract(c, media, geography)) for c in contracts]

    def history(
        self, entity: str | None = None, entity_id: str | None = None, limit: int | None = 50
    ) -> list[Change]:
        with self.store.reading() as reader:
            return reader.changes(entity, entity_id, limit=limit)

    def counts(self) -> dict[str, int]:
        with self.store.reading() as reader:
            return reader.counts()

    def export_sheet(self) -> str:
        """The whole book as one YAML deal sheet that loads back to the same data."""
        with self.store.reading() as reader:
            territory_groups, media_groups = reader.groups()
            media, geography = MediaTaxonomy(media_groups), Geography(territory_groups)
            return sheets.render_sheet(
                reader.parties(),
                reader.titles(),
                reader.contracts(),
                media,
                geography,
                territory_groups,
                media_groups,
            )


def _new_entities(
    kind: str,
    field: str,
    declared: list[tuple[sheets.DealSheet, list[Any]]],
    stored: Callable[[str], Any],
    problems: list[Problem],
) -> dict[str, tuple[Any, sheets.DealSheet]]:
    """The parties or titles a load adds: a repeat of a stored one that is identical is
    accepted and skipped; one with other data, or declared twice in the load, is a
    located problem."""
    new: dict[str, tuple[Any, sheets.DealSheet]] = {}
    for sheet, items in declared:
        for item in items:
            key = f"{kind}:{item.id}"
            earlier = new.get(item.id)
            known = stored(item.id)
            if earlier:
                other = earlier[1]
                message = (
                    f"duplicate {kind} id '{item.id}' (also in {other.file} line "
                    f"{other.line_of(key)})"
                )
            elif known is not None and known != item:
                message = f"{kind} '{item.id}' already exists with other data"
            else:
                if known is None:
                    new[item.id] = (item, sheet)
                continue
            problems.append(Problem(message, sheet.file, sheet.line_of(key), field))
    return new


def _hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def _check_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(
        secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(computed.hex(), digest)


from reelrights.service import feeds  # noqa: E402  (feeds uses the Service defined above)
from reelrights.service.feeds import ExportedFeed, ImportResult  # noqa: E402
