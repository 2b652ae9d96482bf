"""What every ``reelrights`` command shares: the consoles, the options, opening the
database, reporting problems, JSON output, progress bars and the avails report table."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reelrights.domain.problems import InvalidInput, Problem
from reelrights.engine import AvailsReport
from reelrights.engine.avails import box_to_json
from reelrights.service import RightsConflict, Service, missing_database

out = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)

Db = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL or SQLite path (default: $REELRIGHTS_DB or ./reelrights.db)."
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
T = TypeVar("T")

options: dict[str, str | None] = {"db": None}


def split_list(values: list[str] | None) -> list[str]:
    return [part.strip() for v in values or [] for part in v.split(",") if part.strip()]


def fail(problems: list[Problem]) -> None:
    for problem in problems:
        err.print(f"[red]error:[/red] {problem}", markup=True, soft_wrap=True)
    raise typer.Exit(1)


def require_database(db: str | None) -> None:
    """Exit 1 when ``db`` names a SQLite file that does not exist: a command that reads
    would otherwise create an empty database and answer from it."""
    missing = missing_database(db or options["db"])
    if missing is not None:
        fail(
            [
                Problem(
                    f"no database at {missing}. Create one with `reelrights demo` or "
                    "`reelrights load SHEET...`, or choose an existing one with --db PATH or "
                    "REELRIGHTS_DB=PATH."
                )
            ]
        )


@contextmanager
def service(db: str | None, create: bool = False) -> Iterator[Service]:
    """A service on the chosen database, turning input errors into exit 1. Only commands
    that write (``create``) may create a database that does not exist yet."""
    if not create:
        require_database(db)
    try:
        svc = Service(db or options["db"])
    except Exception as error:  # a URL that does not connect, a file that is no database
        fail([Problem(f"cannot open the database: {error}")])
        raise
    try:
        yield svc
    except InvalidInput as error:
        fail(error.problems)
    finally:
        svc.close()


def emit_json(data: Any) -> None:
    """One JSON document on stdout: one compact line for a pipe or a file (one line per
    answer, as tools expect), indented for a person at a terminal."""
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(data, indent=indent, default=str) + "\n")


def warm(svc: Service, enabled: bool) -> None:
    """Build the avails index now, with a progress bar on stderr when ``enabled`` (it
    takes seconds on a large book, and the first question would wait for it silently)."""
    with progress_bar(enabled) as update:
        svc.warm(update)


# -- rendering ------------------------------------------------------------------------------


def _term(box_json: dict[str, Any]) -> str:
    start = box_json["start"] or "since always"
    end = box_json["end"] or "perpetuity"
    return f"{start} → {end}"


def _languages(value: Any) -> str:
    if value == "all":
        return "all"
    if isinstance(value, dict):
        return "all except " + ", ".join(value["all_except"])
    return ", ".join(value)


def print_report(svc: Service, report: AvailsReport, title: str) -> None:
    """The avails report as a Rich table, one row per box, territories and media named by
    group where they match one (``WORLD except CN, HK``)."""
    media, geography = svc.vocabularies()
    colour = {"available": "green", "partial": "yellow", "unavailable": "red"}[report.status]
    out.print(f"[bold]{title}[/bold]: [{colour}]{report.status.upper()}[/{colour}]")
    table = Table(show_lines=False, expand=False)
    for column in ("", "titles", "media", "territories", "languages", "term", "why", "contract"):
        table.add_column(column, overflow="fold")
    for box in report.available:
        data = box_to_json(box)
        table.add_row(
            "[green]✔ available[/green]",
            ", ".join(data["titles"]),
            media.describe(box.media),
            geography.describe(box.territories),
            _languages(data["languages"]),
            _term(data),
            "",
            "",
        )
    for item in report.unavailable:
        data = box_to_json(item.box)
        table.add_row(
            "[red]✘ unavailable[/red]",
            ", ".join(data["titles"]),
            media.describe(item.box.media),
            geography.describe(item.box.territories),
            _languages(data["languages"]),
            _term(data),
            item.reason,
            item.contract or "",
        )
    out.print(table)
    for warning in report.warnings:
        data = box_to_json(warning.box)
        out.print(
            f"[yellow]⚠ {warning.code}[/yellow] "
            f"{f'held by {warning.holder} under' if warning.holder else 'by'} {warning.contract}: "
            f"{media.describe(warning.box.media)} in "
            f"{geography.describe(warning.box.territories)}, {_term(data)}"
        )


def print_conflict(svc: Service, conflict: RightsConflict, as_json: bool) -> None:
    if as_json:
        emit_json(conflict.to_json())
        return
    out.print(
        "[red bold]rejected:[/red bold] these grants are not available to their "
        "licensor; nothing was stored."
    )
    for check in conflict.checks:
        for index, report in enumerate(check.reports):
            if report.status != "available":
                print_report(svc, report, f"contract {check.contract}, grant {index + 1}")


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done)

        yield update
