"""The one facade every outer layer calls: load, execute, terminate, ask, export.

It turns user text (codes, dates, file contents) into domain values, asks the store for the
contracts a question or a write concerns, and lets the engine decide. Problems in the input
raise :class:`InvalidInput` (nothing is stored); a write that would break avails raises
:class:`RightsConflict` with the engine's reports (nothing is stored either).
"""

from __future__ import annotations

import getpass
import os
import re
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


class Service:
    """reelrights on one database."""

    def __init__(self, url: str | None = None, actor: str | None = None) -> None:
        self.store = Store(url)
        self.actor = actor or _actor()

    def close(self) -> None:
        self.store.close()

    # -- vocabularies --------------------------------------------------------------------

    @staticmethod
    def _codes(reader: Reader) -> tuple[MediaTaxonomy, Geography]:
        territory_groups, media_groups = reader.groups()
        return MediaTaxonomy(media_groups), Geography(territory_groups)

    def vocabularies(self) -> tuple[MediaTaxonomy, Geography]:
        """The media taxonomy and geography with this book's custom groups."""
        with self.store.reading() as reader:
            return self._codes(reader)

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
        with self.store.reading() as reader:
            stored_territory, stored_media = reader.groups()
        media, geography = MediaTaxonomy(stored_media), Geography(stored_territory)
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
        with self.store.reading() as reader:
            stored_territory, stored_media = reader.groups()
        media, geography = MediaTaxonomy(stored_media), Geography(stored_territory)
        for sheet in parsed:
            for name, members in sheet.territory_groups.items():
                geography.add_group(name, members)
            for name, members in sheet.media_groups.items():
                media.add_group(name, members)
        all_contracts = [c for s in parsed for c in s.contracts]
        locks: set[tuple[str, ...]] = {
            ("grant", c.licensor or "", title)
            for c in all_contracts
            for item in c.rights
            for title in item.titles
        }
        locks |= {
            ("own", title)
            for c in all_contracts
            if c.is_ownership
            for g in c.grants
            for title in g.titles
        }
        bulk = len(locks) > BULK_LOCKS
        with self.store.writing(() if bulk else sorted(locks), whole_book=bulk) as writer:
            return self._load_parsed(
                writer, list(parsed), stored_territory, stored_media, media, geography, progress
            )

    def _load_parsed(
        self,
        writer: Writer,
        parsed: list[sheets.DealSheet],
        stored_territory: dict[str, list[str]],
        stored_media: dict[str, list[str]],
        media: MediaTaxonomy,
        geography: Geography,
        progress: Progress | None,
    ) -> LoadResult:
        problems: list[Problem] = []
        result = LoadResult()

        def locate(sheet: sheets.DealSheet, key: str, message: str, where: str) -> None:
            problems.append(Problem(message, sheet.file, sheet.line_of(key), where))

        # Parties and titles: new ones are stored; an identical repeat is accepted.
        known_parties = {p.id: p for p in writer.parties()}
        catalog = writer.catalog()
        stored_titles = set(catalog.titles)
        new_parties: dict[str, tuple[Party, sheets.DealSheet]] = {}
        new_titles: dict[str, tuple[Title, sheets.DealSheet]] = {}
        for sheet in parsed:
            for party in sheet.parties:
                earlier = new_parties.get(party.id)
                if earlier:
                    locate(
                        sheet,
                        f"party:{party.id}",
                        f"duplicate party id '{party.id}' "
                        f"(also in {earlier[1].file} line "
                        f"{earlier[1].line_of('party:' + party.id)})",
                        "parties",
                    )
                elif party.id in known_parties and known_parties[party.id] != party:
                    locate(
                        sheet,
                        f"party:{party.id}",
                        f"party '{party.id}' already exists with other data",
                        "parties",
                    )
                elif party.id not in known_parties:
                    new_parties[party.id] = (party, sheet)
            for title in sheet.titles:
                earlier_title = new_titles.get(title.id)
                if earlier_title:
                    locate(
                        sheet,
                        f"title:{title.id}",
                        f"duplicate title id '{title.id}' "
                        f"(also in {earlier_title[1].file} line "
                        f"{earlier_title[1].line_of('title:' + title.id)})",
                        "titles",
                    )
                elif title.id in stored_titles and catalog.titles[title.id] != title:
                    locate(
                        sheet,
                        f"title:{title.id}",
                        f"title '{title.id}' already exists with other data",
                        "titles",
                    )
                elif title.id not in stored_titles:
                    new_titles[title.id] = (title, sheet)
        for title, _ in new_titles.values():
            catalog.add(title)
        for title, sheet in new_titles.values():
            where = f"title {title.id}"
            for member in title.members:
                if member not in catalog:
                    locate(sheet, f"title:{title.id}", f"unknown member title '{member}'", where)
            if title.parent:
                parent = catalog.get(title.parent)
                if parent is None:
                    locate(
                        sheet, f"title:{title.id}", f"unknown parent title '{title.parent}'", where
                    )
                elif parent.kind not in ("series", "season"):
                    locate(
                        sheet,
                        f"title:{title.id}",
                        f"parent '{title.parent}' is a {parent.kind}, not a series or season",
                        where,
                    )
        party_ids = set(known_parties) | set(new_parties)
        stored_contracts = set(writer.contract_ids())
        seen_contracts: dict[str, sheets.DealSheet] = {}
        ordered: list[tuple[Contract, sheets.DealSheet]] = []
        for sheet in parsed:
            for contract in sheet.contracts:
                key = f"contract:{contract.id}"
                if contract.id in stored_contracts:
                    locate(sheet, key, f"contract '{contract.id}' already exists", "contracts")
                elif contract.id in seen_contracts:
                    other = seen_contracts[contract.id]
                    locate(
                        sheet,
                        key,
                        f"duplicate contract id '{contract.id}' (also in "
                        f"{other.file} line {other.line_of(key)})",
                        "contracts",
                    )
                seen_contracts[contract.id] = sheet
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
            raise InvalidInput(problems)

        # Rule 11: ownership records first, then contracts in sheet order.
        ordered.sort(key=lambda pair: not pair[0].is_ownership)
        touched = {t for c, _ in ordered for item in c.rights for t in item.titles}
        referents = set(touched)
        for title_id in catalog.expand(touched):
            referents |= catalog.referents(title_id)
        book = RightsBook(catalog, writer.contracts(touching=referents))
        conflicts: list[ContractCheck] = []
        accepted: list[Contract] = []
        total = len(ordered)
        for done, (contract, _sheet) in enumerate(ordered, start=1):
            if contract.in_force():
                check = book.check(contract)
                if not check.ok:
                    conflicts.append(check)
                    continue
            book.add(contract)
            accepted.append(contract)
            if progress and (done % 250 == 0 or done == total):
                progress("checking contracts", done, total)
        if conflicts:
            raise RightsConflict(conflicts)

        for sheet in parsed:
            for name, members in sheet.territory_groups.items():
                if name.lower() not in {k.lower() for k in stored_territory}:
                    writer.add_group("territory", name, members)
                    stored_territory[name] = members
                    result.groups += 1
            for name, members in sheet.media_groups.items():
                if name.upper() not in {k.upper() for k in stored_media}:
                    writer.add_group("media", name, members)
                    stored_media[name] = members
                    result.groups += 1
        writer.add_parties([p for p, _ in new_parties.values()])
        writer.add_titles([t for t, _ in new_titles.values()])
        stored_order = [c for s in parsed for c in s.contracts]
        writer.add_contracts(stored_order)
        log: list[tuple[str, str, str, str, Any, Any]] = [
            (self.actor, "create", "party", p.id, None, sheets.render_party(p))
            for p, _ in new_parties.values()
        ]
        log += [
            (self.actor, "create", "title", x.id, None, _json_safe(sheets.render_title(x)))
            for x, _ in new_titles.values()
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
            for c in stored_order
        ]
        for sheet in parsed:
            log += [
                (self.actor, "create", "territory_group", n, None, m)
                for n, m in sheet.territory_groups.items()
            ]
            log += [
                (self.actor, "create", "media_group", n, None, m)
                for n, m in sheet.media_groups.items()
            ]
        writer.log_many(log)
        result.parties, result.titles = len(new_parties), len(new_titles)
        result.contracts = len(stored_order)
        return result

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
        locks: set[tuple[str, ...]] = {
            ("grant", current.licensor or "", title)
            for item in current.rights
            for title in item.titles
        }
        locks |= {
            ("own", title) for g in current.grants for title in g.titles if current.is_ownership
        }
        with self.store.writing(sorted(locks)) as writer:
            stored = writer.contract(contract_id)
            if stored != current:
                raise InvalidInput(
                    [
                        Problem(
                            f"contract '{contract_id}' changed meanwhile; try again",
                            field="contract",
                        )
                    ]
                )
            media, geography = self._codes(writer)
            if status == "executed":
                catalog = writer.catalog()
                book = RightsBook(
                    catalog, writer.contracts(touching=self._referents(catalog, updated))
                )
                check = book.check(updated)
                if not check.ok:
                    raise RightsConflict([check])
            writer.replace_contract(updated)
            writer.log(
                self.actor,
                "execute" if status == "executed" else "terminate",
                "contract",
                contract_id,
                _json_safe(sheets.render_contract(current, media, geography)),
                _json_safe(sheets.render_contract(updated, media, geography)),
            )
        return updated

    @staticmethod
    def _referents(catalog: Catalog, contract: Contract) -> set[str]:
        named = {t for item in contract.rights for t in item.titles}
        out = set(named)
        for title_id in catalog.expand(named):
            out |= catalog.referents(title_id)
        return out

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
        reader: Reader | None = None,
    ) -> AvailsRequest:
        """An avails request from user codes; every bad code is reported at once."""
        if reader is None:
            with self.store.reading() as fresh:
                return self.request(
                    licensor, titles, media, territories, start, end, languages, exclusive, fresh
                )
        taxonomy, geography = self._codes(reader)
        problems: list[Problem] = []

        def attempt(field_name: str, make: Callable[[], Any]) -> Any:
            try:
                return make()
            except CodeError as error:
                problems.append(Problem(str(error), field=field_name))
                return None

        media_mask = attempt("media", lambda: taxonomy.parse(list(media)))
        territory_mask = attempt("territory", lambda: geography.parse(list(territories)))
        language_set = attempt("language", lambda: LanguageSet.parse(languages))
        first = attempt("start", lambda: parse_date(start))
        last = attempt("end", lambda: parse_date(end)) if end is not None else None
        if first and last and last < first:
            problems.append(Problem(f"end {last} is before start {first}", field="end"))
        title_ids = [t for t in titles if t]
        if not title_ids:
            problems.append(Problem("no titles given", field="title"))
        catalog_ids = reader.catalog().titles
        for title_id in title_ids:
            if title_id not in catalog_ids:
                problems.append(Problem(f"unknown title '{title_id}'", field="title"))
        if not reader.party_ids([licensor]):
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
        with self.store.reading() as reader:
            catalog = reader.catalog()
            referents: set[str] = set()
            for title_id in catalog.expand(request.titles):
                referents |= catalog.referents(title_id)
            contracts = reader.contracts(touching=referents, parties=[request.licensor])
        return RightsBook(catalog, contracts).avails(request)

    def book(self) -> RightsBook:
        """The whole stored book in memory."""
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
        for (entity, entity_id), after in latest.items():
            if after is None:
                continue
            if entity in ("territory_group", "media_group"):
                document[entity + "s"][entity_id] = after
            else:
                document[entity + "s" if entity != "party" else "parties"].append(after)
        sheet = sheets.parse_document(
            document, f"change log at {moment.isoformat()}", MediaTaxonomy(), Geography()
        )
        if sheet.problems:  # pragma: no cover - the log only holds what was valid
            raise InvalidInput(sheet.problems)
        return RightsBook(Catalog(sheet.titles), sheet.contracts)

    def check(self) -> list[tuple[str, int, AvailsReport]]:
        """Executed grants whose licensor no longer holds what they gave."""
        return self.book().broken_chains()

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
                catalog = reader.catalog()
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
