"""As-of questions (rule 12) from the wound-back index agree with the book rebuilt from the
whole change log, at every moment of a history, and leave the present untouched."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from reelrights.domain.problems import InvalidInput
from reelrights.service import Service
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
