"""Hypothesis strategies for small random universes of titles, media, territories,
languages and days, and a brute-force oracle that decides avails cell by cell, day by day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import strategies as st

from reelrights.domain.contracts import Contract, Grant, Holdback
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.media import LEAF_BIT
from reelrights.domain.terms import DateBound
from reelrights.domain.territories import COUNTRY_BIT
from reelrights.domain.titles import Catalog, Title
from reelrights.engine import AvailsRequest
from reelrights.engine.avails import ALREADY_OWNED, REASONS

BASE = date(2020, 1, 1)
DAYS = 40  # records live inside days 0..35; day 39 stands for every later day
TITLES = ("a", "b", "c")
MEDIA = ("SVOD", "AVOD", "PAY_TV")
COUNTRIES = ("CN", "HK", "KR")
LANGUAGES = ("en", "fr", "de")  # records name only en and fr: de stands for all others
PARTIES = ("p", "q", "r")


def day(n: int) -> date:
    return BASE + timedelta(days=n)


# Release dates for release-relative terms (docs/semantics.md rule 8): "a" is released on
# day 6 but on day 14 in KR; "b" on day 10 everywhere; "c" only in HK (day 3), so a
# relative term on "c" covers nothing in CN or KR.
CATALOG = Catalog(
    [
        Title("a", "A", release=day(6), releases={"KR": day(14)}),
        Title("b", "B", release=day(10)),
        Title("c", "C", releases={"HK": day(3)}),
        Title("ab", "AB", "collection", members=("a", "b")),
    ]
)


def mask(codes: tuple[str, ...], bits: dict[str, int]) -> int:
    out = 0
    for code in codes:
        out |= bits[code]
    return out


subsets = lambda items: st.lists(st.sampled_from(items), min_size=1, unique=True).map(tuple)  # noqa: E731
language_sets = st.sampled_from(
    [
        ALL_LANGUAGES,
        LanguageSet.of(["en"]),
        LanguageSet.of(["fr"]),
        LanguageSet.of(["en", "fr"]),
        ~LanguageSet.of(["en"]),
    ]
)


@st.composite
def terms(draw: st.DrawFn) -> tuple[DateBound | None, DateBound | None]:
    """Fixed days, open ends, and one term in four relative to the titles' releases
    (``release-3d`` to ``release+2w``, either bound or both)."""
    start = draw(st.one_of(st.none(), st.integers(0, 34)))
    length = draw(st.one_of(st.none(), st.integers(0, 20)))
    first = None if start is None else DateBound(day(start))
    last = None if length is None else DateBound(day(min((start or 0) + length, 35)))
    if draw(st.integers(0, 3)) == 0:
        offset, unit = draw(
            st.one_of(
                st.tuples(st.integers(-3, 14), st.just("d")),
                st.tuples(st.integers(0, 2), st.just("w")),
            )
        )
        relative = DateBound(None, offset, unit)
        length = draw(st.one_of(st.none(), st.integers(0, 14)))
        span = (
            None if length is None else DateBound(None, offset * (7 if unit == "w" else 1) + length)
        )
        first, last = draw(
            st.sampled_from([(relative, span), (relative, last), (first, span), (relative, None)])
        )
    return first, last


@st.composite
def rights(draw: st.DrawFn, grant: bool) -> Grant | Holdback:
    titles = draw(subsets(("a", "b", "c", "ab")))
    media = mask(draw(subsets(MEDIA)), LEAF_BIT)
    territories = mask(draw(subsets(COUNTRIES)), COUNTRY_BIT)
    languages = draw(language_sets)
    start, end = draw(terms())
    if grant:
        return Grant(
            titles,
            media,
            territories,
            languages,
            start,
            end,
            draw(st.booleans()),
            draw(st.booleans()),
        )
    return Holdback(titles, media, territories, languages, start, end)


@st.composite
def overlapping_grants(draw: st.DrawFn) -> tuple[Grant, Grant]:
    """Two grants of one contract that overlap, one exclusive and one not, in either order:
    the second covers the first's titles, media, countries, languages and days and may
    reach further (exclusive SVOD beside non-exclusive SVOD + AVOD, say)."""
    first = draw(rights(True))
    assert isinstance(first, Grant)
    second = Grant(
        tuple(sorted({*first.titles, *draw(st.lists(st.sampled_from(("a", "b", "c", "ab"))))})),
        first.media | mask(tuple(draw(st.lists(st.sampled_from(MEDIA)))), LEAF_BIT),
        first.territories | mask(tuple(draw(st.lists(st.sampled_from(COUNTRIES)))), COUNTRY_BIT),
        draw(st.sampled_from((first.languages, ALL_LANGUAGES))),
        draw(st.sampled_from((first.start, None))),
        draw(st.sampled_from((first.end, None))),
        not first.exclusive,
        draw(st.booleans()),
    )
    return (first, second) if draw(st.booleans()) else (second, first)


@st.composite
def contracts(draw: st.DrawFn, contract_id: str) -> Contract:
    licensor = draw(st.sampled_from((None, "p", "p", "p", "q", "r")))
    licensee = draw(st.sampled_from([p for p in PARTIES if p != licensor]))
    status = draw(
        st.sampled_from(("executed", "executed", "executed", "draft", "hold", "terminated"))
    )
    terminated = (
        draw(st.one_of(st.none(), st.integers(0, 36).map(day))) if status == "terminated" else None
    )
    grants = tuple(
        draw(st.one_of(st.lists(rights(True), min_size=1, max_size=2), overlapping_grants()))
    )
    holdbacks = () if licensor is None else tuple(draw(st.lists(rights(False), max_size=1)))
    return Contract(
        contract_id,
        licensor,
        licensee,
        status,
        None,
        terminated,
        grants=grants,
        holdbacks=holdbacks,
    )


@st.composite
def books(draw: st.DrawFn, max_contracts: int = 6) -> list[Contract]:
    n = draw(st.integers(1, max_contracts))
    ids = draw(
        st.lists(st.sampled_from([f"k{i}" for i in range(20)]), min_size=n, max_size=n, unique=True)
    )
    book = [draw(contracts(cid)) for cid in ids]
    if draw(st.integers(0, 4)):  # usually someone owns most of the universe
        owner = draw(st.sampled_from(("p", "p", "q")))
        start, _ = draw(terms())
        book.insert(
            0,
            Contract(
                draw(st.sampled_from(("own", "k0", "z"))),
                None,
                owner,
                grants=(
                    Grant(
                        ("a", "b", "c"),
                        mask(MEDIA, LEAF_BIT),
                        mask(COUNTRIES, COUNTRY_BIT),
                        ALL_LANGUAGES,
                        start,
                        None,
                    ),
                ),
            ),
        )
        seen = set()
        book = [c for c in book if not (c.id in seen or seen.add(c.id))]
    return book


@st.composite
def requests(draw: st.DrawFn) -> AvailsRequest:
    start = draw(st.integers(0, 38))
    end = draw(st.one_of(st.none(), st.integers(start, 38)))
    return AvailsRequest.of(
        draw(st.sampled_from(("p", "p", "q", "r"))),
        draw(subsets(("a", "b", "c", "ab"))),
        mask(draw(subsets(MEDIA)), LEAF_BIT),
        mask(draw(subsets(COUNTRIES)), COUNTRY_BIT),
        day(start),
        None if end is None else day(end),
        draw(language_sets),
        draw(st.booleans()),
    )


# -- the oracle ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    title: str
    medium: str
    country: str
    language: str
    day: int  # ordinal


def days_of(
    item: Grant | Holdback, title: str, country: str, catalog: Catalog = CATALOG
) -> tuple[int, int] | None:
    """The [first, last) day ordinals of an item's term for one title in one country: a
    relative bound counts from the title's release there (its per-country release, else
    its release); None when a relative bound has no release to count from."""
    release, releases = catalog.release_of(title)
    release = releases.get(country, release)
    start, end = -(10**9), 10**9
    if item.start is not None:
        first = item.start.resolve(release)
        if first is None:
            return None
        start = first.toordinal()
    if item.end is not None:
        last = item.end.resolve(release)
        if last is None:
            return None
        end = last.toordinal() + 1
    return start, end


def covers(item: Grant | Holdback, cell: Cell, until: int, catalog: Catalog = CATALOG) -> bool:
    if not (
        cell.title in catalog.expand(item.titles)
        and bool(item.media & LEAF_BIT[cell.medium])
        and bool(item.territories & COUNTRY_BIT[cell.country])
        and item.languages.contains(cell.language)
    ):
        return False
    term = days_of(item, cell.title, cell.country, catalog)
    return term is not None and term[0] <= cell.day < min(term[1], until)


def in_force_until(contract: Contract) -> int | None:
    """None: not in force at all."""
    if contract.status == "executed":
        return 10**9
    if contract.status == "terminated" and contract.terminated is not None:
        return contract.terminated.toordinal()
    return None


def oracle(
    book: list[Contract], licensor: str, exclusive: bool, cell: Cell, catalog: Catalog = CATALOG
) -> tuple[str | None, str | None]:
    """(reason, contract) for one cell-day, straight from docs/semantics.md rules 1-4."""
    held_exclusively = held_shared = False
    blockers: dict[str, list[str]] = {r: [] for r in REASONS}
    for c in book:
        until = in_force_until(c)
        if until is None:
            continue
        for g in c.grants:
            if not covers(g, cell, until, catalog):
                continue
            if c.licensee == licensor and (c.licensor is None or g.sublicense):
                if c.licensor is None or g.exclusive:
                    held_exclusively = True
                else:
                    held_shared = True
            if c.licensor == licensor:
                blockers["exclusive-license" if g.exclusive else "non-exclusive-license"].append(
                    c.id
                )
        for h in c.holdbacks:
            if c.licensor == licensor and covers(h, cell, until, catalog):
                blockers["holdback"].append(c.id)
    if not held_exclusively and not held_shared:
        return "not-held", None
    if exclusive and not held_exclusively:
        return "held-non-exclusively", None
    for reason in ("exclusive-license", "holdback", "non-exclusive-license"):
        if reason == "non-exclusive-license" and not exclusive:
            continue
        if blockers[reason]:
            return reason, min(blockers[reason])
    return None, None


def oracle_warnings(book: list[Contract], licensor: str, cell: Cell) -> set[str]:
    """The holds that warn on one cell-day (docs/semantics.md rule 7): contracts on hold
    from ``licensor`` whose grants or holdbacks cover the cell, whatever the request's
    exclusivity and whatever the answer."""
    return {
        c.id
        for c in book
        if c.status == "hold"
        and c.licensor == licensor
        and any(covers(item, cell, 10**9) for item in (*c.grants, *c.holdbacks))
    }


def check_oracle(
    book: list[Contract], contract: Contract, grant: Grant, cell: Cell
) -> tuple[str | None, str | None]:
    """(reason, contract) for one cell-day of one of ``contract``'s grants, as checking the
    contract must find it (docs/semantics.md rule 6): against the book *without* the
    contract, never against its own other grants. A grant is its licensor's avails
    request (exclusive if the grant is); an ownership record's grant is blocked by the
    first other in-force ownership record covering the cell."""
    others = [c for c in book if c.id != contract.id]
    if contract.licensor is not None:
        return oracle(others, contract.licensor, grant.exclusive, cell)
    owners = sorted(
        c.id
        for c in others
        if c.licensor is None
        and (until := in_force_until(c)) is not None
        and any(covers(g, cell, until) for g in c.grants)
    )
    return (ALREADY_OWNED, owners[0]) if owners else (None, None)


def grant_cells(grant: Grant, until: int) -> list[Cell]:
    """The cell-days a grant covers in the universe, clipped to ``until`` (an ordinal), its
    relative terms resolved per title and country; day -1 stands for every day before the
    universe's records begin."""
    return [
        cell
        for t in sorted(CATALOG.expand(grant.titles))
        for m in MEDIA
        if grant.media & LEAF_BIT[m]
        for c in COUNTRIES
        if grant.territories & COUNTRY_BIT[c]
        for lang in LANGUAGES
        if grant.languages.contains(lang)
        for d in range(day(-1).toordinal(), day(DAYS).toordinal())
        if covers(grant, cell := Cell(t, m, c, lang, d), until)
    ]


def cells_of(request: AvailsRequest) -> list[Cell]:
    last = min(request.end, day(DAYS).toordinal())
    return [
        Cell(t, m, c, lang, d)
        for t in sorted(CATALOG.expand(request.titles))
        for m in MEDIA
        if request.media & LEAF_BIT[m]
        for c in COUNTRIES
        if request.territories & COUNTRY_BIT[c]
        for lang in LANGUAGES
        if request.languages.contains(lang)
        for d in range(request.start, last)
    ]
