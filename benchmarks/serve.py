"""Many servers, one PostgreSQL: avails over HTTP while writers execute contracts.

    .venv/bin/python -m benchmarks.serve --licenses 100000 --workers 1,2,4 --requests 2000

loads a generated book of N licenses into a PostgreSQL database of its own (on
``REELRIGHTS_BENCH_PG``), then for each worker count W starts ``reelrights serve --workers
W`` on a loopback port and drives it from separate client processes (``--clients``, each
with one keep-alive connection; the Python standard library's HTTP client, nothing
downloaded) with exactly ``--requests`` ``POST /avails`` questions, while two writer
processes race to execute the same exclusive rights (pair i is sold to both; exactly
one of each pair may win). It reports requests/s and p50/p99 latency per W, the writers'
executions, and at the end checks in the database that no right was sold twice.
The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.avails import write_workload
from benchmarks.generate import Catalog, generate
from reelrights.domain.contracts import Contract
from reelrights.domain.media import LEAVES
from reelrights.domain.territories import COUNTRIES
from reelrights.formats.sheet import DealSheet
from reelrights.service import RightsConflict, Service

PG_ADMIN = os.environ.get("REELRIGHTS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def avails_bodies(catalog: Catalog, rng: random.Random, count: int) -> list[bytes]:
    """``count`` avails questions as request bodies: one title, 1-5 media, 1-40 countries,
    a year, exclusive or not, as a rights desk asks them."""
    out = []
    for _ in range(count):
        root = rng.choice(catalog.roots)
        year = rng.randint(2001, 2039)
        out.append(
            json.dumps(
                {
                    "licensor": catalog.owner_of[root],
                    "titles": [root],
                    "media": rng.sample(LEAVES, rng.randint(1, 5)),
                    "territories": rng.sample(COUNTRIES, rng.randint(1, 40)),
                    "start": f"{year}-01-01",
                    "end": f"{year}-12-31",
                    "exclusive": rng.random() < 0.3,
                }
            ).encode()
        )
    return out


# -- the clients and the writers (separate processes) --------------------------------------


def _client(port: int, key: str, bodies: list[bytes], barrier: Any, results: Any) -> None:
    """One client: one keep-alive connection, its share of the questions in turn."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    connection = HTTPConnection("127.0.0.1", port, timeout=120)
    latencies: list[float] = []
    errors = 0
    barrier.wait()
    started = time.perf_counter()
    for body in bodies:
        sent = time.perf_counter()
        try:
            connection.request("POST", "/avails", body, headers)
            answer = connection.getresponse()
            answer.read()
            ok = answer.status == 200
        except OSError:
            ok = False
            connection.close()
            connection = HTTPConnection("127.0.0.1", port, timeout=120)
        latencies.append(time.perf_counter() - sent)
        errors += not ok
    results.put((started, time.perf_counter(), latencies, errors))


def _writer(url: str, contracts: list[Contract], barrier: Any, results: Any) -> None:
    """Execute contracts one after the other through the service, as a second
    application on the same database would."""
    service = Service(url, actor="bench-writer")
    wins: list[str] = []
    barrier.wait()
    started = time.perf_counter()
    for contract in contracts:
        try:
            service.load_sheets([DealSheet("write", contracts=[contract])])
            wins.append(contract.id)
        except RightsConflict:
            pass
    results.put((time.perf_counter() - started, wins))
    service.close()


# -- one server at a time ------------------------------------------------------------------


def start_server(url: str, workers: int, port: int, index_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REELRIGHTS_LOG": "WARNING",
        "REELRIGHTS_INDEX_DIR": str(index_dir),
    }
    command = [sys.executable, "-m", "reelrights.cli.main", "serve", "--no-deliver"]
    command += ["--workers", str(workers), "--port", str(port), "--db", url]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(port: int, timeout: float = 900.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the server on port {port} never answered /health")


def warm_up(port: int, key: str, bodies: list[bytes], workers: int, timeout: float = 900.0) -> None:
    """Ask until every worker has built its index: rounds of parallel questions (more
    connections than workers, so each worker gets some) until a whole round answers
    within a second each."""
    ctx = mp.get_context("fork")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        barrier = ctx.Barrier(workers * 3)
        results = ctx.Queue()
        procs = [
            ctx.Process(target=_client, args=(port, key, bodies[i::7][:5], barrier, results))
            for i in range(workers * 3)
        ]
        for proc in procs:
            proc.start()
        outcomes = [results.get(timeout=timeout) for _ in procs]
        for proc in procs:
            proc.join()
        if all(max(lat) < 1.0 and errors == 0 for _, _, lat, errors in outcomes):
            return
    raise RuntimeError("the workers never became warm")


def measure(
    url: str,
    port: int,
    key: str,
    bodies: list[bytes],
    clients: int,
    streams: tuple[list[Contract], list[Contract]],
) -> dict[str, Any]:
    """Run the clients and the two writers at once; the clients' figures and the
    writers' executions."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(clients + len(streams))
    results = ctx.Queue()
    written = ctx.Queue()
    procs = [
        ctx.Process(target=_client, args=(port, key, bodies[i::clients], barrier, results))
        for i in range(clients)
    ]
    procs += [ctx.Process(target=_writer, args=(url, s, barrier, written)) for s in streams]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=3600) for _ in range(clients)]
    writes = [written.get(timeout=3600) for _ in streams]
    for proc in procs:
        proc.join()
    latencies = sorted(x for _, _, lat, _ in outcomes for x in lat)
    elapsed = max(end for _, end, _, _ in outcomes) - min(start for start, _, _, _ in outcomes)
    wins = [w for _, ws in writes for w in ws]
    write_s = max(t for t, _ in writes)
    return {
        "requests": len(latencies),
        "errors": sum(e for _, _, _, e in outcomes),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
        "executions_tried": sum(len(s) for s in streams),
        "executions_won": len(wins),
        "executions_per_s": round(sum(len(s) for s in streams) / write_s, 1),
        "wins": wins,
    }


def sold_twice(url: str, pairs: list[tuple[str, str]]) -> int:
    """Pairs both of whose contracts the database holds: a right sold twice."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        stored = {
            r[0] for r in db.execute("SELECT id FROM contracts WHERE id LIKE 'race-%'").fetchall()
        }
    return sum(1 for a, b in pairs if a in stored and b in stored)


def run(
    n: int, worker_counts: list[int], requests: int, clients: int, pairs: int
) -> dict[str, Any]:
    rng = random.Random(n)
    name = f"reelrights_serve_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        log(f"generating {n:,} licenses…")
        catalog = generate(n)
        log("loading into PostgreSQL…")
        started = time.perf_counter()
        service = Service(url, actor="bench")
        service.load_sheets([catalog.sheet()])
        load_s = time.perf_counter() - started
        _, key = service.create_key("admin", note="benchmarks.serve")
        service.close()
        bodies = avails_bodies(catalog, rng, requests)
        warm_bodies = avails_bodies(catalog, rng, 200)
        a_stream, b_stream = write_workload(catalog, rng, pairs * len(worker_counts))
        all_pairs = [(a.id, b.id) for a, b in zip(a_stream, b_stream, strict=True)]
        levels = []
        with tempfile.TemporaryDirectory() as index_dir:
            for level, workers in enumerate(worker_counts):
                port = free_port()
                log(f"serve --workers {workers}: starting…")
                server = start_server(url, workers, port, Path(index_dir))
                try:
                    wait_healthy(port)
                    warm_up(port, key, warm_bodies, workers)
                    part = slice(level * pairs, (level + 1) * pairs)
                    log(f"serve --workers {workers}: {requests} requests, {clients} clients…")
                    load = os.getloadavg()
                    result = measure(
                        url, port, key, bodies, clients, (a_stream[part], b_stream[part])
                    )
                    result.pop("wins")
                    levels.append({"workers": workers, **result, "load_before": load})
                    log(f"  {levels[-1]}")
                finally:
                    server.send_signal(signal.SIGTERM)
                    try:
                        server.wait(timeout=60)
                    except subprocess.TimeoutExpired:
                        server.kill()
                        server.wait()
        doubles = sold_twice(url, all_pairs)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {
        "licenses": n,
        "load_s": round(load_s, 1),
        "requests_per_level": requests,
        "clients": clients,
        "levels": levels,
        "rights_sold_twice": doubles,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licenses", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, in turn")
    parser.add_argument("--requests", type=int, default=2000, help="avails requests per level")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--pairs", type=int, default=50, help="contested rights per level")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.clients < 1 or args.pairs < 0:
        parser.error("--requests and --clients are at least 1, --pairs at least 0")
    counts = [int(w) for w in args.workers.split(",")]
    result = run(args.licenses, counts, args.requests, args.clients, args.pairs)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['licenses']:,} licenses on PostgreSQL, {args.clients} client processes")
        print("| workers | requests | req/s | p50 | p99 | errors | executions/s (won/tried) |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in result["levels"]:
            print(
                f"| {r['workers']} | {r['requests']} | {r['requests_per_s']} | {r['p50_ms']} ms "
                f"| {r['p99_ms']} ms | {r['errors']} | {r['executions_per_s']} "
                f"({r['executions_won']}/{r['executions_tried']}) |"
            )
        print(f"rights sold twice: {result['rights_sold_twice']}")
    ok = result["rights_sold_twice"] == 0 and all(r["errors"] == 0 for r in result["levels"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
