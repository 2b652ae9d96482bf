"""Eight writers in separate processes race to sell rights: exactly one exclusive sale of
the same right wins, on SQLite and on PostgreSQL; rights that do not overlap all sell."""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

from reelrights.domain.problems import InvalidInput
from reelrights.service import RightsConflict, Service

WRITERS = 8

SETUP = """
parties: [{id: disney, name: Disney}, {id: p0, name: P0}, {id: p1, name: P1},
          {id: p2, name: P2}, {id: p3, name: P3}, {id: p4, name: P4}, {id: p5, name: P5},
          {id: p6, name: P6}, {id: p7, name: P7}]
titles: [{id: sw4, name: A New Hope}]
contracts:
  - id: owns
    licensee: disney
    grants: [{titles: [sw4], media: [ALL_MEDIA], territories: [WORLD], start: 1977-05-25}]
"""

SALE = """
contracts:
  - id: sale-{n}
    licensor: disney
    licensee: p{n}
    grants: [{{titles: [sw4], media: [SVOD], territories: [{territory}], start: 2026-01-01,
              end: 2026-12-31, exclusive: true}}]
"""


def _sell(url: str, n: int, territory: str, barrier: Any, results: Any) -> None:
    service = Service(url, actor=f"writer-{n}")
    text = SALE.format(n=n, territory=territory)
    barrier.wait()
    try:
        service.load_texts([(f"sale-{n}.yaml", text)])
        results.put((n, "sold"))
    except RightsConflict as conflict:
        reasons = {u.reason for r in conflict.checks[0].reports for u in r.unavailable}
        results.put((n, "conflict:" + ",".join(sorted(reasons))))
    except InvalidInput as error:  # pragma: no cover - would be a bug
        results.put((n, f"invalid: {error}"))
    except Exception as error:  # pragma: no cover - would be a bug
        results.put((n, f"error: {error!r}"))
    finally:
        service.close()


def race(url: str, territories: list[str]) -> list[tuple[int, str]]:
    setup = Service(url)
    setup.load_texts([("setup.yaml", SETUP)])
    setup.close()
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(WRITERS)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_sell, args=(url, n, territories[n], barrier, results))
        for n in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    return outcomes


def test_exactly_one_of_eight_racing_exclusive_sales_wins(db_url: str) -> None:
    outcomes = race(db_url, ["CN"] * WRITERS)
    sold = [n for n, outcome in outcomes if outcome == "sold"]
    assert len(sold) == 1, outcomes
    assert all(o == "conflict:exclusive-license" for n, o in outcomes if n not in sold)
    service = Service(db_url)
    sales = [c for c in service.contracts() if c.id.startswith("sale-")]
    assert [c.id for c in sales] == [f"sale-{sold[0]}"]
    service.close()


def test_racing_sales_that_do_not_overlap_all_win(db_url: str) -> None:
    outcomes = race(db_url, ["CN", "HK", "TW", "MO", "KR", "JP", "SG", "TH"])
    assert [o for _, o in outcomes] == ["sold"] * WRITERS
    service = Service(db_url)
    assert len([c for c in service.contracts() if c.id.startswith("sale-")]) == WRITERS
    service.close()
