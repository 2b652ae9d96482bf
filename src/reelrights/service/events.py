"""Change events, webhooks and alerts (docs/semantics.md rule 22).

Every write puts its events in the outbox in its own transaction (see
:func:`contract_event`, used by loading, contract life and feeds), so an event exists if
and only if its change committed. Subscriptions (webhooks) are managed here; their
secrets are stored encrypted with a key derived from the server secret and never shown
again. Delivery (:mod:`.delivery`) reads the outbox like any other reader.
"""

from __future__ import annotations

import base64
import hashlib
import json
import json.encoder
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from reelrights.domain.contracts import Contract
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.engine.calendar import CalendarEvent
from reelrights.service.calendar import CalendarJobs
from reelrights.store.bulk import JSONText
from reelrights.store.outbox import EventRow, WebhookRow

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

EVENT_TYPES = (
    "contract.created",
    "contract.updated",
    "contract.executed",
    "contract.terminated",
    "sheets.loaded",
    "feed.imported",
    "sales.imported",
    "payment.recorded",
    "alert.due",
)
DEFAULT_ALERT_DAYS = (30, 7)
MAX_URL = 2000


def contract_event(kind: str, contract: Contract) -> tuple[str, str, dict[str, Any]]:
    """``(type, subject, data)`` of a contract's event: ordered per contract id."""
    titles = sorted({t for item in (*contract.rights, *contract.options) for t in item.titles})
    return (
        f"contract.{kind}",
        contract.id,
        {
            "contract": contract.id,
            "licensor": contract.licensor,
            "licensee": contract.licensee,
            "status": contract.status,
            "terminated": contract.terminated.isoformat() if contract.terminated else None,
            "titles": titles,
        },
    )


def contract_event_text(kind: str, contract: Contract) -> tuple[str, str, JSONText]:
    """:func:`contract_event` with its data already written as JSON text (exactly the text
    ``json_text`` writes of the mapping): a bulk load stores a million of them, nearly all
    of one grant of one title (its titles taken as they are, nothing to sort)."""
    grants = contract.grants
    only = grants[0].titles if len(grants) == 1 else ()
    if len(only) == 1 and not contract.holdbacks and not contract.options:
        titles = _quote(only[0])
    else:
        items = (*contract.rights, *contract.options)
        titles = ", ".join(map(_quote, sorted({t for item in items for t in item.titles})))
    licensor = "null" if contract.licensor is None else _quote(contract.licensor)
    terminated = "null" if contract.terminated is None else f'"{contract.terminated.isoformat()}"'
    text = (
        f'{{"contract": {_quote(contract.id)}, "licensor": {licensor}, '
        f'"licensee": {_quote(contract.licensee)}, "status": {_quote(contract.status)}, '
        f'"terminated": {terminated}, "titles": [{titles}]}}'
    )
    return f"contract.{kind}", contract.id, JSONText(text)


_quote = json.encoder.encode_basestring_ascii


def server_secret() -> bytes:
    """The server secret webhook secrets are encrypted with: ``REELRIGHTS_SECRET``, else
    the file ``REELRIGHTS_SECRET_FILE`` (default ``~/.config/reelrights/secret``), made
    with 32 random bytes (mode 0600) on first use. Servers and workers sharing a database
    must share it."""
    given = os.environ.get("REELRIGHTS_SECRET")
    if given:
        return given.encode()
    path = Path(
        os.environ.get("REELRIGHTS_SECRET_FILE")
        or Path.home() / ".config" / "reelrights" / "secret"
    )
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        return path.read_bytes().strip()
    with os.fdopen(handle, "wb") as out:
        out.write(secrets.token_hex(32).encode())
    return path.read_bytes().strip()


def _cipher() -> Fernet:
    from cryptography.fernet import Fernet  # only processes that handle webhooks need it

    digest = hashlib.sha256(b"reelrights webhook secrets\0" + server_secret()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str) -> str:
    """A webhook secret as stored: encrypted and authenticated (Fernet)."""
    return _cipher().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    """The webhook secret back, for signing; a wrong server secret raises ValueError."""
    from cryptography.fernet import InvalidToken

    try:
        return _cipher().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "cannot decrypt the webhook secret: this process has another server secret "
            "(REELRIGHTS_SECRET / REELRIGHTS_SECRET_FILE)"
        ) from None


@dataclass(frozen=True)
class Webhook:
    """A subscription as shown: never its secret."""

    id: str
    url: str
    events: tuple[str, ...] | None
    created: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events) if self.events is not None else None,
            "created": self.created.isoformat(),
        }


def _shown(row: WebhookRow) -> Webhook:
    return Webhook(row.id, row.url, row.events, row.created)


def check_url(url: str) -> list[Problem]:
    """A webhook URL is ``http`` or ``https`` with a host, and no longer than 2000."""
    problems: list[Problem] = []
    if len(url) > MAX_URL:
        return [Problem(f"a URL of at most {MAX_URL} characters", field="url")]
    try:
        parts = urlsplit(url)
    except ValueError as error:
        return [Problem(f"not a URL: {error}", field="url")]
    if parts.scheme not in ("http", "https"):
        problems.append(
            Problem(f"the URL must be http:// or https://, not '{parts.scheme}:'", field="url")
        )
    elif not parts.hostname:
        problems.append(Problem("the URL has no host", field="url"))
    if any(ch.isspace() for ch in url):
        problems.append(Problem("the URL contains white space", field="url"))
    return problems


class EventJobs(CalendarJobs):
    """The outbox, webhook subscriptions and alerts."""

    # -- subscriptions ------------------------------------------------------------------

    def add_webhook(
        self, url: str, events: Iterable[str] | None = None, secret: str | None = None
    ) -> tuple[Webhook, str]:
        """Subscribe ``url`` to ``events`` (all when None) from now on: (the webhook, its
        signing secret: the one given, or a new one, shown only this once)."""
        url = url.strip()
        problems = check_url(url)
        wanted = tuple(dict.fromkeys(e.strip() for e in events if e.strip())) if events else None
        for kind in wanted or ():
            if kind not in EVENT_TYPES:
                problems.append(
                    Problem(
                        f"unknown event type '{kind}' (expected one of {', '.join(EVENT_TYPES)})",
                        field="events",
                    )
                )
        if secret is not None and len(secret) < 16:
            problems.append(Problem("a secret of at least 16 characters", field="secret"))
        if problems:
            raise InvalidInput(problems)
        secret = secret or f"whsec_{secrets.token_urlsafe(32)}"
        row = WebhookRow(f"wh_{secrets.token_hex(6)}", url, wanted, seal(secret), datetime.now(UTC))
        with self._writing() as writer:
            writer.add_webhook(row)
            writer.log(
                self._who().actor,
                "create",
                "webhook",
                row.id,
                None,
                {"url": url, "events": list(wanted) if wanted else None},
            )
        return _shown(row), secret

    def webhooks(self) -> list[Webhook]:
        with self.store.reading() as reader:
            return [_shown(r) for r in reader.webhooks()]

    def remove_webhook(self, webhook_id: str) -> None:
        """Stop a subscription; what it has not received yet is dropped."""
        with self._writing() as writer:
            if not writer.remove_webhook(webhook_id, datetime.now(UTC)):
                raise InvalidInput([Problem(f"no webhook '{webhook_id}'", field="webhook")])
            writer.log(self._who().actor, "remove", "webhook", webhook_id, None, None)

    def events(
        self, after: int = 0, limit: int = 100, types: Iterable[str] | None = None
    ) -> list[EventRow]:
        """Events of the outbox after ``seq``, oldest first."""
        with self.store.reading() as reader:
            return reader.events(after, limit, types)

    def deliveries(
        self, webhook_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Deliveries, newest event first: ``{"webhook", "event", "type", "status",
        "attempts", "error"}`` (``status``: pending, delivered or dead)."""
        with self.store.reading() as reader:
            rows = reader.deliveries(webhook_id, status, limit)
        keys = ("webhook", "event", "type", "status", "attempts", "error")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    # -- alerts -------------------------------------------------------------------------

    def raise_alerts(
        self, today: date | None = None, alert_days: Sequence[int] = DEFAULT_ALERT_DAYS
    ) -> list[str]:
        """Put an ``alert.due`` event in the outbox for each calendar event that is now
        within one of ``alert_days`` days (today included), once per event and distance;
        when several distances apply at once, only the nearest is sent. The ids of the
        new events."""
        days = sorted({int(d) for d in alert_days if int(d) >= 0})
        if not days:
            return []
        today = today or datetime.now(UTC).date()
        upcoming = self.calendar(today, today + timedelta(days=days[-1]))
        if not upcoming:
            return []
        keyed: list[tuple[CalendarEvent, int, list[str]]] = []
        for event in upcoming:
            left = (event.day - today).days
            applicable = [d for d in days if left <= d]
            keyed.append((event, applicable[0], [f"{event.id}/{d}d" for d in applicable]))
        with self._writing() as writer:
            known = writer.alerts_known(k for _, _, keys in keyed for k in keys)
            fresh = [(e, d, keys) for e, d, keys in keyed if keys[0] not in known]
            if not fresh:
                return []
            ids = writer.add_events(
                [
                    (
                        "alert.due",
                        event.contract,
                        {
                            "alert_days": ahead,
                            "days_left": (event.day - today).days,
                            "event": event.to_json(),
                        },
                    )
                    for event, ahead, _ in fresh
                ]
            )
            writer.add_alerts(
                [
                    (k, i)
                    for (_, _, keys), i in zip(fresh, ids, strict=True)
                    for k in keys
                    if k not in known
                ],
                datetime.now(UTC),
            )
        return ids
