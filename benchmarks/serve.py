"""Many servers, one PostgreSQL: avails over HTTP while writers execute contracts.

    .venv/bin/python -m benchmarks.serve --licenses 100000 --workers 1,2,4 --requests 2000

loads a generated book of N licenses into a PostgreSQL database of its own (on
``REELRIGHTS_BENCH_PG``; analyzed after the load, see :func:`load_book`), then for each
worker count W starts ``reelrights serve --workers
W`` on a loopback port and drives it from separate client processes (``--clients``, each
with one keep-alive connection; the Python standard library's HTTP client, nothing
downloaded) with exactly ``--requests`` ``POST /avails`` questions, while two writer
processes race to execute the same exclusive rights (pair i is sold to both; exactly
one of each pair may win; each writer's index is built before the start). It reports
requests/s and p50/p99/max latency per W, the writers' executions, how long the reads
and the writes took (how much of the reading the writers overlapped), and at the end
checks in the database that no right was sold twice. The database is dropped at the end.
It exits 1 if a request failed or a right was sold twice.

With ``--reuse-book`` the loaded book is kept in the database ``serve_book_<N>`` and
reused by the next run of the same size (a load of 100,000 licenses takes a minute); each
run copies it (``CREATE DATABASE … TEMPLATE``) and races its writers on the copy, dropped
at the end, so every run starts from the same book. ``--load-only`` makes the kept book and
stops (the load can then run at low priority, the measuring on its own); ``--drop-book``
drops it. ``--book-db NAME`` keeps it under another name.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
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


def _writer(
    url: str, index_dir: str, contracts: list[Contract], barrier: Any, results: Any
) -> None:
    """Execute contracts one after the other through the service, as a second
    application on the same database would: its index built (or read from the servers'
    file) before the start, so that its writes race the clients' questions from the first
    (at 100,000 licenses a cold writer spent the first seconds building it)."""
    os.environ["REELRIGHTS_INDEX_DIR"] = index_dir  # not the user's cache
    service = Service(url, actor="bench-writer")
    service.warm()
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
    """Ask until every worker has built its index: rounds of parallel questions (three
    connections a worker, so each worker gets some) until two rounds in a row answer
    within a second each. A worker that built its index in neither would show in the
    measured ``max_ms`` (building takes seconds from 100,000 licenses)."""
    ctx = mp.get_context("fork")
    deadline = time.monotonic() + timeout
    clean = 0
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
            clean += 1
            if clean == 2:
                return
        else:
            clean = 0
    raise RuntimeError("the workers never became warm")


def measure(
    url: str,
    port: int,
    key: str,
    bodies: list[bytes],
    clients: int,
    streams: tuple[list[Contract], list[Contract]],
    index_dir: Path,
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
    procs += [
        ctx.Process(target=_writer, args=(url, str(index_dir), s, barrier, written))
        for s in streams
    ]
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
    tried = sum(len(s) for s in streams)
    return {
        "requests": len(latencies),
        "errors": sum(e for _, _, _, e in outcomes),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "executions_tried": tried,
        "executions_won": len(wins),
        "executions_per_s": round(tried / write_s, 1) if tried else 0.0,
        "reads_s": round(elapsed, 2),
        "writes_s": round(write_s, 2),
        "wins": wins,
    }


def sold_twice(url: str, pairs: list[tuple[str, str]]) -> int:
    """Pairs both of whose contracts the database holds: a right sold twice."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        stored = {
            r[0] for r in db.execute("SELECT id FROM contracts WHERE id LIKE 'race-%'").fetchall()
        }
    return sum(1 for a, b in pairs if a in stored and b in stored)


def book_name(n: int) -> str:
    """The database a ``--reuse-book`` run keeps the loaded book of ``n`` licenses in,
    unless ``--book-db`` names another."""
    return f"serve_book_{n}"


BOOK_DB = re.compile(r"[a-z_][a-z0-9_]{0,54}")  # room for "_loading" in 63 characters


def _url_of(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _exists(admin: psycopg.Connection[Any], name: str) -> bool:
    found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


def load_book(catalog: Catalog, name: str) -> float:
    """Load ``catalog`` into the new database ``name``: the seconds it took. Then
    ``ANALYZE`` it, as autovacuum does a minute or so after a load on a server that runs
    it (the test servers here run without: ``autovacuum = off``), so that the servers are
    measured on a book with its planner statistics, as they would run for months. The
    loading service saves no index file (it would go to the user's cache, for a database
    this benchmark drops; the servers keep theirs in a directory of the run's own)."""
    started = time.perf_counter()
    before = os.environ.get("REELRIGHTS_INDEX")
    os.environ["REELRIGHTS_INDEX"] = "off"
    service = Service(_url_of(name), actor="bench")
    try:
        service.load_sheets([catalog.sheet()])
    finally:
        service.close()
        if before is None:
            del os.environ["REELRIGHTS_INDEX"]
        else:
            os.environ["REELRIGHTS_INDEX"] = before
    load_s = time.perf_counter() - started
    with psycopg.connect(_url_of(name), autocommit=True) as book:
        book.execute("ANALYZE")
    return load_s


def new_key(name: str) -> str:
    """An admin API key in the database ``name``, for the clients."""
    service = Service(_url_of(name), actor="bench")
    try:
        return service.create_key("admin", note="benchmarks.serve")[1]
    finally:
        service.close()


def kept_book(name: str, n: int, catalog: Catalog) -> float | None:
    """Make sure the database ``name`` holds the loaded book of ``n`` licenses: loaded
    now (into a database renamed to it only once whole, so a run killed midway leaves
    nothing to reuse; the load's seconds) or by an earlier run (None). Runs never write to
    it: each works on a copy."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        if _exists(admin, name):
            with psycopg.connect(_url_of(name)) as book:
                stored = book.execute("SELECT count(*) FROM contracts").fetchone()
            if stored is None or stored[0] != len(catalog.contracts):
                raise SystemExit(
                    f"the database {name} holds {stored[0] if stored else 0:,} contracts, "
                    f"not the {len(catalog.contracts):,} of the book of {n:,} licenses "
                    "(--book-db names another database, or --drop-book drops it)"
                )
            log(f"reusing the book in database {name}")
            return None
        loading = f"{name}_loading"
        admin.execute(f'DROP DATABASE IF EXISTS "{loading}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{loading}"')
    try:
        log(f"loading {n:,} licenses into PostgreSQL (database {name}, kept)…")
        load_s = load_book(catalog, loading)
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{loading}" RENAME TO "{name}"')
    except BaseException:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{loading}" WITH (FORCE)')
        raise
    return load_s


def drop_book(name: str) -> bool:
    """Drop the kept book in the database ``name``; whether there was one."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        there = _exists(admin, name)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return there


def run(
    n: int,
    worker_counts: list[int],
    requests: int,
    clients: int,
    pairs: int,
    kept: str | None = None,
) -> dict[str, Any]:
    """Load (or copy the book kept in the database ``kept`` into) a database of this
    run's own, measure every worker count on it and drop it."""
    rng = random.Random(n)
    name = f"serve_run_{uuid.uuid4().hex[:8]}"
    log(f"generating {n:,} licenses…")
    catalog = generate(n)
    load_s: float | None
    if kept:
        load_s = kept_book(kept, n, catalog)
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{kept}"')
    else:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    url = _url_of(name)
    try:
        if not kept:
            log("loading into PostgreSQL…")
            load_s = load_book(catalog, name)
        key = new_key(name)
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
                    started = time.perf_counter()
                    wait_healthy(port)
                    warm_up(port, key, warm_bodies, workers)
                    warm_s = time.perf_counter() - started
                    part = slice(level * pairs, (level + 1) * pairs)
                    log(f"serve --workers {workers}: {requests} requests, {clients} clients…")
                    load = os.getloadavg()
                    result = measure(
                        url,
                        port,
                        key,
                        bodies,
                        clients,
                        (a_stream[part], b_stream[part]),
                        Path(index_dir),
                    )
                    result.pop("wins")
                    levels.append(
                        {
                            "workers": workers,
                            **result,
                            "warm_s": round(warm_s, 1),
                            "load_before": load,
                        }
                    )
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
        "database": name,
        "book_from": kept or "loaded in this run",
        "load_s": None if load_s is None else round(load_s, 1),
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
    parser.add_argument(
        "--reuse-book",
        action="store_true",
        help="keep the loaded book in the database serve_book_N and reuse it next time "
        "(each run works on a copy of it)",
    )
    parser.add_argument(
        "--load-only", action="store_true", help="with --reuse-book: load the kept book, stop"
    )
    parser.add_argument("--drop-book", action="store_true", help="drop the kept book, stop")
    parser.add_argument(
        "--book-db",
        metavar="NAME",
        help="the database the kept book is in (default serve_book_N; lower case, digits, _)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.licenses < 1 or args.requests < 1 or args.clients < 1 or args.pairs < 0:
        parser.error("--licenses, --requests and --clients are at least 1, --pairs at least 0")
    try:
        counts = [int(w) for w in args.workers.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        parser.error("--workers is a comma-separated list of worker counts, each at least 1")
    if args.load_only and not args.reuse_book:
        parser.error("--load-only needs --reuse-book")
    kept = args.book_db or book_name(args.licenses)
    if not BOOK_DB.fullmatch(kept):
        parser.error(f"--book-db {kept!r}: lower-case letters, digits and _, at most 55")
    if args.drop_book:
        log(f"dropped {kept}" if drop_book(kept) else f"no kept book {kept} to drop")
        return 0
    if args.load_only:
        load_s = kept_book(kept, args.licenses, generate(args.licenses))
        log("the book was already there" if load_s is None else f"loaded in {load_s:.1f} s")
        return 0
    reuse = kept if args.reuse_book else None
    result = run(args.licenses, counts, args.requests, args.clients, args.pairs, reuse)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['licenses']:,} licenses on PostgreSQL, {args.clients} client processes")
        print(
            "| workers | requests | req/s | p50 | p99 | max | errors "
            "| executions/s (won/tried) | reads / writes took |"
        )
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in result["levels"]:
            print(
                f"| {r['workers']} | {r['requests']} | {r['requests_per_s']} | {r['p50_ms']} ms "
                f"| {r['p99_ms']} ms | {r['max_ms']} ms | {r['errors']} | {r['executions_per_s']} "
                f"({r['executions_won']}/{r['executions_tried']}) "
                f"| {r['reads_s']} s / {r['writes_s']} s |"
            )
        print(f"rights sold twice: {result['rights_sold_twice']}")
    ok = result["rights_sold_twice"] == 0 and all(r["errors"] == 0 for r in result["levels"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
