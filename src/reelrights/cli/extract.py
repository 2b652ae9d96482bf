"""``reelrights extract ARTICLE.txt [--json] [-o draft.yaml]``: deal news to draft deals
(docs/semantics.md rule 23). Nothing is stored: ``-o`` writes a deal sheet of draft
contracts for ``reelrights load``. Exit 0 with the deals found (none is an answer too),
1 for an article that cannot be read (empty, binary, too large, not English)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reelrights.cli.common import Db, Json, emit_json, err, fail, options, out, service
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.service import ArticleDrafts
from reelrights.service.extract import book_exists, extract_without_book


def extract(
    article: Annotated[Path, typer.Argument(help="The article, as UTF-8 text.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the draft deal sheet (YAML) here."),
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Propose draft contracts for the deals a news article reports, each field traced to
    its sentence; names are matched to the book's parties and titles."""
    try:
        data = article.read_bytes()
    except OSError as error:
        fail([Problem(f"cannot read: {error.strerror or error}", str(article))])
        return
    target = db or options["db"] or os.environ.get("REELRIGHTS_DB")
    drafts: ArticleDrafts
    if book_exists(target):
        with service(target) as svc:
            drafts = svc.extract_article(data, str(article))
    else:
        try:
            drafts = extract_without_book(data, str(article))
        except InvalidInput as error:
            fail(error.problems)
            return
    if output is not None and drafts.deals:
        try:
            output.write_text(drafts.sheet_yaml(), encoding="utf-8")
        except OSError as error:
            fail([Problem(f"cannot write: {error.strerror or error}", str(output))])
    if as_json:
        emit_json(drafts.to_json())
    else:
        _print_deals(drafts, str(article))
    if output is not None:
        if drafts.deals:
            err.print(
                f"wrote {len(drafts.deals)} draft contract(s) to {output}; check them, then "
                f"load with: reelrights load {output}"
            )
        else:
            err.print(f"no deal found: {output} not written")


def _print_deals(drafts: ArticleDrafts, source: str) -> None:
    if not drafts.deals:
        out.print(f"no deal found in {source}")
        return
    for n, (deal, match) in enumerate(zip(drafts.deals, drafts.matched, strict=True), 1):
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        for name in ("licensor", "licensee"):
            table.add_row(name, _party(deal[name], match[name]))
        table.add_row("titles", ", ".join(deal["titles"]) or "[dim]not named[/dim]")
        for name in ("media", "territories"):
            table.add_row(name, ", ".join(deal[name]) if deal[name] else "[dim]unknown[/dim]")
        exclusive = {True: "yes", False: "no", None: "[dim]unknown[/dim]"}[deal["exclusive"]]
        table.add_row("exclusive", exclusive)
        fee = deal["fee"]
        table.add_row(
            "fee", f"{fee['amount']} {fee['currency']}" if fee else "[dim]not stated[/dim]"
        )
        table.add_row("term", f"{deal['start'] or '…'} → {deal['end'] or '…'}")
        table.add_row("confidence", f"{deal['confidence']:.2f}")
        table.add_row("draft", match["contract"])
        out.print(f"[bold]deal {n}[/bold]: {deal['sentence']}")
        out.print(table)


def _party(name: str | None, match: dict[str, Any]) -> str:
    if name is None:
        return "[dim]not named[/dim]"
    return f"{name} ({'new' if match['new'] else 'matches'} {match['id']})"
