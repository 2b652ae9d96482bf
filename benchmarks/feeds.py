"""The Avails feed benchmark: import a large generated feed, in time and in memory.

    python -m benchmarks.feeds --transactions 100000[,10000] [--xlsx] [--postgres] [--json]

Writes a deterministic Avails 2.7 XML feed (or an EMA 1.9 workbook with ``--xlsx``) of the
given number of transactions: films from ten studios, each offered to a few of twenty
retailers for EST and TVOD non-exclusively and once for SVOD exclusively, in varied
territories and languages. Each size is imported into a fresh database by a process of its
own, which reports the wall time and its peak resident memory; the table compares sizes,
so memory per transaction shows whether memory stays bounded. The import is the product's
real one: every Avail is checked (XSD, rules, codes) and every contract against the book.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from reelrights.formats import mddf
from reelrights.formats.mddf.model import Asset, Avail, Term, Transaction

STUDIOS = [f"Studio {n}" for n in range(10)]
RETAILERS = [f"Retailer {n}" for n in range(20)]
COUNTRIES = ["US", "CA", "GB", "FR", "DE", "ES", "IT", "NL", "SE", "JP", "KR", "BR", "MX", "AU"]
LANGUAGES = ["en", "fr", "de", "es", "it", "ja", "ko", "pt"]


def generate(transactions: int, seed: int = 7) -> list[Avail]:
    """Avails with about ``transactions`` transactions in all (3 per Avail)."""
    rng = random.Random(seed)
    avails: list[Avail] = []
    count = 0
    film = 0
    while count < transactions:
        film += 1
        studio = STUDIOS[film % len(STUDIOS)]
        asset = Asset(
            f"md:cid:org:bench:{film}", "Movie", name=f"Film {film}", year=1980 + film % 45
        )
        for retailer in rng.sample(RETAILERS, 2):
            items = []
            for license_type in ("EST", "VOD", "SVOD"):
                if count >= transactions:
                    break
                count += 1
                exclusive = license_type == "SVOD" and retailer == RETAILERS[film % 20]
                territories = (
                    [COUNTRIES[film % len(COUNTRIES)]]
                    if exclusive
                    else rng.sample(COUNTRIES, rng.randint(1, 5))
                )
                if license_type == "SVOD" and not exclusive:
                    territories = [c for c in territories if c != COUNTRIES[film % len(COUNTRIES)]]
                    territories = territories or ["ZA"]
                items.append(
                    Transaction(
                        f"{film}-{retailer[-2:].strip()}-{license_type}",
                        license_type,
                        territories=territories,
                        start=f"20{10 + film % 10}-01-01T00:00:00",
                        end_condition="Open",
                        allowed=rng.sample(LANGUAGES, rng.randint(1, 3)),
                        exclusive=exclusive,
                        terms=[
                            Term("WSP", "Money", f"{rng.randint(3, 20)}.99", {"currency": "USD"})
                        ],
                        kept=[],
                    )
                )
            if items:
                avails.append(
                    Avail(
                        alid=f"md:alid:org:bench:{film}",
                        entry_type="Full Extract",
                        licensor=studio,
                        avail_type="single",
                        service_provider=retailer,
                        short_description="benchmark feed",
                        assets=[asset],
                        transactions=items,
                    )
                )
    return avails


def write_feed(transactions: int, folder: Path, xlsx: bool) -> Path:
    avails = generate(transactions)
    if xlsx:
        path = folder / f"feed-{transactions}.xlsx"
        path.write_bytes(mddf.render_xlsx(avails))
    else:
        path = folder / f"feed-{transactions}.xml"
        text, dropped = mddf.render_xml(avails, "2.7")
        assert not dropped, dropped[:3]
        path.write_bytes(text)
    return path


def _peak_bytes() -> int:
    """This process's peak resident memory. VmHWM starts afresh at exec; ru_maxrss does
    not (a child forked from a big parent would report the parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child(feed: str, db: str) -> None:
    """Import one feed (in a process of its own, so its peak memory is its own)."""
    from reelrights.service import Service

    service = Service(db)
    started = time.perf_counter()
    result = service.import_feeds([feed])
    seconds = time.perf_counter() - started
    peak = _peak_bytes()
    print(json.dumps({"seconds": seconds, "peak_bytes": peak, **result.to_json()}))


def run(sizes: list[int], xlsx: bool, postgres: str | None) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            started = time.perf_counter()
            feed = write_feed(size, Path(folder), xlsx)
            written = time.perf_counter() - started
            db = postgres or str(Path(folder) / f"book-{size}.db")
            if postgres:
                from reelrights.store.repository import Store

                store = Store(postgres)
                store.reset()
                store.close()
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.feeds", "--child", str(feed), db],
                capture_output=True,
                text=True,
                check=True,
            )
            report = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(
                {
                    "transactions": report["transactions"],
                    "avails": report["avails"],
                    "feed_mb": round(feed.stat().st_size / 1e6, 1),
                    "written_s": round(written, 1),
                    "import_s": round(report["seconds"], 1),
                    "per_second": round(report["transactions"] / report["seconds"]),
                    "peak_mb": round(report["peak_bytes"] / 1e6),
                    "kb_per_transaction": round(
                        report["peak_bytes"] / report["transactions"] / 1e3, 2
                    ),
                    "contracts": report["contracts"]["created"],
                    "titles": report["titles"],
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", default="100000", help="sizes, comma separated")
    parser.add_argument("--xlsx", action="store_true", help="an EMA workbook instead of XML")
    parser.add_argument("--postgres", metavar="URL", help="import into this PostgreSQL database")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    rows = run([int(s) for s in args.transactions.split(",")], args.xlsx, args.postgres)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    columns = list(rows[0])
    print(" | ".join(columns))
    print(" | ".join("---" for _ in columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))


if __name__ == "__main__":
    main()
