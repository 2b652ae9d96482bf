"""As-of questions (docs/semantics.md rule 12) at scale: what a past-state question costs
against a present one, by the wound-back index and by replaying the whole change log.

    .venv/bin/python -m benchmarks.asof --licenses 100000

loads a generated book of N licenses, then makes ``--changes`` writes (terminations,
each its own transaction and moment), and times the same avails questions asked now, as
of the moment before those writes (the index wound back through the changes since), and
by the old way, a book rebuilt from the whole change log (once: it is that slow). Every
past answer is checked against the rebuilt book's.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchmarks.generate import generate
from reelrights.domain.languages import ALL_LANGUAGES
from reelrights.domain.media import ALL_MEDIA
from reelrights.domain.territories import WORLD
from reelrights.engine import AvailsRequest
from reelrights.service import Service


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_ms(calls: list[Any]) -> tuple[float, list[Any]]:
    times, results = [], []
    for call in calls:
        start = time.perf_counter()
        results.append(call())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), results


def run(n: int, changes: int, queries: int, workdir: Path) -> dict[str, Any]:
    rng = random.Random(n)
    log(f"generating {n:,} licenses…")
    catalog = generate(n)
    store = str(workdir / f"asof-{n}.db")
    log("loading…")
    service = Service(store, actor="bench")
    service.load_sheets([catalog.sheet()])
    service.warm()
    time.sleep(0.05)
    moment = datetime.now(UTC)
    time.sleep(0.05)
    licenses = [c for c in catalog.contracts if c.licensor is not None and c.in_force()]
    changed = rng.sample(licenses, changes)
    log(f"making {changes} changes after the moment…")
    for contract in changed:
        service.terminate(contract.id, date(2001, 1, 1))
    specs = []
    for contract in changed[:queries]:
        title = contract.grants[0].titles[0]
        year = rng.randint(2001, 2039)
        specs.append(
            AvailsRequest(
                contract.licensor or "",
                frozenset([title]),
                ALL_MEDIA,
                WORLD,
                ALL_LANGUAGES,
                date(year, 1, 1).toordinal(),
                date(year + 1, 1, 1).toordinal(),
            )
        )
    now_ms, _ = median_ms([lambda r=r: service.avails(r) for r in specs])
    past_ms, past = median_ms([lambda r=r: service.avails(r, as_of=moment) for r in specs])
    log("rebuilding the book from the whole change log (the old way)…")
    started = time.perf_counter()
    rebuilt = service.book_as_of(moment)
    replay_s = time.perf_counter() - started
    today = datetime.now(UTC).date().toordinal()
    from dataclasses import replace

    agree = all(
        report == rebuilt.avails(replace(r, today=today))
        for report, r in zip(past, specs, strict=True)
    )
    service.close()
    return {
        "licenses": n,
        "changes_since": changes,
        "questions": len(specs),
        "present_ms": round(now_ms, 3),
        "as_of_ms": round(past_ms, 3),
        "replay_s": round(replay_s, 2),
        "answers_agree": agree,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licenses", default="100000")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for n in (int(x) for x in args.licenses.split(",")):
            results.append(run(n, args.changes, args.queries, Path(folder)))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("| licenses | changes since | present (median) | as of (median) | full replay |")
        print("| ---: | ---: | ---: | ---: | ---: |")
        for r in results:
            print(
                f"| {r['licenses']:,} | {r['changes_since']} | {r['present_ms']} ms | "
                f"{r['as_of_ms']} ms | {r['replay_s']} s |"
            )
    return 0 if all(r["answers_agree"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
