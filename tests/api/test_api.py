"""The REST API in-process (httpx): every role and party-scope boundary, errors, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelrights.api.app import create_app
from reelrights.service import Service
from tests.store.test_service import BOOK


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, dict[str, str], Service]:
    service = Service(str(tmp_path / "api.db"), actor="setup")
    service.load_texts([("book.yaml", BOOK)])
    keys = {}
    for name, role, party in (
        ("admin", "admin", None),
        ("editor", "editor", None),
        ("viewer", "viewer", None),
        ("disney", "editor", "disney"),
        ("youku", "viewer", "youku"),
        ("tencent", "editor", "tencent"),
        ("revoked", "admin", None),
    ):
        row, key = service.create_key(role, party)
        keys[name] = key
        if name == "revoked":
            service.revoke_key(row.id)
    return TestClient(create_app(service)), keys, service


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


AVAILS = {
    "licensor": "disney",
    "titles": ["sw4"],
    "media": ["SVOD"],
    "territories": ["CN", "HK"],
    "start": "2016-01-01",
    "end": "2016-12-31",
}


def test_open_endpoints_and_401s(api) -> None:
    client, keys, _ = api
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/version").json()["name"] == "reelrights"
    assert client.get("/docs").status_code == 200
    assert client.get("/contracts").status_code == 401
    assert client.get("/contracts", headers=auth("rr_000000000000_" + "x" * 32)).status_code == 401
    assert client.get("/contracts", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/contracts", headers=auth(keys["revoked"])).status_code == 401
    wrong = keys["viewer"][:-4] + "AAAA"
    assert client.get("/contracts", headers=auth(wrong)).status_code == 401


def test_avails_speaks_the_cli_json(api) -> None:
    client, keys, _ = api
    answer = client.post("/avails", json=AVAILS, headers=auth(keys["viewer"]))
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "partial"
    assert body["unavailable"][0]["contract"] == "tencent-online"
    assert body["available"][0]["territories"] == ["HK"]


def test_grid_with_match_options(api) -> None:
    client, keys, _ = api
    grid = {
        "licensor": "disney",
        "title": "sw4",
        "start": "2020-06-01",
        "end": "2021-06-30",
        "media": ["SVOD"],
        "territories": ["CN", "HK"],
    }
    cells = {
        c["territory"]: c
        for c in client.post("/avails/grid", json=grid, headers=auth(keys["viewer"])).json()[
            "cells"
        ]
    }
    assert cells["HK"]["status"] == "available"
    assert cells["CN"]["status"] == "partial"  # free from 2021-01-01 only: no cover
    assert cells["CN"]["reasons"][0]["contract"] == "tencent-online"
    overlap = client.post(
        "/avails/grid",
        json={**grid, "match": "overlap", "min_days": 100},
        headers=auth(keys["viewer"]),
    ).json()["cells"]
    assert {c["territory"]: c["status"] for c in overlap}["CN"] == "available"
    too_long = client.post(
        "/avails/grid",
        json={**grid, "match": "overlap", "min_days": 200},
        headers=auth(keys["viewer"]),
    ).json()["cells"]
    assert {c["territory"]: c["status"] for c in too_long}["CN"] == "partial"


def test_roles(api) -> None:
    client, keys, _ = api
    draft = {
        "id": "new-draft",
        "licensor": "disney",
        "licensee": "youku",
        "grants": [
            {
                "titles": ["sw5"],
                "media": ["SVOD"],
                "territories": ["JP"],
                "start": "2030-01-01",
                "end": "2030-12-31",
                "exclusive": True,
            }
        ],
    }
    assert client.post("/contracts", json=draft, headers=auth(keys["viewer"])).status_code == 403
    assert client.get("/changes", headers=auth(keys["editor"])).status_code == 403
    created = client.post("/contracts", json=draft, headers=auth(keys["editor"]))
    assert created.status_code == 201 and created.json()["status"] == "draft"
    executed = client.post("/contracts/new-draft/execute", headers=auth(keys["editor"]))
    assert executed.status_code == 200 and executed.json()["status"] == "executed"
    changes = client.get("/changes", headers=auth(keys["admin"])).json()["items"]
    assert (changes[0]["action"], changes[0]["key"]) == ("execute", keys["editor"].split("_")[1])
    assert changes[0]["before"]["status"] == "draft" and changes[0]["after"]["status"] == "executed"


def test_party_scope(api) -> None:
    client, keys, _ = api
    youku = auth(keys["youku"])
    listed = client.get("/contracts", headers=youku).json()
    assert [c["id"] for c in listed["items"]] == ["youku-draft"]
    assert client.get("/contracts/tencent-online", headers=youku).status_code == 404
    assert client.get("/contracts/youku-draft", headers=youku).status_code == 200
    assert client.post("/avails", json=AVAILS, headers=youku).status_code == 403
    assert (
        client.post("/avails", json={**AVAILS, "licensor": "youku"}, headers=youku).status_code
        == 200
    )
    assert client.get("/export", headers=youku).status_code == 403
    disney = auth(keys["disney"])
    other = {
        "id": "not-mine",
        "licensor": "tencent",
        "licensee": "youku",
        "grants": [{"titles": ["sw4"], "media": ["SVOD"], "territories": ["JP"]}],
    }
    assert client.post("/contracts", json=other, headers=disney).status_code == 403
    assert client.post("/contracts/tencent-online/execute", headers=youku).status_code == 403
    tencent = auth(keys["tencent"])
    assert client.post("/contracts/youku-draft/execute", headers=tencent).status_code == 404
    assert client.get("/contracts/youku-draft", headers=tencent).status_code == 404


def test_errors_are_located_and_nothing_is_half_written(api) -> None:
    client, keys, service = api
    editor = auth(keys["editor"])
    before = service.counts()
    bad = client.post(
        "/contracts",
        json={
            "id": "x",
            "licensee": "youku",
            "grants": [{"titles": ["sw4"], "media": ["SVODD"], "territories": ["KR"]}],
        },
        headers=editor,
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "media"
    assert "unknown medium 'SVODD'" in bad.json()["detail"][0]["msg"]
    shape = client.post("/contracts", json={"id": "x"}, headers=editor)
    assert shape.status_code == 422 and shape.json()["detail"][0]["loc"] == ["body", "licensee"]
    conflicting = {
        "id": "clash",
        "licensor": "disney",
        "licensee": "youku",
        "grants": [
            {
                "titles": ["sw4"],
                "media": ["SVOD"],
                "territories": ["CN"],
                "start": "2016-06-01",
                "end": "2016-06-30",
                "exclusive": True,
            }
        ],
    }
    assert client.post("/contracts", json=conflicting, headers=editor).status_code == 201
    clash = client.post("/contracts/clash/execute", headers=editor)
    assert clash.status_code == 409
    report = clash.json()["conflicts"][0]["grants"][0]
    assert report["unavailable"][0]["contract"] == "tencent-online"
    assert service.contract("clash").status == "draft"
    assert service.counts()["contracts"] == before["contracts"] + 1


def test_drafts_update_terminate_sheets_and_export(api) -> None:
    client, keys, _ = api
    editor = auth(keys["editor"])
    update = {
        "licensor": "disney",
        "licensee": "youku",
        "grants": [{"titles": ["sw4"], "media": ["AVOD"], "territories": ["HK"]}],
    }
    changed = client.put("/contracts/youku-draft", json=update, headers=editor)
    assert changed.status_code == 200 and changed.json()["grants"][0]["media"] == ["AVOD"]
    assert (
        client.put("/contracts/tencent-online", json=update, headers=editor).status_code == 422
    )  # not a draft
    ended = client.post(
        "/contracts/tencent-online/terminate", json={"date": "2016-07-01"}, headers=editor
    )
    assert ended.status_code == 200 and ended.json()["terminated"] == "2016-07-01"
    sheet = "titles: [{id: sw9, name: Nine, kind: film}]\n"
    loaded = client.post(
        "/sheets", json={"filename": "more.yaml", "content": sheet}, headers=editor
    )
    assert loaded.status_code == 201 and loaded.json()["titles"] == 1
    broken = client.post(
        "/sheets", json={"filename": "bad.yaml", "content": "titles: [x"}, headers=editor
    )
    assert broken.status_code == 422
    assert broken.json()["detail"][0]["msg"].startswith("not valid YAML")
    exported = client.get("/export", headers=auth(keys["viewer"]))
    assert exported.status_code == 200 and "tencent-online" in exported.text
    titles = client.get("/titles?kind=collection", headers=auth(keys["viewer"])).json()
    assert [t["id"] for t in titles["items"]] == ["saga"]
    detail = client.get("/titles/sw4", headers=auth(keys["viewer"])).json()
    assert detail["collections"] == ["saga"]
    page = client.get("/parties?limit=2&offset=1", headers=auth(keys["viewer"])).json()
    assert page["total"] == 3 and len(page["items"]) == 2


MDDF = Path(__file__).parents[1] / "conformance" / "mddf" / "samples"


def test_avails_feeds_import_and_export(api) -> None:
    from reelrights.formats import mddf

    client, keys, service = api
    xml = (MDDF / "xml" / "Avails_noErrors_v2.4.xml").read_bytes()
    headers = {**auth(keys["editor"]), "Content-Type": "application/xml"}
    answer = client.post("/feeds?filename=fox.xml", content=xml, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["transactions"] == 24
    assert (
        service.history("contract", "avail:20th-century-fox:030434:unnamed-service-provider")[
            0
        ].key_id
        is not None
    )

    bad = (MDDF / "xml" / "Avails_withErrors.xml").read_bytes()
    answer = client.post("/feeds?filename=bad.xml", content=bad, headers=headers)
    assert answer.status_code == 422
    problems = answer.json()["detail"]
    assert len(problems) == 7
    assert problems[0]["loc"] == [
        "body",
        "bad.xml",
        52,
        "/avails:AvailList/avails:Avail[1]/avails:Transaction[1]/avails:Territory/md:country",
    ]
    assert client.post("/feeds", content=b"hello", headers=headers).status_code == 422
    viewer = {**auth(keys["viewer"]), "Content-Type": "application/xml"}
    assert client.post("/feeds", content=xml, headers=viewer).status_code == 403
    scoped = {**auth(keys["disney"]), "Content-Type": "application/xml"}
    assert client.post("/feeds", content=xml, headers=scoped).status_code == 403

    exported = client.get("/export/avails?version=2.4", headers=auth(keys["viewer"]))
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/xml")
    assert mddf.validate_xml(exported.content, "2.4") == []
    assert int(exported.headers["X-Not-Exportable"]) > 0  # the book's THEATRICAL, AVOD, ...
    sheet = client.get("/export/avails?format=xlsx", headers=auth(keys["viewer"]))
    assert sheet.status_code == 200
    assert sheet.content.startswith(b"PK")
    assert client.get("/export/avails?version=9", headers=auth(keys["viewer"])).status_code == 422
