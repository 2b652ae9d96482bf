"""Media, territories, languages and terms: codes, groups, exclusions and edge cases."""

from __future__ import annotations

from datetime import date

import pycountry
import pytest

from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet, standard_tag
from reelrights.domain.media import ALL_MEDIA, LEAVES, MediaTaxonomy
from reelrights.domain.problems import CodeError
from reelrights.domain.terms import DateBound, add_offset, from_end, to_end
from reelrights.domain.territories import COUNTRIES, WORLD, Geography


def test_every_media_group_of_design_expands_to_its_leaves() -> None:
    media = MediaTaxonomy()
    assert media.parse(["ALL_MEDIA"]) == ALL_MEDIA and len(LEAVES) == 20
    assert media.format(media.parse(["home_entertainment"])) == ["EST", "PHYSICAL", "TVOD"]
    assert media.format(media.parse(["STREAMING", "MARKETING"])) == [
        "ADVERTISING",
        "AVOD",
        "FVOD",
        "PROMOTION",
        "SVOD",
    ]
    assert media.format(media.parse(["DERIVATIVE"])) == ["REMAKE", "SEQUEL"]


def test_custom_media_groups_and_unknown_codes() -> None:
    media = MediaTaxonomy({"digital": ["ONLINE", "ECOMMERCE"]})
    assert "ECOMMERCE" in media.format(media.parse(["DIGITAL"]))
    with pytest.raises(CodeError, match="unknown medium 'SVODD'"):
        media.parse(["SVODD"])
    with pytest.raises(CodeError, match="already defined"):
        media.add_group("digital", ["SVOD"])
    with pytest.raises(CodeError, match="built-in"):
        media.add_group("online", ["SVOD"])


def test_world_is_every_iso_country() -> None:
    assert len(COUNTRIES) == len(pycountry.countries)
    assert Geography().parse("WORLD") == WORLD


def test_m49_regions_by_name_and_number_with_taiwan_in_eastern_asia() -> None:
    geo = Geography()
    eastern_asia = geo.format(geo.parse("EASTERN_ASIA"))
    assert eastern_asia == ["CN", "HK", "JP", "KP", "KR", "MN", "MO", "TW"]
    assert geo.parse("030") == geo.parse("EASTERN_ASIA") == geo.parse("30")
    assert geo.parse("142") == geo.parse("ASIA")
    assert "SG" in geo.format(geo.parse("SOUTH_EASTERN_ASIA"))
    assert "BR" in geo.format(geo.parse("SOUTH_AMERICA"))
    assert "MX" in geo.format(geo.parse("LATIN_AMERICA_AND_THE_CARIBBEAN"))
    assert "DE" in geo.format(geo.parse("WESTERN_EUROPE"))


def test_exclusions_and_custom_groups() -> None:
    geo = Geography({"greater-china": ["CN", "HK", "MO", "TW"]})
    rest = geo.parse(["WORLD except greater-china"])
    assert rest.bit_count() == len(COUNTRIES) - 4
    assert geo.describe(rest) == "WORLD except CN, HK, MO, TW"
    assert geo.describe(geo.parse("greater-china")) == "greater-china"
    with pytest.raises(CodeError, match="unknown territory 'XX'"):
        geo.parse(["XX"])
    with pytest.raises(CodeError, match="no territories"):
        geo.parse(["CN except CN"])


def test_languages_validated_and_standardised() -> None:
    assert standard_tag("EN-us") == "en-US"
    with pytest.raises(CodeError, match="unknown language 'xx'"):
        LanguageSet.parse(["xx"])
    assert LanguageSet.parse("all") == ALL_LANGUAGES
    assert LanguageSet.parse({"all_except": ["fr"]}).to_json() == {"all_except": ["fr"]}
    assert LanguageSet.parse("all except fr, de").to_json() == {"all_except": ["de", "fr"]}
    assert LanguageSet.parse(["ko", "en"]).to_json() == ["en", "ko"]


def test_terms_are_inclusive_at_the_edge_and_perpetual_without_end() -> None:
    assert from_end(to_end(date(2016, 12, 31))) == date(2016, 12, 31)
    assert from_end(to_end(None)) is None
    assert str(DateBound.parse("release+90d")) == "release+90d"
    assert DateBound.parse("release-2w").resolve(date(2020, 1, 15)) == date(2020, 1, 1)
    assert add_offset(date(2020, 1, 31), 1, "m") == date(2020, 2, 29)
    assert add_offset(date(2020, 2, 29), 1, "y") == date(2021, 2, 28)
    with pytest.raises(CodeError, match="not a date"):
        DateBound.parse("2016-13-01")


def test_a_non_ascii_digit_is_an_unknown_territory_not_a_crash() -> None:
    with pytest.raises(CodeError, match="unknown territory"):
        Geography().parse(["²"])
