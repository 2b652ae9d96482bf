"""The avails search of the engine alone, on the biggest studio's shelf, at any size.

    python -m benchmarks.search_shelf --licenses 1000000

The search (docs/semantics.md rule 13) reads only its licensor's shelf: the entries of
the contracts that licensor gave or holds. This builds, from the generated book of
``--licenses`` licenses (the same generator and seed as ``benchmarks.avails``), a
``RightsBook`` of just the biggest studio's contracts, which gives that studio exactly
the shelf the whole book gives it, and times the searches of benchmark (g) on it, in
process: no store, no baseline. It answers "how fast is the engine at 1M licenses"
in minutes where the full benchmark (g), whose baseline holds about 100 million cell
rows, takes an hour on a loaded machine; the ratio to the baseline comes only from (g).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

from benchmarks.avails import biggest_studio, search_specs
from benchmarks.generate import generate
from reelrights.domain.titles import Catalog as TitleCatalog
from reelrights.engine.book import RightsBook
from reelrights.engine.search import SearchRequest, candidates, search


def timed(book: RightsBook, specs: list[SearchRequest], among: frozenset[str]) -> float:
    """Median milliseconds of the searches, after two untimed ones."""
    for request in specs[:2]:
        search(book, request, among)
    times = []
    for request in specs:
        started = time.perf_counter()
        search(book, request, among)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.search_shelf", description=__doc__)
    parser.add_argument("--licenses", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=10)
    args = parser.parse_args(argv)
    catalog = generate(args.licenses)
    studio = biggest_studio(catalog)
    mine = [c for c in catalog.contracts if studio in (c.licensor, c.licensee)]
    book = RightsBook(TitleCatalog(catalog.titles), mine, keep_contracts=False)
    among = frozenset(candidates(book.catalog))
    rng = random.Random(args.licenses + 1)  # the searches of benchmarks.avails (g)
    cover = search_specs(catalog, rng, args.searches, studio, 1, "cover")
    min_days = search_specs(catalog, rng, args.searches, studio, 3, "min-days")
    print(
        f"licenses: {args.licenses:,}   {studio}: {len(mine):,} contracts, {len(book):,} "
        f"shelved entries   load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"(g) 1 medium x 1 region x 1 year, median: {timed(book, cover, among):.1f} ms")
    print(f"(g) 3 media, min 90 days, median:        {timed(book, min_days, among):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
