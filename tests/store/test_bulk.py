"""Rows for bulk inserts: JSON documents written as SQLAlchemy's JSON type would write them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from reelrights.domain.contracts import Contract
from reelrights.store import tables
from reelrights.store.bulk import bound, insert_rows, json_text
from reelrights.store.repository import Store
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


MOMENT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOSTILE = ["plain", "it's", "'); DROP TABLE changes; --", "100% %s %(x)s", "back\\slash", "é\u2028"]


@pytest.mark.parametrize("actor", HOSTILE)
def test_values_every_row_shares_are_stored_as_given(db_url: str, actor: str) -> None:
    # insert_rows writes a column every row shares into the statement once, as a literal:
    # whatever the text (quotes, marks, SQL), it is stored exactly, on both databases
    assert stored_with(db_url, actor) == [
        (actor, "create", "party", f"e{i}", None) for i in range(3)
    ]


def test_a_shared_text_sql_cannot_hold_is_bound_with_every_row(tmp_path: Path) -> None:
    # SQLite stores a NUL inside a text (PostgreSQL refuses it, bound or not)
    actor = "nul\x00inside"
    assert stored_with(str(tmp_path / "nul.db"), actor) == [
        (actor, "create", "party", f"e{i}", None) for i in range(3)
    ]


def stored_with(url: str, actor: str) -> list[tuple[object, ...]]:
    store = Store(url)
    with store.writing() as writer:
        insert_rows(
            writer.connection,
            tables.changes,
            ("at", "entity_id", "before", "after"),
            [
                (bound(writer.connection, tables.changes.c.at, MOMENT), f"e{i}", "null", "{}")
                for i in range(3)
            ],
            {"actor": actor, "action": "create", "entity": "party", "key_id": None},
        )
    with store.reading() as reader:
        rows = reader.connection.execute(
            select(
                tables.changes.c.actor,
                tables.changes.c.action,
                tables.changes.c.entity,
                tables.changes.c.entity_id,
                tables.changes.c.key_id,
            ).order_by(tables.changes.c.id)
        ).all()
    store.close()
    return [tuple(r) for r in rows]
