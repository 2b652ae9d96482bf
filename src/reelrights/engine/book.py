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


class _Entry:
    """One grant or holdback of one contract, resolved for one title."""

    __slots__ = (
        "box",
        "contract",
        "exclusive",
        "holdback",
        "licensee",
        "licensor",
        "pencil",
        "sublicense",
    )

    def __init__(self, contract: Contract, item: Grant | Holdback, box: Box4) -> None:
        self.contract = contract.id
        self.licensor = contract.licensor
        self.licensee = contract.licensee
        self.pencil = contract.status == "hold"
        self.holdback = isinstance(item, Holdback)
        self.exclusive = isinstance(item, Grant) and item.exclusive
        self.sublicense = isinstance(item, Grant) and item.sublicense
        self.box = box


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
    """A catalog and its contracts, indexed by covered title and by party."""

    def __init__(self, catalog: Catalog, contracts: Iterable[Contract] = ()) -> None:
        self.catalog = catalog
        self.contracts: dict[str, Contract] = {}
        self._entries: dict[str, list[_Entry]] = defaultdict(list)
        self._party_titles: dict[str, dict[str, int]] = defaultdict(dict)
        self._referencing: dict[str, set[str]] = defaultdict(set)
        self._masks: dict[int, int] = {}
        for contract in contracts:
            self.add(contract)

    # -- maintenance ---------------------------------------------------------------------

    def add(self, contract: Contract) -> None:
        """Add a contract, replacing one with the same id."""
        if contract.id in self.contracts:
            self.remove(contract.id)
        self.contracts[contract.id] = contract
        for item in contract.rights:
            for ref in item.titles:
                self._referencing[ref].add(contract.id)
        for title, entry in self._entries_of(contract):
            self._index(title, entry)

    def remove(self, contract_id: str) -> None:
        """Forget a contract (no error if unknown)."""
        contract = self.contracts.pop(contract_id, None)
        if contract is None:
            return
        for item in contract.rights:
            for ref in item.titles:
                self._referencing[ref].discard(contract_id)
        titles = {t for item in contract.rights for t in self.catalog.expand(item.titles)}
        for title in titles:
            kept = [e for e in self._entries.get(title, ()) if e.contract != contract_id]
            removed = len(self._entries.get(title, ())) - len(kept)
            self._entries[title] = kept
            if removed:
                for party in (contract.licensor, contract.licensee):
                    if party is None:
                        continue
                    counts = self._party_titles[party]
                    counts[title] = counts.get(title, 0) - removed
                    if counts[title] <= 0:
                        del counts[title]

    def add_title(self, title: Title) -> None:
        """Add a title to the catalog; contracts that already cover it (through its series
        or a collection) start covering it now."""
        self.catalog.add(title)
        for ref in self.catalog.referents(title.id):
            for contract_id in sorted(self._referencing.get(ref, ())):
                contract = self.contracts[contract_id]
                for covered, entry in self._entries_of(contract, only=title.id):
                    self._index(covered, entry)

    def _index(self, title: str, entry: _Entry) -> None:
        self._entries[title].append(entry)
        for party in (entry.licensor, entry.licensee):
            if party is not None:
                counts = self._party_titles[party]
                counts[title] = counts.get(title, 0) + 1

    def _entries_of(
        self, contract: Contract, only: str | None = None
    ) -> Iterator[tuple[str, _Entry]]:
        if not (contract.in_force() or contract.status == "hold"):
            return
        until = contract.in_force_until()
        for item in contract.rights:
            titles = self.catalog.expand(item.titles)
            if only is not None:
                titles = titles & {only}
            for title, box in self._resolve_item(item, titles, until):
                yield title, _Entry(contract, item, box)

    def _resolve_item(
        self, item: Grant | Holdback, titles: Collection[str], until: int
    ) -> Iterator[tuple[str, Box4]]:
        territories = self._masks.setdefault(item.territories, item.territories)
        if _is_absolute(item.start) and _is_absolute(item.end):
            start, end = _resolve(item.start, item.end, None)
            end = min(end, until)
            if start < end:
                box: Box4 = (item.media, territories, item.languages, start, end)
                for title in titles:
                    yield title, box
            return
        for title in titles:
            release, releases = self.catalog.release_of(title)
            rest = territories
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
        return self._answer(request.licensor, {t: [box] for t in titles}, request.exclusive)

    def _answer(
        self,
        licensor: str,
        requests: dict[str, list[Box4]],
        exclusive: bool,
        exclude: str | None = None,
        extra: dict[str, list[_Entry]] | None = None,
    ) -> AvailsReport:
        involved = self._party_titles.get(licensor, {})
        free: dict[Box4, list[str]] = defaultdict(list)
        blocked: dict[tuple[Box4, str, str | None], list[str]] = defaultdict(list)
        flagged: dict[tuple[Box4, str], list[str]] = defaultdict(list)
        for title, boxes in requests.items():
            if not boxes:
                continue
            if title not in involved and not (extra and title in extra):
                for box in boxes:
                    blocked[(box, "not-held", None)].append(title)
                continue
            entries: Iterable[_Entry] = self._entries.get(title, ())
            if extra and title in extra:
                entries = [*entries, *extra[title]]
            available, unavailable, warnings = _partition_title(
                entries, boxes, licensor, exclusive, exclude
            )
            for box in available:
                free[box].append(title)
            for box, reason, contract in unavailable:
                blocked[(box, reason, contract)].append(title)
            for box, contract in warnings:
                flagged[(box, contract)].append(title)
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
        earlier: dict[str, list[_Entry]] = defaultdict(list)
        as_executed = replace(contract, status="executed", terminated=None)
        for grant in contract.grants:
            requests: dict[str, list[Box4]] = defaultdict(list)
            for title, box in self._resolve_item(grant, self.catalog.expand(grant.titles), until):
                requests[title].append(box)
            if contract.licensor is None:
                reports.append(self._ownership_overlap(requests, contract.id, earlier))
            else:
                reports.append(
                    self._answer(
                        contract.licensor,
                        requests,
                        grant.exclusive,
                        exclude=contract.id,
                        extra=earlier,
                    )
                )
            for title, box in self._resolve_item(grant, self.catalog.expand(grant.titles), FOREVER):
                earlier[title].append(_Entry(as_executed, grant, box))
        return ContractCheck(contract.id, tuple(reports))

    def _ownership_overlap(
        self, requests: dict[str, list[Box4]], exclude: str, earlier: dict[str, list[_Entry]]
    ) -> AvailsReport:
        free: list[Box] = []
        unavailable: list[Unavailable] = []
        for title, boxes in requests.items():
            rest = list(boxes)
            owners = [
                e
                for e in (*self._entries.get(title, ()), *earlier.get(title, ()))
                if e.licensor is None and not e.pencil and not e.holdback and e.contract != exclude
            ]
            for entry in sorted(owners, key=lambda e: e.contract):
                inside, rest = _cut_all(rest, entry.box)
                unavailable.extend(
                    Unavailable(Box(frozenset((title,)), *b), ALREADY_OWNED, entry.contract)
                    for b in inside
                )
            free.extend(Box(frozenset((title,)), *b) for b in rest)
        return build_report(free, unavailable, ())

    def broken_chains(self) -> list[tuple[str, int, AvailsReport]]:
        """Executed grants whose licensor no longer holds what they gave (a broken chain
        of title): ``(contract id, grant index, report of the parts not held)``."""
        out: list[tuple[str, int, AvailsReport]] = []
        for contract in sorted(self.contracts.values(), key=lambda c: c.id):
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


def _partition_title(
    entries: Iterable[_Entry],
    request: list[Box4],
    licensor: str,
    exclusive: bool,
    exclude: str | None,
) -> _Outcome:
    """DESIGN.md rules 1-4 for one title: see :func:`reelrights.engine.avails.partition`."""
    media = territories = 0
    first, last = FOREVER, DAWN
    for m, x, _, s, e in request:
        media |= m
        territories |= x
        first = min(first, s)
        last = max(last, e)
    held_exclusively: list[Box4] = []
    held_shared: list[Box4] = []
    licenses: list[tuple[str, Box4]] = []
    holdbacks: list[tuple[str, Box4]] = []
    shared_licenses: list[tuple[str, Box4]] = []
    pencils: list[tuple[str, Box4]] = []
    for entry in entries:
        box = entry.box
        if (
            box[3] >= last
            or box[4] <= first
            or not box[0] & media
            or not box[1] & territories
            or entry.contract == exclude
        ):
            continue
        if entry.pencil:
            if entry.licensor == licensor:
                pencils.append((entry.contract, box))
            continue
        if entry.licensee == licensor and not entry.holdback:
            if entry.licensor is None or (entry.sublicense and entry.exclusive):
                held_exclusively.append(box)
            elif entry.sublicense:
                held_shared.append(box)
        if entry.licensor == licensor:
            if entry.holdback:
                holdbacks.append((entry.contract, box))
            elif entry.exclusive:
                licenses.append((entry.contract, box))
            elif exclusive:
                shared_licenses.append((entry.contract, box))
    rest = list(request)
    mine: list[Box4] = []
    for holding in held_exclusively:
        inside, rest = _cut_all(rest, holding)
        mine.extend(inside)
    shared: list[Box4] = []
    for holding in held_shared:
        inside, rest = _cut_all(rest, holding)
        shared.extend(inside)
    unavailable: list[tuple[Box4, str, str | None]] = [(b, "not-held", None) for b in rest]
    if exclusive:
        unavailable.extend((b, "held-non-exclusively", None) for b in shared)
    else:
        mine.extend(shared)
    for reason, blockers in (
        ("exclusive-license", licenses),
        ("holdback", holdbacks),
        ("non-exclusive-license", shared_licenses),
    ):
        for contract, blocker in sorted(blockers, key=lambda p: p[0]):
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
