"""The money commands of docs/cli.md: fx import, sales import, statement, payments; --json,
files written, exit 1 on bad input with nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reelrights.cli.main import app
from tests.store.test_money import BOOK, SALES

runner = CliRunner()


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def test_money_commands(tmp_path: Path) -> None:
    db = tmp_path / "book.db"
    sheet, rates, sales = tmp_path / "book.yaml", tmp_path / "rates.csv", tmp_path / "q1.csv"
    sheet.write_text(BOOK)
    rates.write_text("date,from,to,rate\n2017-01-01,USD,CNY,6.9\n")
    sales.write_text(SALES)
    assert run(db, "load", str(sheet))[0] == 0
    code, out, err = run(db, "fx", "import", str(rates))
    assert (code, out.strip()) == (0, "stored 1 exchange rates"), err
    code, out, _ = run(db, "sales", "import", str(sales), "--json")
    report = json.loads(out)
    assert (code, report["matched"]) == (0, 3)
    assert [(u["line"], u["reason"]) for u in report["unmatched"]] == [(5, "no-grant")]
    code, out, _ = run(db, "sales", "import", str(sales))
    assert code == 0 and "matched 0, unmatched 1, already imported 4" in out
    pdf, csv = tmp_path / "s.pdf", tmp_path / "s.csv"
    args = ("statement", "--contract", "sohu-svod", "--period", "2017-Q1")
    code, out, _ = run(db, *args, "--json", "--pdf", str(pdf), "--csv", str(csv))
    statement = json.loads(out)
    assert (code, statement["royalties"], statement["unrecouped"]) == (0, "70000.00", "30000.00")
    assert pdf.read_bytes().startswith(b"%PDF") and "due,0.00" in csv.read_text()
    first = pdf.read_bytes()
    run(db, *args, "--pdf", str(pdf))
    assert pdf.read_bytes() == first  # the same bytes every time
    code, out, _ = run(db, *args)
    assert code == 0 and "royalties" in out and "sales.csv" not in out
    code, out, _ = run(
        db,
        "payments",
        "record",
        "--contract",
        "sohu-svod",
        "--amount",
        "2500000",
        "--date",
        "2015-05-01",
    )
    assert code == 0 and "recorded payment 1" in out
    code, out, _ = run(db, "payments", "list", "--json", "--today", "2016-01-01")
    rows = json.loads(out)["payables"]
    assert [r["balance"] for r in rows] == ["0.00", "0.00", "-100000.00"]  # a credit
    code, out, _ = run(db, "payments", "list", "--overdue")
    assert code == 0 and "nothing payable" in out


def test_bad_money_input_exits_1_and_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "book.db"
    sheet, sales = tmp_path / "book.yaml", tmp_path / "bad.csv"
    sheet.write_text(BOOK)
    sales.write_text(SALES.replace("2017-03-31", "2017-02-30", 1))
    assert run(db, "load", str(sheet))[0] == 0
    code, _, err = run(db, "sales", "import", str(sales))
    assert code == 1 and "bad.csv:2: period_end: '2017-02-30' is not a date" in err
    code, out, _ = run(db, "statement", "--contract", "sohu-svod", "--period", "2017-Q1", "--json")
    assert code == 0 and json.loads(out)["lines"] == []
    assert run(db, "statement", "--contract", "nope", "--period", "2017-Q1")[0] == 1
    assert run(db, "statement", "--contract", "sohu-svod", "--period", "2017-Q5")[0] == 1
    code, _, err = run(
        db,
        "payments",
        "record",
        "--contract",
        "sohu-svod",
        "--amount",
        "1,000",
        "--date",
        "2015-05-01",
    )
    assert code == 1 and "is not a number" in err
    assert run(db, "fx", "import", str(tmp_path / "missing.csv"))[0] == 1


def test_sales_unmatched_pages(tmp_path: Path) -> None:
    db = tmp_path / "book.db"
    sheet, sales = tmp_path / "book.yaml", tmp_path / "q1.csv"
    sheet.write_text(BOOK)
    header, *_ = SALES.splitlines()
    rows = [f"sohu,drama,AVOD,JP,2017-01-01,2017-03-31,1,{n},USD" for n in range(1, 6)]
    sales.write_text("\n".join([header, *rows, "sohu,gone,AVOD,HK,2017-01-01,2017-03-31,1,1,USD"]))
    assert run(db, "load", str(sheet))[0] == 0
    assert run(db, "sales", "import", str(sales))[0] == 0
    code, out, _ = run(db, "sales", "unmatched", "--limit", "2", "--offset", "3", "--json")
    page = json.loads(out)
    assert (code, page["total"], page["limit"], page["offset"]) == (0, 6, 2, 3)
    assert [(i["line"], i["reason"]) for i in page["items"]] == [
        (5, "no-grant"),
        (6, "no-grant"),
    ]
    code, out, _ = run(db, "sales", "unmatched", "--limit", "2", "--offset", "3")
    assert code == 0 and "unmatched lines 4-5 of 6" in out and "next page: --offset 5" in out
    code, out, _ = run(db, "sales", "unmatched", "--reason", "unknown-title")
    assert code == 0 and "1-1 of 1" in out and "gone" in out and "next page" not in out
    code, _, err = run(db, "sales", "unmatched", "--limit", "5000")
    assert code == 1 and "limit" in err
