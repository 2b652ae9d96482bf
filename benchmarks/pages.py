"""Every main page of the web UI, timed on the server at catalog size.

    .venv/bin/python -m benchmarks.pages --licenses 100000

loads a generated book (``benchmarks/generate.py``, fixed seed) of N licenses through the
service, signs in with an admin key and asks each main page of the UI (home, catalog,
contracts list, change log, title page, grid, search, the *Can I sell* answer, the deal
form), plus the heavier variants a person meets (a deep page, a sort on a computed column,
filters, an export of a filtered list), ``--repeat`` times each after a warm-up. A page's
time is the whole request in-process (routing, the service, SQL, the template, gzip),
without the network. The target is under 300 ms for every page (median); the slowest
pages are listed first.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from benchmarks.generate import generate
from reelrights.service import Service
from reelrights.web.app import create_site

TARGET_MS = 300.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pages_of(n: int, film: str, series: str, owner: str, platform: str) -> list[tuple[str, str]]:
    """(name, URL) of every page timed."""
    return [
        ("home", "/ui/home"),
        ("catalog", "/ui/"),
        ("catalog: search 'series 12'", "/ui/?q=series+12"),
        ("catalog: episodes of an owner", f"/ui/?kind=episode&owner={owner}"),
        ("contracts list", "/ui/contracts"),
        ("contracts: sorted by titles, descending", "/ui/contracts?sort=titles&order=desc"),
        ("contracts: sorted by end", "/ui/contracts?sort=end"),
        (
            "contracts: SVOD in Hong Kong, in force 2016",
            "/ui/contracts?media=SVOD&territories=HK&active_from=2016-01-01&active_to=2016-12-31",
        ),
        ("contracts: a licensee, by fee", f"/ui/contracts?licensee={platform}&sort=fee&order=desc"),
        ("contracts: a title", f"/ui/contracts?title={film}"),
        ("contracts: a deep page (200 a page)", f"/ui/contracts?size=200&offset={max(0, n - 400)}"),
        ("contracts export (CSV) of a licensee", f"/ui/contracts.csv?licensee={platform}"),
        ("change log", "/ui/changes"),
        ("change log: a deep page", f"/ui/changes?offset={max(0, n - 100)}"),
        (
            "change log: one action, a day range",
            "/ui/changes?action=create&since=2000-01-01&until=2100-01-01",
        ),
        ("title page (film)", f"/ui/titles/{film}"),
        ("title page (series)", f"/ui/titles/{series}"),
        ("grid (one title, a year)", f"/ui/grid?title={film}&start=2016-01-01&end=2016-12-31"),
        ("search", "/ui/search?media=SVOD&territories=LATAM&start=2016-01-01&end=2016-12-31"),
        ("can I sell (ask)", f"/ui/ask?q={film}+SVOD+Hong+Kong+2016"),
        ("deal form", "/ui/contracts/new"),
    ]  # fmt: skip


def load(service: Service, catalog: Any) -> None:
    service.load_sheets([catalog.sheet()])


def run(n: int, repeat: int, workdir: Path) -> dict[str, Any]:
    log(f"generating {n:,} licenses…")
    catalog = generate(n)
    db = workdir / f"pages-{n}.db"
    loaded = db.exists()  # kept from an earlier run with --keep: the same generated book
    service = Service(str(db), actor="bench")
    if not loaded:
        log("loading through the service…")
        load(service, catalog)
    log("building the index…")
    service.warm()
    return measure(service, catalog, n, repeat)


def measure(service: Service, catalog: Any, n: int, repeat: int) -> dict[str, Any]:
    film = next(t.id for t in catalog.titles if t.kind == "film")
    series = next(t.id for t in catalog.titles if t.kind == "series")
    owner = catalog.owner_of[series]
    platform = next(c.licensee for c in catalog.licenses if c.licensee.startswith("platform"))
    browser = TestClient(create_site(service), base_url="https://127.0.0.1")
    signed = browser.post("/ui/login", data={"key": service.create_key("admin")[1]})
    assert signed.status_code == 200 or signed.is_redirect or signed.history
    rows = []
    for name, url in pages_of(n, film, series, owner, platform):
        first = time.perf_counter()
        answer = browser.get(url)
        cold = (time.perf_counter() - first) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"{url}: {answer.status_code} {answer.text[:300]}")
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            browser.get(url)
            times.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "page": name,
                "url": url,
                "first_ms": round(cold, 1),
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
                "bytes": len(answer.content),
            }
        )
        log(f"{name}: {rows[-1]['median_ms']} ms")
    service.close()
    rows.sort(key=lambda r: -r["median_ms"])
    return {"licenses": n, "contracts": len(catalog.contracts), "repeat": repeat, "pages": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licenses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--workdir",
        "--keep",
        dest="keep",
        help="a folder to keep the loaded book in, reused by the next run",
    )
    args = parser.parse_args(argv)
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        result = run(args.licenses, args.repeat, Path(args.keep))
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = run(args.licenses, args.repeat, Path(folder))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['licenses']:,} licenses ({result['contracts']:,} contracts), slowest first")
        print("| page | median | max | first request |")
        print("| --- | ---: | ---: | ---: |")
        for r in result["pages"]:
            print(f"| {r['page']} | {r['median_ms']} ms | {r['max_ms']} ms | {r['first_ms']} ms |")
    return 0 if all(r["median_ms"] < TARGET_MS for r in result["pages"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
