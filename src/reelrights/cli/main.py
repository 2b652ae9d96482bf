"""``reelrights`` commands: demo, load, export, avails, contracts, titles, parties, history,
check, extract. Exit codes (docs/cli.md): 0 answered or done, 1 bad input (nothing stored),
3 a write rejected for a rights conflict (the report on stdout)."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelrights import __version__
from reelrights.cli import money as money_cli
from reelrights.cli.calendar import calendar
from reelrights.cli.common import (
    Db,
    Json,
    emit_json,
    err,
    fail,
    options,
    out,
    print_conflict,
    print_report,
    progress_bar,
    require_database,
    service,
    split_list,
    warm,
)
from reelrights.cli.events import AlertDays, alert_days, configured_broker, webhooks_app, worker
from reelrights.cli.extract import extract as extract_command
from reelrights.cli.search import print_next
from reelrights.cli.search import search as search_command
from reelrights.domain.problems import Problem
from reelrights.service import RightsConflict

app = typer.Typer(
    name="reelrights",
    help="Media rights and licensing: who holds which rights, and what is still available.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
contracts_app = typer.Typer(
    help="List, show, execute and terminate contracts.", no_args_is_help=True
)
app.add_typer(contracts_app, name="contracts")
keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.command(name="calendar")(calendar)
app.add_typer(webhooks_app, name="webhooks")
app.command(name="worker")(worker)
app.command("extract")(extract_command)
app.command("search")(search_command)


@app.callback(invoke_without_command=True)
def _root(
    context: typer.Context,
    db: Db = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        out.print(f"reelrights {__version__}")
        raise typer.Exit(0)
    if context.invoked_subcommand is None:  # `reelrights --db X` alone: say what there is
        out.print(context.get_help())
        raise typer.Exit(0)
    options["db"] = db


# -- commands -------------------------------------------------------------------------------


@app.command()
def load(
    sheets: Annotated[list[Path], typer.Argument(help="Deal sheets (YAML or JSON).")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Validate deal sheets and load them, all or nothing."""
    with service(db, create=True) as svc:
        try:
            with progress_bar(not as_json and err.is_terminal) as update:
                result = svc.load(sheets, update)
        except RightsConflict as conflict:
            print_conflict(svc, conflict, as_json)
            raise typer.Exit(3) from None
        summary = {
            "parties": result.parties,
            "titles": result.titles,
            "contracts": result.contracts,
            "groups": result.groups,
        }
        if as_json:
            emit_json({"status": "loaded", **summary})
        else:
            out.print("loaded " + ", ".join(f"{v} {k}" for k, v in summary.items()))


@app.command()
def avails(
    licensor: Annotated[str, typer.Option(help="The party that would grant the right.")],
    title: Annotated[list[str], typer.Option(help="Title or collection ids (comma list).")],
    media: Annotated[list[str], typer.Option(help="Media codes or groups (comma list).")],
    territory: Annotated[
        list[str], typer.Option(help="Countries, regions or groups; 'WORLD except CN'.")
    ],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option(help="Last day (inclusive); none: perpetuity.")] = None,
    language: Annotated[
        list[str] | None, typer.Option(help="Language tags (comma list); default all.")
    ] = None,
    exclusive: Annotated[
        bool, typer.Option("--exclusive", help="Ask for exclusive rights.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Answer from the book as recorded at this time (ISO date/time)."
        ),
    ] = None,
    next_window: Annotated[
        bool,
        typer.Option(
            "--next", help="Not now, when? The first window from --start where all of it is free."
        ),
    ] = False,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Is this right available? Every unavailable part comes with its reason."""
    with service(db) as svc:
        languages = split_list(language) or None
        if next_window:
            if as_of:
                fail([Problem("--next answers from the book as it is now", field="as-of")])
            found = svc.next_window(
                licensor,
                split_list(title),
                split_list(media),
                split_list(territory),
                start,
                end,
                languages,
                exclusive,
            )
            if as_json:
                emit_json(found.to_json())
            else:
                print_next(found, ", ".join(found.titles))
            return
        moment = _moment(as_of) if as_of else None
        if moment is None:
            warm(svc, err.is_terminal)
        request = svc.request(
            licensor,
            split_list(title),
            split_list(media),
            split_list(territory),
            start,
            end,
            languages,
            exclusive,
        )
        report = svc.avails(request, as_of=moment)
        if as_json:
            emit_json(report.to_json())
        else:
            print_report(
                svc,
                report,
                f"avails for {licensor}"
                + (" (exclusive)" if exclusive else "")
                + (f" as of {as_of}" if as_of else ""),
            )


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail([Problem(f"'{text}' is not a date or time (ISO 8601)", field="--as-of")])
        raise
    if len(text) == 10:  # a day means the end of that day
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    return moment.astimezone() if moment.tzinfo is None else moment


@app.command()
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    avails_xml: Annotated[
        bool,
        typer.Option("--avails-xml", help="Write MovieLabs Avails XML instead of a deal sheet."),
    ] = False,
    avails_xlsx: Annotated[
        bool,
        typer.Option("--avails-xlsx", help="Write an EMA Avails spreadsheet (needs --output)."),
    ] = False,
    avails_version: Annotated[
        str, typer.Option("--version", help="Avails XML version to write (2.1 to 2.7).")
    ] = "2.7",
    db: Db = None,
) -> None:
    """Write the whole book as one deal sheet that loads back to the same data, or its
    licenses as MovieLabs Avails (XML or EMA spreadsheet)."""
    if avails_xml and avails_xlsx:
        fail([Problem("choose one of --avails-xml and --avails-xlsx", field="export")])
    if avails_xlsx and output is None:
        fail([Problem("--avails-xlsx writes a workbook: give --output FILE.xlsx", field="output")])
    with service(db) as svc:
        if avails_xml or avails_xlsx:
            with progress_bar(err.is_terminal) as update:
                exported = svc.export_avails(
                    "xlsx" if avails_xlsx else "xml", avails_version, update
                )
            for note in exported.not_exportable:
                err.print(f"[yellow]not exported:[/yellow] {note}", markup=True, soft_wrap=True)
            if output:
                output.write_bytes(exported.content)
                err.print(
                    f"wrote {output}: {exported.avails} avails, {exported.transactions} "
                    f"transactions, {len(exported.not_exportable)} not exportable"
                )
            else:
                sys.stdout.buffer.write(exported.content)
            return
        with progress_bar(err.is_terminal) as update:
            text = svc.export_sheet(update)
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


@app.command("import")
def import_feeds(
    feeds: Annotated[
        list[Path],
        typer.Argument(help="Avails XML files (2.1 to 2.7) or EMA spreadsheets (.xlsx)."),
    ],
    derive_ownership: Annotated[
        bool,
        typer.Option(
            "--derive-ownership/--no-derive-ownership",
            help="Record a licensor the book knows nothing of as holding what its feed states.",
        ),
    ] = True,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Check MovieLabs Avails feeds and import them, all or nothing."""
    with service(db, create=True) as svc:
        try:
            with progress_bar(not as_json and err.is_terminal) as update:
                result = svc.import_feeds(feeds, update, derive_ownership)
        except RightsConflict as conflict:
            print_conflict(svc, conflict, as_json)
            raise typer.Exit(3) from None
    if as_json:
        emit_json({"status": "imported", **result.to_json()})
        return
    table = Table(title="imported", show_header=False, box=None)
    for label, value in (
        ("files", result.files),
        ("avails", result.avails),
        ("transactions", result.transactions),
        ("new titles", result.titles),
        ("new parties", result.parties),
        (
            "contracts created / updated / voided",
            f"{result.created} / {result.updated} / {result.voided}",
        ),
        ("grants", result.grants),
        ("offers (a right the licensee already had)", result.offers),
        ("ownership records derived from the feeds", result.ownership),
        ("warnings", len(result.warnings)),
    ):
        table.add_row(label, str(value))
    out.print(table)
    for warning in result.warnings[:20]:
        err.print(f"[yellow]warning:[/yellow] {warning}", markup=True, soft_wrap=True)
    if len(result.warnings) > 20:
        err.print(f"... and {len(result.warnings) - 20} more warnings (--json lists them all)")
    for note in result.notes:
        err.print(f"note: {note}", soft_wrap=True)


@app.command()
def titles(
    search: Annotated[
        str | None,
        typer.Argument(help="A name, original or alternative name, id or EIDR (any part)."),
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="film, series, season, episode, collection...")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Find titles by name, original name, alternative names or ids (EIDR, IMDb); episodes
    show under their series."""
    with service(db) as svc:
        found = svc.find_titles(search or "", [kind] if kind else ())
    rows = found[:limit]
    if as_json:
        emit_json(
            [
                {
                    "id": f.title.id,
                    "name": f.title.name,
                    "label": f.label,
                    "kind": f.title.kind,
                    "year": f.title.year,
                    "release": f.title.release,
                    "parent": f.title.parent,
                    "members": list(f.title.members),
                    "external_ids": dict(f.title.external_ids),
                    "matched": f.matched,
                }
                for f in rows
            ]
        )
        return
    table = Table("id", "title", "kind", "year", "release", "matched")
    for f in rows:
        t = f.title
        why = "" if f.matched in ("name", "id") or not search else f"{f.matched}: {f.text}"
        table.add_row(t.id, f.label, t.kind, str(t.year or ""), str(t.release or ""), why)
    out.print(table)
    if len(found) > limit:
        out.print(f"… {len(found) - limit} more; use --limit or a search term")


@app.command()
def parties(db: Db = None, as_json: Json = False) -> None:
    """List parties."""
    with service(db) as svc:
        found = svc.parties()
    if as_json:
        emit_json([{"id": p.id, "name": p.name} for p in found])
        return
    table = Table("id", "name")
    for p in found:
        table.add_row(p.id, p.name)
    out.print(table)


@contracts_app.command("list")
def contracts_list(
    party: Annotated[
        str | None,
        typer.Option(help="Only where this party (id or name) is licensor or licensee."),
    ] = None,
    status: Annotated[str | None, typer.Option(help="draft, hold, executed or terminated.")] = None,
    title: Annotated[
        str | None, typer.Option(help="Only contracts covering this title (id or name).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """List contracts in the order they were stored."""
    with service(db) as svc:
        party, title = svc.contract_filters(party, title)
        found = svc.contracts(party, status, title)
    rows = found[:limit]
    if as_json:
        emit_json(
            [
                {
                    "id": c.id,
                    "licensor": c.licensor,
                    "licensee": c.licensee,
                    "status": c.status,
                    "signed": c.signed,
                    "terminated": c.terminated,
                    "grants": len(c.grants),
                    "holdbacks": len(c.holdbacks),
                }
                for c in rows
            ]
        )
        return
    table = Table("id", "licensor", "licensee", "status", "signed", "grants", "holdbacks")
    for c in rows:
        table.add_row(
            c.id,
            c.licensor or "(ownership)",
            c.licensee,
            c.status + (f" from {c.terminated}" if c.terminated else ""),
            str(c.signed or ""),
            str(len(c.grants)),
            str(len(c.holdbacks)),
        )
    out.print(table)
    if len(found) > limit:
        out.print(f"… {len(found) - limit} more; use --limit or a filter")


@contracts_app.command("show")
def contracts_show(
    contract_id: Annotated[str, typer.Argument(help="Contract id.")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Show one contract as a deal-sheet entry."""
    with service(db) as svc:
        data = svc.contract_sheet(contract_id)
    if as_json:
        emit_json(data)
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@contracts_app.command("execute")
def contracts_execute(
    contract_id: Annotated[str, typer.Argument(help="Contract id (draft or hold).")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Execute a draft or hold contract, if everything it grants is available."""
    with service(db) as svc:
        warm(svc, err.is_terminal)
        try:
            svc.execute(contract_id)
        except RightsConflict as conflict:
            print_conflict(svc, conflict, as_json)
            raise typer.Exit(3) from None
    if as_json:
        emit_json({"status": "executed", "contract": contract_id})
    else:
        out.print(f"executed {contract_id}")


@contracts_app.command("terminate")
def contracts_terminate(
    contract_id: Annotated[str, typer.Argument(help="Contract id.")],
    on: Annotated[
        str | None,
        typer.Option("--date", help="Termination date: in force until the day before. None: void."),
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Terminate a contract from a date (or void it). Run `reelrights check` after."""
    day: date | None = None
    if on:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            fail([Problem(f"'{on}' is not a date (YYYY-MM-DD)", field="--date")])
    with service(db) as svc:
        warm(svc, err.is_terminal)
        svc.terminate(contract_id, day)
    if as_json:
        emit_json({"status": "terminated", "contract": contract_id, "terminated": day})
    else:
        out.print(f"terminated {contract_id}" + (f" from {day}" if day else " (void)"))


@app.command()
def history(
    entity: Annotated[str | None, typer.Option(help="party, title, contract...")] = None,
    entity_id: Annotated[str | None, typer.Option("--id", help="One entity's id.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries.")] = 50,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """The change log: who changed what, when, newest first."""
    with service(db) as svc:
        changes = svc.history(entity, entity_id, limit)
    if as_json:
        emit_json([c.to_json() for c in changes])
        return
    table = Table("#", "at", "actor", "action", "entity", "id")
    for c in changes:
        table.add_row(
            str(c.id), c.at.isoformat(timespec="seconds"), c.actor, c.action, c.entity, c.entity_id
        )
    out.print(table)


@app.command()
def check(db: Db = None, as_json: Json = False) -> None:
    """List grants whose licensor no longer holds what they gave (broken chains)."""
    with service(db) as svc:
        warm(svc, err.is_terminal)
        broken = svc.check()
        if as_json:
            emit_json(
                [
                    {"contract": cid, "grant": index, **report.to_json()}
                    for cid, index, report in broken
                ]
            )
            return
        if not broken:
            out.print("[green]every chain of title holds[/green]")
            return
        for cid, index, report in broken:
            print_report(svc, report, f"broken chain: contract {cid}, grant {index + 1}")


@app.command()
def demo(
    db: Db = None,
    titles_count: Annotated[int, typer.Option("--titles", help="Generated catalog size.")] = 2000,
    contracts_count: Annotated[
        int, typer.Option("--contracts", help="Generated contracts.")
    ] = 20000,
) -> None:
    """Build a demo database from public deals plus a generated catalog, then take a tour."""
    from reelrights.cli.demo import run_demo

    code = run_demo(db or options["db"], titles_count, contracts_count, out, err)
    raise typer.Exit(code)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, editor or viewer.")],
    party: Annotated[str | None, typer.Option(help="Bind the key to this party.")] = None,
    note: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Create an API key; it is shown this once and stored only as a slow hash."""
    with service(db) as svc:
        row, key = svc.create_key(role, party, note)
    if as_json:
        emit_json({"id": row.id, "key": key, "role": row.role, "party": row.party})
    else:
        out.print(f"key {row.id} ({row.role}{', party ' + row.party if row.party else ''}):")
        out.print(key, markup=False)
        out.print("Keep it now: it cannot be shown again.")


@keys_app.command("list")
def keys_list(db: Db = None, as_json: Json = False) -> None:
    """List API keys (never the keys themselves)."""
    with service(db) as svc:
        rows = svc.keys()
    data = [
        {
            "id": r.id,
            "role": r.role,
            "party": r.party,
            "note": r.note,
            "created": r.created.isoformat(),
            "revoked": r.revoked.isoformat() if r.revoked else None,
        }
        for r in rows
    ]
    if as_json:
        emit_json(data)
        return
    table = Table("id", "role", "party", "created", "revoked", "note")
    for r in rows:
        table.add_row(
            r.id,
            r.role,
            r.party or "",
            r.created.isoformat()[:19],
            r.revoked.isoformat()[:19] if r.revoked else "",
            r.note or "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (from keys list).")],
    db: Db = None,
) -> None:
    """Revoke an API key: it stops working at once."""
    with service(db) as svc:
        svc.revoke_key(key_id)
    out.print(f"revoked {key_id}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes, each with its own index kept current with the database.",
        ),
    ] = 1,
    deliver: Annotated[
        bool,
        typer.Option(help="Deliver change events to webhooks in the background."),
    ] = True,
    days: AlertDays = "30,7",
    db: Db = None,
) -> None:
    """Serve the web UI (at /ui/) and the REST API (docs at /docs) on loopback unless
    told otherwise, delivering change events in the background."""
    import os

    import uvicorn

    from reelrights.cli.listener import tcp_listeners

    require_database(db)
    if deliver:
        configured_broker()  # a wrong REELRIGHTS_EVENTS stops here, not in every worker
    target = db or options["db"]
    if target:
        os.environ["REELRIGHTS_DB"] = target
    os.environ["REELRIGHTS_DELIVER"] = "1" if deliver else "0"
    os.environ["REELRIGHTS_ALERT_DAYS"] = ",".join(str(d) for d in alert_days(days))
    with tcp_listeners():  # the workers' shared socket keeps Nagle off (cli/listener.py)
        uvicorn.run(
            "reelrights.web.app:site_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers if workers > 1 else None,
            log_level="info",
            access_log=False,  # the API logs each request once, as one JSON line
        )


money_cli.register(app)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
