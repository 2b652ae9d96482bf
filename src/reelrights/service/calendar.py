"""The calendar of dates that matter (docs/semantics.md rule 20): which contracts to read,
who may see what, and the iCalendar rendering. The engine decides the dates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from reelrights.domain.contracts import Contract
from reelrights.domain.money import money_text
from reelrights.domain.problems import CodeError, InvalidInput, Problem
from reelrights.domain.terms import parse_date
from reelrights.engine.calendar import KINDS, CalendarEvent, calendar
from reelrights.engine.royalties import STATEMENT_GRACE
from reelrights.service.base import ServiceBase
from reelrights.service.money import statement_dues
from reelrights.store.repository import Reader

MAX_CALENDAR_DAYS = 366 * 20  # a range longer than this is refused, not read


class CalendarJobs(ServiceBase):
    """Dated events: license starts and ends, holdback ends, payment dues, option
    deadlines."""

    def calendar(
        self,
        first: date | str,
        last: date | str,
        party: str | None = None,
        titles: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        scope: str | None = None,
    ) -> list[CalendarEvent]:
        """The events from ``first`` to ``last`` (inclusive), sorted by date, kind and
        contract; for ``party`` (licensor, licensee or option holder), touching ``titles``,
        of ``kinds``. ``scope`` is the party a party-bound key acts for: it sees only the
        contracts that name it, whatever ``party`` asks."""
        problems: list[Problem] = []
        days: list[date] = []
        for name, value in (("from", first), ("to", last)):
            try:
                days.append(parse_date(value))
            except CodeError as error:
                problems.append(Problem(str(error), field=name))
        wanted_kinds = list(kinds) if kinds is not None else None
        for kind in wanted_kinds or ():
            if kind not in KINDS:
                problems.append(
                    Problem(
                        f"unknown kind '{kind}' (expected one of {', '.join(KINDS)})", field="kind"
                    )
                )
        state = self._current()
        title_ids = [t for t in titles or () if t]
        for title in title_ids:
            if title not in state.catalog:
                problems.append(Problem(f"unknown title '{title}'", field="title"))
        if party is not None and party not in state.parties:
            problems.append(Problem(f"unknown party '{party}'", field="party"))
        if len(days) == 2:
            if days[1] < days[0]:
                problems.append(Problem(f"to {days[1]} is before from {days[0]}", field="to"))
            elif (days[1] - days[0]).days > MAX_CALENDAR_DAYS:
                problems.append(
                    Problem(f"a calendar covers at most {MAX_CALENDAR_DAYS} days", field="to")
                )
        if problems:
            raise InvalidInput(problems)
        start, end = days
        parties = [p for p in (party, scope) if p is not None]
        with self.store.reading() as reader:
            contracts = reader.dated_contracts(start, end, parties or None)
            dues = self._payment_dues(reader, contracts, start, end)
        events = calendar(
            contracts,
            state.catalog,
            start,
            end,
            party=party,
            titles=title_ids or None,
            kinds=wanted_kinds,
            extra=dues,
        )
        if scope is not None:
            events = [e for e in events if scope in e.parties]
        return events

    def _payment_dues(
        self, reader: Reader, contracts: Iterable[Contract], first: date, last: date
    ) -> list[CalendarEvent]:
        """``payment-due`` events of the statements (docs/semantics.md rules 19-20): each
        period's ``due`` above zero, on the day it is payable (30 days after the period),
        from the stored sales of the contracts that have a revenue share. A statement's
        due stays owed after a termination, so a terminated contract's dues are dated
        too. The fee instalments are the engine's, from the money terms."""
        stated = {
            c.id: c
            for c in contracts
            if c.in_force() and not c.is_ownership and c.revenue_share and c.licensor
        }
        # a due payable by ``last`` is of a period that ended 30 days before it
        until = last - STATEMENT_GRACE
        events: list[CalendarEvent] = []
        for contract, dues in statement_dues(reader, stated, until):
            named = frozenset(p for _, p in contract.named_parties())
            titles = tuple(sorted({t for g in contract.grants for t in g.titles}))
            currency = contract.money_currency or "XXX"
            for period, due in dues:
                day = period.last + STATEMENT_GRACE
                if due <= 0 or not first <= day <= last:
                    continue
                events.append(
                    CalendarEvent(
                        day,
                        "payment-due",
                        contract.id,
                        contract.licensee,
                        titles,
                        f"statement {period.name}: {money_text(due, currency)} {currency} "
                        f"to {contract.licensor}",
                        f"statements[{period.name}]",
                        named,
                    )
                )
        return events

    def calendar_ics(self, events: Iterable[CalendarEvent], name: str = "reelrights") -> bytes:
        """Events as an iCalendar file."""
        from reelrights.formats.ical import render_ics  # icalendar only when asked

        return render_ics(events, datetime.now(UTC), name)
