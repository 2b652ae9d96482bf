"""Names where a person types outside the search (docs/semantics.md rule 13): a contract's
parties and titles in ``POST /contracts``, and the party and title filters of the
contract listing, by id or name; an unknown name is a 422 / exit 1 with the closest
matches."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from reelrights.api.app import create_app
from reelrights.service import Service
from tests.cli.test_cli import run
from tests.cli.test_search import DESK


def client_and_keys(tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    service = Service(str(tmp_path / "names.db"), actor="setup")
    service.load_texts([("desk.yaml", DESK)])
    keys = {
        "editor": service.create_key("editor")[1],
        "atlas": service.create_key("editor", "atlas")[1],
    }
    return TestClient(create_app(service)), keys


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


DEAL = {
    "id": "globo-parasite",
    "licensor": "Atlas Films",
    "licensee": "globoplay",
    "grants": [
        {
            "titles": ["Parasite", "  shoplifters "],
            "media": ["Subscription VOD"],
            "territories": ["Brazil"],
            "start": "2029-01-01",
            "end": "2029-12-31",
        }
    ],
}


def test_a_contract_names_its_parties_and_titles_and_is_stored_by_id(tmp_path: Path) -> None:
    client, keys = client_and_keys(tmp_path)
    # a key bound to Atlas may write Atlas's deals, naming Atlas by name
    created = client.post("/contracts", json=DEAL, headers=auth(keys["atlas"]))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["licensor"], body["licensee"]) == ("atlas", "globo")
    assert body["grants"][0]["titles"] == ["parasite", "shoplifters"]
    assert body["grants"][0]["territories"] == ["BR"]
    # ... and not another's, whatever it is called
    other = {**DEAL, "id": "x", "licensor": "Netflix", "licensee": "Atlas Films"}
    assert client.post("/contracts", json=other, headers=auth(keys["atlas"])).status_code == 403


def test_unknown_names_in_a_contract_are_422_with_the_closest(tmp_path: Path) -> None:
    client, keys = client_and_keys(tmp_path)
    bad = {**DEAL, "licensee": "Globplay", "grants": [{**DEAL["grants"][0], "titles": ["Parasit"]}]}
    answer = client.post("/contracts", json=bad, headers=auth(keys["editor"]))
    assert answer.status_code == 422
    text = answer.text
    assert "unknown party 'Globplay'; did you mean globo Globoplay?" in text
    assert "unknown title 'Parasit'; did you mean parasite Parasite?" in text
    assert client.get("/contracts/globo-parasite", headers=auth(keys["editor"])).status_code == 404


def test_the_contract_listing_filters_by_name(tmp_path: Path) -> None:
    client, keys = client_and_keys(tmp_path)
    by_id = client.get("/contracts", params={"party": "netflix"}, headers=auth(keys["editor"]))
    by_name = client.get("/contracts", params={"party": "NETFLIX"}, headers=auth(keys["editor"]))
    assert [c["id"] for c in by_name.json()["items"]] == ["netflix-latam"]
    assert by_name.json() == by_id.json()
    titled = client.get(
        "/contracts", params={"title": "Episode 2"}, headers=auth(keys["editor"])
    ).json()
    assert [c["id"] for c in titled["items"]] == ["owns-library", "globo-episode"]
    wrong = client.get("/contracts", params={"party": "Netflx"}, headers=auth(keys["editor"]))
    assert wrong.status_code == 422
    assert "unknown party 'Netflx'; did you mean netflix Netflix?" in wrong.text


def test_the_cli_listing_filters_by_name(tmp_path: Path) -> None:
    sheet = tmp_path / "desk.yaml"
    sheet.write_text(DESK)
    db = tmp_path / "desk.db"
    assert run(db, "load", str(sheet))[0] == 0
    code, out, err = run(db, "contracts", "list", "--party", "Globoplay", "--json")
    assert code == 0, err
    assert [c["id"] for c in json.loads(out)] == ["globo-episode"]
    code, _, err = run(db, "contracts", "list", "--title", "Kingdm")
    assert code == 1
    message = " ".join(err.split())
    assert "error: title: unknown title 'Kingdm'; did you mean kingdom Kingdom," in message


def test_the_calendar_and_the_ledger_filter_by_name(tmp_path: Path) -> None:
    client, keys = client_and_keys(tmp_path)
    dates = {"from": "2026-01-01", "to": "2028-12-31"}
    by_id = client.get(
        "/calendar", params={**dates, "party": "globo"}, headers=auth(keys["editor"])
    )
    by_name = client.get(
        "/calendar",
        params={**dates, "party": "Globoplay", "title": "Episode 2"},
        headers=auth(keys["editor"]),
    )
    assert by_name.status_code == 200, by_name.text
    assert {e["contract"] for e in by_name.json()["events"]} == {"globo-episode"}
    assert by_name.json()["events"] == by_id.json()["events"]
    wrong = client.get(
        "/calendar", params={**dates, "party": "Globo play"}, headers=auth(keys["editor"])
    )
    assert wrong.status_code == 422 and "did you mean globo Globoplay?" in wrong.text
    ledger = client.get("/payments", params={"party": "Globplay"}, headers=auth(keys["editor"]))
    assert ledger.status_code == 422 and "did you mean globo Globoplay?" in ledger.text
    assert client.get(
        "/payments", params={"party": "Globoplay"}, headers=auth(keys["editor"])
    ).json() == {"payables": []}
