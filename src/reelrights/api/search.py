"""``POST /avails/search`` (what can I sell?) and ``POST /avails/next`` (not now, when?),
docs/semantics.md rule 13. Party-scoped like ``/avails``: a key bound to a party asks only
as that party."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from reelrights.api.schemas import IsoDay
from reelrights.service import ApiKey, Service
from reelrights.service.permissions import Permissions

Languages = Literal["all"] | list[str] | dict[str, list[str]]


class SearchIn(BaseModel):
    """The question of ``reelrights search``; ``limit``/``offset`` page the titles."""

    model_config = ConfigDict(extra="forbid")
    licensor: str = Field(min_length=1, max_length=300)
    media: list[str] = Field(min_length=1, max_length=100)
    territories: list[str] = Field(min_length=1, max_length=300)
    languages: Languages = "all"
    start: IsoDay
    end: IsoDay | None = None
    exclusive: bool = False
    match: Literal["cover", "overlap"] = "cover"
    min_days: int | None = Field(None, ge=1, le=1_000_000)
    kind: list[str] = Field([], max_length=10)
    within: str | None = Field(None, min_length=1, max_length=300)
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=1_000_000_000)


class WindowOut(BaseModel):
    start: str
    end: str | None


class FoundTitle(BaseModel):
    title: str
    name: str
    label: str
    kind: str
    windows: list[WindowOut]
    first_available: str | None
    warnings: list[dict[str, Any]]


class SearchOut(BaseModel):
    match: Literal["cover", "overlap", "min-days"]
    min_days: int | None = None
    total: int
    limit: int
    offset: int
    titles: list[FoundTitle]


class NextIn(BaseModel):
    """Like ``/avails``: when does all of it become available, from ``start`` on?"""

    model_config = ConfigDict(extra="forbid")
    licensor: str = Field(min_length=1, max_length=300)
    titles: list[str] = Field(min_length=1, max_length=100)
    media: list[str] = Field(min_length=1, max_length=100)
    territories: list[str] = Field(min_length=1, max_length=300)
    languages: Languages = "all"
    start: IsoDay
    end: IsoDay | None = None
    exclusive: bool = False


class NextOut(BaseModel):
    titles: list[str]
    next: WindowOut | None
    days: int | None = Field(description="The window's length; null: it runs on forever.")
    covers: bool = Field(description="Whether the window covers the whole range asked for.")


def search_router(
    service: Service,
    viewer: Callable[[Request], ApiKey],
    responses: dict[int | str, dict[str, Any]],
) -> APIRouter:
    """The routes, for the app's service and its viewer-role dependency."""
    router = APIRouter(tags=["avails"])

    def as_party(key: ApiKey, licensor: str) -> str:
        party = service.party_id(licensor, "licensor")
        Permissions.of(key).require_asking_as(party)
        return party

    @router.post("/avails/search", response_model=SearchOut, responses=responses)
    def search(body: SearchIn, key: ApiKey = Depends(viewer)) -> dict[str, Any]:
        licensor = as_party(key, body.licensor)
        request = service.search_request(
            licensor,
            body.media,
            body.territories,
            body.start,
            body.end,
            body.languages,
            body.exclusive,
            body.match,
            body.min_days,
        )
        answer = service.search(request, body.kind, body.within)
        out = answer.to_json(body.offset, body.limit)
        return {
            **out,
            "total": len(answer.titles),
            "limit": body.limit,
            "offset": body.offset,
        }

    @router.post("/avails/next", response_model=NextOut, responses=responses)
    def next_window(body: NextIn, key: ApiKey = Depends(viewer)) -> dict[str, Any]:
        licensor = as_party(key, body.licensor)
        return service.next_window(
            licensor,
            body.titles,
            body.media,
            body.territories,
            body.start,
            body.end,
            body.languages,
            body.exclusive,
        ).to_json()

    return router
