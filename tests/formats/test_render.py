"""Rendering contracts as deal-sheet mappings (the change log's documents)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.domain.contracts import Contract, Grant, Holdback, Money, Option
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.terms import DateBound
from reelrights.domain.territories import Geography
from reelrights.formats.sheet import MaskNames, contract_json, render_contract
from reelrights.store.bulk import json_text
from tests.strategies import contracts as drawn_contract


def contracts(media: MediaTaxonomy, geo: Geography) -> list[Contract]:
    masks = [
        (media.parse(["ONLINE"]), geo.parse(["WORLD"])),
        (media.parse(["SVOD", "AVOD"]), geo.parse(["WORLD except CN, HK"])),
        (media.parse(["digital"]), geo.parse(["greater-china"])),
        (media.parse(["FREE_TV"]), geo.parse(["WESTERN_EUROPE"])),
        (media.parse(["ONLINE"]), geo.parse(["FR", "DE", "KR"])),
        (media.parse(["SVOD", "AVOD"]), geo.parse(["WORLD"])),  # masks seen before
    ]
    return [
        Contract(
            f"c{i}",
            "disney",
            "tencent",
            signed=date(2020, 1, 1),
            grants=(
                Grant(
                    ("sw4",),
                    m,
                    x,
                    ALL_LANGUAGES if i % 2 else LanguageSet.of(["en"]),
                    DateBound(date(2021, 1, 1)),
                    DateBound(date(2022, 12, 31)),
                    exclusive=bool(i % 2),
                ),
            ),
            holdbacks=(Holdback(("sw4",), m, x, ALL_LANGUAGES, DateBound(date(2021, 1, 1))),),
        )
        for i, (m, x) in enumerate(masks)
    ]


@pytest.mark.parametrize("limit", [MaskNames.LIMIT, 1])
def test_remembered_mask_names_render_every_contract_as_before(
    monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    # A bulk load renders a million contracts with MaskNames: each document must be the
    # one render_contract writes on its own, whatever the masks repeated, and however
    # few it may remember.
    monkeypatch.setattr(MaskNames, "LIMIT", limit)
    media = MediaTaxonomy({"digital": ["ONLINE", "ECOMMERCE"]})
    geo = Geography({"greater-china": ["CN", "HK", "MO", "TW"]})
    names = MaskNames(media, geo)
    for contract in contracts(media, geo):
        assert render_contract(contract, media, geo, names) == render_contract(contract, media, geo)
    alone = render_contract(contracts(media, geo)[2], media, geo)
    assert alone["grants"][0]["media"] == ["DIGITAL"]
    assert alone["grants"][0]["territories"] == ["greater-china"]
    assert len(names._territories) <= limit


@settings(max_examples=300, deadline=None)
@given(drawn_contract("k1"), st.sampled_from(["plain", "money", "extra", "option", "quote"]))
def test_a_plain_contracts_json_is_written_as_json_dumps_writes_its_mapping(
    contract: Contract, variant: str
) -> None:
    # A bulk load writes the change-log document of a plain contract straight to JSON
    # text: it must be the very text json_text writes of render_contract's mapping; any
    # other contract (money terms, options, extra data) is left to render_contract.
    media = MediaTaxonomy({"digital": ["ONLINE", "ECOMMERCE"]})
    geo = Geography({"greater-china": ["CN", "HK", "MO", "TW"]})
    if variant == "money":
        contract = replace(contract, fee=Money(Decimal("10.5"), "USD"))
    elif variant == "extra":
        contract = replace(contract, extra={"note": "x"})
    elif variant == "option":
        grant = contract.grants[0]
        option = Option(
            "first-refusal", "r", grant.titles, grant.media, grant.territories, date(2019, 1, 1)
        )
        contract = replace(contract, options=(option,))
    elif variant == "quote":
        contract = replace(contract, id='k"1 é\\', licensee="p\u2028")
    text = contract_json(contract, MaskNames(media, geo))
    if variant in ("money", "extra", "option"):
        assert text is None
    else:
        assert text == json_text(render_contract(contract, media, geo))
