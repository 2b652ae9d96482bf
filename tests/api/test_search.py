"""``POST /avails/search`` and ``POST /avails/next``: the contract's JSON, paging, party
scope and 422s with the closest matches."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelrights.api.app import create_app
from reelrights.service import Service
from tests.cli.test_search import DESK


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    service = Service(str(tmp_path / "api.db"), actor="setup")
    service.load_texts([("desk.yaml", DESK)])
    keys = {}
    for name, role, party in (
        ("viewer", "viewer", None),
        ("atlas", "viewer", "atlas"),
        ("netflix", "viewer", "netflix"),
    ):
        _, keys[name] = service.create_key(role, party)
    return TestClient(create_app(service)), keys


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


SEARCH = {
    "licensor": "atlas",
    "media": ["SVOD"],
    "territories": ["LATIN_AMERICA_AND_THE_CARIBBEAN"],
    "start": "2027-01-01",
    "end": "2027-12-31",
    "exclusive": True,
}


def test_search_pages_through_the_titles(api) -> None:
    client, keys = api
    first = client.post("/avails/search", json={**SEARCH, "limit": 2}, headers=auth(keys["viewer"]))
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["match"], body["total"], body["limit"], body["offset"]) == ("cover", 3, 2, 0)
    assert [t["title"] for t in body["titles"]] == ["kingdom-s1e1", "parasite"]
    assert body["titles"][1]["windows"] == [{"start": "2027-01-01", "end": "2027-12-31"}]
    assert body["titles"][1]["warnings"][0]["contract"] == "claro-pencil"
    rest = client.post(
        "/avails/search", json={**SEARCH, "limit": 2, "offset": 2}, headers=auth(keys["viewer"])
    ).json()
    assert [t["title"] for t in rest["titles"]] == ["shoplifters"]
    partial = client.post(
        "/avails/search", json={**SEARCH, "min_days": 180}, headers=auth(keys["atlas"])
    ).json()
    assert partial["match"] == "min-days" and partial["min_days"] == 180
    assert "roma" in [t["title"] for t in partial["titles"]]


def test_search_is_party_scoped_like_avails(api) -> None:
    client, keys = api
    by_name = {**SEARCH, "licensor": "Atlas Films"}
    assert (
        client.post("/avails/search", json=by_name, headers=auth(keys["atlas"])).status_code == 200
    )
    refused = client.post("/avails/search", json=SEARCH, headers=auth(keys["netflix"]))
    assert refused.status_code == 403
    assert client.post("/avails/search", json=SEARCH).status_code == 401


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"territories": ["Hong Kongg"]}, ["body", "territory"], "unknown territory"),
        ({"licensor": "atlass"}, ["body", "licensor"], "did you mean atlas Atlas Films"),
        ({"end": "2026-01-01"}, ["body", "end"], "the range is reversed"),
        ({"min_days": 366}, ["body", "min_days"], "longer than the range"),
        ({"within": "shoplifters"}, ["body", "within"], "no titles to search"),
    ],
)
def test_bad_search_input_is_a_422_with_its_field(api, change, where, message) -> None:
    client, keys = api
    answer = client.post("/avails/search", json={**SEARCH, **change}, headers=auth(keys["viewer"]))
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert any(d["loc"] == where and message in d["msg"] for d in detail), detail


def test_next_window(api) -> None:
    client, keys = api
    body = {
        "licensor": "atlas",
        "titles": ["Oldboy"],
        "media": ["SVOD"],
        "territories": ["BR"],
        "start": "2026-06-01",
        "exclusive": True,
    }
    answer = client.post("/avails/next", json=body, headers=auth(keys["atlas"]))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "titles": ["oldboy"],
        "next": {"start": "2027-04-01", "end": None},
        "days": None,
        "covers": False,
    }
    assert client.post("/avails/next", json=body, headers=auth(keys["netflix"])).status_code == 403
