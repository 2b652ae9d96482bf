"""Delivering the outbox to webhooks (docs/semantics.md rule 22): at least once, in order
per subject (a contract), retried with exponential backoff, dead-lettered after
:data:`MAX_ATTEMPTS` attempts.

One deliverer runs at a time per database: on PostgreSQL it holds a session advisory lock
on a connection of its own (released by the server when the process dies), on SQLite a
lease row it renews every round (taken over :data:`LEASE_SECONDS` after its holder
stopped renewing it; ``REELRIGHTS_LEASE_SECONDS``). No transaction is open while a
webhook is called, so a slow or dead receiver never holds up a write; a delivery is marked
done only after a 2xx answer, so a deliverer killed in between sends it again (receivers
de-duplicate by the event ``id``).

A delivery is ``POST`` JSON ``{"id", "type", "at", "data"}`` with the headers
``X-Reelrights-Signature: sha256=<hex HMAC-SHA256 of the body with the webhook's
secret>``, ``X-Reelrights-Event`` (the type) and ``X-Reelrights-Delivery`` (the id).

Where a broker is configured (``REELRIGHTS_EVENTS``, :mod:`.broker`), the same deliverer
also publishes every event to it, after the webhooks of each round, from the broker's
cursor: a broker that is down is tried again after :func:`retry_delay` (doubling with
each failure in a row), and its events wait in the outbox meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reelrights.service.broker import BrokerError, BrokerTarget, Publisher, publisher_for
from reelrights.service.events import DEFAULT_ALERT_DAYS, EventJobs, unseal
from reelrights.store.outbox import DeliveryRow

log = logging.getLogger("reelrights.delivery")

MAX_ATTEMPTS = 12  # then the delivery is dead-lettered (status "dead")
RETRY_BASE = 15.0  # seconds before the first retry; doubling each time
RETRY_CAP = 3600.0  # never more than an hour between attempts
TIMEOUT = 10.0  # seconds a receiver has to answer
LEASE_SECONDS = 30.0
ALERT_EVERY = 60.0  # seconds between two looks at the calendar for alerts
LOCK_NAME = "deliverer"
# the PostgreSQL session advisory lock the one deliverer holds (a signed 64-bit key)
DELIVERER_LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"reelrights deliverer", digest_size=8).digest(), "big", signed=True
)


def _setting(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError:
        return default


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: ``REELRIGHTS_RETRY_BASE``
    (15) doubling each time, at most ``REELRIGHTS_RETRY_CAP`` (3600): 15, 30, 60, ...,
    1920, 3600, 3600 ...

    >>> [retry_delay(n) for n in (1, 2, 3, 8, 9, 11)]
    [15.0, 30.0, 60.0, 1920.0, 3600.0, 3600.0]
    """
    base = _setting("REELRIGHTS_RETRY_BASE", RETRY_BASE)
    cap = _setting("REELRIGHTS_RETRY_CAP", RETRY_CAP)
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


def sign(body: bytes, secret: str) -> str:
    """The signature header value: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a webhook answers where it was subscribed; a redirect is a failure


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
    """POST ``body``; None on a 2xx answer, else what went wrong."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener.open(request, timeout=timeout) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return f"{type(reason).__name__}: {reason}"
    return None if 200 <= status < 300 else f"HTTP {status}"


@dataclass
class Round:
    """What one delivery round did."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    waiting: int = 0
    alerts: int = 0
    published: int = 0  # events the broker confirmed
    broker_error: str | None = None  # why publishing stopped this round, if it did

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Outlet:
    """Publishes the outbox to one broker, oldest event first, from the broker's cursor,
    moving the cursor only over confirmed events (see :mod:`.broker`)."""

    BATCH = 500  # events read, published and confirmed before the cursor moves
    ROUND = 20_000  # at most this many per round, so that webhooks keep their turn

    def __init__(self, store: Any, target: BrokerTarget, publisher: Publisher | None = None):
        self.store = store
        self.target = target
        self.publisher = publisher or publisher_for(target)
        self.failures = 0  # failed rounds in a row
        self.retry_at = 0.0  # time.monotonic() before which the broker is left alone

    def publish_pending(self) -> int:
        """Publish what the broker has not confirmed yet; how many it confirmed. Raises
        BrokerError where it stopped (what was confirmed before stays recorded)."""
        with self.store.reading() as reader:
            after = reader.broker_cursor(self.target.cursor)
        published = 0
        while published < self.ROUND:
            with self.store.reading() as reader:
                batch = reader.events(after, self.BATCH)
            if not batch:
                break
            self.publisher.publish(batch)
            with self.store.writing() as writer:
                writer.advance_broker_cursor(self.target.cursor, batch[-1].seq, datetime.now(UTC))
            after = batch[-1].seq
            published += len(batch)
        return published

    def run(self, result: Round) -> None:
        """One round's publishing, unless the broker failed lately and its retry is not
        due yet."""
        if time.monotonic() < self.retry_at:
            self.publisher.keepalive()
            return
        try:
            result.published = self.publish_pending()
        except BrokerError as error:
            self.failures += 1
            self.retry_at = time.monotonic() + retry_delay(self.failures)
            result.broker_error = str(error)
            log.warning("publishing events stopped; trying again later: %s", error)
            return
        self.failures = 0
        self.publisher.keepalive()

    def close(self) -> None:
        self.publisher.close()


class Deliverer:
    """The one deliverer of a database (see the module docs). ``run_once`` delivers what
    is due now; ``run`` loops until ``stop`` is set."""

    def __init__(
        self,
        service: EventJobs,
        alert_days: Sequence[int] = DEFAULT_ALERT_DAYS,
        interval: float = 1.0,
        broker: BrokerTarget | None = None,
    ) -> None:
        self.service = service
        self.outlet = Outlet(service.store, broker) if broker is not None else None
        self.alert_days = tuple(alert_days)
        self.interval = interval
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._lock_connection: Any = None
        self._alerted: datetime | None = None

    # -- one at a time -----------------------------------------------------------------

    def acquire(self) -> bool:
        """Take (or keep) the right to deliver; False while another deliverer has it."""
        store = self.service.store
        if not store.is_sqlite:
            return self._advisory_lock()
        now = datetime.now(UTC)
        lease = _setting("REELRIGHTS_LEASE_SECONDS", LEASE_SECONDS)
        with store.writing() as writer:
            return writer.take_lease(LOCK_NAME, self.holder, now + timedelta(seconds=lease), now)

    def _advisory_lock(self) -> bool:
        connection = self._lock_connection
        if connection is not None:
            try:
                connection.exec_driver_sql("SELECT 1")
                return True
            except Exception:  # the connection died: so did the lock
                self._drop_connection()
        key = DELIVERER_LOCK_KEY
        connection = self.service.store.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        )
        got = bool(connection.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (key,)).scalar())
        if got:
            self._lock_connection = connection
        else:
            connection.close()
        return got

    def _drop_connection(self) -> None:
        if self._lock_connection is not None:
            with contextlib.suppress(Exception):  # already gone
                # closed for real, not returned to the pool still holding the lock
                self._lock_connection.invalidate()
                self._lock_connection.close()
            self._lock_connection = None

    def release(self) -> None:
        """Let another deliverer take over at once."""
        if self.service.store.is_sqlite:
            try:
                with self.service.store.writing() as writer:
                    writer.drop_lease(LOCK_NAME, self.holder)
            except Exception:  # pragma: no cover - the database is gone: the lease expires
                pass
        self._drop_connection()
        if self.outlet is not None:
            self.outlet.close()

    # -- rounds ------------------------------------------------------------------------

    def run_once(self, alerts: bool = True) -> Round | None:
        """Deliver what is due now (and raise alerts); None if another deliverer runs."""
        if not self.acquire():
            return None
        result = Round()
        now = datetime.now(UTC)
        if alerts and (
            self._alerted is None or (now - self._alerted).total_seconds() >= ALERT_EVERY
        ):
            result.alerts = len(self.service.raise_alerts(now.date(), self.alert_days))
            self._alerted = now
        self._deliver(result)
        if self.outlet is not None:
            self.outlet.run(result)
        return result

    def _deliver(self, result: Round) -> None:
        store = self.service.store
        with store.writing() as writer:
            writer.fan_out(datetime.now(UTC))
        with store.reading() as reader:
            pending = reader.pending_deliveries()
        blocked: set[tuple[str, str]] = set()
        down: set[str] = set()
        timeout = _setting("REELRIGHTS_WEBHOOK_TIMEOUT", TIMEOUT)
        limit = int(_setting("REELRIGHTS_MAX_ATTEMPTS", MAX_ATTEMPTS))
        for delivery in pending:
            key = (delivery.webhook.id, delivery.event.subject)
            if key in blocked or delivery.webhook.id in down:
                blocked.add(key)  # order per subject: nothing overtakes a waiting event
                result.waiting += 1
                continue
            if delivery.next_at > datetime.now(UTC):
                blocked.add(key)
                result.waiting += 1
                continue
            error = self._send(delivery, timeout)
            attempts = delivery.attempts + 1
            now = datetime.now(UTC)
            if error is None:
                status, next_at = "delivered", now
                result.delivered += 1
            else:
                blocked.add(key)
                if not error.startswith("HTTP "):
                    down.add(delivery.webhook.id)  # unreachable: spare its other events
                if attempts >= limit:
                    status, next_at = "dead", now
                    result.dead += 1
                    log.warning("dead-lettered %s to %s: %s", delivery.event.id, key[0], error)
                else:
                    status = "pending"
                    next_at = now + timedelta(seconds=retry_delay(attempts))
                    result.failed += 1
            with store.writing() as writer:
                writer.record_delivery(
                    delivery.webhook.id,
                    delivery.event.seq,
                    status,
                    attempts,
                    next_at,
                    error,
                    now,
                )

    @staticmethod
    def _send(delivery: DeliveryRow, timeout: float) -> str | None:
        try:
            secret = unseal(delivery.webhook.secret)
        except ValueError as error:
            return str(error)
        body = json.dumps(delivery.event.to_json(), sort_keys=True, separators=(",", ":"))
        data = body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "reelrights-webhooks",
            "X-Reelrights-Event": delivery.event.type,
            "X-Reelrights-Delivery": delivery.event.id,
            "X-Reelrights-Signature": sign(data, secret),
        }
        return post(delivery.webhook.url, data, headers, timeout)

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set, surviving a database or receiver that is away
        for a while."""
        try:
            while not stop.is_set():
                try:
                    self.run_once()
                except Exception:  # the database restarting, a broken row: try again
                    log.exception("delivery round failed; trying again")
                    self._drop_connection()
                stop.wait(self.interval)
        finally:
            self.release()


class BackgroundDelivery:
    """A deliverer on its own thread and its own connections, for ``reelrights serve``:
    with several servers on one database, one of them delivers at a time."""

    def __init__(
        self,
        service: EventJobs,
        alert_days: Sequence[int] = DEFAULT_ALERT_DAYS,
        broker: BrokerTarget | None = None,
    ):
        self.deliverer = Deliverer(service, alert_days, broker=broker)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self.deliverer.run, args=(self.stop,), name="reelrights-deliverer", daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def close(self, timeout: float = 15.0) -> None:
        self.stop.set()
        self.thread.join(timeout)
