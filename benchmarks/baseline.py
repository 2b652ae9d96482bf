"""The baseline: how a competent team would answer avails without an engine.

One row per (title, medium, territory) cell per grant or holdback, integer-coded, with
composite B-tree indexes; a question is one indexed query, then Python cuts each cell's
timeline into intervals by docs/semantics.md rules 1-4 (once per distinct set of rows: cells
that hold the same grants share one timeline) and groups equal outcomes. A write
locks, checks its grants with the same question, and inserts its cells, in one
transaction. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg

from reelrights.domain.contracts import Contract, Grant
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.media import LEAVES, leaves_of
from reelrights.domain.terms import DAWN, FOREVER
from reelrights.domain.territories import COUNTRIES, countries_of
from reelrights.domain.titles import Catalog

MEDIUM = {code: i for i, code in enumerate(LEAVES)}
COUNTRY = {code: i for i, code in enumerate(COUNTRIES)}

TABLES = """
CREATE TABLE grants (
    id INTEGER PRIMARY KEY, contract TEXT NOT NULL, licensor TEXT, licensee TEXT NOT NULL,
    holdback INTEGER NOT NULL, exclusive INTEGER NOT NULL, sublicense INTEGER NOT NULL,
    hold INTEGER NOT NULL, languages TEXT NOT NULL, start INTEGER NOT NULL,
    stop INTEGER NOT NULL);
CREATE TABLE title_codes (id INTEGER PRIMARY KEY, title TEXT NOT NULL UNIQUE);
CREATE TABLE cells (title INTEGER NOT NULL, medium INTEGER NOT NULL,
    territory INTEGER NOT NULL, start INTEGER NOT NULL, stop INTEGER NOT NULL,
    grant_id INTEGER NOT NULL);
"""
STAGING = """
CREATE TEMP TABLE grant_titles (grant_id INTEGER, title INTEGER);
CREATE TEMP TABLE grant_media (grant_id INTEGER, medium INTEGER);
CREATE TEMP TABLE grant_countries (grant_id INTEGER, territory INTEGER);
"""
INDEXES = """
CREATE INDEX cells_by_title ON cells (title, medium, territory, start);
CREATE INDEX cells_by_medium ON cells (medium, territory, start);
"""
# (medium, territory, languages, start, end, reason, contract) -> titles
Answer = dict[tuple[Any, ...], list[str]]


def languages_text(languages: LanguageSet) -> str:
    if languages == ALL_LANGUAGES:
        return "*"
    return ("-" if languages.negated else "+") + ",".join(sorted(languages.codes))


def languages_of(text: str) -> LanguageSet:
    if text == "*":
        return ALL_LANGUAGES
    return LanguageSet(text[0] == "-", frozenset(c for c in text[1:].split(",") if c))


def _term(item: Any) -> tuple[int, int]:
    start = item.start.day.toordinal() if item.start and item.start.day else DAWN
    end = item.end.day.toordinal() + 1 if item.end and item.end.day else FOREVER
    return start, end


class Baseline:
    """The cell-per-row store on SQLite (a path) or PostgreSQL (a ``postgresql://`` URL)."""

    def __init__(self, where: str, catalog: Catalog) -> None:
        self.catalog = catalog
        self.postgres = where.startswith("postgresql://")
        self.db: Any
        if self.postgres:
            self.db = psycopg.connect(where, autocommit=True)
            self.mark = "%s"
        else:
            self.db = sqlite3.connect(where, isolation_level=None, timeout=120)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA cache_size=-400000")
            self.mark = "?"
        self.codes: dict[str, int] = {}
        self.names: list[str] = []

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.db.execute(sql.replace("?", self.mark), params)

    def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.postgres:
            with self.db.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)
        else:
            self.db.executemany(sql, rows)

    def create(self) -> None:
        for statement in TABLES.split(";"):
            if statement.strip():
                self._run(statement)
        rows = [(i, t) for i, t in enumerate(sorted(self.catalog.titles))]
        self._many("INSERT INTO title_codes VALUES (?, ?)", rows)
        self.codes = {t: i for i, t in rows}
        self.names = [t for _, t in rows]

    def reopen(self) -> None:
        """Read the title codes of a baseline an earlier :meth:`create` made."""
        rows = self._run("SELECT id, title FROM title_codes ORDER BY id").fetchall()
        self.codes = {t: i for i, t in rows}
        self.names = [t for _, t in rows]

    def _grant_rows(self, contract: Contract, first_id: int) -> Iterator[tuple[Any, ...]]:
        end_cap = contract.in_force_until()
        for offset, item in enumerate(contract.rights):
            start, end = _term(item)
            yield (
                first_id + offset,
                contract.id,
                contract.licensor,
                contract.licensee,
                int(not isinstance(item, Grant)),
                int(getattr(item, "exclusive", False)),
                int(getattr(item, "sublicense", False)),
                int(contract.status == "hold"),
                languages_text(item.languages),
                start,
                min(end, end_cap),
            )

    def load(self, contracts: Iterable[Contract]) -> int:
        """Bulk-load contracts (known to be conflict-free): the cells are expanded by the
        database itself. Returns the number of cell rows."""
        self._run("BEGIN")
        for statement in STAGING.split(";"):
            if statement.strip():
                self._run(statement)
        grants: list[tuple[Any, ...]] = []
        titles: list[tuple[int, int]] = []
        media: list[tuple[int, int]] = []
        countries: list[tuple[int, int]] = []
        next_id = 1
        for contract in contracts:
            if not (contract.in_force() or contract.status == "hold"):
                continue
            for row, item in zip(self._grant_rows(contract, next_id), contract.rights, strict=True):
                grant_id = row[0]
                grants.append(row)
                titles.extend((grant_id, self.codes[t]) for t in self.catalog.expand(item.titles))
                media.extend((grant_id, MEDIUM[m]) for m in leaves_of(item.media))
                countries.extend((grant_id, COUNTRY[c]) for c in countries_of(item.territories))
            next_id += len(contract.rights)
        self._many("INSERT INTO grants VALUES (?,?,?,?,?,?,?,?,?,?,?)", grants)
        self._many("INSERT INTO grant_titles VALUES (?, ?)", titles)
        self._many("INSERT INTO grant_media VALUES (?, ?)", media)
        self._many("INSERT INTO grant_countries VALUES (?, ?)", countries)
        self._run("CREATE INDEX grant_media_id ON grant_media (grant_id)")
        self._run("CREATE INDEX grant_countries_id ON grant_countries (grant_id)")
        self._run(
            "INSERT INTO cells SELECT gt.title, gm.medium, gc.territory, g.start, g.stop, g.id "
            "FROM grant_titles gt JOIN grants g ON g.id = gt.grant_id "
            "JOIN grant_media gm ON gm.grant_id = gt.grant_id "
            "JOIN grant_countries gc ON gc.grant_id = gt.grant_id"
        )
        self._run("COMMIT")
        for statement in INDEXES.split(";"):
            if statement.strip():
                self._run(statement)
        self._run("ANALYZE")
        return int(self._run("SELECT count(*) FROM cells").fetchone()[0])

    # -- questions -----------------------------------------------------------------------

    def avails(
        self,
        licensor: str,
        titles: Sequence[str],
        media: int,
        territories: int,
        languages: LanguageSet,
        start: int,
        end: int,
        exclusive: bool,
    ) -> Answer:
        """``{(medium, territory, languages, start, end, reason, contract, holds): [titles]}``;
        reason ``None`` for available; ``holds`` the sorted ids of the contracts on hold
        from the licensor that pencil the piece in (each a ``held-for-negotiation``
        warning, docs/semantics.md rule 7)."""
        expanded = sorted(self.catalog.expand(titles))
        media_codes = leaves_of(media)
        countries = countries_of(territories)
        by_cell: dict[tuple[int, int, int], list[tuple[Any, ...]]] = defaultdict(list)
        for row in self._rows(licensor, expanded, media_codes, countries, start, end):
            by_cell[(row[0], row[1], row[2])].append(row)
        out: Answer = defaultdict(list)
        # Cells holding the same rows (but for their title, medium and territory) have the
        # same timeline: cut it once per distinct row set.
        timelines: dict[frozenset[tuple[Any, ...]], list[tuple[Any, ...]]] = {}
        for title in expanded:
            code = self.codes[title]
            for medium in media_codes:
                m = MEDIUM[medium]
                for country in countries:
                    cell_rows = by_cell.get((code, m, COUNTRY[country]))
                    if not cell_rows:
                        key = (medium, country, languages, start, end, "not-held", None, ())
                        out[key].append(title)
                        continue
                    same = frozenset(row[3:] for row in cell_rows)
                    pieces = timelines.get(same)
                    if pieces is None:
                        pieces = timelines[same] = list(
                            _cut(cell_rows, licensor, languages, start, end, exclusive)
                        )
                    for piece in pieces:
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
        media_ids = [MEDIUM[m] for m in media]
        country_ids = [COUNTRY[c] for c in countries]
        select = (
            "SELECT c.title, c.medium, c.territory, g.contract, g.licensor, g.licensee, "
            "g.holdback, g.exclusive, g.sublicense, g.hold, g.languages, g.start, g.stop "
            "FROM cells c JOIN grants g ON g.id = c.grant_id WHERE "
        )
        where = (
            f"c.medium IN ({marks(media_ids)}) AND c.territory IN ({marks(country_ids)}) "
            "AND c.start < ? AND c.stop > ? AND (g.licensor = ? OR g.licensee = ?)"
        )
        params: list[Any] = [*media_ids, *country_ids, end, start, licensor, licensor]
        if len(titles) <= 500:
            codes = [self.codes[t] for t in titles]
            query = f"{select} c.title IN ({marks(codes)}) AND {where}"
            return list(self._run(query, [*codes, *params]).fetchall())
        wanted = {self.codes[t] for t in titles}
        rows = self._run(select + where, params).fetchall()
        return [r for r in rows if r[0] in wanted]

    # -- writes --------------------------------------------------------------------------

    def execute(self, contract: Contract) -> bool:
        """Lock the licensor, check the contract's grants, store its cells; False if
        refused (nothing stored)."""
        self._run("BEGIN" if self.postgres else "BEGIN IMMEDIATE")
        try:
            if self.postgres:
                key = int.from_bytes(
                    hashlib.blake2b((contract.licensor or "").encode(), digest_size=8).digest(),
                    "big",
                    signed=True,
                )
                self._run("SELECT pg_advisory_xact_lock(?)", (key,))
            for grant in contract.grants:
                start, end = _term(grant)
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
                    self._run("ROLLBACK")
                    return False
            first = int(self._run("SELECT coalesce(max(id), 0) + 1 FROM grants").fetchone()[0])
            rows = list(self._grant_rows(contract, first))
            self._many("INSERT INTO grants VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
            cells = [
                (self.codes[t], MEDIUM[m], COUNTRY[c], row[9], row[10], row[0])
                for row, item in zip(rows, contract.rights, strict=True)
                for t in self.catalog.expand(item.titles)
                for m in leaves_of(item.media)
                for c in countries_of(item.territories)
            ]
            self._many("INSERT INTO cells VALUES (?,?,?,?,?,?)", cells)
            self._run("COMMIT")
            return True
        except BaseException:
            self._run("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()


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
        langs = languages_of(row[10])
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
        previous: tuple[str | None, str | None, tuple[str, ...]] | None = None
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
) -> tuple[str | None, str | None, tuple[str, ...]]:
    """(reason, contract, holds) of one cell-day for one language atom."""
    reason, contract = _reason(entries, licensor, exclusive, tag, day)
    holds = sorted(
        {
            row[3]
            for row, langs in entries
            if row[9]
            and row[4] == licensor
            and row[11] <= day < row[12]
            and (langs.contains(tag) if tag is not None else langs.negated)
        }
    )
    return reason, contract, tuple(holds)


def _reason(
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


# -- the avails search, the way a team without an engine would answer it -----------------


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _runs(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


# A hold warning of a search: (title, medium, country, languages, start, end, contract).
HoldPiece = tuple[str, str, str, LanguageSet, int, int, str]


def search(
    baseline: Baseline,
    licensor: str,
    candidates: Sequence[str],
    media: int,
    territories: int,
    languages: LanguageSet,
    start: int,
    end: int,
    exclusive: bool,
    match: str,
    min_days: int = 1,
    batch: int = 500,
) -> dict[str, tuple[list[tuple[int, int]], list[HoldPiece]]]:
    """``{title: (windows, holds)}`` for the candidates that match: one indexed query per
    batch of titles, then each cell's timeline cut by :func:`_cut` (the avails rules; once
    per distinct set of rows, as :meth:`Baseline.avails` does), the free days of every cell
    and language intersected per title, then per candidate; the holds of the licensor that
    pencil in a cell on a day of a candidate's windows are its warnings."""
    expansions = {c: sorted(baseline.catalog.expand([c])) for c in candidates}
    every = sorted({t for covered in expansions.values() for t in covered})
    media_codes = leaves_of(media)
    countries = countries_of(territories)
    free: dict[str, list[tuple[int, int]]] = {}
    pencilled: dict[str, list[HoldPiece]] = defaultdict(list)
    some: set[str] = set()
    timelines: dict[frozenset[tuple[Any, ...]], list[tuple[Any, ...]]] = {}
    for at in range(0, len(every), batch):
        titles = every[at : at + batch]
        by_cell: dict[tuple[int, int, int], list[tuple[Any, ...]]] = defaultdict(list)
        for row in baseline._rows(licensor, titles, media_codes, countries, start, end):
            by_cell[(row[0], row[1], row[2])].append(row)
        for title in titles:
            code = baseline.codes[title]
            days = [(start, end)]
            for medium in media_codes:
                for country in countries:
                    rows = by_cell.get((code, MEDIUM[medium], COUNTRY[country]))
                    if not rows:
                        days = []
                        continue
                    same = frozenset(row[3:] for row in rows)
                    pieces = timelines.get(same)
                    if pieces is None:
                        pieces = timelines[same] = list(
                            _cut(rows, licensor, languages, start, end, exclusive)
                        )
                    by_atom: dict[LanguageSet, list[tuple[int, int]]] = defaultdict(list)
                    for atom, s, e, reason, _, holds in pieces:
                        spans = by_atom[atom]  # an atom with no free day empties the title
                        if reason is None:
                            some.add(title)
                            spans.append((s, e))
                        for hold in holds:
                            pencilled[title].append((title, medium, country, atom, s, e, hold))
                    for spans in by_atom.values():
                        days = _intersect(days, _runs(spans))
            free[title] = days
    out: dict[str, tuple[list[tuple[int, int]], list[HoldPiece]]] = {}
    for candidate, covered in expansions.items():
        days = [(start, end)]
        for title in covered:
            days = _intersect(days, free[title])
        if match == "cover" and days != [(start, end)]:
            continue
        if match == "min-days" and not any(e - s >= min_days for s, e in days):
            continue
        if match == "overlap" and not days and not some & set(covered):
            continue
        out[candidate] = (days, _meeting(days, covered, pencilled))
    return out


def _meeting(
    days: list[tuple[int, int]], covered: Sequence[str], pencilled: dict[str, list[HoldPiece]]
) -> list[HoldPiece]:
    """The parts of the holds on ``covered`` that fall on the days of ``days``."""
    out = []
    for title in covered:
        for t, medium, country, atom, s, e, hold in pencilled.get(title, ()):
            for ws, we in days:
                if max(s, ws) < min(e, we):
                    out.append((t, medium, country, atom, max(s, ws), min(e, we), hold))
    return out
