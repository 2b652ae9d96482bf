"""The money benchmark: sales reports over the generated catalog, imported and statemented.

    python -m benchmarks.money --lines 100000[,1000000] [--licenses 100000] [--json]
                               [--workdir DIR [--reuse-book]]

Builds the catalog of ``benchmarks.generate`` (100,000 licenses by default) with money
terms on every license (USD, a minimum guarantee, a flat or tiered revenue share), stores
it once, then for each size writes a deterministic sales report of that many lines over
2018-2021: each line a title, medium and territory that one license grants, for a quarter
inside its term, in USD, EUR or CNY (monthly exchange rates are stored), about 1% returns
and about 2% lines that match nothing (unknown titles, territories no grant covers). Each
size is imported into a fresh copy of the book by a process of its own, which reports the
import's wall time, lines per second and peak resident memory (VmHWM), then computes every
statement of 2021-Q4 (the last quarter: every line counts towards it) and times that.
Targets (docs/semantics.md rules 14-19): 1M lines imported and matched in under 60 s,
every statement of a quarter in under 30 s, memory flat in the number of lines.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.feeds import _peak_bytes
from benchmarks.generate import generate
from reelrights.domain.contracts import Contract, Money
from reelrights.domain.media import leaves_of
from reelrights.domain.money import Period, ShareEntry, Tier
from reelrights.domain.territories import countries_of
from reelrights.domain.titles import Catalog

FIRST, LAST = date(2018, 1, 1), date(2021, 12, 31)
QUARTER = "2021-Q4"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def with_money(contract: Contract, rng: random.Random) -> Contract:
    """A license with money terms: USD, an MG, a flat or a tiered share."""
    if contract.is_ownership:
        return contract
    if rng.random() < 0.3:
        share = (
            ShareEntry(
                (
                    Tier(Decimal(rng.choice((50_000, 100_000, 250_000))), Decimal("0.2")),
                    Tier(None, Decimal("0.3")),
                )
            ),
        )
    else:
        share = (ShareEntry.flat(Decimal(rng.choice(("0.15", "0.25", "0.35", "0.5")))),)
    guarantee = Money(Decimal(rng.choice((0, 10_000, 50_000, 100_000))), "USD")
    return replace(contract, currency="USD", minimum_guarantee=guarantee, revenue_share=share)


def build_book(licenses: int, path: Path, reuse: bool = False) -> tuple[list[Contract], Catalog]:
    """Store the catalog with money terms and a month of rates per currency pair; returns
    the executed licenses and the catalog (for the report generator). With ``reuse``, a
    book already at ``path`` (from an earlier run with the same size) is kept."""
    from reelrights.service import Service

    rng = random.Random(licenses)
    catalog = generate(licenses)
    contracts = [with_money(c, rng) for c in catalog.contracts]
    executed = [c for c in contracts if not c.is_ownership and c.status == "executed"]
    if reuse and path.exists():
        return executed, Catalog(catalog.titles)
    if path.exists():
        path.unlink()
    service = Service(str(path), actor="bench")
    service.load_sheets([catalog.sheet(contracts)])
    rates = path.with_suffix(".rates.csv")
    with rates.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(("date", "from", "to", "rate"))
        day = date(2017, 1, 1)
        while day <= LAST:
            out.writerow((day.isoformat(), "EUR", "USD", f"{1.05 + rng.random() / 10:.4f}"))
            out.writerow((day.isoformat(), "USD", "CNY", f"{6.3 + rng.random():.4f}"))
            day = (day + timedelta(days=32)).replace(day=1)
    service.import_rates([str(rates)])
    service.close()
    return executed, Catalog(catalog.titles)


def write_report(licenses: list[Contract], catalog: Catalog, lines: int, path: Path) -> None:
    """A sales report of ``lines`` lines (see the module's doc)."""
    rng = random.Random(lines)
    usable = []
    for contract in licenses:
        grant = contract.grants[0]
        start = grant.start.day if grant.start and grant.start.day else FIRST
        end = grant.end.day if grant.end and grant.end.day else LAST
        begin, finish = max(start, FIRST), min(end, LAST)
        if begin <= finish:
            usable.append((contract, grant, begin, finish))
    titles_of: dict[tuple[str, ...], list[str]] = {}
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            (
                "licensee",
                "title",
                "medium",
                "territory",
                "period_start",
                "period_end",
                "units",
                "gross",
                "currency",
            )
        )
        for _ in range(lines):
            contract, grant, begin, finish = rng.choice(usable)
            titles = titles_of.get(grant.titles)
            if titles is None:
                titles = titles_of[grant.titles] = sorted(catalog.expand(grant.titles))
            day = begin + timedelta(days=rng.randint(0, (finish - begin).days))
            quarter = Period.containing(day, "quarterly")
            title = rng.choice(titles)
            territory = rng.choice(countries_of(grant.territories))
            roll = rng.random()
            if roll < 0.01:
                title = f"unknown-{rng.randint(0, 999)}"
            elif roll < 0.02:
                territory = "AQ"  # Antarctica: no license covers it
            gross = Decimal(rng.randint(1, 1_000_000)).scaleb(-2)
            if rng.random() < 0.01:
                gross = -gross
            currency = rng.choices(("USD", "EUR", "CNY"), (90, 5, 5))[0]
            out.writerow(
                (
                    contract.licensee,
                    title,
                    rng.choice(leaves_of(grant.media)),
                    territory,
                    max(quarter.first, begin).isoformat(),
                    quarter.last.isoformat(),
                    rng.randint(1, 500),
                    str(gross),
                    currency,
                )
            )


def _child(report: str, db: str) -> None:
    """Import one report and state the quarter, in a process of its own."""
    from reelrights.service import Service

    service = Service(db)
    started = time.perf_counter()
    result = service.import_sales([report])
    imported = time.perf_counter() - started
    peak_import = _peak_bytes()
    started = time.perf_counter()
    count = due = 0
    total = Decimal(0)
    for found in service.statements_of_period(QUARTER):
        count += 1
        total += found.royalties
        due += found.due > 0
    stated = time.perf_counter() - started
    reasons = result.unmatched_by_reason
    print(
        json.dumps(
            {
                "import_s": imported,
                "matched": result.matched,
                "unmatched": result.unmatched_count,
                "reasons": reasons,
                "peak_import_bytes": peak_import,
                "statements": count,
                "statements_with_due": due,
                "royalties": str(total),
                "statements_s": stated,
                "peak_bytes": _peak_bytes(),
            }
        )
    )


def run(
    sizes: list[int], licenses: int, workdir: Path, reuse: bool = False
) -> list[dict[str, Any]]:
    book = workdir / f"money-book-{licenses}.db"
    log(f"generating and storing {licenses:,} licenses with money terms…")
    started = time.perf_counter()
    contracts, catalog = build_book(licenses, book, reuse)
    log(f"  {time.perf_counter() - started:.0f} s")
    rows = []
    for size in sizes:
        report = workdir / f"sales-{size}.csv"
        log(f"writing a sales report of {size:,} lines…")
        write_report(contracts, catalog, size, report)
        db = workdir / f"money-{size}.db"
        shutil.copyfile(book, db)
        log("importing and statementing (a process of its own)…")
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.money", "--child", str(report), str(db)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(
            {
                "lines": size,
                "report_mb": round(report.stat().st_size / 1e6, 1),
                "import_s": round(figures["import_s"], 1),
                "lines_per_s": round(size / figures["import_s"]),
                "matched": figures["matched"],
                "unmatched": figures["unmatched"],
                "peak_import_mb": round(figures["peak_import_bytes"] / 1e6),
                "statements": figures["statements"],
                "statements_s": round(figures["statements_s"], 1),
                "peak_mb": round(figures["peak_bytes"] / 1e6),
                "reasons": figures["reasons"],
            }
        )
        db.unlink()
        report.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", default="100000", help="report sizes, comma separated")
    parser.add_argument("--licenses", type=int, default=100_000, help="licenses in the book")
    parser.add_argument("--workdir", help="where to put the databases (default: a temp dir)")
    parser.add_argument(
        "--reuse-book", action="store_true", help="keep a book stored in --workdir before"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    sizes = [int(s) for s in args.lines.split(",")]
    if args.workdir:
        workdir = Path(args.workdir)
        try:
            workdir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            parser.error(f"--workdir {workdir}: cannot create it ({error.strerror or error})")
        rows = run(sizes, args.licenses, workdir, args.reuse_book)
    else:
        with tempfile.TemporaryDirectory() as folder:
            rows = run(sizes, args.licenses, Path(folder))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    columns = [c for c in rows[0] if c != "reasons"]
    print(" | ".join(columns))
    print(" | ".join("---" for _ in columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    for row in rows:
        print(f"unmatched at {row['lines']:,} lines: {row['reasons']}")


if __name__ == "__main__":
    main()
