"""Media: the leaf codes of docs/semantics.md, their built-in groups, and sets of media as bitmasks.

A set of media is an ``int`` whose bit *i* stands for ``LEAVES[i]``; every operation is a
bitwise one, so no code path loops over media.

>>> taxonomy = MediaTaxonomy()
>>> taxonomy.format(taxonomy.parse(["online"]))
['AVOD', 'EST', 'FVOD', 'SVOD', 'TVOD']
>>> taxonomy.format(taxonomy.parse(["ALL_MEDIA except THEATRICAL, ONLINE"]))[:3]
['ADVERTISING', 'BASIC_TV', 'BRAND_LICENSING']
>>> taxonomy.format(taxonomy.parse(["Subscription VOD", "pay tv"]))
['PAY_TV', 'SVOD']
>>> from reelrights.domain.problems import CodeError
>>> try:
...     taxonomy.code("SVODD")
... except CodeError as error:
...     print(str(error)[:59])
unknown medium 'SVODD'; did you mean SVOD Subscription VOD,
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from reelrights.domain.problems import CodeError, parse_items

LEAVES: tuple[str, ...] = (
    "THEATRICAL",
    "NON_THEATRICAL",
    "EST",
    "TVOD",
    "PHYSICAL",
    "SVOD",
    "AVOD",
    "FVOD",
    "PAY_TV",
    "FREE_TV",
    "BASIC_TV",
    "MERCHANDISING",
    "BRAND_LICENSING",
    "ECOMMERCE",
    "PUBLISHING",
    "SOUNDTRACK",
    "ADVERTISING",
    "PROMOTION",
    "REMAKE",
    "SEQUEL",
)
LEAF_BIT: dict[str, int] = {code: 1 << i for i, code in enumerate(LEAVES)}
ALL_MEDIA: int = (1 << len(LEAVES)) - 1

BUILTIN_GROUPS: dict[str, tuple[str, ...]] = {
    "ALL_MEDIA": LEAVES,
    "HOME_ENTERTAINMENT": ("EST", "TVOD", "PHYSICAL"),
    "ONLINE": ("EST", "TVOD", "SVOD", "AVOD", "FVOD"),
    "STREAMING": ("SVOD", "AVOD", "FVOD"),
    "TELEVISION": ("PAY_TV", "FREE_TV", "BASIC_TV"),
    "ANCILLARY": ("MERCHANDISING", "BRAND_LICENSING", "ECOMMERCE", "PUBLISHING", "SOUNDTRACK"),
    "MARKETING": ("ADVERTISING", "PROMOTION"),
    "DERIVATIVE": ("REMAKE", "SEQUEL"),
}


# What people call the media (and the groups) when they do not type the code.
LABELS: dict[str, str] = {
    "THEATRICAL": "Theatrical",
    "NON_THEATRICAL": "Non-theatrical",
    "EST": "Electronic sell-through",
    "TVOD": "Transactional VOD",
    "PHYSICAL": "Physical home video",
    "SVOD": "Subscription VOD",
    "AVOD": "Advertising VOD",
    "FVOD": "Free VOD",
    "PAY_TV": "Pay TV",
    "FREE_TV": "Free TV",
    "BASIC_TV": "Basic TV",
    "MERCHANDISING": "Merchandising",
    "BRAND_LICENSING": "Brand licensing",
    "ECOMMERCE": "E-commerce",
    "PUBLISHING": "Publishing",
    "SOUNDTRACK": "Soundtrack",
    "ADVERTISING": "Advertising",
    "PROMOTION": "Promotion",
    "REMAKE": "Remake rights",
    "SEQUEL": "Sequel rights",
    "ALL_MEDIA": "All media",
    "HOME_ENTERTAINMENT": "Home entertainment",
    "ONLINE": "Online",
    "STREAMING": "Streaming",
    "TELEVISION": "Television",
    "ANCILLARY": "Ancillary",
    "MARKETING": "Marketing",
    "DERIVATIVE": "Derivative",
}


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


_BY_LABEL: dict[str, str] = {_fold(label): code for code, label in LABELS.items()}


def mask_of(leaves: Iterable[str]) -> int:
    """The bitmask of leaf codes (upper case, already valid)."""
    mask = 0
    for code in leaves:
        mask |= LEAF_BIT[code]
    return mask


def leaves_of(mask: int) -> list[str]:
    """The leaf codes in a mask, sorted by code (the order of every output)."""
    return list(_leaves_of(mask))


@lru_cache(maxsize=65536)
def _leaves_of(mask: int) -> tuple[str, ...]:
    """:func:`leaves_of`, remembered: a bulk import lists the media of a million rights,
    drawn from a few thousand distinct masks."""
    return tuple(sorted(code for code, bit in LEAF_BIT.items() if mask & bit))


class MediaTaxonomy:
    """Leaves, built-in groups and a deal book's custom groups (``media_groups``)."""

    def __init__(self, custom_groups: Mapping[str, Iterable[str]] | None = None) -> None:
        self.groups: dict[str, int] = {name: mask_of(m) for name, m in BUILTIN_GROUPS.items()}
        for name, members in (custom_groups or {}).items():
            self.add_group(name, members)

    def add_group(self, name: str, members: Iterable[str]) -> int:
        """Define a custom group; its members may be leaves or earlier groups."""
        key = name.strip().upper()
        if key in LEAF_BIT or key in BUILTIN_GROUPS:
            raise CodeError(f"media group '{name}' would redefine a built-in code")
        mask = self.parse(list(members))
        if key in self.groups and self.groups[key] != mask:
            raise CodeError(f"media group '{name}' is already defined with other members")
        self.groups[key] = mask
        return mask

    def code(self, text: str) -> int:
        """The mask of one code, leaf or group, case-insensitive."""
        key = text.strip().upper()
        if key in LEAF_BIT:
            return LEAF_BIT[key]
        if key in self.groups:
            return self.groups[key]
        folded = _fold(text)
        snake = folded.upper().replace(" ", "_")
        if snake in LEAF_BIT:
            return LEAF_BIT[snake]
        if snake in self.groups:
            return self.groups[snake]
        if folded in _BY_LABEL:
            return self.code(_BY_LABEL[folded])
        raise CodeError(f"unknown medium '{text.strip()}'{self._did_you_mean(text)}")

    def _did_you_mean(self, text: str) -> str:
        labels: dict[str, str] = {}
        for code in (*LEAVES, *self.groups):
            label = LABELS.get(code)
            named = f"{code} {label}" if label else code
            labels.setdefault(code.casefold(), named)
            if label:
                labels.setdefault(_fold(label), named)
        near = difflib.get_close_matches(_fold(text), list(labels), n=8, cutoff=0.6)
        found = list(dict.fromkeys(labels[n] for n in near))[:5]
        return f"; did you mean {', '.join(found)}?" if found else ""

    def parse(self, items: str | Iterable[str]) -> int:
        """The mask of a list of codes; an item may read ``"GROUP except A, B"``.

        An empty list is an error: a right on no medium is a typing mistake.
        """
        return parse_items(items, self.code, "media")

    def format(self, mask: int) -> list[str]:
        """Leaf codes of a mask, sorted."""
        return leaves_of(mask)

    def describe(self, mask: int) -> str:
        """A short human reading: a group name where one matches exactly, else the leaves."""
        for name, group in self.groups.items():
            if group == mask:
                return name
        return ", ".join(leaves_of(mask))
