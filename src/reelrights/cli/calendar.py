"""``reelrights calendar``: the dates that matter (docs/semantics.md rule 20)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelrights.cli.common import Db, Json, emit_json, err, out, service, split_list


def calendar(
    first: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    last: Annotated[str, typer.Option("--to", help="Last day, inclusive (YYYY-MM-DD).")],
    party: Annotated[
        str | None, typer.Option(help="Only contracts naming this party (or option holder).")
    ] = None,
    title: Annotated[
        list[str] | None, typer.Option(help="Only events touching these titles (T[,T]).")
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these kinds: license-start, license-end, holdback-end, payment-due, "
            "option-deadline (K[,K])."
        ),
    ] = None,
    ics: Annotated[
        Path | None, typer.Option("--ics", help="Also write an iCalendar file for any app.")
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """License starts and ends, holdback ends, payment dues and option deadlines, by date."""
    with service(db) as svc:
        kinds = split_list(kind) or None
        party = svc.contract_filters(party, None)[0]  # an id or a name (rule 13)
        titles = svc.title_ids(split_list(title)) or None
        events = svc.calendar(first, last, party, titles, kinds)
        if ics is not None:
            try:
                ics.write_bytes(svc.calendar_ics(events))
            except OSError as error:
                err.print(f"[red]error:[/red] cannot write {ics}: {error}", markup=True)
                raise typer.Exit(1) from None
    if as_json:
        emit_json({"from": first, "to": last, "events": [e.to_json() for e in events]})
        return
    table = Table("date", "kind", "contract", "party", "titles", "detail")
    for event in events:
        table.add_row(
            event.day.isoformat(),
            event.kind,
            event.contract,
            event.party,
            ", ".join(event.titles),
            event.detail,
        )
    out.print(table)
    out.print(f"{len(events)} events from {first} to {last}")
    if ics is not None:
        out.print(f"wrote {ics}")
