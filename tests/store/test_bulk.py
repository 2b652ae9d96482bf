"""Rows for bulk inserts: JSON documents written as SQLAlchemy's JSON type would write them."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from reelrights.store.bulk import json_text


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
