"""Rule 12: a book wound back through changed contracts answers as a book built afresh
from the contracts as they were, and leaves the live book as it stands (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.domain.contracts import Contract
from reelrights.engine import RightsBook
from reelrights.engine.avails import cell_answers
from tests.engine.test_options import books_with_options, options
from tests.strategies import CATALOG, contracts, day, requests

IDS = [f"k{i}" for i in range(20)]


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Contract], list[Contract]]:
    """A book as it was, and the same book after a random sequence of changes: new
    contracts, new states of existing ones (executed, terminated, back to draft, other
    rights or options), and contracts taken out."""
    past = draw(books_with_options())
    present = {c.id: c for c in past}
    for _ in range(draw(st.integers(1, 8))):
        contract_id = draw(
            st.sampled_from([*present, *IDS[:8]]) if present else st.sampled_from(IDS)
        )
        if contract_id in present and draw(st.integers(0, 4)) == 0:
            del present[contract_id]
            continue
        fresh = draw(contracts(contract_id))
        if fresh.licensor is not None:
            fresh = replace(fresh, options=tuple(draw(st.lists(options(), max_size=2))))
        present[contract_id] = fresh
    return past, list(present.values())


def live_book(past: list[Contract], present: list[Contract], settle: bool) -> RightsBook:
    """The index as a server holds it: built from the past, then changed write by write
    (keeping no contracts, as the service's index does); with ``settle``, restored from
    a saved index file before and after the writes (so the view meets territory masks
    not read from the file yet)."""
    book = RightsBook(CATALOG, past, keep_contracts=False)
    if settle:
        book = RightsBook.restore(CATALOG, *book.snapshot())
    before = {c.id: c for c in past}
    after = {c.id: c for c in present}
    for contract_id in sorted(before.keys() | after.keys()):
        if before.get(contract_id) == after.get(contract_id):
            continue
        if contract_id in before:
            book.remove(before[contract_id])
        if contract_id in after:
            book.add(after[contract_id])
    if settle:  # a process started from the file saved after these writes
        book = RightsBook.restore(CATALOG, *book.snapshot())
    return book


@settings(max_examples=300, deadline=None)
@given(histories(), st.lists(requests(), min_size=1, max_size=4), st.booleans(), st.integers(0, 40))
def test_the_wound_back_book_answers_as_the_past_rebuilt(history, asked, settle, today) -> None:
    past, present = history
    book = live_book(past, present, settle)
    then = {c.id: c for c in past}
    now = {c.id: c for c in present}
    changed = sorted(i for i in then.keys() | now.keys() if then.get(i) != now.get(i))
    view = book.wound_back(
        [now[i] for i in changed if i in now], [then[i] for i in changed if i in then]
    )
    rebuilt_past = RightsBook(CATALOG, past)
    rebuilt_present = RightsBook(CATALOG, present)
    for request in asked:
        request = replace(request, today=day(today).toordinal())
        # the same answer for every cell-day (the boxes may be cut otherwise: the books
        # took their contracts in another order)
        assert cell_answers(view.avails(request)) == cell_answers(rebuilt_past.avails(request))
        assert cell_answers(book.avails(request)) == cell_answers(
            rebuilt_present.avails(request)
        )  # untouched


def test_a_wound_back_book_refuses_writes() -> None:
    book = RightsBook(CATALOG, keep_contracts=False)
    view = book.wound_back([], [])
    with pytest.raises(TypeError, match="only answers questions"):
        view.add(Contract("k1", "p", "q"))
    with pytest.raises(TypeError, match="only answers questions"):
        view.snapshot()


def test_cell_answers_see_through_the_cut_of_the_boxes_but_not_a_change() -> None:
    from reelrights.domain.boxes import Box
    from reelrights.domain.languages import ALL_LANGUAGES
    from reelrights.engine import AvailsReport, Unavailable

    def box(media: int, start: int, end: int) -> Box:
        return Box(frozenset({"a"}), media, 0b11, ALL_LANGUAGES, start, end)

    whole = AvailsReport((box(0b11, 0, 10),), ())
    cut = AvailsReport((box(0b01, 0, 10), box(0b10, 0, 4), box(0b10, 4, 10)), ())
    assert whole != cut and cell_answers(whole) == cell_answers(cut)
    sold = AvailsReport((box(0b01, 0, 10),), (Unavailable(box(0b10, 0, 10), "holdback", "k"),))
    assert cell_answers(sold) != cell_answers(whole)
