"""Delivery through database faults and across servers (docs/semantics.md rule 22), on the
machine's real PostgreSQL, with real processes and a real HTTP receiver on loopback.

The database "restart" is simulated by terminating the worker's own server connections
with ``pg_terminate_backend`` (what a restart does to a client: every connection, the
advisory lock's included, is cut), not by restarting PostgreSQL: other engineers' and CI's
tests share this server, and a real restart would break theirs. Each process names its
connections (``application_name`` in its database URL) so only its own are cut, in this
test session's own database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest

from reelrights.service.delivery import DELIVERER_LOCK_KEY
from tests.store.test_events import MORE, SECRET, Receiver, _free_port, _worker, loaded

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_base_url: str) -> str:
    from reelrights.store.repository import Store

    store = Store(pg_base_url)
    store.reset()
    store.close()
    return pg_base_url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    yield found
    found.stop()


def named(url: str, name: str) -> str:
    return f"{url}?application_name={name}"


def terminate(url: str, name: str) -> int:
    """Cut every server connection of the process named ``name``: how many."""
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            (name,),
        ).fetchall()
    return len(rows)


def lock_holder(url: str) -> str | None:
    """The ``application_name`` of the process holding the deliverer's advisory lock (not
    the transaction advisory locks a server's writes take on the book meanwhile)."""
    key = DELIVERER_LOCK_KEY & 0xFFFF_FFFF_FFFF_FFFF  # pg_locks splits it in two halves
    with psycopg.connect(url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() "
            "AND l.objsubid = 1 AND l.classid = %s AND l.objid = %s",
            (key >> 32, key & 0xFFFF_FFFF),
        ).fetchall()
    assert len(row) <= 1, f"more than one deliverer holds the lock: {row}"
    return str(row[0][0]) if row else None


def in_order_per_contract(got: list[dict[str, Any]], outbox: list[Any]) -> None:
    """Every event of the outbox arrived and nothing else did, and no event of a contract
    arrived before all of that contract's earlier events had arrived at least once (a
    re-sent event may come again later)."""
    assert {e["id"] for e in got} == {e.id for e in outbox}, "an event was lost or invented"
    earlier: dict[str, list[str]] = {}
    before: dict[str, list[str]] = {}
    for event in outbox:
        if event.subject != "sheets":  # loads are not ordered against contracts
            before[event.id] = list(earlier.setdefault(event.subject, []))
            earlier[event.subject].append(event.id)
    seen: set[str] = set()
    for event in got:
        missing = [e for e in before.get(event["id"], []) if e not in seen]
        assert not missing, f"{event['type']} of {event['data']} came before {missing}"
        seen.add(event["id"])


def test_worker_survives_the_database_cutting_its_connections(
    pg_url: str, receiver: Receiver
) -> None:
    """The worker's connections (pool and advisory lock) are cut three times while it
    delivers a slow stream of events: every event still arrives, in order per contract."""
    svc = loaded(pg_url)
    start = svc.events(limit=1000)[-1].seq  # a webhook gets the events after it was added
    svc.add_webhook(receiver.url, secret=SECRET)
    receiver.delay = lambda event: 0.15  # a slow receiver: the cuts land mid-delivery
    worker = _worker(named(pg_url, "rr-faulty-worker"), dict(os.environ))
    try:
        cut = delivered = 0
        for n in range(12):
            name = f"deal-{n}"
            svc.load_texts([(f"{name}.yaml", MORE.replace("hbo-pay", name))])
            svc.execute(name)
            if n % 4 == 3:
                # the worker is delivering again and holds the lock again (after the last
                # cut it reconnects on its own time; cutting before then would cut nothing)
                deadline = time.monotonic() + 120
                while len(receiver.accepted()) <= delivered or (
                    lock_holder(pg_url) != "rr-faulty-worker"
                ):
                    assert time.monotonic() < deadline, "the worker did not come back"
                    time.sleep(0.1)
                delivered = len(receiver.accepted())
                cut += terminate(pg_url, "rr-faulty-worker")
        svc.terminate("deal-0", date(2025, 6, 1))
        assert cut >= 3  # each cut hit at least the lock's connection
        outbox = svc.events(start, limit=1000)
        got = receiver.wait_for(len(outbox), timeout=120)
        in_order_per_contract(got, outbox)
        assert all(e["signed"] for e in got)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        svc.close()


def _serve(url: str, name: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REELRIGHTS_LOG": "WARNING"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reelrights.cli.main",
            "serve",
            "--port",
            str(port),
            "--alert-days",
            "",
            "--db",
            named(url, name),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _healthy(port: int, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"server on port {port} never answered /health")


def test_several_servers_one_deliverer_and_another_takes_over_a_killed_one(
    pg_url: str, receiver: Receiver
) -> None:
    """Three ``reelrights serve`` processes on one PostgreSQL: one holds the deliverer's
    advisory lock and delivers each event once; killed with -9, another takes over within
    seconds and what was written meanwhile arrives."""
    svc = loaded(pg_url)
    start = svc.events(limit=1000)[-1].seq  # a webhook gets the events after it was added
    svc.add_webhook(receiver.url, secret=SECRET)
    servers = {f"rr-serve-{n}": _free_port() for n in range(3)}
    running = {name: _serve(pg_url, name, port) for name, port in servers.items()}
    try:
        for port in servers.values():
            _healthy(port)
        for n in range(5):
            svc.load_texts([(f"a{n}.yaml", MORE.replace("hbo-pay", f"first-{n}"))])
        before = len(svc.events(start, limit=1000))
        got = receiver.wait_for(before)
        time.sleep(1.5)  # time for a second deliverer to (wrongly) send them again
        ids = [e["id"] for e in receiver.accepted()]
        assert len(ids) == len(set(ids)) == before  # one deliverer: each event once
        holder = lock_holder(pg_url)
        assert holder in running
        running[holder].send_signal(signal.SIGKILL)
        running[holder].wait(timeout=10)
        for n in range(5):
            svc.load_texts([(f"b{n}.yaml", MORE.replace("hbo-pay", f"second-{n}"))])
            svc.execute(f"second-{n}")
        outbox = svc.events(start, limit=1000)
        got = receiver.wait_for(len(outbox), timeout=60)
        successor = lock_holder(pg_url)
        assert successor in running and successor != holder
        assert running[successor].poll() is None
        in_order_per_contract(got, outbox)
        after = [e["id"] for e in receiver.accepted()][len(ids) :]
        assert len(after) == len(set(after))  # nothing in flight at the kill: no repeat
    finally:
        for process in running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in running.values():
            process.wait(timeout=30)
        svc.close()
