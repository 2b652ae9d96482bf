"""The *Find sellable titles* page (docs/semantics.md rule 13): the search form, the titles
found with their windows drawn as bars on one shared time axis (each linking to that
title's avails grid), and the same answer as CSV or XLSX."""

from collections.abc import Callable
from contextlib import suppress
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from reelrights.domain.problems import InvalidInput, Problem
from reelrights.domain.terms import from_end
from reelrights.service import TABLE_KINDS, SearchAnswer, Service
from reelrights.service.permissions import Permissions
from reelrights.service.search import SEARCH_KINDS

Page = Callable[..., HTMLResponse]
FIELDS = (
    "licensor",
    "media",
    "territories",
    "start",
    "end",
    "exclusive",
    "match",
    "min_days",
    "kind",
    "within",
)


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _day(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _end(ordinal: int) -> str:
    last = from_end(ordinal)
    return last.isoformat() if last else ""


def bars(answer: SearchAnswer) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows with their windows as left/width percentages of one shared axis, the axis's
    year ticks). An open-ended search draws three years past the last window start."""
    request = answer.request
    first = request.start
    starts = [w.start for t in answer.titles for w in t.windows]
    last = request.end
    if from_end(last) is None:
        last = max([first, *starts]) + 3 * 365
    span = max(1, last - first)

    def pct(day: int) -> float:
        return round(100 * (min(max(day, first), last) - first) / span, 3)

    rows = []
    for found in answer.titles:
        windows = []
        for w in found.windows:
            left = pct(w.start)
            windows.append(
                {
                    "left": left,
                    "width": max(0.4, round(pct(w.end) - left, 3)),
                    "start": _day(w.start),
                    "end": _end(w.end) or "open end",
                    "days": w.days if from_end(w.end) else None,
                }
            )
        rows.append({"found": found, "windows": windows})
    ticks: list[dict[str, Any]] = []
    year = date.fromordinal(first).year + 1
    while date(year, 1, 1).toordinal() < last and len(ticks) < 40:
        ticks.append({"left": pct(date(year, 1, 1).toordinal()), "label": str(year)})
        year += 1
    return rows, ticks


def table_rows(answer: SearchAnswer) -> list[list[Any]]:
    """The export: one row per window (a title without one has one row with none)."""
    out: list[list[Any]] = [
        ["title", "name", "kind", "window start", "window end", "days", "first available", "holds"]
    ]
    for found in answer.titles:
        holds = "; ".join(sorted({h.contract or "" for h in found.warnings}))
        first = found.first_available
        base = [found.title, answer.labels[found.title], answer.kinds[found.title]]
        tail = [_day(first) if first is not None else "", holds]
        if not found.windows:
            out.append([*base, "", "", "", *tail])
        for w in found.windows:
            days = w.days if from_end(w.end) else ""
            out.append([*base, _day(w.start), _end(w.end), days, *tail])
    return out


# The form input each problem's field belongs to (the service says "territory").
INPUTS = {"territory": "territories", "min_days": "min_days", **{f: f for f in FIELDS}}


def _by_field(problems: list[Problem]) -> dict[str, list[Problem]]:
    """The problems said beside their input, by the input's name."""
    out: dict[str, list[Problem]] = {}
    for problem in problems:
        name = INPUTS.get(problem.field or "")
        if name is not None:
            out.setdefault(name, []).append(problem)
    return out


def add_search_pages(app: FastAPI, service: Service, page: Page, signed: Any) -> None:
    """``GET /ui/search`` and its exports ``/ui/search.csv`` and ``/ui/search.xlsx``."""

    def licensor_of(key: Any, typed: str) -> str:
        """The party typed (an id or a name); a key bound to a party may only ask as
        its own (a 403 otherwise). Raises the did-you-mean problem for a name that
        matches no party or several."""
        licensor = service.party_id(typed, "licensor")
        Permissions.of(key).require_asking_as(licensor)
        return licensor

    def ask(key: Any, form: dict[str, str]) -> SearchAnswer:
        problems: list[Problem] = []
        licensor = key.party or form["licensor"]
        if form["licensor"]:
            try:
                licensor = licensor_of(key, form["licensor"])
            except InvalidInput as error:
                problems.extend(error.problems)
        min_days = form["min_days"].strip()
        if min_days and not min_days.isdigit():
            problems.append(Problem("min-days is a whole number of days", field="min_days"))
        try:
            request = service.search_request(
                licensor,
                _list(form["media"]),
                _list(form["territories"]),
                form["start"],
                form["end"] or None,
                None,
                form["exclusive"] == "true",
                form["match"] or "cover",
                int(min_days) if min_days.isdigit() else None,
            )
        except InvalidInput as error:
            problems.extend(p for p in error.problems if p not in problems)
        if problems:
            try:  # the kind and within are said with the rest, not after they are fixed
                service.search_candidates(_list(form["kind"]), form["within"] or None)
            except InvalidInput as error:
                problems.extend(error.problems)
            raise InvalidInput(problems)
        return service.search(request, _list(form["kind"]), form["within"] or None)

    def form_of(request: Request) -> dict[str, str]:
        params = request.query_params
        return {name: params.get(name, "").strip()[:300] for name in FIELDS}

    @app.get("/ui/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, key: signed) -> HTMLResponse:
        form = form_of(request)
        if form["licensor"]:
            # A bound key asks only as its party; a name that matches no party is said
            # beside the field, with the closest matches, when the search runs.
            with suppress(InvalidInput):
                licensor_of(key, form["licensor"])
        elif key.party:
            form["licensor"] = key.party
        context: dict[str, Any] = {
            "form": form,
            "parties": service.parties(),
            "kinds": SEARCH_KINDS,
            "problems": [],
            "field_problems": {},
            "rows": None,
            "ticks": [],
            "query": "",
            "answer": None,
        }
        if form["media"] or form["territories"] or form["start"]:
            try:
                answer = ask(key, form)
            except InvalidInput as error:
                by_field = _by_field(error.problems)
                context["field_problems"] = by_field
                context["problems"] = [p for p in error.problems if p.field not in by_field]
            else:
                rows, ticks = bars(answer)
                grid = {
                    "licensor": answer.request.licensor,
                    "start": _day(answer.request.start),
                    "end": _end(answer.request.end),
                    "territories": form["territories"],
                }
                if answer.request.exclusive:
                    grid["exclusive"] = "true"
                context.update(
                    answer=answer,
                    rows=rows,
                    ticks=ticks,
                    query=urlencode({k: v for k, v in form.items() if v}),
                    grid_query=urlencode(grid),
                    axis=(_day(answer.request.start), _end(answer.request.end) or "open end"),
                )
        else:
            today = date.today()
            form.update(
                start=form["start"] or date(today.year + 1, 1, 1).isoformat(),
                end=form["end"] or (date(today.year + 2, 1, 1) - timedelta(days=1)).isoformat(),
                media=form["media"] or "SVOD",
                territories=form["territories"] or "LATAM",
            )
        return page(request, "search.html", key, **context)

    @app.get("/ui/search.{kind}", include_in_schema=False)
    def search_file(request: Request, key: signed, kind: str) -> Response:
        if kind not in TABLE_KINDS:
            raise HTTPException(404, "the search exports as .csv or .xlsx")
        form = form_of(request)
        try:
            answer = ask(key, form)
        except InvalidInput as error:
            raise HTTPException(422, "; ".join(str(p) for p in error.problems)) from None
        name = f"sellable-{answer.request.licensor}-{_day(answer.request.start)}"
        return Response(
            service.table_file(table_rows(answer), kind, "sellable titles"),
            media_type=TABLE_KINDS[kind],
            headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
        )
