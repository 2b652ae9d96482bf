"""The outbox and its deliveries (docs/semantics.md rule 22), as queries on a transaction.

A change's events are inserted by the transaction that makes the change, after it has
taken its book version: on PostgreSQL writers then hold the ``book_state`` row lock from
that point to their commit, so event ``seq`` numbers become visible in increasing order
and a deliverer that has read up to ``seq`` N never later finds a smaller one. Deliveries
are fanned out per webhook by the deliverer (``webhooks.scanned`` is its cursor), so a
write costs one outbox row per event, however many webhooks listen.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from reelrights.store import tables as t
from reelrights.store.bulk import bound, insert_rows, json_document


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event of the outbox."""

    seq: int
    id: str
    type: str
    at: datetime
    subject: str
    data: Any

    def to_json(self) -> dict[str, Any]:
        """The body a webhook receives: ``{"id", "type", "at", "data"}``."""
        return {"id": self.id, "type": self.type, "at": self.at.isoformat(), "data": self.data}


@dataclass(frozen=True, slots=True)
class WebhookRow:
    """A subscription (its secret encrypted)."""

    id: str
    url: str
    events: tuple[str, ...] | None
    secret: str
    created: datetime
    removed: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One event due to one webhook, with its state."""

    webhook: WebhookRow
    event: EventRow
    status: str
    attempts: int
    next_at: datetime
    last_error: str | None = None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_event_id() -> str:
    """A new event id (:func:`new_event_ids`)."""
    return new_event_ids(1)[0]


def new_event_ids(count: int) -> list[str]:
    """``count`` new event ids: ``evt_`` and a UUID version 7 (RFC 9562) in hex, never
    repeated across databases or restores. Its first 48 bits are the time in
    milliseconds, the rest random but for the version and variant bits; within one call
    the last 61 random bits count up from a random start (the RFC's "monotonic random",
    its section 6.2), so the ids of one call are in order. The outbox keeps its events'
    ids in a unique index: a bulk load's million ids then go in at its end, not scattered
    over it (in a stand-alone SQLite test of a million inserts: 3.4 s in order, 5.1 s
    random). They are for telling events apart, not secrets: one event's id says its
    neighbours' in the same call."""
    if count <= 0:
        return []
    milliseconds = time.time_ns() // 1_000_000 & (1 << 48) - 1
    high = milliseconds << 16 | 0x7 << 12 | secrets.randbits(12)  # version 7, rand_a
    low = 0b10 << 62 | secrets.randbits(61)  # the variant, then a start that cannot overflow
    prefix = f"evt_{high:016x}"
    return [f"{prefix}{number:016x}" for number in range(low, low + count)]


class OutboxQueries:
    """The outbox's queries; mixed into the store's Reader and Writer."""

    connection: Connection

    def stamp(self) -> int:  # pragma: no cover - provided by the Writer
        raise NotImplementedError

    # -- writing events --------------------------------------------------------------

    def add_events(
        self, entries: Sequence[tuple[str, str, Any]], at: datetime | None = None
    ) -> list[str]:
        """Append events ``(type, subject, data)`` to the outbox in this transaction; the
        ids they were given."""
        if not entries:
            return []
        version = self.stamp()
        stamp = bound(self.connection, t.events.c.at, at or datetime.now(UTC))
        document = json_document(self.connection)
        ids = new_event_ids(len(entries))
        same: dict[str, str | int | None] = {"version": version}
        first = entries[0][0]
        if all(entry[0] == first for entry in entries):  # a bulk load's: one type
            same["type"] = first
            columns: tuple[str, ...] = ("id", "at", "subject", "data")
            rows: list[tuple[Any, ...]] = [
                (event_id, stamp, subject[:200], document(data))
                for event_id, (_, subject, data) in zip(ids, entries, strict=True)
            ]
        else:
            columns = ("id", "type", "at", "subject", "data")
            rows = [
                (event_id, kind, stamp, subject[:200], document(data))
                for event_id, (kind, subject, data) in zip(ids, entries, strict=True)
            ]
        for start in range(0, len(rows), 5000):
            insert_rows(self.connection, t.events, columns, rows[start : start + 5000], same)
        return ids

    def events(
        self, after: int = 0, limit: int = 100, types: Iterable[str] | None = None
    ) -> list[EventRow]:
        """Events after ``seq``, oldest first."""
        query = select(t.events).where(t.events.c.seq > after).order_by(t.events.c.seq)
        if types is not None:
            query = query.where(t.events.c.type.in_(list(types)))
        return [_event_of(r) for r in self.connection.execute(query.limit(limit))]

    def last_event_seq(self) -> int:
        return int(self.connection.scalar(select(func.coalesce(func.max(t.events.c.seq), 0))) or 0)

    # -- webhooks ---------------------------------------------------------------------

    def add_webhook(self, row: WebhookRow) -> None:
        """Subscribe from now on: earlier events are not sent to it."""
        self.connection.execute(
            insert(t.webhooks).values(
                id=row.id,
                url=row.url,
                events=list(row.events) if row.events is not None else None,
                secret=row.secret,
                created=row.created,
                scanned=self.last_event_seq(),
            )
        )

    def webhooks(self, include_removed: bool = False) -> list[WebhookRow]:
        query = select(t.webhooks).order_by(t.webhooks.c.created, t.webhooks.c.id)
        if not include_removed:
            query = query.where(t.webhooks.c.removed.is_(None))
        return [_webhook_of(r) for r in self.connection.execute(query)]

    def remove_webhook(self, webhook_id: str, at: datetime) -> bool:
        """Stop a subscription; what it had not received yet is dropped."""
        done = self.connection.execute(
            update(t.webhooks)
            .where(t.webhooks.c.id == webhook_id, t.webhooks.c.removed.is_(None))
            .values(removed=at)
        )
        self.connection.execute(
            delete(t.deliveries).where(
                t.deliveries.c.webhook_id == webhook_id, t.deliveries.c.status == "pending"
            )
        )
        return bool(done.rowcount)

    # -- deliveries -------------------------------------------------------------------

    def fan_out(self, now: datetime, limit: int = 5000) -> int:
        """Create the deliveries of new events for every webhook that wants them; how
        many were created."""
        created = 0
        for hook in self.connection.execute(
            select(t.webhooks).where(t.webhooks.c.removed.is_(None))
        ).all():
            rows = self.connection.execute(
                select(t.events.c.seq, t.events.c.type, t.events.c.subject)
                .where(t.events.c.seq > hook.scanned)
                .order_by(t.events.c.seq)
                .limit(limit)
            ).all()
            if not rows:
                continue
            wanted = set(hook.events) if hook.events is not None else None
            fresh = [
                {
                    "webhook_id": hook.id,
                    "event_seq": r.seq,
                    "subject": r.subject,
                    "status": "pending",
                    "attempts": 0,
                    "next_at": now,
                }
                for r in rows
                if wanted is None or r.type in wanted
            ]
            if fresh:
                self.connection.execute(insert(t.deliveries), fresh)
            self.connection.execute(
                update(t.webhooks).where(t.webhooks.c.id == hook.id).values(scanned=rows[-1].seq)
            )
            created += len(fresh)
        return created

    def pending_deliveries(self, limit: int = 1000) -> list[DeliveryRow]:
        """Pending deliveries, oldest event first (due or not: the caller keeps the order
        per subject)."""
        d, e, w = t.deliveries.c, t.events.c, t.webhooks.c
        query = (
            select(
                d.webhook_id,
                d.status,
                d.attempts,
                d.next_at,
                d.last_error,
                e.seq,
                e.id.label("event_id"),
                e.type,
                e.at,
                e.subject,
                e.data,
                w.url,
                w.events,
                w.secret,
                w.created,
            )
            .join(t.events, e.seq == d.event_seq)
            .join(t.webhooks, w.id == d.webhook_id)
            .where(d.status == "pending")
            .order_by(d.event_seq, d.webhook_id)
            .limit(limit)
        )
        out: list[DeliveryRow] = []
        for r in self.connection.execute(query):
            hook = WebhookRow(
                r.webhook_id,
                r.url,
                tuple(r.events) if r.events is not None else None,
                r.secret,
                _aware(r.created),
            )
            event = EventRow(r.seq, r.event_id, r.type, _aware(r.at), r.subject, r.data)
            out.append(
                DeliveryRow(hook, event, r.status, r.attempts, _aware(r.next_at), r.last_error)
            )
        return out

    def deliveries(
        self, webhook_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[tuple[str, str, str, str, int, str | None]]:
        """(webhook, event id, type, status, attempts, last error), newest event first."""
        query = (
            select(
                t.deliveries.c.webhook_id,
                t.events.c.id,
                t.events.c.type,
                t.deliveries.c.status,
                t.deliveries.c.attempts,
                t.deliveries.c.last_error,
            )
            .join(t.events, t.events.c.seq == t.deliveries.c.event_seq)
            .order_by(t.deliveries.c.event_seq.desc())
            .limit(limit)
        )
        if webhook_id is not None:
            query = query.where(t.deliveries.c.webhook_id == webhook_id)
        if status is not None:
            query = query.where(t.deliveries.c.status == status)
        return [(r[0], r[1], r[2], r[3], int(r[4]), r[5]) for r in self.connection.execute(query)]

    def record_delivery(
        self,
        webhook_id: str,
        seq: int,
        status: str,
        attempts: int,
        next_at: datetime,
        error: str | None,
        at: datetime,
    ) -> None:
        """The outcome of one attempt (only a pending delivery changes)."""
        self.connection.execute(
            update(t.deliveries)
            .where(
                t.deliveries.c.webhook_id == webhook_id,
                t.deliveries.c.event_seq == seq,
                t.deliveries.c.status == "pending",
            )
            .values(
                status=status,
                attempts=attempts,
                next_at=next_at,
                last_error=error[:2000] if error else None,
                delivered_at=at if status == "delivered" else None,
            )
        )

    # -- broker cursors ---------------------------------------------------------------

    def broker_cursor(self, name: str) -> int:
        """The ``seq`` of the last event the broker ``name`` confirmed (0: none yet)."""
        found = self.connection.scalar(
            select(t.broker_cursors.c.seq).where(t.broker_cursors.c.name == name)
        )
        return int(found or 0)

    def advance_broker_cursor(self, name: str, seq: int, at: datetime) -> None:
        """Record that the broker ``name`` confirmed every event up to ``seq``; a cursor
        never moves back (a second publisher that somehow ran behind cannot rewind it)."""
        cursors = t.broker_cursors.c
        done = self.connection.execute(
            update(t.broker_cursors)
            .where(cursors.name == name, cursors.seq < seq)
            .values(seq=seq, updated=at)
        )
        if done.rowcount:
            return
        known = self.connection.scalar(select(cursors.seq).where(cursors.name == name))
        if known is None:
            self.connection.execute(insert(t.broker_cursors).values(name=name, seq=seq, updated=at))

    # -- the lease and the alerts ----------------------------------------------------

    def take_lease(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        """Take or renew the lease ``name`` for ``holder`` until ``until``, unless another
        holder's lease runs past ``now``."""
        row = self.connection.execute(select(t.leases).where(t.leases.c.name == name)).first()
        if row is None:
            self.connection.execute(
                insert(t.leases).values(name=name, holder=holder, expires=until)
            )
            return True
        if row.holder != holder and _aware(row.expires) > now:
            return False
        self.connection.execute(
            update(t.leases).where(t.leases.c.name == name).values(holder=holder, expires=until)
        )
        return True

    def drop_lease(self, name: str, holder: str) -> None:
        self.connection.execute(
            delete(t.leases).where(t.leases.c.name == name, t.leases.c.holder == holder)
        )

    def alerts_known(self, keys: Iterable[str]) -> set[str]:
        wanted = list(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            found.update(
                self.connection.scalars(
                    select(t.alerts_sent.c.key).where(
                        t.alerts_sent.c.key.in_(wanted[start : start + 500])
                    )
                )
            )
        return found

    def add_alerts(self, rows: Sequence[tuple[str, str]], at: datetime) -> None:
        if rows:
            self.connection.execute(
                insert(t.alerts_sent), [{"key": k, "event_id": e, "at": at} for k, e in rows]
            )


def _event_of(r: Any) -> EventRow:
    return EventRow(r.seq, r.id, r.type, _aware(r.at), r.subject, r.data)


def _webhook_of(r: Any) -> WebhookRow:
    return WebhookRow(
        r.id,
        r.url,
        tuple(r.events) if r.events is not None else None,
        r.secret,
        _aware(r.created),
        _aware(r.removed) if r.removed else None,
    )
