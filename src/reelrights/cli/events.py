"""``reelrights webhooks add|list|remove`` and ``reelrights worker``: change events
(docs/semantics.md rule 22)."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from reelrights.cli.common import Db, Json, emit_json, err, fail, out, service, split_list
from reelrights.domain.problems import InvalidInput
from reelrights.service import BrokerTarget, Deliverer, broker_from_environment

webhooks_app = typer.Typer(
    help="Webhook subscriptions to change events: add, list, remove.", no_args_is_help=True
)

AlertDays = Annotated[
    str,
    typer.Option(
        "--alert-days",
        help="Raise alert.due events this many days before each calendar date (D[,D]).",
    ),
]


@webhooks_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Where to POST events (http:// or https://).")],
    events: Annotated[
        list[str] | None, typer.Option("--events", help="Only these event types (T[,T]).")
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(help="The signing secret (at least 16 characters); default: a new one."),
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Subscribe a URL to change events from now on; prints the signing secret once."""
    with service(db) as svc:
        hook, shown = svc.add_webhook(url, split_list(events) or None, secret)
    if as_json:
        emit_json({**hook.to_json(), "secret": shown})
        return
    out.print(f"webhook {hook.id} → {hook.url}")
    out.print(f"events: {', '.join(hook.events) if hook.events else 'all'}")
    out.print(f"signing secret (shown only now): {shown}")


@webhooks_app.command("list")
def list_webhooks(db: Db = None, as_json: Json = False) -> None:
    """The subscriptions (never their secrets)."""
    with service(db) as svc:
        hooks = svc.webhooks()
    if as_json:
        emit_json([h.to_json() for h in hooks])
        return
    table = Table("id", "url", "events", "created")
    for hook in hooks:
        table.add_row(
            hook.id,
            hook.url,
            ", ".join(hook.events) if hook.events else "all",
            hook.created.isoformat(timespec="seconds"),
        )
    out.print(table)


@webhooks_app.command("remove")
def remove(
    webhook_id: Annotated[str, typer.Argument(help="The webhook's id.")], db: Db = None
) -> None:
    """Stop a subscription (what it has not received yet is dropped)."""
    with service(db) as svc:
        svc.remove_webhook(webhook_id)
    out.print(f"removed {webhook_id}")


def alert_days(text: str) -> list[int]:
    try:
        days = [int(part) for part in split_list([text])]
    except ValueError:
        err.print(f"[red]error:[/red] --alert-days: '{text}' is not a list of days", markup=True)
        raise typer.Exit(1) from None
    if any(d < 0 for d in days):
        err.print("[red]error:[/red] --alert-days: days are 0 or more", markup=True)
        raise typer.Exit(1)
    return days


def configured_broker() -> BrokerTarget | None:
    """The broker of ``REELRIGHTS_EVENTS``, if any; exit 1 naming the setting when it is
    wrong, before anything starts."""
    try:
        return broker_from_environment()
    except InvalidInput as error:
        fail(error.problems)
        raise


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit.")
    ] = False,
    days: AlertDays = "30,7",
    interval: Annotated[float, typer.Option(help="Seconds between rounds.")] = 1.0,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Deliver change events to webhooks (and publish them to the broker of
    REELRIGHTS_EVENTS, if set) and raise alerts (one deliverer per database)."""
    ahead = alert_days(days)
    broker = configured_broker()
    with service(db) as svc:
        deliverer = Deliverer(svc, ahead, interval, broker)
        if once:
            try:
                result = deliverer.run_once()
            finally:
                deliverer.release()
            if result is None:
                err.print("another deliverer is running on this database; nothing done")
                return
            if as_json:
                emit_json(result.to_json())
            else:
                out.print(
                    f"delivered {result.delivered}, failed {result.failed} (to retry), "
                    f"dead {result.dead}, waiting {result.waiting}, alerts {result.alerts}"
                    + (f", published {result.published}" if broker else "")
                )
                if result.broker_error:
                    err.print(f"publishing stopped, to retry: {result.broker_error}")
            return
        stop = threading.Event()

        def ask_to_stop(_signal: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, ask_to_stop)
        signal.signal(signal.SIGINT, ask_to_stop)
        err.print("delivering events; Ctrl-C to stop")
        deliverer.run(stop)
