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
>>> geo.format(geo.parse(["Hong Kong", "south korea", "DACH"]))
['AT', 'CH', 'DE', 'HK', 'KR']
>>> geo.code("Hong Kongg")
Traceback (most recent call last):
...
reelrights.domain.problems.CodeError: unknown territory 'Hong Kongg'; did you mean HK Hong Kong?
"""

from __future__ import annotations

import difflib
import re
import threading
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


# The codes of each byte's bits, byte by byte: countries_of reads a mask a byte at a time
# (a bulk import lists the countries of a million grants, many of them whole regions).
_BYTE_COUNTRIES: tuple[tuple[tuple[str, ...], ...], ...] = tuple(
    tuple(
        tuple(
            COUNTRIES[at + bit]
            for bit in range(8)
            if value >> bit & 1 and at + bit < len(COUNTRIES)
        )
        for value in range(256)
    )
    for at in range(0, len(COUNTRIES), 8)
)
_MASK_BYTES = len(_BYTE_COUNTRIES)


def countries_of(mask: int) -> list[str]:
    """The alpha-2 codes in a mask, sorted."""
    if mask < 256:
        return list(_BYTE_COUNTRIES[0][mask])
    if mask > WORLD:
        raise IndexError(f"mask {mask:#x} has bits past the last country")
    out: list[str] = []
    for codes, value in zip(_BYTE_COUNTRIES, mask.to_bytes(_MASK_BYTES, "little"), strict=True):
        if value:
            out += codes[value]
    return out


def _snake(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


_M49_LOCK = threading.Lock()


@cache
def m49_regions() -> tuple[dict[str, int], dict[int, str]]:
    """UN M49 regions as ``({NAME: mask}, {numeric code: NAME})``, from the table copied
    out of hdx-python-country (:mod:`.m49_data`, checked against hdx by the tests)."""
    from reelrights.domain.m49_data import REGIONS

    by_name: dict[str, int] = {}
    by_number: dict[int, str] = {}
    for number, (name, members) in REGIONS.items():
        by_name[name] = mask_of(c for c in members.split() if c in COUNTRY_BIT)
        by_number[number] = name
    return by_name, by_number


def m49_from_hdx() -> dict[int, tuple[str, str]]:
    """The M49 regions as hdx-python-country's offline data has them, in the form of
    :data:`.m49_data.REGIONS` (the source that table is copied from). hdx fills its
    tables on first use without a lock, so one thread reads at a time."""
    from hdx.location.country import Country  # costs over a second: only to check the copy

    with _M49_LOCK:
        data = Country.countriesdata(use_live=False)
    iso3_to_2 = {iso3: row["ISO 3166-1 Alpha 2-Codes"] for iso3, row in data["countries"].items()}
    out: dict[int, tuple[str, str]] = {}
    for number, name in data["regioncodes2names"].items():
        members = [iso3_to_2.get(iso3) for iso3 in data["regioncodes2countries"][number]]
        mask = mask_of(c for c in members if c in COUNTRY_BIT)
        out[int(number)] = (_snake(name), " ".join(countries_of(mask)))
    return out


# The industry's usual territory groups, beside the M49 regions (docs/semantics.md rule 10
# lists each by its countries). Region names inside a definition expand through M49.
BUILTIN_GROUPS: dict[str, tuple[str, ...]] = {
    "EU": (
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ),
    "DACH": ("AT", "CH", "DE"),
    "BENELUX": ("BE", "LU", "NL"),
    "NORDICS": ("DK", "FI", "IS", "NO", "SE"),
    "MENA": (
        "AE",
        "BH",
        "DZ",
        "EG",
        "IL",
        "IQ",
        "IR",
        "JO",
        "KW",
        "LB",
        "LY",
        "MA",
        "OM",
        "PS",
        "QA",
        "SA",
        "SY",
        "TN",
        "YE",
    ),
    "CIS": ("AM", "AZ", "BY", "KG", "KZ", "MD", "RU", "TJ", "UZ"),
    "ANZ": ("AU", "NZ"),
    "GREATER_CHINA": ("CN", "HK", "MO", "TW"),
    "NORTH_AMERICA": ("CA", "US"),
    "LATAM": ("LATIN_AMERICA_AND_THE_CARIBBEAN",),
    "EMEA": ("EUROPE", "AFRICA", "WESTERN_ASIA", "IR"),
    "APAC": ("EASTERN_ASIA", "SOUTH_EASTERN_ASIA", "SOUTHERN_ASIA except IR", "OCEANIA"),
}


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


@cache
def country_names() -> dict[str, str]:
    """English names of countries, folded (case and punctuation ignored), to alpha-2:
    pycountry's name, common and official names, and "Korea, Republic of" read both ways."""
    out: dict[str, str] = {}
    for country in pycountry.countries:
        names = [country.name]
        names += [getattr(country, key, None) or "" for key in ("common_name", "official_name")]
        if ", " in country.name:
            head, _, tail = country.name.partition(", ")
            names.append(f"{tail} {head}")
        for name in names:
            if name:
                out.setdefault(_fold(name), country.alpha_2)
    for alias, code in (("uk", "GB"), ("great britain", "GB"), ("usa", "US"), ("america", "US")):
        out.setdefault(alias, code)
    return out


def country_name(code: str) -> str:
    """A country's short English name (``HK`` -> ``Hong Kong``)."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


@cache
def _country_labels() -> dict[str, str]:
    """Every folded country name and code, with the label a suggestion shows (built once:
    an unknown territory must cost little, whatever a request sends)."""
    labels: dict[str, str] = {}
    for name, code in country_names().items():
        labels.setdefault(name, f"{code} {country_name(code)}")
    for code in COUNTRY_BIT:
        labels.setdefault(code.lower(), f"{code} {country_name(code)}")
    return labels


@cache
def _builtin_names() -> tuple[dict[int, str], dict[int, str]]:
    """(built-in groups by mask, M49 regions by mask), the first listed winning."""
    builtin: dict[int, str] = {}
    for name, group in builtin_groups().items():
        builtin.setdefault(group, name)
    regions: dict[int, str] = {}
    for name, region in m49_regions()[0].items():
        regions.setdefault(region, name)
    return builtin, regions


@cache
def builtin_groups() -> dict[str, int]:
    """The built-in groups as masks (they read M49 regions, so they are built once, late)."""
    plain = Geography()
    return {name: plain.parse(list(members)) for name, members in BUILTIN_GROUPS.items()}


class Geography:
    """Countries, M49 regions and a deal book's custom groups (``territory_groups``)."""

    def __init__(self, custom_groups: Mapping[str, Iterable[str]] | None = None) -> None:
        self.groups: dict[str, int] = {}
        self._names_by_mask: tuple[int, dict[int, str]] | None = None
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
        builtin = builtin_groups().get(_snake(key))
        if builtin is not None and builtin != mask:
            raise CodeError(
                f"territory group '{name}' would redefine the built-in group {_snake(key)} "
                f"({', '.join(countries_of(builtin))}) with other countries"
            )
        if key in self.groups and self.groups[key] != mask:
            raise CodeError(f"territory group '{name}' is already defined with other members")
        self.groups[key] = mask
        return mask

    def code(self, text: str) -> int:
        """The mask of one country (alpha-2 code or English name), region (name or M49
        number), built-in or custom group, or WORLD. An unknown name is a
        :class:`CodeError` that lists the closest matches."""
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
        snake = _snake(raw)
        if snake in BUILTIN_GROUPS:
            return builtin_groups()[snake]
        if snake in by_name:
            return by_name[snake]
        country = country_names().get(_fold(raw))
        if country is not None:
            return COUNTRY_BIT[country]
        raise CodeError(f"unknown territory '{raw}'{self._did_you_mean(raw)}")

    def _did_you_mean(self, raw: str) -> str:
        labels = dict(_country_labels())
        for group in (*BUILTIN_GROUPS, *m49_regions()[0], *(g.upper() for g in self.groups)):
            labels.setdefault(_fold(group.replace("_", " ")), group)
        near = difflib.get_close_matches(_fold(raw), list(labels), n=8, cutoff=0.7)
        found = list(dict.fromkeys(labels[n] for n in near))[:5]
        return f"; did you mean {', '.join(found)}?" if found else ""

    def parse(self, items: str | Iterable[str]) -> int:
        """The mask of a list of codes; an item may read ``"WORLD except CN, HK"``."""
        return parse_items(items, self.code, "territories")

    def format(self, mask: int) -> list[str]:
        """Alpha-2 codes of a mask, sorted."""
        return countries_of(mask)

    def describe(self, mask: int) -> str:
        """A short human reading: ``WORLD``, ``WORLD except CN, HK``, a group name, or codes."""
        name = self.name_of(mask)
        return name if name is not None else ", ".join(countries_of(mask))

    def name_of(self, mask: int) -> str | None:
        """``WORLD``, ``WORLD except CN, HK`` or the name of the group that is exactly
        ``mask`` (a custom group first, in definition order, then a built-in group, then,
        for more than 12 countries, an M49 region); None when the mask is none of these.
        Looked up by mask, not by trying every group: a bulk import names the territories
        of every grant it logs."""
        if mask == WORLD:
            return "WORLD"
        custom = self._custom_names()
        if mask in custom:
            return custom[mask]
        missing = WORLD & ~mask
        if missing.bit_count() <= 12 and missing.bit_count() < mask.bit_count():
            return "WORLD except " + ", ".join(countries_of(missing))
        builtin, regions = _builtin_names()
        if mask in builtin:
            return builtin[mask]
        if mask.bit_count() > 12 and mask in regions:
            return regions[mask]
        return None

    def _custom_names(self) -> dict[int, str]:
        """The custom groups by mask, the first defined winning; rebuilt when a group is
        added (groups are only ever added, never changed)."""
        cached = self._names_by_mask
        if cached is None or cached[0] != len(self.groups):
            names: dict[int, str] = {}
            for name, group in self.groups.items():
                names.setdefault(group, name)
            cached = self._names_by_mask = (len(self.groups), names)
        return cached[1]
