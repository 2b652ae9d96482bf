"""Loading deal sheets: validate everything, then store all of it or nothing."""

from __future__ import annotations

import os
import pickle
import re
import secrets
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reelrights.domain.contracts import Contract, Party
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.problems import CodeError, InvalidInput, Problem
from reelrights.domain.territories import Geography
from reelrights.domain.titles import Catalog, Title
from reelrights.engine import ContractCheck, RightsBook, validate_contract
from reelrights.formats import sheet as sheets
from reelrights.service import index_file
from reelrights.service.base import (
    BULK_LOCKS,
    IndexState,
    Progress,
    RightsConflict,
    ServiceBase,
    json_safe,
    lock_keys,
    no_cyclic_gc,
)
from reelrights.service.events import contract_event_text
from reelrights.service.names import NameIndex, resolve_sheet_names
from reelrights.service.permissions import Permissions
from reelrights.store.bulk import JSONText, json_text
from reelrights.store.repository import Writer


@dataclass
class LoadResult:
    """What a load stored."""

    parties: int = 0
    titles: int = 0
    contracts: int = 0
    groups: int = 0
    warnings: list[str] = field(default_factory=list)


class LoadingJobs(ServiceBase):
    """Loading deal sheets (docs/semantics.md rule 11)."""

    def load(self, paths: Sequence[str | Path], progress: Progress | None = None) -> LoadResult:
        """Validate deal sheets and store them, all or nothing (docs/semantics.md rule 11)."""
        texts = []
        for path in paths:
            try:
                # never more than the longest sheet could take, however big the file
                with open(path, "rb") as handle:
                    data = handle.read(4 * sheets.MAX_SHEET_CHARS + 1)
                if len(data) > 4 * sheets.MAX_SHEET_CHARS:
                    raise InvalidInput(
                        [
                            Problem(
                                f"the file is over {4 * sheets.MAX_SHEET_CHARS:,} bytes; a deal "
                                f"sheet may have at most {sheets.MAX_SHEET_CHARS:,} characters",
                                str(path),
                            )
                        ]
                    )
                texts.append((str(path), data.decode("utf-8")))
            except (OSError, UnicodeDecodeError) as error:
                raise InvalidInput([Problem(f"cannot read: {error}", str(path))]) from None
        return self.load_texts(texts, progress)

    def load_texts(
        self, texts: Sequence[tuple[str, str]], progress: Progress | None = None
    ) -> LoadResult:
        """:meth:`load` for (file name, text) pairs (an unbound editor's, when acting for a
        key)."""
        Permissions.of(self._who()).require_load("load deal sheets")
        media, geography = self.vocabularies()
        parsed = [sheets.parse_sheet(text, name, media, geography) for name, text in texts]
        problems = [p for s in parsed for p in s.problems]
        if problems:
            raise InvalidInput(problems)
        return self.load_sheets(parsed, progress, found=self._resolve_names(parsed))

    def _resolve_names(self, parsed: list[sheets.DealSheet]) -> list[Problem]:
        """Parties and titles named in the sheets' contracts become ids (docs/semantics.md
        rule 13): among those stored and those the sheets declare, before any lock is
        taken, since locks are keyed by ids."""
        if not any(s.contracts for s in parsed):
            return []
        state = self._current()
        parties = {p.id: p.name for p in state.parties.values()}
        titles = {t.id: t.name for t in state.catalog.titles.values()}
        for sheet in parsed:
            parties.update((p.id, p.name) for p in sheet.parties)
            titles.update((t.id, t.name) for t in sheet.titles)
        party_names, title_names = NameIndex("party", parties), NameIndex("title", titles)
        return [p for s in parsed for p in resolve_sheet_names(s, party_names, title_names)]

    def load_sheets(
        self,
        parsed: Sequence[sheets.DealSheet],
        progress: Progress | None = None,
        announce: bool = True,
        found: Sequence[Problem] = (),
    ) -> LoadResult:
        """Store deal sheets already read (or built in code), all or nothing, with a
        ``contract.created`` event per contract and, when ``announce``, one
        ``sheets.loaded`` event (docs/semantics.md rule 22). ``found``: problems already
        found in them, reported with every other one and storing nothing.

        Each writer locks the (licensor, title) pairs it touches; a load touching more
        than :data:`BULK_LOCKS` pairs locks the whole book instead.
        """
        locks = lock_keys((c for s in parsed for c in s.contracts), BULK_LOCKS)
        bulk = len(locks) > BULK_LOCKS
        with (
            no_cyclic_gc(bulk),
            self._writing(() if bulk else sorted(locks), whole_book=bulk) as w,
        ):
            state = self._fresh(w, progress)
            before = state.version
            self._dirty = False
            try:
                result = self._load_parsed(w, state, list(parsed), progress, found)
                if announce:
                    w.add_events(
                        [
                            (
                                "sheets.loaded",
                                "sheets",
                                {
                                    "files": [s.file for s in parsed],
                                    "parties": result.parties,
                                    "titles": result.titles,
                                    "contracts": result.contracts,
                                    "groups": result.groups,
                                },
                            )
                        ]
                    )
            except BaseException:
                if self._dirty:  # new titles or groups were added in memory: rebuild later
                    self._state = None
                raise
        self._wrote(w, before)
        return result

    def _load_parsed(
        self,
        writer: Writer,
        state: IndexState,
        parsed: list[sheets.DealSheet],
        progress: Progress | None,
        found: Sequence[Problem] = (),
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
            raise InvalidInput([*problems, *found])
        problems.extend(found)

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
        all_ids = [c.id for s in parsed for c in s.contracts]
        stored_ids = writer.existing_contract_ids(all_ids)
        # Rule 11: ownership records first, then contracts in sheet order.
        ordered = [(contract, sheet) for sheet in parsed for contract in sheet.contracts]
        ordered.sort(key=lambda pair: not pair[0].is_ownership)
        added: list[Contract] = []
        book = state.book
        problems += _contract_problems(parsed, stored_ids, party_ids, catalog)
        if problems:
            state.territory_groups, state.media_groups = groups_before
            raise InvalidInput(problems)

        # A big load is checked by a copy of this process (the book as it stood, every
        # check in order, as below) while this one stores the contracts: two cores. Nothing
        # commits until the copy says every contract passed; its failed checks are the
        # load's conflicts; if it could not say, every check runs here. A copy whose every
        # check passed built exactly the book this process would: it hands that back, and
        # this one shelves the contracts itself only if the book handed back is not whole.
        # It is forked once the contracts are validated: validating them here while it
        # runs took 6.4 s instead of 2.7 (both processes copying the pages they touch).
        verdict = (
            _checked_elsewhere(book, ordered, lambda: _texts_by_chunk(parsed, media, geography))
            if len(ordered) >= CHECK_APART_FROM
            else None
        )
        handed: RightsBook | None = None
        try:
            if verdict is None:
                conflicts = _check_in_order(book, ordered, added, progress)
                if conflicts:
                    raise RightsConflict(conflicts)
            self._store_load(
                writer,
                parsed,
                new_groups,
                new_parties,
                new_titles,
                media,
                geography,
                progress,
                verdict,
            )
            if verdict is not None:
                found_apart = verdict.conflicts()
                if found_apart is None:  # the copy could not say: check here
                    found_apart = _check_in_order(book, ordered, added, progress)
                elif not found_apart:
                    handed = verdict.handed_book(book, len(ordered))
                    if handed is None:  # every check passed, but no whole book came back
                        for contract, _ in ordered:
                            book.add(contract)
                            added.append(contract)
                verdict.abandon()
                verdict = None
                if found_apart:
                    raise RightsConflict(found_apart)
        except BaseException:
            if verdict is not None:
                verdict.abandon()
            for contract in added:
                book.remove(contract)
            state.territory_groups, state.media_groups = groups_before
            raise
        if handed is not None:
            state.book = handed
            self._dirty = True  # should the load still fail, the index is built again
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
        written: _Verdict | None = None,
    ) -> None:
        """Store what :meth:`_load_parsed` found new, a chunk of contracts at a time; their
        change-log documents and event texts come from ``written`` (the checking copy
        writes them first, then checks) where it has them, else are written here."""
        contracts = [c for s in parsed for c in s.contracts]
        with (
            writer.roomy_cache() if len(contracts) > BULK_LOCKS else nullcontext(),
            writer.indexes_built_after(
                ("contracts", "rights", "right_titles", "changes", "events"), len(contracts)
            ),
        ):
            for kind, name, members in new_groups:
                writer.add_group(kind, name, members)
            writer.add_parties([p for p, _ in new_parties.values()])
            writer.add_titles([t for t, _ in new_titles.values()])
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
                (actor, "create", "title", t.id, None, json_safe(sheets.render_title(t)))
                for t, _ in new_titles.values()
            ]
            now = datetime.now(UTC)  # one time for the whole load, as before the chunks
            logged = writer.at or now  # the change log's time (the demo's past)
            writer.log_many(log, logged)
            names = sheets.MaskNames(media, geography)
            # A chunk at a time: its rows, change-log documents and events are written while
            # the chunk's pages are warm, and never more than one chunk's documents in memory.
            done = 0
            for number, chunk in enumerate(_in_chunks(contracts)):
                writer.add_contracts(chunk)
                texts = written.texts(number, len(chunk)) if written is not None else None
                documents, events = texts or _chunk_texts(chunk, names, media, geography)
                writer.log_many(
                    [
                        (actor, "create", "contract", c.id, None, JSONText(text))
                        for c, text in zip(chunk, documents, strict=True)
                    ],
                    logged,
                )
                writer.add_events(
                    [
                        ("contract.created", c.id, JSONText(text))
                        for c, text in zip(chunk, events, strict=True)
                    ],
                    now,
                )
                done += len(chunk)
                if progress:
                    progress("storing contracts", done, len(contracts))


STORE_CHUNK = 20_000  # contracts stored (rows, change-log documents, events) at a time


def _in_chunks(contracts: list[Contract]) -> Iterator[list[Contract]]:
    """``contracts`` :data:`STORE_CHUNK` at a time: the chunks a load stores, and those
    the checking copy writes the texts of."""
    for start in range(0, len(contracts), STORE_CHUNK):
        yield contracts[start : start + STORE_CHUNK]


_Texts = tuple[list[str], list[str]]  # a chunk's change-log documents, its events' data


def _chunk_texts(
    chunk: Sequence[Contract],
    names: sheets.MaskNames,
    media: MediaTaxonomy,
    geography: Geography,
) -> _Texts:
    """Each contract's change-log document (``render_contract`` as JSON text) and the data
    of its ``contract.created`` event, as JSON text."""
    documents = [
        text
        if (text := sheets.contract_json(c, names)) is not None
        else json_text(sheets.render_contract(c, media, geography, names))
        for c in chunk
    ]
    return documents, [contract_event_text("created", c)[2] for c in chunk]


def _texts_by_chunk(
    parsed: Sequence[sheets.DealSheet], media: MediaTaxonomy, geography: Geography
) -> Iterator[_Texts]:
    """:func:`_chunk_texts` of the contracts of ``parsed``, chunk by chunk as
    :meth:`LoadingJobs._store_load` stores them."""
    names = sheets.MaskNames(media, geography)
    for chunk in _in_chunks([c for s in parsed for c in s.contracts]):
        yield _chunk_texts(chunk, names, media, geography)


def _contract_problems(
    parsed: Sequence[sheets.DealSheet],
    stored_ids: set[str],
    party_ids: set[str],
    catalog: Catalog,
) -> list[Problem]:
    """The located problems of the contracts of a load: ids stored already or repeated,
    unknown parties, and what :func:`validate_contract` finds."""
    problems: list[Problem] = []
    seen: dict[str, sheets.DealSheet] = {}

    def locate(sheet: sheets.DealSheet, key: str, message: str, where: str) -> None:
        problems.append(Problem(message, sheet.file, sheet.line_of(key), where))

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
                if party_id not in party_ids and not sheet.names_checked:
                    option = re.match(r"options\[(\d+)\]", role)
                    problems.append(
                        Problem(
                            f"unknown party '{party_id}'",
                            sheet.file,
                            sheet.line_within(key, "options", int(option.group(1)), "holder")
                            if option
                            else sheet.line_of(key),
                            f"contract {contract.id} {role}",
                        )
                    )
            for problem in validate_contract(contract, catalog):
                if sheet.names_checked and problem.message.startswith("unknown title '"):
                    continue  # reported where the sheet names it, with the closest
                inner = re.search(r"(grants|holdbacks|options)\[(\d+)\]", problem.field or "")
                line = (
                    sheet.line_within(key, inner.group(1), int(inner.group(2)))
                    if inner
                    else sheet.line_of(key)
                )
                problems.append(Problem(problem.message, sheet.file, line, problem.field))
    return problems


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


CHECK_APART_FROM = 50_000  # contracts from which a load is checked by a forked copy


def _check_in_order(
    book: RightsBook,
    ordered: list[tuple[Contract, sheets.DealSheet]],
    added: list[Contract],
    progress: Progress | None,
) -> list[ContractCheck]:
    """Check each contract against the book as it grows (docs/semantics.md rule 11), in
    order, shelving (and appending to ``added``) each one that passes; the failed checks."""
    conflicts: list[ContractCheck] = []
    total = len(ordered)
    for done, (contract, sheet) in enumerate(ordered, start=1):
        if contract.in_force():
            # validated by the load against this very catalog: not twice (a sheet whose
            # names were resolved skipped some of those problems: checked again); nearly
            # every contract passes: the verdict first, the report (why not) only for one
            # that fails
            validated = not sheet.names_checked
            if not book.admits(contract, validated=validated):
                check = book.check(contract, is_new=True, validated=validated)
                if not check.ok:
                    conflicts.append(check)
                    continue
        book.add(contract)
        added.append(contract)
        if progress and (done % 1000 == 0 or done == total):
            progress("checking contracts", done, total)
    return conflicts


class _Verdict:
    """Whether every contract of a load passed its check, asked of a forked copy of this
    process (:func:`_checked_elsewhere`), and the book it built."""

    def __init__(self, pid: int, answer: int, ready: int, folder: Path, nonce: str) -> None:
        self.pid: int | None = pid
        self.answer = answer
        self.ready: int | None = ready  # a byte per chunk of texts written (see texts)
        self.folder: Path | None = folder
        self.nonce = nonce
        self.handed = False

    def texts(self, number: int, size: int) -> _Texts | None:
        """The change-log documents and event texts of the ``number``-th chunk of
        ``size`` contracts (:data:`STORE_CHUNK`), once the copy has written them (waiting
        for it); None if it could not (it failed, or died): the caller writes them. Asked
        in order, each chunk once."""
        if self.ready is None or self.folder is None:
            return None
        path = texts_file(self.folder, number)
        try:
            if os.read(self.ready, 1) != b"+":  # the end: no more chunks from the copy
                raise EOFError
            data = path.read_bytes()
            path.unlink()
            texts = texts_read(data, size, self.nonce)
            if texts is not None:
                return texts
        except (OSError, EOFError, UnicodeDecodeError):
            pass
        self._stop_texts()
        return None

    def _stop_texts(self) -> None:
        if self.ready is not None:
            os.close(self.ready)
            self.ready = None

    def conflicts(self) -> list[ContractCheck] | None:
        """Wait for the copy: the failed checks (none: every contract passed), or None if
        it could not say (it failed, or died)."""
        if self.pid is None:
            return None
        with os.fdopen(self.answer, "rb") as answer:
            said = answer.read()
        os.waitpid(self.pid, 0)
        self.pid = None
        if not said.startswith(b"1"):
            return None
        found: list[ContractCheck]
        found, self.handed = pickle.loads(said[1:])
        return found

    def handed_book(self, book: RightsBook, added: int) -> RightsBook | None:
        """The book the copy built, once it said every check passed: ``book`` (this
        process's, as it stood at the fork) with the ``added`` contracts shelved, over
        the same catalog; None if it handed back none, or one that does not check out
        (see :mod:`.index_file`: every array checksummed) or is not this load's."""
        if not self.handed or self.folder is None:
            return None
        try:
            meta, arrays = index_file.read(self.folder / _HANDED)
            if meta.get("nonce") != self.nonce:
                return None
            handed = RightsBook.restore(book.catalog, meta["book"], arrays)
        except Exception:  # whatever is wrong with it: shelve here instead
            return None
        return handed if handed.shelvings() == book.shelvings() + added else None

    def abandon(self) -> None:
        """Stop the copy, if still there (the load failed meanwhile), and remove what it
        handed back (a book taken from it stays mapped: the file's pages outlive its
        name)."""
        self._stop_texts()
        if self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            os.close(self.answer)
            self.pid = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


_HANDED = "book.index"  # the file in which the copy hands back the book it built


def _checked_elsewhere(
    book: RightsBook,
    ordered: list[tuple[Contract, sheets.DealSheet]],
    texts: Callable[[], Iterable[_Texts]],
) -> _Verdict | None:
    """Fork a copy of this process that first writes the ``texts`` of the load, chunk by
    chunk, into files of a private temporary folder of this process (its byte on a pipe
    says each one is there: see :meth:`_Verdict.texts`), so that this process, which
    stores the load meanwhile, does not write them itself. Then it runs
    :func:`_check_in_order` on its own copy of ``book`` and sends back ``1`` and the
    pickled failed checks, or ``0`` if it failed.
    When every check passed it first hands back the book it built, a snapshot
    (:meth:`RightsBook.snapshot`) written as an index file (:mod:`.index_file`) into a
    private temporary folder of this process. It writes nothing else (no database, no
    other file) and leaves without running any of this process's exit handlers. None
    where processes cannot fork (the caller checks in-process)."""
    if not hasattr(os, "fork"):
        return None
    folder = Path(tempfile.mkdtemp(prefix="reelrights-check-"))
    nonce = secrets.token_hex(16)
    read, write = os.pipe()
    ready, written = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: never returns into the caller
        said = b"0"  # any failure: could not say
        try:
            os.close(read)
            os.close(ready)
            _write_texts(texts(), folder, written, nonce)
            found = _check_in_order(book, ordered, [], None)
            said = b"1" + pickle.dumps((found, not found and _hand_back(book, folder, nonce)))
        finally:
            try:
                with os.fdopen(write, "wb") as out:
                    out.write(said)
            finally:
                os._exit(0)
    os.close(write)
    os.close(written)
    return _Verdict(pid, read, ready, folder, nonce)


def texts_file(folder: Path, number: int) -> Path:
    """Where the checking copy writes the texts of the ``number``-th chunk of a load."""
    return folder / f"texts-{number}"


def texts_written(documents: list[str], events: list[str], nonce: str) -> bytes:
    """A chunk's texts as the copy writes them into its file: a text a line (JSON text has
    no line break), the documents then the events, and a last line that closes them,
    ``#`` and the load's ``nonce``. Lines, not pickles: pickling a million texts took
    seconds."""
    return "\n".join([*documents, *events, "#" + nonce]).encode()


def texts_read(data: bytes, size: int, nonce: str) -> _Texts | None:
    """The texts of a chunk of ``size`` contracts from what :func:`texts_written` wrote;
    None if ``data`` is not whole (no closing line), another load's (another ``nonce``)
    or of another size. Raises UnicodeDecodeError if it is not UTF-8."""
    lines = data.decode().split("\n")
    if len(lines) != 2 * size + 1 or lines[-1] != "#" + nonce:
        return None
    return lines[:size], lines[size:-1]


def _write_texts(texts: Iterable[_Texts], folder: Path, ready: int, nonce: str) -> None:
    """In the copy: each chunk of ``texts`` written into its file in ``folder``
    (:func:`texts_written`), then a byte on ``ready``; ``ready`` closed at the end (or on
    a failure: the storing process writes the rest itself)."""
    try:
        for number, (documents, events) in enumerate(texts):
            texts_file(folder, number).write_bytes(texts_written(documents, events, nonce))
            os.write(ready, b"+")
    except Exception:  # the storing process writes what is missing
        pass
    finally:
        os.close(ready)


def _hand_back(book: RightsBook, folder: Path, nonce: str) -> bool:
    """In the copy: write the book it built into ``folder``; whether it could."""
    try:
        meta, arrays = book.snapshot()
        index_file.write(folder / _HANDED, {"nonce": nonce, "book": meta}, arrays, sync=False)
    except Exception:  # the verdict stands; the caller shelves it itself
        return False
    return True
