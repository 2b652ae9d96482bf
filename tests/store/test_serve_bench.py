"""The many-servers benchmark at a tiny size, on the machine's PostgreSQL: every question
answered for each worker count while the writers race, no right sold twice, and the kept
book (``--reuse-book``) made once, reused by the next run, never written to, dropped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

from tests.conftest import PG_ADMIN

ROOT = Path(__file__).resolve().parents[2]
LICENSES = "300"


def _bench(*args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REELRIGHTS_BENCH_PG": PG_ADMIN}
    if cache is not None:  # every process saves its index, even of this tiny book
        env.update(XDG_CACHE_HOME=str(cache), REELRIGHTS_INDEX="always")
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.serve", "--licenses", LICENSES, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def _databases() -> set[str]:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        return {r[0] for r in admin.execute("SELECT datname FROM pg_database").fetchall()}


def _contracts(name: str) -> int:
    with psycopg.connect(PG_ADMIN.rsplit("/", 1)[0] + "/" + name) as db:
        row = db.execute("SELECT count(*) FROM contracts").fetchone()
    assert row is not None
    return int(row[0])


def test_the_serve_benchmark_answers_everything_and_sells_nothing_twice(tmp_path: Path) -> None:
    book = f"serve_book_test_{uuid.uuid4().hex[:8]}"
    kept = ("--reuse-book", "--book-db", book, "--pairs", "3", "--json")
    try:
        cache = tmp_path / "cache"
        first = _bench(*kept, "--workers", "1,2", "--requests", "60", "--clients", "2", cache=cache)
        assert first.returncode == 0, first.stderr
        result = json.loads(first.stdout)
        assert [level["workers"] for level in result["levels"]] == [1, 2]
        for level in result["levels"]:
            assert level["requests"] == 60 and level["errors"] == 0
            assert level["executions_tried"] == 2 * 3  # --pairs 3: two writers, each pair
            assert 1 <= level["executions_won"] <= 3  # at most one of each pair
            assert 0 < level["p50_ms"] <= level["p99_ms"] <= level["max_ms"]
        assert result["rights_sold_twice"] == 0
        assert not list(cache.rglob("*"))  # no index file left in the user's cache
        assert result["load_s"] > 0  # loaded now, into the kept book
        assert result["database"] not in _databases()  # the run's copy is dropped
        assert book in _databases()
        loaded = _contracts(book)

        again = _bench(*kept, "--workers", "1", "--requests", "20", "--clients", "1")
        assert again.returncode == 0, again.stderr
        reused = json.loads(again.stdout)
        assert reused["load_s"] is None and "reusing the book" in again.stderr
        assert reused["levels"][0]["executions_won"] >= 1  # the first run's sales are not there
        assert _contracts(book) == loaded  # the writers wrote to a copy

        dropped = _bench("--drop-book", "--book-db", book)
        assert dropped.returncode == 0 and f"dropped {book}" in dropped.stderr
        assert book not in _databases()
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{book}" WITH (FORCE)')


def test_bad_options_are_refused_before_anything_is_made() -> None:
    for args, message in [
        (["--load-only"], "--load-only needs --reuse-book"),
        (["--workers", "0"], "--workers"),
        (["--workers", "one"], "--workers"),
        (["--book-db", 'x"; DROP'], "--book-db"),
        (["--requests", "0"], "--requests"),
    ]:
        done = _bench(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr
