"""Request and response schemas of the REST API (pydantic)."""

from __future__ import annotations

from datetime import date as Day
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelrights.domain.ids import ID_PATTERN, MAX_ID_LENGTH, RULE

Id = Annotated[
    str,
    Field(
        min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN, description=f"An id: {RULE}."
    ),
]
"""A party, title or contract id (docs/api.md, "Ids"): the one pattern of the domain."""

Languages = Literal["all"] | list[str] | dict[str, list[str]]


class MoneyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: float | str
    currency: str = Field(min_length=3, max_length=3)


class HoldbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    titles: list[Id] = Field(min_length=1)
    media: list[str] = Field(min_length=1)
    territories: list[str] = Field(min_length=1)
    languages: Languages = "all"
    start: str | None = None
    end: str | None = None
    extra: dict[str, Any] | None = None


class GrantIn(HoldbackIn):
    exclusive: bool = False
    sublicense: bool = False


class ContractUpdate(BaseModel):
    """A new definition of a draft (its id and status stay)."""

    model_config = ConfigDict(extra="forbid")
    licensor: Id | None = None
    licensee: Id
    signed: Day | None = None
    fee: MoneyIn | None = None
    minimum_guarantee: MoneyIn | None = None
    revenue_share: float | None = None
    grants: list[GrantIn] = []
    holdbacks: list[HoldbackIn] = []
    extra: dict[str, Any] | None = None


class ContractIn(ContractUpdate):
    """A contract as in a deal sheet (see docs/deal-sheet.md)."""

    id: Id
    status: Literal["draft", "hold"] = "draft"


class TerminateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: Day | None = Field(None, description="In force until the day before; none: void.")


class AvailsIn(BaseModel):
    """The question of ``reelrights avails``."""

    model_config = ConfigDict(extra="forbid")
    licensor: Id
    titles: list[Id] = Field(min_length=1)
    media: list[str] = Field(min_length=1)
    territories: list[str] = Field(min_length=1)
    languages: Languages = "all"
    start: Day
    end: Day | None = None
    exclusive: bool = False


class GridIn(BaseModel):
    """Which media x territories are available for one title and term."""

    model_config = ConfigDict(extra="forbid")
    licensor: Id
    title: Id
    start: Day
    end: Day | None = None
    exclusive: bool = False
    media: list[str] = ["ALL_MEDIA"]
    territories: list[str] = ["WORLD"]
    match: Literal["cover", "overlap"] = "cover"
    min_days: int = Field(1, ge=1, le=100_000)


class SheetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field("upload.yaml", min_length=1, max_length=300)
    content: str = Field(min_length=1)


class BoxOut(BaseModel):
    titles: list[str]
    media: list[str]
    territories: list[str]
    languages: Any
    start: str | None
    end: str | None


class UnavailableOut(BoxOut):
    reason: str
    contract: str | None


class WarningOut(BoxOut):
    code: str
    contract: str


class AvailsOut(BaseModel):
    status: Literal["available", "partial", "unavailable"]
    available: list[BoxOut]
    unavailable: list[UnavailableOut]
    warnings: list[WarningOut]


class PartyOut(BaseModel):
    id: str
    name: str


class TitleOut(BaseModel):
    id: str
    name: str
    kind: str
    year: int | None = None
    release: Day | None = None
    parent: str | None = None
    members: list[str] = []
    external_ids: dict[str, str] = {}
    label: str | None = None  # an episode under its series: "Kingdom · S1 E2"
    matched: str | None = None  # what a search query matched: name, original name, eidr...


class TitleDetail(TitleOut):
    children: list[str] = []
    collections: list[str] = []


class ContractOut(BaseModel):
    id: str
    licensor: str | None = None
    licensee: str
    status: str
    signed: str | None = None
    terminated: str | None = None
    fee: dict[str, Any] | None = None
    minimum_guarantee: dict[str, Any] | None = None
    revenue_share: str | None = None
    grants: list[dict[str, Any]] = []
    holdbacks: list[dict[str, Any]] = []
    extra: dict[str, Any] | None = None


class ChangeOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    key: str | None
    party: str | None
    before: Any
    after: Any


class Page(BaseModel):
    total: int
    limit: int
    offset: int


class PartyPage(Page):
    items: list[PartyOut]


class TitlePage(Page):
    items: list[TitleOut]


class ContractPage(Page):
    items: list[ContractOut]


class ChangePage(Page):
    items: list[ChangeOut]


class LoadOut(BaseModel):
    status: Literal["loaded"]
    parties: int
    titles: int
    contracts: int
    groups: int


class ImportedContracts(BaseModel):
    created: int
    updated: int
    voided: int


class ImportOut(BaseModel):
    """What an Avails import read and stored."""

    status: Literal["imported"]
    files: int
    avails: int
    transactions: int
    titles: int
    parties: int
    contracts: ImportedContracts
    ownership_records: int
    grants: int
    offers: int
    warnings: list[str]
    notes: list[str]


class HealthOut(BaseModel):
    status: Literal["ok"]
    book_version: int


class VersionOut(BaseModel):
    name: Literal["reelrights"]
    version: str


class GridCell(BaseModel):
    medium: str
    territory: str
    status: Literal["available", "partial", "unavailable"]
    windows: list[dict[str, Any]]
    reasons: list[dict[str, Any]]
    holds: list[dict[str, Any]]


class GridOut(BaseModel):
    licensor: str
    title: str
    status: str
    match: str
    min_days: int
    cells: list[GridCell]


class ErrorOut(BaseModel):
    detail: Any


class ConflictOut(BaseModel):
    status: Literal["rejected"]
    conflicts: list[dict[str, Any]]
