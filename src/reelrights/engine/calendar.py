"""The calendar of dates that matter (docs/semantics.md rule 20): license starts and ends,
holdback ends, option deadlines, and payment dues supplied by the money terms.

Only contracts in force give dates: an executed contract, or a terminated one up to the
day before its termination (its licenses and holdbacks end there; an option whose
deadline falls on or after it lapsed and has no date). Ownership records are no license
and give none. A relative bound (``release+90d``) gives one date per title and release,
titles with the same date grouped. Events sort by date, kind, contract; every event has
an ``id`` that stays the same as long as the contract item and the date do (for
calendar apps and for alerts sent once).

>>> from reelrights.domain.contracts import Contract, Grant
>>> from reelrights.domain.terms import DateBound
>>> from reelrights.domain.titles import Catalog, Title
>>> deal = Contract("c1", "disney", "tencent", grants=(Grant(("sw4",), 1, 1,
...     start=DateBound(date(2016, 1, 1)), end=DateBound(date(2016, 12, 31))),))
>>> [(e.day.isoformat(), e.kind, e.party) for e in
...  calendar([deal], Catalog([Title("sw4", "A New Hope")]), date(2016, 1, 1), date(2017, 1, 1))]
[('2016-01-01', 'license-start', 'tencent'), ('2016-12-31', 'license-end', 'tencent')]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from reelrights.domain import media as media_codes
from reelrights.domain import territories as territory_codes
from reelrights.domain.contracts import Contract, Grant, Holdback, Option
from reelrights.domain.terms import DateBound
from reelrights.domain.titles import Catalog

KINDS = ("license-start", "license-end", "holdback-end", "payment-due", "option-deadline")
_RANK = {kind: i for i, kind in enumerate(KINDS)}

Item = Grant | Holdback | Option


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One dated event: ``party`` is the one the date concerns (the licensee of a license,
    the licensor bound by a holdback, the holder of an option, the payer of a payment);
    ``parties`` everyone the contract names, for party-scoped views."""

    day: date
    kind: str
    contract: str
    party: str
    titles: tuple[str, ...]
    detail: str
    item: str  # which part of the contract: grants[0], holdbacks[1], options[0], payments[2]
    parties: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        """Stable while the contract item and the date stay the same."""
        return f"{self.contract}/{self.item}/{self.kind}/{self.day.isoformat()}"

    def to_json(self) -> dict[str, Any]:
        """``{"id", "date", "kind", "contract", "party", "titles", "detail"}``."""
        return {
            "id": self.id,
            "date": self.day.isoformat(),
            "kind": self.kind,
            "contract": self.contract,
            "party": self.party,
            "titles": list(self.titles),
            "detail": self.detail,
        }


def sort_key(event: CalendarEvent) -> tuple[Any, ...]:
    """By date, kind (in the order of :data:`KINDS`), contract, then item."""
    return (event.day, _RANK.get(event.kind, len(KINDS)), event.contract, event.item)


def describe_item(item: Item) -> str:
    """``SVOD in US, exclusive`` for a grant: leaf codes and countries (a long list of
    countries is counted)."""
    media = ", ".join(media_codes.leaves_of(item.media))
    countries = territory_codes.countries_of(item.territories)
    where = ", ".join(countries) if len(countries) <= 8 else f"{len(countries)} territories"
    text = f"{media} in {where}"
    if isinstance(item, Grant) and item.exclusive:
        text += ", exclusive"
    return text


def calendar(
    contracts: Iterable[Contract],
    catalog: Catalog,
    first: date,
    last: date,
    *,
    party: str | None = None,
    titles: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    extra: Iterable[CalendarEvent] = (),
    describe: Callable[[Item], str] = describe_item,
) -> list[CalendarEvent]:
    """The events dated ``first`` to ``last`` (inclusive) of these contracts, plus
    ``extra`` (payment dues), for ``party`` (licensor, licensee or holder: all when None),
    touching ``titles`` (ids, expanded: a collection matches its members) and of
    ``kinds``. Empty when ``last`` is before ``first``."""
    if last < first:
        return []
    wanted = catalog.expand(titles) | set(titles) if titles is not None else None
    events: list[CalendarEvent] = []
    for event in (*_events(contracts, catalog, first, last, describe), *extra):
        if not first <= event.day <= last:
            continue
        if party is not None and party not in event.parties:
            continue
        if kinds is not None and event.kind not in kinds:
            continue
        if wanted is not None and not (
            wanted & set(event.titles) or wanted & catalog.expand(event.titles)
        ):
            continue
        events.append(event)
    events.sort(key=sort_key)
    return events


def _events(
    contracts: Iterable[Contract],
    catalog: Catalog,
    first: date,
    last: date,
    describe: Callable[[Item], str],
) -> Iterator[CalendarEvent]:
    for contract in contracts:
        if contract.licensor is None or not contract.in_force():
            continue
        named = frozenset(p for _, p in contract.named_parties())
        # The last day in force, when terminated from a date.
        stop = (
            contract.terminated - timedelta(days=1)
            if contract.status == "terminated" and contract.terminated is not None
            else None
        )

        def event(
            day: date,
            kind: str,
            who: str,
            ids: tuple[str, ...],
            detail: str,
            item: str,
            contract: Contract = contract,
            named: frozenset[str] = named,
        ) -> CalendarEvent:
            return CalendarEvent(day, kind, contract.id, who, ids, detail, item, named)

        for i, grant in enumerate(contract.grants):
            starts = _days(grant.start, grant, catalog)
            ends = _days(grant.end, grant, catalog)
            for day, ids in starts.items():
                if stop is None or day <= stop:
                    yield event(
                        day,
                        "license-start",
                        contract.licensee,
                        ids,
                        describe(grant),
                        f"grants[{i}]",
                    )
            for day, ids, detail in _ends(ends, grant.end is None, stop, grant, catalog, describe):
                yield event(day, "license-end", contract.licensee, ids, detail, f"grants[{i}]")
        for i, holdback in enumerate(contract.holdbacks):
            ends = _days(holdback.end, holdback, catalog)
            for day, ids, detail in _ends(
                ends, holdback.end is None, stop, holdback, catalog, describe
            ):
                yield event(day, "holdback-end", contract.licensor, ids, detail, f"holdbacks[{i}]")
        # A fee's schedule (rule 19): each instalment is due from the licensee, while the
        # contract is in force. Read by name, so any contract carrying ``payments`` with
        # ``due`` and ``amount`` gives its dues.
        currency = getattr(contract, "money_currency", None) or (
            contract.fee.currency if contract.fee else ""
        )
        for i, instalment in enumerate(getattr(contract, "payments", ())):
            due = instalment.due
            if stop is None or due <= stop:
                yield event(
                    due,
                    "payment-due",
                    contract.licensee,
                    tuple(sorted({t for g in contract.grants for t in g.titles})),
                    f"{instalment.amount} {currency} to {contract.licensor}".replace("  ", " "),
                    f"payments[{i}]",
                )
        for i, option in enumerate(contract.options):
            if stop is not None and option.exercise_by > stop:
                continue  # lapsed with the contract
            term = _term_text(option)
            detail = f"{option.kind} for {option.holder}: {describe(option)}{term}"
            yield event(
                option.exercise_by,
                "option-deadline",
                option.holder,
                option.titles,
                detail,
                f"options[{i}]",
            )


def _ends(
    ends: dict[date, tuple[str, ...]],
    perpetual: bool,
    stop: date | None,
    item: Item,
    catalog: Catalog,
    describe: Callable[[Item], str],
) -> Iterator[tuple[date, tuple[str, ...], str]]:
    """(day, titles, detail) of the end events, brought forward to the day before a
    termination (a perpetual term then ends there too)."""
    if stop is None:
        for day, ids in ends.items():
            yield day, ids, describe(item)
        return
    clipped: dict[date, set[str]] = defaultdict(set)
    if perpetual:
        clipped[stop].update(item.titles)
    for day, ids in ends.items():
        clipped[min(day, stop)].update(ids)
    starts = _days(item.start, item, catalog)
    for day, titles in clipped.items():
        if starts and all(start > day for start in starts):
            continue  # terminated before it began
        detail = describe(item) + (", terminated" if day == stop else "")
        yield day, tuple(sorted(titles)), detail


def _days(bound: DateBound | None, item: Item, catalog: Catalog) -> dict[date, tuple[str, ...]]:
    """The days a bound means, each with the titles it means it for (titles as written
    for a fixed day; per title and release for a relative one)."""
    if bound is None:
        return {}
    if bound.day is not None:
        return {bound.day: tuple(item.titles)}
    found: dict[date, set[str]] = defaultdict(set)
    for title in catalog.expand(item.titles):
        release, releases = catalog.release_of(title)
        for country, day in releases.items():
            if item.territories & territory_codes.COUNTRY_BIT.get(country, 0):
                resolved = bound.resolve(day)
                if resolved is not None:
                    found[resolved].add(title)
        resolved = bound.resolve(release)
        if resolved is not None:
            found[resolved].add(title)
    return {day: tuple(sorted(ids)) for day, ids in found.items()}


def _term_text(item: Item) -> str:
    start = item.start.day if item.start and item.start.day else None
    end = item.end.day if item.end and item.end.day else None
    if start is None and end is None:
        return ""
    return f", {start or 'always'} → {end or 'perpetuity'}"
