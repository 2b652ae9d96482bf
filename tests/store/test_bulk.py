"""Rows for bulk inserts: JSON documents written as SQLAlchemy's JSON type would write them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.domain.contracts import Contract
from reelrights.store.bulk import json_text
from tests.strategies import contracts as drawn_contract


@pytest.mark.parametrize(
    "value",
    [
        None,
        0,
        1.5,
        float("nan"),
        "plain",
        'é\u2028"quoted"\n',
        [],
        {},
        [1, "a", None, True, False, [], {}],
        {"a": [date(2020, 1, 2)], "b": Decimal("1.50"), 3: "x", "t": (1, 2)},
        {"nested": {"é": ["ü", {"deep": [date(1999, 12, 31)]}]}},
    ],
)
def test_json_text_writes_what_json_dumps_writes(value: object) -> None:
    # the change log and the outbox store a million documents through json_text: every
    # one must read back as json.dumps would have written it (dates and decimals as text)
    expected = json.dumps(
        value,
        default=lambda v: v.isoformat() if isinstance(v, date) else str(v),
    )
    assert json_text(value) == expected


def test_json_text_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match="not JSON"):
        json_text({"x": object()})


def _sort_keys_one_by_one(contract: Contract, names: dict[str, str]) -> tuple[str | None, ...]:
    """The contracts list's sort keys as the definition says, over every grant."""
    from reelrights.domain import media as media_codes
    from reelrights.domain import territories as territory_codes
    from reelrights.store.repository import OPEN_END

    grants = contract.grants
    return (
        min((names[i] for g in grants for i in g.titles if i in names), default=None),
        min((",".join(media_codes.leaves_of(g.media)) for g in grants), default=None),
        min(
            (",".join(territory_codes.countries_of(g.territories)) for g in grants),
            default=None,
        ),
        min((str(g.start) for g in grants if g.start), default=None),
        max((str(g.end) if g.end else OPEN_END for g in grants), default=None),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(drawn_contract("k"), min_size=1, max_size=6),
    st.lists(st.sampled_from(["a", "b", "c", "ab"]), unique=True),
    st.integers(0, 3),
)
def test_the_sort_keys_of_a_bulk_insert_are_the_ones_over_every_grant(
    drawn: list[Contract], stored: list[str], empty: int
) -> None:
    # a bulk load writes the contracts list's sort keys of a million contracts, most of one
    # grant of one title, by a shorter way: they must be the keys the definition gives
    # (titles the book does not know have no name; a contract may have no grants)
    from sqlalchemy import create_engine, insert

    from reelrights.store import tables as t
    from reelrights.store.repository import Writer

    contracts = [replace(c, id=f"k{i}") for i, c in enumerate(drawn)]
    if empty < len(contracts):
        contracts[empty] = replace(contracts[empty], grants=())
    names = {title: f"name of {title} {len(title)}" for title in stored}
    engine = create_engine("sqlite://")
    t.metadata.create_all(engine)
    with engine.begin() as connection:
        if names:
            connection.execute(
                insert(t.titles),
                [{"id": i, "name": n, "kind": "film", "version": 1} for i, n in names.items()],
            )
        keys = Writer(connection)._sort_keys(contracts)
    assert keys == {c.id: _sort_keys_one_by_one(c, names) for c in contracts}
