"""Fixtures: a fresh database per test, on SQLite and on the machine's real PostgreSQL.

PostgreSQL is never skipped: without a server at ``REELRIGHTS_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/test``) the PostgreSQL tests fail, saying so.
Each test session works in a database of its own, created here and dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from reelrights.store.repository import Store

PG_ADMIN = os.environ.get("REELRIGHTS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_base_url() -> Iterator[str]:
    name = f"reelrights_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is needed for these tests and is not reachable at {PG_ADMIN}: "
            f"{error}. Start it (see .ci/run) or set REELRIGHTS_TEST_PG."
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL of each kind."""
    if request.param == "sqlite":
        return str(tmp_path / "book.db")
    url: str = request.getfixturevalue("pg_base_url")
    store = Store(url)
    store.reset()
    store.close()
    return url
