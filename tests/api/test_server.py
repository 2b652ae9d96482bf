"""A real `reelrights serve` on loopback with the PostgreSQL store: 16 concurrent clients
race to execute contracts selling the same exclusive right. Exactly one wins."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import httpx

from reelrights.service import Service
from reelrights.store.repository import Store
from tests.store.test_service import BOOK

CLIENTS = 16


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
