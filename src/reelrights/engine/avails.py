"""Avails requests and reports: the question, and the answer as a partition into boxes.

A report's available and unavailable boxes partition the request: every cell-day of it
lands in exactly one box, and each unavailable box carries its reason (docs/semantics.md rule 4)
and the contract that causes it. :func:`build_report` compacts and orders the parts.

>>> from reelrights.domain.boxes import Box
>>> from reelrights.domain.languages import ALL_LANGUAGES
>>> held = Box(frozenset({"t"}), 1, 0b01, ALL_LANGUAGES, 0, 5)
>>> sold = Unavailable(Box(frozenset({"t"}), 1, 0b10, ALL_LANGUAGES, 0, 5),
...                    "exclusive-license", "deal")
>>> report = build_report([held], [sold], [])
>>> report.status, report.to_json()["unavailable"][0]["contract"]
('partial', 'deal')
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from reelrights.domain import media as media_codes
from reelrights.domain import territories as territory_codes
from reelrights.domain.boxes import Box, compact
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.terms import from_end, from_start, to_end, to_start

REASONS = (
    "not-held",
    "held-non-exclusively",
    "exclusive-license",
    "holdback",
    "non-exclusive-license",
)
ENCUMBRANCES = REASONS[2:]
# Only in a contract check of an ownership record: another owner's record covers the cells.
ALREADY_OWNED = "already-owned"
_RANK = {reason: i for i, reason in enumerate((*REASONS, ALREADY_OWNED))}


@dataclass(frozen=True, slots=True)
class AvailsRequest:
    """Can ``licensor`` still grant these rights? Term ``[start, end)`` in day ordinals.

    ``titles`` may be any collection of ids; a frozenset spares the engine a conversion
    when a question names thousands of titles."""

    licensor: str
    titles: Collection[str]
    media: int
    territories: int
    languages: LanguageSet = ALL_LANGUAGES
    start: int = 0
    end: int = 0
    exclusive: bool = False
    # The day the question is asked (an ordinal): options whose deadline has passed by then
    # no longer warn (rule 21). None: no deadline has passed.
    today: int | None = None

    @staticmethod
    def of(
        licensor: str,
        titles: Iterable[str],
        media: int,
        territories: int,
        start: date,
        end: date | None,
        languages: LanguageSet = ALL_LANGUAGES,
        exclusive: bool = False,
        today: date | None = None,
    ) -> AvailsRequest:
        """A request with an inclusive ``end`` day (``None``: perpetuity), asked on
        ``today`` (``None``: every option still stands)."""
        return AvailsRequest(
            licensor,
            tuple(titles),
            media,
            territories,
            languages,
            to_start(start),
            to_end(end),
            exclusive,
            None if today is None else today.toordinal(),
        )


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Part of a request that cannot be granted, why, and which contract causes it."""

    box: Box
    reason: str
    contract: str | None


@dataclass(frozen=True, slots=True)
class Warning:
    """Part of a request that is flagged, not blocked: ``held-for-negotiation`` (a hold),
    or ``first-negotiation`` / ``first-refusal`` (an option, with the party that holds
    it); the contract is None only where it is hidden from the reader."""

    box: Box
    code: str
    contract: str | None
    holder: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"code", "contract", ["holder",] ...box}``."""
        out: dict[str, Any] = {"code": self.code, "contract": self.contract}
        if self.holder is not None:
            out["holder"] = self.holder
        return {**out, **box_to_json(self.box)}


@dataclass(frozen=True, slots=True)
class AvailsReport:
    """The available and unavailable parts of a request (a partition), and warnings."""

    available: tuple[Box, ...]
    unavailable: tuple[Unavailable, ...]
    warnings: tuple[Warning, ...] = ()

    @property
    def status(self) -> str:
        """``available`` (all of it), ``partial`` (some) or ``unavailable`` (none)."""
        if not self.unavailable:
            return "available"
        return "partial" if self.available else "unavailable"

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``avails --json`` (docs/cli.md)."""
        return {
            "status": self.status,
            "available": [box_to_json(b) for b in self.available],
            "unavailable": [
                {**box_to_json(u.box), "reason": u.reason, "contract": u.contract}
                for u in self.unavailable
            ],
            "warnings": [w.to_json() for w in self.warnings],
        }


def box_to_json(box: Box) -> dict[str, Any]:
    """A box as ``avails --json`` prints it: sorted leaves, inclusive ``end``, ``null`` forever."""
    start = from_start(box.start)
    end = from_end(box.end)
    return {
        "titles": sorted(box.titles),
        "media": media_codes.leaves_of(box.media),
        "territories": territory_codes.countries_of(box.territories),
        "languages": box.languages.to_json(),
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
    }


def _order(box: Box) -> tuple[Any, ...]:
    """Boxes sort by first title, then start, media, territory mask (disjoint boxes that
    tie on all of these differ in languages)."""
    return (
        min(box.titles),
        box.start,
        media_codes.leaves_of(box.media),
        box.territories,
        box.end,
        len(box.titles),
        str(box.languages.to_json()),
    )


def build_report(
    available: Iterable[Box],
    unavailable: Iterable[Unavailable],
    warnings: Iterable[Warning],
) -> AvailsReport:
    """Compact each part into few boxes and order them for stable output."""
    free = [box for box, _ in compact((box, None) for box in available)]
    blocked = [
        Unavailable(box, reason, contract)
        for box, (reason, contract) in compact((u.box, (u.reason, u.contract)) for u in unavailable)
    ]
    flagged = [
        Warning(box, code, contract, holder)
        for box, (code, contract, holder) in compact(
            (w.box, (w.code, w.contract, w.holder)) for w in warnings
        )
    ]
    if len(free) > 1:
        free.sort(key=_order)
    if len(blocked) > 1:
        blocked.sort(key=lambda u: (_order(u.box), _RANK[u.reason], u.contract or ""))
    if len(flagged) > 1:
        flagged.sort(key=lambda w: (w.contract or "", w.code, w.holder or "", _order(w.box)))
    return AvailsReport(tuple(free), tuple(blocked), tuple(flagged))


def cell_answers(report: AvailsReport) -> dict[tuple[Any, ...], list[tuple[Any, ...]]]:
    """What ``report`` says of each cell, whatever the shape of its boxes: for every
    title, medium, country and language (each tag a box names, and "any other tag"), the
    days on which the answer changes, each with the sorted parts that cover the cell from
    that day on (an empty tuple: none). Two reports that cut the same answer into
    different boxes (books that took their contracts in another order do) give the same
    mapping."""
    parts: list[tuple[Box, tuple[Any, ...]]] = [(b, ("available",)) for b in report.available]
    parts += [(u.box, ("unavailable", u.reason, u.contract)) for u in report.unavailable]
    parts += [(w.box, ("warning", w.code, w.contract, w.holder)) for w in report.warnings]
    edges = sorted({day for box, _ in parts for day in (box.start, box.end)})
    tags = [*sorted({tag for box, _ in parts for tag in box.languages.codes}), ""]
    days: dict[tuple[Any, ...], dict[int, list[tuple[Any, ...]]]] = {}
    for box, what in parts:
        runs = [day for day in edges if box.start <= day < box.end]
        languages = [tag for tag in tags if box.languages.contains(tag)]
        for title in sorted(box.titles):
            for medium in _bits(box.media):
                for country in _bits(box.territories):
                    for tag in languages:
                        on = days.setdefault((title, medium, country, tag), {})
                        for day in runs:
                            on.setdefault(day, []).append(what)
    found: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for cell, by_day in days.items():
        changes: list[tuple[Any, ...]] = []
        last: tuple[Any, ...] = ()
        for day in edges:
            now = tuple(sorted(by_day.get(day, ()), key=repr))
            if now != last:
                changes.append((day, now))
                last = now
        found[cell] = changes
    return found


def _bits(mask: int) -> Iterable[int]:
    while mask:
        low = mask & -mask
        yield low
        mask ^= low
