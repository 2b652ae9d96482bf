"""Ids and exports (issue 11, points 10 and 11): one id pattern wherever an id enters
(deal sheets, Avails feeds, the API, the web forms), and no CSV or XLSX the product writes
can hold a cell that a spreadsheet runs as a formula."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from benchmarks.bombs import ROW, feed_sheet, workbook
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from reelrights.api.app import create_app
from reelrights.cli.main import app as cli
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.problems import InvalidInput
from reelrights.domain.territories import Geography
from reelrights.formats.sheet import parse_sheet
from reelrights.service import Service
from reelrights.web.app import create_site
from tests.store.test_service import BOOK

SAMPLES = Path(__file__).parents[1] / "conformance" / "mddf" / "samples"
# the documented pattern (docs/deal-sheet.md, "Ids"), written out here on purpose
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}")
HOSTILE_IDS = ["evil\r\nX-Injected: 1", "a/b", "star wars", "tab\there", "", "-x", "é"]


@pytest.fixture
def service(tmp_path: Path) -> Service:
    service = Service(str(tmp_path / "book.db"), actor="test")
    service.load_texts([("book.yaml", BOOK)])
    return service


def _all_ids(service: Service) -> list[str]:
    return (
        [p.id for p in service.parties()]
        + [t.id for t in service.titles()]
        + [c.id for c in service.contracts()]
    )


# -- 10: ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_10_a_deal_sheet_id_outside_the_pattern_is_a_located_error(bad: str) -> None:
    quoted = json.dumps(bad)  # a YAML double-quoted scalar, escapes and all
    for text, field in (
        (f"parties: [{{id: {quoted}, name: P}}]\n", "parties[0].id"),
        (f"titles: [{{id: {quoted}, name: T, kind: film}}]\n", "titles[0].id"),
    ):
        sheet = parse_sheet(text, "ids.yaml", MediaTaxonomy(), Geography())
        assert [(p.file, p.line, p.field) for p in sheet.problems] == [("ids.yaml", 1, field)]
        assert sheet.parties == [] and sheet.titles == []


def test_10_the_api_and_sheets_refuse_a_crlf_id_and_the_export_keeps_working(
    service: Service,
) -> None:
    _, key = service.create_key("admin", None)
    headers = {"Authorization": f"Bearer {key}"}
    client = TestClient(create_app(service), raise_server_exceptions=False)
    contract = {
        "id": "x\r\nSet-Cookie: a=b",
        "licensor": "disney",
        "licensee": "youku",
        "grants": [
            {"titles": ["sw4"], "media": ["SVOD"], "territories": ["JP"], "start": "2030-01-01"}
        ],
    }
    assert client.post("/contracts", json=contract, headers=headers).status_code == 422
    sheet = 'parties: [{id: "tencent\\r\\nX-A: b", name: T}]\n'
    answer = client.post(
        "/sheets", json={"filename": "crlf.yaml", "content": sheet}, headers=headers
    )
    assert answer.status_code == 422 and "parties[0].id" in answer.text
    assert all(ID.fullmatch(i) for i in _all_ids(service))
    exported = client.get("/export/avails", headers=headers)
    assert exported.status_code == 200, exported.text


def test_10_the_web_deal_form_refuses_a_bad_id(service: Service) -> None:
    _, key = service.create_key("editor", None)
    browser = TestClient(create_site(service), base_url="https://testserver")
    browser.post("/ui/login", data={"key": key, "next": "/ui/"})
    before = service.counts()
    form = {
        "id": "deal\r\nX-A: b",
        "licensor": "disney",
        "licensee": "youku",
        "grant_count": "1",
        "grants-0-titles": "sw4",
        "grants-0-media": "SVOD",
        "grants-0-territories": "JP",
        "grants-0-start": "2030-01-01",
        "grants-0-end": "2030-12-31",
    }
    answer = browser.post("/ui/contracts", data=form, follow_redirects=False)
    assert answer.status_code == 422 and "is not an id" in answer.text
    assert service.counts() == before


def test_10_feed_ids_are_made_to_fit_and_the_demo_fits(tmp_path: Path) -> None:
    # EIDR content ids in DOI form ("10.5240/...") hold a '/'; the title keeps it as an
    # external id, its own id is made to fit
    service = Service(str(tmp_path / "feed.db"), actor="test")
    service.import_feeds([str(SAMPLES / "xlsx" / "Movies_v1.7.2.xlsx")])
    titles = service.titles()
    assert any("/" in t.external_ids.get("contentID", "") for t in titles)
    assert all(ID.fullmatch(i) for i in _all_ids(service))
    assert any(c.id.startswith("avail-owner:") for c in service.contracts())
    demo = tmp_path / "demo.db"
    assert CliRunner().invoke(cli, ["demo", "--db", str(demo)]).exit_code == 0
    assert all(ID.fullmatch(i) for i in _all_ids(Service(str(demo))))


def test_10_a_feed_id_that_cannot_fit_is_a_located_error(tmp_path: Path) -> None:
    long_alid = "md:alid:" + "x" * 250
    data = workbook(feed_sheet({3: [ROW[0], long_alid, *ROW[2:]]}))
    feed = tmp_path / "long.xlsx"
    feed.write_bytes(data)
    service = Service(str(tmp_path / "book.db"), actor="test")
    with pytest.raises(InvalidInput) as refused:
        service.import_feeds([str(feed)])
    problems = [p for p in refused.value.problems if "is not an id" in p.message]
    assert problems and all(p.file == str(feed) and "row 3" in (p.field or "") for p in problems)
    assert any("contract id" in p.message for p in problems)
    assert service.counts()["contracts"] == 0


# -- 11: exports ---------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-1+2", "@SUM(1)", "\t=1", "\r=1"]


def test_11_no_avails_workbook_cell_is_a_formula(tmp_path: Path) -> None:
    service = Service(str(tmp_path / "book.db"), actor="test")
    titles = "".join(
        f"  - {{id: t{i}, name: {json.dumps(name)}, kind: film}}\n"
        for i, name in enumerate(FORMULAS)
    )
    service.load_texts(
        [
            (
                "names.yaml",
                "parties: [{id: studio, name: Studio}, {id: shop, name: Shop}]\n"
                f"titles:\n{titles}"
                "contracts:\n"
                "  - {id: owns, licensee: studio, grants: [{titles: ["
                + ", ".join(f"t{i}" for i in range(len(FORMULAS)))
                + "], media: [ALL_MEDIA], territories: [WORLD], start: 2020-01-01}]}\n"
                "  - {id: sale, licensor: studio, licensee: shop, grants: [{titles: ["
                + ", ".join(f"t{i}" for i in range(len(FORMULAS)))
                + "], media: [EST], territories: [US], start: 2021-01-01, end: 2021-12-31}]}\n",
            )
        ]
    )
    exported = service.export_avails("xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells}
    assert {'=HYPERLINK("http://evil.example","x")', "@SUM(1)", "-1+2"} <= texts


def test_11_csv_and_xlsx_tables_neutralise_formulas_and_keep_numbers() -> None:
    rows = [["text", "number"], *[[f, -5] for f in FORMULAS], ["-12.50", 3.5]]
    text = Service.table_file(rows, "csv").decode()
    written = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in written[1:-1]] == ["'" + f for f in FORMULAS]
    assert written[-1] == ["-12.50", "3.5"] and written[1][1] == "-5"
    book = openpyxl.load_workbook(io.BytesIO(Service.table_file(rows, "xlsx")))
    sheet = book.active
    assert sheet is not None
    values = [(c.value, c.data_type) for row in sheet.iter_rows(min_row=2) for c in row]
    assert (-5, "n") in values and (3.5, "n") in values
    assert [v for v, t in values if t == "s"][: len(FORMULAS)] == FORMULAS
    assert not [v for v, t in values if t == "f"]


def test_11_the_grid_exports_go_through_the_guard(service: Service) -> None:
    _, key = service.create_key("viewer", None)
    browser = TestClient(create_site(service), base_url="https://testserver")
    browser.post("/ui/login", data={"key": key, "next": "/ui/"})
    query = "title=sw4&licensor=disney&start=2016-01-01&end=2016-12-31&territories=CN"
    text = browser.get(f"/ui/grid.csv?{query}").text
    assert not [c for row in csv.reader(io.StringIO(text)) for c in row if c and c[0] in "=+-@"]
    answer = browser.get(f"/ui/grid.xlsx?{query}")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert answer.headers["content-disposition"].startswith('attachment; filename="avails-sw4-')


def test_11_the_search_exports_go_through_the_guard(tmp_path: Path) -> None:
    # a title whose name a spreadsheet would run, owned by the licensor searched as
    service = Service(str(tmp_path / "book.db"), actor="test")
    service.load_texts(
        [
            (
                "book.yaml",
                """
parties: [{id: disney, name: Disney}]
titles: [{id: evil, name: "=HYPERLINK(\\"http://x\\",\\"y\\")", kind: film}]
contracts:
  - {id: owns, licensee: disney, status: executed,
     grants: [{titles: [evil], media: [SVOD], territories: [HK], start: 2016-01-01}]}
""",
            )
        ]
    )
    _, key = service.create_key("viewer", None)
    browser = TestClient(create_site(service), base_url="https://testserver")
    browser.post("/ui/login", data={"key": key, "next": "/ui/"})
    query = "licensor=disney&media=SVOD&territories=HK&start=2016-01-01&end=2016-12-31"
    text = browser.get(f"/ui/search.csv?{query}").text
    names = [row[1] for row in csv.reader(io.StringIO(text))][1:]
    assert names == ['\'=HYPERLINK("http://x","y")']
    answer = browser.get(f"/ui/search.xlsx?{query}")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row]
    assert [c.value for c in cells if c.column == 2][1:] == ['=HYPERLINK("http://x","y")']
    assert not [c for c in cells if c.data_type == "f"]
