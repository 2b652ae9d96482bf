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
from reelrights.domain.problems import Problem
from reelrights.domain.terms import DAWN, FOREVER, DateBound, to_end, to_start
from reelrights.domain.territories import COUNTRY_BIT
from reelrights.domain.titles import Catalog
from reelrights.engine.avails import (
    ALREADY_OWNED,
    AvailsReport,
    AvailsRequest,
    Unavailable,
    Warning,
    build_report,
    partition,
)


@dataclass(frozen=True, slots=True)
class _Record:
    contract: Contract
    item: Grant | Holdback
    titles: frozenset[str]


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


class RightsBook:
    """A catalog and its contracts, indexed by covered title."""

    def __init__(self, catalog: Catalog, contracts: Iterable[Contract] = ()) -> None:
        self.catalog = catalog
        self.contracts: dict[str, Contract] = {}
        self._by_title: dict[str, list[_Record]] = defaultdict(list)
        for contract in contracts:
            self.add(contract)

    def add(self, contract: Contract) -> None:
        """Add a contract, replacing one with the same id."""
        if contract.id in self.contracts:
            self.remove(contract.id)
        self.contracts[contract.id] = contract
        for record in self._records(contract):
            for title in record.titles:
                self._by_title[title].append(record)

    def remove(self, contract_id: str) -> None:
        """Forget a contract (no error if unknown)."""
        contract = self.contracts.pop(contract_id, None)
        if contract is None:
            return
        for record in self._records(contract):
            for title in record.titles:
                records = self._by_title[title]
                records[:] = [r for r in records if r.contract.id != contract_id]

    def _records(self, contract: Contract) -> Iterator[_Record]:
        for item in contract.rights:
            yield _Record(contract, item, self.catalog.expand(item.titles))

    # -- boxes -------------------------------------------------------------------------

    def boxes_of(
        self,
        item: Grant | Holdback,
        titles: Collection[str],
        until: int = FOREVER,
    ) -> list[Box]:
        """The boxes an item covers for the given titles, with relative terms resolved per
        title (and per territory where the title has per-territory releases), clipped to
        ``until``. A relative bound on a title with no known release covers nothing."""
        absolute = _is_absolute(item.start) and _is_absolute(item.end)
        if absolute:
            start, end = _resolve(item.start, item.end, None)
            box = Box(
                frozenset(titles),
                item.media,
                item.territories,
                item.languages,
                start,
                min(end, until),
            )
            return [] if box.is_empty() else [box]
        out: list[Box] = []
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
                box = Box(
                    frozenset((title,)), item.media, mask, item.languages, start, min(end, until)
                )
                if not box.is_empty():
                    out.append(box)
        return out

    # -- avails ------------------------------------------------------------------------

    def avails(self, request: AvailsRequest) -> AvailsReport:
        """Which parts of ``request`` its licensor can still grant, and why not the rest.

        Titles (collections, series) are expanded first; an unknown title id is simply
        not held. An empty term gives an empty, ``available`` report.
        """
        titles = self.catalog.expand(request.titles)
        box = Box(
            titles,
            request.media,
            request.territories,
            request.languages,
            request.start,
            request.end,
        )
        return self._answer(
            request.licensor, [box] if not box.is_empty() else [], request.exclusive
        )

    def _answer(
        self,
        licensor: str,
        request: list[Box],
        exclusive: bool,
        exclude: str | None = None,
        extra: Iterable[Contract] = (),
    ) -> AvailsReport:
        titles = frozenset().union(*(b.titles for b in request)) if request else frozenset()
        exclusive_holdings: list[tuple[str, Box]] = []
        shared_holdings: list[tuple[str, Box]] = []
        encumbrances: dict[str, list[tuple[str, Box]]] = defaultdict(list)
        pencils: list[tuple[str, Box]] = []
        for record in self._records_for(titles, exclude, extra):
            contract, item = record.contract, record.item
            if contract.status == "hold":
                if contract.licensor == licensor:
                    pencils.extend(
                        (contract.id, b) for b in self.boxes_of(item, record.titles & titles)
                    )
                continue
            if not contract.in_force():
                continue
            involved = contract.licensee == licensor or contract.licensor == licensor
            if not involved:
                continue
            boxes = self.boxes_of(item, record.titles & titles, contract.in_force_until())
            pairs = [(contract.id, b) for b in boxes]
            if contract.licensee == licensor and isinstance(item, Grant):
                if contract.is_ownership:
                    exclusive_holdings.extend(pairs)
                elif item.sublicense:
                    (exclusive_holdings if item.exclusive else shared_holdings).extend(pairs)
            if contract.licensor == licensor:
                if isinstance(item, Holdback):
                    encumbrances["holdback"].extend(pairs)
                elif item.exclusive:
                    encumbrances["exclusive-license"].extend(pairs)
                else:
                    encumbrances["non-exclusive-license"].extend(pairs)
        available, unavailable = partition(
            request, exclusive_holdings, shared_holdings, encumbrances, exclusive
        )
        warnings = [
            Warning(b & pencil, "held-for-negotiation", contract)
            for contract, pencil in pencils
            for b in request
            if b.overlaps(pencil)
        ]
        return build_report(available, unavailable, warnings)

    def _records_for(
        self, titles: Collection[str], exclude: str | None, extra: Iterable[Contract]
    ) -> Iterator[_Record]:
        seen: set[int] = set()
        for title in titles:
            for record in self._by_title.get(title, ()):
                if record.contract.id != exclude and id(record) not in seen:
                    seen.add(id(record))
                    yield record
        for contract in extra:
            for record in self._records(contract):
                if not record.titles.isdisjoint(titles):
                    yield record

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
        for index, grant in enumerate(contract.grants):
            boxes = self.boxes_of(grant, self.catalog.expand(grant.titles), until)
            earlier = replace(
                contract,
                status="executed",
                terminated=None,
                grants=contract.grants[:index],
                holdbacks=(),
            )
            if contract.licensor is None:
                reports.append(self._ownership_overlap(boxes, contract.id, earlier))
            else:
                reports.append(
                    self._answer(
                        contract.licensor,
                        boxes,
                        grant.exclusive,
                        exclude=contract.id,
                        extra=(earlier,),
                    )
                )
        return ContractCheck(contract.id, tuple(reports))

    def _ownership_overlap(
        self, request: list[Box], exclude: str, earlier: Contract
    ) -> AvailsReport:
        titles = frozenset().union(*(b.titles for b in request)) if request else frozenset()
        rest = list(request)
        unavailable: list[Unavailable] = []
        owners = [
            r
            for r in self._records_for(titles, exclude, (earlier,))
            if r.contract.is_ownership and r.contract.in_force() and isinstance(r.item, Grant)
        ]
        for record in sorted(owners, key=lambda r: r.contract.id):
            for owned in self.boxes_of(
                record.item, record.titles & titles, record.contract.in_force_until()
            ):
                still: list[Box] = []
                for box in rest:
                    if box.overlaps(owned):
                        unavailable.append(
                            Unavailable(box & owned, ALREADY_OWNED, record.contract.id)
                        )
                        still.extend(box - owned)
                    else:
                        still.append(box)
                rest = still
        return build_report(rest, unavailable, ())

    def broken_chains(self) -> list[tuple[str, int, AvailsReport]]:
        """Executed grants whose licensor no longer holds what they gave (a broken chain
        of title): ``(contract id, grant index, report of the parts not held)``."""
        out: list[tuple[str, int, AvailsReport]] = []
        for contract in sorted(self.contracts.values(), key=lambda c: c.id):
            if contract.licensor is None or not contract.in_force():
                continue
            for index, grant in enumerate(contract.grants):
                boxes = self.boxes_of(
                    grant, self.catalog.expand(grant.titles), contract.in_force_until()
                )
                report = self._answer(
                    contract.licensor, boxes, grant.exclusive, exclude=contract.id
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
