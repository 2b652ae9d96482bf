"""Money over the REST API: sales upload, statements in three formats, the payments
ledger, and party scoping (a party's key sees its own money only)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelrights.api.app import create_app
from reelrights.service import Service
from tests.store.test_money import BOOK, SALES


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    service = Service(str(tmp_path / "api.db"), actor="setup")
    service.load_texts([("book.yaml", BOOK)])
    rates = tmp_path / "rates.csv"
    rates.write_text("date,from,to,rate\n2017-01-01,USD,CNY,6.9\n")
    service.import_rates([str(rates)])
    keys = {}
    for name, role, party in (
        ("editor", "editor", None),
        ("viewer", "viewer", None),
        ("sohu", "editor", "sohu"),
        ("iqiyi", "editor", "iqiyi"),
        ("kbs", "viewer", "kbs"),
    ):
        keys[name] = service.create_key(role, party)[1]
    return TestClient(create_app(service)), keys


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_sales_upload_then_statement_and_ledger(api) -> None:
    client, keys = api
    sent = client.post("/sales?filename=q1.csv", content=SALES, headers=auth(keys["sohu"]))
    assert sent.status_code == 200, sent.text
    assert sent.json()["matched"] == 3
    assert [u["reason"] for u in sent.json()["unmatched"]] == ["no-grant"]
    again = client.post("/sales?filename=q1.csv", content=SALES, headers=auth(keys["sohu"]))
    assert again.json()["already_imported"] == 4
    path = "/contracts/sohu-svod/statements/2017-Q1"
    body = client.get(path, headers=auth(keys["kbs"])).json()
    assert (body["royalties"], body["due"], body["currency"]) == ("70000.00", "0.00", "USD")
    pdf = client.get(path + "?format=pdf", headers=auth(keys["viewer"]))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    csv = client.get(path + "?format=csv", headers=auth(keys["viewer"]))
    assert "royalties,70000.00" in csv.text
    paid = client.post(
        "/payments",
        json={"contract": "sohu-svod", "amount": "1200000", "date": "2015-05-01"},
        headers=auth(keys["sohu"]),
    )
    assert paid.status_code == 201, paid.text
    ledger = client.get("/payments?today=2015-09-01", headers=auth(keys["kbs"])).json()
    assert [(r["label"], r["balance"], r["days_overdue"]) for r in ledger["payables"]] == [
        ("fee instalment 1 of 2", "0.00", 0),
        ("fee instalment 2 of 2", "1200000.00", 31),
    ]


def test_party_scoping_and_bad_input(api) -> None:
    client, keys = api
    path = "/contracts/sohu-svod/statements/2017-Q1"
    assert client.get(path, headers=auth(keys["iqiyi"])).status_code == 404
    assert client.get("/payments", headers=auth(keys["iqiyi"])).json() == {"payables": []}
    other = client.post("/sales?filename=q1.csv", content=SALES, headers=auth(keys["iqiyi"]))
    assert other.status_code == 422
    assert other.json()["detail"][0]["msg"].startswith("a party reports only its own sales")
    assert client.post("/sales", content=SALES, headers=auth(keys["viewer"])).status_code == 403
    bad = SALES.replace("690000", "69O000")
    refused = client.post("/sales?filename=bad.csv", content=bad, headers=auth(keys["editor"]))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "bad.csv", 2, "gross"]
    assert (
        client.get(path.replace("2017-Q1", "2017-13"), headers=auth(keys["kbs"])).status_code == 422
    )
    assert (
        client.get("/contracts/nope/statements/2017-Q1", headers=auth(keys["kbs"])).status_code
        == 404
    )
    wrong = client.post(
        "/payments",
        json={"contract": "sohu-svod", "amount": "ten", "date": "2015-05-01"},
        headers=auth(keys["editor"]),
    )
    assert wrong.status_code == 422


def test_fx_import_through_the_api(api) -> None:
    """``POST /fx`` stores rates as ``fx import`` does; a CNY line then converts at the new
    rate (rule 15); a malformed file is refused whole with its row and column."""
    client, keys = api
    body = "date,from,to,rate\n2017-02-01,USD,CNY,7.0\n2017-02-01,EUR,USD,1.05\n"
    sent = client.post("/fx?filename=feb.csv", content=body, headers=auth(keys["editor"]))
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"stored": 2}
    sales = client.post("/sales?filename=q1.csv", content=SALES, headers=auth(keys["sohu"]))
    assert sales.status_code == 200
    lines = client.get("/contracts/sohu-svod/statements/2017-Q1", headers=auth(keys["kbs"])).json()[
        "lines"
    ]
    assert {x["fx_rate"] for x in lines if x["currency"] == "CNY"} == {"7.0"}
    bad = "date,from,to,rate\n2017-03-01,USD,CNY,7.1\n2017-13-01,USD,CNY,x\n2017-04-01,USD,USD,1\n"
    refused = client.post("/fx?filename=bad.csv", content=bad, headers=auth(keys["editor"]))
    assert refused.status_code == 422
    assert [p["loc"] for p in refused.json()["detail"]] == [
        ["body", "bad.csv", 3, "date"],
        ["body", "bad.csv", 3, "rate"],
        ["body", "bad.csv", 4, "to"],
    ]
    empty = client.post("/fx", content=b"", headers=auth(keys["editor"]))
    assert empty.status_code == 422
    # rates convert every party's sales: a viewer, or a party's key, may not import them
    assert client.post("/fx", content=body, headers=auth(keys["viewer"])).status_code == 403
    scoped = client.post("/fx", content=body, headers=auth(keys["sohu"]))
    assert scoped.status_code == 403
    assert "import exchange rates" in scoped.json()["detail"]


def test_a_sales_report_over_a_mebibyte_is_accepted(api) -> None:
    """The body limit of ``/sales`` is the report's (256 MiB), not the 1 MiB of a form."""
    client, keys = api
    header, *rows = SALES.strip().splitlines()
    row = rows[0]
    big = "\n".join([header] + [row] * 20_000) + "\n"
    assert len(big) > 1024 * 1024
    sent = client.post("/sales?filename=big.csv", content=big, headers=auth(keys["sohu"]))
    assert sent.status_code == 200, sent.text[:300]
    assert sent.json()["matched"] == 20_000


def test_a_sales_report_streams_to_a_spooled_file(api, monkeypatch, tmp_path: Path) -> None:
    """``POST /sales`` never holds the body in memory: it is spooled as it arrives (past
    ``SPOOL_BYTES`` to disk) and the import reads that file. Sent in chunks without a
    length, a CSV and an XLSX report import as they would from a path."""
    import openpyxl

    from reelrights.api import bodies

    client, keys = api
    monkeypatch.setattr(bodies, "SPOOL_BYTES", 4096)
    seen: list[tuple[bool, bool]] = []
    original = Service.import_sales

    def spy(self: Service, sources, progress=None):  # type: ignore[no-untyped-def]
        data = sources[0][1]
        seen.append((isinstance(data, bytes), bool(getattr(data, "_rolled", False))))
        return original(self, sources, progress)

    monkeypatch.setattr(Service, "import_sales", spy)
    header, *rows = SALES.strip().splitlines()
    big = "\n".join([header] + [rows[1]] * 2_000) + "\n"
    assert len(big) > 4096

    def chunks():  # no Content-Length: the body streams
        data = big.encode()
        for at in range(0, len(data), 1000):
            yield data[at : at + 1000]

    sent = client.post("/sales?filename=big.csv", content=chunks(), headers=auth(keys["sohu"]))
    assert sent.status_code == 200, sent.text[:300]
    assert sent.json()["matched"] == 2_000
    book = openpyxl.Workbook()
    for row in SALES.splitlines():
        book.active.append(row.split(","))
    path = tmp_path / "q1.xlsx"
    book.save(path)
    xlsx = client.post(
        "/sales?filename=q1.xlsx", content=path.read_bytes(), headers=auth(keys["editor"])
    )
    assert xlsx.status_code == 200, xlsx.text[:300]
    # the two AVOD HK lines are the big report's first two; CNY matches, JP has no grant
    found = xlsx.json()
    assert (found["matched"], found["already_imported"], found["unmatched_count"]) == (1, 2, 1)
    # neither body reached the import as bytes, and the big one had gone to disk
    assert [bytes_ for bytes_, _ in seen] == [False, False]
    assert seen[0][1] is True


def test_spooled_body_is_bounded_and_rewound(monkeypatch) -> None:
    """Past its limit a body is refused (413) while it streams, whatever it declared."""
    from fastapi import HTTPException
    from starlette.requests import Request

    from reelrights.api import bodies

    monkeypatch.setattr(bodies, "SPOOL_BYTES", 10)

    def request(chunks: list[bytes]) -> Request:
        messages = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]

        async def receive() -> dict[str, object]:
            return messages.pop(0)

        return Request({"type": "http", "method": "POST", "headers": []}, receive)

    with asyncio.run(bodies.spooled_body(request([b"abcdefgh", b"ijklmnop"]), 16)) as body:
        assert body.read() == b"abcdefghijklmnop"
    with pytest.raises(HTTPException) as refused:
        asyncio.run(bodies.spooled_body(request([b"abcdefgh", b"ijklmnop", b"q"]), 16))
    assert refused.value.status_code == 413


def test_unmatched_sales_list_pages_and_is_party_scoped(api) -> None:
    client, keys = api
    header, *_ = SALES.splitlines()
    rows = [f"sohu,drama,AVOD,JP,2017-01-01,2017-03-31,1,{n},USD" for n in range(1, 6)]
    body = "\n".join([header, *rows]) + "\n"
    sent = client.post("/sales?filename=jp.csv", content=body, headers=auth(keys["sohu"]))
    assert sent.json()["unmatched_count"] == 5
    page = client.get("/sales/unmatched?limit=2&offset=2", headers=auth(keys["viewer"])).json()
    assert (page["total"], [i["gross"] for i in page["items"]]) == (5, ["3", "4"])
    own = client.get("/sales/unmatched", headers=auth(keys["sohu"])).json()
    assert own["total"] == 5
    # another party's key sees none of them, even asking for sohu's by name
    other = client.get("/sales/unmatched?licensee=sohu", headers=auth(keys["iqiyi"])).json()
    assert (other["total"], other["items"]) == (0, [])
    too_many = client.get("/sales/unmatched?limit=1001", headers=auth(keys["viewer"]))
    assert too_many.status_code == 422
    wrong = client.get("/sales/unmatched?reason=lost", headers=auth(keys["viewer"]))
    assert wrong.status_code == 422
    assert client.get("/sales/unmatched").status_code == 401
