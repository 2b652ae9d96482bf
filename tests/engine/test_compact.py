"""A compacted book (its territory intern table dropped, as after a build from the store)
answers as before, and the writes after it intern masks as an uncompacted book does."""

from __future__ import annotations

from dataclasses import replace

from tests.engine.test_snapshot import GENERATED, ask, fresh


def test_a_compacted_book_answers_and_takes_writes_like_a_full_one() -> None:
    full, small = fresh(), fresh()
    small.compact()
    assert small._territory_index is None
    assert ask(small) == ask(full)
    changed = [replace(c, id=c.id + "-again") for c in GENERATED.licenses[:40]]
    for book in (full, small):
        for contract in changed:
            book.add(contract)
        book.settle()
    # the same masks come back at the same indexes: nothing interned twice
    assert small._territories == full._territories
    assert small._territory_index == full._territory_index
    assert ask(small) == ask(full)
