"""As-of questions (docs/semantics.md rule 12) at scale: what a past-state question costs
against a present one, by the wound-back index and by replaying the whole change log.

    .venv/bin/python -m benchmarks.asof --licenses 100000

loads a generated book of N licenses, then makes ``--changes`` writes (terminations,
each its own transaction and moment), and times the same avails questions asked now and
as of the moment before those writes (the index wound back through the changes since).
Every past answer is checked against the same question asked of the loaded book before
the changes (a second database, untouched since the load) and, unless ``--no-replay``,
against the old way: a book rebuilt from the whole change log (once: it is that slow).

``--workdir DIR`` keeps the loaded database (and its saved index) in DIR and reuses it on
the next run with the same N: each run works on a fresh copy of it, so the minutes of
generating and loading a million licenses are spent once.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchmarks.generate import generate
from reelrights.domain.languages import ALL_LANGUAGES
from reelrights.domain.media import ALL_MEDIA
from reelrights.domain.territories import WORLD
from reelrights.engine import AvailsReport, AvailsRequest
from reelrights.engine.avails import cell_answers
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


def same(fast: AvailsReport, slow: AvailsReport) -> bool:
    """The same answer for every cell-day (boxes may be cut otherwise by another book)."""
    return fast == slow or cell_answers(fast) == cell_answers(slow)


def loaded_book(n: int, workdir: Path) -> Path:
    """The database of N generated licenses, loaded once and kept in ``workdir``."""
    pristine = workdir / f"asof-{n}-loaded.db"
    done = workdir / f"asof-{n}-loaded.done"
    if done.exists():
        log(f"reusing {pristine}")
        return pristine
    for stale in workdir.glob(f"asof-{n}-loaded.db*"):
        stale.unlink()
    log(f"generating {n:,} licenses…")
    catalog = generate(n)
    log("loading…")
    service = Service(str(pristine), actor="bench")
    service.load_sheets([catalog.sheet()])
    service.save_index()
    service.close()
    done.write_text(f"{n}\n")
    return pristine


def copy_of(pristine: Path, workdir: Path, n: int) -> Path:
    """A working copy of the loaded database and its saved index."""
    store = workdir / f"asof-{n}.db"
    for stale in workdir.glob(f"asof-{n}.db*"):
        stale.unlink()
    shutil.copyfile(pristine, store)
    index = pristine.with_name(pristine.name + ".index")
    if index.exists():
        shutil.copyfile(index, store.with_name(store.name + ".index"))
    return store


def run(n: int, changes: int, queries: int, workdir: Path, replay: bool) -> dict[str, Any]:
    rng = random.Random(n)
    pristine = loaded_book(n, workdir)
    store = copy_of(pristine, workdir, n)
    service = Service(str(store), actor="bench")
    service.warm()
    time.sleep(0.05)
    moment = datetime.now(UTC)
    time.sleep(0.05)
    with service.store.reading() as reader:
        licenses = sorted(
            (c for c in reader.contracts() if c.licensor is not None and c.in_force()),
            key=lambda c: c.id,
        )
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
    service.avails(specs[0])  # catch the index up with the changes before timing
    now_ms, _ = median_ms([lambda r=r: service.avails(r) for r in specs])
    past_ms, past = median_ms([lambda r=r: service.avails(r, as_of=moment) for r in specs])
    today = moment.date().toordinal()
    log("asking the untouched loaded book…")
    before = Service(str(pristine), actor="bench")
    agree = all(
        same(report, before.avails(replace(r, today=today)))
        for report, r in zip(past, specs, strict=True)
    )
    before.close()
    replay_s = None
    if replay:
        log("rebuilding the book from the whole change log (the old way)…")
        started = time.perf_counter()
        rebuilt = service.book_as_of(moment)
        replay_s = round(time.perf_counter() - started, 2)
        agree = agree and all(
            same(report, rebuilt.avails(replace(r, today=today)))
            for report, r in zip(past, specs, strict=True)
        )
    service.close()
    return {
        "licenses": n,
        "changes_since": changes,
        "questions": len(specs),
        "present_ms": round(now_ms, 3),
        "as_of_ms": round(past_ms, 3),
        "replay_s": replay_s,
        "answers_agree": agree,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licenses", default="100000")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--workdir", help="keep and reuse the loaded databases here")
    parser.add_argument(
        "--no-replay",
        action="store_true",
        help="skip rebuilding the book from the whole log (minutes at a million licenses)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        where = Path(args.workdir) if args.workdir else Path(folder)
        where.mkdir(parents=True, exist_ok=True)
        for n in (int(x) for x in args.licenses.split(",")):
            results.append(run(n, args.changes, args.queries, where, not args.no_replay))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("| licenses | changes since | present (median) | as of (median) | full replay |")
        print("| ---: | ---: | ---: | ---: | ---: |")
        for r in results:
            replayed = "not run" if r["replay_s"] is None else f"{r['replay_s']} s"
            print(
                f"| {r['licenses']:,} | {r['changes_since']} | {r['present_ms']} ms | "
                f"{r['as_of_ms']} ms | {replayed} |"
            )
    return 0 if all(r["answers_agree"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
