"""Money through the service and the store: money terms in sheets, exchange rates, sales
imports, statements and payments (docs/semantics.md rules 14-19)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from reelrights.domain.problems import InvalidInput
from reelrights.service import Acting, Service

BOOK = """
parties:
  - {id: kbs, name: KBS}
  - {id: sohu, name: Sohu}
  - {id: iqiyi, name: iQIYI}
titles:
  - {id: drama, name: A Drama}
contracts:
  - id: kbs-owns
    licensee: kbs
    grants: [{titles: [drama], media: [ALL_MEDIA], territories: [WORLD], start: 2010-01-01}]
  - id: sohu-svod
    licensor: kbs
    licensee: sohu
    signed: 2015-04-01
    currency: USD
    fee: {amount: 2400000, currency: USD}
    payments:
      - {due: 2015-05-01, amount: 1200000}
      - {due: 2015-08-01, amount: 1200000}
    minimum_guarantee: {amount: 100000, currency: USD}
    revenue_share:
      - {media: [SVOD], territories: [CN], rate: 0.5}
      - {rate: [{upto: 1000000, rate: 0.2}, {rate: 0.25}]}
    grants:
      - {titles: [drama], media: [ONLINE], territories: [CN, HK], start: 2015-05-01,
         end: 2020-12-31, exclusive: true}
"""

HEADER = "licensee,title,medium,territory,period_start,period_end,units,gross,currency\n"
SALES = HEADER + (
    "sohu,drama,SVOD,CN,2017-01-01,2017-03-31,100,690000,CNY\n"
    "sohu,drama,AVOD,HK,2017-01-01,2017-03-31,10,50000,USD\n"
    "sohu,drama,AVOD,HK,2017-01-01,2017-03-31,10,50000,USD\n"
    "sohu,drama,AVOD,JP,2017-01-01,2017-03-31,10,50000,USD\n"
)


@pytest.fixture
def svc(db_url: str) -> Service:
    service = Service(db_url)
    service.load_texts([("book.yaml", BOOK)])
    return service


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_money_terms_round_trip_through_export(svc: Service, tmp_path: Path) -> None:
    exported = svc.export_sheet()
    again = Service(str(tmp_path / "again.db"))
    again.load_texts([("export.yaml", exported)])
    assert again.contract("sohu-svod") == svc.contract("sohu-svod")
    assert again.export_sheet() == exported
    c = svc.contract("sohu-svod")
    assert (c.money_currency, len(c.payments), len(c.revenue_share)) == ("USD", 2, 2)


def test_a_schedule_that_does_not_add_up_is_a_located_error(tmp_path: Path) -> None:
    bad = BOOK.replace(
        "- {due: 2015-08-01, amount: 1200000}", "- {due: 2015-08-01, amount: 1100000}"
    )
    svc = Service(str(tmp_path / "bad.db"))
    with pytest.raises(InvalidInput) as caught:
        svc.load_texts([("book.yaml", bad)])
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.field) == ("book.yaml", 19, "contracts[1].payments")
    assert "add up to 2300000, not to the fee of 2400000 USD" in problem.message
    assert svc.counts()["contracts"] == 0


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("rate: 0.5}", "rate: 1.5}", "revenue_share[0].rate", "between 0 and 1"),
        (
            "{upto: 1000000, rate: 0.2}, {rate: 0.25}",
            "{rate: 0.2}, {rate: 0.25}",
            "revenue_share[1].rate[0].upto",
            "only the last tier",
        ),
        (
            "minimum_guarantee: {amount: 100000, currency: USD}",
            "minimum_guarantee: {amount: 100000, currency: EUR}",
            "minimum_guarantee.currency",
            "differs from the contract currency USD",
        ),
        ("currency: USD\n    fee", "currency: USX\n    fee", "currency", "unknown currency"),
        (
            "amount: 1200000}\n      - {due: 2015-08-01",
            "amount: 1199999.995}\n      - {due: 2015-08-01",
            "payments[0].amount",
            "minor unit",
        ),
        (
            "media: [SVOD], territories: [CN]",
            "media: [SVODD], territories: [CN]",
            "revenue_share[0].media",
            "SVODD",
        ),
    ],
)
def test_bad_money_terms_are_located(tmp_path: Path, old, new, field, message) -> None:
    assert old in BOOK
    svc = Service(str(tmp_path / "bad.db"))
    with pytest.raises(InvalidInput) as caught:
        svc.load_texts([("book.yaml", BOOK.replace(old, new, 1))])
    fields = [(p.field, p.message) for p in caught.value.problems]
    assert any(f == f"contracts[1].{field}" and message in m for f, m in fields), fields


def test_sales_import_matches_converts_and_counts_once(svc: Service, tmp_path: Path) -> None:
    sales = _write(tmp_path, "q1.csv", SALES)
    first = svc.import_sales([sales])
    # the CNY line has no rate yet; JP is granted to nobody; two identical HK lines both count
    assert first.matched == 2
    assert [(u["line"], u["reason"]) for u in first.unmatched] == [
        (2, "no-exchange-rate"),
        (5, "no-grant"),
    ]
    svc.import_rates([_write(tmp_path, "rates.csv", "date,from,to,rate\n2017-01-01,USD,CNY,6.9\n")])
    again = svc.import_sales([sales])
    assert (again.matched, again.rematched, again.already) == (0, 1, 3)
    # renamed and reordered, the same lines are still the same lines
    lines = SALES.splitlines()
    shuffled = _write(tmp_path, "renamed.csv", "\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    third = svc.import_sales([shuffled])
    assert (third.matched, third.rematched, third.already) == (0, 0, 4)
    s = svc.statement("sohu-svod", "2017-Q1").to_json()
    # SVOD CN: 690000 CNY / 6.9 = 100000.00 USD at 50% = 50000.00
    # AVOD HK: 50000 + 50000 = 100000 cumulative under the 1M tier at 20% = 10000 + 10000
    assert [(x["medium"], x["gross_converted"], x["royalty"]) for x in s["lines"]] == [
        ("AVOD", "50000.00", "10000.00"),
        ("AVOD", "50000.00", "10000.00"),
        ("SVOD", "100000.00", "50000.00"),
    ]
    # royalties 70000 against an MG of 100000: all recouped, nothing due
    assert (s["royalties"], s["recouped_to_date"], s["unrecouped"], s["due"]) == (
        "70000.00",
        "70000.00",
        "30000.00",
        "0.00",
    )


def test_a_malformed_file_is_refused_whole_with_every_problem_located(
    svc: Service, tmp_path: Path
) -> None:
    text = HEADER + (
        "sohu,drama,SVOD,CN,2017-01-01,2017-03-31,100,1000,USD\n"
        "sohu,drama,SVOD,CN,2017-13-01,2017-03-31,100,1000,USD\n"
        "sohu,drama,SVOD,CN,2017-01-01,2017-03-31,100,1.000,00,USD\n"
        "sohu,drama,SVOD,CN,2017-01-01,2017-03-31,ten,12abc,XXY\n"
    )
    with pytest.raises(InvalidInput) as caught:
        svc.import_sales([_write(tmp_path, "bad.csv", text)])
    located = [(p.line, p.field) for p in caught.value.problems]
    assert located == [(3, "period_start"), (4, None), (5, "gross"), (5, "currency"), (5, "units")]
    assert all(p.file and p.file.endswith("bad.csv") for p in caught.value.problems)
    with svc.store.reading() as reader:
        assert reader.sales_counts() == (0, 0)


def test_a_file_with_an_unknown_column_is_refused(svc: Service, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        svc.import_sales([_write(tmp_path, "x.csv", HEADER.replace("gross", "gros"))])
    first = caught.value.problems[0]
    assert (first.line, first.field) == (1, "gros")


def test_xlsx_sales_reports_read_like_csv(svc: Service, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in SALES.splitlines():
        sheet.append(row.split(","))
    path = tmp_path / "q1.xlsx"
    book.save(path)
    result = svc.import_sales([str(path)])
    assert (result.matched, len(result.unmatched)) == (2, 2)


def test_statements_are_the_same_bytes_every_time(svc: Service, tmp_path: Path) -> None:
    svc.import_rates([_write(tmp_path, "rates.csv", "date,from,to,rate\n2017-01-01,USD,CNY,6.9\n")])
    svc.import_sales([_write(tmp_path, "q1.csv", SALES)])
    one, two = svc.statement("sohu-svod", "2017-Q1"), svc.statement("sohu-svod", "2017-Q1")
    assert json.dumps(one.to_json()) == json.dumps(two.to_json())
    pdf = svc.render_statement(one, "pdf")
    assert pdf.startswith(b"%PDF") and pdf == svc.render_statement(two, "pdf")
    csv_text = svc.render_statement(one, "csv").decode()
    assert "royalties,70000.00" in csv_text and "contract,sohu-svod" in csv_text
    assert csv_text.count("\nAVOD") == 0 and csv_text.count("drama,AVOD,HK") == 2
    # a period with no sales is a statement of zeros; a period of another frequency is refused
    empty = svc.statement("sohu-svod", "2018-Q2").to_json()
    assert (empty["lines"], empty["royalties"], empty["earned_to_date"]) == ([], "0.00", "70000.00")
    with pytest.raises(InvalidInput, match="statemented quarterly"):
        svc.statement("sohu-svod", "2017-03")


def test_payments_ledger_with_overdue_and_credit(svc: Service) -> None:
    svc.record_payment("sohu-svod", "1200000", "2015-05-02")
    rows = svc.ledger(today=date(2015, 9, 1))
    # instalment 1 paid; instalment 2 (Aug 1) unpaid, 31 days late on Sep 1
    assert [(r.payable.label, str(r.balance), r.days_overdue) for r in rows] == [
        ("fee instalment 1 of 2", "0.00", 0),
        ("fee instalment 2 of 2", "1200000.00", 31),
    ]
    assert len(svc.ledger(overdue=True, today=date(2015, 9, 1))) == 1
    svc.record_payment("sohu-svod", "1500000", "2015-09-02")
    rows = svc.ledger(today=date(2015, 9, 3))
    assert [r.to_json()["balance"] for r in rows] == ["0.00", "0.00", "-300000.00"]
    assert rows[-1].payable.kind == "credit"
    with pytest.raises(InvalidInput, match="minor unit"):
        svc.record_payment("sohu-svod", "0.001", "2015-09-02")
    with pytest.raises(InvalidInput):
        svc.record_payment("sohu-svod", "-5", "2015-13-02")


def test_a_party_sees_only_its_own_money(svc: Service, tmp_path: Path) -> None:
    svc.record_payment("sohu-svod", "100", "2015-05-02")
    with svc.acting(Acting("key:x", "x", "iqiyi")):
        with pytest.raises(InvalidInput, match="unknown contract"):
            svc.statement("sohu-svod", "2017-Q1")
        assert svc.ledger() == []
        assert svc.payments() == []
        with pytest.raises(InvalidInput, match="only its own sales"):
            svc.import_sales([_write(tmp_path, "q1.csv", SALES)])
    with svc.acting(Acting("key:y", "y", "sohu")):
        assert svc.statement("sohu-svod", "2017-Q1").contract == "sohu-svod"
        assert len(svc.payments()) == 1


def test_the_fee_travels_as_an_avails_license_fee(tmp_path: Path) -> None:
    svc = Service(str(tmp_path / "out.db"))
    svc.load_texts([("book.yaml", BOOK)])
    exported = svc.export_avails("xml")
    assert exported.content.count(b"LicenseFee") == 1  # once, on the first transaction
    assert b'currency="USD">2400000<' in exported.content
    assert any("minimum guarantee has no Avails term" in n for n in exported.not_exportable)
    assert any("revenue share has no Avails term" in n for n in exported.not_exportable)
    feed = tmp_path / "feed.xml"
    feed.write_bytes(exported.content)
    again = Service(str(tmp_path / "in.db"))
    again.import_feeds([str(feed)])
    [imported] = [c for c in again.contracts() if c.licensor is not None]
    assert imported.fee is not None
    assert (imported.fee.amount, imported.fee.currency) == (2400000, "USD")
    # exported again, the fee is stated once, not added a second time
    assert again.export_avails("xml").content.count(b"LicenseFee") == 1


def test_unmatched_lines_page_by_page_party_scoped(svc: Service, tmp_path: Path) -> None:
    """Every stored unmatched line can be listed, a page at a time in the order reported,
    narrowed by licensee and reason; a party's key sees only the lines it reported."""
    rows = [f"sohu,drama,AVOD,JP,2017-01-01,2017-03-31,1,{n},USD" for n in range(1, 13)]
    rows += [f"sohu,nope-{n},AVOD,HK,2017-01-01,2017-03-31,1,5,USD" for n in range(3)]
    rows += [f"iqiyi,drama,AVOD,KR,2017-01-01,2017-03-31,1,{n},USD" for n in range(1, 6)]
    report = _write(tmp_path, "many.csv", HEADER + "\n".join(rows) + "\n")
    result = svc.import_sales([report])
    assert result.unmatched_count == 20
    pages = [svc.unmatched_sales(limit=7, offset=offset) for offset in (0, 7, 14, 21)]
    assert [p["total"] for p in pages] == [20, 20, 20, 20]
    assert [len(p["items"]) for p in pages] == [7, 7, 6, 0]
    listed = [item["line"] for p in pages for item in p["items"]]
    assert listed == list(range(2, 22))  # every line once, in the order reported
    titles = svc.unmatched_sales(reason="unknown-title")
    assert (titles["total"], [i["title"] for i in titles["items"]]) == (
        3,
        ["nope-0", "nope-1", "nope-2"],
    )
    assert svc.unmatched_sales(licensee="iqiyi")["total"] == 5
    assert svc.unmatched_sales(licensee="iqiyi", reason="unknown-title")["total"] == 0
    with svc.acting(Acting("key:x", "x", "iqiyi")):
        own = svc.unmatched_sales(limit=2, offset=1)
        assert own["total"] == 5
        assert [(i["licensee"], i["gross"]) for i in own["items"]] == [
            ("iqiyi", "2"),
            ("iqiyi", "3"),
        ]
        assert svc.unmatched_sales(licensee="sohu") == {
            "total": 0,
            "limit": 100,
            "offset": 0,
            "items": [],
        }
    with pytest.raises(InvalidInput) as bad:
        svc.unmatched_sales(limit=0, offset=-1, reason="lost")
    assert [p.field for p in bad.value.problems] == ["limit", "offset", "reason"]
