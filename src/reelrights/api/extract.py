"""The deal-news routes (docs/semantics.md rule 23): ``POST /extract`` reads an article and
proposes draft deals, storing nothing; ``POST /extract/drafts`` stores corrected deals as
draft contracts. The article's size is bounded before the body is read."""

from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from reelrights.service import Acting, ApiKey, Service
from reelrights.service.extract import MAX_DEALS, MAX_EXTRACT_BODY

ARTICLE_EXAMPLE = (
    'Tencent Video has become the exclusive online distributor of the six "Star Wars" '
    "films in China under a deal with The Walt Disney Company."
)


class ExtractIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: str = Field(min_length=1, examples=[ARTICLE_EXAMPLE])
    filename: str = Field("article", min_length=1, max_length=300)


class FeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    amount: str | int | float
    currency: str = Field(min_length=3, max_length=3)


class DealIn(BaseModel):
    """A deal in rule 23's JSON form, as proposed or corrected."""

    model_config = ConfigDict(extra="forbid", strict=True)
    licensor: str | None = Field(None, max_length=200)
    licensee: str | None = Field(None, max_length=200)
    titles: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list, max_length=100
    )
    media: list[Annotated[str, Field(max_length=60)]] | None = Field(None, max_length=40)
    territories: list[Annotated[str, Field(max_length=200)]] | None = Field(None, max_length=300)
    exclusive: bool | None = None
    fee: FeeIn | None = None
    start: str | None = Field(None, max_length=40)
    end: str | None = Field(None, max_length=40)
    sentence: str = Field("", max_length=5000)
    confidence: float | None = Field(None, ge=0, le=1)


class DraftsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    deals: list[DealIn] = Field(min_length=1, max_length=MAX_DEALS)


class FeeOut(BaseModel):
    amount: str
    currency: str


class DealOut(BaseModel):
    licensor: str | None
    licensee: str | None
    titles: list[str]
    media: list[str] | None
    territories: list[str] | None
    exclusive: bool | None
    fee: FeeOut | None
    start: str | None
    end: str | None
    sentence: str
    confidence: float


class ExtractOut(BaseModel):
    deals: list[DealOut]
    sheet: dict[str, Any] = Field(description="the draft deal sheet the deals make")


class DraftsOut(BaseModel):
    status: str
    contracts: list[str]
    parties: int
    titles: int


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 once it passes ``limit`` bytes (by its declared
    length before reading, or while reading a body of undeclared length)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the body may be at most {limit:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(413, f"the body may be at most {limit:,} bytes")
    return bytes(body)


def add_routes(app: FastAPI, service: Service, viewer: Any, editor: Any, responses: Any) -> None:
    """Register the routes on ``app`` with the role checks the application uses."""

    @app.post(
        "/extract",
        response_model=ExtractOut,
        responses={**responses, 413: {"description": "The article is too large"}},
        tags=["deal news"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ExtractIn.model_json_schema()},
                },
            }
        },
    )
    async def extract(key: Annotated[ApiKey, Depends(viewer)], request: Request) -> dict[str, Any]:
        """Read a news article (``{"text", "filename"}``) and propose the deals it reports
        as draft contracts; nothing is stored."""
        del key
        raw = await read_capped(request, MAX_EXTRACT_BODY)
        try:
            body = ExtractIn.model_validate_json(raw)
        except ValidationError as error:
            located = [{**e, "loc": ("body", *e.get("loc", ()))} for e in error.errors()]
            raise RequestValidationError(located) from None
        drafts = await run_in_threadpool(service.extract_article, body.text, body.filename)
        return {**drafts.to_json(), "sheet": drafts.sheet}

    @app.post(
        "/extract/drafts",
        status_code=201,
        response_model=DraftsOut,
        responses=responses,
        tags=["deal news"],
    )
    def save(key: Annotated[ApiKey, Depends(editor)], body: DraftsIn) -> dict[str, Any]:
        """Store deals (as proposed by ``POST /extract``, corrected) as draft contracts,
        with the parties and titles they need; all or nothing."""
        with service.acting(Acting.of_key(key)):
            saved = service.save_drafts([d.model_dump() for d in body.deals])
        return {
            "status": "saved",
            "contracts": saved.contracts,
            "parties": saved.loaded.parties,
            "titles": saved.loaded.titles,
        }
