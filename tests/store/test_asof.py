"""As-of questions (rule 12) from the wound-back index agree with the book rebuilt from the
whole change log, at every moment of a history, and leave the present untouched."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelrights.domain.problems import InvalidInput
from reelrights.engine.avails import cell_answers
from reelrights.service import RightsConflict, Service
from tests.store.test_options import BOOK

MORE = """
contracts:
  - id: hbo-pay
    licensor: studio
    licensee: hbo
    status: draft
    grants:
      - {titles: [film], media: [PAY_TV], territories: [US, GB], start: 2025-01-01,
         end: 2025-12-31, exclusive: true}
"""

QUESTIONS = [
    ("studio", ["film"], ["PAY_TV", "SVOD"], ["US", "GB"], "2025-01-01", "2025-12-31"),
    ("studio", ["sequel"], ["SVOD"], ["US"], "2027-01-01", "2027-12-31"),
    ("netflix", ["film"], ["SVOD"], ["US"], "2024-01-01", "2024-12-31"),
]


def moment() -> datetime:
    time.sleep(0.02)
    stamp = datetime.now(UTC)
    time.sleep(0.02)
    return stamp


def test_the_wound_back_index_answers_as_the_replayed_log(db_url: str) -> None:
    svc = Service(db_url, actor="desk")
    before_anything = moment()
    svc.load_texts([("book.yaml", BOOK)])
    moments = [moment()]
    svc.load_texts([("more.yaml", MORE)])
    moments.append(moment())
    svc.execute("hbo-pay")
    moments.append(moment())
    svc.terminate("hbo-pay", date(2025, 7, 1))
    moments.append(moment())
    svc.terminate("netflix-film")
    moments.append(moment())
    present = [svc.avails(svc.request(*q)) for q in QUESTIONS]
    seen = set()
    for at in moments:
        rebuilt = svc.book_as_of(at)
        for question in QUESTIONS:
            request = svc.request(*question)
            fast = svc.avails(request, as_of=at)
            slow = rebuilt.avails(replace(request, today=at.date().toordinal()))
            assert fast == slow, (at, question)
            seen.add(fast.to_json()["status"])
    assert seen == {"available", "partial", "unavailable"}  # the history changed answers
    assert [svc.avails(svc.request(*q)) for q in QUESTIONS] == present  # wound forward
    with pytest.raises(InvalidInput, match="nothing was recorded yet"):
        svc.avails(svc.request(*QUESTIONS[0]), as_of=before_anything)  # as the replay says
    svc.close()


# -- random histories against the replayed log ---------------------------------------------

YEARS = st.integers(2020, 2030)


@st.composite
def documents(draw: st.DrawFn, contract_id: str) -> dict[str, Any]:
    """A contract of the small book above, as a deal-sheet mapping, with an option now
    and then."""
    first = draw(YEARS)
    last = draw(st.integers(first, 2031))
    document: dict[str, Any] = {
        "id": contract_id,
        "licensor": "studio",
        "licensee": draw(st.sampled_from(("netflix", "hbo"))),
        "status": draw(st.sampled_from(("draft", "hold"))),
        "grants": [
            {
                "titles": draw(
                    st.lists(st.sampled_from(("film", "sequel")), min_size=1, unique=True)
                ),
                "media": draw(
                    st.lists(st.sampled_from(("SVOD", "PAY_TV")), min_size=1, unique=True)
                ),
                "territories": draw(
                    st.lists(st.sampled_from(("US", "GB")), min_size=1, unique=True)
                ),
                "start": f"{first}-01-01",
                "end": f"{last}-12-31",
                "exclusive": draw(st.booleans()),
            }
        ],
    }
    if draw(st.booleans()):
        document["options"] = [
            {
                "kind": draw(st.sampled_from(("first-negotiation", "first-refusal"))),
                "holder": "hbo",
                "titles": ["sequel"],
                "media": ["SVOD"],
                "territories": ["US"],
                "start": f"{first}-01-01",
                "end": "2031-12-31",
                "exercise_by": f"{draw(YEARS)}-06-30",
            }
        ]
    return document


STEPS = st.lists(
    st.tuples(
        st.sampled_from(("create", "update", "execute", "terminate", "void")),
        st.sampled_from(("d1", "d2", "d3", "netflix-film", "hbo-pay")),
        st.integers(2020, 2031),
        st.data(),
    ),
    min_size=1,
    max_size=7,
)
ASKED = [
    *QUESTIONS,
    ("studio", ["film", "sequel"], ["SVOD"], ["US", "GB"], "2020-01-01", "2031-12-31"),
    ("studio", ["sequel"], ["PAY_TV"], ["GB"], "2028-01-01", None),
]


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(STEPS)
def test_as_of_any_moment_of_a_random_history_is_the_replayed_log(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, str, int, Any]]
) -> None:
    svc = Service(str(tmp_path_factory.mktemp("asof") / "book.db"), actor="desk")
    svc.load_texts([("book.yaml", BOOK), ("more.yaml", MORE)])
    moments = [moment()]
    for action, contract_id, year, data in steps:
        try:
            if action == "create":
                svc.create_contract(data.draw(documents(contract_id)))
            elif action == "update":
                svc.update_draft(contract_id, data.draw(documents(contract_id)))
            elif action == "execute":
                svc.execute(contract_id)
            else:
                svc.terminate(contract_id, date(year, 3, 1) if action == "terminate" else None)
        except (InvalidInput, RightsConflict):
            continue  # refused (bad input, or a conflict on execute): nothing stored or logged
        moments.append(moment())
    for at in moments:
        rebuilt = svc.book_as_of(at)
        for question in ASKED:
            request = svc.request(*question)
            slow = rebuilt.avails(replace(request, today=at.date().toordinal()))
            fast = svc.avails(request, as_of=at)
            assert cell_answers(fast) == cell_answers(slow), (at, question)
    svc.close()
