"""Avails search: which titles can a licensor sell, and when (docs/semantics.md rule 13).

A search asks one box (media × territories × languages over a term) of every candidate
title at once. A candidate's **windows** are the maximal day ranges inside the term on
which every cell of the box, on the candidate and on everything it covers (a series its
seasons and episodes), is available to the licensor by rule 3. Holds never shorten a
window; a window that meets one carries a ``held-for-negotiation`` warning.

The licensor's shelf is filtered in a few numpy operations (:meth:`RightsBook.rows_touching`);
what is left is a handful of entries per title, cut into day ranges in plain Python.

>>> from datetime import date
>>> from reelrights.domain.contracts import Contract, Grant
>>> from reelrights.domain.media import MediaTaxonomy
>>> from reelrights.domain.territories import Geography, WORLD
>>> from reelrights.domain.terms import DateBound
>>> from reelrights.domain.titles import Catalog, Title
>>> media, geo = MediaTaxonomy(), Geography()
>>> book = RightsBook(Catalog([Title("a", "A"), Title("b", "B")]))
>>> book.add(Contract("owns", None, "studio", grants=(
...     Grant(("a", "b"), media.parse("ALL_MEDIA"), WORLD, start=DateBound(date(2020, 1, 1))),)))
>>> book.add(Contract("sold", "studio", "netflix", grants=(
...     Grant(("b",), media.parse("SVOD"), geo.parse("BR"), exclusive=True,
...           start=DateBound(date(2026, 1, 1)), end=DateBound(date(2026, 6, 30))),)))
>>> ask = SearchRequest.of("studio", media.parse("SVOD"), geo.parse("BR, MX"),
...                        date(2026, 1, 1), date(2026, 12, 31))
>>> [t.title for t in search(book, ask, ["a", "b"])]
['a']
>>> found = search(book, ask.with_match("min-days", 90), ["a", "b"])
>>> [(t.title, [w.to_json() for w in t.windows]) for t in found][1]
('b', [{'start': '2026-07-01', 'end': '2026-12-31'}])
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from itertools import pairwise
from typing import Any

from reelrights.domain.boxes import Box, compact
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.terms import FOREVER, from_end, to_end, to_start
from reelrights.domain.titles import Catalog
from reelrights.engine.avails import Warning, box_to_json
from reelrights.engine.book import (
    EXCLUSIVE,
    GIVES,
    HOLDBACK,
    OWNS,
    PENCIL,
    Box4,
    RightsBook,
    Row,
    _cut_all,
)

MATCHES = ("cover", "overlap", "min-days")
HELD = "held-for-negotiation"
# Half-open day ranges, sorted and disjoint, never touching.
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What can ``licensor`` sell of this box over ``[start, end)`` (day ordinals)?

    ``match`` is ``cover`` (a window is the whole term), ``overlap`` (at least one cell-day
    is available) or ``min-days`` (a window of at least ``min_days`` days)."""

    licensor: str
    media: int
    territories: int
    languages: LanguageSet = ALL_LANGUAGES
    start: int = 0
    end: int = FOREVER
    exclusive: bool = False
    match: str = "cover"
    min_days: int = 1
    # The day the question is asked: options whose deadline has passed no longer warn
    # (rule 21). None: none has passed.
    today: int | None = None

    @staticmethod
    def of(
        licensor: str,
        media: int,
        territories: int,
        start: date,
        end: date | None,
        languages: LanguageSet = ALL_LANGUAGES,
        exclusive: bool = False,
    ) -> SearchRequest:
        """A ``cover`` request with an inclusive ``end`` day (``None``: perpetuity)."""
        return SearchRequest(
            licensor, media, territories, languages, to_start(start), to_end(end), exclusive
        )

    def with_match(self, match: str, min_days: int = 1) -> SearchRequest:
        return replace(self, match=match, min_days=min_days)

    @property
    def box(self) -> Box4:
        return (self.media, self.territories, self.languages, self.start, self.end)


@dataclass(frozen=True, slots=True)
class Window:
    """A maximal run of days ``[start, end)`` on which the whole box is available."""

    start: int
    end: int

    @property
    def days(self) -> int:
        return self.end - self.start

    def to_json(self) -> dict[str, Any]:
        last = from_end(self.end)
        return {
            "start": date.fromordinal(self.start).isoformat(),
            "end": last.isoformat() if last else None,
        }


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold (a contract in status ``hold``) that meets one of a title's windows."""

    box: Box
    contract: str

    def to_json(self) -> dict[str, Any]:
        return {"code": HELD, "contract": self.contract, **box_to_json(self.box)}


@dataclass(frozen=True, slots=True)
class TitleWindows:
    """One candidate's answer: its windows (by start), and the holds that meet them."""

    title: str
    windows: tuple[Window, ...]
    warnings: tuple[Hold | Warning, ...] = ()  # holds, then options (rule 21)

    @property
    def first_available(self) -> int | None:
        return self.windows[0].start if self.windows else None

    def to_json(self, name: str) -> dict[str, Any]:
        first = self.first_available
        return {
            "title": self.title,
            "name": name,
            "windows": [w.to_json() for w in self.windows],
            "first_available": None if first is None else date.fromordinal(first).isoformat(),
            "warnings": [h.to_json() for h in self.warnings],
        }


def candidates(
    catalog: Catalog, kinds: Collection[str] = (), within: str | None = None
) -> list[str]:
    """The titles a search considers: every title but collections, of one of ``kinds``
    (all kinds when empty), and among the titles ``within`` covers (itself excluded)."""
    pool: Iterable[str] = catalog.titles if within is None else catalog.expand([within]) - {within}
    out = []
    for title_id in pool:
        title = catalog.titles.get(title_id)
        if title is None or title.kind == "collection":
            continue
        if kinds and title.kind not in kinds:
            continue
        out.append(title_id)
    return sorted(out)


# -- day ranges ------------------------------------------------------------------------


def _union(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _minus(spans: list[Span], cuts: list[Span]) -> list[Span]:
    """Both sorted and disjoint."""
    out: list[Span] = []
    j = 0
    for s, e in spans:
        while j < len(cuts) and cuts[j][1] <= s:
            j += 1
        k = j
        while k < len(cuts) and cuts[k][0] < e:
            if cuts[k][0] > s:
                out.append((s, cuts[k][0]))
            s = max(s, cuts[k][1])
            k += 1
        if s < e:
            out.append((s, e))
    return out


def _intersect(a: list[Span], b: list[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        s = max(a[i][0], b[j][0])
        e = min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


# -- one title -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TitleDays:
    free: list[Span]  # days on which the whole box is available
    holds: list[tuple[str, Box4]]


def _title_days(book: RightsBook, rows: list[Row], box: Box4, exclusive: bool) -> _TitleDays:
    """Rule 3 for every cell of ``box`` at once, on one title: the days on which the
    qualifying holdings cover the whole box and no encumbrance touches it."""
    media, territories, languages, first, last = box
    full: list[Span] = []
    partial: list[Box4] = []
    blocked: list[Span] = []
    holds: list[tuple[str, Box4]] = []
    for row in rows:
        m, x, lang, s, e = book.box_of(row)
        s, e = max(s, first), min(e, last)
        if s >= e:
            continue
        flags = row[2]
        if not flags & GIVES:
            if exclusive and not flags & (OWNS | EXCLUSIVE):
                continue  # an exclusive request is not answered by a shared holding
            if (
                m & media == media
                and x & territories == territories
                and ((lang.negated and not lang.codes) or not languages - lang)
            ):
                full.append((s, e))
            else:
                partial.append((m, x, lang, s, e))
        elif flags & PENCIL:
            holds.append((book.contract_of(row), (m, x, lang, s, e)))
        elif flags & (HOLDBACK | EXCLUSIVE) or exclusive:
            blocked.append((s, e))
    held = _union(full)
    if partial:
        held = _union([*held, *_pieced(partial, _minus([(first, last)], held), box)])
    return _TitleDays(_minus(held, _union(blocked)), holds)


def _pieced(partial: list[Box4], gaps: list[Span], box: Box4) -> list[Span]:
    """The days of ``gaps`` on which holdings that each cover part of the box together
    cover all of it."""
    out: list[Span] = []
    for gap_start, gap_end in gaps:
        points = sorted(
            {gap_start, gap_end}
            | {p for h in partial for p in (h[3], h[4]) if gap_start < p < gap_end}
        )
        for a, b in pairwise(points):
            rest: list[Box4] = [(box[0], box[1], box[2], a, b)]
            for h in partial:
                if h[3] <= a and h[4] >= b:
                    _, rest = _cut_all(rest, h)
                    if not rest:
                        out.append((a, b))
                        break
    return out


# -- the search ------------------------------------------------------------------------


def search(book: RightsBook, request: SearchRequest, among: Collection[str]) -> list[TitleWindows]:
    """The candidates ``among`` that match the request, sorted by id, with their windows.

    ``cover``: titles with one window that is the whole term; ``min-days``: titles with a
    window of at least ``min_days`` days; ``overlap``: titles with at least one available
    cell-day (possibly no window). An empty box or term matches nothing."""
    return _windows(book, request, among, request.match)


def all_windows(
    book: RightsBook, request: SearchRequest, among: Collection[str]
) -> list[TitleWindows]:
    """Every candidate ``among`` with its windows (possibly none), sorted by id."""
    return _windows(book, request, among, None)


def _windows(
    book: RightsBook, request: SearchRequest, among: Collection[str], match: str | None
) -> list[TitleWindows]:
    box = request.box
    if not request.media or not request.territories or not request.languages:
        return []
    if request.start >= request.end:
        return []
    catalog = book.catalog
    pool = among if isinstance(among, frozenset) else frozenset(among)
    # Only series and seasons cover more than themselves: a film or an episode is its own
    # expansion, and one that has no entry on the licensor's shelf cannot match.
    containers = pool & catalog.containers()
    expansions = {c: catalog.expand([c]) for c in containers}
    every = pool.union(*expansions.values()) if expansions else pool
    whole = len(every) > 64
    rows = book.rows_touching(request.licensor, None if whole else every, box)
    days: dict[str, _TitleDays] = {}
    nothing = _TitleDays([], [])
    for title, title_rows in rows.items():
        if title in every:
            days[title] = _title_days(book, title_rows, box, request.exclusive)
    examined = pool if match is None else (pool & days.keys()) | containers
    out: list[TitleWindows] = []
    for candidate in sorted(examined):
        covered = expansions.get(candidate) or (candidate,)
        # A title with no entry on the shelf has nothing held: no window, no free cell-day.
        if match == "overlap" and not any(t in days for t in covered):
            continue
        if match in ("cover", "min-days") and not all(t in days for t in covered):
            continue
        free: list[Span] | None = None
        for title in covered:
            part = days.get(title, nothing).free
            free = part if free is None else _intersect(free, part)
            if not free:
                break
        free = free or []
        if match == "cover" and free != [(request.start, request.end)]:
            continue
        if match == "min-days" and not any(e - s >= request.min_days for s, e in free):
            continue
        if (
            match == "overlap"
            and not free
            and not any(
                book.has_available_cell(rows[t], box, request.exclusive)
                for t in sorted(covered)
                if t in rows
            )
        ):
            continue
        warnings: tuple[Hold | Warning, ...] = ()
        if free:
            options = book.option_warnings(
                request.licensor, covered, partial(_spans_of, box, free), request.today
            )
            options.sort(key=lambda w: (w.contract, w.code, w.holder or "", min(w.box.titles)))
            warnings = (*_holds_meeting(free, covered, days, box), *options)
        out.append(TitleWindows(candidate, tuple(Window(s, e) for s, e in free), warnings))
    return out


def _spans_of(box: Box4, free: list[Span], _title: str) -> list[Box4]:
    """The box over each free window (what an option's warning is asked of)."""
    return [(box[0], box[1], box[2], s, e) for s, e in free]


def _holds_meeting(
    free: list[Span], covered: Collection[str], days: dict[str, _TitleDays], box: Box4
) -> tuple[Hold, ...]:
    if not any(days[t].holds for t in covered if t in days):
        return ()
    media, territories, languages, _, _ = box
    found: list[tuple[Box, str]] = []
    for title in sorted(covered):
        entry = days.get(title)
        if entry is None:
            continue
        for contract, (m, x, lang, s, e) in entry.holds:
            for ws, we in free:
                a, b = max(s, ws), min(e, we)
                if a < b:
                    found.append(
                        (
                            Box(
                                frozenset((title,)),
                                m & media,
                                x & territories,
                                lang & languages,
                                a,
                                b,
                            ),
                            contract,
                        )
                    )
    # Overlapping holds of one contract (a grant and a holdback) would break compaction.
    by_contract: dict[str, list[Box]] = {}
    for part, contract in found:
        pieces = [part]
        for other in by_contract.get(contract, []):
            pieces = [p for piece in pieces for p in piece - other]
        by_contract.setdefault(contract, []).extend(pieces)
    merged = compact((b, c) for c, boxes in by_contract.items() for b in boxes)
    merged.sort(key=lambda item: (item[1], min(item[0].titles), item[0].start))
    return tuple(Hold(b, c) for b, c in merged)


def next_window(book: RightsBook, request: SearchRequest, titles: Collection[str]) -> Window | None:
    """The first window on or after ``request.start`` in which the whole box is available
    on every one of ``titles`` (and all they cover) at once, however long it runs:
    ``request.end`` is ignored. None when there is none within the rights the licensor
    holds."""
    found = all_windows(book, replace(request, end=FOREVER), sorted(set(titles)))
    free: list[Span] | None = None
    for answer in found:
        spans = [(w.start, w.end) for w in answer.windows]
        free = spans if free is None else _intersect(free, spans)
    if not free:
        return None
    return Window(*free[0])
