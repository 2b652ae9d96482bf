"""The baseline: how a competent team would answer avails without an engine.

One SQLite row per (title, medium, territory) cell per grant or holdback, with composite
B-tree indexes; a question is one indexed query, then Python cuts each cell's timeline
into intervals by the rules of DESIGN.md and groups equal outcomes. Writes check for
conflicting rows with one query and insert the cells, in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from reelrights.domain.contracts import Contract
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.media import LEAVES, leaves_of
from reelrights.domain.terms import DAWN, FOREVER
from reelrights.domain.territories import countries_of
from reelrights.domain.titles import Catalog

SCHEMA = """
CREATE TABLE IF NOT EXISTS cells (
    title TEXT NOT NULL, medium TEXT NOT NULL, territory TEXT NOT NULL,
    contract TEXT NOT NULL, licensor TEXT, licensee TEXT NOT NULL,
    holdback INTEGER NOT NULL, exclusive INTEGER NOT NULL, sublicense INTEGER NOT NULL,
    hold INTEGER NOT NULL, languages TEXT NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS cells_by_title ON cells (title, medium, territory, start);
CREATE INDEX IF NOT EXISTS cells_by_medium ON cells (medium, territory, start);
"""
REASONS = (
    "not-held",
    "held-non-exclusively",
    "exclusive-license",
    "holdback",
    "non-exclusive-license",
)


def _languages_text(languages: LanguageSet) -> str:
    if languages == ALL_LANGUAGES:
        return "*"
    return ("-" if languages.negated else "+") + ",".join(sorted(languages.codes))


def _languages_of(text: str) -> LanguageSet:
    if text == "*":
        return ALL_LANGUAGES
    codes = frozenset(c for c in text[1:].split(",") if c)
    return LanguageSet(text[0] == "-", codes)


class Baseline:
    """The cell-per-row store."""

    def __init__(self, path: str, catalog: Catalog) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        self.catalog = catalog

    def cell_rows(self, contract: Contract, until: int | None = None) -> Iterator[tuple[Any, ...]]:
        """The rows of a contract (absolute terms only: the generator makes no others)."""
        end_cap = contract.in_force_until() if until is None else until
        for item in contract.rights:
            start = item.start.day.toordinal() if item.start and item.start.day else DAWN
            end = item.end.day.toordinal() + 1 if item.end and item.end.day else FOREVER
            end = min(end, end_cap)
            holdback = not hasattr(item, "exclusive")
            exclusive = int(getattr(item, "exclusive", False))
            sublicense = int(getattr(item, "sublicense", False))
            languages = _languages_text(item.languages)
            media = leaves_of(item.media)
            countries = countries_of(item.territories)
            for title in self.catalog.expand(item.titles):
                for medium in media:
                    for country in countries:
                        yield (
                            title,
                            medium,
                            country,
                            contract.id,
                            contract.licensor,
                            contract.licensee,
                            int(holdback),
                            exclusive,
                            sublicense,
                            int(contract.status == "hold"),
                            languages,
                            start,
                            end,
                        )

    def load(self, contracts: Iterable[Contract]) -> int:
        """Bulk-load contracts (already known to be conflict-free); the number of rows."""
        rows = 0
        self.db.execute("BEGIN")
        batch: list[tuple[Any, ...]] = []
        for contract in contracts:
            if not (contract.in_force() or contract.status == "hold"):
                continue
            batch.extend(self.cell_rows(contract))
            if len(batch) > 100_000:
                self.db.executemany("INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
                rows += len(batch)
                batch = []
        self.db.executemany("INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
        rows += len(batch)
        self.db.execute("COMMIT")
        self.db.executescript(INDEXES)
        self.db.execute("ANALYZE")
        return rows

    # -- questions -----------------------------------------------------------------------

    def avails(
        self,
        licensor: str,
        titles: list[str],
        media: int,
        territories: int,
        languages: LanguageSet,
        start: int,
        end: int,
        exclusive: bool,
    ) -> dict[tuple[Any, ...], list[str]]:
        """``{(medium, territory, languages, start, end, reason, contract): [titles]}``;
        reason ``None`` for available."""
        expanded = sorted(self.catalog.expand(titles))
        media_codes = leaves_of(media)
        countries = countries_of(territories)
        rows = self._rows(licensor, expanded, media_codes, countries, start, end)
        by_cell: dict[tuple[str, str, str], list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            by_cell[(row[0], row[1], row[2])].append(row)
        out: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        for title in expanded:
            for medium in media_codes:
                for country in countries:
                    cell_rows = by_cell.get((title, medium, country))
                    if not cell_rows:
                        out[(medium, country, languages, start, end, "not-held", None)].append(
                            title
                        )
                        continue
                    for piece in _cut(cell_rows, licensor, languages, start, end, exclusive):
                        out[(medium, country, *piece)].append(title)
        return out

    def _rows(
        self,
        licensor: str,
        titles: list[str],
        media: list[str],
        countries: list[str],
        start: int,
        end: int,
    ) -> list[tuple[Any, ...]]:
        marks = lambda items: ",".join("?" * len(items))  # noqa: E731
        where = (
            f"medium IN ({marks(media)}) AND territory IN ({marks(countries)}) "
            'AND start < ? AND "end" > ? AND (licensor = ? OR licensee = ?)'
        )
        params: list[Any] = [*media, *countries, end, start, licensor, licensor]
        if len(titles) <= 500:
            query = f"SELECT * FROM cells WHERE title IN ({marks(titles)}) AND {where}"
            return self.db.execute(query, [*titles, *params]).fetchall()
        wanted = set(titles)
        rows = self.db.execute(f"SELECT * FROM cells WHERE {where}", params).fetchall()
        return [r for r in rows if r[0] in wanted]

    # -- writes --------------------------------------------------------------------------

    def execute(self, contract: Contract) -> bool:
        """Check a contract's grants against the cells and store them; False if refused."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for grant in contract.grants:
                start = grant.start.day.toordinal() if grant.start and grant.start.day else DAWN
                end = grant.end.day.toordinal() + 1 if grant.end and grant.end.day else FOREVER
                answer = self.avails(
                    contract.licensor or "",
                    list(grant.titles),
                    grant.media,
                    grant.territories,
                    grant.languages,
                    start,
                    end,
                    grant.exclusive,
                )
                if any(key[5] is not None for key in answer):
                    self.db.execute("ROLLBACK")
                    return False
            self.db.executemany(
                "INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                list(self.cell_rows(contract)),
            )
            self.db.execute("COMMIT")
            return True
        except BaseException:
            self.db.execute("ROLLBACK")
            raise


def _cut(
    rows: list[tuple[Any, ...]],
    licensor: str,
    languages: LanguageSet,
    start: int,
    end: int,
    exclusive: bool,
) -> Iterator[tuple[Any, ...]]:
    """One cell's timeline cut into (languages, start, end, reason, contract) pieces."""
    entries = []
    bounds = {start, end}
    tags: set[str] = set(languages.codes)
    for row in rows:
        langs = _languages_of(row[10])
        tags |= langs.codes
        entries.append((row, langs))
        bounds.add(max(start, row[11]))
        bounds.add(min(end, row[12]))
    # language atoms: each named tag alone, then every other tag together
    atoms = [LanguageSet.of([t]) for t in sorted(tags)]
    atoms.append(~LanguageSet(False, frozenset(tags)))
    points = sorted(b for b in bounds if start <= b <= end)
    for atom in atoms:
        atom = atom & languages
        if not atom:
            continue
        tag = next(iter(atom.codes)) if not atom.negated else None
        previous: tuple[Any, ...] | None = None
        run_start = start
        for a in points[:-1]:
            label = _label(entries, licensor, exclusive, tag, a)
            if previous is not None and label != previous:
                yield (atom, run_start, a, *previous)
                run_start = a
            previous = label
        if previous is not None:
            yield (atom, run_start, end, *previous)


def _label(
    entries: list[tuple[tuple[Any, ...], LanguageSet]],
    licensor: str,
    exclusive: bool,
    tag: str | None,
    day: int,
) -> tuple[str | None, str | None]:
    held_exclusively = held_shared = False
    blockers: dict[str, list[str]] = {
        "exclusive-license": [],
        "holdback": [],
        "non-exclusive-license": [],
    }
    for row, langs in entries:
        if not row[11] <= day < row[12] or row[9]:
            continue
        if not (langs.contains(tag) if tag is not None else langs.negated):
            continue
        contract, grantor, grantee, holdback, excl, sublicense = row[3:9]
        if grantee == licensor and not holdback and (grantor is None or sublicense):
            if grantor is None or excl:
                held_exclusively = True
            else:
                held_shared = True
        if grantor == licensor:
            if holdback:
                blockers["holdback"].append(contract)
            elif excl:
                blockers["exclusive-license"].append(contract)
            else:
                blockers["non-exclusive-license"].append(contract)
    if not held_exclusively and not held_shared:
        return ("not-held", None)
    if exclusive and not held_exclusively:
        return ("held-non-exclusively", None)
    for reason in ("exclusive-license", "holdback", "non-exclusive-license"):
        if reason == "non-exclusive-license" and not exclusive:
            continue
        if blockers[reason]:
            return (reason, min(blockers[reason]))
    return (None, None)


__all__ = ["LEAVES", "Baseline"]
