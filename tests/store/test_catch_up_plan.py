"""A server catching up with other writers reads what they wrote from the version index,
even on a PostgreSQL book that has no planner statistics yet (just bulk-loaded, before
autovacuum analyzes it, or where autovacuum is off). An open ``version > since`` was
estimated at a third of the table and read whole: 20 ms for every write at 100,000
licenses, and ten times that at a million (store/repository.py, ``_written``)."""

from __future__ import annotations

from typing import Any

from benchmarks.generate import generate
from sqlalchemy import event

from reelrights.service import Service
from reelrights.store.repository import Store


def test_a_catch_up_reads_the_new_rows_by_the_version_index(pg_base_url: str) -> None:
    store = Store(pg_base_url)
    store.reset()
    store.close()
    service = Service(pg_base_url, actor="setup")
    catalog = generate(3000, n_titles=300)
    service.load_sheets([catalog.sheet()])
    with service.store.reading() as reader:
        since = reader.book_version()
    root = catalog.roots[0]
    service.load_texts(
        [
            (
                "more.yaml",
                f"titles:\n  - {{id: late-film, name: Late Film, kind: film, year: 2030}}\n"
                f"contracts:\n  - id: late-sale\n    licensor: {catalog.owner_of[root]}\n"
                f"    licensee: {catalog.parties[-1].id}\n    grants:\n"
                f"      - {{titles: [{root}], media: [SVOD], territories: [KR],"
                f" start: 2050-01-01, end: 2050-12-31}}\n",
            )
        ]
    )
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    engine = service.store.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with service.store.reading() as reader:
            upto = reader.book_version()
            contracts = reader.contracts(since=since, upto=upto)
            titles = reader.titles(since, upto)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [c.id for c in contracts] == ["late-sale"]
    assert [t.id for t in titles] == ["late-film"]
    versioned = [
        (statement, parameters)
        for statement, parameters in statements
        if "version >" in statement
        and ("FROM contracts" in statement or "FROM titles" in statement)
    ]
    assert len(versioned) == 3  # the contracts, the titles, the collections' members
    with engine.connect() as connection:
        stats = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'contracts'"
        ).scalar()
        for statement, parameters in versioned:
            plan = "\n".join(
                row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            )
            assert "Seq Scan on contracts" not in plan, (stats, statement, plan)
            assert "Seq Scan on titles" not in plan, (stats, statement, plan)
    service.close()
