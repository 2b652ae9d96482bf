"""The rights book: contracts indexed by the titles they cover, answering avails.

A :class:`RightsBook` is an in-memory snapshot of a catalog and its contracts. Each grant
and holdback is indexed under every title it covers, so a question reads only the
records of the titles it asks about (DESIGN.md, "Scale").

The Disney / Tencent deal of DESIGN.md, in code:

>>> from datetime import date
>>> from reelrights.domain.contracts import Contract, Grant
>>> from reelrights.domain.media import MediaTaxonomy
>>> from reelrights.domain.territories import Geography, WORLD
>>> from reelrights.domain.terms import DateBound
>>> from reelrights.domain.titles import Catalog, Title
>>> media, geo = MediaTaxonomy(), Geography()
>>> book = RightsBook(Catalog([Title("sw4", "Star Wars: Episode IV - A New Hope")]))
>>> book.add(Contract("disney-owns", None, "disney", grants=(
...     Grant(("sw4",), media.parse("ALL_MEDIA"), WORLD, start=DateBound(date(1977, 5, 25))),)))
>>> book.add(Contract("disney-tencent", "disney", "tencent", grants=(
...     Grant(("sw4",), media.parse("ONLINE"), geo.parse("CN"), exclusive=True,
...           start=DateBound(date(2016, 1, 1)), end=DateBound(date(2020, 12, 31))),)))
>>> report = book.avails(AvailsRequest.of("disney", ["sw4"], media.parse("SVOD"),
...     geo.parse("CN, HK"), date(2016, 1, 1), date(2016, 12, 31)))
>>> report.status
'partial'
>>> [(u.reason, u.contract, geo.format(u.box.territories)) for u in report.unavailable]
[('exclusive-license', 'disney-tencent', ['CN'])]
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date

from reelrights.domain.boxes import Box
from reelrights.domain.contracts import Contract, Grant, Holdback
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.problems import Problem
from reelrights.domain.terms import DAWN, FOREVER, DateBound, to_end, to_start
from reelrights.domain.territories import COUNTRY_BIT
from reelrights.domain.titles import Catalog, Title
from reelrights.engine.avails import (
    ALREADY_OWNED,
    AvailsReport,
    AvailsRequest,
    Unavailable,
    Warning,
    build_report,
)

# A box for one title: (media mask, territory mask, languages, start, end), half-open days.
Box4 = tuple[int, int, LanguageSet, int, int]
# An entry in flat form: (contract, licensor, licensee, flags, media, territory, language,
# start, end), the strings and masks as indexes into the book's tables.
Flat = tuple[int, int, int, int, int, int, int, int, int]

HOLDBACK, EXCLUSIVE, SUBLICENSE, PENCIL = 1, 2, 4, 8
NOBODY = 0  # party index of "no licensor" (ownership records)


class _Columns:
    """The entries of one title, one compact array per field (about 30 bytes an entry)."""

    __slots__ = (
        "contract",
        "end",
        "flags",
        "language",
        "licensee",
        "licensor",
        "media",
        "start",
        "territory",
    )

    def __init__(self) -> None:
        self.contract = array("I")
        self.licensor = array("I")
        self.licensee = array("I")
        self.flags = array("B")
        self.media = array("I")
        self.territory = array("I")
        self.language = array("H")
        self.start = array("i")
        self.end = array("i")

    def __len__(self) -> int:
        return len(self.contract)

    def append(self, flat: Flat) -> None:
        self.contract.append(flat[0])
        self.licensor.append(flat[1])
        self.licensee.append(flat[2])
        self.flags.append(flat[3])
        self.media.append(flat[4])
        self.territory.append(flat[5])
        self.language.append(flat[6])
        self.start.append(flat[7])
        self.end.append(flat[8])

    def rows(self) -> Iterator[Flat]:
        return zip(
            self.contract,
            self.licensor,
            self.licensee,
            self.flags,
            self.media,
            self.territory,
            self.language,
            self.start,
            self.end,
            strict=True,
        )


def _split(box: Box4, cut: Box4) -> tuple[Box4 | None, list[Box4]]:
    """(the part of ``box`` inside ``cut`` or None, disjoint parts of ``box`` outside it)."""
    m1, x1, l1, s1, e1 = box
    m2, x2, l2, s2, e2 = cut
    if s1 >= e2 or s2 >= e1:
        return None, [box]
    m = m1 & m2
    if not m:
        return None, [box]
    x = x1 & x2
    if not x:
        return None, [box]
    if l2 is ALL_LANGUAGES:
        lang = l1
    else:
        lang = l1 & l2
        if not lang:
            return None, [box]
    s = s1 if s1 > s2 else s2
    e = e1 if e1 < e2 else e2
    out: list[Box4] = []
    if s1 < s:
        out.append((m1, x1, l1, s1, s))
    if e < e1:
        out.append((m1, x1, l1, e, e1))
    if m != m1:
        out.append((m1 & ~m2, x1, l1, s, e))
    if x != x1:
        out.append((m, x1 & ~x2, l1, s, e))
    if lang is not l1 and lang != l1:
        out.append((m, x, l1 - l2, s, e))
    return (m, x, lang, s, e), out


def _cut_all(boxes: list[Box4], cut: Box4) -> tuple[list[Box4], list[Box4]]:
    inside: list[Box4] = []
    outside: list[Box4] = []
    for box in boxes:
        part, rest = _split(box, cut)
        if part is None:
            outside.append(box)
        else:
            inside.append(part)
            outside.extend(rest)
    return inside, outside


@dataclass(frozen=True, slots=True)
class ContractCheck:
    """Whether a contract may be executed: one report per grant, plus input problems.

    For a grant, the report is its avails against the contract's licensor; for an
    ownership record, against the other ownership records (reason ``already-owned``).
    """

    contract: str
    reports: tuple[AvailsReport, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.status == "available" for r in self.reports)


_Outcome = tuple[list[Box4], list[tuple[Box4, str, str | None]], list[tuple[Box4, str]]]


class RightsBook:
    """A catalog and its contracts, indexed by covered title and by party.

    Each title keeps its entries in compact columns; parties, contract ids, territory
    masks and language sets are stored once and referred to by index. With
    ``keep_contracts=False`` the book keeps no contract objects (a large index leaves them
    in the store): :meth:`add_title` and :meth:`broken_chains` then take the contracts
    they need as arguments.
    """

    def __init__(
        self,
        catalog: Catalog,
        contracts: Iterable[Contract] = (),
        keep_contracts: bool = True,
    ) -> None:
        self.catalog = catalog
        self.keep_contracts = keep_contracts
        self.contracts: dict[str, Contract] = {}
        self._columns: dict[str, _Columns] = {}
        self._party_titles: dict[str, set[str]] = defaultdict(set)
        self._referencing: dict[str, set[str]] = defaultdict(set)
        self._contract_ids: list[str] = []
        self._parties: list[str | None] = [None]
        self._party_index: dict[str | None, int] = {None: NOBODY}
        self._territories: list[int] = []
        self._territory_index: dict[int, int] = {}
        self._languages: list[LanguageSet] = []
        self._language_index: dict[LanguageSet, int] = {}
        for contract in contracts:
            self.add(contract)

    # -- tables --------------------------------------------------------------------------

    def _intern_party(self, party: str | None) -> int:
        index = self._party_index.get(party)
        if index is None:
            index = self._party_index[party] = len(self._parties)
            self._parties.append(party)
        return index

    def _intern_territories(self, mask: int) -> int:
        index = self._territory_index.get(mask)
        if index is None:
            index = self._territory_index[mask] = len(self._territories)
            self._territories.append(mask)
        return index

    def _intern_languages(self, languages: LanguageSet) -> int:
        index = self._language_index.get(languages)
        if index is None:
            index = self._language_index[languages] = len(self._languages)
            self._languages.append(languages)
        return index

    def __len__(self) -> int:
        """How many title entries the index holds."""
        return sum(len(c) for c in self._columns.values())

    # -- maintenance ---------------------------------------------------------------------

    def add(self, contract: Contract) -> None:
        """Add a new contract. With kept contracts, one with the same id is replaced;
        without, use :meth:`replace` for a contract the book may already hold."""
        if self.keep_contracts and contract.id in self.contracts:
            self.remove(self.contracts[contract.id])
        if self.keep_contracts:
            self.contracts[contract.id] = contract
            for item in contract.rights:
                for ref in item.titles:
                    self._referencing[ref].add(contract.id)
        for title, flat in self._flats_of(contract):
            self._index(title, flat)

    def replace(self, contract: Contract) -> None:
        """Store a new state of a contract the book may hold (its rights must name the same
        titles as before, as a status change does)."""
        self.remove(contract)
        self.add(contract)

    def _indexes_of(self, contract_id: str, titles: Iterable[str]) -> set[int]:
        """The contract-table indexes under which ``contract_id`` has entries on these
        titles (several after a replacement)."""
        names = self._contract_ids
        found: set[int] = set()
        for title in titles:
            columns = self._columns.get(title)
            if columns is not None:
                found.update(i for i in set(columns.contract) if names[i] == contract_id)
        return found

    def remove(self, contract: Contract | str) -> None:
        """Forget a contract (no error if unknown)."""
        if isinstance(contract, str):
            known = self.contracts.get(contract)
            if known is None:
                return
            contract = known
        self.contracts.pop(contract.id, None)
        for item in contract.rights:
            for ref in item.titles:
                self._referencing[ref].discard(contract.id)
        titles = {t for item in contract.rights for t in self.catalog.expand(item.titles)}
        indexes = self._indexes_of(contract.id, titles)
        if not indexes:
            return
        for title in titles:
            columns = self._columns.get(title)
            if columns is None:
                continue
            kept = _Columns()
            parties: set[int] = set()
            for flat in columns.rows():
                if flat[0] not in indexes:
                    kept.append(flat)
                    parties.add(flat[1])
                    parties.add(flat[2])
            self._columns[title] = kept
            for party in (contract.licensor, contract.licensee):
                if party is not None and self._party_index.get(party) not in parties:
                    self._party_titles[party].discard(title)

    def add_title(self, title: Title, covering: Iterable[Contract] = ()) -> None:
        """Add a title to the catalog; contracts that already cover it (through its series
        or a collection) start covering it now. Without kept contracts, ``covering`` must
        hold the contracts that name the title's series, season or collections."""
        self.catalog.add(title)
        refs = self.catalog.referents(title.id)
        if self.keep_contracts:
            ids = sorted({cid for ref in refs for cid in self._referencing.get(ref, ())})
            covering = [self.contracts[cid] for cid in ids]
        for contract in covering:
            for covered, flat in self._flats_of(contract, only=title.id):
                self._index(covered, flat)

    def _index(self, title: str, flat: Flat) -> None:
        columns = self._columns.get(title)
        if columns is None:
            columns = self._columns[title] = _Columns()
        columns.append(flat)
        for party in (flat[1], flat[2]):
            name = self._parties[party]
            if name is not None:
                self._party_titles[name].add(title)

    def _flat(self, index: int, contract: Contract, item: Grant | Holdback, box: Box4) -> Flat:
        flags = 0
        if isinstance(item, Holdback):
            flags |= HOLDBACK
        else:
            flags |= (EXCLUSIVE if item.exclusive else 0) | (SUBLICENSE if item.sublicense else 0)
        if contract.status == "hold":
            flags |= PENCIL
        return (
            index,
            self._intern_party(contract.licensor),
            self._intern_party(contract.licensee),
            flags,
            box[0],
            self._intern_territories(box[1]),
            self._intern_languages(box[2]),
            box[3],
            box[4],
        )

    def _flats_of(self, contract: Contract, only: str | None = None) -> Iterator[tuple[str, Flat]]:
        if not (contract.in_force() or contract.status == "hold"):
            return
        until = contract.in_force_until()
        index = len(self._contract_ids)
        self._contract_ids.append(contract.id)
        for item in contract.rights:
            titles = self.catalog.expand(item.titles)
            if only is not None:
                titles = titles & {only}
            for title, box in self._resolve_item(item, titles, until):
                yield title, self._flat(index, contract, item, box)

    def _resolve_item(
        self, item: Grant | Holdback, titles: Collection[str], until: int
    ) -> Iterator[tuple[str, Box4]]:
        if _is_absolute(item.start) and _is_absolute(item.end):
            start, end = _resolve(item.start, item.end, None)
            end = min(end, until)
            if start < end:
                box: Box4 = (item.media, item.territories, item.languages, start, end)
                for title in titles:
                    yield title, box
            return
        for title in titles:
            release, releases = self.catalog.release_of(title)
            rest = item.territories
            by_term: dict[tuple[int, int], int] = defaultdict(int)
            for country, day in releases.items():
                bit = COUNTRY_BIT.get(country, 0)
                if rest & bit:
                    by_term[_resolve(item.start, item.end, day)] |= bit
                    rest &= ~bit
            if rest and release is not None:
                by_term[_resolve(item.start, item.end, release)] |= rest
            for (start, end), mask in by_term.items():
                end = min(end, until)
                if start < end:
                    yield title, (item.media, mask, item.languages, start, end)

    def boxes_of(
        self,
        item: Grant | Holdback,
        titles: Collection[str],
        until: int = FOREVER,
    ) -> list[Box]:
        """The boxes an item covers for the given titles, with relative terms resolved per
        title (and per territory where the title has per-territory releases), clipped to
        ``until``. A relative bound on a title with no known release covers nothing."""
        return [
            Box(frozenset((title,)), *box) for title, box in self._resolve_item(item, titles, until)
        ]

    # -- avails ------------------------------------------------------------------------

    def avails(self, request: AvailsRequest) -> AvailsReport:
        """Which parts of ``request`` its licensor can still grant, and why not the rest.

        Titles (collections, series) are expanded first; an unknown title id is simply
        not held. An empty term gives an empty, ``available`` report.
        """
        box: Box4 = (
            request.media,
            request.territories,
            request.languages,
            request.start,
            request.end,
        )
        if (
            not request.media
            or not request.territories
            or not request.languages
            or request.start >= request.end
        ):
            return AvailsReport((), ())
        titles = self.catalog.expand(request.titles)
        mine = titles & self._party_titles.get(request.licensor, set())
        answer = self._answer(request.licensor, {t: [box] for t in mine}, request.exclusive)
        others = titles - mine
        if not others:
            return answer
        # Titles the licensor never dealt in: not held, in one box.
        nothing = Unavailable(Box(others, *box), "not-held", None)
        return build_report(answer.available, (*answer.unavailable, nothing), answer.warnings)

    def _answer(
        self,
        licensor: str,
        requests: dict[str, list[Box4]],
        exclusive: bool,
        exclude: str | None = None,
        extra: dict[str, list[Flat]] | None = None,
    ) -> AvailsReport:
        involved = self._party_titles.get(licensor, set())
        who = self._party_index.get(licensor, -1)
        skip = self._indexes_of(exclude, requests) if exclude is not None else set()
        free: dict[Box4, list[str]] = defaultdict(list)
        blocked: dict[tuple[Box4, str, str | None], list[str]] = defaultdict(list)
        flagged: dict[tuple[Box4, str], list[str]] = defaultdict(list)
        names = self._contract_ids
        for title, boxes in requests.items():
            if not boxes:
                continue
            more = extra.get(title, ()) if extra else ()
            if title not in involved and not more:
                for box in boxes:
                    blocked[(box, "not-held", None)].append(title)
                continue
            columns = self._columns.get(title)
            available, unavailable, warnings = self._partition(
                columns, more, boxes, who, exclusive, skip
            )
            for box in available:
                free[box].append(title)
            for box, reason, contract in unavailable:
                blocked[(box, reason, None if contract < 0 else names[contract])].append(title)
            for box, contract in warnings:
                flagged[(box, names[contract])].append(title)
        return build_report(
            (Box(frozenset(titles), *box) for box, titles in free.items()),
            (
                Unavailable(Box(frozenset(titles), *box), reason, contract)
                for (box, reason, contract), titles in blocked.items()
            ),
            (
                Warning(Box(frozenset(titles), *box), "held-for-negotiation", contract)
                for (box, contract), titles in flagged.items()
            ),
        )

    def _partition(
        self,
        columns: _Columns | None,
        extra: Iterable[Flat],
        request: list[Box4],
        who: int,
        exclusive: bool,
        skip: set[int],
    ) -> tuple[list[Box4], list[tuple[Box4, str, int]], list[tuple[Box4, int]]]:
        """DESIGN.md rules 1-4 for one title and licensor (party index ``who``): cut the
        request by what is held exclusively, then non-exclusively, then by the
        encumbrances in the order of the reasons, each reason's contracts in id order."""
        media = territories = 0
        first, last = FOREVER, DAWN
        for m, x, _, s, e in request:
            media |= m
            territories |= x
            first = min(first, s)
            last = max(last, e)
        held_exclusively: list[Box4] = []
        held_shared: list[Box4] = []
        licenses: list[tuple[int, Box4]] = []
        holdbacks: list[tuple[int, Box4]] = []
        shared_licenses: list[tuple[int, Box4]] = []
        pencils: list[tuple[int, Box4]] = []
        rows: Iterable[Flat] = columns.rows() if columns is not None else ()
        masks, languages = self._territories, self._languages
        for source in (rows, extra):
            for contract, grantor, grantee, flags, m, x, lang, s, e in source:
                if s >= last or e <= first or not m & media or contract in skip:
                    continue
                if grantor != who and grantee != who:
                    continue
                mask = masks[x]
                if not mask & territories:
                    continue
                box: Box4 = (m, mask, languages[lang], s, e)
                if flags & PENCIL:
                    if grantor == who:
                        pencils.append((contract, box))
                    continue
                if grantee == who and not flags & HOLDBACK:
                    if grantor == NOBODY or (flags & SUBLICENSE and flags & EXCLUSIVE):
                        held_exclusively.append(box)
                    elif flags & SUBLICENSE:
                        held_shared.append(box)
                if grantor == who:
                    if flags & HOLDBACK:
                        holdbacks.append((contract, box))
                    elif flags & EXCLUSIVE:
                        licenses.append((contract, box))
                    elif exclusive:
                        shared_licenses.append((contract, box))
        rest = list(request)
        mine: list[Box4] = []
        for holding in held_exclusively:
            inside, rest = _cut_all(rest, holding)
            mine.extend(inside)
        shared: list[Box4] = []
        for holding in held_shared:
            inside, rest = _cut_all(rest, holding)
            shared.extend(inside)
        unavailable: list[tuple[Box4, str, int]] = [(b, "not-held", -1) for b in rest]
        if exclusive:
            unavailable.extend((b, "held-non-exclusively", -1) for b in shared)
        else:
            mine.extend(shared)
        names = self._contract_ids
        for reason, blockers in (
            ("exclusive-license", licenses),
            ("holdback", holdbacks),
            ("non-exclusive-license", shared_licenses),
        ):
            for contract, blocker in sorted(blockers, key=lambda p: names[p[0]]):
                if not mine:
                    break
                inside, mine = _cut_all(mine, blocker)
                unavailable.extend((b, reason, contract) for b in inside)
        warnings = [
            (part, contract)
            for contract, pencil in pencils
            for b in request
            if (part := _split(b, pencil)[0]) is not None
        ]
        return mine, unavailable, warnings

    # -- contract checks ---------------------------------------------------------------

    def check(self, contract: Contract) -> ContractCheck:
        """Whether ``contract`` may be executed against this book (itself excluded).

        Each grant is checked as a request of its licensor (exclusive if the grant is),
        with the contract's earlier grants already counted, and clipped to the day before
        a termination date. Holdbacks need no availability. An ownership record may not
        overlap another executed ownership record (or itself) on any cell-day.
        """
        problems = tuple(validate_contract(contract, self.catalog))
        if problems:
            return ContractCheck(contract.id, (), problems)
        until = contract.in_force_until()
        reports: list[AvailsReport] = []
        earlier: dict[str, list[Flat]] = defaultdict(list)
        as_executed = replace(contract, status="executed", terminated=None)
        own = len(self._contract_ids)
        self._contract_ids.append(contract.id)  # names the contract's own earlier grants
        try:
            for grant in contract.grants:
                reports.append(self._check_grant(contract, grant, until, earlier))
                for title, box in self._resolve_item(
                    grant, self.catalog.expand(grant.titles), FOREVER
                ):
                    earlier[title].append(self._flat(own, as_executed, grant, box))
        finally:
            self._contract_ids.pop()
        return ContractCheck(contract.id, tuple(reports))

    def _check_grant(
        self, contract: Contract, grant: Grant, until: int, earlier: dict[str, list[Flat]]
    ) -> AvailsReport:
        requests: dict[str, list[Box4]] = defaultdict(list)
        for title, box in self._resolve_item(grant, self.catalog.expand(grant.titles), until):
            requests[title].append(box)
        if contract.licensor is None:
            return self._ownership_overlap(requests, contract.id, earlier)
        return self._answer(
            contract.licensor, requests, grant.exclusive, exclude=contract.id, extra=earlier
        )

    def _ownership_overlap(
        self, requests: dict[str, list[Box4]], exclude: str, earlier: dict[str, list[Flat]]
    ) -> AvailsReport:
        free: list[Box] = []
        unavailable: list[Unavailable] = []
        skip = self._indexes_of(exclude, requests)
        names = self._contract_ids
        for title, boxes in requests.items():
            rest = list(boxes)
            columns = self._columns.get(title)
            rows = [*(columns.rows() if columns is not None else ()), *earlier.get(title, ())]
            owners = sorted(
                (
                    (
                        names[r[0]],
                        (r[4], self._territories[r[5]], self._languages[r[6]], r[7], r[8]),
                    )
                    for r in rows
                    if r[1] == NOBODY and not r[3] & (PENCIL | HOLDBACK) and r[0] not in skip
                ),
                key=lambda pair: pair[0],
            )
            for owner, box in owners:
                inside, rest = _cut_all(rest, box)
                unavailable.extend(
                    Unavailable(Box(frozenset((title,)), *b), ALREADY_OWNED, owner) for b in inside
                )
            free.extend(Box(frozenset((title,)), *b) for b in rest)
        return build_report(free, unavailable, ())

    def broken_chains(
        self, contracts: Iterable[Contract] | None = None
    ) -> list[tuple[str, int, AvailsReport]]:
        """Executed grants whose licensor no longer holds what they gave (a broken chain
        of title): ``(contract id, grant index, report of the parts not held)``. Checks the
        kept contracts, or ``contracts`` when given."""
        out: list[tuple[str, int, AvailsReport]] = []
        pool = self.contracts.values() if contracts is None else contracts
        for contract in sorted(pool, key=lambda c: c.id):
            if contract.licensor is None or not contract.in_force():
                continue
            for index, grant in enumerate(contract.grants):
                requests: dict[str, list[Box4]] = defaultdict(list)
                for title, box in self._resolve_item(
                    grant, self.catalog.expand(grant.titles), contract.in_force_until()
                ):
                    requests[title].append(box)
                report = self._answer(
                    contract.licensor, requests, grant.exclusive, exclude=contract.id
                )
                lost = tuple(
                    u
                    for u in report.unavailable
                    if u.reason in ("not-held", "held-non-exclusively")
                )
                if lost:
                    out.append((contract.id, index, AvailsReport((), lost, ())))
        return out


def _is_absolute(bound: DateBound | None) -> bool:
    return bound is None or not bound.is_relative


def _resolve(
    start: DateBound | None, end: DateBound | None, release: date | None
) -> tuple[int, int]:
    first = start.resolve(release) if start else None
    last = end.resolve(release) if end else None
    begin = to_start(first) if (start is None or first is not None) else FOREVER
    finish = to_end(last) if (end is None or last is not None) else DAWN
    return begin, finish


def validate_contract(contract: Contract, catalog: Catalog) -> list[Problem]:
    """Problems that make a contract meaningless whatever the book holds: unknown titles,
    licensor = licensee, holdbacks on an ownership record, a term that ends before it
    starts, a relative term on a title with no release date."""
    problems: list[Problem] = []
    where = f"contract {contract.id}"
    if contract.licensor is not None and contract.licensor == contract.licensee:
        problems.append(Problem("licensor and licensee are the same party", field=where))
    if contract.is_ownership and contract.holdbacks:
        problems.append(
            Problem("an ownership record (no licensor) cannot carry holdbacks", field=where)
        )
    items: list[tuple[str, Grant | Holdback]] = [
        (f"{where} grants[{i}]", g) for i, g in enumerate(contract.grants)
    ] + [(f"{where} holdbacks[{i}]", h) for i, h in enumerate(contract.holdbacks)]
    for field, item in items:
        for title in item.titles:
            if title not in catalog:
                problems.append(Problem(f"unknown title '{title}'", field=field))
        if all(t in catalog for t in item.titles) and not catalog.expand(item.titles):
            problems.append(Problem("the titles cover nothing (empty collection)", field=field))
        if _is_absolute(item.start) and _is_absolute(item.end):
            begin, finish = _resolve(item.start, item.end, None)
            if finish <= begin:
                problems.append(
                    Problem(f"term ends ({item.end}) before it starts ({item.start})", field=field)
                )
        else:
            for title in sorted(catalog.expand(item.titles)):
                release, releases = catalog.release_of(title)
                if release is None and not releases:
                    bound = item.start if item.start and item.start.is_relative else item.end
                    problems.append(
                        Problem(
                            f"title '{title}' has no release date for the relative term '{bound}'",
                            field=field,
                        )
                    )
    return problems
