"""The rights book: contracts indexed by the titles they cover, answering avails.

A :class:`RightsBook` is an in-memory snapshot of a catalog and its contracts. Every grant
and holdback is shelved, title by title, under the party it concerns: under its licensor
(what that party gave away or promised not to use) and, for ownership records and grants
that may be sublicensed, under its licensee (what that party holds). A question about
licensor P reads only P's shelf, and within it only the titles it asks about; each shelf
is a set of sorted numpy columns, so a whole-catalog question filters P's entries in a
few vector operations (docs/architecture.md).

The Disney / Tencent deal of the README, in code:

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

from array import array
from collections import ChainMap, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from reelrights.domain.boxes import Box
from reelrights.domain.contracts import Contract, Grant, Holdback, Option
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
from reelrights.engine.validation import plainly_valid

# A box for one title: (media mask, territory mask, languages, start, end), half-open days.
Box4 = tuple[int, int, LanguageSet, int, int]
# A shelved entry: (title, contract, flags, media, territory, language, start, end), with
# title, contract, territory mask and language set as indexes into the book's tables.
Row = tuple[int, int, int, int, int, int, int, int]
# An option that warns (rule 21), per title: (contract index, kind, holder, box, the first
# day it no longer stands: the day after its deadline, or its contract's termination).
OptionRow = tuple[int, str, str, Box4, int]

HOLDBACK, EXCLUSIVE, SUBLICENSE, PENCIL, GIVES, OWNS = 1, 2, 4, 8, 16, 32
SETTLE_AFTER = 2048  # pending entries a shelf takes before it re-sorts its columns
VECTOR_FROM = 24  # below this many entries a plain loop beats numpy
FETCH_ONE_BY_ONE = 6  # up to this many entries found, they are read value by value
COLUMNS = (
    ("title", np.int32),
    ("contract", np.int32),
    ("flags", np.uint8),
    ("media", np.uint32),
    ("territory", np.int32),
    ("language", np.int32),
    ("start", np.int32),
    ("end", np.int32),
)


# Every attribute of a RightsBook that :meth:`RightsBook.snapshot` saves or knows to be
# empty without kept contracts: a book that grows new state must teach the snapshot first.
_SAVED = frozenset(
    {
        "catalog",
        "keep_contracts",
        "contracts",
        "_shelves",
        "_owners",
        "_dead",
        "_referencing",
        "_contract_ids",
        "_title_ids",
        "_title_index",
        "_territories",
        "_territory_index",
        "_languages",
        "_language_index",
        "_options",
        "_options_of",
    }
)


class _Names:
    """A growing list of short strings packed in one buffer (contract ids: a few bytes
    each instead of a Python object each). Ends are 32-bit: the buffer holds at most
    4 GiB of ids (hundreds of millions of contracts)."""

    __slots__ = ("blob", "ends")

    def __init__(self) -> None:
        self.blob = bytearray()
        self.ends = array("I")

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:
        start = self.ends[index - 1] if index else 0
        return self.blob[start : self.ends[index]].decode()

    def append(self, name: str) -> None:
        self.blob += name.encode()
        self.ends.append(len(self.blob))

    def pop(self) -> None:
        end = self.ends.pop()
        del self.blob[self.ends[-1] if self.ends else 0 : end]


class _SavedMasks(dict[int, int]):
    """The interned territory masks of a book restored from a saved file, by index: each
    is made a Python int from the file's bytes the first time a question reads it. A
    fresh process would otherwise convert every mask (a quarter of a million at a million
    licenses, about a tenth of its start-up) before its first answer, which reads a few
    dozen. Once a sixteenth of them were read one by one, the rest are converted at once
    and the book holds a plain list again (:meth:`RightsBook._mask_list`), as it does
    before any write or snapshot."""

    __slots__ = ("book", "count", "raw", "size")

    def __init__(self, book: RightsBook, raw: bytes, size: int) -> None:
        super().__init__()
        self.book, self.raw, self.size = book, raw, size
        self.count = len(raw) // size if size else 0

    def __missing__(self, index: int) -> int:
        if not 0 <= index < self.count:
            raise IndexError(index)
        at = index * self.size
        mask = self[index] = int.from_bytes(self.raw[at : at + self.size], "little")
        if len(self) * 16 >= self.count:
            self.book._mask_list()
        return mask

    def as_list(self) -> list[int]:
        size, raw = self.size, self.raw
        return [
            self.get(i) or int.from_bytes(raw[at : at + size], "little")
            for i, at in enumerate(range(0, self.count * size, size))
        ]


class _Shelf:
    """One party's entries: numpy columns sorted by title, plus recent additions."""

    __slots__ = ("columns", "pending", "waiting")

    def __init__(self) -> None:
        self.columns: list[npt.NDArray[Any]] = [np.empty(0, t) for _, t in COLUMNS]
        self.pending: dict[int, list[Row]] = defaultdict(list)  # by title
        self.waiting = 0

    def __len__(self) -> int:
        return len(self.columns[0]) + self.waiting

    def add(self, row: Row, dead: set[int]) -> None:
        self.pending[row[0]].append(row)
        self.waiting += 1
        if self.waiting >= SETTLE_AFTER:
            self.settle(dead)

    def settle(self, dead: set[int]) -> None:
        """Merge the pending entries into the sorted columns, dropping dead contracts."""
        if not self.waiting and not dead:
            return
        rows = [row for group in self.pending.values() for row in group]
        fresh = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS)
        merged = [
            np.concatenate([old, np.asarray(new, dtype)])
            for old, new, (_, dtype) in zip(self.columns, fresh, COLUMNS, strict=True)
        ]
        if dead:
            keep = ~np.isin(merged[1], np.fromiter(dead, np.int32, len(dead)))
            merged = [column[keep] for column in merged]
        order = np.argsort(merged[0], kind="stable")
        self.columns = [column[order] for column in merged]
        self.pending = defaultdict(list)
        self.waiting = 0

    def of_title(self, title: int) -> Iterator[Row]:
        """Every entry of one title."""
        lo, hi = _bounds(self.columns[0], [title, title + 1])
        if hi > lo:
            yield from zip(*(c[lo:hi].tolist() for c in self.columns), strict=True)
        yield from self.pending.get(title, ())

    def matching(
        self,
        titles: Collection[int] | None,
        media: int,
        first: int,
        last: int,
        blocking: int | None = None,
        shared: bool = True,
    ) -> Iterator[Row]:
        """Entries of these titles (None: all) that overlap the media and the days; with
        ``blocking``, only holdings (no GIVES flag) and the entries given away with one of
        the ``blocking`` flags and not on hold (PENCIL): what can refuse a contract. With
        ``shared=False``, without the licenses given away non-exclusively (see
        :func:`_given_shared`): what a non-exclusive question never looks at, most of a busy
        title's entries.

        The titles' slices of the sorted columns are filtered together: one set of vector
        operations over all of them (a series asks for every season and episode, each a
        short slice), or a plain loop when they hold fewer than :data:`VECTOR_FROM`
        entries in all."""
        cols = self.columns
        if titles is not None and len(titles) <= 64:
            ordered = sorted(titles)
            bounds = _bounds(cols[0], [b for t in ordered for b in (t, t + 1)])
            spans = [(lo, hi) for lo, hi in zip(bounds[::2], bounds[1::2], strict=True) if hi > lo]
        else:
            spans = [(0, len(cols[0]))] if len(cols[0]) else []
        total = sum(hi - lo for lo, hi in spans)
        if total >= VECTOR_FROM:
            if len(spans) == 1:
                lo, hi = spans[0]
                keep = (
                    ((cols[3][lo:hi] & media) != 0)
                    & (cols[6][lo:hi] < last)
                    & (cols[7][lo:hi] > first)
                )
                if blocking is not None:
                    keep &= _blocks(cols[2][lo:hi], blocking)
                if not shared:
                    keep &= _NOT_GIVEN_SHARED[cols[2][lo:hi]]
                picked = keep.nonzero()[0] + lo
            else:
                at = _positions(spans, total)
                keep = ((cols[3][at] & media) != 0) & (cols[6][at] < last) & (cols[7][at] > first)
                if blocking is not None:
                    keep &= _blocks(cols[2][at], blocking)
                if not shared:
                    keep &= _NOT_GIVEN_SHARED[cols[2][at]]
                picked = at[keep]
            if len(picked) > FETCH_ONE_BY_ONE:
                yield from zip(*(c[picked].tolist() for c in cols), strict=True)
            elif len(picked):
                # a few entries: read them value by value, not with a vector operation
                # per column (a dozen microseconds of a question's fifty)
                t, k, f, m, x, lg, s, e = (c.item for c in cols)
                for i in picked.tolist():
                    yield (t(i), k(i), f(i), m(i), x(i), lg(i), s(i), e(i))
        else:
            for lo, hi in spans:
                for row in zip(*(c[lo:hi].tolist() for c in cols), strict=True):
                    if (
                        row[3] & media
                        and row[6] < last
                        and row[7] > first
                        and (blocking is None or _blocks_one(row[2], blocking))
                        and (shared or not _given_shared(row[2]))
                    ):
                        yield row
        if not self.waiting:
            return
        groups = (
            self.pending.values() if titles is None else (self.pending.get(t, []) for t in titles)
        )
        for group in groups:
            for row in group:
                if (
                    row[3] & media
                    and row[6] < last
                    and row[7] > first
                    and (blocking is None or _blocks_one(row[2], blocking))
                    and (shared or not _given_shared(row[2]))
                ):
                    yield row


def _bounds(titles: npt.NDArray[np.int32], keys: list[int]) -> list[int]:
    """Where ``keys`` fall in a shelf's sorted title column (``searchsorted``), the keys in
    the column's own type: searched for as a list of Python ints (int64), the whole column
    would be cast, a copy of it made, for every question, a cost that grew with the
    licensor's shelf (34 of a 1M-license question's 90 microseconds)."""
    found: list[int] = titles.searchsorted(np.array(keys, titles.dtype)).tolist()
    return found


def _blocks_one(flags: int, blocking: int) -> bool:
    """Whether an entry holds, or gives away with a ``blocking`` flag and is not on hold."""
    return not flags & GIVES or (not flags & PENCIL and bool(flags & blocking))


def _given_shared(flags: int) -> bool:
    """Whether an entry is a license given away non-exclusively (not a hold, holdback or
    exclusive license): it encumbers only an exclusive request (docs/semantics.md rule 2),
    so a non-exclusive one need not read it."""
    return bool(flags & GIVES) and not flags & (PENCIL | HOLDBACK | EXCLUSIVE)


# not _given_shared for every value of the flags byte: one lookup per column
_NOT_GIVEN_SHARED: npt.NDArray[np.bool_] = np.array([not _given_shared(f) for f in range(256)])

# _blocks_one for every value of the flags byte, per ``blocking``: one lookup per column
_BLOCKS: dict[int, npt.NDArray[np.bool_]] = {}


def _blocks(flags: npt.NDArray[np.uint8], blocking: int) -> npt.NDArray[np.bool_]:
    """:func:`_blocks_one` for a column of flags."""
    table = _BLOCKS.get(blocking)
    if table is None:
        table = _BLOCKS[blocking] = np.array([_blocks_one(f, blocking) for f in range(256)])
    kept: npt.NDArray[np.bool_] = table[flags]
    return kept


def _positions(spans: list[tuple[int, int]], total: int) -> npt.NDArray[np.intp]:
    """Every position of the half-open ``spans`` (sorted, disjoint), ``total`` in all."""
    starts = np.fromiter((lo for lo, _ in spans), np.intp, len(spans))
    lengths = np.fromiter((hi - lo for lo, hi in spans), np.intp, len(spans))
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    positions: npt.NDArray[np.intp] = np.arange(total, dtype=np.intp) + offsets
    return positions


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
    """A catalog and its contracts, shelved by party and title (see the module docs).

    With ``keep_contracts=False`` the book keeps no contract objects (a large index leaves
    them in the store): :meth:`add_title` and :meth:`broken_chains` then take the
    contracts they need as arguments.
    """

    def __init__(
        self,
        catalog: Catalog,
        contracts: Iterable[Contract] = (),
        keep_contracts: bool = True,
    ) -> None:
        self.catalog = catalog
        self.keep_contracts = keep_contracts
        self.contracts: dict[str, Contract] = {}
        self._shelves: dict[str, _Shelf] = {}
        self._owners: dict[int, list[Row]] = defaultdict(list)
        self._dead: set[int] = set()
        self._referencing: dict[str, set[str]] = defaultdict(set)
        self._contract_ids = _Names()
        self._title_ids: list[str] = []
        self._title_index: dict[str, int] = {}
        self._territories: list[int] | _SavedMasks = []
        # mask -> index; None after compact() until the next write needs it again
        self._territory_index: dict[int, int] | None = {}
        self._languages: list[LanguageSet] = []
        self._language_index: dict[LanguageSet, int] = {}
        # Options are few beside grants: kept apart from the shelves, by licensor and title.
        self._options: dict[str, dict[int, list[OptionRow]]] = {}
        self._options_of: dict[str, set[tuple[str, int]]] = defaultdict(set)
        for contract in contracts:
            self.add(contract)
        self.settle()

    # -- tables --------------------------------------------------------------------------

    def _title(self, title: str) -> int:
        index = self._title_index.get(title)
        if index is None:
            index = self._title_index[title] = len(self._title_ids)
            self._title_ids.append(title)
        return index

    def _mask_list(self) -> list[int]:
        """The interned territory masks as a list (converting those of a saved file not
        read yet: see :class:`_SavedMasks`)."""
        masks = self._territories
        if isinstance(masks, _SavedMasks):
            masks = self._territories = masks.as_list()
        return masks

    def _intern_territories(self, mask: int) -> int:
        masks = self._mask_list()
        table = self._territory_index
        if table is None:
            table = self._territory_index = {m: i for i, m in enumerate(masks)}
        index = table.get(mask)
        if index is None:
            index = table[mask] = len(masks)
            masks.append(mask)
        return index

    def compact(self) -> None:
        """Drop what only writes use: the table that interns territory masks (at a
        million licenses about a third of a million distinct masks, some 40 bytes each
        beside the masks themselves). Questions never read it; the first contract added
        afterwards rebuilds it, once. A process that builds or loads an index and then
        mostly answers (the CLI, an API worker between writes) keeps it small."""
        self.settle()
        self._territory_index = None

    def _intern_languages(self, languages: LanguageSet) -> int:
        index = self._language_index.get(languages)
        if index is None:
            index = self._language_index[languages] = len(self._languages)
            self._languages.append(languages)
        return index

    def __len__(self) -> int:
        """How many shelved entries the index holds."""
        return sum(len(shelf) for shelf in self._shelves.values())

    def settle(self) -> None:
        """Sort every shelf's recent additions into its columns (done by itself as they
        grow; call it after a bulk load so that every question finds sorted shelves)."""
        for shelf in self._shelves.values():
            shelf.settle(self._dead)

    # -- maintenance ---------------------------------------------------------------------

    def add(self, contract: Contract) -> None:
        """Add a new contract. With kept contracts, one with the same id is replaced;
        without, use :meth:`replace` for a contract the book may already hold."""
        if self.keep_contracts:
            if contract.id in self.contracts:
                self.remove(self.contracts[contract.id])
            self.contracts[contract.id] = contract
            for item in (*contract.rights, *contract.options):
                for ref in item.titles:
                    self._referencing[ref].add(contract.id)
        self._shelve(contract, None)

    def replace(self, contract: Contract) -> None:
        """Store a new state of a contract the book may hold (its rights must name the same
        titles as before, as a status change does)."""
        self.remove(contract)
        self.add(contract)

    def remove(self, contract: Contract | str) -> None:
        """Forget a contract (no error if unknown)."""
        if isinstance(contract, str):
            known = self.contracts.get(contract)
            if known is None:
                return
            contract = known
        self.contracts.pop(contract.id, None)
        for item in (*contract.rights, *contract.options):
            for ref in item.titles:
                self._referencing[ref].discard(contract.id)
        self._drop_options(contract.id)
        titles = self._titles_of(contract)
        dead = self._indexes_of(contract.id, contract.licensor or contract.licensee, titles)
        if not dead:
            return
        self._dead |= dead
        for title in titles:
            index = self._title_index.get(title)
            if index in self._owners:
                self._owners[index] = [r for r in self._owners[index] if r[1] not in dead]

    def _titles_of(self, contract: Contract) -> set[str]:
        """The titles a contract's rights cover (collections and series expanded)."""
        return {t for item in contract.rights for t in self.catalog.expand(item.titles)}

    def _indexes_of(self, contract_id: str, party: str | None, titles: Iterable[str]) -> set[int]:
        """The contract-table indexes under which ``contract_id`` is shelved for these
        titles on ``party``'s shelf (several after a replacement)."""
        shelf = self._shelves.get(party) if party is not None else None
        if shelf is None:
            return set()
        names = self._contract_ids
        found: set[int] = set()
        for title in titles:
            index = self._title_index.get(title)
            if index is not None:
                found.update(
                    r[1]
                    for r in shelf.of_title(index)
                    if names[r[1]] == contract_id and r[1] not in self._dead
                )
        return found

    def add_title(self, title: Title, covering: Iterable[Contract] = ()) -> None:
        """Add a title to the catalog; contracts that already cover it (through its series
        or a collection) start covering it now. Without kept contracts, ``covering`` must
        hold the contracts that name the title's series, season or collections."""
        self.catalog.add(title)
        refs = self.catalog.referents(title.id)
        if self.keep_contracts:
            ids = sorted({cid for ref in refs for cid in self._referencing.get(ref, ())})
            covering = [self.contracts[cid] for cid in ids]
        for contract in covering:
            self._shelve(contract, title.id)

    def wound_back(self, now: Iterable[Contract], then: Iterable[Contract]) -> RightsBook:
        """This book with the contracts ``now`` taken out and ``then`` put in, for
        questions about a past state (docs/semantics.md rule 12): a read-only view over
        this book's shelves and tables, which it never changes. Building it costs the
        entries of those contracts alone: their entries are hidden (as a removal would),
        ``then``'s are laid over the shelves of the parties they concern, and their names,
        masks and options go into tables of the view's own. Ask it before this book
        changes again (under the same lock); it answers avails and searches, not contract
        checks."""
        return _WoundBack(self, now, then)

    def holds_any(self, party: str, title: str) -> bool:
        """Whether ``party`` holds any right at all in ``title`` (by an executed ownership
        record or a sublicensable grant), however small."""
        shelf = self._shelves.get(party)
        index = self._title_index.get(title)
        if shelf is None or index is None:
            return False
        return any(
            not row[2] & (GIVES | HOLDBACK | PENCIL) and row[1] not in self._dead
            for row in shelf.of_title(index)
        )

    def _shelve(self, contract: Contract, only: str | None) -> None:
        if not (contract.in_force() or contract.status == "hold"):
            return
        index = len(self._contract_ids)
        self._contract_ids.append(contract.id)
        for title, row in self._rows_of(contract, index, only):
            self._put(contract, title, row)
        self._shelve_options(contract, index, only)

    def _shelve_options(self, contract: Contract, index: int, only: str | None) -> None:
        """Rule 21: the warning options of an in-force contract, under its licensor, each
        standing through its ``exercise_by`` and lapsing with a termination."""
        licensor = contract.licensor
        if licensor is None or not contract.in_force():
            return
        until = contract.in_force_until()
        for option in contract.options:
            if not option.warns:
                continue
            stands = min(to_end(option.exercise_by), until)
            titles = self.catalog.expand(option.titles)
            if only is not None:
                titles = titles & {only}
            by_title = self._options.setdefault(licensor, {})
            for title, box in self._resolve_item(option, titles, FOREVER):
                at = self._title(title)
                by_title.setdefault(at, []).append((index, option.kind, option.holder, box, stands))
                self._options_of[contract.id].add((licensor, at))

    def _drop_options(self, contract_id: str) -> None:
        names = self._contract_ids
        for licensor, title in self._options_of.pop(contract_id, ()):
            by_title = self._options[licensor]
            kept = [o for o in by_title.get(title, ()) if names[o[0]] != contract_id]
            if kept:
                by_title[title] = kept
            else:
                by_title.pop(title, None)

    def option_warnings(
        self,
        licensor: str,
        titles: Collection[str],
        boxes_of: Callable[[str], list[Box4]],
        today: int | None,
    ) -> list[Warning]:
        """Rule 21: the warnings of ``licensor``'s options that the boxes asked of each
        title meet and that stand on ``today`` (all of them when None)."""
        return self._option_warnings(licensor, titles, boxes_of, today, None)

    def _option_warnings(
        self,
        licensor: str,
        titles: Collection[str],
        boxes_of: Callable[[str], list[Box4]],
        today: int | None,
        exclude: str | None,
    ) -> list[Warning]:
        """The options of ``licensor`` that the asked boxes meet and that still stand on
        ``today`` (all of them when ``today`` is None)."""
        by_title = self._options.get(licensor)
        if not by_title:
            return []
        names, title_ids = self._contract_ids, self._title_ids
        if len(by_title) < len(titles):
            wanted = titles if isinstance(titles, frozenset | set) else frozenset(titles)
            pairs = [(title_ids[i], rows) for i, rows in by_title.items() if title_ids[i] in wanted]
        else:
            pairs = [
                (title, by_title[i])
                for title in titles
                if (i := self._title_index.get(title)) is not None and i in by_title
            ]
        flagged: dict[tuple[Box4, str, str, str], list[str]] = defaultdict(list)
        for title, rows in pairs:
            for contract, kind, holder, box, stands in rows:
                name = names[contract]
                if (today is not None and today >= stands) or name == exclude:
                    continue
                for asked in boxes_of(title):
                    part = _split(asked, box)[0]
                    if part is not None:
                        flagged[(part, kind, name, holder)].append(title)
        return [
            Warning(Box(frozenset(group), *box), kind, name, holder)
            for (box, kind, name, holder), group in flagged.items()
        ]

    def _put(self, contract: Contract, title: str, row: Row) -> None:
        flags = row[2]
        if contract.licensor is not None:
            self._shelf(contract.licensor).add((*row[:2], flags | GIVES, *row[3:]), self._dead)
        if flags & (HOLDBACK | PENCIL):
            return  # a holdback restricts only its licensor; a hold gives nothing yet
        if contract.licensor is None or flags & SUBLICENSE:
            owned = (*row[:2], flags | (OWNS if contract.licensor is None else 0), *row[3:])
            self._shelf(contract.licensee).add(owned, self._dead)
            if contract.licensor is None:
                self._owners[row[0]].append(owned)

    def _shelf(self, party: str) -> _Shelf:
        shelf = self._shelves.get(party)
        if shelf is None:
            shelf = self._shelves[party] = _Shelf()
        return shelf

    def _rows_of(
        self, contract: Contract, index: int, only: str | None = None
    ) -> Iterator[tuple[str, Row]]:
        until = contract.in_force_until()
        pencil = PENCIL if contract.status == "hold" else 0
        for item in contract.rights:
            if isinstance(item, Holdback):
                flags = HOLDBACK | pencil
            else:
                flags = (
                    pencil
                    | (EXCLUSIVE if item.exclusive else 0)
                    | (SUBLICENSE if item.sublicense else 0)
                )
            titles = self.catalog.expand(item.titles)
            if only is not None:
                titles = titles & {only}
            for title, box in self._resolve_item(item, titles, until):
                yield (
                    title,
                    (
                        self._title(title),
                        index,
                        flags,
                        box[0],
                        self._intern_territories(box[1]),
                        self._intern_languages(box[2]),
                        box[3],
                        box[4],
                    ),
                )

    def _resolve_item(
        self, item: Grant | Holdback | Option, titles: Collection[str], until: int
    ) -> Iterator[tuple[str, Box4]]:
        if is_absolute(item.start) and is_absolute(item.end):
            start, end = resolve_bounds(item.start, item.end, None)
            end = min(end, until)
            if start < end:
                box: Box4 = (item.media, item.territories, item.languages, start, end)
                for title in titles:
                    yield title, box
            return
        for title in titles:
            release, releases = self.catalog.release_of(title)
            rest = item.territories
            by_term: dict[tuple[int, int], int] = defaultdict(int)
            for country, day in releases.items():
                bit = COUNTRY_BIT.get(country, 0)
                if rest & bit:
                    by_term[resolve_bounds(item.start, item.end, day)] |= bit
                    rest &= ~bit
            if rest and release is not None:
                by_term[resolve_bounds(item.start, item.end, release)] |= rest
            for (start, end), mask in by_term.items():
                end = min(end, until)
                if start < end:
                    yield title, (item.media, mask, item.languages, start, end)

    def boxes_of(
        self,
        item: Grant | Holdback | Option,
        titles: Collection[str],
        until: int = FOREVER,
    ) -> list[Box]:
        """The boxes an item covers for the given titles, with relative terms resolved per
        title (and per territory where the title has per-territory releases), clipped to
        ``until``. A relative bound on a title with no known release covers nothing."""
        return [
            Box(frozenset((title,)), *box) for title, box in self._resolve_item(item, titles, until)
        ]

    # -- persistence ---------------------------------------------------------------------

    def shelvings(self) -> int:
        """How many times a contract was shelved (added or replaced) in this book: a
        measure of how far it has moved since a snapshot."""
        return len(self._contract_ids)

    def snapshot(self) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
        """The index as plain data, for a file a later process maps back with
        :meth:`restore`: (a JSON-able description, numpy arrays). Settles every shelf
        first. Only a book without kept contracts can be saved (the contracts stay in the
        store); one holding state this method does not know raises ``ValueError`` rather
        than save half of it."""
        if self.keep_contracts or set(vars(self)) != _SAVED:
            raise ValueError("this book holds state a snapshot does not save")
        self.settle()
        parties = sorted(self._shelves)
        shelves = [self._shelves[p] for p in parties]
        ends = np.cumsum([0, *(len(s.columns[0]) for s in shelves)], dtype=np.int64)
        arrays: dict[str, npt.NDArray[Any]] = {"shelf_ends": ends}
        for i, (name, dtype) in enumerate(COLUMNS):
            arrays[f"column_{name}"] = np.concatenate(
                [np.empty(0, dtype), *(s.columns[i] for s in shelves)]
            )
        owners = [row for rows in self._owners.values() for row in rows]
        arrays["owners"] = np.asarray(owners, np.int64).reshape(len(owners), len(COLUMNS))
        arrays["dead"] = np.fromiter(sorted(self._dead), np.int64, len(self._dead))
        arrays["names_blob"] = np.frombuffer(bytes(self._contract_ids.blob), np.uint8)
        arrays["names_ends"] = np.frombuffer(self._contract_ids.ends.tobytes(), np.uint32)
        masks = self._mask_list()
        width = max([1, *(((m.bit_length() + 63) // 64) for m in masks)])
        arrays["territories"] = np.frombuffer(
            b"".join(m.to_bytes(width * 8, "little") for m in masks), np.uint64
        ).reshape(len(masks), width)
        options = [
            [licensor, title, c, kind, holder, m, hex(x), [lg.negated, sorted(lg.codes)], s, e, end]
            for licensor, by_title in self._options.items()
            for title, rows in by_title.items()
            for c, kind, holder, (m, x, lg, s, e), end in rows
        ]
        meta = {
            "options": options,
            "parties": parties,
            "titles": list(self._title_ids),
            "languages": [[s.negated, sorted(s.codes)] for s in self._languages],
        }
        return meta, arrays

    @classmethod
    def restore(
        cls, catalog: Catalog, meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]
    ) -> RightsBook:
        """The book :meth:`snapshot` described, over ``catalog``. The shelves' columns are
        the given arrays themselves (memory-mapped ones stay mapped: nothing writes into
        a column, a shelf that changes builds new ones)."""
        book = cls(catalog, keep_contracts=False)
        ends = arrays["shelf_ends"].tolist()
        columns = [arrays[f"column_{name}"] for name, _ in COLUMNS]
        for i, party in enumerate(meta["parties"]):
            shelf = book._shelves[party] = _Shelf()
            shelf.columns = [c[ends[i] : ends[i + 1]] for c in columns]
        for row in arrays["owners"].tolist():
            book._owners[row[0]].append(tuple(row))
        book._dead = set(arrays["dead"].tolist())
        book._contract_ids.blob = bytearray(arrays["names_blob"].tobytes())
        book._contract_ids.ends = array("I", arrays["names_ends"].astype(np.uint32).tobytes())
        book._title_ids = list(meta["titles"])
        book._title_index = {t: i for i, t in enumerate(book._title_ids)}
        masks = arrays["territories"]
        size = masks.shape[1] * 8 if masks.ndim == 2 else 8
        book._territories = _SavedMasks(book, masks.tobytes(), size)
        book._territory_index = None  # built by the first write that needs it
        for negated, codes in meta["languages"]:
            found = LanguageSet(bool(negated), frozenset(codes))
            book._languages.append(ALL_LANGUAGES if found == ALL_LANGUAGES else found)
        book._language_index = {s: i for i, s in enumerate(book._languages)}
        for licensor, title, c, kind, holder, m, x, lg, s, e, end in meta["options"]:
            langs = LanguageSet(bool(lg[0]), frozenset(lg[1]))
            langs = ALL_LANGUAGES if langs == ALL_LANGUAGES else langs
            row = (c, kind, holder, (m, int(x, 16), langs, s, e), end)
            book._options.setdefault(licensor, {}).setdefault(title, []).append(row)
            book._options_of[book._contract_ids[c]].add((licensor, title))
        return book

    # -- rows for the avails search ------------------------------------------------------

    def rows_touching(
        self,
        party: str,
        titles: Collection[str] | None,
        box: Box4,
    ) -> dict[str, list[Row]]:
        """``party``'s live shelved entries that share at least one cell-day with ``box``
        (media, territories, languages, days), grouped by title id; ``titles`` narrows to
        those ids (None: the whole shelf). The media and day tests run as numpy vector
        operations over the shelf; territories and languages are tested once per distinct
        interned mask among the survivors."""
        shelf = self._shelves.get(party)
        if shelf is None:
            return {}
        media, territories, languages, first, last = box
        indexes = (
            None
            if titles is None
            else [self._title_index[t] for t in titles if t in self._title_index]
        )
        cols = shelf.columns
        if indexes is not None and len(indexes) <= 64:
            bounds = _bounds(cols[0], [b for t in sorted(indexes) for b in (t, t + 1)])
            picked = np.concatenate(
                [np.arange(lo, hi) for lo, hi in zip(bounds[::2], bounds[1::2], strict=True)]
                or [np.empty(0, np.intp)]
            )
        else:
            picked = np.arange(len(cols[0]))
        if len(picked):
            keep = (
                ((cols[3][picked] & media) != 0)
                & (cols[6][picked] < last)
                & (cols[7][picked] > first)
            )
            if self._dead:
                keep &= ~np.isin(cols[1][picked], np.fromiter(self._dead, np.int32))
            picked = picked[keep]
        if len(picked):
            x_index = cols[4][picked]
            l_index = cols[5][picked]
            masks, sets = self._territories, self._languages
            x_seen = np.unique(x_index)
            x_hit = np.fromiter((masks[i] & territories != 0 for i in x_seen.tolist()), bool)
            l_seen = np.unique(l_index)
            l_hit = np.fromiter((bool(sets[i] & languages) for i in l_seen.tolist()), bool)
            keep = x_hit[np.searchsorted(x_seen, x_index)] & l_hit[np.searchsorted(l_seen, l_index)]
            picked = picked[keep]
        out: dict[str, list[Row]] = defaultdict(list)
        wanted = None if titles is None or indexes is None else set(indexes)
        title_ids = self._title_ids
        if len(picked):
            for row in zip(*(c[picked].tolist() for c in cols), strict=True):
                if wanted is None or row[0] in wanted:
                    out[title_ids[row[0]]].append(row)
        if shelf.waiting:
            groups = (
                shelf.pending.values()
                if indexes is None
                else (shelf.pending.get(t, []) for t in indexes)
            )
            for group in groups:
                for row in group:
                    if (
                        row[3] & media
                        and row[6] < last
                        and row[7] > first
                        and self._territories[row[4]] & territories
                        and self._languages[row[5]] & languages
                        and row[1] not in self._dead
                    ):
                        out[title_ids[row[0]]].append(row)
        return out

    def box_of(self, row: Row) -> Box4:
        """The (media, territories, languages, start, end) of a shelved entry."""
        return self._box(row)

    def contract_of(self, row: Row) -> str:
        """The id of the contract a shelved entry comes from."""
        return self._contract_ids[row[1]]

    def has_available_cell(self, rows: list[Row], box: Box4, exclusive: bool) -> bool:
        """Whether at least one cell-day of ``box`` is available on one title, given that
        title's entries from :meth:`rows_touching`."""
        return bool(self._partition(rows, [box], exclusive)[0])

    # -- avails ------------------------------------------------------------------------

    def avails(self, request: AvailsRequest, today: int | None = None) -> AvailsReport:
        """Which parts of ``request`` its licensor can still grant, and why not the rest.

        Titles (collections, series) are expanded first; an unknown title id is simply
        not held. An empty term gives an empty, ``available`` report. ``today`` is the day
        asked (an ordinal) when the request names none (rule 21).
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
        return self._answer(
            request.licensor,
            titles,
            lambda _: [box],
            request.exclusive,
            box,
            shared=box,
            today=today if request.today is None else request.today,
        )

    def _answer(
        self,
        licensor: str,
        titles: Collection[str],
        boxes_of: Callable[[str], list[Box4]],
        exclusive: bool,
        bounds: Box4,
        exclude: str | None = None,
        shared: Box4 | None = None,
        today: int | None = None,
    ) -> AvailsReport:
        """The report for ``licensor`` on these titles, each asking ``boxes_of(title)``
        (all inside ``bounds``), with the warnings of options standing on ``today``."""
        media, territories, _, first, last = bounds
        shelf = self._shelves.get(licensor)
        indexes = (
            [self._title_index[t] for t in titles if t in self._title_index]
            if len(titles) <= 64
            else None
        )
        found: dict[int, list[Row]] = defaultdict(list)
        skip = self._indexes_of(exclude, licensor, titles) if exclude is not None else set()
        masks, dead = self._territories, self._dead
        if shelf is not None:
            wanted = None if indexes is not None else titles
            title_ids = self._title_ids
            # a non-exclusive question never reads the licenses given non-exclusively
            for row in shelf.matching(indexes, media, first, last, shared=exclusive):
                if (
                    masks[row[4]] & territories
                    and row[1] not in dead
                    and row[1] not in skip
                    and (wanted is None or title_ids[row[0]] in wanted)
                ):
                    found[row[0]].append(row)
        free: dict[Box4, list[str]] = defaultdict(list)
        blocked: dict[tuple[Box4, str, str | None], list[str]] = defaultdict(list)
        flagged: dict[tuple[Box4, str], list[str]] = defaultdict(list)
        names = self._contract_ids
        title_names = self._title_ids
        for index, rows in found.items():
            title = title_names[index]
            available, unavailable, warnings = self._partition(rows, boxes_of(title), exclusive)
            for box in available:
                free[box].append(title)
            for box, reason, contract in unavailable:
                blocked[(box, reason, None if contract < 0 else names[contract])].append(title)
            for box, contract in warnings:
                flagged[(box, names[contract])].append(title)
        # Titles where the licensor holds nothing of the request: not held, grouped.
        nothing = (titles if isinstance(titles, frozenset) else frozenset(titles)) - {
            title_names[i] for i in found
        }
        extra_boxes: list[Unavailable] = []
        if nothing and shared is not None:
            extra_boxes.append(Unavailable(Box(nothing, *shared), "not-held", None))
        elif nothing:
            for title in nothing:
                for box in boxes_of(title):
                    blocked[(box, "not-held", None)].append(title)
        return build_report(
            (Box(frozenset(group), *box) for box, group in free.items()),
            [
                *(
                    Unavailable(Box(frozenset(group), *box), reason, contract)
                    for (box, reason, contract), group in blocked.items()
                ),
                *extra_boxes,
            ],
            [
                *(
                    Warning(Box(frozenset(group), *box), "held-for-negotiation", contract)
                    for (box, contract), group in flagged.items()
                ),
                *self._option_warnings(licensor, titles, boxes_of, today, exclude),
            ],
        )

    def _box(self, row: Row) -> Box4:
        return (row[3], self._territories[row[4]], self._languages[row[5]], row[6], row[7])

    def _partition(
        self, rows: list[Row], request: list[Box4], exclusive: bool
    ) -> tuple[list[Box4], list[tuple[Box4, str, int]], list[tuple[Box4, int]]]:
        """docs/semantics.md rules 1-4 for one title: cut the request by what the licensor holds
        exclusively, then non-exclusively, then by its encumbrances in the order of the
        reasons, each reason's contracts in id order. ``rows`` are the licensor's shelved
        entries for the title."""
        if len(rows) == 1 and len(request) == 1 and not rows[0][2] & GIVES:
            # The common case of a wide question: one holding, nothing given away.
            row = rows[0]
            part, rest = _split(request[0], self._box(row))
            if part is None or row[2] & (OWNS | EXCLUSIVE) or not exclusive:
                kept = [part] if part is not None else []
                return kept, [(b, "not-held", -1) for b in rest], []
        held_exclusively: list[Box4] = []
        held_shared: list[Box4] = []
        licenses: list[tuple[int, Box4]] = []
        holdbacks: list[tuple[int, Box4]] = []
        shared_licenses: list[tuple[int, Box4]] = []
        pencils: list[tuple[int, Box4]] = []
        masks, languages = self._territories, self._languages
        for _, contract, flags, m, x, lang, s, e in rows:
            box: Box4 = (m, masks[x], languages[lang], s, e)
            if not flags & GIVES:
                if flags & OWNS or flags & EXCLUSIVE:
                    held_exclusively.append(box)
                else:
                    held_shared.append(box)
            elif flags & PENCIL:
                pencils.append((contract, box))
            elif flags & HOLDBACK:
                holdbacks.append((contract, box))
            elif flags & EXCLUSIVE:
                licenses.append((contract, box))
            elif exclusive:
                shared_licenses.append((contract, box))
        rest = list(request)
        mine: list[Box4] = []
        for holding in held_exclusively:
            inside, rest = _cut_all(rest, holding)
            mine.extend(inside)
        shared: list[Box4] = []
        for holding in held_shared:
            inside, rest = _cut_all(rest, holding)
            shared.extend(inside)
        unavailable: list[tuple[Box4, str, int]] = [(b, "not-held", -1) for b in rest]
        if exclusive:
            unavailable.extend((b, "held-non-exclusively", -1) for b in shared)
        else:
            mine.extend(shared)
        names = self._contract_ids
        for reason, blockers in (
            ("exclusive-license", licenses),
            ("holdback", holdbacks),
            ("non-exclusive-license", shared_licenses),
        ):
            for contract, blocker in sorted(blockers, key=lambda p: names[p[0]]):
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

    # -- contract checks ---------------------------------------------------------------

    def check(
        self,
        contract: Contract,
        is_new: bool = False,
        today: date | None = None,
        validated: bool = False,
    ) -> ContractCheck:
        """Whether ``contract`` may be executed against this book without it.

        Each grant is checked as a request of its licensor (exclusive if the grant is),
        clipped to the day before a termination date, against the book as it stands
        without this contract: a contract's grants never block each other (one contract
        has one licensee, so nothing is sold twice). Holdbacks need no availability. An
        ownership record may not overlap another executed ownership record on any
        cell-day. ``is_new`` says the book cannot hold the contract yet (its id is
        unused), which spares looking for its own entries. Options of other contracts that
        a grant meets and that stand on ``today`` (all, if None) come back as warnings.
        ``validated`` says the caller has just run :func:`validate_contract` on it against
        this catalog and found nothing (a bulk load validates every contract first).
        """
        problems = () if validated else tuple(validate_contract(contract, self.catalog))
        if problems:
            return ContractCheck(contract.id, (), problems)
        until = contract.in_force_until()
        exclude = None if is_new else contract.id
        reports: list[AvailsReport] = []
        asked = None if today is None else today.toordinal()
        for grant in contract.grants:
            requests = self._requests_of(grant, until)
            if contract.licensor is None:
                reports.append(self._ownership_overlap(requests, contract.id))
            else:
                reports.append(
                    self._ask(contract.licensor, requests, grant.exclusive, exclude, asked)
                )
        return ContractCheck(contract.id, tuple(reports))

    def admits(self, contract: Contract, validated: bool = False) -> bool:
        """``check(contract, is_new=True, validated=validated).ok``, without building the
        reports: what a bulk load asks of each of a million contracts, nearly all of which
        pass. A grant passes when its licensor holds every cell-day it asks (exclusively,
        if the grant is exclusive) and no exclusive license, holdback or (for an exclusive
        grant) non-exclusive license of that licensor meets any of it: exactly when the
        check's report for it has no unavailable part (docs/semantics.md rules 1-6). Holds
        and options only warn, so they are not looked at. A caller that wants to say why a
        contract fails calls :meth:`check`."""
        if not validated and validate_contract(contract, self.catalog):
            return False
        until = contract.in_force_until()
        for grant in contract.grants:
            requests = self._requests_of(grant, until)
            if not requests:
                continue
            if contract.licensor is None:
                if self._owned_elsewhere(requests, contract.id):
                    return False
            elif not self._all_free(contract.licensor, requests, grant.exclusive):
                return False
        return True

    def _all_free(self, licensor: str, requests: dict[str, list[Box4]], exclusive: bool) -> bool:
        """Whether ``licensor`` can grant every box of ``requests`` (see :meth:`admits`)."""
        shelf = self._shelves.get(licensor)
        if shelf is None:
            return False  # holds nothing: not held
        boxes = [b for group in requests.values() for b in group]
        media = _union(b[0] for b in boxes)
        territories = _union(b[1] for b in boxes)
        first = min(b[3] for b in boxes)
        last = max(b[4] for b in boxes)
        title_index = self._title_index
        indexes = [title_index[t] for t in requests if t in title_index]
        if len(indexes) < len(requests):
            return False  # a title nothing was ever shelved for: not held
        masks, languages, dead = self._territories, self._languages, self._dead
        found: dict[int, list[Row]] = defaultdict(list)
        # only what holds the rights or can refuse them: most entries of a busy title are
        # non-exclusive licenses, which an exclusive grant alone must keep clear of
        blocking = GIVES if exclusive else HOLDBACK | EXCLUSIVE
        for row in shelf.matching(
            indexes if len(indexes) <= 64 else None, media, first, last, blocking
        ):
            if masks[row[4]] & territories and row[1] not in dead:
                found[row[0]].append(row)
        title_ids = self._title_ids
        for index in indexes:
            rows = found.get(index)
            if not rows:
                return False  # nothing of it held
            asked = requests[title_ids[index]]
            held: list[Box4] = []
            for _, _, flags, m, x, lang, s, e in rows:
                box: Box4 = (m, masks[x], languages[lang], s, e)
                if not flags & GIVES:
                    # held non-exclusively is not enough for an exclusive grant
                    if flags & (OWNS | EXCLUSIVE) or not exclusive:
                        held.append(box)
                else:  # given away, not on hold, and blocking (see above)
                    # an encumbrance that meets the request blocks part of it, or meets a
                    # part not held: either way the report has an unavailable part
                    if any(_split(b, box)[0] is not None for b in asked):
                        return False
            rest = list(asked)
            for holding in held:
                rest = _cut_all(rest, holding)[1]
                if not rest:
                    break
            if rest:
                return False  # not held, or held only non-exclusively
        return True

    def _owned_elsewhere(self, requests: dict[str, list[Box4]], contract_id: str) -> bool:
        """Whether another ownership record covers a cell-day of ``requests``."""
        names, dead = self._contract_ids, self._dead
        for title, boxes in requests.items():
            index = self._title_index.get(title)
            for row in self._owners.get(index, ()) if index is not None else ():
                if row[1] in dead or names[row[1]] == contract_id:
                    continue
                box = self._box(row)
                if any(_split(b, box)[0] is not None for b in boxes):
                    return True
        return False

    def _requests_of(self, grant: Grant, until: int) -> dict[str, list[Box4]]:
        requests: dict[str, list[Box4]] = defaultdict(list)
        for title, box in self._resolve_item(grant, self.catalog.expand(grant.titles), until):
            requests[title].append(box)
        return requests

    def _ask(
        self,
        licensor: str,
        requests: dict[str, list[Box4]],
        exclusive: bool,
        exclude: str | None,
        today: int | None = None,
    ) -> AvailsReport:
        boxes = [b for group in requests.values() for b in group]
        if not boxes:
            return AvailsReport((), ())
        bounds: Box4 = (
            _union(b[0] for b in boxes),
            _union(b[1] for b in boxes),
            ALL_LANGUAGES,
            min(b[3] for b in boxes),
            max(b[4] for b in boxes),
        )
        return self._answer(
            licensor,
            requests.keys(),
            lambda t: requests[t],
            exclusive,
            bounds,
            exclude,
            today=today,
        )

    def _ownership_overlap(self, requests: dict[str, list[Box4]], exclude: str) -> AvailsReport:
        free: list[Box] = []
        unavailable: list[Unavailable] = []
        names = self._contract_ids
        for title, boxes in requests.items():
            rest = list(boxes)
            index = self._title_index.get(title)
            stored = [
                r
                for r in (self._owners.get(index, ()) if index is not None else ())
                if r[1] not in self._dead and names[r[1]] != exclude
            ]
            owners = sorted(
                ((names[r[1]], self._box(r)) for r in stored),
                key=lambda pair: pair[0],
            )
            for owner, box in owners:
                inside, rest = _cut_all(rest, box)
                unavailable.extend(
                    Unavailable(Box(frozenset((title,)), *b), ALREADY_OWNED, owner) for b in inside
                )
            free.extend(Box(frozenset((title,)), *b) for b in rest)
        return build_report(free, unavailable, ())

    def broken_chains(
        self, contracts: Iterable[Contract] | None = None
    ) -> list[tuple[str, int, AvailsReport]]:
        """Executed grants whose licensor no longer holds what they gave (a broken chain
        of title): ``(contract id, grant index, report of the parts not held)``. Checks the
        kept contracts, or ``contracts`` when given."""
        out: list[tuple[str, int, AvailsReport]] = []
        pool = self.contracts.values() if contracts is None else contracts
        for contract in sorted(pool, key=lambda c: c.id):
            if contract.licensor is None or not contract.in_force():
                continue
            for index, grant in enumerate(contract.grants):
                requests = self._requests_of(grant, contract.in_force_until())
                report = self._ask(contract.licensor, requests, grant.exclusive, contract.id)
                lost = tuple(
                    u
                    for u in report.unavailable
                    if u.reason in ("not-held", "held-non-exclusively")
                )
                if lost:
                    out.append((contract.id, index, AvailsReport((), lost, ())))
        return out


def _union(masks: Iterable[int]) -> int:
    out = 0
    for mask in masks:
        out |= mask
    return out


def is_absolute(bound: DateBound | None) -> bool:
    """Whether a term bound needs no release date (open, or a plain date)."""
    return bound is None or not bound.is_relative


def resolve_bounds(
    start: DateBound | None, end: DateBound | None, release: date | None
) -> tuple[int, int]:
    """A term's half-open day range for ``release``; a bound that cannot resolve empties it."""
    first = start.resolve(release) if start else None
    last = end.resolve(release) if end else None
    begin = to_start(first) if (start is None or first is not None) else FOREVER
    finish = to_end(last) if (end is None or last is not None) else DAWN
    return begin, finish


def validate_contract(contract: Contract, catalog: Catalog) -> list[Problem]:
    """Problems that make a contract meaningless whatever the book holds: unknown titles,
    licensor = licensee, holdbacks or options on an ownership record, a term that ends
    before it starts, a relative term on a title with no release date, an option to be
    exercised after the end of the rights it is about or held by the licensor itself
    (a bulk load's plain contracts are told by :func:`.validation.plainly_valid`)."""
    if plainly_valid(contract, catalog):
        return []
    problems: list[Problem] = []
    where = f"contract {contract.id}"
    if contract.licensor is not None and contract.licensor == contract.licensee:
        problems.append(Problem("licensor and licensee are the same party", field=where))
    if contract.is_ownership and contract.holdbacks:
        problems.append(
            Problem("an ownership record (no licensor) cannot carry holdbacks", field=where)
        )
    if contract.is_ownership and contract.options:
        problems.append(
            Problem("an ownership record (no licensor) cannot carry options", field=where)
        )
    # (kind, position, item): the field is named only for a problem (a bulk load validates
    # a million contracts that have none)
    items: list[tuple[str, int, Grant | Holdback | Option]] = [
        ("grants", i, g) for i, g in enumerate(contract.grants)
    ] + [("holdbacks", i, h) for i, h in enumerate(contract.holdbacks)]
    items += [("options", i, o) for i, o in enumerate(contract.options)]
    for i, option in enumerate(contract.options):
        problems.extend(_option_problems(option, f"{where} options[{i}]", contract, catalog))
    for kind, position, item in items:
        for title in item.titles:
            if title not in catalog:
                problems.append(
                    Problem(f"unknown title '{title}'", field=f"{where} {kind}[{position}]")
                )
        if all(t in catalog for t in item.titles) and not catalog.expand(item.titles):
            problems.append(
                Problem(
                    "the titles cover nothing (empty collection)",
                    field=f"{where} {kind}[{position}]",
                )
            )
        if is_absolute(item.start) and is_absolute(item.end):
            begin, finish = resolve_bounds(item.start, item.end, None)
            if finish <= begin:
                problems.append(
                    Problem(
                        f"term ends ({item.end}) before it starts ({item.start})",
                        field=f"{where} {kind}[{position}]",
                    )
                )
        else:
            for title in sorted(catalog.expand(item.titles)):
                release, releases = catalog.release_of(title)
                if release is None and not releases:
                    bound = item.start if item.start and item.start.is_relative else item.end
                    problems.append(
                        Problem(
                            f"title '{title}' has no release date for the relative term '{bound}'",
                            field=f"{where} {kind}[{position}]",
                        )
                    )
    return problems


def _option_problems(
    option: Option, field: str, contract: Contract, catalog: Catalog
) -> list[Problem]:
    """Rule 21: an option is exercised by the end of its box at the latest, and a licensor
    holds no option on itself."""
    problems: list[Problem] = []
    if option.holder == contract.licensor:
        problems.append(Problem("the licensor cannot hold an option on itself", field=field))
    if option.end is None:
        return problems
    if not option.end.is_relative:
        ends = [option.end.day]
    else:
        ends = []
        for title in sorted(catalog.expand(option.titles)):
            release, releases = catalog.release_of(title)
            ends += [option.end.resolve(day) for day in (release, *releases.values())]
    last = max((day for day in ends if day is not None), default=None)
    if last is not None and option.exercise_by > last:
        problems.append(
            Problem(
                f"exercise_by {option.exercise_by} is after the end of the option's rights "
                f"({option.end})",
                field=field,
            )
        )
    return problems


class _Extended:
    """A table read through: ``base`` (never changed) followed by entries of its own."""

    __slots__ = ("base", "extra", "size")

    def __init__(self, base: Any) -> None:
        self.base = base
        self.size = base.count if isinstance(base, _SavedMasks) else len(base)
        self.extra: list[Any] = []

    def __len__(self) -> int:
        return self.size + len(self.extra)

    def __getitem__(self, index: int) -> Any:
        size = self.size
        return self.base[index] if index < size else self.extra[index - size]

    def append(self, value: Any) -> None:
        self.extra.append(value)


class _Either:
    """Two sets read as their union, without copying either."""

    __slots__ = ("first", "second")

    def __init__(self, first: set[int], second: set[int]) -> None:
        self.first, self.second = first, second

    def __contains__(self, value: object) -> bool:
        return value in self.first or value in self.second

    def __bool__(self) -> bool:
        return bool(self.first or self.second)

    def __len__(self) -> int:
        return len(self.first | self.second)

    def __iter__(self) -> Iterator[int]:
        return iter(self.first | self.second)


class _LaidOver(_Shelf):
    """A party's shelf with a few entries laid over it: the sorted columns are the
    shelf's own arrays (never written in place), the recent additions a copy."""

    __slots__ = ()

    def __init__(self, base: _Shelf | None) -> None:
        super().__init__()
        if base is not None:
            self.columns = base.columns
            self.pending = defaultdict(list, base.pending)
            self.waiting = base.waiting

    def add(self, row: Row, dead: set[int]) -> None:
        self.pending[row[0]] = [*self.pending.get(row[0], ()), row]  # the base's list stays
        self.waiting += 1


def _read_only(*_: Any, **__: Any) -> Any:
    raise TypeError("a wound-back book only answers questions")


class _WoundBack(RightsBook):
    """See :meth:`RightsBook.wound_back`."""

    add = replace = remove = add_title = settle = compact = _read_only
    snapshot = check = broken_chains = _read_only

    def __init__(self, book: RightsBook, now: Iterable[Contract], then: Iterable[Contract]) -> None:
        hidden: set[int] = set()
        vars(self).update(vars(book))
        vars(self).update(
            contracts={},
            _shelves=ChainMap({}, book._shelves),
            _owners=defaultdict(list),
            _dead=_Either(book._dead, hidden),
            _referencing=defaultdict(set),
            _contract_ids=_Extended(book._contract_ids),
            _title_ids=_Extended(book._title_ids),
            _title_index=ChainMap({}, book._title_index),
            _territories=_Extended(book._territories),
            _territory_index={},
            _languages=_Extended(book._languages),
            _language_index={},
            _options=ChainMap({}, book._options),
            _options_of=defaultdict(set),
        )
        names = book._contract_ids
        for contract in now:
            party = contract.licensor or contract.licensee
            hidden |= book._indexes_of(contract.id, party, book._titles_of(contract))
            for licensor, title in book._options_of.get(contract.id, ()):
                by_title = self._own_options(licensor)
                kept = [o for o in by_title.get(title, ()) if names[o[0]] != contract.id]
                if kept:
                    by_title[title] = kept
                else:
                    by_title.pop(title, None)
        for contract in then:
            self._shelve(contract, None)

    def _own_options(self, licensor: str) -> dict[int, list[OptionRow]]:
        """The view's own copy of ``licensor``'s options (the book's stay as they are)."""
        own = self._options.maps[0]  # type: ignore[attr-defined]
        if licensor not in own:
            own[licensor] = {t: list(rows) for t, rows in self._options.get(licensor, {}).items()}
        found: dict[int, list[OptionRow]] = own[licensor]
        return found

    def _shelve_options(self, contract: Contract, index: int, only: str | None) -> None:
        if contract.licensor is not None:
            self._own_options(contract.licensor)
        super()._shelve_options(contract, index, only)

    def _shelf(self, party: str) -> _Shelf:
        shelf = self._shelves.get(party)
        if not isinstance(shelf, _LaidOver):
            shelf = self._shelves[party] = _LaidOver(shelf)
        return shelf
