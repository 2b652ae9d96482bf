"""The avails search (docs/semantics.md rule 13) against the brute-force oracle, day by day
and cell by cell, and on a rights desk's library."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.domain.contracts import Contract, Grant, Holdback
from reelrights.domain.languages import LanguageSet
from reelrights.domain.media import LEAF_BIT, MediaTaxonomy
from reelrights.domain.terms import FOREVER, DateBound
from reelrights.domain.territories import COUNTRY_BIT, WORLD, Geography
from reelrights.domain.titles import Catalog, Title
from reelrights.engine import RightsBook
from reelrights.engine.search import (
    SearchRequest,
    Window,
    all_windows,
    candidates,
    next_window,
    search,
)
from tests.strategies import (
    CATALOG,
    COUNTRIES,
    DAYS,
    LANGUAGES,
    MEDIA,
    Cell,
    books,
    covers,
    day,
    language_sets,
    mask,
    oracle,
    subsets,
)

# The same universe with a series: b is a series and c its episode.
SERIES = Catalog(
    [
        Title("a", "A"),
        Title("b", "B", "series"),
        Title("c", "C", "episode", parent="b"),
        Title("ab", "AB", "collection", members=("a", "b")),
    ]
)
HORIZON = day(DAYS).toordinal()  # nothing changes after day 36: day 39 stands for all later


@st.composite
def searches(draw: st.DrawFn) -> SearchRequest:
    start = draw(st.integers(0, 38))
    end = draw(st.one_of(st.none(), st.integers(start, 38)))
    return SearchRequest.of(
        draw(st.sampled_from(("p", "p", "q"))),
        mask(draw(subsets(MEDIA)), LEAF_BIT),
        mask(draw(subsets(COUNTRIES)), COUNTRY_BIT),
        day(start),
        None if end is None else day(end),
        draw(language_sets),
        draw(st.booleans()),
    )


def cells_on(catalog: Catalog, title: str, request: SearchRequest, ordinal: int) -> list[Cell]:
    return [
        Cell(t, m, x, lang, ordinal)
        for t in sorted(catalog.expand([title]))
        for m in MEDIA
        if request.media & LEAF_BIT[m]
        for x in COUNTRIES
        if request.territories & COUNTRY_BIT[x]
        for lang in LANGUAGES
        if request.languages.contains(lang)
    ]


def oracle_days(
    contracts: list[Contract], catalog: Catalog, title: str, request: SearchRequest
) -> tuple[set[int], bool]:
    """(days on which every cell is available, whether any cell-day is), up to HORIZON."""
    whole: set[int] = set()
    some = False
    for ordinal in range(request.start, min(request.end, HORIZON)):
        free = [
            oracle(contracts, request.licensor, request.exclusive, cell, catalog) == (None, None)
            for cell in cells_on(catalog, title, request, ordinal)
        ]
        some = some or any(free)
        if all(free):
            whole.add(ordinal)
    return whole, some


@settings(max_examples=120, deadline=None)
@given(books(), searches(), st.sampled_from((CATALOG, SERIES)), st.integers(1, 12))
def test_windows_are_exactly_the_maximal_runs_of_all_available_days(
    contracts, request, catalog, min_days
) -> None:
    book = RightsBook(catalog, contracts)
    among = candidates(catalog)
    assert "ab" not in among  # a collection is never a candidate
    answers = {t.title: t for t in all_windows(book, request, among)}
    assert sorted(answers) == among
    overlapping = set()
    for title in among:
        windows = answers[title].windows
        expected, some = oracle_days(contracts, catalog, title, request)
        if some:
            overlapping.add(title)
        seen: set[int] = set()
        for before, after in pairwise(windows):
            assert before.end < after.start  # disjoint, and maximal: never touching
        for window in windows:
            assert request.start <= window.start < window.end <= request.end
            seen |= set(range(window.start, min(window.end, HORIZON)))
            if window.end > HORIZON:  # runs on past the last change: to the end of the term
                assert window.end == request.end
        assert seen == expected, title
        first = answers[title].first_available
        assert first == (min(expected) if expected else None)
    cover = {t.title for t in search(book, request, among)}
    longest = request.end - request.start
    at_least = {t.title for t in search(book, request.with_match("min-days", min_days), among)}
    overlap = {t.title for t in search(book, request.with_match("overlap"), among)}
    assert cover <= at_least <= overlap if min_days <= longest else cover <= overlap
    assert overlap == overlapping
    assert cover == {
        t
        for t in among
        if [(w.start, w.end) for w in answers[t].windows] == [(request.start, request.end)]
    }
    assert at_least == {t for t in among if any(w.days >= min_days for w in answers[t].windows)}


@settings(max_examples=80, deadline=None)
@given(books(), searches(), st.sampled_from((CATALOG, SERIES)))
def test_holds_only_warn_and_meet_a_window(contracts, request, catalog) -> None:
    book = RightsBook(catalog, contracts)
    holds = {c.id: c for c in contracts if c.status == "hold" and c.licensor == request.licensor}
    without = RightsBook(catalog, [c for c in contracts if c.status != "hold"])
    among = candidates(catalog)
    with_holds = all_windows(book, request, among)
    assert [t.windows for t in with_holds] == [
        t.windows for t in all_windows(without, request, among)
    ]
    for answer in with_holds:
        for warning in answer.warnings:
            assert warning.contract in holds
            assert warning.box.titles <= catalog.expand([answer.title])
            assert warning.box.media & ~request.media == 0
            assert warning.box.territories & ~request.territories == 0
            assert any(
                w.start <= warning.box.start < warning.box.end <= w.end for w in answer.windows
            )
        # and exactly: on every cell-day of every window, the holds that pencil it in
        # (by the oracle) are the warnings that say so, no more and no fewer
        for window in answer.windows:
            for ordinal in range(window.start, min(window.end, HORIZON)):
                for cell in cells_on(catalog, answer.title, request, ordinal):
                    pencilled = {
                        c.id
                        for c in holds.values()
                        if any(covers(i, cell, 10**9, catalog) for i in (*c.grants, *c.holdbacks))
                    }
                    warned = {w.contract for w in answer.warnings if _says(w, cell)}
                    assert warned == pencilled, (answer.title, cell)


def _says(warning: object, cell: Cell) -> bool:
    """Whether a warning's box holds a cell-day."""
    box = warning.box  # type: ignore[attr-defined]
    return (
        cell.title in box.titles
        and bool(box.media & LEAF_BIT[cell.medium])
        and bool(box.territories & COUNTRY_BIT[cell.country])
        and box.languages.contains(cell.language)
        and box.start <= cell.day < box.end
    )


@settings(max_examples=80, deadline=None)
@given(books(), searches(), st.sampled_from(("a", "b", "c")))
def test_the_next_window_is_the_first_run_of_available_days_from_start(
    contracts, request, title
) -> None:
    book = RightsBook(SERIES, contracts)
    found = next_window(book, request, [title])
    open_ended = replace(request, end=FOREVER)
    expected, _ = oracle_days(contracts, SERIES, title, open_ended)
    if not expected:
        assert found is None
        return
    run = min(expected)
    while run in expected:
        run += 1
    assert found == Window(min(expected), FOREVER if run >= HORIZON else run)


# -- a rights desk ------------------------------------------------------------------------

MEDIA_CODES, GEO = MediaTaxonomy(), Geography()
LIBRARY = Catalog(
    [
        Title("amelie", "Amélie"),
        Title("oldboy", "Oldboy"),
        Title("parasite", "Parasite"),
        Title("roma", "Roma"),
        Title("shoplifters", "Shoplifters"),
        Title("kingdom", "Kingdom", "series"),
        Title("kingdom-s1", "Kingdom Season 1", "season", parent="kingdom"),
        Title("kingdom-s1e1", "Episode 1", "episode", parent="kingdom-s1"),
        Title("kingdom-s1e2", "Episode 2", "episode", parent="kingdom-s1"),
        Title(
            "arthouse",
            "Arthouse library",
            "collection",
            members=("amelie", "oldboy", "parasite", "roma", "shoplifters", "kingdom"),
        ),
    ]
)


def _d(text: str) -> DateBound:
    return DateBound(date.fromisoformat(text))


def desk() -> RightsBook:
    everything = MEDIA_CODES.parse("ALL_MEDIA")
    svod = MEDIA_CODES.parse("SVOD")
    return RightsBook(
        LIBRARY,
        [
            Contract(
                "owns-library",
                None,
                "atlas",
                grants=(
                    Grant(
                        ("amelie", "oldboy", "parasite", "shoplifters", "kingdom"),
                        everything,
                        WORLD,
                        start=_d("2000-01-01"),
                    ),
                    # Roma's rights revert to its producer at the end of June 2027.
                    Grant(
                        ("roma",), everything, WORLD, start=_d("2000-01-01"), end=_d("2027-06-30")
                    ),
                ),
            ),
            Contract(
                "netflix-latam",
                "atlas",
                "netflix",
                grants=(
                    Grant(
                        ("oldboy",),
                        svod,
                        GEO.parse("BR, MX"),
                        exclusive=True,
                        start=_d("2026-01-01"),
                        end=_d("2027-03-31"),
                    ),
                ),
            ),
            Contract(
                "globo-episode",
                "atlas",
                "globo",
                grants=(
                    Grant(
                        ("kingdom-s1e2",),
                        svod,
                        GEO.parse("BR"),
                        exclusive=True,
                        start=_d("2027-09-01"),
                        end=_d("2028-08-31"),
                    ),
                ),
            ),
            Contract(
                "claro-pencil",
                "atlas",
                "claro",
                status="hold",
                grants=(
                    Grant(
                        ("parasite",),
                        svod,
                        GEO.parse("CO"),
                        exclusive=True,
                        start=_d("2027-01-01"),
                        end=_d("2027-12-31"),
                    ),
                ),
            ),
            Contract(
                "amelie-holdback",
                "atlas",
                "canal",
                grants=(Grant(("amelie",), MEDIA_CODES.parse("PAY_TV"), GEO.parse("FR")),),
                holdbacks=(
                    Holdback(
                        ("amelie",),
                        MEDIA_CODES.parse("STREAMING"),
                        GEO.parse("SOUTH_AMERICA"),
                        start=_d("2027-10-01"),
                        end=_d("2027-10-31"),
                    ),
                ),
            ),
        ],
    )


def latam_2027(match: str = "cover", min_days: int = 1, exclusive: bool = True) -> SearchRequest:
    return SearchRequest.of(
        "atlas",
        MEDIA_CODES.parse("SVOD"),
        GEO.parse("LATIN_AMERICA_AND_THE_CARIBBEAN"),
        date(2027, 1, 1),
        date(2027, 12, 31),
        exclusive=exclusive,
    ).with_match(match, min_days)


def iso(window: object) -> tuple[str, str | None]:
    out = window.to_json()  # type: ignore[attr-defined]
    return out["start"], out["end"]


def test_the_desk_sees_what_it_can_sell_for_the_whole_year() -> None:
    found = search(desk(), latam_2027(), candidates(LIBRARY))
    # Oldboy is sold in BR/MX until March, Roma reverts in June, Amélie has a holdback in
    # October, an episode of Kingdom is sold in Brazil from September (so the series, its
    # season and that episode fail); Parasite is only pencilled in: it stays, with a warning.
    assert [t.title for t in found] == ["kingdom-s1e1", "parasite", "shoplifters"]
    whole_year = [("2027-01-01", "2027-12-31")]
    assert [[iso(w) for w in t.windows] for t in found] == [whole_year] * 3
    assert [t.first_available for t in found] == [date(2027, 1, 1).toordinal()] * 3
    assert [t.warnings for t in found if t.title != "parasite"] == [(), ()]
    # the hold pencils in Colombia, SVOD, every language, the whole year: said exactly
    (held,) = found[1].warnings
    assert held.to_json() == {
        "code": "held-for-negotiation",
        "contract": "claro-pencil",
        "titles": ["parasite"],
        "media": ["SVOD"],
        "territories": ["CO"],
        "languages": "all",
        "start": "2027-01-01",
        "end": "2027-12-31",
    }


def test_minimum_days_finds_the_partial_windows() -> None:
    found = {t.title: t for t in search(desk(), latam_2027("min-days", 180), candidates(LIBRARY))}
    assert [iso(w) for w in found["oldboy"].windows] == [("2027-04-01", "2027-12-31")]
    assert [iso(w) for w in found["roma"].windows] == [("2027-01-01", "2027-06-30")]
    assert [iso(w) for w in found["amelie"].windows] == [
        ("2027-01-01", "2027-09-30"),
        ("2027-11-01", "2027-12-31"),
    ]
    assert [iso(w) for w in found["kingdom"].windows] == [("2027-01-01", "2027-08-31")]
    assert found["amelie"].first_available == date(2027, 1, 1).toordinal()
    assert found["oldboy"].first_available == date(2027, 4, 1).toordinal()
    # every title with a run of 180 days, and only those (the season and the sold episode
    # share the series' window; the free episode has the whole year)
    assert sorted(found) == [
        "amelie",
        "kingdom",
        "kingdom-s1",
        "kingdom-s1e1",
        "kingdom-s1e2",
        "oldboy",
        "parasite",
        "roma",
        "shoplifters",
    ]
    # Roma's first half is 181 days; a longer minimum drops it.
    longer = search(desk(), latam_2027("min-days", 182), candidates(LIBRARY))
    assert {t.title for t in longer} == set(found) - {"roma"}


def test_overlap_keeps_titles_with_any_free_cell_day() -> None:
    titles = {t.title for t in search(desk(), latam_2027("overlap"), candidates(LIBRARY))}
    assert titles == set(candidates(LIBRARY))


def test_narrowing_by_kind_and_by_a_series() -> None:
    assert candidates(LIBRARY, kinds=["series", "season"]) == ["kingdom", "kingdom-s1"]
    assert candidates(LIBRARY, within="kingdom") == ["kingdom-s1", "kingdom-s1e1", "kingdom-s1e2"]
    # a collection's members, with all a series among them covers; never itself
    assert candidates(LIBRARY, within="arthouse") == [
        "amelie",
        "kingdom",
        "kingdom-s1",
        "kingdom-s1e1",
        "kingdom-s1e2",
        "oldboy",
        "parasite",
        "roma",
        "shoplifters",
    ]
    assert candidates(LIBRARY, kinds=["episode"], within="arthouse") == [
        "kingdom-s1e1",
        "kingdom-s1e2",
    ]


def test_the_next_window_after_a_sale_and_after_the_rights_end() -> None:
    book = desk()
    ask = latam_2027()
    # Oldboy: free in all of LATAM once Netflix's Brazil and Mexico end, for good
    assert next_window(book, ask, ["oldboy"]) == Window(date(2027, 4, 1).toordinal(), FOREVER)
    # Roma: free now, until its rights revert
    assert next_window(book, ask, ["roma"]) == Window(
        date(2027, 1, 1).toordinal(), date(2027, 7, 1).toordinal()
    )
    # both at once: only while both are free
    assert next_window(book, ask, ["oldboy", "roma"]) == Window(
        date(2027, 4, 1).toordinal(), date(2027, 7, 1).toordinal()
    )
    later = SearchRequest.of(
        "atlas", ask.media, ask.territories, date(2027, 7, 1), None, exclusive=True
    )
    assert next_window(book, later, ["roma"]) is None  # never within the rights held


def test_an_exclusive_request_ignores_a_non_exclusive_holding_and_sale() -> None:
    book = RightsBook(
        LIBRARY,
        [
            Contract("own", None, "atlas", grants=(Grant(("roma",), 1 << 5, WORLD),)),
            Contract(
                "resale",
                "atlas",
                "mubi",
                grants=(Grant(("roma",), 1 << 5, GEO.parse("MX"), start=_d("2027-02-01")),),
            ),
        ],
    )
    exclusive = latam_2027("cover", exclusive=True)
    shared = latam_2027("cover", exclusive=False)
    assert [t.title for t in search(book, shared, ["roma"])] == ["roma"]
    windows = all_windows(book, exclusive, ["roma"])[0].windows
    assert [iso(w) for w in windows] == [("2027-01-01", "2027-01-31")]


def test_rights_acquired_piece_by_piece_add_up_to_a_window() -> None:
    svod = MEDIA_CODES.parse("SVOD")
    en = LanguageSet.of(["en"])
    book = RightsBook(
        LIBRARY,
        [
            Contract("own-br", None, "atlas", grants=(Grant(("roma",), svod, GEO.parse("BR")),)),
            Contract(
                "own-mx-english",
                None,
                "atlas",
                grants=(Grant(("roma",), svod, GEO.parse("MX"), en, start=_d("2027-03-01")),),
            ),
            Contract(
                "own-mx-other",
                None,
                "atlas",
                grants=(Grant(("roma",), svod, GEO.parse("MX"), ~en, end=_d("2027-10-31")),),
            ),
        ],
    )
    ask = SearchRequest.of("atlas", svod, GEO.parse("BR, MX"), date(2027, 1, 1), None)
    windows = all_windows(book, ask, ["roma"])[0].windows
    # Mexico in every language only from March (English) to October (the rest).
    assert [iso(w) for w in windows] == [("2027-03-01", "2027-10-31")]
