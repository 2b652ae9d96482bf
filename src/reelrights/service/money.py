"""Money jobs of the service: exchange rates, sales reports, statements and payments.

A sales import streams its files in one write transaction: each line is checked, matched
(docs/semantics.md rule 14), converted (rule 15) and stored as it is read, so memory stays
flat; if any file has a malformed line, the transaction is rolled back and every problem
is reported with its file, row and column. Lines are identified by a hash of their
normalised fields and their occurrence within the file (``formats.sales.line_identity``):
a line already stored is counted once, and a stored line that was unmatched is matched
again (an exchange rate or a contract may have arrived since).

A party's key sees only the statements and payments of contracts it is party to, and may
report only its own sales.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from reelrights.domain.contracts import Contract
from reelrights.domain.money import Period, parse_amount, round_money
from reelrights.domain.problems import CodeError, InvalidInput, Problem
from reelrights.domain.terms import parse_date
from reelrights.domain.titles import Catalog
from reelrights.engine.royalties import (
    NO_CURRENCY,
    NO_RATE,
    REASONS,
    Conversion,
    LedgerRow,
    LineMatcher,
    PastLine,
    Payable,
    Payment,
    RatedLine,
    Rates,
    Statement,
    due_payables,
    fee_payables,
    ledger,
    period_dues,
    period_statement,
)
from reelrights.formats import sales as sales_format
from reelrights.formats import statement as statement_format
from reelrights.service.base import ServiceBase
from reelrights.service.permissions import Permissions
from reelrights.store.repository import Reader, Writer, sales_row_day

Progress = Callable[[str, int, int], None]
Source = str | Path | tuple[str, bytes | IO[bytes]]
"""A file by its path, or a name with its bytes or an open binary file (read from its
start, not closed: an upload spooled to a temporary file)."""
BATCH = 5000  # lines checked, matched and stored together


LISTED = 1000  # unmatched lines an import result lists (every one is stored)
MAX_PAGE = 1000  # unmatched lines one page of :meth:`MoneyJobs.unmatched_sales` may hold


@dataclass
class SalesResult:
    """What a sales import did: lines newly matched, lines already stored, how many lines
    are unmatched by reason, and the first :data:`LISTED` of them. Every unmatched line
    is stored with its reason as it is read; the result holds no more than these, so an
    import of millions of lines keeps its memory flat."""

    matched: int = 0
    already: int = 0
    rematched: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    unmatched_count: int = 0
    unmatched_by_reason: dict[str, int] = field(default_factory=dict)

    def add_unmatched(
        self, row: sales_format.SalesRow, reason: str, candidates: Sequence[str]
    ) -> None:
        """Count an unmatched line, and list it while the list has room."""
        self.unmatched_count += 1
        self.unmatched_by_reason[reason] = self.unmatched_by_reason.get(reason, 0) + 1
        if len(self.unmatched) < LISTED:
            self.unmatched.append(_row_json(row, reason, candidates))

    def to_json(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "already_imported": self.already,
            "rematched": self.rematched,
            "unmatched": self.unmatched,
            "unmatched_count": self.unmatched_count,
            "unmatched_by_reason": dict(sorted(self.unmatched_by_reason.items())),
        }


def _row_json(row: sales_format.SalesRow, reason: str, candidates: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "file": row.file,
        "line": row.line,
        "reason": reason,
        "licensee": row.licensee,
        "title": row.title,
        "medium": row.medium,
        "territory": row.territory,
        "period_start": row.period_start.isoformat(),
        "period_end": row.period_end.isoformat(),
        "units": None if row.units is None else str(row.units),
        "gross": str(row.gross),
        "currency": row.currency,
        "contract": row.contract,
    }
    if candidates:
        out["candidates"] = list(candidates)
    return out


def statement_dues(
    reader: Reader, contracts: Mapping[str, Contract], until: date = date.max
) -> Iterator[tuple[Contract, list[tuple[Period, Decimal]]]]:
    """The ``due`` of every period with sales (ending by ``until``) of each of
    ``contracts`` (rule 17), in one pass over the stored lines: what the payments ledger
    and the calendar need, without stating a line."""
    if not contracts:
        return
    few = sorted(contracts) if len(contracts) <= 500 else None  # else read all, skip others
    rows = reader.stream_sales_rows(until, few)
    for contract_id, past, _ in _split_by_contract(rows, date.max):
        contract = contracts.get(contract_id)
        if contract is not None:
            yield contract, period_dues(contract, past)


def _split_by_contract(
    rows: Iterable[tuple[Any, ...]], first: date
) -> Iterator[tuple[str, list[PastLine], list[RatedLine]]]:
    """Rows of :meth:`Reader.stream_sales_rows` (sorted by contract) as each contract's
    lines before ``first`` (only what their royalties need) and from ``first`` on (in
    full, for the statement's lines)."""
    days: dict[Any, date] = {}  # a period's lines repeat its few dates
    for contract_id, group in groupby(rows, key=itemgetter(0)):
        past: list[PastLine] = []
        current: list[RatedLine] = []
        for (
            _,
            end,
            title,
            medium,
            territory,
            seq,
            converted,
            start,
            gross,
            currency,
            file,
            line,
            fx_rate,
            fx_date,
            fx_inverse,
        ) in group:
            day = days.get(end)
            if day is None:
                day = days[end] = sales_row_day(end)
            amount = Decimal(converted)
            if day < first:
                past.append(PastLine(day, title, medium, territory, int(seq), amount))
                continue
            fx = None
            if fx_rate is not None and fx_date is not None:
                fx = Conversion(amount, Decimal(fx_rate), sales_row_day(fx_date), bool(fx_inverse))
            current.append(
                RatedLine(
                    title,
                    medium,
                    territory,
                    sales_row_day(start),
                    day,
                    Decimal(gross),
                    currency,
                    amount,
                    int(seq),
                    f"{file}:{line}",
                    fx,
                )
            )
        yield contract_id, past, current


class MoneyJobs(ServiceBase):
    """Exchange rates, sales reports, statements and the payments ledger."""

    # -- exchange rates ------------------------------------------------------------------

    def import_rates(self, sources: Sequence[Source]) -> int:
        """Store the exchange rates of CSV/XLSX files (``date, from, to, rate``), all or
        nothing; returns how many rates were stored."""
        Permissions.of(self._who()).require_rates()
        quotes: list[tuple[date, str, str, Decimal]] = []
        problems: list[Problem] = []
        for name, data in _named(sources):
            found, wrong = sales_format.read_rates(name, data)
            quotes += found
            problems += wrong
        if problems:
            raise InvalidInput(problems)
        who = self._who()
        with self._writing() as writer:
            stored: int = writer.add_rates(quotes)
            writer.log(who.actor, "import", "fx", "rates", None, {"rates": stored})
        return stored

    # -- sales -----------------------------------------------------------------------------

    def import_sales(
        self, sources: Sequence[Source], progress: Progress | None = None
    ) -> SalesResult:
        """Import sales reports (CSV or XLSX), all or nothing (see the module's doc)."""
        named = _named(sources)
        who = self._who()
        result = SalesResult()
        problems: list[Problem] = []
        with self._writing() as writer:
            matcher = LineMatcher(self._catalog_as_of(writer), (), writer.grants_licensed_to)
            rates = Rates(writer.rates())
            seq = writer.next_sales_seq()
            done = 0
            for name, data in named:
                reader = sales_format.SalesReader(name, data)
                writer.start_sales_file()
                batch_rows: list[sales_format.SalesRow] = []
                for row in reader:
                    if who.party is not None and row.licensee != who.party:
                        problems.append(
                            Problem(
                                f"a party reports only its own sales, not those of "
                                f"'{row.licensee}'",
                                row.file,
                                row.line,
                                "licensee",
                            )
                        )
                        continue
                    batch_rows.append(row)
                    if len(batch_rows) >= BATCH:
                        seq = self._store_sales(writer, matcher, rates, batch_rows, seq, result)
                        done += len(batch_rows)
                        batch_rows = []
                        if progress:
                            progress("sales lines", done, 0)
                seq = self._store_sales(writer, matcher, rates, batch_rows, seq, result)
                done += len(batch_rows)
                problems += reader.problems
            if problems:
                raise InvalidInput(problems)
            writer.log(
                who.actor,
                "import",
                "sales",
                ",".join(n for n, _ in named)[:200],
                None,
                {
                    "matched": result.matched,
                    "rematched": result.rematched,
                    "already_imported": result.already,
                    "unmatched": result.unmatched_count,
                },
            )
            writer.add_events(  # rule 22, in the import's own transaction
                [
                    (
                        "sales.imported",
                        "sales",
                        {
                            "files": [n for n, _ in named],
                            "matched": result.matched,
                            "rematched": result.rematched,
                            "already_imported": result.already,
                            "unmatched": result.unmatched_count,
                        },
                    )
                ]
            )
        return result

    def _catalog_as_of(self, reader: Reader) -> Catalog:
        """The catalog: the warm index's if it is current, else read (without building
        the avails index, which a sales import does not need)."""
        state = self._state
        if state is not None and state.version == reader.book_version():
            return state.catalog
        return reader.catalog()

    def _store_sales(
        self,
        writer: Writer,
        matcher: LineMatcher,
        rates: Rates,
        rows: list[sales_format.SalesRow],
        seq: int,
        result: SalesResult,
    ) -> int:
        if not rows:
            return seq
        normalised = [r.normalised() for r in rows]
        occurrences = writer.sales_occurrences([sales_format.line_key(n) for n in normalised])
        ids = [
            sales_format.line_identity(text, n)
            for text, n in zip(normalised, occurrences, strict=True)
        ]
        known = writer.known_sales(ids)
        fresh: list[tuple[Any, ...]] = []
        again: list[tuple[Any, ...]] = []
        for line_id, row in zip(ids, rows, strict=True):
            stored = line_id in known
            if stored and known[line_id] is not None:
                result.already += 1
                continue
            found = matcher.match(
                row.licensee, row.title, row.medium, row.territory, row.period_start, row.contract
            )
            contract, reason, conversion = found.contract, found.reason, None
            if contract is not None:
                currency = contract.money_currency
                if currency is None:
                    contract, reason = None, NO_CURRENCY
                else:
                    conversion = rates.convert(row.gross, row.currency, currency, row.period_end)
                    if conversion is None:
                        contract, reason = None, NO_RATE
            if contract is None:
                result.add_unmatched(row, reason or "", found.candidates)
                if stored:
                    result.already += 1
                    continue
            elif stored:
                result.rematched += 1
            else:
                result.matched += 1
            record = (
                line_id,
                seq,
                row.file,
                row.line,
                row.licensee,
                row.title,
                row.medium,
                row.territory,
                row.period_start,
                row.period_end,
                None if row.units is None else str(row.units),
                str(row.gross),
                row.currency,
                row.contract,
                contract.id if contract else None,
                reason,
                ",".join(found.candidates) or None,
                str(conversion.amount) if conversion else None,
                str(conversion.rate) if conversion and conversion.day else None,
                conversion.day if conversion else None,
                bool(conversion and conversion.inverse),
            )
            seq += 1
            (again if stored else fresh).append(record)
        fresh.sort()  # in id order (the first field): the id index takes them page by page
        writer.add_sales(fresh)
        if again:
            writer.rematch_sales(again)
        return seq

    def unmatched_sales(
        self,
        limit: int = 100,
        offset: int = 0,
        licensee: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """One page of the stored unmatched lines with their reasons, in the order they
        were reported: ``{"total", "limit", "offset", "items"}``, ``total`` counting every
        line that matches the filters. A key bound to a party sees only the lines that
        party reported (``licensee`` another party's: nothing)."""
        problems = []
        if not 1 <= limit <= MAX_PAGE:
            problems.append(Problem(f"must be from 1 to {MAX_PAGE}", field="limit"))
        if offset < 0:
            problems.append(Problem("must be 0 or more", field="offset"))
        if reason is not None and reason not in REASONS:
            problems.append(
                Problem(f"unknown reason '{reason}' (one of {', '.join(REASONS)})", field="reason")
            )
        if problems:
            raise InvalidInput(problems)
        page: dict[str, Any] = {"total": 0, "limit": limit, "offset": offset, "items": []}
        any_match, licensee = Permissions.of(self._who()).sales_party(licensee or None)
        if not any_match:
            return page
        with self.store.reading() as reader:
            total, rows = reader.unmatched_sales(limit, offset, licensee, reason)
        page["total"] = total
        page["items"] = [
            {
                "file": r.file,
                "line": r.line,
                "reason": r.reason,
                "licensee": r.licensee,
                "title": r.title,
                "medium": r.medium,
                "territory": r.territory,
                "period_start": r.period_start.isoformat(),
                "period_end": r.period_end.isoformat(),
                "units": r.units,
                "gross": r.gross,
                "currency": r.currency,
                "contract": r.contract_hint,
                **({"candidates": r.candidates.split(",")} if r.candidates else {}),
            }
            for r in rows
        ]
        return page

    # -- statements ------------------------------------------------------------------------

    def _may_see(self, contract: Contract) -> bool:
        return Permissions.of(self._who()).may_read(contract)

    def _may_see_party(self, party: str) -> bool:
        who = self._who().party
        return who is None or who == party

    def _visible_contract(self, contract_id: str) -> Contract:
        with self.store.reading() as reader:
            found = reader.contract_heads([contract_id])
        contract = found[0] if found else None
        if contract is None or not self._may_see(contract):
            # the same answer as for a contract that does not exist: nothing leaks
            raise InvalidInput([Problem(f"unknown contract '{contract_id}'", field="contract")])
        return contract

    def statement(self, contract_id: str, period: str) -> Statement:
        """The statement of a contract for a period (rule 17), every line included. The
        period must be one of the contract's reporting frequency."""
        contract = self._visible_contract(contract_id)
        wanted = _period(period, contract)
        with self.store.reading() as reader:
            rows = reader.stream_sales_rows(wanted.last, [contract.id])
            for _, past, current in _split_by_contract(rows, wanted.first):
                return period_statement(contract, past, current, wanted)
        return period_statement(contract, [], [], wanted)

    @staticmethod
    def render_statement(found: Statement, kind: str) -> bytes:
        """A statement as ``csv`` (UTF-8 text) or ``pdf``, the same bytes every time."""
        if kind == "pdf":
            return statement_format.render_pdf(found)
        return statement_format.render_csv(found).encode()

    def statements_of_period(self, period: str) -> Iterator[Statement]:
        """Every statement of a period: one per contract with sales whose reporting
        frequency the period belongs to, in contract order.

        One pass over the lines to the period's end (one query, sorted by contract) and
        one query for the contracts of each batch: a line of an earlier period becomes
        only what its royalty needs (:class:`~reelrights.engine.royalties.PastLine`),
        the period's own lines become statement lines (see
        :func:`~reelrights.engine.royalties.period_statement`)."""
        wanted = _period(period, None)
        with self.store.reading() as reader:
            pending: list[tuple[str, list[PastLine], list[RatedLine]]] = []
            for contract_id, past, current in _split_by_contract(
                reader.stream_sales_rows(wanted.last), wanted.first
            ):
                pending.append((contract_id, past, current))
                if len(pending) >= 1000:
                    yield from self._state_all(reader, pending, wanted)
                    pending = []
            yield from self._state_all(reader, pending, wanted)

    def _state_all(
        self,
        reader: Reader,
        pending: list[tuple[str, list[PastLine], list[RatedLine]]],
        wanted: Period,
    ) -> Iterator[Statement]:
        contracts = {c.id: c for c in reader.contract_heads([cid for cid, _, _ in pending])}
        for cid, past, current in pending:
            contract = contracts.get(cid)
            if contract is None or contract.reporting != wanted.reporting:
                continue
            if self._may_see(contract):
                yield period_statement(contract, past, current, wanted)

    # -- payments ----------------------------------------------------------------------------

    def record_payment(
        self, contract_id: str, amount: str | Decimal, on: str | date, note: str | None = None
    ) -> dict[str, Any]:
        """Record a payment under a contract (by its licensee to its licensor). A payment
        beyond what is due is accepted: the ledger shows it as credit."""
        contract = self._visible_contract(contract_id)
        currency = contract.money_currency
        problems: list[Problem] = []
        value = day = None
        try:
            value = parse_amount(amount)
            if value <= 0:
                problems.append(Problem("a payment must be more than zero", field="amount"))
        except CodeError as error:
            problems.append(Problem(str(error), field="amount"))
        try:
            day = parse_date(on)
        except CodeError as error:
            problems.append(Problem(str(error), field="date"))
        if currency is None:
            problems.append(
                Problem(
                    f"contract '{contract_id}' has no money terms (no currency)", field="contract"
                )
            )
        if value is not None and currency is not None and value != round_money(value, currency):
            problems.append(Problem(f"finer than the minor unit of {currency}", field="amount"))
        if problems or value is None or day is None or currency is None:
            raise InvalidInput(problems)
        who = self._who()
        with self._writing() as writer:
            payment_id = writer.add_payment(contract.id, day, value, currency, note)
            after = {
                "contract": contract.id,
                "date": day.isoformat(),
                "amount": str(value),
                "currency": currency,
                "note": note,
            }
            writer.log(who.actor, "record", "payment", str(payment_id), None, after)
            writer.add_events([("payment.recorded", contract.id, {"id": payment_id, **after})])
        return {"id": payment_id, **after}

    def ledger(
        self, party: str | None = None, overdue: bool = False, today: date | None = None
    ) -> list[LedgerRow]:
        """What each contract's licensee owes its licensor (fee instalments and statement
        dues), what was paid and what is left, oldest first; ``overdue`` keeps the rows
        past due and unpaid; ``party`` keeps contracts it is party to."""
        today = today or datetime.now(UTC).date()
        who = self._who().party
        with self.store.reading() as reader:
            with_sales = set(reader.contracts_with_sales())
            payments_rows = reader.payments()
            active = with_sales | {r.contract_id for r in payments_rows}
            payables: list[Payable] = []
            sides: dict[str, tuple[str, str | None, str]] = {}
            stated: dict[str, Contract] = {}
            for contract in reader.contract_heads():
                if not contract.in_force() or contract.is_ownership:
                    continue
                if party is not None and party not in (contract.licensor, contract.licensee):
                    continue
                if who is not None and who not in (contract.licensor, contract.licensee):
                    continue
                if contract.fee is None and contract.id not in active:
                    continue
                sides[contract.id] = (
                    contract.licensee,
                    contract.licensor,
                    contract.money_currency or "",
                )
                payables += fee_payables(contract)
                if contract.id in with_sales:
                    stated[contract.id] = contract
            for contract, dues in statement_dues(reader, stated):
                payables += due_payables(contract, dues)
        payments = [
            Payment(r.contract_id, r.day, Decimal(r.amount), r.note or "", r.id)
            for r in payments_rows
            if r.contract_id in sides
        ]
        rows = ledger(payables, payments, today, sides)
        if overdue:
            rows = [r for r in rows if r.days_overdue > 0]
        return rows

    def payments(self, party: str | None = None) -> list[dict[str, Any]]:
        """Recorded payments of contracts the acting party (and ``party``) may see."""
        with self.store.reading() as reader:
            rows = reader.payments()
            contracts = {c.id: c for c in reader.contract_heads({r.contract_id for r in rows})}
        out = []
        for r in rows:
            contract = contracts.get(r.contract_id)
            if contract is None or not self._may_see(contract):
                continue
            if party is not None and party not in (contract.licensor, contract.licensee):
                continue
            out.append(
                {
                    "id": r.id,
                    "contract": r.contract_id,
                    "date": r.day.isoformat(),
                    "amount": r.amount,
                    "currency": r.currency,
                    "note": r.note,
                }
            )
        return out


def _period(text: str, contract: Contract | None) -> Period:
    try:
        period = Period.parse(text)
    except CodeError as error:
        raise InvalidInput([Problem(str(error), field="period")]) from None
    if contract is not None and period.reporting != contract.reporting:
        example = Period.containing(period.first, contract.reporting).name
        raise InvalidInput(
            [
                Problem(
                    f"contract '{contract.id}' is statemented {contract.reporting}: "
                    f"ask for a period such as {example}",
                    field="period",
                )
            ]
        )
    return period


def _named(sources: Sequence[Source]) -> list[tuple[str, bytes | IO[bytes] | None]]:
    out: list[tuple[str, bytes | IO[bytes] | None]] = []
    for source in sources:
        if isinstance(source, tuple):
            out.append((source[0], source[1]))
        else:
            out.append((str(source), None))
    return out
