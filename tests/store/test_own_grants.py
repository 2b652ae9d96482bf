"""One contract's grants never block each other (docs/semantics.md rule 6): exclusive SVOD
and non-exclusive ONLINE (which includes SVOD) to one platform, in France for 2021, on
load, on execution, in the live deal check and in feed imports, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reelrights.cli.main import app
from reelrights.service import RightsConflict, Service
from tests.store.test_feeds import STUDIO, feed, transaction

EXCLUSIVE_SVOD = (
    "{titles: [film], media: [SVOD], territories: [FR], start: 2021-01-01, end: 2021-12-31,"
    " exclusive: true}"
)
SHARED_ONLINE = (
    "{titles: [film], media: [ONLINE], territories: [FR], start: 2021-01-01, end: 2021-12-31}"
)
BOTH_ORDERS = [
    pytest.param((EXCLUSIVE_SVOD, SHARED_ONLINE), id="exclusive-first"),
    pytest.param((SHARED_ONLINE, EXCLUSIVE_SVOD), id="non-exclusive-first"),
]


def sheet(grants: tuple[str, str], status: str = "executed") -> str:
    return f"""
parties:
  - {{id: studio, name: A Studio}}
  - {{id: platform, name: A Platform}}
  - {{id: rival, name: A Rival}}
titles:
  - {{id: film, name: The Film, kind: film}}
contracts:
  - id: studio-owns
    licensee: studio
    grants:
      - {{titles: [film], media: [ALL_MEDIA], territories: [WORLD], start: 2000-01-01}}
  - id: k1
    licensor: studio
    licensee: platform
    status: {status}
    grants:
      - {grants[0]}
      - {grants[1]}
"""


RIVAL = """
contracts:
  - id: k2
    licensor: studio
    licensee: rival
    grants:
      - {titles: [film], media: [SVOD], territories: [FR], start: 2021-01-01, end: 2021-12-31,
         exclusive: true}
"""


def ask(svc: Service, media: str, exclusive: bool) -> list[tuple[str, str | None]]:
    """Each unavailable box's (reason, contract) for one medium in France, 2021; [] is
    available."""
    report = svc.avails(
        svc.request(
            licensor="studio",
            titles=["film"],
            media=[media],
            territories=["FR"],
            start=date(2021, 1, 1),
            end=date(2021, 12, 31),
            exclusive=exclusive,
        )
    )
    assert report.status in ("available", "unavailable")  # never in part
    return [(u.reason, u.contract) for u in report.unavailable]


def assert_the_deal_stands(svc: Service) -> None:
    assert ask(svc, "SVOD", exclusive=False) == [("exclusive-license", "k1")]
    assert ask(svc, "SVOD", exclusive=True) == [("exclusive-license", "k1")]
    assert ask(svc, "TVOD", exclusive=False) == []
    assert ask(svc, "TVOD", exclusive=True) == [("non-exclusive-license", "k1")]
    # Another licensee still cannot have the exclusive SVOD right; nothing of it is stored.
    before = svc.counts()
    with pytest.raises(RightsConflict) as caught:
        svc.load_texts([("rival.yaml", RIVAL)])
    ((report,),) = [check.reports for check in caught.value.checks]
    assert [(u.reason, u.contract) for u in report.unavailable] == [("exclusive-license", "k1")]
    assert svc.counts() == before


@pytest.mark.parametrize("grants", BOTH_ORDERS)
def test_a_contract_with_overlapping_grants_loads(db_url: str, grants: tuple[str, str]) -> None:
    svc = Service(db_url)
    result = svc.load_texts([("deal.yaml", sheet(grants))])
    assert result.contracts == 2
    assert_the_deal_stands(svc)
    svc.close()


@pytest.mark.parametrize("status", ["draft", "hold"])
@pytest.mark.parametrize("grants", BOTH_ORDERS)
def test_a_contract_with_overlapping_grants_passes_the_live_check_and_executes(
    db_url: str, grants: tuple[str, str], status: str
) -> None:
    svc = Service(db_url)
    svc.load_texts([("deal.yaml", sheet(grants, status))])
    document: dict[str, Any] = {
        "id": "k1",
        "licensor": "studio",
        "licensee": "platform",
        "grants": [
            {
                "titles": ["film"],
                "media": [media],
                "territories": ["FR"],
                "start": "2021-01-01",
                "end": "2021-12-31",
                "exclusive": media == "SVOD",
            }
            for media in (["SVOD", "ONLINE"] if grants[0] == EXCLUSIVE_SVOD else ["ONLINE", "SVOD"])
        ],
    }
    check = svc.check_contract(document)
    assert check.ok, check
    assert svc.check_contract({**document, "id": "k1-copy"}).ok  # a new contract alike
    assert svc.execute("k1").status == "executed"
    assert_the_deal_stands(svc)
    svc.close()


def test_a_sublicensee_holds_the_overlap_as_the_most_exclusive_grant_gives(db_url: str) -> None:
    svc = Service(db_url)
    text = sheet(
        (
            EXCLUSIVE_SVOD.replace("exclusive: true", "exclusive: true, sublicense: true"),
            SHARED_ONLINE.replace("}", ", sublicense: true}"),
        )
    )
    svc.load_texts([("deal.yaml", text)])

    def held(media: str, exclusive: bool) -> list[tuple[str, str | None]]:
        request = svc.request(
            licensor="platform",
            titles=["film"],
            media=[media],
            territories=["FR"],
            start=date(2021, 1, 1),
            end=date(2021, 12, 31),
            exclusive=exclusive,
        )
        return [(u.reason, u.contract) for u in svc.avails(request).unavailable]

    assert held("SVOD", exclusive=True) == []  # the exclusive grant wins on SVOD
    assert held("TVOD", exclusive=False) == []
    assert held("TVOD", exclusive=True) == [("held-non-exclusively", None)]
    svc.close()


@pytest.mark.parametrize("exclusive_first", [True, False])
def test_a_feed_avail_with_overlapping_transactions_keeps_both_as_grants(
    db_url: str, tmp_path: Path, exclusive_first: bool
) -> None:
    svc = Service(db_url)
    studio = tmp_path / "studio.yaml"
    studio.write_text(STUDIO)
    svc.load([studio])
    items = [transaction("t1", "SVOD", ["FR"], True), transaction("t2", "SVOD", ["FR", "DE"])]
    body = "".join(items if exclusive_first else items[::-1])
    result = svc.import_feeds([("netflix.xml", io.BytesIO(feed(transactions=body)))])
    assert (result.grants, result.offers) == (2, 0)
    contract = "avail:studio:md:alid:org:rockstar:first-dance:netflix"

    def blocked(territory: str, exclusive: bool) -> list[tuple[str, str | None]]:
        request = svc.request(
            licensor="studio",
            titles=["first-dance"],
            media=["SVOD"],
            territories=[territory],
            start=date(2017, 1, 1),
            end=date(2017, 12, 31),
            exclusive=exclusive,
        )
        return [(u.reason, u.contract) for u in svc.avails(request).unavailable]

    assert blocked("FR", exclusive=False) == [("exclusive-license", contract)]
    assert blocked("DE", exclusive=False) == []
    assert blocked("DE", exclusive=True) == [("non-exclusive-license", contract)]
    svc.close()


@pytest.mark.parametrize("grants", BOTH_ORDERS)
def test_the_cli_loads_a_contract_with_overlapping_grants(
    db_url: str, tmp_path: Path, grants: tuple[str, str]
) -> None:
    deal = tmp_path / "deal.yaml"
    deal.write_text(sheet(grants))
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db_url, "load", str(deal)])
    assert result.exit_code == 0, result.stdout + result.stderr
    question = ["--licensor", "studio", "--title", "film", "--media", "TVOD", "--territory"]
    question += ["FR", "--start", "2021-01-01", "--end", "2021-12-31", "--exclusive", "--json"]
    result = runner.invoke(app, ["--db", db_url, "avails", *question])
    answer = json.loads(result.stdout)
    assert answer["status"] == "unavailable"
    assert [(u["reason"], u["contract"]) for u in answer["unavailable"]] == [
        ("non-exclusive-license", "k1")
    ]
