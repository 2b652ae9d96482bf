"""Statement dues on the calendar and in the payments ledger (docs/semantics.md rules 19
and 20): each period's ``due`` is a ``payment-due`` 30 days after the period, in
``reelrights calendar``, ``GET /calendar``, the iCalendar file and the calendar page,
scoped to the parties of the contract; ``payments list --overdue --party P`` shows fee
instalments and statement dues with what was paid, the balance and the days overdue.

The book is the one of tests/store/test_money.py: sohu-svod (USD, MG 100,000; SVOD in CN
at 50%, the rest tiered 20% up to 1,000,000 then 25%; a fee of 2,400,000 in two
instalments due 2015-05-01 and 2015-08-01).

    2017-Q1  CN SVOD 690,000 CNY at 6.9 = 100,000.00 USD x 0.5 = 50,000.00
             HK AVOD 50,000 USD x 0.2 = 10,000.00, twice             = 20,000.00
             JP AVOD: no grant, unmatched
             royalties 70,000.00, earned 70,000.00 < MG 100,000: due 0
    2017-Q2  HK AVOD 400,000 USD x 0.2                               = 80,000.00
             earned 150,000.00, overage 50,000.00, previously due 0:  due 50,000.00
             payable 2017-06-30 + 30 days = 2017-07-30
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from typer.testing import CliRunner

from reelrights.cli.main import app as cli
from reelrights.domain.money import Period
from reelrights.engine.royalties import payable_day
from reelrights.service import Service
from reelrights.web.app import create_site
from tests.store.test_money import BOOK, HEADER, SALES

Q2 = HEADER + "sohu,drama,AVOD,HK,2017-04-01,2017-06-30,10,400000,USD\n"
DUE_ID = "sohu-svod/statements[2017-Q2]/payment-due/2017-07-30"


@pytest.fixture
def book(tmp_path: Path) -> str:
    return _stored(str(tmp_path / "dues.db"), tmp_path)


@pytest.fixture
def any_book(db_url: str, tmp_path: Path) -> str:
    """The book on SQLite and on PostgreSQL."""
    return _stored(db_url, tmp_path)


def _stored(db: str, tmp_path: Path) -> str:
    service = Service(db)
    service.load_texts([("book.yaml", BOOK)])
    rates = tmp_path / "rates.csv"
    rates.write_text("date,from,to,rate\n2017-01-01,USD,CNY,6.9\n")
    service.import_rates([str(rates)])
    service.import_sales([("q1.csv", SALES.encode()), ("q2.csv", Q2.encode())])
    service.close()
    return db


def test_a_statement_due_is_a_payment_due_on_the_calendar(any_book: str) -> None:
    service = Service(any_book)
    events = service.calendar("2017-01-01", "2017-12-31", kinds=["payment-due"])
    # Q1 owed nothing (70,000 earned against the 100,000 MG): only Q2's due is dated
    assert [e.to_json() for e in events] == [
        {
            "id": DUE_ID,
            "date": "2017-07-30",
            "kind": "payment-due",
            "contract": "sohu-svod",
            "party": "sohu",
            "titles": ["drama"],
            "detail": "statement 2017-Q2: 50000.00 USD to kbs",
        }
    ]
    # the fee instalments are still there, in their own years
    fees = service.calendar("2015-01-01", "2015-12-31", kinds=["payment-due"])
    assert [e.id for e in fees] == [
        "sohu-svod/payments[0]/payment-due/2015-05-01",
        "sohu-svod/payments[1]/payment-due/2015-08-01",
    ]
    # a window that ends before the day payable does not show it
    assert service.calendar("2017-07-01", "2017-07-29", kinds=["payment-due"]) == []
    # party-scoped: the licensor and the licensee see it, another party does not
    assert [e.id for e in service.calendar("2017-07-30", "2017-07-30", party="kbs")] == [DUE_ID]
    assert service.calendar("2017-07-30", "2017-07-30", scope="iqiyi") == []
    assert service.calendar("2017-07-30", "2017-07-30", party="iqiyi") == []
    assert [e.id for e in service.calendar("2017-07-30", "2017-07-30", scope="sohu")] == [DUE_ID]
    # a title filter keeps it for its titles
    assert service.calendar("2017-07-30", "2017-07-30", titles=["drama"])[0].id == DUE_ID
    # a payment does not take a due off the calendar: it is the day it was payable
    service.record_payment("sohu-svod", "50000", "2017-07-15")
    assert [e.id for e in service.calendar("2017-07-30", "2017-07-30")] == [DUE_ID]
    service.close()


def test_cli_api_ics_and_page_show_the_statement_due(book: str) -> None:
    runner = CliRunner()
    shown = runner.invoke(
        cli, ["calendar", "--db", book, "--from", "2017-07-01", "--to", "2017-08-31", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    assert [e["id"] for e in json.loads(shown.stdout)["events"]] == [DUE_ID]
    service = Service(book)
    viewer = service.create_key("viewer")[1]
    iqiyi = service.create_key("viewer", "iqiyi")[1]
    sohu = service.create_key("viewer", "sohu")[1]
    site = TestClient(create_site(service), base_url="https://testserver")
    window = "from=2017-07-01&to=2017-08-31"
    every = site.get(f"/calendar?{window}", headers={"Authorization": f"Bearer {viewer}"})
    assert [e["id"] for e in every.json()["events"]] == [DUE_ID]
    other = site.get(f"/calendar?{window}", headers={"Authorization": f"Bearer {iqiyi}"})
    assert other.json()["events"] == []
    ics = site.get(f"/calendar.ics?{window}", headers={"Authorization": f"Bearer {sohu}"})
    entries = list(Calendar.from_ical(ics.content).walk("VEVENT"))
    assert [(e.decoded("dtstart"), str(e["uid"])) for e in entries] == [
        (date(2017, 7, 30), f"{DUE_ID}@reelrights")
    ]
    site.post("/ui/login", data={"key": sohu, "next": "/ui/calendar"})
    page = site.get("/ui/calendar?month=2017-07")
    assert page.status_code == 200 and "statement 2017-Q2: 50000.00 USD to kbs" in page.text
    site.post("/ui/login", data={"key": iqiyi, "next": "/ui/calendar"})
    assert "statement 2017-Q2" not in site.get("/ui/calendar?month=2017-07").text
    service.close()


def test_payments_list_overdue_shows_instalments_and_statement_dues(book: str) -> None:
    """``payments list --overdue --party P``: both kinds of payable, paid, balance, late."""
    service = Service(book)
    service.record_payment(
        "sohu-svod", "1500000", "2015-05-01"
    )  # all of the first, some of the second
    service.close()
    runner = CliRunner()
    listed = runner.invoke(
        cli,
        [
            "--db",
            book,
            "payments",
            "list",
            "--overdue",
            "--party",
            "sohu",
            "--today",
            "2017-09-01",
            "--json",
        ],
    )
    assert listed.exit_code == 0, listed.output
    rows = [
        (
            r["kind"],
            r["label"],
            r["due_date"],
            r["amount"],
            r["paid"],
            r["balance"],
            r["days_overdue"],
        )
        for r in json.loads(listed.stdout)["payables"]
    ]
    assert rows == [
        ("fee", "fee instalment 2 of 2", "2015-08-01", "1200000.00", "300000.00", "900000.00", 762),
        ("statement", "statement 2017-Q2", "2017-07-30", "50000.00", "0.00", "50000.00", 33),
    ]
    # the same as a table, and nothing for a party with no contract
    table = runner.invoke(
        cli,
        ["--db", book, "payments", "list", "--overdue", "--party", "sohu", "--today", "2017-09-01"],
    )
    assert "statement 2017-Q2" in table.stdout and "33 days" in table.stdout
    assert "fee instalment 2 of 2" in table.stdout and "762 days" in table.stdout
    none = runner.invoke(
        cli, ["--db", book, "payments", "list", "--overdue", "--party", "iqiyi", "--json"]
    )
    assert json.loads(none.stdout) == {"payables": []}


def test_the_calendar_at_the_ends_of_the_date_range(book: str) -> None:
    """Windows at the first and last days a date can name: no period ends 30 days before
    0001-01-01, and a period in year 9999 is payable on the last day there is (schemathesis
    found ``GET /calendar.ics?from=0001-01-01&to=0001-01-01`` raising OverflowError)."""
    service = Service(book)
    assert service.calendar("0001-01-01", "0001-01-01") == []
    assert service.calendar("9999-12-01", "9999-12-31") == []
    viewer = service.create_key("viewer")[1]
    site = TestClient(create_site(service), base_url="https://testserver")
    answer = site.get(
        "/calendar.ics?from=0001-01-01&to=0001-01-01",
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert answer.status_code == 200, answer.text
    service.close()
    assert payable_day(Period.parse("9999-Q4")) == date.max
    assert payable_day(Period.parse("9999-Q3")) == date(9999, 10, 30)
    assert payable_day(Period.parse("2017-Q2")) == date(2017, 7, 30)
