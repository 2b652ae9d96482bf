"""``reelrights demo``: a fresh database with the news deals and a generated catalog, then a
short tour of avails questions.

The generated catalog is deterministic (a fixed seed) and conflict-free by construction:
each title's world is cut into slots (a region × a media group), every license takes a
slot of its own, sublicenses stay inside their parent's slot and term, and holdbacks only
touch media that are never licensed (PHYSICAL).

The change log tells a story too: the catalog and the ownership records are recorded on
:data:`CATALOG_RECORDED`, and each news deal on the day it was signed, so ``--as-of`` can
ask what was available before a deal was known (docs/semantics.md rule 12).
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from reelrights.cli.common import print_report, progress_bar
from reelrights.cli.demo_money import show_money
from reelrights.domain.problems import InvalidInput
from reelrights.service import Acting, RightsConflict, Service

DEMO_ACTOR = "reelrights demo"
DEFAULT_DEMO_DB = "reelrights-demo.db"
CATALOG_RECORDED = datetime(2013, 1, 2, 9, 0, tzinfo=UTC)  # before the first news deal

REGIONS = (
    "EASTERN_ASIA",
    "SOUTH_EASTERN_ASIA",
    "SOUTHERN_ASIA",
    "WESTERN_EUROPE",
    "NORTHERN_EUROPE",
    "SOUTHERN_EUROPE",
    "EASTERN_EUROPE",
    "NORTHERN_AMERICA",
    "LATIN_AMERICA_AND_THE_CARIBBEAN",
    "AUSTRALIA_AND_NEW_ZEALAND",
    "WESTERN_ASIA",
    "AFRICA",
)
REGION_COUNTRIES = {
    "EASTERN_ASIA": ["JP", "KR", "HK", "TW"],
    "SOUTH_EASTERN_ASIA": ["SG", "TH", "VN", "PH"],
    "SOUTHERN_ASIA": ["IN", "PK", "BD"],
    "WESTERN_EUROPE": ["FR", "DE", "NL", "BE"],
    "NORTHERN_EUROPE": ["GB", "SE", "NO", "DK"],
    "SOUTHERN_EUROPE": ["IT", "ES", "PT", "GR"],
    "EASTERN_EUROPE": ["PL", "CZ", "HU", "RO"],
    "NORTHERN_AMERICA": ["US", "CA"],
    "LATIN_AMERICA_AND_THE_CARIBBEAN": ["BR", "MX", "AR", "CO"],
    "AUSTRALIA_AND_NEW_ZEALAND": ["AU", "NZ"],
    "WESTERN_ASIA": ["TR", "AE", "SA", "IL"],
    "AFRICA": ["ZA", "NG", "EG", "KE"],
}
MEDIA_SLOTS = (["STREAMING"], ["TELEVISION"], ["EST", "TVOD"], ["THEATRICAL"])
STUDIOS = (
    "northlight-studios",
    "harbor-pictures",
    "red-lantern-films",
    "blue-meridian",
    "silverline-media",
    "k-wave-studios",
    "andes-cinema",
    "saffron-screen",
)
PLATFORMS = (
    "streamly",
    "vidora",
    "nimbus-tv",
    "kanal-eins",
    "sol-streaming",
    "aurora-play",
    "pacific-vod",
    "lumen-tv",
    "maple-media",
    "sahara-screens",
    "boreal-stream",
    "delta-broadcast",
    "orbit-play",
    "cedar-tv",
    "monsoon-media",
    "tundra-vod",
)
WORDS = (
    "Silent",
    "Crimson",
    "River",
    "Night",
    "Glass",
    "Empire",
    "Winter",
    "Last",
    "Golden",
    "Harbor",
    "Storm",
    "Paper",
    "Iron",
    "Hidden",
    "Broken",
    "Summer",
    "Northern",
    "Lost",
    "Electric",
    "Quiet",
    "Falling",
    "Burning",
    "Distant",
    "Secret",
    "Wild",
    "Second",
)
NOUNS = (
    "Garden",
    "Line",
    "Road",
    "Kingdom",
    "Signal",
    "Heart",
    "City",
    "Tide",
    "Promise",
    "Frontier",
    "Letter",
    "Machine",
    "Island",
    "Witness",
    "Season",
    "Crossing",
    "Echo",
)


def _name(rng: random.Random) -> str:
    return f"The {rng.choice(WORDS)} {rng.choice(NOUNS)}"


def generate_catalog(n_titles: int, n_contracts: int, seed: int = 7) -> dict[str, Any]:
    """A plausible, conflict-free deal sheet: ``n_titles`` titles (films, series with
    seasons and episodes), their ownership records and about ``n_contracts`` contracts."""
    rng = random.Random(seed)
    parties = [{"id": p, "name": p.replace("-", " ").title()} for p in STUDIOS + PLATFORMS]
    titles: list[dict[str, Any]] = []
    rights_titles: list[tuple[str, str, date]] = []  # (title id, owner, release)
    while len(titles) < n_titles:
        owner = rng.choice(STUDIOS)
        year = rng.randint(1995, 2025)
        release = date(year, rng.randint(1, 12), rng.randint(1, 28))
        number = len(titles)
        if rng.random() < 0.9 or n_titles - len(titles) < 7:
            tid = f"film-{number:05d}"
            titles.append(
                {
                    "id": tid,
                    "name": _name(rng),
                    "kind": "film",
                    "year": year,
                    "release": release.isoformat(),
                    "external_ids": {"imdb": f"tt9{number:06d}"},
                }
            )
            rights_titles.append((tid, owner, release))
            continue
        sid = f"series-{number:05d}"
        titles.append(
            {
                "id": sid,
                "name": _name(rng),
                "kind": "series",
                "year": year,
                "release": release.isoformat(),
            }
        )
        for season in (1, 2):
            season_id = f"{sid}-s{season}"
            titles.append(
                {"id": season_id, "name": f"Season {season}", "kind": "season", "parent": sid}
            )
            for episode in (1, 2):
                titles.append(
                    {
                        "id": f"{season_id}e{episode}",
                        "name": f"Episode {episode}",
                        "kind": "episode",
                        "parent": season_id,
                    }
                )
        rights_titles.append((sid, owner, release))
    contracts: list[dict[str, Any]] = []
    for tid, owner, release in rights_titles:
        contracts.append(
            {
                "id": f"own-{tid}",
                "licensee": owner,
                "signed": release.isoformat(),
                "grants": [
                    {
                        "titles": [tid],
                        "media": ["ALL_MEDIA"],
                        "territories": ["WORLD"],
                        "start": release.isoformat(),
                    }
                ],
            }
        )
    slots = [(region, media) for region in REGIONS for media in MEDIA_SLOTS]
    per_title = max(1, (n_contracts - len(contracts)) // max(1, len(rights_titles)))
    serial = 0
    for tid, owner, release in rights_titles:
        for region, media in rng.sample(slots, min(per_title, len(slots))):
            if len(contracts) >= n_contracts:
                break
            serial += 1
            platform = rng.choice(PLATFORMS)
            start = max(
                release, date(max(release.year, 2000) + rng.randint(0, 6), rng.randint(1, 12), 1)
            )
            end = date(start.year + rng.randint(1, 7), start.month, 1).toordinal() - 1
            if end < start.toordinal():
                end = start.toordinal() + 364
            exclusive = rng.random() < 0.2
            status = "hold" if rng.random() < 0.02 else "executed"
            deal: dict[str, Any] = {
                "id": f"lic-{serial:06d}",
                "licensor": owner,
                "licensee": platform,
                "status": status,
                "signed": start.isoformat(),
                "fee": {"amount": rng.randint(1, 500) * 1000, "currency": "USD"},
                "grants": [
                    {
                        "titles": [tid],
                        "media": media,
                        "territories": [region],
                        "start": start.isoformat(),
                        "end": date.fromordinal(end).isoformat(),
                        "exclusive": exclusive,
                        "sublicense": exclusive and rng.random() < 0.3,
                    }
                ],
            }
            if rng.random() < 0.1:
                deal["holdbacks"] = [
                    {
                        "titles": [tid],
                        "media": ["PHYSICAL"],
                        "territories": [region],
                        "start": start.isoformat(),
                        "end": date(start.year + 1, start.month, 1).isoformat(),
                    }
                ]
            contracts.append(deal)
            if deal["grants"][0]["sublicense"] and status == "executed":
                serial += 1
                country = rng.choice(REGION_COUNTRIES[region])
                sub_end = min(end, date(start.year + 1, start.month, 1).toordinal() - 1)
                contracts.append(
                    {
                        "id": f"lic-{serial:06d}",
                        "licensor": platform,
                        "licensee": rng.choice([p for p in PLATFORMS if p != platform]),
                        "signed": start.isoformat(),
                        "grants": [
                            {
                                "titles": [tid],
                                "media": media[:1],
                                "territories": [country],
                                "start": start.isoformat(),
                                "end": date.fromordinal(sub_end).isoformat(),
                            }
                        ],
                    }
                )
    return {"parties": parties, "titles": titles, "contracts": contracts}


TOUR = (
    (
        "Can Disney license Star Wars IV for SVOD in CN and HK during 2016?",
        dict(
            licensor="walt-disney",
            titles=["star-wars-4"],
            media=["SVOD"],
            territories=["CN", "HK"],
            start="2016-01-01",
            end="2016-12-31",
        ),
    ),
    (
        "Can Covenant Pictures sell Real's e-commerce and merchandising rights in greater China "
        "for 2018?",
        dict(
            licensor="covenant-pictures",
            titles=["real"],
            media=["ECOMMERCE", "MERCHANDISING"],
            territories=["greater-china"],
            start="2018-01-01",
            end="2018-12-31",
        ),
    ),
    (
        "Can Disney grant exclusive free TV rights to the saga in CN for 2016?",
        dict(
            licensor="walt-disney",
            titles=["star-wars-saga"],
            media=["FREE_TV"],
            territories=["CN"],
            start="2016-01-01",
            end="2016-12-31",
            exclusive=True,
        ),
    ),
)


def _is_demo(service: Service) -> bool:
    with service.store.reading() as reader:
        actors = reader.actors()
        counts = reader.counts()
    return (counts["changes"] == 0 and counts["contracts"] == 0) or actors == {DEMO_ACTOR}


def run_demo(db: str | None, n_titles: int, n_contracts: int, out: Console, err: Console) -> int:
    """Build the demo database and take the tour; the exit code."""
    target = db or DEFAULT_DEMO_DB
    try:
        service = Service(target, actor=DEMO_ACTOR)
    except Exception as error:
        err.print(f"error: cannot open {target}: {error}")
        return 1
    try:
        if not _is_demo(service):
            err.print(
                f"error: {target} holds data that the demo did not write; "
                "the demo never overwrites it. Choose another --db."
            )
            return 1
        service.store.reset()
        news = resources.files("reelrights.cli").joinpath("news_deals.yaml").read_text("utf-8")
        generated = generate_catalog(n_titles, n_contracts)
        out.print(
            f"Building the demo database [bold]{target}[/bold]: the news deals plus "
            f"{len(generated['titles'])} generated titles and "
            f"{len(generated['contracts'])} contracts…"
        )
        try:
            result = _load_with_history(service, news, generated, err)
        except (InvalidInput, RightsConflict) as error:  # pragma: no cover - a demo bug
            err.print(f"error: the demo data did not load: {error}")
            return 1
        out.print(f"loaded {result[0]} parties, {result[1]} titles, {result[2]} contracts\n")
        for question, spec in TOUR:
            out.print(f"[bold cyan]?[/bold cyan] {question}")
            request = service.request(**spec)
            print_report(service, service.avails(request), "answer")
            out.print()
        command = "reelrights"
        beside = Path(sys.executable).parent / "reelrights"
        if shutil.which("reelrights") is None and beside.exists():
            command = str(beside)  # the virtual environment is not active: say where it is
        where = target if "://" in target else str(Path(target).resolve())
        show_money(service, out, f"{command} --db {where}")
        out.print(
            "Ask your own questions of the demo database; first point reelrights at it:\n"
            f"  export REELRIGHTS_DB={where}\n"
            f"  {command} avails --licensor walt-disney --title star-wars-saga "
            "--media ONLINE --territory EASTERN_ASIA --start 2016-01-01 "
            "--end 2016-12-31\n"
            f"  {command} contracts list --party walt-disney\n"
            f"  {command} titles star\n"
            "The change log records each news deal on the day it was signed: before "
            "2015-11-20, Tencent's exclusive deal was not known yet:\n"
            f"  {command} avails --licensor walt-disney --title star-wars-4 --media SVOD "
            "--territory CN --start 2016-01-01 --end 2016-12-31 --as-of 2015-11-01\n"
            "See it in the browser: create a key, then serve the web UI on "
            "http://127.0.0.1:8000/ui/\n"
            f"  {command} keys create --role editor\n"
            f"  {command} serve",
            soft_wrap=True,  # commands stay on one line, to be copied as they are
        )
        return 0
    finally:
        service.close()


def _load_with_history(
    service: Service, news_text: str, generated: dict[str, Any], err: Console
) -> tuple[int, int, int]:
    """Load the demo so that its change log reads like a history: the catalog, the
    generated deals and the ownership records on :data:`CATALOG_RECORDED`, then each news
    deal on the day it was signed (one without a date with the last of them). The
    (parties, titles, contracts) loaded."""
    news = yaml.safe_load(news_text)
    deals = [c for c in news["contracts"] if c.get("licensor")]
    catalog = {**news, "contracts": [c for c in news["contracts"] if not c.get("licensor")]}
    by_day: dict[date, list[dict[str, Any]]] = {}
    last = max(c["signed"] for c in deals if c.get("signed"))
    for deal in deals:
        by_day.setdefault(deal.get("signed") or last, []).append(deal)
    stages = [
        (
            CATALOG_RECORDED,
            [("news_deals.yaml", _text(catalog)), ("generated.json", _text(generated))],
        )
    ]
    for day in sorted(by_day):
        stamp = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
        stages.append((stamp, [("news_deals.yaml", _text({"contracts": by_day[day]}))]))
    parties = titles = contracts = 0
    with progress_bar(err.is_terminal) as update:
        for stamp, texts in stages:
            with service.acting(Acting(DEMO_ACTOR, at=stamp)):
                result = service.load_texts(texts, update)
            parties += result.parties
            titles += result.titles
            contracts += result.contracts
    return parties, titles, contracts


def _text(document: dict[str, Any]) -> str:
    return json.dumps(document, default=str)
