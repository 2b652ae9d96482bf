"""Royalties: sales lines matched to contracts, converted, rated, statemented and payable.

Pure functions over domain values (docs/semantics.md rules 14-19): :class:`LineMatcher`
finds the contract a sales line belongs to (or the reason it belongs to none),
:class:`Rates` converts its gross into the contract currency, :func:`rate_lines` walks the
revenue-share tiers, :func:`statement` states a period and :func:`ledger` sets payments
against what is payable. Every amount is a ``Decimal`` rounded by
:func:`~reelrights.domain.money.round_money` alone, so the same data give the same bytes.

A minimum guarantee of 100 recouped over two quarters at a 50% share:

>>> from reelrights.domain.contracts import Contract, Money
>>> from reelrights.domain.money import ShareEntry
>>> c = Contract("c", "kbs", "sohu", currency="USD", minimum_guarantee=Money(Decimal(100), "USD"),
...              revenue_share=(ShareEntry.flat(Decimal("0.5")),))
>>> q1 = RatedLine.plain("a", "SVOD", "CN", date(2017, 3, 31), Decimal(150), 1)
>>> q2 = RatedLine.plain("a", "SVOD", "CN", date(2017, 6, 30), Decimal(100), 2)
>>> [(s.period.name, str(s.royalties), s.to_json()["due"]) for s in statements(c, [q1, q2])]
[('2017-Q1', '75.00', '0.00'), ('2017-Q2', '50.00', '25.00')]
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from reelrights.domain.contracts import Contract, Grant
from reelrights.domain.media import LEAF_BIT
from reelrights.domain.money import Period, period_of, round_money, rounder
from reelrights.domain.territories import COUNTRY_BIT
from reelrights.domain.titles import Catalog
from reelrights.engine.book import is_absolute, resolve_bounds

ZERO = Decimal(0)

# Why a sales line is unmatched (docs/semantics.md rule 14), in the order they are tried.
UNKNOWN_TITLE = "unknown-title"
UNKNOWN_MEDIUM = "unknown-medium"
UNKNOWN_TERRITORY = "unknown-territory"
NO_GRANT = "no-grant"
OUTSIDE_TERM = "outside-term"
AMBIGUOUS = "ambiguous"
NO_RATE = "no-exchange-rate"
NO_CURRENCY = "no-contract-currency"
REASONS = (
    UNKNOWN_TITLE,
    UNKNOWN_MEDIUM,
    UNKNOWN_TERRITORY,
    NO_GRANT,
    OUTSIDE_TERM,
    AMBIGUOUS,
    NO_CURRENCY,
    NO_RATE,
)
STATEMENT_GRACE = timedelta(days=30)  # a statement's due is payable 30 days after its period


def payable_day(period: Period) -> date:
    """The day a period's due is payable: 30 days after the period ends, or the last
    day a date can name for a period that ends within 30 days of it (year 9999)."""
    if period.last > date.max - STATEMENT_GRACE:
        return date.max
    return period.last + STATEMENT_GRACE


# -- matching (rule 14) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """Where a line belongs: a contract, or the reason it belongs to none (and, for an
    ambiguous line, the contracts it could belong to)."""

    contract: Contract | None
    reason: str | None = None
    candidates: tuple[str, ...] = ()


_Indexed = tuple[Contract, Grant, int | None, int | None]


class LineMatcher:
    """Matches sales lines to the licensee's contracts in force whose grant covers the
    line's title, medium and territory on its ``period_start``."""

    def __init__(
        self,
        catalog: Catalog,
        contracts: Iterable[Contract] = (),
        licensed: Callable[[str], Iterable[tuple[Contract, Grant]]] | None = None,
    ) -> None:
        """``contracts`` are indexed now; ``licensed(party)``, if given, is asked once per
        licensee for that party's (contract, grant) pairs, when a line of that licensee
        first comes (the contract needs no rights of its own: the grant says them)."""
        self.catalog = catalog
        # (contract, grant, first day, day after the last) by (licensee, title); the days
        # are resolved once for a grant with absolute bounds, else None (per release)
        self._by: dict[tuple[str, str], list[_Indexed]] = defaultdict(list)
        self._licensed = licensed
        self._asked: set[str] = set()
        for contract in contracts:
            self.add(contract)
        self._referents: dict[str, frozenset[str]] = {}

    def add(self, contract: Contract) -> None:
        """Index a contract (only one that is, or was, in force can match)."""
        for grant in contract.grants:
            self.add_grant(contract, grant)

    def add_grant(self, contract: Contract, grant: Grant) -> None:
        """Index one grant of a contract."""
        if contract.is_ownership or not contract.in_force():
            return
        entry: _Indexed
        if is_absolute(grant.start) and is_absolute(grant.end):
            begin, finish = resolve_bounds(grant.start, grant.end, None)
            entry = (contract, grant, begin, min(finish, contract.in_force_until()))
        else:
            entry = (contract, grant, None, None)
        for title in dict.fromkeys(grant.titles):
            self._by[(contract.licensee, title)].append(entry)

    def match(
        self,
        licensee: str,
        title: str,
        medium: str,
        territory: str,
        period_start: date,
        contract_id: str | None = None,
    ) -> Match:
        """The one contract for this line, or why there is none. ``contract_id`` (the
        report's optional ``contract`` column) narrows the candidates to that contract."""
        if self._licensed is not None and licensee not in self._asked:
            self._asked.add(licensee)
            for contract, grant in self._licensed(licensee):
                self.add_grant(contract, grant)
        if title not in self.catalog:
            return Match(None, UNKNOWN_TITLE)
        medium_bit = LEAF_BIT.get(medium)
        if medium_bit is None:
            return Match(None, UNKNOWN_MEDIUM)
        country_bit = COUNTRY_BIT.get(territory)
        if country_bit is None:
            return Match(None, UNKNOWN_TERRITORY)
        referents = self._referents.get(title)
        if referents is None:
            referents = self._referents[title] = self.catalog.referents(title)
        day = period_start.toordinal()
        found: dict[str, Contract] = {}
        covered = False
        for ref in referents:
            for contract, grant, begin, finish in self._by.get((licensee, ref), ()):
                if contract_id is not None and contract.id != contract_id:
                    continue
                if not (grant.media & medium_bit and grant.territories & country_bit):
                    continue
                covered = True
                if begin is None or finish is None:
                    begin, finish = self._term(grant, title, territory)
                    finish = min(finish, contract.in_force_until())
                if begin <= day < finish:
                    found[contract.id] = contract
        if not found:
            return Match(None, OUTSIDE_TERM if covered else NO_GRANT)
        if len(found) > 1:
            return Match(None, AMBIGUOUS, tuple(sorted(found)))
        return Match(next(iter(found.values())))

    def _term(self, grant: Grant, title: str, territory: str) -> tuple[int, int]:
        if is_absolute(grant.start) and is_absolute(grant.end):
            return resolve_bounds(grant.start, grant.end, None)
        release, releases = self.catalog.release_of(title)
        return resolve_bounds(grant.start, grant.end, releases.get(territory, release))


# -- exchange rates (rule 15) -------------------------------------------------------------


class Conversion(NamedTuple):
    """A converted amount and how: the rate, the day it was quoted for, and whether the
    inverse quote was used (the amount was divided by ``rate``)."""

    amount: Decimal
    rate: Decimal
    day: date | None
    inverse: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "fx_rate": str(self.rate),
            "fx_date": self.day.isoformat() if self.day else None,
            "fx_inverse": self.inverse,
        }


class Rates:
    """Dated exchange rates: ``1 FROM = rate TO`` from ``day`` on.

    >>> rates = Rates([(date(2017, 1, 1), "USD", "CNY", Decimal("6.9"))])
    >>> rates.convert(Decimal(690), "CNY", "USD", date(2017, 3, 31)).amount
    Decimal('100.00')
    >>> rates.convert(Decimal(690), "CNY", "USD", date(2016, 12, 31)) is None
    True
    """

    def __init__(self, quotes: Iterable[tuple[date, str, str, Decimal]] = ()) -> None:
        self._days: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._rates: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
        for day, source, target, rate in sorted(quotes, key=lambda q: (q[1], q[2], q[0])):
            days = self._days[(source, target)]
            if days and days[-1] == day.toordinal():
                self._rates[(source, target)][-1] = rate
                continue
            days.append(day.toordinal())
            self._rates[(source, target)].append(rate)

    def quote(self, source: str, target: str, day: date) -> tuple[Decimal, date] | None:
        """The latest rate from ``source`` to ``target`` on or before ``day``."""
        days = self._days.get((source, target))
        if not days:
            return None
        at = bisect.bisect_right(days, day.toordinal()) - 1
        if at < 0:
            return None
        return self._rates[(source, target)][at], date.fromordinal(days[at])

    def convert(self, gross: Decimal, source: str, target: str, day: date) -> Conversion | None:
        """``gross`` in ``source`` as ``target`` (rule 15): ``round(gross × rate)`` at the
        latest rate on or before ``day``, else ``round(gross ÷ rate)`` at the latest
        inverse rate; ``None`` if there is neither."""
        if source == target:
            return Conversion(round_money(gross, target), Decimal(1), None)
        direct = self.quote(source, target, day)
        if direct is not None:
            return Conversion(round_money(gross * direct[0], target), direct[0], direct[1])
        inverse = self.quote(target, source, day)
        if inverse is not None:
            return Conversion(round_money(gross / inverse[0], target), inverse[0], inverse[1], True)
        return None


# -- rating (rule 16) ---------------------------------------------------------------------


class RatedLine(NamedTuple):
    """A matched sales line as a statement needs it: the cell, the converted gross and the
    key that orders it among the contract's lines (rule 16). A named tuple: a statement
    of a busy quarter makes a million of them."""

    title: str
    medium: str
    territory: str
    period_start: date
    period_end: date
    gross: Decimal
    currency: str
    gross_converted: Decimal
    order: int  # the line's place in the order it was reported (import, then line)
    source: str = ""  # where it came from: "file:line"
    fx: Conversion | None = None

    @staticmethod
    def plain(
        title: str, medium: str, territory: str, period_end: date, gross: Decimal, order: int
    ) -> RatedLine:
        """A line already in the contract currency whose period is its end's month."""
        return RatedLine(
            title,
            medium,
            territory,
            period_end.replace(day=1),
            period_end,
            gross,
            "",
            gross,
            order,
        )

    def sort_key(self) -> tuple[date, str, str, str, int]:
        return (self.period_end, self.title, self.medium, self.territory, self.order)


class StatementLine(NamedTuple):
    """One piece of a sales line on a statement (a line crossing a tier is two pieces)."""

    line: RatedLine
    gross_converted: Decimal  # this piece's part of the line's converted gross
    rate: Decimal
    royalty: Decimal
    entry: int | None  # the revenue_share entry that rated it (None: no entry does)
    tier: int | None
    piece: int = 1
    pieces: int = 1

    def to_json(self, currency: str) -> dict[str, Any]:
        line = self.line
        out: dict[str, Any] = {
            "title": line.title,
            "medium": line.medium,
            "territory": line.territory,
            "period_start": line.period_start.isoformat(),
            "period_end": line.period_end.isoformat(),
            "gross": str(line.gross),
            "currency": line.currency,
            "gross_converted": str(round_money(self.gross_converted, currency)),
            "rate": str(self.rate),
            "royalty": str(round_money(self.royalty, currency)),
            "share_entry": self.entry,
            "tier": self.tier,
            "source": line.source,
        }
        if line.fx is not None:
            out.update(line.fx.to_json())
        if self.pieces > 1:
            out["piece"] = f"{self.piece} of {self.pieces}"
        return out


class PastLine(NamedTuple):
    """A line of an earlier period, as much as a statement of a later one needs: what
    orders it (rule 16; the tuple's own order is the rating order), the cell that picks
    its rate, and its converted gross. A statement's earlier lines count only through
    their royalties, so they need neither source, currency nor conversion."""

    period_end: date
    title: str
    medium: str
    territory: str
    order: int
    gross_converted: Decimal


class _Rater:
    """The walk of rule 16 over one contract's lines in rating order: the cumulative
    gross of each ``revenue_share`` entry, and which entry rates each cell (asked once
    per medium and territory)."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.currency = contract.money_currency or "XXX"
        self.cumulative: dict[int, Decimal] = defaultdict(Decimal)
        self._entry: dict[tuple[str, str], int | None] = {}

    def entry_of(self, medium: str, territory: str) -> int | None:
        cell = (medium, territory)
        if cell not in self._entry:
            self._entry[cell] = self.contract.share_of(
                LEAF_BIT.get(medium, 0), COUNTRY_BIT.get(territory, 0)
            )
        return self._entry[cell]

    def pieces(self, index: int, gross: Decimal) -> list[tuple[Decimal, Decimal, int]]:
        """The line's pieces by tier, moving the entry's cumulative gross past it."""
        found = self.contract.revenue_share[index].pieces(self.cumulative[index], gross)
        self.cumulative[index] += gross
        return found

    def rate(self, line: RatedLine, out: list[StatementLine]) -> None:
        """Append the line's pieces, each with its rounded royalty."""
        index = self.entry_of(line.medium, line.territory)
        if index is None:
            out.append(StatementLine(line, line.gross_converted, ZERO, ZERO, None, None))
            return
        pieces = self.pieces(index, line.gross_converted)
        for number, (piece, rate, tier) in enumerate(pieces, start=1):
            royalty = round_money(piece * rate, self.currency)
            out.append(StatementLine(line, piece, rate, royalty, index, tier, number, len(pieces)))

    def royalties(self, line: PastLine) -> Iterator[Decimal]:
        """The rounded royalty of each piece of an earlier line (the same walk as
        :meth:`rate`, without building statement lines)."""
        index = self.entry_of(line.medium, line.territory)
        if index is None:
            yield ZERO
            return
        for piece, rate, _ in self.pieces(index, line.gross_converted):
            yield round_money(piece * rate, self.currency)


def rate_lines(contract: Contract, lines: Iterable[RatedLine]) -> list[StatementLine]:
    """Every line of a contract rated (rule 16), in rating order: the first
    ``revenue_share`` entry covering the line's cell gives its rate or tiers; tiers apply
    to the cumulative converted gross of the lines the same entry rates, a line crossing
    a tier limit is cut there, and each piece's royalty is rounded on its own. A cell no
    entry covers earns nothing (rate 0)."""
    rater = _Rater(contract)
    out: list[StatementLine] = []
    for line in sorted(lines, key=RatedLine.sort_key):
        rater.rate(line, out)
    return out


# -- statements (rule 17) -----------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """What a contract owes for one reporting period (rule 17), every line included."""

    contract: str
    period: Period
    currency: str
    lines: tuple[StatementLine, ...]
    royalties: Decimal
    minimum_guarantee: Decimal
    earned_to_date: Decimal
    recouped_to_date: Decimal
    unrecouped: Decimal
    overage_to_date: Decimal
    previously_due: Decimal
    due: Decimal
    licensor: str | None = None
    licensee: str = ""

    @property
    def gross_converted(self) -> Decimal:
        return sum((x.gross_converted for x in self.lines), ZERO)

    @property
    def payable_on(self) -> date:
        """When the period's due is payable: 30 days after the period ends."""
        return payable_day(self.period)

    def to_json(self) -> dict[str, Any]:
        """The statement as ``statement --json`` prints it, every amount a decimal
        string in the contract currency's minor unit."""
        cur = self.currency

        def text(amount: Decimal) -> str:
            return str(round_money(amount, cur))

        return {
            "contract": self.contract,
            "period": self.period.name,
            "period_start": self.period.first.isoformat(),
            "period_end": self.period.last.isoformat(),
            "licensor": self.licensor,
            "licensee": self.licensee,
            "currency": cur,
            "lines": [x.to_json(cur) for x in self.lines],
            "gross_converted": text(self.gross_converted),
            "royalties": text(self.royalties),
            "minimum_guarantee": text(self.minimum_guarantee),
            "earned_to_date": text(self.earned_to_date),
            "recouped_to_date": text(self.recouped_to_date),
            "unrecouped": text(self.unrecouped),
            "overage_to_date": text(self.overage_to_date),
            "previously_due": text(self.previously_due),
            "due": text(self.due),
            "payable_on": self.payable_on.isoformat(),
        }


def statements(
    contract: Contract, lines: Iterable[RatedLine], through: Period | None = None
) -> list[Statement]:
    """The statements of every period of the contract's reporting frequency that has
    lines, in order, up to ``through`` (included, even if it has none)."""
    currency = contract.money_currency or "XXX"
    guarantee = _guarantee(contract)
    by_period: dict[Period, list[StatementLine]] = defaultdict(list)
    for rated in rate_lines(contract, lines):
        period = period_of(rated.line.period_end, contract.reporting)
        if through is None or period <= through:
            by_period[period].append(rated)
    if through is not None:
        by_period.setdefault(through, [])
    out: list[Statement] = []
    earned = previously_due = ZERO
    for period in sorted(by_period):
        rows = by_period[period]
        royalties = sum((x.royalty for x in rows), ZERO)
        earned += royalties
        recouped, overage, due = _recoupment(guarantee, earned, previously_due)
        out.append(
            Statement(
                contract.id,
                period,
                currency,
                tuple(rows),
                royalties,
                guarantee,
                earned,
                recouped,
                guarantee - recouped,
                overage,
                previously_due,
                due,
                contract.licensor,
                contract.licensee,
            )
        )
        previously_due += due
    return out


def statement(contract: Contract, lines: Iterable[RatedLine], period: Period) -> Statement:
    """The statement of one period (rule 17): a period with no lines states zeros, with
    what was earned and due before it carried. Lines of earlier periods count only
    through their royalties (see :func:`period_statement`)."""
    past: list[PastLine] = []
    current: list[RatedLine] = []
    for x in lines:
        if x.period_end < period.first:
            past.append(
                PastLine(x.period_end, x.title, x.medium, x.territory, x.order, x.gross_converted)
            )
        elif x.period_end <= period.last:
            current.append(x)
    return period_statement(contract, past, current, period)


def statement_by_replay(
    contract: Contract, lines: Iterable[RatedLine], period: Period
) -> Statement:
    """The statement of one period by stating every period before it in full: what
    :func:`statement` must equal byte for byte (the tests hold them to it)."""
    wanted = [x for x in lines if x.period_end <= period.last]
    return statements(contract, wanted, through=period)[-1]


def _guarantee(contract: Contract) -> Decimal:
    amount = contract.minimum_guarantee.amount if contract.minimum_guarantee else ZERO
    return round_money(amount, contract.money_currency or "XXX")


def _recoupment(
    guarantee: Decimal, earned: Decimal, previously_due: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """``(recouped, overage, due)`` of a period (rule 18): the guarantee recouped by what
    was earned to date, what was earned beyond it, and of that what was not due before."""
    recouped = min(guarantee, max(earned, ZERO))
    overage = max(ZERO, earned - guarantee)
    return recouped, overage, max(ZERO, overage - previously_due)


def _walk_periods(
    contract: Contract, rater: _Rater, past: Iterable[PastLine]
) -> list[tuple[Period, Decimal, Decimal]]:
    """``(period, earned_to_date, due)`` of each period that has lines among ``past``,
    in order (rule 17), the royalties summed piece by piece in the order
    :func:`statements` sums them, so every figure is the same to the last digit."""
    guarantee = _guarantee(contract)
    reporting = contract.reporting
    # a one-tier entry's piece is the whole line: its royalty is one rounded product
    flat = [e.tiers[0].rate if len(e.tiers) == 1 else None for e in contract.revenue_share]
    rounded = rounder(rater.currency)
    cumulative = rater.cumulative
    periods: dict[date, Period] = {}
    totals: dict[Period, Decimal] = {}
    for line in sorted(past):
        day, gross = line.period_end, line.gross_converted
        key = periods.get(day)
        if key is None:
            key = periods[day] = period_of(day, reporting)
        total = totals.get(key, ZERO)
        index = rater.entry_of(line.medium, line.territory)
        if index is None:
            total += ZERO
        elif (rate := flat[index]) is not None:
            cumulative[index] += gross
            total += rounded(gross * rate)
        else:
            for royalty in rater.royalties(line):
                total += royalty
        totals[key] = total
    out: list[tuple[Period, Decimal, Decimal]] = []
    earned = previously_due = ZERO
    for key in sorted(totals):
        earned += totals[key]
        due = _recoupment(guarantee, earned, previously_due)[2]
        previously_due += due
        out.append((key, earned, due))
    return out


def period_dues(contract: Contract, lines: Iterable[PastLine]) -> list[tuple[Period, Decimal]]:
    """The ``due`` of every period of the contract that has lines (rule 17), without
    stating them: what the payments ledger and the calendar need."""
    return [(key, due) for key, _, due in _walk_periods(contract, _Rater(contract), lines)]


def period_statement(
    contract: Contract, past: Iterable[PastLine], lines: Iterable[RatedLine], period: Period
) -> Statement:
    """The statement of ``period`` from the lines of earlier periods (``past``) and the
    period's own (``lines``), the same numbers as :func:`statements` gives for it.

    The earlier lines all come before the period's in rating order (rule 16 orders by
    ``period_end`` first), so they are walked first, for the tiers' cumulative gross and
    each earlier period's royalties; then the period's lines are rated in full. Only the
    period's lines become statement lines: an earlier period counts through its
    royalties, summed piece by piece in the very order :func:`statements` sums them."""
    currency = contract.money_currency or "XXX"
    guarantee = _guarantee(contract)
    rater = _Rater(contract)
    walked = _walk_periods(contract, rater, past)
    earned = walked[-1][1] if walked else ZERO
    previously_due = ZERO
    for _, _, due in walked:
        previously_due += due
    rows: list[StatementLine] = []
    for rated in sorted(lines, key=RatedLine.sort_key):
        rater.rate(rated, rows)
    royalties = sum((x.royalty for x in rows), ZERO)
    earned += royalties
    recouped, overage, due = _recoupment(guarantee, earned, previously_due)
    return Statement(
        contract.id,
        period,
        currency,
        tuple(rows),
        royalties,
        guarantee,
        earned,
        recouped,
        guarantee - recouped,
        overage,
        previously_due,
        due,
        contract.licensor,
        contract.licensee,
    )


# -- payables and payments (rule 19) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Payment:
    """Money paid under a contract (by its licensee to its licensor)."""

    contract: str
    day: date
    amount: Decimal
    note: str = ""
    id: int = 0


@dataclass(frozen=True, slots=True)
class Payable:
    """What a contract's licensee owes its licensor: a fee instalment or a statement's
    due; ``due`` is ``None`` for a fee with neither schedule nor signing date."""

    contract: str
    payer: str
    payee: str | None
    kind: str  # fee | statement
    label: str
    due: date | None
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """A payable with what was paid against it, or a credit (an overpayment)."""

    payable: Payable
    paid: Decimal
    balance: Decimal  # negative for a credit
    days_overdue: int

    def to_json(self) -> dict[str, Any]:
        p = self.payable
        return {
            "contract": p.contract,
            "payer": p.payer,
            "payee": p.payee,
            "kind": p.kind,
            "label": p.label,
            "due_date": p.due.isoformat() if p.due else None,
            "amount": str(round_money(p.amount, p.currency)),
            "currency": p.currency,
            "paid": str(round_money(self.paid, p.currency)),
            "balance": str(round_money(self.balance, p.currency)),
            "days_overdue": self.days_overdue,
        }


def fee_payables(contract: Contract) -> list[Payable]:
    """The fee as payables: its schedule's instalments, or the whole fee on signing."""
    if contract.fee is None or contract.fee.amount == 0:
        return []
    currency = contract.money_currency or contract.fee.currency
    payer, payee = contract.licensee, contract.licensor
    if contract.payments:
        n = len(contract.payments)
        return [
            Payable(
                contract.id,
                payer,
                payee,
                "fee",
                f"fee instalment {i} of {n}",
                p.due,
                round_money(p.amount, currency),
                currency,
            )
            for i, p in enumerate(contract.payments, start=1)
        ]
    return [
        Payable(
            contract.id,
            payer,
            payee,
            "fee",
            "fee",
            contract.signed,
            round_money(contract.fee.amount, currency),
            currency,
        )
    ]


def statement_payables(found: Sequence[Statement]) -> list[Payable]:
    """Each statement with something due, as a payable 30 days after its period."""
    return [
        Payable(
            s.contract,
            s.licensee,
            s.licensor,
            "statement",
            f"statement {s.period.name}",
            s.payable_on,
            s.due,
            s.currency,
        )
        for s in found
        if s.due > 0
    ]


def due_payables(contract: Contract, dues: Iterable[tuple[Period, Decimal]]) -> list[Payable]:
    """:func:`statement_payables` from :func:`period_dues`: each period with something
    due, payable 30 days after it ends."""
    currency = contract.money_currency or "XXX"
    return [
        Payable(
            contract.id,
            contract.licensee,
            contract.licensor,
            "statement",
            f"statement {period.name}",
            payable_day(period),
            due,
            currency,
        )
        for period, due in dues
        if due > 0
    ]


def ledger(
    payables: Sequence[Payable],
    payments: Sequence[Payment],
    today: date,
    sides: Mapping[str, tuple[str, str | None, str]] | None = None,
) -> list[LedgerRow]:
    """Payments set against payables, per contract: oldest payable first (by due date, a
    payable with no date last), payments in the order they were made; what is paid beyond
    every payable is a credit row with a negative balance. ``sides`` gives each contract's
    (payer, payee, currency) for a credit on a contract with no payables."""
    by_contract: dict[str, list[Payable]] = defaultdict(list)
    for payable in payables:
        by_contract[payable.contract].append(payable)
    paid_by: dict[str, Decimal] = defaultdict(Decimal)
    for payment in payments:
        paid_by[payment.contract] += payment.amount
    out: list[LedgerRow] = []
    for contract in sorted(set(by_contract) | set(paid_by)):
        owed = sorted(
            by_contract.get(contract, []),
            key=lambda p: (p.due is None, p.due or date.min, p.kind, p.label),
        )
        left = paid_by.get(contract, ZERO)
        for payable in owed:
            paid = min(max(left, ZERO), payable.amount)
            left -= paid
            balance = payable.amount - paid
            late = (
                (today - payable.due).days
                if balance > 0 and payable.due is not None and payable.due < today
                else 0
            )
            out.append(LedgerRow(payable, paid, balance, late))
        if left > 0:
            payer, payee, currency = (sides or {}).get(contract, ("", None, ""))
            if owed:
                payer, payee, currency = owed[0].payer, owed[0].payee, owed[0].currency
            credit = Payable(
                contract, payer, payee, "credit", "paid beyond what is due", None, ZERO, currency
            )
            out.append(LedgerRow(credit, left, -left, 0))
    return out


def group_by_contract(
    lines: Iterable[tuple[str, RatedLine]],
) -> Iterator[tuple[str, list[RatedLine]]]:
    """Consecutive ``(contract, line)`` pairs grouped by contract (input sorted by it)."""
    current: str | None = None
    bucket: list[RatedLine] = []
    for contract, line in lines:
        if contract != current:
            if current is not None:
                yield current, bucket
            current, bucket = contract, []
        bucket.append(line)
    if current is not None:
        yield current, bucket


__all__ = [
    "REASONS",
    "Conversion",
    "LedgerRow",
    "LineMatcher",
    "Match",
    "PastLine",
    "Payable",
    "Payment",
    "RatedLine",
    "Rates",
    "Statement",
    "StatementLine",
    "due_payables",
    "fee_payables",
    "ledger",
    "period_dues",
    "period_statement",
    "rate_lines",
    "statement",
    "statement_by_replay",
    "statement_payables",
    "statements",
]
