"""``reelrights search``: what can I sell? Every title with its windows (docs/semantics.md
rule 13), as a Rich table or as the JSON object of docs/cli.md."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from reelrights.cli.common import Db, Json, emit_json, out, service, split_list
from reelrights.domain.terms import from_end
from reelrights.service import NextWindow, SearchAnswer


def search(
    licensor: Annotated[str, typer.Option(help="The party that would sell (id or name).")],
    media: Annotated[list[str], typer.Option(help="Media codes, groups or labels (comma list).")],
    territory: Annotated[
        list[str],
        typer.Option(help="Countries (code or name), regions or groups; 'LATAM except BR'."),
    ],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option(help="Last day (inclusive); none: perpetuity.")] = None,
    language: Annotated[
        list[str] | None, typer.Option(help="Language tags (comma list); default all.")
    ] = None,
    exclusive: Annotated[
        bool, typer.Option("--exclusive", help="Only what can be sold exclusively.")
    ] = False,
    match: Annotated[
        str,
        typer.Option(
            help="cover: available for the whole range; overlap: any part of it is available."
        ),
    ] = "cover",
    min_days: Annotated[
        int | None,
        typer.Option("--min-days", help="Titles with a window of at least N days (any part)."),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(help="Only titles of these kinds: film, series, season, episode..."),
    ] = None,
    within: Annotated[
        str | None,
        typer.Option(help="Only the titles a collection, series or season covers."),
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """What can I sell? Every title of the catalog available for the whole box, with its
    windows; --match overlap or --min-days N for partial windows."""
    with service(db) as svc:
        request = svc.search_request(
            licensor,
            split_list(media),
            split_list(territory),
            start,
            end,
            split_list(language) or None,
            exclusive,
            match,
            min_days,
        )
        answer = svc.search(request, split_list(kind), within)
        if as_json:
            emit_json(answer.to_json())
            return
        media_codes, geography = svc.vocabularies()
        print_search(
            answer,
            f"{media_codes.describe(request.media)} in {geography.describe(request.territories)}",
        )


def _day(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _end(ordinal: int) -> str:
    last = from_end(ordinal)
    return last.isoformat() if last else "perpetuity"


def print_search(answer: SearchAnswer, what: str) -> None:
    request = answer.request
    how = {
        "cover": "available for the whole range",
        "overlap": "with any part available",
        "min-days": f"with a window of at least {request.min_days} days",
    }[answer.match]
    out.print(
        f"[bold]{len(answer.titles)} titles[/bold] {how}: {what}, "
        f"{_day(request.start)} → {_end(request.end)}"
        + (" (exclusive)" if request.exclusive else "")
    )
    if not answer.titles:
        return
    table = Table()
    for column in ("title", "name", "kind", "windows", "first available", "holds"):
        table.add_column(column, overflow="fold")
    for found in answer.titles:
        windows = "\n".join(f"{_day(w.start)} → {_end(w.end)}" for w in found.windows) or "—"
        first = found.first_available
        holds = ", ".join(sorted({h.contract or "" for h in found.warnings}))
        table.add_row(
            found.title,
            answer.labels[found.title],
            answer.kinds[found.title],
            windows,
            _day(first) if first is not None else "—",
            f"[yellow]⚠ {holds}[/yellow]" if holds else "",
        )
    out.print(table)


def print_next(found: NextWindow, what: str) -> None:
    """``avails --next``: when the whole request becomes available, and for how long."""
    if found.window is None:
        out.print(f"[red]never[/red] within the rights held: {what}")
        return
    window = found.window
    length = "open-ended" if from_end(window.end) is None else f"{window.days} days"
    fits = "[green]the whole request fits[/green]" if found.to_json()["covers"] else ""
    out.print(
        f"next window for {what}: [bold]{_day(window.start)} → {_end(window.end)}[/bold] "
        f"({length}) {fits}".rstrip()
    )
