"""Request and response schemas of the REST API (pydantic).

Every text field of a request has a bounded length (a longer one is a 422 naming the
field, and the value is not echoed back): ids and names :data:`MAX_ID` characters, codes
(media, territories, languages, groups, relative dates) :data:`MAX_CODE`, lists
:data:`MAX_ITEMS` entries, grants and holdbacks :data:`MAX_RIGHTS` per contract (a larger
deal is a deal sheet: ``POST /sheets``). Dates are calendar dates written ``YYYY-MM-DD``:
a number (seconds since 1970 to pydantic) is refused.
"""

from __future__ import annotations

import re
from datetime import date as Day
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from reelrights.domain.ids import ID_PATTERN, MAX_ID_LENGTH, MAX_NAME_LENGTH, RULE

MAX_ID = MAX_ID_LENGTH
MAX_CODE = 100
MAX_ITEMS = 1000
MAX_RIGHTS = 200


def _iso_day(value: Any) -> Any:
    """Only a ``YYYY-MM-DD`` text (or a date) is a date: never a number or a timestamp."""
    if isinstance(value, Day) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


IsoDay = Annotated[Day, BeforeValidator(_iso_day)]
Id = Annotated[
    str,
    Field(
        min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN, description=f"An id: {RULE}."
    ),
]
"""A party, title or contract id (docs/api.md, "Ids"): the one pattern of the domain."""

Ref = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="A party or title: its id or its name (docs/semantics.md rule 13).",
    ),
]
"""What a contract refers to a party or title by: an id, or a name resolved to one."""
Refs = Annotated[list[Ref], Field(min_length=1, max_length=MAX_ITEMS)]

Code = Annotated[str, Field(min_length=1, max_length=MAX_CODE)]
Codes = Annotated[list[Code], Field(min_length=1, max_length=MAX_ITEMS)]
Ids = Annotated[list[Id], Field(min_length=1, max_length=MAX_ITEMS)]
Languages = (
    Literal["all"]
    | Annotated[list[Code], Field(max_length=MAX_ITEMS)]
    | Annotated[dict[Code, Annotated[list[Code], Field(max_length=MAX_ITEMS)]], Field(max_length=4)]
)


class MoneyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: float | Annotated[str, Field(max_length=MAX_CODE)]
    currency: str = Field(min_length=3, max_length=3)


class InstalmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    due: Day
    amount: float | str


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upto: float | str | None = None
    rate: float | str


class ShareIn(BaseModel):
    """A revenue-share entry: its media and territories (all if absent), a rate or tiers."""

    model_config = ConfigDict(extra="forbid")
    media: list[str] | None = None
    territories: list[str] | None = None
    rate: float | str | list[TierIn]


class HoldbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    titles: Refs
    media: Codes
    territories: Codes
    languages: Languages = "all"
    start: Code | None = None
    end: Code | None = None
    extra: dict[str, Any] | None = None


class GrantIn(HoldbackIn):
    exclusive: bool = False
    sublicense: bool = False


class OptionIn(HoldbackIn):
    """An option or first right (docs/semantics.md rule 21)."""

    kind: Literal["first-negotiation", "first-refusal", "renewal"]
    holder: Ref
    exercise_by: Day


class ContractUpdate(BaseModel):
    """A new definition of a draft (its id and status stay)."""

    model_config = ConfigDict(extra="forbid")
    licensor: Ref | None = None
    licensee: Ref
    signed: IsoDay | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    fee: MoneyIn | None = None
    payments: list[InstalmentIn] | None = None
    minimum_guarantee: MoneyIn | None = None
    revenue_share: float | str | list[ShareIn] | None = None
    reporting: Literal["monthly", "quarterly", "half-yearly", "yearly"] | None = None
    grants: list[GrantIn] = Field([], max_length=MAX_RIGHTS)
    holdbacks: list[HoldbackIn] = Field([], max_length=MAX_RIGHTS)
    options: list[OptionIn] = Field([], max_length=MAX_RIGHTS)
    extra: dict[str, Any] | None = None


class ContractIn(ContractUpdate):
    """A contract as in a deal sheet (see docs/deal-sheet.md)."""

    id: Id
    status: Literal["draft", "hold"] = "draft"


class TerminateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: IsoDay | None = Field(None, description="In force until the day before; none: void.")


class AvailsIn(BaseModel):
    """The question of ``reelrights avails``."""

    model_config = ConfigDict(extra="forbid")
    licensor: Id
    titles: Ids
    media: Codes
    territories: Codes
    languages: Languages = "all"
    start: IsoDay
    end: IsoDay | None = None
    exclusive: bool = False


class GridIn(BaseModel):
    """Which media x territories are available for one title and term."""

    model_config = ConfigDict(extra="forbid")
    licensor: Id
    title: Id
    start: IsoDay
    end: IsoDay | None = None
    exclusive: bool = False
    media: Codes = ["ALL_MEDIA"]
    territories: Codes = ["WORLD"]
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
    contract: str | None
    holder: str | None = Field(None, description="The party holding an option (rule 21).")


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
    currency: str | None = None
    fee: dict[str, Any] | None = None
    payments: list[dict[str, Any]] | None = None
    minimum_guarantee: dict[str, Any] | None = None
    revenue_share: str | list[dict[str, Any]] | None = None
    reporting: str | None = None
    grants: list[dict[str, Any]] = []
    holdbacks: list[dict[str, Any]] = []
    options: list[dict[str, Any]] = []
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
    options: list[dict[str, Any]] = Field(
        [], description="First-negotiation and first-refusal options standing (rule 21)."
    )


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
