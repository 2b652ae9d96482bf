"""The avails benchmark: reelrights against a cell-per-row baseline, built in the same run.

    python -m benchmarks.avails --licenses 100000 [--json]

Generates a deterministic catalog, stores it in reelrights (SQLite, the store being the
source of truth) and in the baseline, then measures, after warm-up, medians and p99 of: (a)
one question, 1 title x 5 media x 40 territories x 1 year; (b) a whole-catalog report, every
title x 1 medium x 1 territory x 1 year; (c) the grid of one title, all media x all
territories x 1 year; (d) conflict-checked contract executions per second with 2 concurrent
writers on SQLite and PostgreSQL, counting double sales; (e) the time to load the index from
the store and its memory per license; (f) the first answer of a fresh ``reelrights avails``
process, from the saved index and rebuilding; (g) the avails search ("what can I sell?"):
the biggest studio's whole catalog x 1 medium x 1 M49 region x 1 year (cover), and x 3 media
with a 90-day minimum window. Every benchmarked question is also answered by the baseline,
and the two answers must be equal, cell by cell (for searches: the same titles with the same
windows, and the same warnings on the same cells and days: the generated book has holds and
no options, so any option warning would count as a difference); the run exits 1, naming
what differed, if any answer does. ``--search-only`` measures (g) alone.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import baseline as baseline_search
from benchmarks.baseline import Answer, Baseline
from benchmarks.generate import REGIONS, Catalog, generate
from reelrights.domain.contracts import Contract, Grant
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.media import ALL_MEDIA, LEAVES, leaves_of
from reelrights.domain.terms import DateBound
from reelrights.domain.territories import COUNTRIES, WORLD, Geography, countries_of, mask_of
from reelrights.domain.titles import Catalog as TitleCatalog
from reelrights.engine import AvailsReport, AvailsRequest
from reelrights.engine.avails import Warning
from reelrights.engine.search import HELD, Hold, SearchRequest, TitleWindows
from reelrights.formats.sheet import DealSheet
from reelrights.service import RightsConflict, Service

PG_ADMIN = os.environ.get("REELRIGHTS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- comparing answers ------------------------------------------------------------------------

Piece = tuple[str, str, str, LanguageSet, int, int, tuple[str | None, str | None]]


def engine_pieces(report: AvailsReport) -> Iterable[Piece]:
    parts = [(b, (None, None)) for b in report.available]
    parts += [(u.box, (u.reason, u.contract)) for u in report.unavailable]
    for box, label in parts:
        for title in box.titles:
            for medium in leaves_of(box.media):
                for country in countries_of(box.territories):
                    yield (title, medium, country, box.languages, box.start, box.end, label)


def baseline_pieces(answer: Answer) -> Iterable[Piece]:
    for (medium, country, languages, start, end, reason, contract, _), titles in answer.items():
        for title in titles:
            yield (title, medium, country, languages, start, end, (reason, contract))


def engine_warnings(report: AvailsReport) -> Iterable[Piece]:
    return warning_pieces(report.warnings)


def warning_pieces(warnings: Iterable[Warning | Hold], key: str | None = None) -> Iterable[Piece]:
    """Warnings cut into cells, labelled (code, contract[, holder]); ``key`` (a search's
    candidate) prefixes each title, since every candidate has windows of its own."""
    for warning in warnings:
        if isinstance(warning, Hold):
            label: tuple[Any, ...] = (HELD, warning.contract)
        else:
            label = (warning.code, warning.contract)
            if warning.holder is not None:
                label = (*label, warning.holder)
        box = warning.box
        for title in box.titles:
            for medium in leaves_of(box.media):
                for country in countries_of(box.territories):
                    name = title if key is None else f"{key}/{title}"
                    yield (name, medium, country, box.languages, box.start, box.end, label)


def baseline_warnings(answer: Answer) -> Iterable[Piece]:
    for (medium, country, languages, start, end, _, _, holds), titles in answer.items():
        for hold in holds:
            for title in titles:
                label = ("held-for-negotiation", hold)
                yield (title, medium, country, languages, start, end, label)


def _by_atom(
    pieces: Iterable[Piece], tags: set[str], keyed: Callable[[Piece, str | None], Any]
) -> dict[Any, list[tuple[int, int, Any]]]:
    """The pieces' runs per key, for every language atom (each named tag, then every
    other language) the piece's languages contain, sorted."""
    out: dict[Any, list[tuple[int, int, Any]]] = defaultdict(list)
    atoms: list[str | None] = [*sorted(tags), None]
    for piece in pieces:
        languages = piece[3]
        for atom in atoms:
            if languages.contains(atom) if atom is not None else languages.negated:
                out[keyed(piece, atom)].append((piece[4], piece[5], piece[6]))
    for runs in out.values():
        runs.sort()
    return out


def canonical(pieces: Iterable[Piece], tags: set[str]) -> dict[tuple[Any, ...], list[Any]]:
    """Per (title, medium, country, language atom): the timeline of labels, merged."""
    out = _by_atom(pieces, tags, lambda p, atom: (p[0], p[1], p[2], atom))
    for key, runs in out.items():
        merged = [runs[0]]
        for run in runs[1:]:
            if run[0] == merged[-1][1] and run[2] == merged[-1][2]:
                merged[-1] = (merged[-1][0], run[1], run[2])
            else:
                merged.append(run)
        out[key] = merged
    return out


def canonical_warnings(pieces: Iterable[Piece], tags: set[str]) -> dict[tuple[Any, ...], Any]:
    """Per (title, medium, country, language atom, warning): the days it covers, merged.
    Warnings may overlap one another (two holds on one cell), so each is kept apart."""
    runs_of = _by_atom(pieces, tags, lambda p, atom: (p[0], p[1], p[2], atom, p[6]))
    out: dict[tuple[Any, ...], list[tuple[int, int]]] = {}
    for key, runs in runs_of.items():
        merged = [(runs[0][0], runs[0][1])]
        for start, end, _ in runs[1:]:
            if start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        out[key] = merged
    return out


def same_answer(report: AvailsReport, answer: Answer) -> bool:
    """The same partition, reasons and contracts, and the same hold warnings."""
    ours, theirs = list(engine_pieces(report)), list(baseline_pieces(answer))
    warned, flagged = list(engine_warnings(report)), list(baseline_warnings(answer))
    tags = {t for p in ours + theirs + warned + flagged for t in p[3].codes}
    return canonical(ours, tags) == canonical(theirs, tags) and canonical_warnings(
        warned, tags
    ) == canonical_warnings(flagged, tags)


# -- timing --------------------------------------------------------------------------------------


def timed(calls: list[Callable[[], Any]], warmup: int = 5) -> tuple[float, float, list[Any]]:
    """(median ms, p99 ms, results) over the calls, after ``warmup`` untimed ones."""
    for call in calls[:warmup]:
        call()
    times, results = [], []
    for call in calls:
        start = time.perf_counter()
        results.append(call())
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return statistics.median(times), p99, results


def questions(
    catalog: Catalog,
    rng: random.Random,
    count: int,
    media: int,
    countries: int,
    titles: Callable[[], list[str]] | None = None,
) -> list[tuple[Any, ...]]:
    out = []
    for _ in range(count):
        root = rng.choice(catalog.roots)
        year = rng.randint(2001, 2039)
        m = (
            ALL_MEDIA
            if media >= len(LEAVES)
            else sum(1 << LEAVES.index(c) for c in rng.sample(LEAVES, media))
        )
        x = WORLD if countries >= len(COUNTRIES) else mask_of(rng.sample(COUNTRIES, countries))
        out.append(
            (
                catalog.owner_of[root],
                titles() if titles else [root],
                m,
                x,
                ALL_LANGUAGES,
                date(year, 1, 1).toordinal(),
                date(year + 1, 1, 1).toordinal(),
                rng.random() < 0.3,
            )
        )
    return out


def measure(
    ours: list[Callable[[], Any]],
    theirs: list[Callable[[], Any]],
    agree: Callable[[Any, Any], bool],
    warmup: int,
    baseline_warmup: int | None = None,
) -> dict[str, Any]:
    """Both sides' medians and p99s over the same questions, and how many answers differ."""
    ours_median, ours_p99, answers = timed(ours, warmup)
    base_median, base_p99, expected = timed(
        theirs, warmup if baseline_warmup is None else baseline_warmup
    )
    mismatches = sum(not agree(a, e) for a, e in zip(answers, expected, strict=True))
    return {
        "baseline": base_median,
        "baseline_p99": base_p99,
        "reelrights": ours_median,
        "reelrights_p99": ours_p99,
        "questions": len(ours),
        "mismatches": mismatches,
        "answers": answers,
    }


def compare(
    service: Service, baseline: Baseline, specs: list[tuple[Any, ...]], warmup: int
) -> dict[str, Any]:
    requests = [AvailsRequest(q[0], frozenset(q[1]), *q[2:]) for q in specs]
    ours = [lambda r=r: service.avails(r) for r in requests]
    theirs = [lambda q=q: baseline.avails(*q) for q in specs]
    out = measure(ours, theirs, same_answer, warmup)  # the same warm-up for both
    del out["answers"]
    return out


# -- the avails search (g) --------------------------------------------------------------------


def search_specs(
    catalog: Catalog, rng: random.Random, count: int, licensor: str, n_media: int, match: str
) -> list[SearchRequest]:
    """Whole-catalog searches for ``licensor``: ``n_media`` media x one M49 region x one
    year, 30% exclusive."""
    out = []
    geo = Geography(catalog.territory_groups)
    for _ in range(count):
        year = rng.randint(2001, 2039)
        out.append(
            SearchRequest(
                licensor,
                sum(1 << LEAVES.index(c) for c in rng.sample(LEAVES, n_media)),
                geo.code(rng.choice(REGIONS)),
                ALL_LANGUAGES,
                date(year, 1, 1).toordinal(),
                date(year + 1, 1, 1).toordinal(),
                rng.random() < 0.3,
                match,
                90 if match == "min-days" else 1,
            )
        )
    return out


def search_answer(
    found: list[TitleWindows],
) -> dict[str, tuple[list[tuple[int, int]], list[Piece]]]:
    """{candidate: (windows, warnings cut into cells)} of an engine search."""
    return {
        t.title: (
            [(w.start, w.end) for w in t.windows],
            list(warning_pieces(t.warnings, key=t.title)),
        )
        for t in found
    }


def same_search(
    ours: dict[str, tuple[list[tuple[int, int]], list[Piece]]],
    theirs: dict[str, tuple[list[tuple[int, int]], list[baseline_search.HoldPiece]]],
) -> bool:
    """The same titles with the same windows, and the same warnings (holds and options)
    on the same cells, languages and days."""
    if {t: w for t, (w, _) in ours.items()} != {t: w for t, (w, _) in theirs.items()}:
        return False
    warned = [p for _, pieces in ours.values() for p in pieces]
    flagged: list[Piece] = [
        (f"{candidate}/{t}", medium, country, atom, s, e, (HELD, hold))
        for candidate, (_, holds) in theirs.items()
        for t, medium, country, atom, s, e, hold in holds
    ]
    tags = {t for p in warned + flagged for t in p[3].codes}
    return canonical_warnings(warned, tags) == canonical_warnings(flagged, tags)


def compare_search(
    service: Service, baseline: Baseline, specs: list[SearchRequest], warmup: int
) -> dict[str, Any]:
    among = service.search_candidates()
    ours = [lambda r=r: service.search(r) for r in specs]
    theirs = [
        lambda r=r: baseline_search.search(
            baseline,
            r.licensor,
            among,
            r.media,
            r.territories,
            r.languages,
            r.start,
            r.end,
            r.exclusive,
            r.match,
            r.min_days,
        )
        for r in specs
    ]
    out = measure(
        ours,
        theirs,
        lambda answer, wanted: same_search(search_answer(answer.titles), wanted),
        warmup,
        baseline_warmup=min(warmup, 1),  # a baseline search takes seconds
    )
    answers = out.pop("answers")
    out["titles_found"] = sum(len(a.titles) for a in answers) / max(1, len(specs))
    out["warnings_found"] = sum(len(t.warnings) for a in answers for t in a.titles) / max(
        1, len(specs)
    )
    out["candidates"] = len(among)
    return out


def biggest_studio(catalog: Catalog) -> str:
    """The studio that owns the most films and series."""
    owned: dict[str, int] = defaultdict(int)
    for root in catalog.roots:
        owned[catalog.owner_of[root]] += 1
    return max(owned, key=lambda s: owned[s])


def bench_search(
    service: Service, baseline: Baseline, catalog: Catalog, rng: random.Random, count: int
) -> dict[str, Any]:
    biggest = biggest_studio(catalog)
    cover = search_specs(catalog, rng, count, biggest, 1, "cover")
    min_days = search_specs(catalog, rng, count, biggest, 3, "min-days")
    return {
        "cover": compare_search(service, baseline, cover, warmup=3),
        "min_days": compare_search(service, baseline, min_days, warmup=3),
    }


# -- index memory, in a fresh process ----------------------------------------------------------

MEMORY_PROBE = """
import gc, sys, tracemalloc
from reelrights.service import Service
service = Service(sys.argv[1])
gc.collect()
tracemalloc.start()
service.warm()
gc.collect()
print(tracemalloc.get_traced_memory()[0])
"""


def index_bytes(path: str) -> int:
    """Live bytes of an index built from the store (not mapped from a saved file)."""
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, path],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "REELRIGHTS_INDEX": "off"},
    )
    return int(out.stdout.strip().splitlines()[-1])


# -- the first answer of a fresh CLI process (f) ------------------------------------------------


def cli_environment(bytecode: Path, index: str) -> dict[str, str]:
    """The environment of a timed ``reelrights`` process: Python caches the compiled
    modules (in ``bytecode``, outside the repository) as it does by default, even where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on the development machines): an installed
    reelrights has its modules compiled when it is installed, and a process that compiles
    every module it imports would time the compiler, not reelrights."""
    env = {**os.environ, "REELRIGHTS_INDEX": index, "PYTHONPYCACHEPREFIX": str(bytecode)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def cli(*args: str, bytecode: Path, index: str = "auto") -> tuple[float, str, float]:
    """(wall seconds, stdout, CPU seconds) of one ``reelrights`` process. The CPU time
    (user + system, of the child alone) does not grow with the machine's load the way
    the wall time does: on a shared machine it says what the process itself costs."""
    program = Path(sys.executable).with_name("reelrights")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(
        [str(program), *args],
        capture_output=True,
        text=True,
        check=True,
        env=cli_environment(bytecode, index),
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, out.stdout, cpu


def first_answers(
    store: str, catalog: Catalog, root: str, runs: int = 5, rebuilt_runs: int = 5
) -> dict[str, Any]:
    """Median wall time of ``runs`` fresh ``reelrights avails`` processes answering one
    question about ``root``, starting from the saved index and rebuilding from the store;
    and of ``reelrights --help`` (the CLI's bare start-up). Both ways must answer alike."""
    question = (
        "avails",
        "--db",
        store,
        "--licensor",
        catalog.owner_of[root],
        "--title",
        root,
        "--media",
        "SVOD,PAY_TV,EST",
        "--territory",
        "FR,DE,JP,BR,US",
        "--start",
        "2021-01-01",
        "--end",
        "2021-12-31",
        "--json",
    )
    bytecode = Path(store).with_name("bytecode")
    cli("--help", bytecode=bytecode)  # compiles and caches the modules, untimed
    start = [cli("--help", bytecode=bytecode) for _ in range(runs)]
    cli(*question, bytecode=bytecode)  # makes sure the index is saved (the import did)
    persisted = [cli(*question, bytecode=bytecode) for _ in range(runs)]
    rebuilt = [cli(*question, bytecode=bytecode, index="off") for _ in range(rebuilt_runs)]
    answers = {out for _, out, _ in persisted} | {out for _, out, _ in rebuilt}
    return {
        "cli_start_s": statistics.median(t for t, _, _ in start),
        "first_answer_s": {
            "persisted": statistics.median(t for t, _, _ in persisted),
            "rebuilt": statistics.median(t for t, _, _ in rebuilt),
        },
        "cli_start_cpu_s": statistics.median(c for _, _, c in start),
        "first_answer_cpu_s": {
            "persisted": statistics.median(c for _, _, c in persisted),
            "rebuilt": statistics.median(c for _, _, c in rebuilt),
        },
        "first_answer_load_average": os.getloadavg(),
        "first_answer_runs": {"persisted": runs, "rebuilt": rebuilt_runs},
        "first_answer_differences": len(answers) - 1,
    }


# -- writes ---------------------------------------------------------------------------------------


def write_workload(
    catalog: Catalog, rng: random.Random, pairs: int
) -> tuple[list[Contract], list[Contract]]:
    """Two writers' contract streams: pair i is the same exclusive right sold twice (one
    to each writer); exactly one of each pair may win."""
    first, second = [], []
    for i in range(pairs):
        root = rng.choice(catalog.roots[:200])
        start = date(rng.randint(2041, 2060), 1, 1)
        grant = Grant(
            (root,),
            sum(1 << LEAVES.index(c) for c in rng.sample(LEAVES, 3)),
            mask_of(rng.sample(COUNTRIES, 10)),
            ALL_LANGUAGES,
            DateBound(start),
            DateBound(date(start.year + 2, 12, 31)),
            True,
        )
        for stream, writer in ((first, "a"), (second, "b")):
            stream.append(
                Contract(
                    f"race-{i:05d}-{writer}",
                    catalog.owner_of[root],
                    f"platform-{rng.randint(0, 99):03d}",
                    grants=(grant,),
                )
            )
    return first, second


def _writer(
    kind: str, where: str, titles: list[Any], contracts: list[Contract], barrier: Any, results: Any
) -> None:
    wins = []
    if kind == "reelrights":
        service = Service(where, actor="bench")
        service.warm()
        barrier.wait()
        start = time.perf_counter()
        for contract in contracts:
            try:
                service.load_sheets([DealSheet("write", contracts=[contract])])
                wins.append(contract.id)
            except RightsConflict:
                pass
        service.close()
    else:
        baseline = Baseline(where, TitleCatalog(titles))
        baseline.codes = {t: i for i, t in enumerate(sorted(baseline.catalog.titles))}
        barrier.wait()
        start = time.perf_counter()
        for contract in contracts:
            if baseline.execute(contract):
                wins.append(contract.id)
        baseline.close()
    results.put((time.perf_counter() - start, wins))


def race(
    kind: str, where: str, catalog: Catalog, streams: tuple[list[Contract], ...]
) -> tuple[float, int]:
    """(executions per second, double sales) for two concurrent writer processes."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(streams))
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_writer, args=(kind, where, catalog.titles, s, barrier, results))
        for s in streams
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = max(t for t, _ in outcomes)
    wins = {w for _, ws in outcomes for w in ws}
    pairs = {w.rsplit("-", 1)[0] for w in wins}
    doubles = len(wins) - len(pairs)
    attempts = sum(len(s) for s in streams)
    return attempts / elapsed, doubles


def write_setup(catalog: Catalog) -> tuple[list[Any], list[Contract]]:
    """The write benchmark's base: the catalog's first 200 films and series, owned."""
    roots = set(catalog.roots[:200])
    owned = [c for c in catalog.ownerships if c.grants[0].titles[0] in roots]
    return catalog.titles, owned


def bench_writes(
    catalog: Catalog, workdir: Path, pairs: int, postgres: bool
) -> tuple[dict[str, dict[str, float]], int]:
    rng = random.Random(7)
    streams = write_workload(catalog, rng, pairs)
    titles, owned = write_setup(catalog)
    out: dict[str, dict[str, float]] = {}
    doubles = 0
    size = len(catalog.licenses)
    targets = [("sqlite", lambda name: str(workdir / f"{name}-{size}.db"))]
    databases: list[str] = []
    if postgres:

        def pg(name: str) -> str:
            db = f"reelrights_bench_{name}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{db}"')
            databases.append(db)
            return PG_ADMIN.rsplit("/", 1)[0] + "/" + db

        targets.append(("postgresql", pg))
    try:
        for label, make in targets:
            ours = make("writes_reelrights")
            service = Service(ours, actor="bench")
            service.load_sheets(
                [DealSheet("base", parties=catalog.parties, titles=titles, contracts=owned)]
            )
            service.close()
            base = make("writes_baseline")
            baseline = Baseline(base, TitleCatalog(titles))
            baseline.create()
            baseline.load(owned)
            baseline.close()
            log(f"  writes on {label}…")
            base_rate, base_doubles = race("baseline", base, catalog, streams)
            our_rate, our_doubles = race("reelrights", ours, catalog, streams)
            out[label] = {"baseline": base_rate, "reelrights": our_rate}
            doubles += our_doubles
            if base_doubles:
                log(f"  the baseline sold {base_doubles} rights twice on {label}")
    finally:
        if databases:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                for db in databases:
                    admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return out, doubles


# -- the run ---------------------------------------------------------------------------------


PARTS = ("a", "b", "c", "d", "e", "f", "g")


def stored(path: Path, reuse: bool, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """What ``build`` made at ``path`` (a database) and reported; with ``reuse``, a
    database an earlier run finished there is kept and its report read back (the report
    is written beside it last, so a run killed midway leaves nothing to reuse)."""
    done = path.with_name(path.name + ".done.json")
    if reuse and done.exists() and path.exists():
        log(f"  reusing {path}")
        found: dict[str, Any] = json.loads(done.read_text())
        return found
    done.unlink(missing_ok=True)
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    report = build()
    done.write_text(json.dumps(report))
    return report


def run(
    n: int,
    queries: int,
    pairs: int,
    postgres: bool,
    workdir: Path,
    parts: frozenset[str] = frozenset(PARTS),
    rebuilt_runs: int = 5,
    reuse: bool = False,
) -> dict[str, Any]:
    rng = random.Random(n)
    log(f"generating {n:,} licenses…")
    catalog = generate(n)
    contracts = catalog.contracts
    store = str(workdir / f"reelrights-{n}.db")
    asked = rng.choice(catalog.roots)  # (f)'s title, drawn first whatever parts are run

    def load() -> dict[str, Any]:
        log("loading reelrights (checked, through the service)…")
        started = time.perf_counter()
        importer = Service(store, actor="bench")
        importer.load_sheets([catalog.sheet(contracts)])
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        importer.close()  # waits for the index being saved in the background
        return {"import_s": import_s, "index_save_s": time.perf_counter() - started}

    imported = stored(Path(store), reuse, load)
    out: dict[str, Any] = {
        "licenses": n,
        "titles": len(catalog.titles),
        "contracts": len(contracts),
        "parts": "".join(sorted(parts)),
        "import_s": imported["import_s"],
        "index_save_s": imported["index_save_s"],
    }
    service: Service | None = None
    if parts & {"a", "b", "c", "e", "g"}:
        log("loading the index from the store…")
        before = os.environ.get("REELRIGHTS_INDEX")
        os.environ["REELRIGHTS_INDEX"] = "off"  # (e) measures the build from the store
        try:
            started = time.perf_counter()
            service = Service(store, actor="bench")
            service.warm()
            out["load_s"] = time.perf_counter() - started
        finally:
            os.environ["REELRIGHTS_INDEX"] = before or "auto"
    if "f" in parts:
        log("(f) the first answer of fresh CLI processes…")
        out.update(first_answers(store, catalog, asked, rebuilt_runs=rebuilt_runs))
    if "e" in parts:
        out["index_bytes_per_license"] = index_bytes(store) / n
    baseline: Baseline | None = None
    if service is not None and parts & {"a", "b", "c", "g"}:
        where = workdir / f"baseline-{n}.db"

        def build() -> dict[str, Any]:
            log("building the baseline…")
            started = time.perf_counter()
            built = Baseline(str(where), TitleCatalog(catalog.titles))
            built.create()
            cells = built.load(contracts)
            built.close()
            return {"baseline_cells": cells, "baseline_build_s": time.perf_counter() - started}

        out.update(stored(where, reuse, build))
        baseline = Baseline(str(where), TitleCatalog(catalog.titles))
        baseline.reopen()
    if service is not None and baseline is not None:
        if "g" in parts:
            log("(g) avails searches…")
            out["search_ms"] = bench_search(
                service, baseline, catalog, random.Random(n + 1), max(5, queries // 10)
            )
        if "a" in parts:
            log("(a) single questions…")
            out["single_ms"] = compare(
                service, baseline, questions(catalog, rng, queries, 5, 40), warmup=20
            )
        if "b" in parts:
            log("(b) whole-catalog reports…")
            every = sorted(t.id for t in catalog.titles if t.kind != "collection")
            specs = questions(catalog, rng, 5, 1, 1, titles=lambda: every)
            biggest = biggest_studio(catalog)
            specs = [(biggest, *spec[1:]) for spec in specs]
            report = compare(service, baseline, specs, warmup=1)
            out["report_s"] = {
                k: (
                    v / 1000
                    if k in ("baseline", "baseline_p99", "reelrights", "reelrights_p99")
                    else v
                )
                for k, v in report.items()
            }
        if "c" in parts:
            log("(c) grids…")
            out["grid_ms"] = compare(
                service, baseline, questions(catalog, rng, max(5, queries // 20), 20, 249), warmup=2
            )
    if "d" in parts:
        log("(d) concurrent writes…")
        out["writes_per_s"], out["double_sales"] = bench_writes(catalog, workdir, pairs, postgres)
    if service is not None:
        service.close()
    if baseline is not None:
        baseline.close()
    out["load_average"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return out


def ratio(part: dict[str, float]) -> str:
    return f"{part['baseline'] / part['reelrights']:.1f}x" if part["reelrights"] else "-"


def search_table(result: dict[str, Any]) -> list[str]:
    lines = []
    for key, name in (("cover", "1 medium x 1 region x 1 year"), ("min_days", "3 media, min 90 d")):
        part = result["search_ms"][key]
        lines.append(
            f"(g) search {name:28} {part['baseline']:12.4f} {part['reelrights']:12.4f} "
            f"{ratio(part):>8}   p99 {part['baseline_p99']:.1f} / {part['reelrights_p99']:.1f} ms;"
            f" {part['titles_found']:.0f} of {part['candidates']:,} titles found"
            f" ({part['warnings_found']:.0f} warnings);"
            f" {part['mismatches']} of {part['questions']} answers differ"
        )
    return lines


def heading(result: dict[str, Any]) -> str:
    cells = result.get("baseline_cells")
    return (
        f"licenses: {result['licenses']:,}   titles: {result['titles']:,}   "
        f"contracts: {result['contracts']:,}   baseline cell rows: "
        f"{'-' if cells is None else f'{cells:,}'}   load average: {result['load_average']}"
        f"   parts: {result['parts']}"
    )


def table(result: dict[str, Any]) -> str:
    """The measured parts of one run, as text."""
    rows = []
    compared = [result[k] for k in ("single_ms", "report_s", "grid_ms") if k in result]
    if "single_ms" in result:
        s = result["single_ms"]
        rows += [
            ("(a) one question, median ms", s["baseline"], s["reelrights"], ratio(s)),
            ("(a) one question, p99 ms", s["baseline_p99"], s["reelrights_p99"], ""),
        ]
    if "report_s" in result:
        r = result["report_s"]
        rows.append(
            ("(b) whole-catalog report, median s", r["baseline"], r["reelrights"], ratio(r))
        )
    if "grid_ms" in result:
        g = result["grid_ms"]
        rows += [
            ("(c) grid of one title, median ms", g["baseline"], g["reelrights"], ratio(g)),
            ("(c) grid of one title, p99 ms", g["baseline_p99"], g["reelrights_p99"], ""),
        ]
    for db, w in result.get("writes_per_s", {}).items():
        rows.append(
            (
                f"(d) executions/s, 2 writers, {db}",
                w["baseline"],
                w["reelrights"],
                f"{w['reelrights'] / w['baseline']:.1f}x",
            )
        )
    lines = [heading(result)]
    if rows:
        lines.append(f"{'measure':42} {'baseline':>12} {'reelrights':>12} {'ratio':>8}")
    for name, base, ours, how in rows:
        lines.append(f"{name:42} {base:12.4f} {ours:12.4f} {how:>8}")
    if compared:
        lines.append(
            f"answers differing from the baseline: {sum(c['mismatches'] for c in compared)} of "
            f"{sum(c['questions'] for c in compared)}"
        )
    if "double_sales" in result:
        lines.append(f"double sales: {result['double_sales']}")
    if "search_ms" in result:
        lines += search_table(result)
    if "load_s" in result:
        memory = result.get("index_bytes_per_license")
        lines.append(
            f"(e) index load from the store: {result['load_s']:.1f} s"
            + ("" if memory is None else f";   index memory: {memory:.0f} bytes per license")
        )
    imported = result["import_s"]
    lines.append(
        f"    checked import through the service: {imported:.1f} s"
        + (
            ""
            if "baseline_build_s" not in result
            else f";   baseline build: {result['baseline_build_s']:.1f} s"
        )
    )
    if "first_answer_s" in result:
        wall, cpu = result["first_answer_s"], result["first_answer_cpu_s"]
        lines.append(
            f"(f) first answer of a fresh CLI process: {wall['persisted']:.2f} s from the saved "
            f"index, {wall['rebuilt']:.2f} s rebuilding "
            f"(CLI start-up {result['cli_start_s']:.2f} s; "
            f"index saved in {result['index_save_s']:.1f} s); CPU time of those processes: "
            f"{cpu['persisted']:.2f} s, {cpu['rebuilt']:.2f} s, start-up "
            f"{result['cli_start_cpu_s']:.2f} s (load average "
            f"{result['first_answer_load_average'][0]:.1f})"
        )
    return "\n".join(lines)


def failures(results: list[dict[str, Any]]) -> list[str]:
    """What makes a run fail: any answer that differs from the baseline's (windows and
    warnings, for searches), a right sold twice, fresh processes answering differently."""
    out = []
    for r in results:
        parts = {k: r[k] for k in ("single_ms", "report_s", "grid_ms") if k in r}
        parts.update({f"search {k}": v for k, v in r.get("search_ms", {}).items()})
        for name, part in parts.items():
            if part["mismatches"]:
                out.append(
                    f"{r['licenses']:,} licenses, {name}: {part['mismatches']} of "
                    f"{part['questions']} answers differ from the baseline"
                )
        if r.get("double_sales"):
            out.append(f"{r['licenses']:,} licenses: {r['double_sales']} rights sold twice")
        if r.get("first_answer_differences"):
            out.append(f"{r['licenses']:,} licenses: fresh processes answered differently")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.avails",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--licenses", default="100000", help="licenses to generate; a comma list runs each size (f)"
    )
    parser.add_argument("--queries", type=int, default=200, help="single questions to time")
    parser.add_argument(
        "--pairs", type=int, default=200, help="contested sales per writer in the write benchmark"
    )
    parser.add_argument(
        "--no-postgres", action="store_true", help="skip the PostgreSQL write benchmark"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--search-only", action="store_true", help="measure only the avails search (g)"
    )
    parser.add_argument(
        "--only",
        help="measure only these parts, a comma list of a-g (e.g. 'f', or 'a,e,f'); the "
        "default is all of them",
    )
    parser.add_argument(
        "--rebuilt-runs",
        type=int,
        default=5,
        help="(f) fresh processes that rebuild the index from the store (each takes about a "
        "minute at 1M licenses); the median of 5 is the default",
    )
    parser.add_argument("--workdir", help="where to put the databases (default: a temp dir)")
    parser.add_argument(
        "--reuse-book",
        action="store_true",
        help="keep the databases in --workdir itself and reuse the book and the baseline an "
        "earlier run of the same size finished there (the catalog is generated the same)",
    )
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.licenses.split(",")]
    if args.search_only:
        parts = frozenset("g")
    elif args.only:
        parts = frozenset(p.strip().lower() for p in args.only.split(","))
        if not parts <= set(PARTS):
            parser.error(f"--only: parts are {', '.join(PARTS)}")
    else:
        parts = frozenset(PARTS)
    if args.reuse_book and not args.workdir:
        parser.error("--reuse-book needs --workdir")
    results = []
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        where = Path(args.workdir) if args.reuse_book else Path(tmp)
        for n in sizes:
            results.append(
                run(
                    n,
                    args.queries,
                    args.pairs,
                    not args.no_postgres,
                    where,
                    parts,
                    args.rebuilt_runs,
                    args.reuse_book,
                )
            )
            if not args.json:
                print(table(results[-1]), flush=True)
                print(flush=True)
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, indent=2))
    elif len(results) > 1 and {"a", "b"} <= parts:
        print("growth (f)")
        print(
            f"{'licenses':>10} {'(a) ours ms':>12} {'(a) base ms':>12} {'(b) ours s':>12} "
            f"{'(b) base s':>12}"
        )
        for r in results:
            print(
                f"{r['licenses']:>10,} {r['single_ms']['reelrights']:12.4f} "
                f"{r['single_ms']['baseline']:12.4f} {r['report_s']['reelrights']:12.4f} "
                f"{r['report_s']['baseline']:12.4f}"
            )
    problems = failures(results)
    for problem in problems:
        log(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
