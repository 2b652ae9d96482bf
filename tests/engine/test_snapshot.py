"""A book saved with ``snapshot`` and brought back with ``restore`` (over read-only arrays,
as a memory-mapped file gives them) answers exactly as the book it came from, before and
after both are changed the same way."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from benchmarks.generate import generate

from reelrights.domain.languages import ALL_LANGUAGES
from reelrights.domain.territories import COUNTRIES, mask_of
from reelrights.domain.titles import Catalog
from reelrights.engine import AvailsRequest, RightsBook

GENERATED = generate(400)


def everything_of(licensor: str, titles: frozenset[str]) -> AvailsRequest:
    """Every medium, country and language of ``titles`` from 2000 to 2040, exclusive."""
    return AvailsRequest(
        licensor,
        titles,
        (1 << 20) - 1,
        mask_of(COUNTRIES),
        ALL_LANGUAGES,
        date(2000, 1, 1).toordinal(),
        date(2041, 1, 1).toordinal(),
        True,
    )


def fresh() -> RightsBook:
    book = RightsBook(Catalog(GENERATED.titles), keep_contracts=False)
    for contract in GENERATED.contracts:
        book.add(contract)
    book.settle()
    return book


def restored(book: RightsBook) -> RightsBook:
    meta, arrays = book.snapshot()
    frozen = {}
    for name, a in arrays.items():
        copy = np.array(a)
        copy.flags.writeable = False  # a mapped file cannot be written either
        frozen[name] = copy
    return RightsBook.restore(Catalog(GENERATED.titles), meta, frozen)


def ask(book: RightsBook) -> list[object]:
    rng = random.Random(3)
    out = []
    for _ in range(80):
        root = rng.choice(GENERATED.roots)
        year = rng.randint(2001, 2039)
        request = AvailsRequest(
            GENERATED.owner_of[root],
            frozenset([root]),
            (1 << 20) - 1,
            mask_of(rng.sample(COUNTRIES, 60)),
            ALL_LANGUAGES,
            date(year, 1, 1).toordinal(),
            date(year + 3, 1, 1).toordinal(),
            rng.random() < 0.5,
        )
        out.append(book.avails(request).to_json())
    for contract in GENERATED.licenses[:60]:  # the ones the test changes
        assert contract.licensor is not None
        request = everything_of(
            contract.licensor, frozenset(t for g in contract.grants for t in g.titles)
        )
        out.append(book.avails(request).to_json())
    return out


def test_a_restored_book_answers_as_the_original_and_changes_alike() -> None:
    book = fresh()
    copy = restored(book)
    before = ask(book)
    assert ask(copy) == before
    assert any(a["unavailable"] for a in before)  # type: ignore[index]
    # Terminate some licenses and drop others in both: the restored shelves rebuild their
    # columns instead of writing into the read-only ones.
    licenses = GENERATED.licenses
    for contract in licenses[:40]:
        ended = replace(contract, terminated=date(2001, 1, 1))
        book.replace(ended)
        copy.replace(ended)
    for contract in licenses[40:60]:
        book.remove(contract)
        copy.remove(contract)
    book.settle()
    copy.settle()
    assert ask(copy) == ask(book) != before
    # And a restored book saves and restores again.
    assert ask(restored(copy)) == ask(book)


def test_a_book_with_state_the_snapshot_does_not_know_refuses_to_save() -> None:
    book = fresh()
    book.new_state = {}  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="does not save"):
        book.snapshot()
    with pytest.raises(ValueError):
        RightsBook(Catalog(), keep_contracts=True).snapshot()


def test_a_restored_book_reads_its_territory_masks_as_questions_need_them() -> None:
    """A fresh process converts only the masks its first questions read; once many were
    read, or before a write, it holds them all, the same as the book it came from."""
    book = fresh()
    masks = list(book._territories)
    copy = restored(book)
    request = everything_of(GENERATED.owner_of[GENERATED.roots[0]], frozenset([GENERATED.roots[0]]))
    assert copy.avails(request) == book.avails(request)
    read = dict(copy._territories)  # type: ignore[call-overload]
    assert 0 < len(read) < len(masks) // 16
    assert all(masks[i] == m for i, m in read.items())
    with pytest.raises(IndexError):
        copy._territories[len(masks)]
    assert ask(copy) == ask(book)  # reads more than a sixteenth: converted at once
    assert copy._territories == masks and isinstance(copy._territories, list)
    again = restored(book)
    again.add(replace(GENERATED.licenses[0], id="another-one"))  # a write needs them all
    assert again._territories == masks
