"""Hostile input (issue 11, points 6, 7, 8 and 13): XML entities, workbook bombs, YAML and
JSON bombs, and the workbook whose stored dimension hid its rows. Each is a clear, located
error (exit 1 in the CLI, 422 in the API), nothing stored, in bounded memory (measured by
``python -m benchmarks.bombs``, never timed here)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from benchmarks.bombs import (
    ROW,
    alias_bomb,
    entity_bomb_feed,
    far_row_workbook,
    feed_sheet,
    huge_cell_workbook,
    malformed_workbook,
    nested_json,
    workbook,
    xxe_feed,
)
from fastapi.testclient import TestClient
from lxml import etree
from typer.testing import CliRunner

from reelrights.api.app import create_app
from reelrights.cli.main import app as cli
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.problems import InvalidInput
from reelrights.domain.territories import Geography
from reelrights.formats import mddf
from reelrights.formats.sheet import parse_sheet
from reelrights.service import Service

SAMPLES = Path(__file__).parents[1] / "conformance" / "mddf" / "samples"
SECRET = "RR-XXE-SECRET-7f3a"
UNSAFE = {"resolve_entities": True, "load_dtd": True, "no_network": False, "huge_tree": True}


@pytest.fixture
def unsafe_lxml_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """lxml as an older or differently built release behaves: entities resolved, DTDs
    loaded, the network allowed, libxml2's size limits off, unless the caller says
    otherwise. A parser hardened explicitly is unaffected; one that trusts the defaults is
    not."""
    real_iterparse, real_parser = etree.iterparse, etree.XMLParser

    def iterparse(source: Any, **options: Any) -> Any:
        return real_iterparse(source, **{**UNSAFE, **options})

    def parser(*args: Any, **options: Any) -> Any:
        return real_parser(*args, **{**UNSAFE, **options})

    monkeypatch.setattr(etree, "iterparse", iterparse)
    monkeypatch.setattr(etree, "XMLParser", parser)


@pytest.fixture
def service(tmp_path: Path) -> Service:
    return Service(str(tmp_path / "book.db"), actor="test")


@pytest.fixture
def client(service: Service) -> Iterator[tuple[TestClient, dict[str, str]]]:
    _, key = service.create_key("admin", None)
    with TestClient(create_app(service), raise_server_exceptions=False) as test_client:
        yield test_client, {"Authorization": f"Bearer {key}"}


def _stored(service: Service) -> int:
    return len(service.export_sheet())


# -- 6: XML entities ---------------------------------------------------------------------


@pytest.mark.usefixtures("unsafe_lxml_defaults")
def test_6_an_external_entity_never_reads_a_local_file(tmp_path: Path, service: Service) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    feed_path = tmp_path / "xxe.xml"
    feed_path.write_bytes(xxe_feed(secret))
    feed = mddf.read_feed(str(feed_path))
    assert SECRET not in repr(feed)
    assert feed.errors and feed.errors[0].line == 3
    assert "DTD" in feed.errors[0].message
    before = _stored(service)
    with pytest.raises(InvalidInput) as refused:
        service.import_feeds([str(feed_path)])
    assert SECRET not in str(refused.value)
    assert _stored(service) == before


@pytest.mark.usefixtures("unsafe_lxml_defaults")
def test_6_an_entity_bomb_is_refused_unexpanded() -> None:
    # 10^5 "lol"s expanded, were entities resolved; the real 10^9 one is below
    feed = mddf.read_feed("bomb.xml", io.BytesIO(entity_bomb_feed(levels=5)))
    assert feed.errors and "DTD" in feed.errors[0].message
    assert "lollol" not in repr(feed)
    assert feed.avails == []


def test_6_the_billion_laughs_is_refused() -> None:
    feed = mddf.read_feed("bomb.xml", io.BytesIO(entity_bomb_feed(levels=9)))
    assert [e.line for e in feed.errors] == [3]
    assert "lollol" not in repr(feed)


@pytest.mark.usefixtures("unsafe_lxml_defaults")
def test_6_workbook_parts_are_parsed_hardened_too(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY s SYSTEM "'
        + secret.as_uri()
        + '">]><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c t="inlineStr"><is><t>&s;</t></is></c></row></sheetData>'
        "</worksheet>"
    )
    feed = mddf.read_feed("xxe.xlsx", io.BytesIO(workbook(sheet)))
    assert SECRET not in repr(feed)
    assert feed.errors and "DTD" in feed.errors[0].message


# -- 7: workbooks ------------------------------------------------------------------------


def test_7_a_row_past_excel_s_last_row_is_refused_naming_the_file() -> None:
    data = far_row_workbook(20_000_000)
    assert len(data) < 8 * 1024
    feed = mddf.read_feed("far.xlsx", io.BytesIO(data))
    assert feed.avails == []
    [error] = feed.errors
    assert error.file == "far.xlsx"
    assert "row 20,000,000" in error.message and "1,048,576" in error.message


@pytest.fixture(scope="module")
def gib_cell_workbook() -> bytes:
    return huge_cell_workbook(1024**3)


def test_7_a_gib_cell_is_refused_before_it_is_unpacked(gib_cell_workbook: bytes) -> None:
    assert len(gib_cell_workbook) < 2 * 1024 * 1024
    feed = mddf.read_feed("cell.xlsx", io.BytesIO(gib_cell_workbook))
    [error] = feed.errors
    assert error.file == "cell.xlsx" and "xl/worksheets/sheet1.xml" in str(error)
    assert "unpacks" in error.message


def test_7_a_cell_longer_than_excel_allows_is_refused() -> None:
    # 40,000 characters of varied text: under the size and ratio limits, over the cell limit
    text = "".join(chr(65 + (i * 7919) % 26) for i in range(40_000))
    sheet = feed_sheet({3: [text, *ROW[1:]]})
    feed = mddf.read_feed("long.xlsx", io.BytesIO(workbook(sheet)))
    [error] = feed.errors
    assert "40,000 characters" in error.message and "32,767" in error.message


def test_7_a_compression_bomb_under_the_size_cap_is_refused() -> None:
    feed = mddf.read_feed("ratio.xlsx", io.BytesIO(huge_cell_workbook(64 * 1024 * 1024)))
    [error] = feed.errors
    assert "times its packed size" in error.message


def test_7_malformed_worksheet_xml_is_exit_1_and_422_naming_the_file(
    tmp_path: Path, client: tuple[TestClient, dict[str, str]]
) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(malformed_workbook())
    feed = mddf.read_feed(str(path))
    [error] = feed.errors
    assert error.file == str(path) and "xl/worksheets/sheet1.xml" in str(error)
    assert "not well-formed XML" in error.message
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "cli.db"), "import", str(path)])
    assert result.exit_code == 1
    assert "broken.xlsx" in result.stderr and "Traceback" not in result.stderr
    test_client, headers = client
    answer = test_client.post(
        "/feeds?filename=broken.xlsx", content=path.read_bytes(), headers=headers
    )
    assert answer.status_code == 422, answer.text
    assert "broken.xlsx" in answer.text and "sheet1.xml" in answer.text


# -- 8: deal sheets ------------------------------------------------------------------------


def _problems(text: str, name: str) -> list[str]:
    sheet = parse_sheet(text, name, MediaTaxonomy(), Geography())
    return [str(p) for p in sheet.problems]


def test_8_a_yaml_alias_bomb_is_refused_by_line_also_through_post_sheets(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    text = alias_bomb()
    assert len(text) < 600
    [problem] = _problems(text, "bomb.yaml")
    assert problem.startswith("bomb.yaml:") and "aliases" in problem
    test_client, headers = client
    answer = test_client.post(
        "/sheets", json={"filename": "bomb.yaml", "content": text}, headers=headers
    )
    assert answer.status_code == 422, answer.text
    assert "aliases" in answer.text


def test_8_a_few_aliases_still_load() -> None:
    text = (
        "parties: [{id: a, name: A}, {id: b, name: B}]\n"
        "titles: [{id: t, name: T, kind: film}]\n"
        "contracts:\n"
        "  - {id: own, licensee: a, grants: [&whole {titles: [t], media: [ALL_MEDIA],"
        " territories: [WORLD], start: 2020-01-01}]}\n"
        "  - {id: sale, licensor: a, licensee: b, status: draft, grants: [*whole]}\n"
    )
    assert _problems(text, "ok.yaml") == []


@pytest.mark.parametrize("levels", [1_000, 100_000])
def test_8_deep_nesting_is_a_located_error_not_a_recursion_error(
    levels: int, client: tuple[TestClient, dict[str, str]]
) -> None:
    deep_json = nested_json(levels)
    deep_flow = "parties: " + "[" * levels + "]" * levels + "\n"
    deep_block = "parties:\n" + "".join("  " * i + "-\n" for i in range(1, min(levels, 2_000)))
    for name, text in (("deep.json", deep_json), ("deep.yaml", deep_flow), ("b.yaml", deep_block)):
        problems = _problems(text, name)
        assert len(problems) == 1 and re.match(rf"{name}:\d+: ", problems[0]), problems
    test_client, headers = client
    answer = test_client.post(
        "/sheets", json={"filename": "deep.json", "content": deep_json}, headers=headers
    )
    assert answer.status_code == 422, answer.text
    assert "deep.json" in answer.text


def test_8_a_deeply_nested_contract_through_the_api_is_a_422(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    test_client, headers = client
    for levels in (100, 900):
        contract = (
            '{"id": "deep", "licensee": "somebody", "extra": {"a": '
            + "[" * levels
            + "]" * levels
            + "}}"
        )
        answer = test_client.post(
            "/contracts",
            content=contract,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert answer.status_code == 422, answer.text
        assert "nested" in answer.text


def test_8_a_sheet_longer_than_the_limit_is_refused_before_parsing() -> None:
    text = "parties:\n" + "  - {id: p, name: P}\n" * 1_700_000  # 34 MB
    [problem] = _problems(text, "long.yaml")
    assert "characters" in problem and "at most" in problem


# -- 13: the workbook whose dimension hid its rows ---------------------------------------

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
VERSION_ROW = re.compile(r"^v?1\.\d(\.\d)?$")


def _sheet_rows(path: Path) -> int:
    """Data rows of the workbook's Avails sheets, read straight from the sheet XML with
    zipfile and lxml (no dimension, no openpyxl, no reelrights): rows after the two header
    rows holding a value, other than template comments (``//...``) and the version row."""
    safe = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    with zipfile.ZipFile(path) as book:
        strings: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = etree.fromstring(book.read("xl/sharedStrings.xml"), safe)
            for item in root.iter(f"{MAIN}si"):
                strings.append("".join(t.text or "" for t in item.iter(f"{MAIN}t")))
        count = 0
        for name in book.namelist():
            if not re.match(r"xl/worksheets/sheet\d+\.xml$", name):
                continue
            rows: list[tuple[int, list[str]]] = []
            for row in etree.fromstring(book.read(name), safe).iter(f"{MAIN}row"):
                values = []
                for cell in row.iter(f"{MAIN}c"):
                    if cell.get("t") == "s":
                        text = strings[int(cell.findtext(f"{MAIN}v"))]
                    elif cell.get("t") == "inlineStr":
                        text = "".join(t.text or "" for t in cell.iter(f"{MAIN}t"))
                    else:
                        text = cell.findtext(f"{MAIN}v") or ""
                    if text.strip():
                        values.append(text.strip())
                if values:
                    rows.append((int(row.get("r")), values))
            if not rows or rows[0][0] != 1 or "AvailTrans" not in rows[0][1]:
                continue
            for number, values in rows:
                if number <= 2 or values[0].startswith("//"):
                    continue
                if number == 3 and VERSION_ROW.match(values[0]):
                    continue
                count += 1
    return count


WORKBOOKS = sorted((SAMPLES / "xlsx").glob("*.xlsx")) + sorted(
    p for p in (SAMPLES / "availstool").glob("*.xlsx") if p.name.startswith("test")
)


@pytest.mark.parametrize("path", WORKBOOKS, ids=[p.name for p in WORKBOOKS])
def test_13_every_sample_workbook_yields_every_row_of_its_sheet_xml(path: Path) -> None:
    feed = mddf.read_feed(str(path))
    skipped = [w for w in feed.warnings if "skipped" in w.message]
    assert feed.transactions + len(skipped) == _sheet_rows(path) > 0


def test_13_movies_v1_7_imports_its_27_rows(service: Service) -> None:
    path = SAMPLES / "xlsx" / "Movies_v1.7.xlsx"
    assert _sheet_rows(path) == 27
    result = service.import_feeds([str(path)])
    assert result.to_json()["transactions"] == 27


def test_13_a_sheet_whose_rows_cannot_be_read_is_never_an_empty_success(
    tmp_path: Path, service: Service
) -> None:
    no_columns = SAMPLES / "availstool" / "XML-SS-Correspondences.xlsx"
    headers_only = tmp_path / "headers-only.xlsx"
    headers_only.write_bytes(workbook(feed_sheet({})))
    for path in (no_columns, headers_only):
        with pytest.raises(InvalidInput) as refused:
            service.import_feeds([str(path)])
        assert path.name in str(refused.value)


def test_7_sales_workbooks_are_read_within_the_same_limits(service: Service) -> None:
    header = "licensee,title,medium,territory,period_start,period_end,units,gross,currency"
    cells = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in header.split(","))
    sheet = feed_sheet({}).split("<sheetData>")[0] + f'<sheetData><row r="1">{cells}</row>'
    far = (
        sheet
        + '<row r="20000000"><c t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>'
    )
    broken = sheet + '<row r="2"><c t="inlineStr">'
    for name, data, expected in (
        ("far.xlsx", workbook(far), "row 20,000,000"),
        ("cell.xlsx", huge_cell_workbook(64 * 1024 * 1024), "times its packed size"),
        ("broken.xlsx", workbook(broken), "not well-formed XML"),
    ):
        with pytest.raises(InvalidInput) as refused:
            service.import_sales([(name, data)])
        assert any(p.file == name and expected in p.message for p in refused.value.problems)
