"""A real `reelrights serve` on loopback with the PostgreSQL store: 16 concurrent clients
race to execute contracts selling the same exclusive right. Exactly one wins."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

import httpx

from reelrights.service import Service
from reelrights.store.repository import Store
from tests.store.test_service import BOOK

CLIENTS = 16
REELRIGHTS = [sys.executable, "-m", "reelrights.cli.main"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sixteen_clients_race_for_one_exclusive_right(pg_base_url: str) -> None:
    store = Store(pg_base_url)
    store.reset()
    store.close()
    service = Service(pg_base_url, actor="setup")
    service.load_texts([("book.yaml", BOOK)])
    for n in range(CLIENTS):
        service.create_contract(
            {
                "id": f"race-{n:02d}",
                "licensor": "disney",
                "licensee": "youku",
                "grants": [
                    {
                        "titles": ["sw5"],
                        "media": ["SVOD"],
                        "territories": ["KR"],
                        "start": "2030-01-01",
                        "end": "2031-12-31",
                        "exclusive": True,
                    }
                ],
            }
        )
    _, key = service.create_key("editor")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reelrights.cli.main",
            "serve",
            "--db",
            pg_base_url,
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "REELRIGHTS_LOG": "WARNING"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("the server did not start")
        barrier = threading.Barrier(CLIENTS)
        codes: list[int] = []

        def client(n: int) -> None:
            with httpx.Client(
                base_url=base, timeout=60, headers={"Authorization": f"Bearer {key}"}
            ) as http:
                barrier.wait()
                codes.append(http.post(f"/contracts/race-{n:02d}/execute").status_code)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert sorted(codes) == [200] + [409] * (CLIENTS - 1)
    executed = [c.id for c in service.contracts(status="executed") if c.id.startswith("race")]
    assert len(executed) == 1
    service.close()


def test_the_server_logs_each_request_once_and_no_migration_chatter(tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    Service(str(db)).close()  # an up-to-date schema: starting the server migrates nothing
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reelrights.cli.main",
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "REELRIGHTS_LOG": "INFO"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("the server did not start")
        assert httpx.get(f"{base}/version", timeout=5).status_code == 200
        assert httpx.get(f"{base}/parties", timeout=5).status_code == 401
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    lines = output.splitlines()
    requests = [json.loads(line) for line in lines if line.startswith("{")]
    assert [(r["path"], r["status"]) for r in requests][-2:] == [
        ("/version", 200),
        ("/parties", 401),
    ]
    assert len([line for line in lines if "/version" in line]) == 1  # no uvicorn access line
    assert not [line for line in lines if "alembic" in line.lower() or "Context impl" in line]


def test_keep_alive_requests_to_several_workers_wait_for_no_delayed_ack(tmp_path: Path) -> None:
    """With ``--workers 2`` every keep-alive request after a connection's first used to wait
    for the client's delayed acknowledgement (Nagle's algorithm left on: about 40 ms on
    Linux; /health took 48 ms against 1 ms with one worker). cli/listener.py."""
    db = tmp_path / "served.db"
    Service(str(db)).close()
    port = free_port()
    command = ["serve", "--no-deliver", "--workers", "2", "--db", str(db), "--port", str(port)]
    server = subprocess.Popen(
        [*REELRIGHTS, *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "REELRIGHTS_LOG": "WARNING"},
    )
    try:
        connection = None
        for _ in range(150):
            try:
                connection = HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/health")
                assert connection.getresponse().read()
                break
            except OSError:
                connection.close()
                time.sleep(0.2)
        else:
            raise AssertionError("the server did not start")
        assert connection is not None
        took = []
        for _ in range(21):  # one connection, kept alive
            started = time.perf_counter()
            connection.request("GET", "/health")
            answer = connection.getresponse()
            assert answer.status == 200 and answer.read()
            took.append(time.perf_counter() - started)
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statistics.median(took) < 0.025, sorted(took)
