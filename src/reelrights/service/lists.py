"""The list pages' questions: contracts and the change log filtered, sorted and paged by the
database, the dashboard's dated licenses, and the text a person types into a list's
filters turned into codes (names for parties and titles, groups for media and territories).

Nothing here loads the whole book: each answer reads one page of rows, so a list stays fast
at catalog size (``benchmarks/pages.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from reelrights.domain.contracts import STATUSES, Contract
from reelrights.domain.media import leaves_of
from reelrights.domain.problems import CodeError, InvalidInput, Problem
from reelrights.domain.terms import parse_date
from reelrights.domain.territories import countries_of
from reelrights.service.base import ServiceBase
from reelrights.service.names import resolve
from reelrights.store.listing import CONTRACT_SORTS, ChangeQuery, ContractQuery
from reelrights.store.repository import Change

PAGE_SIZES = (25, 50, 100, 200)
"""The page sizes the lists offer."""


@dataclass(frozen=True, slots=True)
class ContractFilters:
    """The contracts list's filters as typed (ids or names, codes or groups, ISO dates)."""

    party: str = ""
    licensor: str = ""
    licensee: str = ""
    status: str = ""
    title: str = ""
    media: str = ""
    territories: str = ""
    active_from: str = ""
    active_to: str = ""
    fee_min: str = ""
    fee_max: str = ""
    kind: str = ""  # "license" | "ownership" | ""


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class ListJobs(ServiceBase):
    """Pages of contracts and changes; the dashboard's dated licenses."""

    # -- the contracts list ----------------------------------------------------------------

    def contract_query(
        self,
        filters: ContractFilters,
        sort: str = "id",
        descending: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> ContractQuery:
        """``filters`` as the store's query; every problem at once (field = the filter)."""
        state = self._current()
        problems: list[Problem] = []
        parties = {p.id: p.name for p in state.parties.values()}

        def party(text: str, field: str) -> str | None:
            if not text.strip():
                return None
            found, problem = resolve("party", text, parties, field)
            if problem is not None:
                problems.append(problem)
            return found

        def codes(text: str, field: str, parse: Any, listed: Any) -> frozenset[str] | None:
            if not text.strip():
                return None
            try:
                return frozenset(listed(parse(_split(text))))
            except CodeError as error:
                problems.append(Problem(str(error), field=field))
                return None

        def day(text: str, field: str) -> date | None:
            if not text.strip():
                return None
            try:
                return parse_date(text)
            except CodeError as error:
                problems.append(Problem(str(error), field=field))
                return None

        def amount(text: str, field: str) -> Decimal | None:
            if not text.strip():
                return None
            try:
                return Decimal(text.strip().replace(",", "").replace("_", ""))
            except InvalidOperation:
                problems.append(Problem(f"'{text}' is not an amount", field=field))
                return None

        titles = None
        if filters.title.strip():
            catalog = state.catalog
            choices = {t.id: t.name for t in catalog.titles.values()}
            found, problem = resolve("title", filters.title, choices, "title")
            if problem is not None:
                problems.append(problem)
            elif found is not None:
                # a contract on the title's series, season or collection covers it too
                titles = frozenset(catalog.referents(found) | catalog.expand([found]))
        status = filters.status.strip() or None
        if status is not None and status not in STATUSES:
            problems.append(
                Problem(f"unknown status '{status}' (one of {', '.join(STATUSES)})", "status")
            )
        query = ContractQuery(
            party=party(filters.party, "party"),
            licensor=party(filters.licensor, "licensor"),
            licensee=party(filters.licensee, "licensee"),
            status=status,
            titles=titles,
            media=codes(filters.media, "media", state.media.parse, leaves_of),
            territories=codes(
                filters.territories, "territories", state.geography.parse, countries_of
            ),
            active_from=day(filters.active_from, "active_from"),
            active_to=day(filters.active_to, "active_to"),
            fee_min=amount(filters.fee_min, "fee_min"),
            fee_max=amount(filters.fee_max, "fee_max"),
            ownership={"ownership": True, "license": False}.get(filters.kind),
            sort=sort if sort in CONTRACT_SORTS else "id",
            descending=descending,
            limit=limit if limit in PAGE_SIZES else 50,
            offset=max(0, offset),
        )
        if problems:
            raise InvalidInput(problems)
        return query

    def contract_list(self, query: ContractQuery) -> tuple[int, list[Contract]]:
        """(how many contracts match, one page of them in the query's order)."""
        with self.store.reading() as reader:
            total, ids = reader.contract_list(query)
            by_id = {c.id: c for c in reader.contracts(ids)}
        return total, [by_id[i] for i in ids if i in by_id]

    def contract_rows(self, query: ContractQuery, batch: int = 1000) -> Any:
        """Every contract ``query`` matches, in its order, a page at a time (an export of
        the whole list in bounded memory)."""
        offset = 0
        while True:
            with self.store.reading() as reader:
                ids = reader.contract_ids(replace(query, limit=batch, offset=offset))
                by_id = {c.id: c for c in reader.contracts(ids)}
            yield from (by_id[i] for i in ids if i in by_id)
            if len(ids) < batch:
                return
            offset += batch

    def contracts_named(self, ids: Iterable[str | None]) -> list[Contract]:
        """The stored contracts among ``ids`` (a few: an answer's reasons)."""
        wanted = [i for i in ids if i]
        if not wanted:
            return []
        with self.store.reading() as reader:
            return reader.contract_heads(wanted)

    # -- the change log --------------------------------------------------------------------

    def change_query(
        self,
        entity: str = "",
        entity_id: str = "",
        actor: str = "",
        action: str = "",
        key_id: str = "",
        since: str = "",
        until: str = "",
        limit: int = 50,
        offset: int = 0,
    ) -> ChangeQuery:
        """The change log's filters as typed: ``since`` and ``until`` are days, both
        inclusive; every problem at once."""
        problems: list[Problem] = []
        days: list[date | None] = []
        for text, field in ((since, "since"), (until, "until")):
            try:
                days.append(parse_date(text) if text.strip() else None)
            except CodeError as error:
                problems.append(Problem(str(error), field=field))
                days.append(None)
        if problems:
            raise InvalidInput(problems)
        first, last = days
        return ChangeQuery(
            entity=entity.strip() or None,
            entity_id=entity_id.strip() or None,
            actor=actor.strip() or None,
            action=action.strip() or None,
            key_id=key_id.strip() or None,
            since=_day_start(first) if first else None,
            before=_day_start(last + timedelta(days=1)) if last else None,
            limit=limit if limit in PAGE_SIZES else 50,
            offset=max(0, offset),
        )

    def change_list(self, query: ChangeQuery) -> tuple[int, list[Change]]:
        """(how many entries match, one page of them, newest first)."""
        with self.store.reading() as reader:
            total, rows = reader.change_list(query)
        at = [r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC) for r in rows]
        return total, [
            Change(
                r.id,
                when,
                r.actor,
                r.action,
                r.entity,
                r.entity_id,
                r.before,
                r.after,
                r.key_id,
                r.party_id,
            )
            for r, when in zip(rows, at, strict=True)
        ]

    def change_vocabulary(self) -> tuple[list[str], list[str], list[str]]:
        """(actors, actions, entities) found in the change log, for its filters."""
        with self.store.reading() as reader:
            return reader.change_vocabulary()

    # -- the catalog and the dashboard -----------------------------------------------------

    def owned_titles(self, party: str) -> frozenset[str]:
        """Every title ``party`` owns by an ownership record in force (series and
        collections expanded to what they cover)."""
        with self.store.reading() as reader:
            named = reader.owned_titles(party)
        catalog = self._current().catalog
        return frozenset(named) | catalog.expand(named)

    def party_titles(self, party: str) -> frozenset[str]:
        """Every title a contract of ``party`` (licensor or licensee) covers."""
        with self.store.reading() as reader:
            named = reader.party_titles(party)
        return frozenset(named) | self._current().catalog.expand(named)

    def status_counts(self, party: str | None = None) -> dict[str, int]:
        with self.store.reading() as reader:
            return reader.status_counts(party)

    def dated_licenses(
        self, first: date, last: date, party: str | None = None, limit: int = 50
    ) -> tuple[list[Contract], list[Contract], list[Contract]]:
        """(licenses with a grant starting from ``first`` to ``last``, those with a grant
        ending then or terminated so that their rights end then, holds): candidates the
        dashboard sorts by day, at most ``limit`` of each."""
        with self.store.reading() as reader:
            starting = reader.dated_grants("start", first, last, party, limit)
            ending = reader.dated_grants("end", first, last, party, limit)
            ending += reader.terminations_between(
                first + timedelta(days=1), last + timedelta(days=1), party, limit
            )
            holds = reader.ids_with_status("hold", party, limit)
            found = {c.id: c for c in reader.contracts(set(starting + ending + holds))}

        def pick(ids: list[str]) -> list[Contract]:
            return [found[i] for i in dict.fromkeys(ids) if i in found]

        return pick(starting), pick(ending), pick(holds)


__all__ = ["PAGE_SIZES", "ContractFilters", "ListJobs"]
