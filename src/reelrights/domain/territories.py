"""Territories: ISO 3166-1 alpha-2 countries, UN M49 regions, custom groups, as bitmasks.

The universe of countries is pycountry's ISO 3166-1 list; bit *i* of a mask stands for
``COUNTRIES[i]`` (sorted alpha-2). Region membership follows UN M49 as carried offline by
hdx-python-country (regions, sub-regions, intermediate regions; TW in EASTERN_ASIA). Region
names are upper snake case (``SOUTH_EASTERN_ASIA``); their numeric codes (``142``, ``030``)
are accepted too.

>>> geo = Geography({"greater-china": ["CN", "HK", "MO", "TW"]})
>>> geo.format(geo.parse(["greater-china"]))
['CN', 'HK', 'MO', 'TW']
>>> geo.format(geo.parse(["EASTERN_ASIA except CN, KP, MN"]))
['HK', 'JP', 'KR', 'MO', 'TW']
>>> geo.describe(geo.parse(["WORLD except cn, hk"]))
'WORLD except CN, HK'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

import pycountry

from reelrights.domain.problems import CodeError, parse_items

COUNTRIES: tuple[str, ...] = tuple(sorted(c.alpha_2 for c in pycountry.countries))
COUNTRY_BIT: dict[str, int] = {code: 1 << i for i, code in enumerate(COUNTRIES)}
WORLD: int = (1 << len(COUNTRIES)) - 1


def mask_of(countries: Iterable[str]) -> int:
    """The bitmask of alpha-2 codes (upper case, already valid)."""
    mask = 0
    for code in countries:
        mask |= COUNTRY_BIT[code]
    return mask


def countries_of(mask: int) -> list[str]:
    """The alpha-2 codes in a mask, sorted."""
    out = []
    while mask:
        low = mask & -mask
        out.append(COUNTRIES[low.bit_length() - 1])
        mask ^= low
    return out


def _snake(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


@cache
def m49_regions() -> tuple[dict[str, int], dict[int, str]]:
    """UN M49 regions as ``({NAME: mask}, {numeric code: NAME})``, read once, offline."""
    from hdx.location.country import Country  # imported late: it costs ~0.3 s

    data = Country.countriesdata(use_live=False)
    iso3_to_2 = {iso3: row["ISO 3166-1 Alpha 2-Codes"] for iso3, row in data["countries"].items()}
    by_name: dict[str, int] = {}
    by_number: dict[int, str] = {}
    for number, name in data["regioncodes2names"].items():
        members = [iso3_to_2.get(iso3) for iso3 in data["regioncodes2countries"][number]]
        key = _snake(name)
        by_name[key] = mask_of(c for c in members if c in COUNTRY_BIT)
        by_number[int(number)] = key
    return by_name, by_number


class Geography:
    """Countries, M49 regions and a deal book's custom groups (``territory_groups``)."""

    def __init__(self, custom_groups: Mapping[str, Iterable[str]] | None = None) -> None:
        self.groups: dict[str, int] = {}
        for name, members in (custom_groups or {}).items():
            self.add_group(name, members)

    def add_group(self, name: str, members: Iterable[str]) -> int:
        """Define a custom group (members: countries, regions or earlier groups)."""
        key = name.strip().lower()
        if not key:
            raise CodeError("a territory group needs a name")
        if key.upper() in COUNTRY_BIT or key.upper() == "WORLD":
            raise CodeError(f"territory group '{name}' would redefine a country code")
        mask = self.parse(list(members))
        if key in self.groups and self.groups[key] != mask:
            raise CodeError(f"territory group '{name}' is already defined with other members")
        self.groups[key] = mask
        return mask

    def code(self, text: str) -> int:
        """The mask of one country, region (name or M49 number), custom group or WORLD."""
        raw = text.strip()
        upper = raw.upper()
        if upper in COUNTRY_BIT:
            return COUNTRY_BIT[upper]
        if upper == "WORLD" or raw == "001":
            return WORLD
        if raw.lower() in self.groups:
            return self.groups[raw.lower()]
        by_name, by_number = m49_regions()
        if raw.isascii() and raw.isdigit() and int(raw) in by_number:
            return by_name[by_number[int(raw)]]
        if _snake(raw) in by_name:
            return by_name[_snake(raw)]
        raise CodeError(f"unknown territory '{raw}'")

    def parse(self, items: str | Iterable[str]) -> int:
        """The mask of a list of codes; an item may read ``"WORLD except CN, HK"``."""
        return parse_items(items, self.code, "territories")

    def format(self, mask: int) -> list[str]:
        """Alpha-2 codes of a mask, sorted."""
        return countries_of(mask)

    def describe(self, mask: int) -> str:
        """A short human reading: ``WORLD``, ``WORLD except CN, HK``, a group name, or codes."""
        if mask == WORLD:
            return "WORLD"
        for name, group in self.groups.items():
            if group == mask:
                return name
        missing = WORLD & ~mask
        if missing.bit_count() <= 12 and missing.bit_count() < mask.bit_count():
            return "WORLD except " + ", ".join(countries_of(missing))
        if mask.bit_count() > 12:
            for name, region in m49_regions()[0].items():
                if region == mask:
                    return name
        return ", ".join(countries_of(mask))
