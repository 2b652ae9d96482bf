"""``POST /extract`` and ``POST /extract/drafts`` (rule 23): authenticated, size-bounded,
storing nothing until drafts are saved, and saving drafts only."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelrights.api.app import create_app
from reelrights.formats.news import MAX_ARTICLE_BYTES
from reelrights.service import Service

ARTICLE = (
    "Sohu paid USD 2.4 million for the exclusive streaming rights in China to Korean drama "
    '"Moonlit Harbor" from producer Kestrel Pictures.'
)


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, dict[str, str], Service]:
    service = Service(str(tmp_path / "api.db"), actor="setup")
    service.load_texts([("book.yaml", "parties: [{id: kestrel, name: Kestrel Pictures}]\n")])
    keys = {
        name: service.create_key(role, party)[1]
        for name, role, party in (
            ("viewer", "viewer", None),
            ("editor", "editor", None),
            ("bound", "editor", "kestrel"),
        )
    }
    return TestClient(create_app(service)), keys, service


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_extract_proposes_and_stores_nothing(api) -> None:
    client, keys, service = api
    before = service.counts()
    answer = client.post("/extract", json={"text": ARTICLE}, headers=auth(keys["viewer"]))
    assert answer.status_code == 200, answer.text
    (deal,) = answer.json()["deals"]
    assert deal["licensee"] == "Sohu"
    assert deal["licensor"] == "Kestrel Pictures"
    assert deal["fee"] == {"amount": "2400000", "currency": "USD"}
    assert deal["exclusive"] is True
    sheet = answer.json()["sheet"]
    assert sheet["contracts"][0]["licensor"] == "kestrel"  # matched to the book's party
    assert sheet["contracts"][0]["status"] == "draft"
    assert service.counts() == before


def test_extract_needs_a_key_and_a_bounded_readable_body(api) -> None:
    client, keys, _ = api
    assert client.post("/extract", json={"text": ARTICLE}).status_code == 401
    headers = auth(keys["viewer"])
    huge = {"text": "Netflix has acquired the film. " * (3 * MAX_ARTICLE_BYTES // 31)}
    assert client.post("/extract", json=huge, headers=headers).status_code == 413
    over = {"text": "Netflix has acquired the film. " * (MAX_ARTICLE_BYTES // 31 + 10)}
    refused = client.post("/extract", json=over, headers=headers)
    assert refused.status_code == 422
    assert "limit" in refused.text
    assert client.post("/extract", json={"text": ""}, headers=headers).status_code == 422
    assert client.post("/extract", content=b"\x00\x01", headers=headers).status_code == 422
    french = {"text": "Netflix a acquis les droits du film pour la France et la Belgique."}
    answer = client.post("/extract", json=french, headers=headers)
    assert answer.status_code == 422
    assert "English" in answer.text


def test_saving_corrected_deals_stores_drafts_only(api) -> None:
    client, keys, service = api
    deal = client.post("/extract", json={"text": ARTICLE}, headers=auth(keys["viewer"])).json()[
        "deals"
    ][0]
    deal["territories"] = ["CN", "HK"]  # a person's correction
    body = {"deals": [deal]}
    assert (
        client.post("/extract/drafts", json=body, headers=auth(keys["viewer"])).status_code == 403
    )
    assert client.post("/extract/drafts", json=body, headers=auth(keys["bound"])).status_code == 403
    saved = client.post("/extract/drafts", json=body, headers=auth(keys["editor"]))
    assert saved.status_code == 201, saved.text
    (contract_id,) = saved.json()["contracts"]
    contract = service.contract(contract_id)
    assert contract.status == "draft"
    assert contract.licensor == "kestrel"
    assert service.render_contracts([contract])[0]["grants"][0]["territories"] == ["CN", "HK"]
    bad = {"deals": [{**deal, "media": ["SVODD"]}]}
    before = service.counts()
    refused = client.post("/extract/drafts", json=bad, headers=auth(keys["editor"]))
    assert refused.status_code == 422
    assert "SVODD" in refused.text
    assert service.counts() == before
