"""Rule 20: the calendar's dates from a deal sheet a rights analyst could read."""

from __future__ import annotations

from datetime import date

from reelrights.engine.calendar import calendar
from tests.helpers import Scenario

BOOK = """
parties:
  - {id: studio, name: Studio}
  - {id: netflix, name: Netflix}
  - {id: hbo, name: HBO}
  - {id: kbs, name: KBS}
titles:
  - {id: film, name: Film, kind: film, release: 2024-03-01, releases: {KR: 2024-02-01}}
  - {id: sequel, name: Sequel, kind: film}
  - {id: franchise, name: Franchise, kind: collection, members: [film, sequel]}
contracts:
  - id: studio-owns
    licensee: studio
    grants: [{titles: [franchise], media: [ALL_MEDIA], territories: [WORLD], start: 2020-01-01}]
  - id: netflix-film
    licensor: studio
    licensee: netflix
    grants:
      - {titles: [film], media: [SVOD], territories: [US], start: 2024-06-01, end: 2025-05-31,
         exclusive: true}
    holdbacks:
      - {titles: [film], media: [FREE_TV], territories: [US], start: 2024-06-01,
         end: 2024-12-31}
    options:
      - {kind: renewal, holder: netflix, titles: [film], media: [SVOD], territories: [US],
         start: 2025-06-01, end: 2026-05-31, exercise_by: 2025-03-31}
  - id: kbs-window
    licensor: studio
    licensee: kbs
    grants:
      - {titles: [film], media: [FREE_TV], territories: [KR, JP], start: release+90d,
         end: release+1y}
  - id: hbo-ended
    licensor: studio
    licensee: hbo
    status: terminated
    terminated: 2025-02-01
    grants:
      - {titles: [sequel], media: [PAY_TV], territories: [US], start: 2024-01-01}
    options:
      - {kind: first-refusal, holder: hbo, titles: [sequel], media: [PAY_TV],
         territories: [GB], start: 2026-01-01, end: 2026-12-31, exercise_by: 2025-06-30}
  - id: draft-deal
    licensor: studio
    licensee: hbo
    status: draft
    grants: [{titles: [film], media: [AVOD], territories: [US], start: 2024-07-01}]
"""


def rows(**kw: object) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    s = Scenario(BOOK)
    contracts = [*s.book.contracts.values()]
    first = kw.pop("first", date(2024, 1, 1))
    last = kw.pop("last", date(2026, 12, 31))
    return [
        (e.day.isoformat(), e.kind, e.contract, e.party, e.titles)
        for e in calendar(contracts, s.book.catalog, first, last, **kw)  # type: ignore[arg-type]
    ]


def test_every_kind_of_date_in_order() -> None:
    assert rows() == [
        ("2024-01-01", "license-start", "hbo-ended", "hbo", ("sequel",)),
        # release+90d: KR from its own release (Feb 1), JP from the film's (Mar 1)
        ("2024-05-01", "license-start", "kbs-window", "kbs", ("film",)),
        ("2024-05-30", "license-start", "kbs-window", "kbs", ("film",)),
        ("2024-06-01", "license-start", "netflix-film", "netflix", ("film",)),
        ("2024-12-31", "holdback-end", "netflix-film", "studio", ("film",)),
        # a perpetual license terminated on Feb 1 ends on Jan 31
        ("2025-01-31", "license-end", "hbo-ended", "hbo", ("sequel",)),
        ("2025-02-01", "license-end", "kbs-window", "kbs", ("film",)),
        ("2025-03-01", "license-end", "kbs-window", "kbs", ("film",)),
        ("2025-03-31", "option-deadline", "netflix-film", "netflix", ("film",)),
        ("2025-05-31", "license-end", "netflix-film", "netflix", ("film",)),
        # the first refusal (deadline Jun 30, 2025) lapsed with its contract; drafts and
        # ownership records give no dates
    ]


def test_filters_by_range_party_title_and_kind() -> None:
    assert rows(first=date(2025, 3, 1), last=date(2025, 3, 31)) == [
        ("2025-03-01", "license-end", "kbs-window", "kbs", ("film",)),
        ("2025-03-31", "option-deadline", "netflix-film", "netflix", ("film",)),
    ]
    assert [r[2] for r in rows(party="hbo")] == ["hbo-ended", "hbo-ended"]
    assert {r[2] for r in rows(titles=["sequel"])} == {"hbo-ended"}
    assert {r[2] for r in rows(titles=["franchise"])} == {"hbo-ended", "kbs-window", "netflix-film"}
    assert [r[1] for r in rows(kinds=["option-deadline", "holdback-end"])] == [
        "holdback-end",
        "option-deadline",
    ]
    assert rows(first=date(2026, 1, 1), last=date(2025, 1, 1)) == []


def test_event_ids_are_stable_and_distinct() -> None:
    s = Scenario(BOOK)
    events = calendar(
        [*s.book.contracts.values()], s.book.catalog, date(2024, 1, 1), date(2026, 12, 31)
    )
    ids = [e.id for e in events]
    assert len(set(ids)) == len(ids)
    assert "netflix-film/options[0]/option-deadline/2025-03-31" in ids
    assert events[0].to_json() == {
        "id": "hbo-ended/grants[0]/license-start/2024-01-01",
        "date": "2024-01-01",
        "kind": "license-start",
        "contract": "hbo-ended",
        "party": "hbo",
        "titles": ["sequel"],
        "detail": "PAY_TV in US",
    }


def test_a_fee_schedule_gives_payment_dues_until_a_termination() -> None:
    from dataclasses import dataclass, field
    from decimal import Decimal

    from reelrights.domain.contracts import Contract, Money

    @dataclass(frozen=True)
    class Instalment:
        due: date
        amount: Decimal

    @dataclass(frozen=True)
    class Paid(Contract):  # a contract with money terms (rule 19), as the store gives it
        payments: tuple[Instalment, ...] = field(default=())

    s = Scenario(BOOK)
    base = s.book.contracts["netflix-film"]
    fields = {f: getattr(base, f) for f in ("id", "licensor", "licensee", "grants")}
    paid = Paid(
        **fields,
        fee=Money(Decimal(2400000), "USD"),
        payments=(
            Instalment(date(2024, 5, 1), Decimal(1200000)),
            Instalment(date(2025, 8, 1), Decimal(1200000)),
        ),
    )
    events = calendar(
        [paid], s.book.catalog, date(2024, 1, 1), date(2026, 12, 31), kinds=["payment-due"]
    )
    assert [(e.day.isoformat(), e.party, e.detail, e.id) for e in events] == [
        (
            "2024-05-01",
            "netflix",
            "1200000 USD to studio",
            "netflix-film/payments[0]/payment-due/2024-05-01",
        ),
        (
            "2025-08-01",
            "netflix",
            "1200000 USD to studio",
            "netflix-film/payments[1]/payment-due/2025-08-01",
        ),
    ]
    ended = Paid(**fields, status="terminated", terminated=date(2025, 1, 1), payments=paid.payments)
    assert (
        len(
            calendar(
                [ended], s.book.catalog, date(2024, 1, 1), date(2026, 12, 31), kinds=["payment-due"]
            )
        )
        == 1
    )
