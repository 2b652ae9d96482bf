"""The engine against a brute-force oracle on small random universes (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.domain.boxes import Box, compact
from reelrights.domain.contracts import Contract, Grant
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.media import LEAF_BIT
from reelrights.domain.terms import DateBound, from_end, from_start
from reelrights.domain.territories import COUNTRY_BIT
from reelrights.engine import AvailsReport, AvailsRequest, RightsBook
from reelrights.engine import book as engine_book
from reelrights.engine.avails import REASONS
from tests.strategies import (
    CATALOG,
    COUNTRIES,
    LANGUAGES,
    MEDIA,
    PARTIES,
    Cell,
    books,
    cells_of,
    check_oracle,
    day,
    grant_cells,
    language_sets,
    mask,
    oracle,
    oracle_warnings,
    requests,
)
from tests.strategies import (
    contracts as drawn_contract,
)


def contains(box: Box, cell: Cell) -> bool:
    return (
        cell.title in box.titles
        and bool(box.media & LEAF_BIT[cell.medium])
        and bool(box.territories & COUNTRY_BIT[cell.country])
        and box.languages.contains(cell.language)
        and box.start <= cell.day < box.end
    )


def outcome(report: AvailsReport, cell: Cell) -> list[tuple[str | None, str | None]]:
    found: list[tuple[str | None, str | None]] = [
        (None, None) for b in report.available if contains(b, cell)
    ]
    found += [(u.reason, u.contract) for u in report.unavailable if contains(u.box, cell)]
    return found


def inside_request(box: Box, request: AvailsRequest) -> bool:
    return (
        box.titles <= CATALOG.expand(request.titles)
        and box.media & ~request.media == 0
        and box.territories & ~request.territories == 0
        and not (box.languages - request.languages)
        and request.start <= box.start < box.end <= request.end
    )


@settings(max_examples=300, deadline=None)
@given(books(), requests())
def test_avails_partition_the_request_and_match_the_oracle(contracts, request) -> None:
    report = RightsBook(CATALOG, contracts).avails(request)
    for box in (*report.available, *(u.box for u in report.unavailable)):
        assert inside_request(box, request), box
    for warning in report.warnings:
        assert warning.code == "held-for-negotiation"
        assert inside_request(warning.box, request), warning
    for cell in cells_of(request):
        found = outcome(report, cell)
        assert len(found) == 1, (cell, found)  # exactly one part: a partition
        assert found[0] == oracle(contracts, request.licensor, request.exclusive, cell), cell
        flagged = {w.contract for w in report.warnings if contains(w.box, cell)}
        assert flagged == oracle_warnings(contracts, request.licensor, cell), cell
    assert report.status == (
        "available" if not report.unavailable else "partial" if report.available else "unavailable"
    )
    assert all(u.reason in REASONS for u in report.unavailable)


@settings(max_examples=150, deadline=None)
@given(books(max_contracts=8), st.randoms(use_true_random=False), requests())
def test_the_order_contracts_were_stored_in_never_changes_an_answer(
    contracts, rng: random.Random, request
) -> None:
    book = RightsBook(CATALOG)
    accepted = []
    for contract in sorted(contracts, key=lambda c: c.licensor is not None):
        if contract.in_force() and not book.check(contract).ok:
            continue
        book.add(contract)
        accepted.append(contract)
    shuffled = list(accepted)
    rng.shuffle(shuffled)
    again = RightsBook(CATALOG, shuffled)
    assert again.avails(request) == book.avails(request)


REACHED = {"examples": 0, "asserted": 0}  # how often the property below gets to its point


@settings(max_examples=150, deadline=None)
@given(books(max_contracts=8), st.data())
def test_after_executing_an_approved_contract_its_exclusive_cells_are_unavailable(
    contracts, data: st.DataObject
) -> None:
    # Store what the book accepts, then sell part of what a holder still has free,
    # exclusively: the check must approve it, and afterwards none of it is available,
    # to an exclusive request or not. Drawing the sale from the holder's own avails makes
    # nearly every example reach the assertions (count them with REACHED).
    book = RightsBook(CATALOG)
    stored = []
    for contract in sorted(contracts, key=lambda c: c.licensor is not None):
        if not contract.in_force() or book.check(contract).ok:
            book.add(contract)
            stored.append(contract)
    REACHED["examples"] += 1
    for contract in stored:  # what the book approved of the drawn contracts
        if contract.status == "executed" and contract.licensor is not None:
            for grant in contract.grants:
                if grant.exclusive:
                    for box in book.boxes_of(grant, CATALOG.expand(grant.titles)):
                        assert_sold(book, contract.licensor, box)
    holders = sorted(
        {
            c.licensee
            for c in stored
            if c.in_force()
            and (c.licensor is None or any(g.sublicense and g.exclusive for g in c.grants))
        }
    )
    if not holders:
        return
    licensor = data.draw(st.sampled_from(holders))
    whole = AvailsRequest.of(  # everything in the universe, from a drawn day on
        licensor,
        ("a", "b", "c"),
        mask(MEDIA, LEAF_BIT),
        mask(COUNTRIES, COUNTRY_BIT),
        day(data.draw(st.integers(0, 5))),
        None,
        ALL_LANGUAGES,
        True,
    )
    free = book.avails(whole).available
    if not free:
        return
    box = data.draw(st.sampled_from(free))
    sale = Contract(
        "sale",
        licensor,
        data.draw(st.sampled_from([p for p in PARTIES if p != licensor])),
        grants=(
            Grant(
                tuple(sorted(box.titles)),
                box.media,
                box.territories,
                box.languages,
                None if (first := from_start(box.start)) is None else DateBound(first),
                None if (last := from_end(box.end)) is None else DateBound(last),
                exclusive=True,
            ),
        ),
    )
    assert book.check(sale).ok  # what avails says is free, the check approves
    book.add(sale)
    REACHED["asserted"] += 1
    assert_sold(book, licensor, box)
    for exclusive in (False, True):
        report = book.avails(replace(as_request(licensor, box), exclusive=exclusive))
        assert {(u.reason, u.contract) for u in report.unavailable} == {
            ("exclusive-license", "sale")
        }


def as_request(licensor: str, box: Box) -> AvailsRequest:
    return AvailsRequest(
        licensor,
        tuple(sorted(box.titles)),
        box.media,
        box.territories,
        box.languages,
        box.start,
        min(box.end, box.start + 60),
        False,
    )


def assert_sold(book: RightsBook, licensor: str, box: Box) -> None:
    """Nothing of ``box`` is available to ``licensor``, whether asked exclusively or not."""
    for exclusive in (False, True):
        request = replace(as_request(licensor, box), exclusive=exclusive)
        assert book.avails(request).status == "unavailable", (box, exclusive)


@settings(max_examples=100, deadline=None)
@given(books(max_contracts=8))
def test_a_contract_is_checked_against_the_book_without_it(contracts) -> None:
    # Each contract, stored or new, is checked grant by grant against the other contracts
    # only: its own grants (overlapping ones of different exclusivity included) never
    # block each other (docs/semantics.md rule 6).
    book = RightsBook(CATALOG, contracts)
    for contract in contracts:
        result = book.check(contract)
        assert not result.problems
        assert len(result.reports) == len(contract.grants)
        free = True
        for grant, report in zip(contract.grants, result.reports, strict=True):
            for cell in grant_cells(grant, contract.in_force_until()):
                found = outcome(report, cell)
                assert len(found) == 1, (contract.id, cell, found)
                assert found[0] == check_oracle(contracts, contract, grant, cell), cell
                free = free and found[0] == (None, None)
        assert result.ok == free
        without = RightsBook(CATALOG, [c for c in contracts if c.id != contract.id])
        assert without.check(contract, is_new=True) == result
        # the bulk load's verdict without reports: the oracle's, exactly
        assert without.admits(contract) == free


@settings(max_examples=300, deadline=None)
@given(books(max_contracts=8), st.data())
def test_the_bulk_loads_verdict_is_the_checks(contracts, data: st.DataObject) -> None:
    # A bulk load asks admits() of each contract and builds check()'s report only for one
    # it refuses: the two must agree on every contract, approved or not, on a book filled
    # as a load fills it (through the check) and on one filled regardless.
    book = RightsBook(CATALOG)
    for contract in sorted(contracts, key=lambda c: c.licensor is not None):
        if contract.in_force():
            verdict = book.admits(contract)
            assert verdict == book.check(contract, is_new=True).ok, contract
            if not verdict:
                continue
        book.add(contract)
    for pile in (book, RightsBook(CATALOG, contracts)):
        new = data.draw(drawn_contract("new"))
        verdict = pile.check(new, is_new=True).ok
        assert pile.admits(new) == verdict, new
        assert pile.admits(new, validated=True) == (
            pile.check(new, is_new=True, validated=True).ok
        ), new
        # a busy title's entries are filtered as numpy columns: the same verdict
        vector_from = engine_book.VECTOR_FROM
        engine_book.VECTOR_FROM = 0
        try:
            assert pile.admits(new) == verdict, new
        finally:
            engine_book.VECTOR_FROM = vector_from


# -- the box algebra ----------------------------------------------------------------------

boxes = st.builds(
    Box,
    st.sets(st.sampled_from(("a", "b", "c")), min_size=1).map(frozenset),
    st.integers(1, 7),
    st.integers(1, 7),
    language_sets,
    st.integers(0, 10),
    st.integers(0, 10),
).filter(lambda b: not b.is_empty())


def cells(box: Box) -> set[tuple[str, int, int, str, int]]:
    return {
        (t, m, x, lang, d)
        for t in box.titles
        for m in range(3)
        if box.media >> m & 1
        for x in range(3)
        if box.territories >> x & 1
        for lang in LANGUAGES
        if box.languages.contains(lang)
        for d in range(box.start, box.end)
    }


@settings(max_examples=400, deadline=None)
@given(boxes, boxes)
def test_difference_and_intersection_partition_a_box(a: Box, b: Box) -> None:
    pieces = a - b
    union: set[tuple[str, int, int, str, int]] = set()
    for piece in pieces:
        part = cells(piece)
        assert not part & union  # pieces are disjoint
        union |= part
    assert union == cells(a) - cells(b)
    assert cells(a & b) == cells(a) & cells(b)
    assert a.overlaps(b) == bool(cells(a) & cells(b))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(boxes, st.sampled_from("xyz")), max_size=8))
def test_compaction_never_changes_meaning(items) -> None:
    # Make the input disjoint: each box keeps only what no earlier box took.
    disjoint: list[tuple[Box, str]] = []
    taken: list[Box] = []
    for box, label in items:
        pieces = [box]
        for other in taken:
            pieces = [p for piece in pieces for p in piece - other]
        disjoint.extend((p, label) for p in pieces)
        taken.append(box)
    before = {cell: label for box, label in disjoint for cell in cells(box)}
    after: dict[tuple[str, int, int, str, int], str] = {}
    merged = compact(disjoint)
    for box, label in merged:
        for cell in cells(box):
            assert cell not in after  # still disjoint
            after[cell] = label
    assert after == before
    assert len(merged) <= len(disjoint)


@given(language_sets, language_sets)
def test_language_sets_are_a_boolean_algebra(a: LanguageSet, b: LanguageSet) -> None:
    def members(s: LanguageSet) -> set[str]:
        return {lang for lang in LANGUAGES if s.contains(lang)}

    assert members(a & b) == members(a) & members(b)
    assert members(a | b) == members(a) | members(b)
    assert members(a - b) == members(a) - members(b)
    assert bool(a - b) == bool(members(a - b))


def test_the_universe_of_the_strategies_is_real() -> None:
    assert all(m in LEAF_BIT for m in MEDIA)
    assert all(c in COUNTRY_BIT for c in COUNTRIES)
