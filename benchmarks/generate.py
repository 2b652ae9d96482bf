"""A deterministic, plausible, conflict-free synthetic catalog for the benchmarks.

10,000 titles (films, series with seasons and episodes, collections), 200 parties (40
studios owning the titles, 160 platforms), one ownership record per film and series, and N
licenses: most cover 1-30 territories (often an M49 region or a custom group) and 1-5
media, terms of 1-7 years between 2000 and 2040, about 20% exclusive with some able to
sublicense, chains of sublicenses inside their parent's rights, some holdbacks and holds.
The generator tracks what each licensor has given per title, so every executed contract
it emits is one the engine accepts: a benchmark load rejects nothing.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from reelrights.domain.contracts import Contract, Grant, Holdback, Party
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.media import LEAF_BIT, LEAVES, MediaTaxonomy
from reelrights.domain.terms import DateBound
from reelrights.domain.territories import COUNTRIES, Geography, countries_of
from reelrights.domain.titles import Title
from reelrights.formats.sheet import DealSheet

MEDIA_GROUPS = ("STREAMING", "TELEVISION", "HOME_ENTERTAINMENT", "ONLINE")
REGIONS = (
    "EASTERN_ASIA",
    "SOUTH_EASTERN_ASIA",
    "SOUTHERN_ASIA",
    "WESTERN_EUROPE",
    "NORTHERN_EUROPE",
    "SOUTHERN_EUROPE",
    "EASTERN_EUROPE",
    "NORTHERN_AMERICA",
    "SOUTH_AMERICA",
    "CENTRAL_AMERICA",
    "CARIBBEAN",
    "WESTERN_ASIA",
    "NORTHERN_AFRICA",
    "AUSTRALIA_AND_NEW_ZEALAND",
    "WESTERN_AFRICA",
    "EASTERN_AFRICA",
    "CENTRAL_ASIA",
)
CUSTOM_GROUPS = {
    "greater-china": ["CN", "HK", "MO", "TW"],
    "dach": ["DE", "AT", "CH"],
    "benelux": ["BE", "NL", "LU"],
    "nordics": ["DK", "FI", "IS", "NO", "SE"],
    "anz": ["AU", "NZ"],
    "latam-majors": ["AR", "BR", "CL", "CO", "MX", "PE"],
}
LANGUAGES = ("en", "fr", "es", "de", "zh", "ko", "ja")
START, END = date(2000, 1, 1).toordinal(), date(2041, 1, 1).toordinal()


@dataclass
class Catalog:
    """What the generator made."""

    parties: list[Party] = field(default_factory=list)
    titles: list[Title] = field(default_factory=list)
    ownerships: list[Contract] = field(default_factory=list)
    licenses: list[Contract] = field(default_factory=list)
    territory_groups: dict[str, list[str]] = field(default_factory=dict)
    owner_of: dict[str, str] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)  # films and series: the licensable units

    @property
    def contracts(self) -> list[Contract]:
        return self.ownerships + self.licenses

    def sheet(self, contracts: list[Contract] | None = None) -> DealSheet:
        """The whole catalog as one deal sheet, as the benchmarks load it (``contracts``
        instead of the generated ones, e.g. with money terms added)."""
        return DealSheet(
            "generated",
            parties=self.parties,
            titles=self.titles,
            territory_groups=self.territory_groups,
            contracts=self.contracts if contracts is None else contracts,
        )


Box = tuple[int, int, LanguageSet, int, int]


def _overlaps(a: Box, b: Box) -> bool:
    return (
        a[3] < b[4]
        and b[3] < a[4]
        and bool(a[0] & b[0])
        and bool(a[1] & b[1])
        and bool(a[2] & b[2])
    )


class _Ledger:
    """What each licensor gave per title: (box, blocks everything?) pairs."""

    def __init__(self) -> None:
        self.given: dict[tuple[str, str], list[tuple[Box, bool]]] = defaultdict(list)

    def fits(self, licensor: str, titles: list[str], box: Box, exclusive: bool) -> bool:
        for title in titles:
            for other, blocking in self.given.get((licensor, title), ()):
                if (exclusive or blocking) and _overlaps(box, other):
                    return False
        return True

    def record(self, licensor: str, titles: list[str], box: Box, blocking: bool) -> None:
        for title in titles:
            self.given[(licensor, title)].append((box, blocking))


def generate(
    n_licenses: int, n_titles: int = 10_000, n_parties: int = 200, seed: int = 2026
) -> Catalog:
    """A catalog with ``n_titles`` titles and ``n_licenses`` license contracts."""
    rng = random.Random(seed)
    media = MediaTaxonomy()
    geo = Geography(CUSTOM_GROUPS)
    out = Catalog(territory_groups=dict(CUSTOM_GROUPS))
    n_studios = max(2, n_parties // 5)
    studios = [f"studio-{i:03d}" for i in range(n_studios)]
    platforms = [f"platform-{i:03d}" for i in range(n_parties - n_studios)]
    out.parties = [Party(p, p.replace("-", " ").title()) for p in studios + platforms]

    # Titles: series (1 + 2 seasons x 6 episodes), collections, and films for the rest.
    n_series = n_titles // 65
    n_collections = n_titles // 100
    release: dict[str, date] = {}
    for i in range(n_series):
        sid = f"series-{i:05d}"
        day = date(rng.randint(1995, 2034), rng.randint(1, 12), rng.randint(1, 28))
        out.titles.append(Title(sid, f"Series {i}", "series", day.year, day))
        release[sid] = day
        for season in (1, 2):
            season_id = f"{sid}-s{season}"
            out.titles.append(Title(season_id, f"Series {i} season {season}", "season", parent=sid))
            for episode in range(1, 7):
                out.titles.append(
                    Title(
                        f"{season_id}e{episode}", f"Episode {episode}", "episode", parent=season_id
                    )
                )
        out.roots.append(sid)
    n_films = n_titles - len(out.titles) - n_collections
    for i in range(n_films):
        fid = f"film-{i:05d}"
        day = date(rng.randint(1995, 2034), rng.randint(1, 12), rng.randint(1, 28))
        out.titles.append(
            Title(fid, f"Film {i}", "film", day.year, day, external_ids={"imdb": f"tt8{i:06d}"})
        )
        release[fid] = day
        out.roots.append(fid)
    for root in out.roots:
        out.owner_of[root] = rng.choice(studios)
    films_by_studio: dict[str, list[str]] = defaultdict(list)
    for root in out.roots:
        if root.startswith("film-"):
            films_by_studio[out.owner_of[root]].append(root)
    collections: list[tuple[str, list[str]]] = []
    for i in range(n_collections):
        studio = rng.choice(studios)
        pool = films_by_studio[studio]
        members = sorted(rng.sample(pool, min(len(pool), rng.randint(5, 25))))
        cid = f"collection-{i:04d}"
        out.titles.append(
            Title(cid, f"{studio} library package {i}", "collection", members=tuple(members))
        )
        collections.append((cid, members))
        out.owner_of[cid] = studio

    # Ownership: each film and series, worldwide, all media, from a year before release.
    for root in out.roots:
        start = date(max(1990, release[root].year - 1), 1, 1)
        out.ownerships.append(
            Contract(
                f"own-{root}",
                None,
                out.owner_of[root],
                "executed",
                start,
                grants=(
                    Grant(
                        (root,),
                        media.parse("ALL_MEDIA"),
                        geo.parse("WORLD"),
                        start=DateBound(start),
                    ),
                ),
            )
        )
    owned_from = {
        root: date(max(1990, release[root].year - 1), 1, 1).toordinal() for root in out.roots
    }

    ledger = _Ledger()
    sublicensable: list[tuple[str, str, Box]] = []  # (platform, root, box)
    serial = 0
    attempts = 0
    while len(out.licenses) < n_licenses and attempts < n_licenses * 20:
        attempts += 1
        roll = rng.random()
        if roll < 0.05 and sublicensable:
            platform, root, parent = rng.choice(sublicensable)
            m, x, lang, s, e = parent
            leaves = [b for b in LEAF_BIT.values() if m & b]
            countries = countries_of(x)
            sub_m = 0
            for bit in rng.sample(leaves, rng.randint(1, len(leaves))):
                sub_m |= bit
            picked = rng.sample(countries, rng.randint(1, min(len(countries), 5)))
            sub_x = geo.parse(picked)
            sub_s = rng.randint(s, e - 1)
            sub_e = rng.randint(sub_s + 1, e)
            box: Box = (sub_m, sub_x, lang, sub_s, sub_e)
            exclusive = rng.random() < 0.2
            if not ledger.fits(platform, [root], box, exclusive):
                continue
            licensor, titles, refs = platform, [root], (root,)
        else:
            if roll < 0.08 and collections:
                ref, members = rng.choice(collections)
                titles, refs = members, (ref,)
                licensor = out.owner_of[ref]
                first = max(owned_from[t] for t in titles)
            else:
                root = rng.choice(out.roots)
                titles, refs = [root], (root,)
                licensor = out.owner_of[root]
                first = owned_from[root]
            if rng.random() < 0.5:
                m = media.parse([rng.choice(MEDIA_GROUPS)])
            else:
                m = media.parse(rng.sample(LEAVES, rng.randint(1, 5)))
            kind = rng.random()
            if kind < 0.5:
                x = geo.parse([rng.choice(REGIONS)])
            elif kind < 0.7:
                x = geo.parse([rng.choice(sorted(CUSTOM_GROUPS))])
            else:
                x = geo.parse(rng.sample(COUNTRIES, rng.randint(1, 30)))
            lang = (
                ALL_LANGUAGES
                if rng.random() < 0.9
                else LanguageSet.of(rng.sample(LANGUAGES, rng.randint(1, 2)))
            )
            s = max(first, rng.randint(START, END - 366))
            s = date.fromordinal(s).replace(day=1).toordinal()
            if s < first:
                s = first
            years = rng.randint(1, 7)
            e = min(
                END, date.fromordinal(s).replace(year=date.fromordinal(s).year + years).toordinal()
            )
            if e <= s:
                continue
            box = (m, x, lang, s, e)
            exclusive = rng.random() < 0.2
            if not ledger.fits(licensor, titles, box, exclusive):
                continue
        serial += 1
        status = "hold" if rng.random() < 0.02 else "executed"
        pool = platforms[:40] if rng.random() < 0.7 else platforms
        licensee = rng.choice([p for p in pool if p != licensor])
        sublicense = exclusive and licensor.startswith("studio") and rng.random() < 0.3
        grant = Grant(
            refs,
            box[0],
            box[1],
            box[2],
            DateBound(date.fromordinal(box[3])),
            DateBound(date.fromordinal(box[4] - 1)),
            exclusive,
            sublicense,
        )
        holdbacks: tuple[Holdback, ...] = ()
        if status == "executed":
            ledger.record(licensor, titles, box, exclusive)
            if sublicense and len(titles) == 1:
                sublicensable.append((licensee, titles[0], box))
            if rng.random() < 0.05:
                hold_box: Box = (
                    media.parse(["FREE_TV"]),
                    box[1],
                    ALL_LANGUAGES,
                    box[3],
                    min(box[4], box[3] + 365),
                )
                if ledger.fits(licensor, titles, hold_box, True):
                    ledger.record(licensor, titles, hold_box, True)
                    holdbacks = (
                        Holdback(
                            refs,
                            hold_box[0],
                            hold_box[1],
                            ALL_LANGUAGES,
                            DateBound(date.fromordinal(hold_box[3])),
                            DateBound(date.fromordinal(hold_box[4] - 1)),
                        ),
                    )
        out.licenses.append(
            Contract(
                f"lic-{serial:07d}",
                licensor,
                licensee,
                status,
                date.fromordinal(box[3]),
                grants=(grant,),
                holdbacks=holdbacks,
            )
        )
    return out
