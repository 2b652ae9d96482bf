"""Change events published to a real broker (docs/semantics.md rule 22), on SQLite and
PostgreSQL: the RabbitMQ (127.0.0.1:5672, guest/guest) and NATS with JetStream
(127.0.0.1:4222) running on this machine (.ci/run starts them). A consumer gets every
event of the outbox, in the outbox's order (so in order per contract), with the event id
as message id, and none for a rolled-back write; a broker that goes away (a loopback
proxy in front of it, stopped and started by the test, so the shared broker itself is
never disturbed) costs a retry, never an event.

Every test publishes under an exchange or subject prefix of its own and removes it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pika
import pytest

from reelrights.domain.problems import InvalidInput
from reelrights.service import BrokerTarget, Deliverer, RightsConflict, Service
from reelrights.service.broker import check_broker
from tests.store.test_events import CONFLICT, MORE, loaded

AMQP = os.environ.get("REELRIGHTS_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
NATS = os.environ.get("REELRIGHTS_TEST_NATS", "nats://127.0.0.1:4222")


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REELRIGHTS_SECRET_FILE", str(tmp_path / "server-secret"))
    monkeypatch.setenv("REELRIGHTS_RETRY_BASE", "0.2")
    monkeypatch.setenv("REELRIGHTS_RETRY_CAP", "1")
    monkeypatch.setenv("REELRIGHTS_LEASE_SECONDS", "2")


def _unique() -> str:
    return f"rrtest.{uuid.uuid4().hex[:12]}"


# -- consumers ------------------------------------------------------------------------


class RabbitQueue:
    """A consumer's queue bound to every routing key of the test's exchange, declared
    before anything is published (the exchange drops what no queue takes)."""

    def __init__(self, exchange: str) -> None:
        self.exchange = exchange
        try:
            self.connection = pika.BlockingConnection(pika.URLParameters(AMQP))
        except pika.exceptions.AMQPError as error:
            pytest.fail(
                f"RabbitMQ is needed for these tests and is not reachable at {AMQP}: "
                f"{error!r}. Start it (see .ci/run) or set REELRIGHTS_TEST_AMQP."
            )
        self.channel = self.connection.channel()
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        declared = self.channel.queue_declare("", exclusive=True)
        self.queue = declared.method.queue
        self.channel.queue_bind(self.queue, exchange, routing_key="#")

    def take(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait for ``count`` messages; every message there is then (so extras show)."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                if len(got) >= count:
                    return got
                self.connection.sleep(0.05)
                continue
            got.append(
                {
                    **json.loads(body),
                    "message_id": properties.message_id,
                    "routing_key": method.routing_key,
                    "subject": properties.headers["subject"],
                    "persistent": properties.delivery_mode == 2,
                }
            )
        raise AssertionError(f"got {len(got)} of {count} messages: {got}")

    def close(self) -> None:
        self.channel.exchange_delete(self.exchange)
        self.connection.close()


async def _stream_messages(prefix: str) -> list[dict[str, Any]]:
    """Every message JetStream kept under ``prefix``, in the stream's order."""
    import nats

    client = await nats.connect(NATS, connect_timeout=5, allow_reconnect=False)
    try:
        jetstream = client.jetstream()
        stream = await jetstream.find_stream_name_by_subject(f"{prefix}.>")
        info = await jetstream.stream_info(stream)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await jetstream.get_msg(stream, seq)
            assert message.data is not None and message.headers is not None
            found.append(
                {
                    **json.loads(message.data),
                    "message_id": message.headers["Nats-Msg-Id"],
                    "nats_subject": message.subject,
                    "subject": message.headers["Reelrights-Subject"],
                }
            )
        return found
    finally:
        await client.close()


async def _drop_stream(prefix: str) -> None:
    import nats
    from nats.js.errors import NotFoundError

    client = await nats.connect(NATS, connect_timeout=5, allow_reconnect=False)
    try:
        jetstream = client.jetstream()
        with contextlib.suppress(NotFoundError):
            await jetstream.delete_stream(
                await jetstream.find_stream_name_by_subject(f"{prefix}.>")
            )
    finally:
        await client.close()


@pytest.fixture
def rabbit() -> Iterator[RabbitQueue]:
    queue = RabbitQueue(_unique())
    yield queue
    queue.close()


@pytest.fixture
def nats_prefix() -> Iterator[str]:
    prefix = _unique()
    yield prefix
    asyncio.run(_drop_stream(prefix))


# -- a broker that goes away ----------------------------------------------------------


class Proxy:
    """A TCP forwarder on loopback in front of the real broker: ``stop`` refuses new
    connections and cuts the open ones, as a broker that went down would."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> Proxy:
        listener = socket.create_server(("127.0.0.1", self.port))
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
            self.listener.close()
            self.listener = None
        with self.lock:
            for end in self.open:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            self.open = []


# -- the tests ------------------------------------------------------------------------


def _writes(svc: Service) -> None:
    """Writes of several contracts, interleaved, and two that roll back."""
    svc.load_texts([("more.yaml", MORE)])
    with pytest.raises(RightsConflict):
        svc.load_texts([("clash.yaml", CONFLICT.replace("SVOD", "SVOD, PAY_TV"))])
    svc.execute("hbo-pay")
    svc.terminate("netflix-film")
    with pytest.raises(InvalidInput):
        svc.execute("hbo-pay")  # already executed
    svc.terminate("hbo-pay", date(2025, 6, 1))


def _check_order(svc: Service, got: list[dict[str, Any]]) -> None:
    """Exactly the outbox, in its order: nothing invented for the rolled-back writes,
    each contract's events in the order they happened."""
    outbox = svc.events(limit=1000)
    assert [g["id"] for g in got] == [e.id for e in outbox]
    assert all(g["message_id"] == g["id"] for g in got)
    assert [g["subject"] for g in got] == [e.subject for e in outbox]
    assert not [g for g in got if g["data"].get("contract") == "hbo-clash"]
    assert [g["type"] for g in got if g["data"].get("contract") == "hbo-pay"] == [
        "contract.created",
        "contract.executed",
        "contract.terminated",
    ]


def test_rabbitmq_gets_every_event_in_order_and_none_rolled_back(
    db_url: str, rabbit: RabbitQueue
) -> None:
    svc = loaded(db_url)
    _writes(svc)
    deliverer = Deliverer(svc, alert_days=(), broker=BrokerTarget(AMQP, rabbit.exchange))
    result = deliverer.run_once()
    outbox = svc.events(limit=1000)
    assert result is not None and result.published == len(outbox) == 8
    got = rabbit.take(len(outbox))
    _check_order(svc, got)
    assert [g["routing_key"] for g in got] == [e.type for e in outbox]
    assert all(g["persistent"] for g in got)
    # confirmed and recorded: the next rounds publish only what is new
    again = deliverer.run_once()
    assert again is not None and again.published == 0
    svc.terminate("hbo-pay", date(2025, 5, 1))
    later = deliverer.run_once()
    assert later is not None and later.published == 1
    (last,) = rabbit.take(1)
    assert last["id"] == svc.events(limit=1000)[-1].id and last["type"] == "contract.terminated"
    deliverer.release()
    svc.close()


def test_nats_jetstream_gets_every_event_in_order_and_none_rolled_back(
    db_url: str, nats_prefix: str
) -> None:
    svc = loaded(db_url)
    _writes(svc)
    deliverer = Deliverer(svc, alert_days=(), broker=BrokerTarget(NATS, nats_prefix))
    result = deliverer.run_once()
    outbox = svc.events(limit=1000)
    assert result is not None and result.published == len(outbox) == 8
    got = asyncio.run(_stream_messages(nats_prefix))
    _check_order(svc, got)
    assert [g["nats_subject"] for g in got] == [f"{nats_prefix}.{e.type}" for e in outbox]
    again = deliverer.run_once()
    assert again is not None and again.published == 0
    deliverer.release()
    svc.close()


@pytest.mark.parametrize("kind", ["amqp", "nats"])
def test_a_broker_down_is_retried_and_loses_nothing(
    db_url: str, kind: str, request: pytest.FixtureRequest
) -> None:
    """The broker goes away before the first round and again between two rounds (its
    open connection cut): the events wait in the outbox and all arrive, in order."""
    if kind == "amqp":
        rabbit: RabbitQueue = request.getfixturevalue("rabbit")
        proxy = Proxy(("127.0.0.1", 5672))
        url, name = f"amqp://guest:guest@127.0.0.1:{proxy.port}/", rabbit.exchange
    else:
        name = request.getfixturevalue("nats_prefix")
        proxy = Proxy(("127.0.0.1", 4222))
        url = f"nats://127.0.0.1:{proxy.port}"
    svc = loaded(db_url)
    deliverer = Deliverer(svc, alert_days=(), broker=BrokerTarget(url, name))
    try:
        down = deliverer.run_once()  # nothing listens at the proxy's port yet
        assert down is not None and down.published == 0
        assert down.broker_error is not None and str(proxy.port) in down.broker_error
        assert "guest:guest" not in down.broker_error  # never the password
        proxy.start()
        time.sleep(0.25)  # the retry is due after REELRIGHTS_RETRY_BASE
        up = deliverer.run_once()
        assert up is not None and up.broker_error is None and up.published == 3
        proxy.stop()  # down again, the publisher's connection cut
        _writes(svc)
        failed = deliverer.run_once()
        assert failed is not None and failed.published == 0 and failed.broker_error
        waiting = deliverer.run_once()  # before the retry is due: left alone
        assert waiting is not None and waiting.broker_error is None and waiting.published == 0
        proxy.start()
        published = 0
        deadline = time.monotonic() + 20
        while published < 5:
            assert time.monotonic() < deadline, "the broker's events never went out"
            time.sleep(0.2)
            again = deliverer.run_once()
            assert again is not None
            published += again.published
        assert published == 5
    finally:
        deliverer.release()
        proxy.stop()
    got = rabbit.take(8) if kind == "amqp" else asyncio.run(_stream_messages(name))
    _check_order(svc, got)
    svc.close()


def test_a_worker_process_publishes_to_the_configured_broker(
    db_url: str, rabbit: RabbitQueue
) -> None:
    """``reelrights worker`` reads REELRIGHTS_EVENTS: a real process, a real broker."""
    svc = loaded(db_url)
    _writes(svc)
    env = {**os.environ, "REELRIGHTS_EVENTS": AMQP, "REELRIGHTS_EVENTS_NAME": rabbit.exchange}
    done = subprocess.run(
        [sys.executable, "-m", "reelrights.cli.main", "worker", "--once", "--db", db_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "published 8" in done.stdout
    _check_order(svc, rabbit.take(8))
    svc.close()


def test_a_bad_broker_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_broker("kafka://127.0.0.1:9092")
    assert [(p.field, p.message) for p in caught.value.problems] == [
        (
            "REELRIGHTS_EVENTS",
            "unsupported broker URL scheme 'kafka:' (expected amqp://, amqps:// for RabbitMQ "
            "or nats://, tls:// for NATS)",
        )
    ]
    for url in ("amqp://", "nats://:4222", "amqp://host:port/"):
        with pytest.raises(InvalidInput):
            check_broker(url)
    with pytest.raises(InvalidInput) as caught:
        check_broker(NATS, "events.>")
    assert caught.value.problems[0].field == "REELRIGHTS_EVENTS_NAME"
    # the CLI says so and starts nothing, for the worker and for serve
    database = tmp_path / "book.db"
    loaded(str(database)).close()
    env = {**os.environ, "REELRIGHTS_EVENTS": "redis://127.0.0.1:6379"}
    for command in (["worker", "--once"], ["serve", "--port", "1"]):
        done = subprocess.run(
            [sys.executable, "-m", "reelrights.cli.main", *command, "--db", str(database)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, done.stderr
        assert "REELRIGHTS_EVENTS: unsupported broker URL scheme 'redis:'" in done.stderr
