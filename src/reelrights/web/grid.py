"""The avails grid page: media × territories for one title (or collection), a licensor and
a term, with its day ranges opened in place and its exports.

- Media: the ones asked (a group or leaves; all by default), as columns under their
  headings of the media tree (:data:`reelrights.web.pickers.MEDIA_TREE`), in the
  taxonomy's order.
- Territories: rows under their UN M49 sub-regions, which fold; a region's summary counts
  territories (all available, partly, unavailable, held), not cells.
- A cell's day ranges are a fragment (``/ui/grid/cell``) the page fetches into its side
  panel, so the grid neither reloads nor moves; without scripts the same panel comes with
  the page (``?cell=``).
- Dates left empty are the range asked last time (kept in a cookie), else this year.
- Exports: the long form (one row per cell) or the matrix as on screen, both with the free
  windows merged, both through the one formula-safe table writer.
"""

import re
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from html import escape
from typing import Any

import pycountry
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from reelrights.domain.media import LEAF_BIT, LEAVES
from reelrights.domain.problems import CodeError, InvalidInput
from reelrights.domain.terms import parse_date
from reelrights.domain.territories import COUNTRY_BIT, m49_regions
from reelrights.service import TABLE_KINDS, ApiKey, Service
from reelrights.service.permissions import NotFound, Permissions
from reelrights.web.charts import STATES, GridCell, GridRegion, build_grid
from reelrights.web.pickers import MEDIA_TREE

Page = Callable[..., HTMLResponse]
RANGE_COOKIE = "reelrights_grid_range"
"""The last range asked (``START..END``): the dates a grid form starts with."""
SUB_REGIONS = [15, 202, 419, 21, 30, 34, 35, 143, 145, 151, 154, 39, 155, 53, 54, 57, 61]
"""UN M49 sub-regions the grid groups countries by (collapsible)."""
FIELDS = ("title", "licensor", "start", "end", "territories", "media")
LONGEST = 300
"""The longest value a grid form field is read with."""


@cache
def region_of_country() -> dict[str, str]:
    by_name, by_number = m49_regions()
    out: dict[str, str] = {}
    for number in SUB_REGIONS:
        name = by_number.get(number)
        if name is None:
            continue
        mask = by_name[name]
        for code, bit in COUNTRY_BIT.items():
            if mask & bit and code not in out:
                out[code] = name.replace("_", " ").title().replace(" And ", " and ")
    return out


@cache
def country_names() -> dict[str, str]:
    return {c.alpha_2: getattr(c, "common_name", c.name) for c in pycountry.countries}


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


@dataclass(frozen=True)
class ColumnGroup:
    """One heading over the grid's columns: its words, its group code (if it is one) and
    the media under it, in the taxonomy's order."""

    label: str
    code: str | None
    media: tuple[str, ...]


def column_groups(present: Iterable[str]) -> list[ColumnGroup]:
    """The media tree's headings that hold a medium of ``present``, each with those media."""
    have = set(present)
    out = []
    for label, code, leaves in MEDIA_TREE:
        shown = tuple(leaf for leaf in leaves if leaf in have)
        if shown:
            out.append(ColumnGroup(label, code, shown))
    return out


def merged_windows(windows: list[dict[str, Any]]) -> list[str]:
    """A cell's free windows, overlapping or touching ones merged ("2016-01-01..2016-03-31",
    ".." for an open side). Windows of a collection's different titles stay apart, each
    naming its titles."""
    by_titles: dict[tuple[str, ...], list[tuple[date | None, date | None]]] = {}
    for window in windows:
        first = date.fromisoformat(window["start"]) if window["start"] else None
        last = date.fromisoformat(window["end"]) if window["end"] else None
        by_titles.setdefault(tuple(window.get("titles") or ()), []).append((first, last))
    out = []
    for titles, spans in by_titles.items():
        spans.sort(key=lambda span: span[0] or date.min)
        merged: list[list[date | None]] = []
        for first, last in spans:
            if merged:
                prior_end = merged[-1][1]
                touching = prior_end is None or (
                    first is not None and first <= prior_end + timedelta(days=1)
                )
                if touching:
                    if prior_end is not None and (last is None or last > prior_end):
                        merged[-1][1] = last
                    continue
            merged.append([first, last])
        suffix = f" ({', '.join(titles)})" if len(by_titles) > 1 else ""
        for first, last in merged:
            out.append(
                f"{first.isoformat() if first else ''}..{last.isoformat() if last else ''}{suffix}"
            )
    return out


def cell_text(cell: dict[str, Any], state: str) -> str:
    """A cell as the matrix export writes it: its state, and what the screen says of it."""
    symbol, words = STATES[state]
    parts = [f"{symbol} {words}"]
    if state == "held":
        parts.append(
            "held by "
            + ", ".join(
                f"{h['contract'] or 'a contract you cannot see'} until "
                f"{h.get('until', h['end']) or 'open end'}"
                for h in cell["holds"]
            )
        )
    if state in ("partial", "unavailable"):
        parts += [
            f"{r['reason']} by {r['contract'] or 'a contract you cannot see'}"
            f" ({r['start'] or 'since always'} to {r['end'] or 'open end'})"
            for r in cell["reasons"][:3]
        ]
    if state == "partial":
        parts.append("free " + ", ".join(merged_windows(cell["windows"])))
    return "; ".join(parts)


def state_of(cell: dict[str, Any]) -> str:
    return "held" if cell["status"] == "available" and cell["holds"] else str(cell["status"])


def long_rows(answer: dict[str, Any]) -> list[list[Any]]:
    """One row per cell (territory × medium), free windows merged."""
    rows: list[list[Any]] = [
        ["territory", "country", "medium", "status", "reasons", "holds", "free windows"]
    ]
    names = country_names()
    for c in answer["cells"]:
        rows.append(
            [
                c["territory"],
                names.get(c["territory"], ""),
                c["medium"],
                state_of(c),
                "; ".join(
                    f"{r['reason']} {r['contract'] or ''} {r['start'] or ''}..{r['end'] or ''}"
                    for r in c["reasons"]
                ),
                "; ".join(h["contract"] or "" for h in c["holds"]),
                "; ".join(merged_windows(c["windows"])),
            ]
        )
    return rows


def matrix_rows(
    answer: dict[str, Any], groups: list[ColumnGroup], regions: list[GridRegion]
) -> list[list[Any]]:
    """The grid as on screen: a heading row of media groups, a row of media, then each
    region's territories in the page's order, a cell's state with its merged windows."""
    media = [m for g in groups for m in g.media]
    by_key = {(c["medium"], c["territory"]): c for c in answer["cells"]}
    rows: list[list[Any]] = [
        ["", "", "", *[g.label for g in groups for _ in g.media]],
        ["region", "territory", "country", *media],
    ]
    for region in regions:
        for code, name, _cells in region.rows:
            row: list[Any] = [region.name, code, name]
            for medium in media:
                cell = by_key.get((medium, code))
                row.append(cell_text(cell, state_of(cell)) if cell else "")
            rows.append(row)
    return rows


def hold_until(service: Service, key: ApiKey, answer: dict[str, Any]) -> None:
    """Add to each hold of the answer the day its hold ends (``until``): the engine's day
    ranges stop at the end of the range asked, but "held until when" is the hold's own
    end (its grants on that medium and country), read only from a contract the key may
    read."""
    contracts: dict[str, Any] = {}

    def contract(contract_id: str) -> Any:
        if contract_id not in contracts:
            try:
                contracts[contract_id] = service.readable_contract(key, contract_id)
            except NotFound:
                contracts[contract_id] = None
        return contracts[contract_id]

    for cell in answer["cells"]:
        medium, country = LEAF_BIT[cell["medium"]], COUNTRY_BIT[cell["territory"]]
        for hold in cell["holds"]:
            found = contract(hold["contract"]) if hold.get("contract") else None
            if found is None:
                continue
            grants = [
                grant
                for grant in found.grants
                if grant.media & medium and grant.territories & country
            ]
            if not grants or any(g.end is not None and g.end.day is None for g in grants):
                continue  # a term relative to a release: the engine's day ranges say it
            if any(g.end is None for g in grants):
                hold["until"] = None  # open end
            else:
                hold["until"] = max(g.end.day for g in grants if g.end and g.end.day).isoformat()


def cell_buttons(cells: Iterable[GridCell]) -> Markup:
    """A territory's row of cells as HTML: one button each, its summary as the label.
    Written here rather than by a template loop, which costs about 30 µs a cell (a world
    of 20 media is 5,000 cells)."""
    return Markup(
        "".join(
            f'<td><button class="cell {cell.state}" name="cell" '
            f'value="{escape(cell.medium)}:{escape(cell.territory)}" '
            f'aria-label="{escape(cell.summary)}">{cell.symbol}</button></td>'
            for cell in cells
        )
    )


def add_grid_pages(app: FastAPI, service: Service, page: Page, signed: Any) -> None:
    """``/ui/grid``, its cell fragment ``/ui/grid/cell`` and its exports."""

    def form_of(request: Request) -> dict[str, Any]:
        params = request.query_params
        form: dict[str, Any] = {n: params.get(n, "").strip()[:LONGEST] for n in FIELDS}
        form["exclusive"] = params.get("exclusive", "") in ("true", "on", "1")
        return form

    def remembered(request: Request) -> tuple[str, str]:
        """The range asked last time, if the cookie holds one, else this year."""
        text = request.cookies.get(RANGE_COOKIE, "")[:40]
        start, _, end = text.partition("..")
        with suppress(CodeError, ValueError):
            if parse_date(start) <= parse_date(end):
                return start, end
        year = date.today().year
        return f"{year}-01-01", f"{year}-12-31"

    def owner_of(title: str) -> str:
        for contract in service.contracts(title=title):
            if contract.licensor is None and contract.in_force():
                return contract.licensee
        return ""

    def settle(key: ApiKey, form: dict[str, Any], request: Request) -> None:
        """Fill what the form left to defaults: the title's id for its name, the licensor
        (the key's party, else the title's owner) and the dates."""
        with suppress(InvalidInput):  # a name typed by hand reads as its id
            form["title"] = service.title_ids([form["title"]])[0]
        form["licensor"] = key.party or form["licensor"] or owner_of(form["title"])
        start, end = remembered(request)
        if not form["start"] and not form["end"]:
            form["start"], form["end"] = start, end
        elif not form["start"]:
            form["start"] = start

    def ask(
        key: ApiKey,
        form: dict[str, Any],
        media: list[str] | None = None,
        territories: list[str] | None = None,
    ) -> dict[str, Any]:
        Permissions.of(key).require_asking_as(form["licensor"])
        answer = service.grid(
            form["licensor"],
            form["title"],
            form["start"],
            form["end"] or None,
            exclusive=form["exclusive"],
            media=media or _list(form["media"]) or ["ALL_MEDIA"],
            territories=territories or _list(form["territories"]) or ["WORLD"],
        )
        answer = service.redact_grid(key, answer)
        hold_until(service, key, answer)
        return answer

    def laid_out(answer: dict[str, Any]) -> tuple[list[ColumnGroup], list[GridRegion]]:
        groups = column_groups(c["medium"] for c in answer["cells"])
        media = [m for g in groups for m in g.media]
        return groups, build_grid(answer, media, region_of_country(), country_names())

    def one_cell(key: ApiKey, form: dict[str, Any], cell: str) -> dict[str, Any] | None:
        """The answer for one cell ``MEDIUM:COUNTRY`` (asked alone: cheap, and the same
        day ranges as in the whole grid)."""
        medium, _, country = cell.partition(":")
        if medium not in LEAVES or country not in COUNTRY_BIT:
            return None
        found = ask(key, form, [medium], [country])["cells"]
        return found[0] if found else None

    @app.get("/ui/grid", response_class=HTMLResponse, include_in_schema=False)
    def grid(request: Request, key: signed) -> HTMLResponse:
        form = form_of(request)
        cell = request.query_params.get("cell", "")[:40]
        context: dict[str, Any] = {
            "form": form,
            "regions": None,
            "groups": [],
            "media": [],
            "problems": [],
            "detail": None,
        }
        asked = bool(form["title"])
        if asked:
            settle(key, form, request)
        else:
            form["start"], form["end"] = (
                form["start"] or remembered(request)[0],
                form["end"] or remembered(request)[1],
            )
        if asked:
            try:
                answer = ask(key, form)
            except InvalidInput as error:
                context["problems"] = error.problems
                asked = False
            else:
                groups, regions = laid_out(answer)
                context.update(
                    groups=groups,
                    media=[m for g in groups for m in g.media],
                    regions=regions,
                    status=answer["status"],
                    title=service.catalog().get(form["title"]),
                    detail=one_cell(key, form, cell) if cell else None,
                )
        response = page(request, "grid.html", key, **context)
        if asked:
            response.set_cookie(
                RANGE_COOKIE,
                f"{form['start']}..{form['end']}",
                max_age=400 * 24 * 3600,
                path="/ui/",
                secure=True,
                httponly=True,
                samesite="strict",
            )
        return response

    @app.get("/ui/grid/cell", response_class=HTMLResponse, include_in_schema=False)
    def grid_cell(request: Request, key: signed) -> HTMLResponse:
        """One cell's day ranges, the fragment the grid page puts in its side panel."""
        form = form_of(request)
        if not form["title"]:
            raise HTTPException(422, "the grid's cell needs a title")
        settle(key, form, request)
        try:
            detail = one_cell(key, form, request.query_params.get("cell", "")[:40])
        except InvalidInput as error:
            raise HTTPException(422, "; ".join(str(p) for p in error.problems)) from None
        if detail is None:
            raise HTTPException(404, "no such cell in this grid")
        return page(request, "_grid_detail.html", key, detail=detail)

    @app.get("/ui/grid.{kind}", include_in_schema=False)
    def grid_file(request: Request, key: signed, kind: str) -> Response:
        if kind not in TABLE_KINDS:
            raise HTTPException(404, "the grid exports as .csv or .xlsx")
        form = form_of(request)
        if not form["title"]:
            raise HTTPException(422, "the grid's export needs a title")
        settle(key, form, request)
        try:
            answer = ask(key, form)
        except InvalidInput as error:
            raise HTTPException(422, "; ".join(str(p) for p in error.problems)) from None
        matrix = request.query_params.get("layout") == "matrix"
        rows = matrix_rows(answer, *laid_out(answer)) if matrix else long_rows(answer)
        stem = f"avails-{form['title']}-{form['start'] or 'from'}-{form['end'] or 'on'}"
        name = re.sub(r"[^A-Za-z0-9._:-]", "_", stem + ("-matrix" if matrix else ""))
        return Response(
            service.table_file(rows, kind, "avails"),
            media_type=TABLE_KINDS[kind],
            headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
        )
