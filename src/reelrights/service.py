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
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reelrights.domain.contracts import Contract, Party
from reelrights.domain.languages import LanguageSet
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.problems import CodeError, InvalidInput, Problem
from reelrights.domain.terms import parse_date
from reelrights.domain.territories import Geography
from reelrights.domain.titles import Catalog, Title
from reelrights.engine import (
    AvailsReport,
    AvailsRequest,
    ContractCheck,
    RightsBook,
    validate_contract,
)
from reelrights.formats import sheet as sheets
from reelrights.store.repository import Change, Reader, Store, Writer

Progress = Callable[[str, int, int], None]
BULK_LOCKS = 2000


class RightsConflict(Exception):
    """A write that would sell what is not available; carries one check per contract."""

    def __init__(self, checks: list[ContractCheck]) -> None:
        self.checks = checks
        super().__init__(", ".join(c.contract for c in checks))


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

    def close(self) -> None:
        self.store.close()

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
        contracts = reader.contracts()
        total = len(contracts)
        for done, contract in enumerate(contracts, start=1):
            book.add(contract)
            if progress and (done % 10_000 == 0 or done == total):
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
        with self._lock, self.store.writing(() if bulk else sorted(locks), whole_book=bulk) as w:
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

    _dirty = False

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
        new_parties: dict[str, tuple[Party, sheets.DealSheet]] = {}
        new_titles: dict[str, tuple[Title, sheets.DealSheet]] = {}
        for sheet in parsed:
            for party in sheet.parties:
                key = f"party:{party.id}"
                earlier = new_parties.get(party.id)
                stored_party = state.parties.get(party.id)
                if earlier:
                    other = earlier[1]
                    locate(
                        sheet,
                        key,
                        f"duplicate party id '{party.id}' (also in "
                        f"{other.file} line {other.line_of(key)})",
                        "parties",
                    )
                elif stored_party is not None and stored_party != party:
                    locate(
                        sheet, key, f"party '{party.id}' already exists with other data", "parties"
                    )
                elif stored_party is None:
                    new_parties[party.id] = (party, sheet)
            for title in sheet.titles:
                key = f"title:{title.id}"
                earlier_title = new_titles.get(title.id)
                stored = catalog.get(title.id)
                if earlier_title:
                    other = earlier_title[1]
                    locate(
                        sheet,
                        key,
                        f"duplicate title id '{title.id}' (also in "
                        f"{other.file} line {other.line_of(key)})",
                        "titles",
                    )
                elif stored is not None and stored != title:
                    locate(
                        sheet, key, f"title '{title.id}' already exists with other data", "titles"
                    )
                elif stored is None:
                    new_titles[title.id] = (title, sheet)
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
                for role, party_id in (
                    ("licensor", contract.licensor),
                    ("licensee", contract.licensee),
                ):
                    if party_id is not None and party_id not in party_ids:
                        locate(
                            sheet,
                            key,
                            f"unknown party '{party_id}'",
                            f"contract {contract.id} {role}",
                        )
                for problem in validate_contract(contract, catalog):
                    inner = re.search(r"(grants|holdbacks)\[(\d+)\]", problem.field or "")
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
        log: list[tuple[str, str, str, str, Any, Any]] = [
            (self.actor, "create", f"{kind}_group", name, None, members)
            for kind, name, members in new_groups
        ]
        log += [
            (self.actor, "create", "party", p.id, None, sheets.render_party(p))
            for p, _ in new_parties.values()
        ]
        log += [
            (self.actor, "create", "title", t.id, None, _json_safe(sheets.render_title(t)))
            for t, _ in new_titles.values()
        ]
        log += [
            (
                self.actor,
                "create",
                "contract",
                c.id,
                None,
                _json_safe(sheets.render_contract(c, media, geography)),
            )
            for c in contracts
        ]
        writer.log_many(log)

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
        with self._lock, self.store.writing(sorted(_lock_keys([current]))) as writer:
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
                self.actor,
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
        with self.store.reading() as reader:
            state = self._fresh(reader)
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
        if as_of is not None:
            return self.book_as_of(as_of).avails(request)
        with self._lock:
            state = self._state
            if state is not None and self.store.peek_version() == state.version:
                return state.book.avails(request)
        with self.store.reading() as reader:
            state = self._fresh(reader)
        with self._lock:
            return state.book.avails(request)

    def book(self) -> RightsBook:
        """The whole stored book in memory, contracts included."""
        with self.store.reading() as reader:
            return RightsBook(reader.catalog(), reader.contracts())

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
            if after is None:
                continue
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

    # -- listings ------------------------------------------------------------------------

    def parties(self) -> list[Party]:
        with self.store.reading() as reader:
            return reader.parties()

    def titles(self) -> list[Title]:
        with self.store.reading() as reader:
            return reader.titles()

    def contracts(
        self, party: str | None = None, status: str | None = None, title: str | None = None
    ) -> list[Contract]:
        with self.store.reading() as reader:
            if title:
                catalog = self._fresh(reader).catalog
                touching = set(catalog.referents(title)) | set(catalog.expand([title]))
                found = reader.contracts(touching=touching)
            else:
                found = reader.contracts()
        return [
            c
            for c in found
            if (party is None or party in (c.licensor, c.licensee))
            and (status is None or c.status == status)
        ]

    def contract(self, contract_id: str) -> Contract:
        with self.store.reading() as reader:
            found = reader.contract(contract_id)
        if found is None:
            raise InvalidInput([Problem(f"unknown contract '{contract_id}'", field="contract")])
        return found

    def contract_sheet(self, contract_id: str) -> dict[str, Any]:
        """One contract as its deal-sheet mapping (groups named where they match)."""
        contract = self.contract(contract_id)
        media, geography = self.vocabularies()
        return sheets.render_contract(contract, media, geography)

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
