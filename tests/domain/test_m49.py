"""The M49 table copied into the code is still what hdx-python-country says, and masks
read back to their countries."""

from __future__ import annotations

import pprint

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelrights.domain.m49_data import REGIONS
from reelrights.domain.territories import (
    COUNTRIES,
    WORLD,
    countries_of,
    m49_from_hdx,
    m49_regions,
    mask_of,
)


def test_the_copied_regions_equal_hdx() -> None:
    """A new hdx-python-country with other regions fails here, printing the new table."""
    from_hdx = m49_from_hdx()
    assert from_hdx == REGIONS, "paste into m49_data.REGIONS:\n" + pprint.pformat(from_hdx)


def test_regions_read_from_the_table() -> None:
    by_name, by_number = m49_regions()
    assert by_number[154] == "NORTHERN_EUROPE"
    assert countries_of(by_name["WESTERN_EUROPE"]) == [
        "AT",
        "BE",
        "CH",
        "DE",
        "FR",
        "LI",
        "LU",
        "MC",
        "NL",
    ]
    assert list(by_name) == [name for name, _ in REGIONS.values()]


@given(st.sets(st.integers(0, len(COUNTRIES) - 1), max_size=len(COUNTRIES)))
def test_countries_of_lists_exactly_the_bits_of_a_mask(bits: set[int]) -> None:
    """The byte-table reading agrees with the definition: bit i is COUNTRIES[i]."""
    mask = sum(1 << i for i in bits)
    assert countries_of(mask) == [COUNTRIES[i] for i in sorted(bits)]
    assert mask_of(countries_of(mask)) == mask


def test_a_mask_past_the_last_country_is_refused() -> None:
    with pytest.raises(IndexError):
        countries_of(WORLD + 1)
