"""The batch statement path against the old per-contract one, on a generated book.

``statements_of_period`` states every contract of a period in one pass over the stored
lines, counting a contract's earlier lines only through their royalties; ``statement``
does the same for one contract; the ledger and the calendar read each period's ``due``
without stating it. Each must give the very bytes of stating every period in full from
the contract's lines (``statement_by_replay``, the per-contract path the batch one
replaced): JSON, CSV and PDF, on a book with tiers crossed inside lines, returns, several
share entries, minimum guarantees, four reporting frequencies, currencies of 0, 2 and 3
decimals and converted lines (docs/semantics.md rules 16-19).
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reelrights.domain.money import Period
from reelrights.engine.royalties import (
    Conversion,
    RatedLine,
    statement_by_replay,
    statement_payables,
    statements,
)
from reelrights.formats.statement import render_csv, render_pdf
from reelrights.service import Service

FREQUENCIES = ("monthly", "quarterly", "half-yearly", "yearly")
MEDIA = ("SVOD", "AVOD", "TVOD", "FREE_TV")
PLACES = ("CN", "HK", "TW", "JP", "KR")
LICENSEES = ("sohu", "iqiyi", "youku")


def _share(rng: random.Random) -> str:
    """A revenue_share of one to three entries, some media- or territory-specific, some
    tiered with limits small enough to be crossed inside a line."""
    entries = []
    for _ in range(rng.randint(1, 3)):
        parts = []
        if rng.random() < 0.5:
            parts.append(f"media: [{rng.choice(MEDIA)}]")
        if rng.random() < 0.4:
            parts.append(f"territories: [{rng.choice(PLACES)}]")
        if rng.random() < 0.5:
            first = rng.choice((5000, 20000, 80000))
            rate = (
                f"[{{upto: {first}, rate: 0.1}}, {{upto: {first * 3}, rate: 0.225}}, "
                f"{{rate: 0.3333}}]"
            )
        else:
            rate = rng.choice(("0.5", "0.15", "0.175", "0.3333"))
        parts.append(f"rate: {rate}")
        entries.append("      - {" + ", ".join(parts) + "}")
    return "\n".join(entries)


def generated_book(seed: int) -> tuple[str, list[tuple[str, str]]]:
    """A deal sheet of licenses with money terms, and each license's (id, reporting)."""
    rng = random.Random(seed)
    titles = [f"t{i}" for i in range(8)]
    out = [
        "parties:",
        "  - {id: kbs, name: KBS}",
        *(f"  - {{id: {p}, name: {p}}}" for p in LICENSEES),
        "titles:",
        *(f"  - {{id: {t}, name: Title {t}}}" for t in titles),
        "contracts:",
        "  - id: kbs-owns",
        "    licensee: kbs",
        "    grants: [{titles: [" + ", ".join(titles) + "], media: [ALL_MEDIA],"
        " territories: [WORLD], start: 2010-01-01}]",
    ]
    made = []
    for i, title in enumerate(titles):
        for licensee in LICENSEES:
            if rng.random() < 0.3:
                continue
            cid = f"c{i}-{licensee}"
            currency = rng.choice(("USD", "USD", "JPY", "KWD"))
            reporting = rng.choice(FREQUENCIES)
            guarantee = rng.choice((0, 1000, 30000, 250000))
            out += [
                f"  - id: {cid}",
                "    licensor: kbs",
                f"    licensee: {licensee}",
                f"    currency: {currency}",
                f"    reporting: {reporting}",
                f"    minimum_guarantee: {{amount: {guarantee}, currency: {currency}}}",
                "    revenue_share:",
                _share(rng),
                f"    grants: [{{titles: [{title}], media: [{', '.join(MEDIA)}],"
                f" territories: [{', '.join(PLACES)}], start: 2016-01-01, end: 2018-12-31}}]",
            ]
            made.append((cid, reporting))
    return "\n".join(out) + "\n", made


def generated_sales(seed: int, lines: int) -> str:
    """Sales over 2016-2018 in USD, CNY, JPY and EUR, with about 8% returns and a few
    lines that match nothing."""
    rng = random.Random(seed)
    rows = ["licensee,title,medium,territory,period_start,period_end,units,gross,currency"]
    for _ in range(lines):
        month = date(2016, 1, 1) + timedelta(days=31 * rng.randint(0, 35))
        first = month.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        gross = Decimal(rng.randint(1, 4_000_000)).scaleb(-rng.choice((0, 2, 3)))
        if rng.random() < 0.08:
            gross = -gross
        rows.append(
            ",".join(
                (
                    rng.choice(LICENSEES),
                    f"t{rng.randint(0, 8)}",  # t8 is unknown
                    rng.choice(MEDIA),
                    rng.choice(PLACES),
                    first.isoformat(),
                    last.isoformat(),
                    str(rng.randint(1, 99)),
                    str(gross),
                    rng.choice(("USD", "USD", "CNY", "JPY", "EUR")),
                )
            )
        )
    return "\n".join(rows) + "\n"


RATES = (
    "date,from,to,rate\n"
    "2015-12-01,USD,CNY,6.4\n2017-01-01,USD,CNY,6.9\n2018-01-01,USD,CNY,6.5\n"
    "2015-12-01,USD,JPY,120.5\n2017-06-01,USD,JPY,111.25\n"
    "2015-12-01,EUR,USD,1.0875\n2016-12-01,EUR,USD,1.0525\n"
    "2015-12-01,KWD,USD,3.3\n2015-12-01,USD,KWD,0.303\n"
    "2015-12-01,JPY,KWD,0.0027\n2015-12-01,CNY,KWD,0.044\n2015-12-01,EUR,KWD,0.33\n"
    "2015-12-01,CNY,JPY,17.5\n2015-12-01,EUR,JPY,130\n"
)


def _rated(row: Any) -> RatedLine:
    """A stored row of ``Reader.sales_of`` as the per-contract path read it."""
    converted = Decimal(row.gross_converted)
    fx = None
    if row.fx_rate is not None and row.fx_date is not None:
        fx = Conversion(converted, Decimal(row.fx_rate), row.fx_date, bool(row.fx_inverse))
    return RatedLine(
        row.title,
        row.medium,
        row.territory,
        row.period_start,
        row.period_end,
        Decimal(row.gross),
        row.currency,
        converted,
        int(row.seq),
        f"{row.file}:{row.line}",
        fx,
    )


def _periods(reporting: str) -> list[Period]:
    out, day = [], date(2016, 1, 1)
    while day <= date(2019, 3, 31):
        period = Period.containing(day, reporting)
        if not out or out[-1] != period:
            out.append(period)
        day += timedelta(days=27)
    return out


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Service, list[tuple[str, str]]]:
    folder: Path = tmp_path_factory.mktemp("batch")
    service = Service(str(folder / "batch.db"))
    sheet, made = generated_book(7)
    service.load_texts([("book.yaml", sheet)])
    rates = folder / "rates.csv"
    rates.write_text(RATES)
    service.import_rates([str(rates)])
    report = folder / "sales.csv"
    report.write_text(generated_sales(11, 3000))
    result = service.import_sales([str(report)])
    assert result.matched > 2000 and result.unmatched_count > 100
    return service, made


def _replayed(service: Service, contract_id: str, period: Period) -> bytes:
    """The old per-contract path: every line of the contract to the period's end read as
    rows and every period before it stated in full."""
    with service.store.reading() as reader:
        contract = reader.contract_heads([contract_id])[0]
        lines: list[RatedLine] = [_rated(r) for r in reader.sales_of(contract_id, period.last)]
    found = statement_by_replay(contract, lines, period)
    return _bytes(found)


def _bytes(found) -> bytes:  # type: ignore[no-untyped-def]
    return (
        json.dumps(found.to_json(), sort_keys=True).encode()
        + b"\n--\n"
        + render_csv(found).encode()
    )


def test_every_statement_of_the_batch_path_has_the_old_bytes(book) -> None:
    service, made = book
    reporting = dict(made)
    compared = crossed = returns = 0
    for frequency in FREQUENCIES:
        for period in _periods(frequency):
            batch = {s.contract: s for s in service.statements_of_period(period.name)}
            assert all(reporting[c] == frequency for c in batch)
            for contract_id, _ in (m for m in made if m[1] == frequency):
                old = _replayed(service, contract_id, period)
                single = service.statement(contract_id, period.name)
                assert _bytes(single) == old, (contract_id, period.name)
                if contract_id in batch:
                    assert _bytes(batch[contract_id]) == old, (contract_id, period.name)
                else:  # no line to the period's end: a statement of zeros
                    assert not single.lines and single.earned_to_date == 0
                compared += 1
                crossed += sum(1 for x in single.lines if x.pieces > 1)
                returns += sum(1 for x in single.lines if x.line.gross < 0)
    # the generated book exercises what the comparison is about
    assert compared > 300 and crossed > 5 and returns > 20


def test_the_pdf_of_both_paths_is_the_same(book) -> None:
    service, made = book
    for contract_id, frequency in made[:6]:
        period = _periods(frequency)[-3]
        with service.store.reading() as reader:
            contract = reader.contract_heads([contract_id])[0]
            lines = [_rated(r) for r in reader.sales_of(contract_id, period.last)]
        old = render_pdf(statement_by_replay(contract, lines, period))
        assert render_pdf(service.statement(contract_id, period.name)) == old


def test_the_ledger_dues_are_the_statements_dues(book) -> None:
    """The ledger reads each period's due without stating it: the same payables as
    stating every period of every contract in full."""
    service, made = book
    with service.store.reading() as reader:
        expected = []
        for contract_id, _ in made:
            contract = reader.contract_heads([contract_id])[0]
            lines = [_rated(r) for r in reader.sales_of(contract_id)]
            expected += statement_payables(statements(contract, lines))
    rows = service.ledger(today=date(2030, 1, 1))
    got = [r.payable for r in rows if r.payable.kind == "statement"]
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    assert len(got) > 20
