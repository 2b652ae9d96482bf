"""``reelrights extract`` (rule 23): the JSON contract, the draft sheet that loads as
drafts, names matched to the book, and bad input (exit 1, nothing stored or created)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from reelrights.cli.main import app
from reelrights.formats.news import MAX_ARTICLE_BYTES

runner = CliRunner()
ARTICLE = """\
Tencent Video has become the exclusive online distributor of the six “Star Wars” films in
China under a deal with The Walt Disney Company. The agreement runs from January 1, 2016 to
December 31, 2020.

Separately, Sohu paid USD 2.4 million for the streaming rights to Korean drama "Moonlit
Harbor" from producer Kestrel Pictures.
"""
KEYS = [
    "licensor",
    "licensee",
    "titles",
    "media",
    "territories",
    "exclusive",
    "fee",
    "start",
    "end",
    "sentence",
    "confidence",
]


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "news.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def test_json_is_exactly_the_contract_shape(tmp_path: Path, article: Path) -> None:
    code, out, err = run(tmp_path / "none.db", "extract", str(article), "--json")
    assert code == 0, err
    deals = json.loads(out)["deals"]
    assert [list(d) for d in deals] == [KEYS, KEYS]
    assert deals[0] | {"sentence": None, "confidence": None} == {
        "licensor": "Walt Disney Company",
        "licensee": "Tencent Video",
        "titles": ["Star Wars"],
        "media": ["ONLINE"],
        "territories": ["CN"],
        "exclusive": True,
        "fee": None,
        "start": "2016-01-01",
        "end": "2020-12-31",
        "sentence": None,
        "confidence": None,
    }
    assert deals[1]["fee"] == {"amount": "2400000", "currency": "USD"}
    assert deals[1]["exclusive"] is None  # not stated: unknown, never defaulted
    assert 0 < deals[0]["confidence"] <= 1
    assert "exclusive online distributor" in deals[0]["sentence"]
    assert not (tmp_path / "none.db").exists()  # reading an article creates no database


def test_the_draft_sheet_loads_as_drafts_that_encumber_nothing(
    tmp_path: Path, article: Path
) -> None:
    db, sheet = tmp_path / "book.db", tmp_path / "draft.yaml"
    code, _, err = run(db, "extract", str(article), "-o", str(sheet))
    assert code == 0, err
    assert "load with: reelrights load" in err
    document = yaml.safe_load(sheet.read_text())
    assert {c["status"] for c in document["contracts"]} == {"draft"}
    sohu = document["contracts"][1]
    assert sohu["extra"]["extracted"]["unconfirmed"] == ["territories", "exclusive"]
    assert sohu["grants"][0]["territories"] == ["WORLD"]  # a placeholder, said to be one
    code, out, err = run(db, "load", str(sheet))
    assert code == 0, err
    code, out, _ = run(db, "contracts", "list", "--json")
    listed = json.loads(out)
    rows = listed if isinstance(listed, list) else listed["contracts"]
    assert sorted(r["status"] for r in rows) == ["draft", "draft"]


def test_names_match_the_parties_and_titles_of_the_book(tmp_path: Path, article: Path) -> None:
    db = tmp_path / "book.db"
    book = tmp_path / "book.yaml"
    book.write_text(
        "parties: [{id: disney, name: The Walt Disney Company}, {id: tencent, name: Tencent "
        "Video}]\ntitles: [{id: sw, name: Star Wars, kind: film}]\n"
    )
    assert run(db, "load", str(book))[0] == 0
    sheet = tmp_path / "draft.yaml"
    code, out, err = run(db, "extract", str(article), "-o", str(sheet))
    assert code == 0, err
    assert "matches disney" in out
    document = yaml.safe_load(sheet.read_text())
    tencent = document["contracts"][0]
    assert (tencent["licensor"], tencent["licensee"]) == ("disney", "tencent")
    assert tencent["grants"][0]["titles"] == ["sw"]
    assert {p["id"] for p in document["parties"]} == {"sohu", "kestrel-pictures"}


def test_an_article_without_deals_is_an_empty_answer(tmp_path: Path) -> None:
    path = tmp_path / "news.txt"
    path.write_text('"Iron Tide" topped the box office for a third weekend, grossing $8.2 million.')
    code, out, _ = run(tmp_path / "book.db", "extract", str(path), "--json")
    assert code == 0
    assert json.loads(out) == {"deals": []}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the article is empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        ("Netflix a acquis les droits du film « Le Voyage » pour la France.".encode(), "English"),
        (b"Netflix has acquired the film. " * (5 * 1024 * 1024 // 31), "limit"),
        (None, "cannot read"),
    ],
)
def test_bad_input_exits_1_and_stores_nothing(
    tmp_path: Path, article: Path, content: bytes | None, message: str
) -> None:
    db = tmp_path / "book.db"
    assert run(db, "extract", str(article), "-o", str(tmp_path / "first.yaml"))[0] == 0
    assert run(db, "load", str(tmp_path / "first.yaml"))[0] == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    bad = tmp_path / "bad.txt"
    if content is not None:
        bad.write_bytes(content)
    code, _, err = run(db, "extract", str(bad), "-o", str(tmp_path / "draft.yaml"))
    assert code == 1
    assert message in err and "bad.txt" in err
    assert not (tmp_path / "draft.yaml").exists()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert MAX_ARTICLE_BYTES < 5 * 1024 * 1024


def test_reading_the_same_article_twice_gives_new_contract_ids(
    tmp_path: Path, article: Path
) -> None:
    db = tmp_path / "book.db"
    for n, suffix in ((1, ""), (2, "-2")):
        sheet = tmp_path / f"draft{n}.yaml"
        assert run(db, "extract", str(article), "-o", str(sheet))[0] == 0
        document = yaml.safe_load(sheet.read_text())
        assert document["contracts"][0]["id"] == f"draft-tencent-video-star-wars{suffix}"
        assert "parties" not in document or n == 1  # the second time every name matches
        code, _, err = run(db, "load", str(sheet))
        assert code == 0, err
