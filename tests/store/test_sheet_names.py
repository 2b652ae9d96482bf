"""Names inside deal sheets (docs/semantics.md rule 13, docs/deal-sheet.md "Names"): a
contract's parties and titles by id or name, territories by English name, media by label;
a name that matches nothing or several is a located error with the closest matches, and
nothing is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelrights.domain.problems import InvalidInput
from reelrights.domain.territories import Geography
from reelrights.service import Service
from tests.store.test_service import BOOK, ask

BY_NAME = """
parties:
  - {id: nflx, name: Netflix}
titles:
  - {id: p1, name: Pilot, kind: film}
  - {id: p2, name: Pilot, kind: film}
contracts:
  - id: nflx-owns-p
    licensee: Netflix
    grants:
      - {titles: [p1], media: [ALL_MEDIA], territories: [WORLD], start: 2020-01-01}
  - id: netflix-hk
    licensor: The Walt Disney Company
    licensee: netflix
    grants:
      - titles: [A New Hope, "  the empire   STRIKES back "]
        media: [Subscription VOD]
        territories: [Hong Kong, jp]
        start: 2030-01-01
        end: 2030-12-31
        exclusive: true
    holdbacks:
      - {titles: [Star Wars], media: [FREE_TV], territories: [hk], start: 2030-01-01,
         end: 2030-06-30}
    options:
      - {kind: first-negotiation, holder: Youku, titles: [A New Hope], media: [SVOD],
         territories: [Hong Kong], start: 2031-01-01, end: 2031-12-31,
         exercise_by: 2030-10-31}
"""


@pytest.fixture
def service(tmp_path: Path) -> Service:
    service = Service(str(tmp_path / "book.db"), actor="test")
    service.load_texts([("book.yaml", BOOK)])
    return service


def test_a_sheet_names_parties_titles_territories_and_media_and_stores_ids(
    service: Service,
) -> None:
    result = service.load_texts([("names.yaml", BY_NAME)])
    assert (result.parties, result.titles, result.contracts) == (1, 2, 2)
    sold = service.contract("netflix-hk")
    owned = service.contract("nflx-owns-p")
    assert owned.licensor is None and owned.licensee == "nflx"
    assert (sold.licensor, sold.licensee) == ("disney", "nflx")
    (grant,) = sold.grants
    assert grant.titles == ("sw4", "sw5")
    assert grant.media == service.vocabularies()[0].parse(["SVOD"])
    assert grant.territories == Geography().parse(["HK", "JP"])
    assert sold.holdbacks[0].titles == ("saga",)
    (option,) = sold.options
    assert (option.holder, option.titles) == ("youku", ("sw4",))
    # the rights were checked and stored by id: Disney can no longer sell them
    answer = ask(service, titles=["sw5"], territories=["JP"], start="2030-03-01", end="2030-03-31")
    assert [(u["reason"], u["contract"]) for u in answer["unavailable"]] == [
        ("exclusive-license", "netflix-hk")
    ]


def test_an_id_wins_over_a_name(service: Service) -> None:
    # a party named "youku" that is not Youku: the id youku is meant
    text = (
        BY_NAME.replace("{id: nflx, name: Netflix}", "{id: nflx, name: youku}")
        .replace("licensee: Netflix", "licensee: nflx")
        .replace("licensee: netflix", "licensee: youku")
    )
    with pytest.raises(InvalidInput, match="'Youku' names several parties: nflx youku, youku"):
        service.load_texts([("names.yaml", text)])  # the option's holder: by name, two match
    service.load_texts([("names.yaml", text.replace("holder: Youku", "holder: youku"))])
    assert service.contract("netflix-hk").licensee == "youku"
    assert service.contract("netflix-hk").options[0].holder == "youku"


BAD = """contracts:
  - id: bad
    licensor: The Walt Disney Company
    licensee: Tencent Vido
    grants:
      - titles: [A New Hop, Pilot]
        media: [Subscription VDO]
        territories: [Hong Kongg]
        start: 2030-01-01
    options:
      - {kind: first-refusal, holder: Yokou, titles: [sw4], media: [SVOD],
         territories: [HK], start: 2031-01-01, end: 2031-12-31, exercise_by: 2030-10-31}
  - id: tencent-online
    licensor: disney
    licensee: youku
    grants: [{titles: [sw4], media: [SVOD], territories: [KR], start: 2031-01-01}]
"""
PILOTS = "titles: [{id: p1, name: Pilot, kind: film}, {id: p2, name: pilot, kind: film}]\n"


def test_unknown_and_ambiguous_names_are_located_with_the_closest_matches(
    service: Service,
) -> None:
    service.load_texts([("pilots.yaml", PILOTS)])
    before = service.counts()
    # the media and territory names are refused while reading; nothing else is looked at
    with pytest.raises(InvalidInput) as caught:
        service.load_texts([("bad.yaml", BAD)])
    assert [(p.file, p.line, p.field, p.message) for p in caught.value.problems] == [
        (
            "bad.yaml",
            7,
            "contracts[0].grants[0].media",
            "unknown medium 'Subscription VDO'; did you mean SVOD Subscription VOD?",
        ),
        (
            "bad.yaml",
            8,
            "contracts[0].grants[0].territories",
            "unknown territory 'Hong Kongg'; did you mean HK Hong Kong?",
        ),
    ]
    # with the codes right, the parties and titles are resolved, every problem at once
    fixed = BAD.replace("Subscription VDO", "Subscription VOD").replace("Hong Kongg", "HK")
    with pytest.raises(InvalidInput) as caught:
        service.load_texts([("bad.yaml", fixed)])
    problems = [(p.file, p.line, p.field, p.message) for p in caught.value.problems]
    assert problems == [
        (
            "bad.yaml",
            4,
            "contract bad licensee",
            "unknown party 'Tencent Vido'; did you mean tencent Tencent Video?",
        ),
        (
            "bad.yaml",
            6,
            "contract bad grants[0].titles[0]",
            "unknown title 'A New Hop'; did you mean sw4 A New Hope?",
        ),
        (
            "bad.yaml",
            6,
            "contract bad grants[0].titles[1]",
            "'Pilot' names several titles: p1 Pilot, p2 pilot; give the id",
        ),
        (
            "bad.yaml",
            11,
            "contract bad options[0].holder",
            "unknown party 'Yokou'; did you mean youku Youku?",
        ),
        ("bad.yaml", 13, "contracts", "contract 'tencent-online' already exists"),
    ]
    assert service.counts() == before


def test_a_name_with_control_characters_is_neither_an_id_nor_a_name(service: Service) -> None:
    text = BAD.replace("licensee: Tencent Vido", 'licensee: "Tencent\\r\\nVideo"')
    with pytest.raises(InvalidInput) as caught:
        service.load_texts([("bad.yaml", text)])
    assert [
        (p.line, p.field) for p in caught.value.problems if "neither an id nor a name" in p.message
    ] == [(4, "contracts[0].licensee")]
