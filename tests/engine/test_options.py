"""Rule 21: options and first rights warn until their deadline, never block, lapse with a
terminated contract; the index answers as a brute-force oracle does."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.domain.contracts import OPTION_KINDS, Contract, Option
from reelrights.domain.media import LEAF_BIT
from reelrights.domain.territories import COUNTRY_BIT
from reelrights.engine import AvailsRequest, RightsBook, validate_contract
from tests.engine.test_properties import contains
from tests.helpers import Scenario
from tests.strategies import (
    CATALOG,
    COUNTRIES,
    MEDIA,
    books,
    cells_of,
    covers,
    day,
    in_force_until,
    language_sets,
    mask,
    requests,
    subsets,
    terms,
)

SEQUEL_DEAL = """
parties:
  - {id: studio, name: Studio}
  - {id: netflix, name: Netflix}
  - {id: hbo, name: HBO}
titles:
  - {id: film, name: Film, kind: film, release: 2024-01-01}
  - {id: sequel, name: Sequel, kind: film}
  - {id: franchise, name: Franchise, kind: collection, members: [film, sequel]}
contracts:
  - id: studio-owns
    licensee: studio
    grants: [{titles: [franchise], media: [ALL_MEDIA], territories: [WORLD], start: 2020-01-01}]
  - id: netflix-film
    licensor: studio
    licensee: netflix
    status: STATUS
    TERMINATED
    grants:
      - {titles: [film], media: [SVOD], territories: [US], start: 2024-01-01, end: 2026-12-31,
         exclusive: true}
    options:
      - {kind: first-negotiation, holder: netflix, titles: [sequel], media: [SVOD],
         territories: [US, CA], start: 2027-01-01, end: 2029-12-31, exercise_by: 2026-06-30}
      - {kind: first-refusal, holder: hbo, titles: [sequel], media: [PAY_TV],
         territories: [US], start: 2027-01-01, exercise_by: 2026-09-30}
      - {kind: renewal, holder: netflix, titles: [film], media: [SVOD], territories: [US],
         start: 2027-01-01, end: 2028-12-31, exercise_by: 2026-09-30}
"""


def scenario(status: str = "executed", terminated: str | None = None) -> Scenario:
    text = SEQUEL_DEAL.replace("STATUS", status).replace(
        "TERMINATED", f"terminated: {terminated}" if terminated else ""
    )
    return Scenario(text)


def ask(s: Scenario, today: str, titles: str = "sequel", media: str = "SVOD,PAY_TV") -> list:
    request = AvailsRequest.of(
        "studio",
        titles.split(","),
        s.media.parse(media.split(",")),
        s.geo.parse(["US", "CA", "GB"]),
        date(2027, 1, 1),
        date(2027, 12, 31),
        today=date.fromisoformat(today),
    )
    report = s.book.avails(request)
    assert report.status == "available"  # an option never blocks
    return [w.to_json() for w in report.warnings]


def test_first_negotiation_warns_the_licensor_until_the_deadline_inclusive() -> None:
    s = scenario()
    warnings = ask(s, "2026-06-30", media="SVOD")
    assert warnings == [
        {
            "code": "first-negotiation",
            "contract": "netflix-film",
            "holder": "netflix",
            "titles": ["sequel"],
            "media": ["SVOD"],
            "territories": ["CA", "US"],
            "languages": "all",
            "start": "2027-01-01",
            "end": "2027-12-31",
        }
    ]
    assert ask(s, "2026-07-01", media="SVOD") == []  # the day after the deadline


def test_first_refusal_warns_until_its_own_deadline() -> None:
    s = scenario()
    codes = [(w["code"], w["holder"], w["media"]) for w in ask(s, "2026-07-15")]
    assert codes == [("first-refusal", "hbo", ["PAY_TV"])]
    assert ask(s, "2026-10-01") == []


def test_a_renewal_option_never_warns() -> None:
    s = scenario()
    assert ask(s, "2026-01-01", titles="film", media="SVOD") == []


def test_a_collection_request_meets_a_member_s_option() -> None:
    s = scenario()
    warnings = ask(s, "2026-01-01", titles="franchise", media="SVOD")
    assert [(w["code"], w["titles"]) for w in warnings] == [("first-negotiation", ["sequel"])]


def test_an_option_of_a_terminated_contract_lapses_with_it() -> None:
    early = scenario("terminated", "2026-03-01")
    assert [w["code"] for w in ask(early, "2026-02-28")] == [
        "first-negotiation",
        "first-refusal",
    ]
    assert ask(early, "2026-03-01") == []  # terminated: in force through Feb 28 only
    assert ask(scenario("terminated"), "2026-01-01") == []  # void: never in force


def test_draft_and_hold_contracts_give_no_options() -> None:
    for status in ("draft", "hold"):
        assert all(w["code"] == "held-for-negotiation" for w in ask(scenario(status), "2026-01-01"))


def test_other_licensors_see_no_warning() -> None:
    s = scenario()
    request = AvailsRequest.of(
        "netflix",
        ["sequel"],
        s.media.parse(["SVOD"]),
        s.geo.parse(["US"]),
        date(2027, 1, 1),
        None,
        today=date(2026, 1, 1),
    )
    assert s.book.avails(request).warnings == ()


def test_removing_or_replacing_the_contract_drops_its_options() -> None:
    s = scenario()
    contract = next(c for c in [*s.book.contracts.values()] if c.id == "netflix-film")
    s.book.replace(replace(contract, options=contract.options[:1]))
    assert [w["code"] for w in ask(s, "2026-01-01")] == ["first-negotiation"]
    s.book.remove("netflix-film")
    assert ask(s, "2026-01-01") == []


def test_an_option_exercised_after_its_rights_end_or_held_by_its_licensor_is_refused() -> None:
    s = scenario()
    contract = s.book.contracts["netflix-film"]
    late = replace(contract.options[0], exercise_by=date(2030, 1, 1))
    own = replace(contract.options[0], holder="studio")
    problems = validate_contract(replace(contract, options=(late, own)), s.book.catalog)
    assert [(p.field, p.message) for p in problems] == [
        (
            "contract netflix-film options[0]",
            "exercise_by 2030-01-01 is after the end of the option's rights (2029-12-31)",
        ),
        ("contract netflix-film options[1]", "the licensor cannot hold an option on itself"),
    ]


# -- against an oracle ------------------------------------------------------------------


@st.composite
def options(draw: st.DrawFn) -> Option:
    start, end = draw(terms())
    return Option(
        draw(st.sampled_from(OPTION_KINDS)),
        draw(st.sampled_from(("p", "q", "r"))),
        draw(subsets(("a", "b", "c", "ab"))),
        mask(draw(subsets(MEDIA)), LEAF_BIT),
        mask(draw(subsets(COUNTRIES)), COUNTRY_BIT),
        day(draw(st.integers(0, 38))),
        draw(language_sets),
        start,
        end,
    )


@st.composite
def books_with_options(draw: st.DrawFn) -> list[Contract]:
    book = draw(books())
    return [
        replace(c, options=tuple(draw(st.lists(options(), max_size=2))))
        if c.licensor is not None
        else c
        for c in book
    ]


def option_oracle(book: list[Contract], licensor: str, today: int, cell) -> set[tuple]:
    """The (code, contract, holder) of every option warning on one cell-day."""
    found = set()
    for c in book:
        until = in_force_until(c)
        if until is None or c.licensor != licensor:
            continue
        for o in c.options:
            stands = min(o.exercise_by.toordinal() + 1, until)
            if o.warns and today < stands and covers(o, cell, 10**9):
                found.add((o.kind, c.id, o.holder))
    return found


@settings(max_examples=200, deadline=None)
@given(books_with_options(), requests(), st.integers(0, 40))
def test_option_warnings_match_the_oracle(contracts, request, today) -> None:
    asked = replace(request, today=day(today).toordinal())
    report = RightsBook(CATALOG, contracts).avails(asked)
    for cell in cells_of(request):
        found = {
            (w.code, w.contract, w.holder)
            for w in report.warnings
            if w.holder is not None and contains(w.box, cell)
        }
        assert found == option_oracle(contracts, request.licensor, asked.today, cell), cell
    plain = RightsBook(CATALOG, [replace(c, options=()) for c in contracts]).avails(asked)
    assert (plain.available, plain.unavailable) == (report.available, report.unavailable)


def test_search_windows_carry_option_warnings_until_the_deadline() -> None:
    from reelrights.engine.search import SearchRequest, search

    s = scenario()
    request = SearchRequest.of(
        "studio",
        s.media.parse(["SVOD"]),
        s.geo.parse(["US"]),
        date(2027, 1, 1),
        date(2027, 12, 31),
    )
    found = {
        t.title: t
        for t in search(
            s.book, replace(request, today=date(2026, 6, 30).toordinal()), ["film", "sequel"]
        )
    }
    (warning,) = found["sequel"].warnings
    assert warning.to_json() == {
        "code": "first-negotiation",
        "contract": "netflix-film",
        "holder": "netflix",
        "titles": ["sequel"],
        "media": ["SVOD"],
        "territories": ["US"],
        "languages": "all",
        "start": "2027-01-01",
        "end": "2027-12-31",
    }
    assert found["film"].warnings == ()  # a renewal option never warns
    after = search(s.book, replace(request, today=date(2026, 7, 1).toordinal()), ["sequel"])
    assert after[0].warnings == () and after[0].windows == found["sequel"].windows
