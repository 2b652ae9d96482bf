"""Publishing change events to a message broker (docs/semantics.md rule 22), besides the
webhooks: RabbitMQ (``amqp://`` / ``amqps://``) or NATS (``nats://`` / ``tls://``), chosen by
``REELRIGHTS_EVENTS``.

The outbox stays the source of truth. The deliverer (one per database) publishes the
events after a cursor kept in the database (``broker_cursors``, one per broker and name),
oldest first, one at a time, and moves the cursor only over events the broker has
confirmed: RabbitMQ's publisher confirms, JetStream's acknowledgement (or, on a NATS
server without JetStream, a flush the server answered). A broker that is down or refuses
makes the round stop where it is, to try again later from the cursor: nothing is lost,
nothing overtakes, and an event published just before a crash is published again
(consumers de-duplicate by the message id, which is the event id).

Names (``REELRIGHTS_EVENTS_NAME``, default ``reelrights.events``):

- RabbitMQ: a durable ``topic`` exchange of that name; the routing key is the event type
  (``contract.executed``); messages are persistent, ``message_id`` is the event id,
  ``type`` the event type, header ``subject`` the contract (or other subject) and ``seq``
  the outbox position. The exchange drops what no bound queue takes: bind a durable queue
  before the events you need are published.
- NATS: the subject is the name and the type (``reelrights.events.contract.executed``);
  header ``Nats-Msg-Id`` is the event id (JetStream drops a re-publication within its
  duplicate window), ``Reelrights-Subject`` and ``Reelrights-Seq`` as above. The events
  go to the JetStream stream that captures ``<name>.>``; when none does, the deliverer
  creates one named after it (``REELRIGHTS_EVENTS``).

The body is the webhook body, ``{"id", "type", "at", "data"}`` as compact JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from reelrights.domain.problems import InvalidInput, Problem
from reelrights.store.outbox import EventRow

SCHEMES = {"amqp": "amqp", "amqps": "amqp", "nats": "nats", "tls": "nats"}
DEFAULT_NAME = "reelrights.events"
CONNECT_TIMEOUT = 5.0  # seconds to reach the broker
CONFIRM_TIMEOUT = 10.0  # seconds the broker has to confirm one event
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}")


class BrokerError(Exception):
    """The broker is unreachable or refused an event: publish again later."""


@dataclass(frozen=True)
class BrokerTarget:
    """Where events are published: the URL (with its credentials) and the name of the
    exchange (RabbitMQ) or subject prefix (NATS)."""

    url: str
    name: str = DEFAULT_NAME

    @property
    def kind(self) -> str:
        return SCHEMES[urlsplit(self.url).scheme]

    @property
    def cursor(self) -> str:
        """The cursor's name: the broker's address and the name, without credentials, so
        a changed password keeps the place and another broker starts its own."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        where = f"{host}:{parts.port}" if parts.port else host
        key = urlunsplit((parts.scheme, where, parts.path, "", "")) + "#" + self.name
        if len(key) > 400:
            key = key[:300] + "#" + hashlib.sha256(key.encode()).hexdigest()
        return key

    @property
    def shown(self) -> str:
        """The target for logs and reports: never its password."""
        return self.cursor


def check_broker(url: str, name: str = DEFAULT_NAME) -> BrokerTarget:
    """The target of ``REELRIGHTS_EVENTS=url``; a located error for anything but an
    ``amqp(s)://`` or ``nats://`` URL with a host, or a bad name."""
    problems: list[Problem] = []
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as error:
        raise InvalidInput(
            [Problem(f"not a broker URL: {error}", field="REELRIGHTS_EVENTS")]
        ) from None
    if parts.scheme not in SCHEMES:
        problems.append(
            Problem(
                f"unsupported broker URL scheme '{parts.scheme}:' (expected amqp://, amqps:// "
                "for RabbitMQ or nats://, tls:// for NATS)",
                field="REELRIGHTS_EVENTS",
            )
        )
    elif not host:
        problems.append(Problem("the broker URL has no host", field="REELRIGHTS_EVENTS"))
    if not _NAME.fullmatch(name) or ".." in name or name.endswith("."):
        problems.append(
            Problem(
                f"'{name}' is not a usable exchange/subject name (letters, digits, '_', '-' "
                "and '.' between words, at most 200)",
                field="REELRIGHTS_EVENTS_NAME",
            )
        )
    if problems:
        raise InvalidInput(problems)
    return BrokerTarget(url.strip(), name)


def broker_from_environment(environ: dict[str, str] | None = None) -> BrokerTarget | None:
    """The broker configured by ``REELRIGHTS_EVENTS`` (and ``REELRIGHTS_EVENTS_NAME``),
    None when unset; InvalidInput when set wrong."""
    import os

    env = os.environ if environ is None else environ
    url = env.get("REELRIGHTS_EVENTS", "").strip()
    if not url:
        return None
    return check_broker(url, env.get("REELRIGHTS_EVENTS_NAME", "").strip() or DEFAULT_NAME)


def body_of(event: EventRow) -> bytes:
    """What a consumer receives: the webhook body."""
    return json.dumps(event.to_json(), sort_keys=True, separators=(",", ":")).encode()


class Publisher(Protocol):
    """A connection to one broker that publishes events in order and returns only once
    the broker has confirmed each."""

    def publish(self, events: Sequence[EventRow]) -> None: ...

    def keepalive(self) -> None: ...

    def close(self) -> None: ...


def publisher_for(target: BrokerTarget) -> Publisher:
    if target.kind == "amqp":
        return AmqpPublisher(target)
    return NatsPublisher(target)


class AmqpPublisher:
    """RabbitMQ through pika, on a channel in confirm mode: ``basic_publish`` returns once
    the broker has taken the message (persisted, for a durable queue) and raises if it
    refused it."""

    def __init__(self, target: BrokerTarget) -> None:
        self.target = target
        self._connection: Any = None
        self._channel: Any = None
        # pika logs every lost connection at ERROR with a stack; the deliverer reports
        # each failed round once, in one line
        logging.getLogger("pika").setLevel(logging.CRITICAL)

    def _open(self) -> Any:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self.close()
        import pika

        params = pika.URLParameters(self.target.url)
        params.connection_attempts = 1
        params.socket_timeout = CONNECT_TIMEOUT
        params.stack_timeout = CONNECT_TIMEOUT * 2
        params.blocked_connection_timeout = CONFIRM_TIMEOUT
        self._connection = pika.BlockingConnection(params)
        channel = self._connection.channel()
        channel.confirm_delivery()
        channel.exchange_declare(self.target.name, exchange_type="topic", durable=True)
        self._channel = channel
        return channel

    def publish(self, events: Sequence[EventRow]) -> None:
        import pika
        import pika.exceptions

        try:
            channel = self._open()
            for event in events:
                channel.basic_publish(
                    self.target.name,
                    event.type,
                    body_of(event),
                    pika.BasicProperties(
                        content_type="application/json",
                        delivery_mode=pika.DeliveryMode.Persistent,
                        message_id=event.id,
                        type=event.type,
                        timestamp=int(event.at.timestamp()),
                        headers={"subject": event.subject, "seq": event.seq},
                    ),
                )
        except (pika.exceptions.AMQPError, OSError) as error:
            self.close()
            raise BrokerError(f"RabbitMQ at {self.target.shown}: {_describe(error)}") from error

    def keepalive(self) -> None:
        """Answer the broker's heartbeats between rounds (a blocking connection only
        does while it is called)."""
        if self._connection is None:
            return
        try:
            self._connection.process_data_events(time_limit=0)
        except Exception:  # gone: the next publish reconnects
            self.close()

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                if connection.is_open:
                    connection.close()
            except Exception:  # already broken; nothing to hand back
                pass


class NatsPublisher:
    """NATS through nats-py, on an event loop of its own (the deliverer is a plain
    thread): JetStream when the server has it, each publication acknowledged; else a plain
    publication and a flush the server answered."""

    def __init__(self, target: BrokerTarget) -> None:
        self.target = target
        self._loop = asyncio.new_event_loop()
        self._client: Any = None
        self._jetstream: Any = None

    @property
    def stream(self) -> str:
        """The stream created when none captures the subjects: the name in capitals."""
        return re.sub(r"[^A-Za-z0-9_\-]", "_", self.target.name).upper()

    def subject(self, event: EventRow) -> str:
        return f"{self.target.name}.{event.type}"

    async def _open(self) -> Any:
        if self._client is not None and self._client.is_connected:
            return self._client
        await self._close()
        import nats
        from nats.js.errors import NotFoundError

        client = await nats.connect(
            self.target.url,
            connect_timeout=CONNECT_TIMEOUT,
            allow_reconnect=False,
            # 0 would mean "for ever" to nats-py, even for the first connection
            max_reconnect_attempts=1,
            reconnect_time_wait=0.5,
            error_cb=_quiet,
            disconnected_cb=_nothing,
            closed_cb=_nothing,
        )
        self._client = client
        jetstream: Any = client.jetstream(timeout=CONFIRM_TIMEOUT)
        wanted = f"{self.target.name}.>"
        try:
            await jetstream.find_stream_name_by_subject(wanted)
        except NotFoundError:
            await jetstream.add_stream(name=self.stream, subjects=[wanted])
        except Exception as error:  # a server without JetStream answers nothing
            if not _no_jetstream(error):
                raise
            jetstream = None
        self._jetstream = jetstream
        return client

    async def _publish(self, events: Sequence[EventRow]) -> None:
        client = await self._open()
        for event in events:
            headers = {
                "Nats-Msg-Id": event.id,
                "Reelrights-Subject": event.subject,
                "Reelrights-Seq": str(event.seq),
                "Reelrights-Type": event.type,
            }
            if self._jetstream is not None:
                await self._jetstream.publish(
                    self.subject(event), body_of(event), timeout=CONFIRM_TIMEOUT, headers=headers
                )
            else:
                await client.publish(self.subject(event), body_of(event), headers=headers)
        await client.flush(timeout=CONFIRM_TIMEOUT)

    def publish(self, events: Sequence[EventRow]) -> None:
        try:
            deadline = CONNECT_TIMEOUT * 3 + CONFIRM_TIMEOUT * (len(events) + 1)
            self._loop.run_until_complete(asyncio.wait_for(self._publish(events), deadline))
        except Exception as error:
            self._loop.run_until_complete(self._close())
            raise BrokerError(f"NATS at {self.target.shown}: {_describe(error)}") from error

    def keepalive(self) -> None:
        """Let the client answer the server's pings between rounds."""
        if self._client is not None:
            self._loop.run_until_complete(asyncio.sleep(0))

    async def _close(self) -> None:
        client, self._client, self._jetstream = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):  # already broken; nothing to hand back
                await client.close()

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._close())


async def _quiet(error: Exception) -> None:
    """nats-py reports connection errors here as well as raising them: raised is enough."""


async def _nothing() -> None:
    pass


def _no_jetstream(error: Exception) -> bool:
    from nats.errors import NoRespondersError
    from nats.js.errors import ServiceUnavailableError

    return isinstance(error, NoRespondersError | ServiceUnavailableError)


def _describe(error: BaseException) -> str:
    text = str(error) or repr(error)
    return f"{type(error).__name__}: {text}"
