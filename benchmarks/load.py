"""The checked import: the generated catalog loaded through ``Service.load_sheets``.

    python -m benchmarks.load --licenses 1000000 [--workdir DIR] [--profile FILE] [--json]

Generates the catalog of ``benchmarks.generate`` and loads it, as one deal sheet, into a
fresh SQLite book through the service: every contract validated and checked against the
book by the engine, stored with its rights, a change-log document and an event, in one
transaction. Reports the import's wall and CPU time (with that of the forked copy of the
process that checks a big load while it is stored), the load average before and after,
and this process's peak resident memory. ``--profile FILE`` runs the import under
``cProfile``, saves the statistics to FILE and prints the costliest functions (the
profiler slows small calls most: compare shares, not seconds; it sees this process
only). Target (issue 16): 1M licenses under 60 s. The book is deleted afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.feeds import _peak_bytes
from benchmarks.generate import generate
from reelrights.service import Service


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended (a big load is checked
    by a forked copy of the process while this one stores it: both count)."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def run(n: int, workdir: Path, profile: str | None) -> dict[str, Any]:
    log(f"generating {n:,} licenses…")
    started = time.perf_counter()
    catalog = generate(n)
    sheet = catalog.sheet()
    generate_s = time.perf_counter() - started
    service = Service(str(workdir / f"load-{n}.db"), actor="bench")
    log("importing (checked, through the service)…")
    before = load_average()
    profiler = cProfile.Profile() if profile else None
    cpu = _cpu()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    service.load_sheets([sheet])
    if profiler:
        profiler.disable()
    import_s = time.perf_counter() - started
    cpu_s = _cpu() - cpu
    after = load_average()
    contracts = service.counts()["contracts"]
    service.close()  # waits for the persisted index being saved (not timed)
    out: dict[str, Any] = {
        "licenses": n,
        "contracts": contracts,
        "generate_s": round(generate_s, 1),
        "import_s": round(import_s, 1),
        "import_cpu_s": round(cpu_s, 1),
        "contracts_per_s": round(contracts / import_s),
        "load_average_before": before,
        "load_average_after": after,
        "peak_mib": round(_peak_bytes() / 2**20),
    }
    if profiler and profile:
        profiler.dump_stats(profile)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
        out["profile"] = profile
        log(text.getvalue())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--licenses", type=int, default=100_000, help="licenses to generate")
    parser.add_argument("--workdir", help="where to put the book (default: a temp dir)")
    parser.add_argument("--profile", help="run the import under cProfile, stats to this file")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        result = run(args.licenses, Path(tmp), args.profile)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
