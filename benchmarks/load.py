"""The checked import: the generated catalog loaded through ``Service.load_sheets``.

    python -m benchmarks.load --licenses 1000000 [--workdir DIR] [--profile FILE] [--phases]
                              [--json]

Generates the catalog of ``benchmarks.generate`` and loads it, as one deal sheet, into a
fresh SQLite book through the service: every contract validated and checked against the
book by the engine, stored with its rights, a change-log document and an event, in one
transaction. Reports the import's wall and CPU time (with that of the forked copy of the
process that checks a big load while it is stored), the load average before and after,
and this process's peak resident memory. ``--profile FILE`` runs the import under
``cProfile``, saves the statistics to FILE and prints the costliest functions (the
profiler slows small calls most: compare shares, not seconds; it sees this process
only). ``--phases`` times the import's phases instead, without a profiler's overhead: the
wall and CPU seconds spent inside each of a fixed list of functions (nested ones inside
their callers' figures, as the indentation shows), in this process and, for the texts it
writes, the checks and the book it hands back, in the forked copy that runs them. Target
(issue 16): 1M licenses under 60 s. The book is deleted afterwards.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


# (label, module, attribute path): the phases --phases times, callers before callees
PHASES: list[tuple[str, str, str]] = [
    ("validating contracts", "reelrights.service.loading", "validate_contract"),
    ("checking (in order)", "reelrights.service.loading", "_check_in_order"),
    ("shelving (RightsBook.add)", "reelrights.engine.book", "RightsBook.add"),
    ("storing (_store_load)", "reelrights.service.loading", "LoadingJobs._store_load"),
    ("  contracts and rights rows", "reelrights.store.repository", "Writer.add_contracts"),
    ("    sort keys", "reelrights.store.repository", "Writer._sort_keys"),
    ("    rights rows", "reelrights.store.repository", "Writer._add_rights"),
    ("  change-log documents", "reelrights.formats.sheet", "contract_json"),
    ("  change-log rows", "reelrights.store.repository", "Writer.log_many"),
    ("  event texts", "reelrights.service.loading", "contract_event_text"),
    ("  event rows", "reelrights.store.outbox", "OutboxQueries.add_events"),
    ("  driver executemany, every table", "reelrights.store.repository", "insert_rows"),
    ("  driver executemany, every table", "reelrights.store.outbox", "insert_rows"),
    ("index builds (CREATE INDEX)", "sqlalchemy.engine.base", "Connection.exec_driver_sql"),
    ("commit", "sqlalchemy.engine.base", "Connection._commit_impl"),
    ("taking the book the copy built", "reelrights.service.loading", "_Verdict.handed_book"),
]


class _Phases:
    """Wall and CPU seconds inside each of :data:`PHASES`, for one process."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.depth: dict[str, int] = {}

    @contextmanager
    def timing(self, label: str) -> Iterator[None]:
        if self.depth.get(label):  # a recursive call is inside its caller's figure
            yield
            return
        self.depth[label] = 1
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.depth[label] = 0
            self.wall[label] = self.wall.get(label, 0.0) + time.perf_counter() - wall
            self.cpu[label] = self.cpu.get(label, 0.0) + time.process_time() - cpu

    def wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        if label.startswith("index builds"):

            def timed_sql(self_: Any, sql: Any, *args: Any, **kwargs: Any) -> Any:
                if not str(sql).lstrip().upper().startswith("CREATE INDEX"):
                    return function(self_, sql, *args, **kwargs)
                with self.timing(label):
                    return function(self_, sql, *args, **kwargs)

            return timed_sql

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.timing(label):
                return function(*args, **kwargs)

        return timed

    def install(self) -> None:
        import importlib

        for label, module_name, path in PHASES:
            owner: Any = importlib.import_module(module_name)
            *parents, name = path.split(".")
            for parent in parents:
                owner = getattr(owner, parent)
            setattr(owner, name, self.wrap(label, getattr(owner, name)))
        checks: Any = importlib.import_module("reelrights.service.loading")
        me = os.getpid()

        def told(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
            def timed_and_told(*args: Any, **kwargs: Any) -> Any:
                wall, cpu = time.perf_counter(), time.process_time()
                out = function(*args, **kwargs)
                if os.getpid() != me:  # the forked copy: its figures would die with it
                    log(
                        f"  the checking copy: {name} {time.perf_counter() - wall:.1f} s"
                        f" wall, {time.process_time() - cpu:.1f} s CPU"
                    )
                return out

            return timed_and_told

        checks._write_texts = told("_write_texts (the load's texts)", checks._write_texts)
        checks._check_in_order = told("_check_in_order", checks._check_in_order)
        checks._hand_back = told("_hand_back (its book to this process)", checks._hand_back)

    def figures(self) -> dict[str, dict[str, float]]:
        return {
            label: {"wall_s": round(self.wall[label], 1), "cpu_s": round(self.cpu[label], 1)}
            for label, _, _ in PHASES
            if label in self.wall
        }


def run(n: int, workdir: Path, profile: str | None, phases: bool = False) -> dict[str, Any]:
    log(f"generating {n:,} licenses…")
    started = time.perf_counter()
    catalog = generate(n)
    sheet = catalog.sheet()
    generate_s = time.perf_counter() - started
    service = Service(str(workdir / f"load-{n}.db"), actor="bench")
    log("importing (checked, through the service)…")
    before = load_average()
    timer = _Phases() if phases else None
    if timer:
        timer.install()
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
    if timer:
        out["phases"] = timer.figures()
        log("phases of this process (wall s / CPU s; indented: inside the line above):")
        for label, figure in out["phases"].items():
            log(f"  {label:<40} {figure['wall_s']:>7.1f} {figure['cpu_s']:>7.1f}")
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
    parser.add_argument("--phases", action="store_true", help="time the import's phases")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        result = run(args.licenses, Path(tmp), args.profile, args.phases)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
