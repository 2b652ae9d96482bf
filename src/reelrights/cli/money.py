"""Money commands: ``fx import``, ``sales import``, ``statement``, ``payments record|list``
(docs/semantics.md rules 14-19). Exit 1 on bad input, with every problem located."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reelrights.cli.common import Json, emit_json, out, service


def register(app: typer.Typer) -> None:
    """Add the money commands to the ``reelrights`` app."""
    fx_app = typer.Typer(help="Exchange rates.", no_args_is_help=True)
    sales_app = typer.Typer(help="Licensees' sales reports.", no_args_is_help=True)
    payments_app = typer.Typer(help="The payments ledger.", no_args_is_help=True)
    app.add_typer(fx_app, name="fx")
    app.add_typer(sales_app, name="sales")
    app.add_typer(payments_app, name="payments")

    @fx_app.command("import")
    def fx_import(
        files: Annotated[list[Path], typer.Argument(help="CSV/XLSX: date, from, to, rate.")],
    ) -> None:
        """Store dated exchange rates (1 FROM = rate TO), all or nothing."""
        with service(None) as svc:
            stored = svc.import_rates([str(f) for f in files])
        out.print(f"stored {stored} exchange rates")

    @sales_app.command("import")
    def sales_import(
        files: Annotated[list[Path], typer.Argument(help="Sales reports, CSV or XLSX.")],
        as_json: Json = False,
    ) -> None:
        """Match sales lines to contracts and store them; a malformed file is refused
        whole. Lines already imported are counted once."""
        with service(None) as svc:
            result = svc.import_sales([str(f) for f in files])
        if as_json:
            emit_json(result.to_json())
            return
        out.print(
            f"matched {result.matched + result.rematched}, unmatched {result.unmatched_count}"
            + (f", already imported {result.already}" if result.already else "")
        )
        for line in result.unmatched:
            out.print(
                f"  {line['file']}:{line['line']}: {line['reason']}: {line['licensee']} "
                f"{line['title']} {line['medium']} {line['territory']} "
                f"{line['period_start']}..{line['period_end']} {line['gross']} {line['currency']}"
            )
        more = result.unmatched_count - len(result.unmatched)
        if more:
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(result.unmatched_by_reason.items()))
            out.print(
                f"  … and {more} more unmatched lines, all stored ({reasons}): "
                "reelrights sales unmatched lists them"
            )

    @sales_app.command("unmatched")
    def sales_unmatched(
        limit: Annotated[int, typer.Option("--limit", help="Lines on this page (1-1000).")] = 100,
        offset: Annotated[int, typer.Option("--offset", help="Lines to skip first.")] = 0,
        licensee: Annotated[
            str | None, typer.Option("--licensee", help="Only lines this party reported.")
        ] = None,
        reason: Annotated[
            str | None, typer.Option("--reason", help="Only lines with this reason.")
        ] = None,
        as_json: Json = False,
    ) -> None:
        """Stored unmatched sales lines with their reasons, a page at a time, in the
        order they were reported."""
        with service(None) as svc:
            page = svc.unmatched_sales(limit, offset, licensee, reason)
        if as_json:
            emit_json(page)
            return
        items = page["items"]
        first = offset + 1 if items else offset
        out.print(f"unmatched lines {first}-{offset + len(items)} of {page['total']}")
        for line in items:
            out.print(
                f"  {line['file']}:{line['line']}: {line['reason']}: {line['licensee']} "
                f"{line['title']} {line['medium']} {line['territory']} "
                f"{line['period_start']}..{line['period_end']} {line['gross']} {line['currency']}"
            )
        if offset + len(items) < page["total"]:
            out.print(f"  next page: --offset {offset + len(items)}")

    @app.command("statement")
    def statement_command(
        contract: Annotated[str, typer.Option("--contract", help="Contract id.")],
        period: Annotated[str, typer.Option("--period", help="2017-03, 2017-Q1, 2017-H1, 2017")],
        as_json: Json = False,
        pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write a PDF.")] = None,
        csv_file: Annotated[Path | None, typer.Option("--csv", help="Also write a CSV.")] = None,
    ) -> None:
        """A royalty statement: every line, the royalties, MG recouped, overage and due."""
        with service(None) as svc:
            found = svc.statement(contract, period)
            if pdf is not None:
                pdf.write_bytes(svc.render_statement(found, "pdf"))
            if csv_file is not None:
                csv_file.write_bytes(svc.render_statement(found, "csv"))
        data = found.to_json()
        if as_json:
            emit_json(data)
            return
        print_statement(data)

    @payments_app.command("record")
    def payments_record(
        contract: Annotated[str, typer.Option("--contract", help="Contract id.")],
        amount: Annotated[str, typer.Option("--amount", help="In the contract currency.")],
        day: Annotated[str, typer.Option("--date", help="When it was paid (YYYY-MM-DD).")],
        note: Annotated[str | None, typer.Option("--note", help="A reference.")] = None,
        as_json: Json = False,
    ) -> None:
        """Record a payment by a contract's licensee; beyond what is due it is credit."""
        with service(None) as svc:
            recorded = svc.record_payment(contract, amount, day, note)
        if as_json:
            emit_json(recorded)
            return
        out.print(
            f"recorded payment {recorded['id']}: {recorded['amount']} {recorded['currency']} "
            f"on {recorded['date']} under {recorded['contract']}"
        )

    @payments_app.command("list")
    def payments_list(
        overdue: Annotated[bool, typer.Option("--overdue", help="Only what is late.")] = False,
        party: Annotated[str | None, typer.Option("--party", help="Contracts of a party.")] = None,
        today: Annotated[
            str | None, typer.Option("--today", help="Count days overdue as of (YYYY-MM-DD).")
        ] = None,
        as_json: Json = False,
    ) -> None:
        """Fee instalments and statement dues: due, paid, balance and days overdue."""
        as_of = date.fromisoformat(today) if today else None
        with service(None) as svc:
            party = svc.contract_filters(party, None)[0]  # an id or a name (rule 13)
            rows = [r.to_json() for r in svc.ledger(party, overdue, as_of)]
        if as_json:
            emit_json({"payables": rows})
            return
        table = Table()
        for column in (
            "contract",
            "payer → payee",
            "what",
            "due",
            "amount",
            "paid",
            "balance",
            "late",
        ):
            table.add_column(column)
        for r in rows:
            table.add_row(
                r["contract"],
                f"{r['payer']} → {r['payee'] or '-'}",
                r["label"],
                r["due_date"] or "-",
                f"{r['amount']} {r['currency']}",
                r["paid"],
                r["balance"],
                f"{r['days_overdue']} days" if r["days_overdue"] else "",
            )
        out.print(table if rows else "nothing payable")


def print_statement(data: dict[str, Any]) -> None:
    """A statement on screen: totals first, then every line."""
    cur = data["currency"]
    out.print(
        f"[bold]Statement {data['contract']} {data['period']}[/bold] "
        f"({data['period_start']} to {data['period_end']}), amounts in {cur}; "
        f"{data['licensee']} pays {data['licensor'] or '-'}"
    )
    totals = Table(show_header=False)
    totals.add_column("")
    totals.add_column("", justify="right")
    for key in (
        "royalties",
        "minimum_guarantee",
        "earned_to_date",
        "recouped_to_date",
        "unrecouped",
        "overage_to_date",
        "previously_due",
        "due",
    ):
        totals.add_row(key.replace("_", " "), data[key])
    out.print(totals)
    if not data["lines"]:
        out.print("no sales lines in this period")
        return
    lines = Table()
    for column in (
        "title",
        "medium",
        "territory",
        "period",
        "gross",
        "converted",
        "rate",
        "royalty",
        "source",
    ):
        lines.add_column(
            column,
            justify="right" if column in ("gross", "converted", "rate", "royalty") else "left",
        )
    for x in data["lines"]:
        piece = f" ({x['piece']})" if "piece" in x else ""
        lines.add_row(
            x["title"],
            x["medium"],
            x["territory"],
            f"{x['period_start']}..{x['period_end']}",
            f"{x['gross']} {x['currency']}",
            x["gross_converted"],
            x["rate"] + piece,
            x["royalty"],
            x["source"],
        )
    out.print(lines)
