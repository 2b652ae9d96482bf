"""The calendar page: a month view and a list of the dates that matter
(docs/semantics.md rule 20), filtered like ``reelrights calendar``, with an iCalendar
download of the month shown; a party-bound key sees only its own contracts."""

import calendar as months
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from reelrights.domain.problems import InvalidInput
from reelrights.service import ApiKey, Service

KINDS = ("license-start", "license-end", "holdback-end", "payment-due", "option-deadline")


def month_of(text: str, today: date) -> date:
    """The first day of ``YYYY-MM`` (this month when empty or malformed)."""
    try:
        year, month = (int(p) for p in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def add_calendar_pages(
    app: FastAPI,
    service: Service,
    page: Callable[..., HTMLResponse],
    signed: Any,
) -> None:
    """``/ui/calendar`` and ``/ui/calendar.ics``."""

    def events_of(
        key: ApiKey, first: date, last: date, party: str, kind: str, title: str = ""
    ) -> list[Any]:
        # a party and a title as a person types them: an id or a name (the pickers)
        party_id, title_id = service.contract_filters(party[:300], title[:300])
        return service.calendar(
            first,
            last,
            party_id,
            [title_id] if title_id else None,
            [kind] if kind else None,
            scope=key.party,
        )

    def bounds(month: str) -> tuple[date, date]:
        first = month_of(month, date.today())
        last = first.replace(day=months.monthrange(first.year, first.month)[1])
        return first, last

    @app.get("/ui/calendar", response_class=HTMLResponse, include_in_schema=False)
    def calendar_page(
        request: Request,
        key: signed,
        month: str = "",
        party: str = "",
        kind: str = "",
        title: str = "",
    ) -> HTMLResponse:
        first, last = bounds(month)
        problems: list[str] = []
        try:
            events = events_of(key, first, last, party, kind, title)
        except InvalidInput as error:
            events, problems = [], [str(p) for p in error.problems]
        by_day: dict[date, list[Any]] = defaultdict(list)
        for event in events:
            by_day[event.day].append(event)
        weeks = [
            [(day, by_day.get(day, [])) for day in week]
            for week in months.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        ]
        previous = (first - timedelta(days=1)).replace(day=1)
        following = last + timedelta(days=1)
        return page(
            request,
            "calendar.html",
            key,
            first=first,
            weeks=weeks,
            events=events,
            problems=problems,
            party=party,
            title=title,
            kind=kind,
            kinds=KINDS,
            kept=urlencode({"party": party, "title": title, "kind": kind}),
            month=f"{first:%Y-%m}",
            previous=f"{previous:%Y-%m}",
            following=f"{following:%Y-%m}",
        )

    @app.get("/ui/calendar.ics", include_in_schema=False)
    def calendar_file(
        key: signed, month: str = "", party: str = "", kind: str = "", title: str = ""
    ) -> Response:
        first, last = bounds(month)
        events = events_of(key, first, last, party, kind, title)
        return Response(
            service.calendar_ics(events),
            media_type="text/calendar",
            headers={"Content-Disposition": f'attachment; filename="reelrights-{first:%Y-%m}.ics"'},
        )
