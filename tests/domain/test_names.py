"""Names instead of codes: countries by English name, media by label, the built-in
territory groups, and "did you mean" for what matches nothing."""

from __future__ import annotations

import pytest

from reelrights.domain.media import LEAVES, MediaTaxonomy
from reelrights.domain.problems import CodeError
from reelrights.domain.territories import BUILTIN_GROUPS, COUNTRIES, Geography, m49_regions

GEO = Geography()


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("Hong Kong", ["HK"]),
        ("hk", ["HK"]),
        ("HK", ["HK"]),
        ("hong  kong", ["HK"]),
        ("South Korea", ["KR"]),
        ("Republic of Korea", ["KR"]),
        ("Taiwan", ["TW"]),
        ("Viet Nam", ["VN"]),
        ("Vietnam", ["VN"]),
        ("united states", ["US"]),
        ("UK", ["GB"]),
        ("dach", ["AT", "CH", "DE"]),
        ("Greater China", ["CN", "HK", "MO", "TW"]),
        ("NORTH_AMERICA", ["CA", "US"]),
    ],
)
def test_a_country_or_group_by_name_or_code(typed: str, codes: list[str]) -> None:
    assert GEO.format(GEO.code(typed)) == codes


def test_the_built_in_groups() -> None:
    regions = m49_regions()[0]
    eu = GEO.code("EU")
    assert eu.bit_count() == 27 and not eu & GEO.parse("GB, CH, NO")
    assert GEO.code("LATAM") == regions["LATIN_AMERICA_AND_THE_CARIBBEAN"]
    assert GEO.code("MENA") & GEO.code("EMEA") == GEO.code("MENA")  # MENA lies in EMEA
    assert not GEO.code("EMEA") & GEO.code("APAC")  # and the two never meet
    assert GEO.code("APAC") & GEO.parse("JP, AU, IN, SG") == GEO.parse("JP, AU, IN, SG")
    assert GEO.code("CIS") & GEO.code("RU") and not GEO.code("CIS") & GEO.code("UA")
    assert GEO.describe(GEO.code("DACH")) == "DACH"
    assert set(BUILTIN_GROUPS) == {
        "EMEA", "APAC", "LATAM", "NORTH_AMERICA", "EU", "DACH", "BENELUX", "NORDICS", "MENA",
        "CIS", "ANZ", "GREATER_CHINA",
    }  # fmt: skip
    for name in BUILTIN_GROUPS:
        assert set(GEO.format(GEO.code(name))) <= set(COUNTRIES)


def test_a_deal_sheet_group_may_repeat_a_built_in_one_but_not_change_it() -> None:
    same = Geography({"greater-china": ["CN", "HK", "MO", "TW"]})
    assert same.describe(same.code("greater-china")) == "greater-china"
    with pytest.raises(CodeError, match="would redefine the built-in group DACH"):
        Geography({"dach": ["DE", "AT"]})


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("Hong Kongg", "did you mean HK Hong Kong"),
        ("Brasil", "BR Brazil"),
        ("NORDIC", "NORDICS"),
        ("Atlantis", ""),
    ],
)
def test_an_unknown_territory_lists_the_closest(typed: str, hint: str) -> None:
    with pytest.raises(CodeError) as caught:
        GEO.code(typed)
    assert f"unknown territory '{typed}'" in str(caught.value)
    assert hint in str(caught.value)
    if not hint:
        assert "did you mean" not in str(caught.value)


def test_media_by_code_or_label() -> None:
    media = MediaTaxonomy()
    assert media.format(media.parse(["Subscription VOD"])) == ["SVOD"]
    assert media.format(media.parse(["svod", "pay tv", "Free-TV"])) == [
        "FREE_TV",
        "PAY_TV",
        "SVOD",
    ]
    assert media.parse(["Home entertainment"]) == media.parse(["HOME_ENTERTAINMENT"])
    assert len(LEAVES) == 20
    with pytest.raises(CodeError, match="did you mean SVOD Subscription VOD"):
        media.code("Subscription VDO")


def test_the_rulebook_lists_each_built_in_group_by_its_countries() -> None:
    from pathlib import Path

    from reelrights.domain.territories import builtin_groups, countries_of

    text = (Path(__file__).resolve().parents[2] / "docs" / "semantics.md").read_text()
    listed = " ".join(text.split("### Built-in territory groups")[1].split("## ")[0].split())
    for name, mask in builtin_groups().items():
        entry = listed.split(f"- `{name}`")[1].split(": ", 1)[1].split(".")[0]
        assert entry.split() == countries_of(mask), name
