"""Lists at catalog size: the contracts list and the change log filtered, sorted and paged
in SQL, so that a page of a book of 100,000 licenses reads one page of rows, never the book.

Mixed into the store's Reader (see :mod:`reelrights.store.repository`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, and_, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from reelrights.store import tables as t

CONTRACT_SORTS = (
    "id",
    "titles",
    "media",
    "territories",
    "start",
    "end",
    "fee",
    "licensor",
    "licensee",
    "status",
    "signed",
)
"""What the contracts list sorts by (a column of the list each)."""


@dataclass(frozen=True, slots=True)
class ContractQuery:
    """A filtered, sorted page of the contracts list.

    ``titles``, ``media`` and ``territories`` are what a grant must name (title ids as
    stored, leaf media codes, country codes): a contract matches when one of its grants
    names any of them. ``active_from``/``active_to`` keep contracts with a grant whose term
    touches that span (a term relative to a release, or open, is kept: it may touch it).
    """

    party: str | None = None
    licensor: str | None = None
    licensee: str | None = None
    status: str | None = None
    titles: frozenset[str] | None = None
    media: frozenset[str] | None = None
    territories: frozenset[str] | None = None
    active_from: date | None = None
    active_to: date | None = None
    fee_min: Decimal | None = None
    fee_max: Decimal | None = None
    ownership: bool | None = None  # True: only ownership records, False: only licenses
    sort: str = "id"
    descending: bool = False
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ChangeQuery:
    """A filtered page of the change log, newest first."""

    entity: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    action: str | None = None
    key_id: str | None = None
    since: datetime | None = None  # inclusive
    before: datetime | None = None  # exclusive
    limit: int = 50
    offset: int = 0


def _media_in(column: Any, codes: Iterable[str]) -> ColumnElement[bool]:
    """``column`` (comma-separated leaf codes) names one of ``codes``: a code between
    commas, so that no code is found inside a longer one (a pattern bound as a value, so
    the database compiles it once; ``_`` in a code escaped)."""
    padded = literal(",") + column + literal(",")
    return or_(
        *(padded.like(f"%,{code.replace('_', '/_')},%", escape="/") for code in sorted(codes))
    )


def _countries_in(column: Any, codes: Iterable[str]) -> ColumnElement[bool]:
    """``column`` (comma-separated alpha-2 codes) names one of ``codes``. Two letters
    without a comma can only be one whole code of such a list, so a plain substring test
    is exact, and much cheaper than padding every row with commas first."""
    return or_(*(column.like(f"%{code}%") for code in sorted(codes) if code.isalnum()))


class ListQueries:
    """The list pages' queries; mixed into the store's Reader."""

    connection: Connection

    def contract_list(self, query: ContractQuery) -> tuple[int, list[str]]:
        """(how many contracts match ``query``, the ids of its page in its order)."""
        c = t.contracts.c
        base = select(c.id, c.seq).where(*self._contract_filters(query))
        total = int(self.connection.scalar(select(func.count()).select_from(base.subquery())) or 0)
        return total, self.contract_ids(query)

    def contract_ids(self, query: ContractQuery) -> list[str]:
        """The ids of ``query``'s page in its order (without counting the whole list)."""
        c = t.contracts.c
        base = select(c.id, c.seq).where(*self._contract_filters(query))
        ordered = self._sorted(base, query.sort, query.descending)
        page = ordered.limit(max(1, query.limit)).offset(max(0, query.offset))
        return [row.id for row in self.connection.execute(page)]

    def _contract_filters(self, query: ContractQuery) -> list[ColumnElement[bool]]:
        c, r = t.contracts.c, t.rights.c
        where: list[ColumnElement[bool]] = []
        if query.party is not None:
            where.append(or_(c.licensor_id == query.party, c.licensee_id == query.party))
        if query.licensor is not None:
            where.append(c.licensor_id == query.licensor)
        if query.licensee is not None:
            where.append(c.licensee_id == query.licensee)
        if query.ownership is True:
            where.append(c.licensor_id.is_(None))
        elif query.ownership is False:
            where.append(c.licensor_id.is_not(None))
        if query.status is not None:
            where.append(c.status == query.status)
        if query.fee_min is not None:
            where.append(c.fee_amount >= query.fee_min)
        if query.fee_max is not None:
            where.append(c.fee_amount <= query.fee_max)
        if query.titles is not None:
            named = (
                select(r.contract_id)
                .join(t.right_titles, t.right_titles.c.right_id == r.id)
                .where(r.kind == "grant", t.right_titles.c.title_id.in_(sorted(query.titles)))
            )
            where.append(c.id.in_(named))
        grant_terms: list[ColumnElement[bool]] = []
        if query.media is not None:
            grant_terms.append(_media_in(r.media, query.media))
        if query.territories is not None:
            grant_terms.append(_countries_in(r.territories, query.territories))
        if query.active_to is not None:
            # ISO dates compare as text; a bound relative to a release ("release+90d")
            # cannot be placed without the title's release: it is kept.
            upto = query.active_to.isoformat()
            grant_terms.append(or_(r.start.is_(None), r.start.like("release%"), r.start <= upto))
        if query.active_from is not None:
            since = query.active_from.isoformat()
            grant_terms.append(or_(r.end.is_(None), r.end.like("release%"), r.end >= since))
        if grant_terms:
            where.append(
                c.id.in_(select(r.contract_id).where(r.kind == "grant", and_(*grant_terms)))
            )
        return where

    @staticmethod
    def _sorted(base: Select[Any], sort: str, descending: bool) -> Select[Any]:
        c = t.contracts.c
        key: Any
        if sort in ("titles", "media", "territories", "start", "end"):
            # kept on the row with the contract (0010_contract_sort_keys) and indexed: a
            # page reads one page of the index, not a key worked out for every contract
            key = c[f"sort_{sort}"]
        elif sort in ("licensor", "licensee"):
            column = c.licensor_id if sort == "licensor" else c.licensee_id
            key = select(t.parties.c.name).where(t.parties.c.id == column).scalar_subquery()
        elif sort == "fee":
            key = c.fee_amount
        elif sort == "status":
            key = c.status
        elif sort == "signed":
            key = c.signed
        else:
            key = c.id
        # rows without the key (no fee, no grants) come last either way; NULLS LAST, not
        # an ORDER BY on "key IS NULL", which would work the key out twice a row
        order = (key.desc() if descending else key.asc()).nulls_last()
        tie = c.id.desc() if descending else c.id.asc()
        return base.order_by(order, tie)

    def change_list(self, query: ChangeQuery) -> tuple[int, list[Any]]:
        """(how many change-log entries match ``query``, one page of rows, newest first)."""
        ch = t.changes.c
        where: list[ColumnElement[bool]] = []
        for column, value in (
            (ch.entity, query.entity),
            (ch.entity_id, query.entity_id),
            (ch.actor, query.actor),
            (ch.action, query.action),
            (ch.key_id, query.key_id),
        ):
            if value:
                where.append(column == value)
        if query.since is not None:
            where.append(ch.at >= query.since)
        if query.before is not None:
            where.append(ch.at < query.before)
        count = select(func.count()).select_from(t.changes).where(*where)
        total = int(self.connection.scalar(count) or 0)
        rows = self.connection.execute(
            select(t.changes)
            .where(*where)
            .order_by(ch.id.desc())
            .limit(max(1, query.limit))
            .offset(max(0, query.offset))
        )
        return total, list(rows)

    def change_vocabulary(self) -> tuple[list[str], list[str], list[str]]:
        """(actors, actions, entities) the change log holds, for its filters."""
        ch = t.changes.c
        return tuple(  # type: ignore[return-value]
            sorted(v for v in self.connection.scalars(select(col).distinct()) if v)
            for col in (ch.actor, ch.action, ch.entity)
        )

    def owned_titles(self, party: str) -> set[str]:
        """The title ids ``party``'s ownership records in force name (as written)."""
        c, r = t.contracts.c, t.rights.c
        query = (
            select(t.right_titles.c.title_id)
            .distinct()
            .join(t.rights, t.rights.c.id == t.right_titles.c.right_id)
            .join(t.contracts, c.id == r.contract_id)
            .where(
                c.licensor_id.is_(None),
                c.licensee_id == party,
                or_(
                    c.status == "executed",
                    and_(c.status == "terminated", c.terminated.is_not(None)),
                ),
            )
        )
        return set(self.connection.scalars(query))

    def party_titles(self, party: str) -> set[str]:
        """The title ids named (as written) by the contracts where ``party`` is licensor
        or licensee."""
        c, r = t.contracts.c, t.rights.c
        query = (
            select(t.right_titles.c.title_id)
            .distinct()
            .join(t.rights, r.id == t.right_titles.c.right_id)
            .join(t.contracts, c.id == r.contract_id)
            .where(or_(c.licensor_id == party, c.licensee_id == party))
        )
        return set(self.connection.scalars(query))

    def status_counts(self, party: str | None = None) -> dict[str, int]:
        """How many contracts have each status (where ``party`` is licensor or licensee)."""
        c = t.contracts.c
        query = select(c.status, func.count()).group_by(c.status)
        if party is not None:
            query = query.where(or_(c.licensor_id == party, c.licensee_id == party))
        return {status: int(n) for status, n in self.connection.execute(query)}

    def dated_grants(
        self, column: str, first: date, last: date, party: str | None, limit: int
    ) -> list[str]:
        """Ids of license contracts in force with a grant whose ``start`` or ``end``
        (``column``) falls from ``first`` to ``last``, soonest first (at most ``limit``)."""
        c, r = t.contracts.c, t.rights.c
        bound = r.start if column == "start" else r.end
        query = (
            select(c.id, func.min(bound))
            .join(t.rights, r.contract_id == c.id)
            .where(
                r.kind == "grant",
                c.licensor_id.is_not(None),
                c.status.in_(("executed", "terminated")),
                bound.between(first.isoformat(), last.isoformat()),
            )
            .group_by(c.id)
            .order_by(func.min(bound), c.id)
            .limit(limit)
        )
        if party is not None:
            query = query.where(or_(c.licensor_id == party, c.licensee_id == party))
        return [row[0] for row in self.connection.execute(query)]

    def terminations_between(
        self, first: date, last: date, party: str | None, limit: int
    ) -> list[str]:
        """Ids of license contracts terminated from a day in ``first + 1 .. last + 1``:
        their rights end in the span."""
        c = t.contracts.c
        query = (
            select(c.id)
            .where(
                c.status == "terminated",
                c.licensor_id.is_not(None),
                c.terminated.between(first, last),
            )
            .order_by(c.terminated, c.id)
            .limit(limit)
        )
        if party is not None:
            query = query.where(or_(c.licensor_id == party, c.licensee_id == party))
        return list(self.connection.scalars(query))

    def ids_with_status(self, status: str, party: str | None, limit: int) -> list[str]:
        c = t.contracts.c
        query = select(c.id).where(c.status == status).order_by(c.seq).limit(limit)
        if party is not None:
            query = query.where(or_(c.licensor_id == party, c.licensee_id == party))
        return list(self.connection.scalars(query))


__all__ = ["CONTRACT_SORTS", "ChangeQuery", "ContractQuery", "ListQueries"]
