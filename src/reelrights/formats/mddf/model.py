"""One Avails feed as plain records, whatever it was read from (XML or spreadsheet).

An :class:`Avail` is one ALID from one licensor: its disposition, its assets (the titles)
and its transactions (the rights). The readers fill these records; the mapping turns them
into reelrights titles, parties and contracts, and the writers turn contracts back into
them. Whatever reelrights has no field for travels in ``kept``: Avails XML fragments in a
version-neutral namespace (see :func:`neutral`), so an export gives them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NEUTRAL = {
    "avails": "urn:reelrights:mddf:avails",
    "md": "urn:reelrights:mddf:md",
    "mdmec": "urn:reelrights:mddf:mdmec",
}
"""Namespaces that stored fragments use, swapped for a version's on export."""


@dataclass(frozen=True, slots=True)
class Where:
    """Where a record came from: a file with a line and an XPath, or a sheet and row."""

    file: str
    line: int | None = None
    path: str | None = None


@dataclass(slots=True)
class Term:
    """One Avails ``Term``: its name, the element that carries the value, the value and
    the attributes (``currency`` for Money)."""

    name: str
    element: str
    value: str
    attributes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"termName": self.name, "element": self.element, "value": self.value}
        if self.attributes:
            out["attributes"] = dict(self.attributes)
        if self.element == "Money":
            out["money"] = {"amount": self.value, "currency": self.attributes.get("currency")}
        return out

    @staticmethod
    def from_json(data: dict[str, Any]) -> Term:
        return Term(
            str(data["termName"]),
            str(data["element"]),
            str(data["value"]),
            {str(k): str(v) for k, v in (data.get("attributes") or {}).items()},
        )


@dataclass(slots=True)
class Transaction:
    """One right of an Avail: license type, territories, window, languages, terms."""

    id: str | None
    license_type: str
    territories: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    start: str | None = None
    start_condition: str | None = None
    start_lag: str | None = None
    end: str | None = None
    end_condition: str | None = None
    end_lag: str | None = None
    allowed: list[str] = field(default_factory=list)
    holdback: list[str] = field(default_factory=list)
    exclusive: bool | None = None
    terms: list[Term] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)  # spreadsheet columns with no XML form
    where: Where | None = None


@dataclass(slots=True)
class Asset:
    """One title of an Avail, with what the catalog needs to place it."""

    content_id: str
    work_type: str
    name: str | None = None
    year: int | None = None
    eidr: str | None = None
    number: int | None = None  # episode, season or volume number
    season_id: str | None = None
    season_name: str | None = None
    season_number: int | None = None
    series_id: str | None = None
    series_name: str | None = None
    volume: int | None = None  # the volume an episode belongs to (spreadsheets say so)
    first_episode: int | None = None  # a volume's episodes
    episode_count: int | None = None
    bundled: list[str] = field(default_factory=list)  # ALIDs of a collection's members
    xml: str | None = None  # the whole Asset element as received
    where: Where | None = None


@dataclass(slots=True)
class Avail:
    """One ALID from one licensor, with its disposition."""

    alid: str
    entry_type: str
    licensor: str
    avail_type: str
    service_provider: str | None = None
    short_description: str = ""
    issue_date: str | None = None
    assets: list[Asset] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # other Avail children, as received
    licensor_xml: str | None = None
    service_provider_xml: str | None = None
    where: Where | None = None
