"""Rendering contracts as deal-sheet mappings (the change log's documents)."""

from __future__ import annotations

from datetime import date

import pytest

from reelrights.domain.contracts import Contract, Grant, Holdback
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.terms import DateBound
from reelrights.domain.territories import Geography
from reelrights.formats.sheet import MaskNames, render_contract


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
