"""``GET /calendar`` and ``GET /calendar.ics``: the dates that matter (docs/semantics.md
rule 20), scoped to the party of a party-bound key."""

from __future__ import annotations

from datetime import date as Day
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from reelrights.api.app import RESPONSES, Viewer
from reelrights.service import Service

router = APIRouter(tags=["calendar"])

ListParam = Annotated[list[str] | None, Query(description="Repeat or separate with commas.")]


class EventOut(BaseModel):
    id: str
    date: str
    kind: str
    contract: str
    party: str
    titles: list[str]
    detail: str


class CalendarOut(BaseModel):
    start: str
    end: str
    events: list[EventOut]


def _split(values: list[str] | None) -> list[str] | None:
    parts = [p.strip() for v in values or [] for p in v.split(",") if p.strip()]
    return parts or None


def _events(
    request: Request,
    key: Any,
    start: Day,
    end: Day,
    party: str | None,
    title: list[str] | None,
    kind: list[str] | None,
) -> list[Any]:
    service: Service = request.app.state.service
    party = service.contract_filters(party, None)[0]  # an id or a name (rule 13)
    titles = _split(title)
    titles = service.title_ids(titles) if titles else titles
    return service.calendar(start, end, party, titles, _split(kind), scope=key.party)


@router.get("/calendar", response_model=CalendarOut, responses=RESPONSES)
def calendar(
    request: Request,
    key: Viewer,
    start: Annotated[Day, Query(alias="from")],
    end: Annotated[Day, Query(alias="to")],
    party: str | None = None,
    title: ListParam = None,
    kind: ListParam = None,
) -> dict[str, Any]:
    """Dated events from ``from`` to ``to`` (inclusive), sorted by date, kind, contract."""
    events = _events(request, key, start, end, party, title, kind)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "events": [e.to_json() for e in events],
    }


@router.get(
    "/calendar.ics",
    responses={**RESPONSES, 200: {"content": {"text/calendar": {}}}},
    response_class=Response,
)
def calendar_ics(
    request: Request,
    key: Viewer,
    start: Annotated[Day, Query(alias="from")],
    end: Annotated[Day, Query(alias="to")],
    party: str | None = None,
    title: ListParam = None,
    kind: ListParam = None,
) -> Response:
    """The same events as an iCalendar file for any calendar app."""
    service: Service = request.app.state.service
    events = _events(request, key, start, end, party, title, kind)
    return Response(
        service.calendar_ics(events),
        media_type="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="reelrights.ics"'},
    )
