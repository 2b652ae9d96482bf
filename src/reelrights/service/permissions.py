"""Who may do what: the one place the REST API and the web UI ask.

A key has a role, ``viewer`` < ``editor`` < ``admin``, and may be bound to a party P.

- Reading: an unbound key reads every contract; a key bound to P reads the contracts
  where P is the licensor or the licensee. Any other contract is answered as if it did
  not exist.
- Writing (create, change a draft, execute, terminate) needs ``editor``; a key bound to P
  writes only the contracts P *controls*: P is the licensor, or, for an ownership record
  (no licensor), the licensee. A licensee's key never grants itself rights.
- A key bound to P asks avails only as P, and cannot load deal sheets or feeds, export
  the whole book, or read the change log.
- The change log needs ``admin`` and an unbound key; an admin key cannot be bound to a
  party at all (:func:`check_new_key`), so a party's admin never reads other parties'
  changes. A bound admin key stored by an older version is refused the log, not scoped.
- Reports shown to a bound key (a rights conflict, the live deal check, avails, the
  grid) keep every reason and box but name a contract only when the key may read it.
- Creating a contract with an id that is taken by a contract the key may not read is
  refused with the very answer a key gets for writing a contract its party does not
  control (:data:`WRITE_REFUSAL`), so the answer does not say whose the id is or that a
  contract of that id exists (docs/api.md says what remains: that the id is not free).

Outside a request (the CLI, a script) the operator acts with :data:`OPERATOR`: every
right. The service checks writes against the acting key itself (see ``Service.acting``),
so no outer layer can forget to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol

from reelrights.domain.contracts import Contract
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.engine import AvailsReport, ContractCheck
from reelrights.engine.avails import Unavailable, Warning
from reelrights.service.base import Acting, RightsConflict, ServiceBase

RANK = {"viewer": 0, "editor": 1, "admin": 2}
ROLES = ("admin", "editor", "viewer")
WRITE_REFUSAL = (
    "a key bound to party '{party}' may create, change, execute or terminate only "
    "contracts where '{party}' is the licensor (or, for an ownership record, the licensee)"
)


class Refused(Exception):
    """The key may not do this (HTTP 403). The message says why in terms of the key,
    never what exists beyond the key's sight."""


class NotFound(LookupError):
    """No such thing, or one the key may not read (HTTP 404): the same answer."""


class Holder(Protocol):
    """Anything with a role and a party: a stored key, or who is acting."""

    @property
    def role(self) -> str: ...

    @property
    def party(self) -> str | None: ...


@dataclass(frozen=True)
class Permissions:
    """What one key (or the operator) may do."""

    role: str = "admin"
    party: str | None = None

    @staticmethod
    def of(holder: Holder) -> Permissions:
        return Permissions(holder.role, holder.party)

    # -- roles ---------------------------------------------------------------------------

    def has(self, role: str) -> bool:
        """Whether the key's role is ``role`` or above."""
        return RANK.get(self.role, -1) >= RANK[role]

    def require(self, role: str) -> None:
        if not self.has(role):
            raise Refused(f"this needs the {role} role; the key is {self.role}")

    def require_unbound(self, what: str) -> None:
        """Whole-book operations (loading sheets and feeds, exports) are for unbound keys."""
        if self.party is not None:
            raise Refused(f"a key bound to party '{self.party}' cannot {what}")

    def may_load(self) -> bool:
        """Whether the key may load into the whole book (deal sheets, feeds, drafts)."""
        return self.has("editor") and self.party is None

    def require_load(self, what: str) -> None:
        self.require("editor")
        self.require_unbound(what)

    # -- contracts -----------------------------------------------------------------------

    def may_read(self, contract: Contract) -> bool:
        return self.party is None or self.party in (contract.licensor, contract.licensee)

    def may_write(self, licensor: str | None, licensee: str | None) -> bool:
        """Whether the key may write a contract between these parties (``licensor`` None:
        an ownership record, controlled by its licensee)."""
        if not self.has("editor"):
            return False
        return self.party is None or self.party == (licensor if licensor else licensee)

    def may_write_contract(self, contract: Contract) -> bool:
        return self.may_write(contract.licensor, contract.licensee)

    def contract_actions(self, contract: Contract) -> tuple[str, ...]:
        """What this key may do to ``contract`` now, as the pages offer it: a draft or a
        hold may be executed, an executed contract terminated; a terminated contract
        offers nothing (it is over), nor does any contract the key may not write."""
        if not self.may_write_contract(contract):
            return ()
        if contract.status in ("draft", "hold"):
            return ("execute",)
        if contract.status == "executed":
            return ("terminate",)
        return ()

    def require_write(self, licensor: str | None, licensee: str | None) -> None:
        self.require("editor")
        if not self.may_write(licensor, licensee):
            raise Refused(WRITE_REFUSAL.format(party=self.party))

    def require_asking_as(self, licensor: str) -> None:
        """A bound key asks avails (and checks deals) only as its own party."""
        if self.party is not None and licensor != self.party:
            raise Refused(f"a key bound to party '{self.party}' asks avails only as that party")

    def contract_party(self, requested: str | None) -> tuple[bool, str | None]:
        """For a contract listing filtered by ``requested`` party: (whether anything can
        match, the party to filter by). A bound key lists only its own party's."""
        if self.party is None:
            return True, requested
        return requested in (None, "", self.party), self.party

    def sales_party(self, requested: str | None) -> tuple[bool, str | None]:
        """For a listing of unmatched sales lines filtered by ``requested`` licensee: (whether
        anything can match, the licensee to filter by). A line with no contract has only
        the licensee that reported it as its party, so a bound key lists only its own."""
        return self.contract_party(requested)

    # -- the change log ------------------------------------------------------------------

    def may_read_changes(self) -> bool:
        return self.has("admin") and self.party is None

    def may_manage_webhooks(self) -> bool:
        """Webhooks (rule 22) see every change of the book: unbound admins only."""
        return self.has("admin") and self.party is None

    def require_rates(self) -> None:
        """Exchange rates (docs/semantics.md rule 15) convert every party's sales, so
        importing them is whole-book data like a deal sheet: editors with unbound keys."""
        self.require("editor")
        self.require_unbound("import exchange rates")

    def require_changes(self) -> None:
        self.require("admin")
        self.require_unbound("read the change log")

    # -- reports ---------------------------------------------------------------------------

    def redact_report(self, report: AvailsReport, readable: Callable[[str], bool]) -> AvailsReport:
        """``report`` with the contracts the key may not read unnamed (``None``)."""
        if self.party is None:
            return report
        return AvailsReport(
            report.available,
            tuple(
                u
                if u.contract is None or readable(u.contract)
                else Unavailable(u.box, u.reason, None)
                for u in report.unavailable
            ),
            tuple(
                w if w.contract is None or readable(w.contract) else Warning(w.box, w.code, None)
                for w in report.warnings
            ),
        )

    def redact_check(self, check: ContractCheck, readable: Callable[[str], bool]) -> ContractCheck:
        if self.party is None:
            return check
        return replace(check, reports=tuple(self.redact_report(r, readable) for r in check.reports))

    def redact_grid(self, grid: dict[str, Any], readable: Callable[[str], bool]) -> dict[str, Any]:
        """A grid answer (see ``Service.grid``) with unreadable contracts unnamed."""
        if self.party is None:
            return grid

        def hide(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [
                i
                if not i.get("contract") or readable(i["contract"])
                else {**i, "contract": None} | ({"holder": None} if "holder" in i else {})
                for i in items
            ]

        cells = [
            {
                **c,
                "reasons": hide(c["reasons"]),
                "holds": hide(c["holds"]),
                "options": hide(c.get("options", [])),
            }
            for c in grid["cells"]
        ]
        return {**grid, "cells": cells}


OPERATOR = Permissions()
"""The operator at the command line: every right."""


def check_new_key(role: str, party: str | None, known_parties: Iterable[str]) -> None:
    """Refuse a key that could not be used safely: an unknown role or party, or an admin
    key bound to a party (the change log is the whole book's)."""
    if role not in ROLES:
        raise InvalidInput(
            [Problem(f"unknown role '{role}' (expected one of {', '.join(ROLES)})", field="role")]
        )
    if party is not None and role == "admin":
        raise InvalidInput(
            [
                Problem(
                    "an admin key cannot be bound to a party: the change log it reads covers "
                    "every party; bind an editor or viewer key instead",
                    field="party",
                )
            ]
        )
    if party is not None and party not in set(known_parties):
        raise InvalidInput([Problem(f"unknown party '{party}'", field="party")])


class PermissionJobs(ServiceBase):
    """The service's side of the permissions: contracts as a key may read them, reports
    redacted for it, and the checks every write makes against who is acting."""

    @contextmanager
    def acting(self, who: Acting) -> Iterator[None]:
        """As :meth:`ServiceBase.acting`; a rights conflict leaving the block is redacted
        for the acting key, so no caller can show a party more than it may read."""
        with super().acting(who):
            try:
                yield
            except RightsConflict as conflict:
                if who.party is None:
                    raise
                raise self.redact_conflict(who, conflict) from None

    def readable_contract(self, holder: Holder, contract_id: str) -> Contract:
        """The contract, if it exists and ``holder`` may read it; else :class:`NotFound`
        (the same answer for both)."""
        with self.store.reading() as reader:
            found = reader.contract(contract_id)
        if found is None or not Permissions.of(holder).may_read(found):
            raise NotFound(f"no contract '{contract_id}'")
        return found

    def _readable(self, holder: Holder) -> Callable[[str], bool]:
        """Whether ``holder`` may read a contract id (looked up once per id)."""
        may = Permissions.of(holder)
        seen: dict[str, bool] = {}

        def readable(contract_id: str) -> bool:
            if contract_id not in seen:
                with self.store.reading() as reader:
                    found = reader.contract(contract_id)
                seen[contract_id] = found is not None and may.may_read(found)
            return seen[contract_id]

        return readable

    def redact_report(self, holder: Holder, report: AvailsReport) -> AvailsReport:
        """An avails report as ``holder`` may see it (see :meth:`Permissions.redact_report`)."""
        return Permissions.of(holder).redact_report(report, self._readable(holder))

    def redact_check(self, holder: Holder, check: ContractCheck) -> ContractCheck:
        return Permissions.of(holder).redact_check(check, self._readable(holder))

    def redact_grid(self, holder: Holder, grid: dict[str, Any]) -> dict[str, Any]:
        return Permissions.of(holder).redact_grid(grid, self._readable(holder))

    def redact_conflict(self, holder: Holder, conflict: RightsConflict) -> RightsConflict:
        may, readable = Permissions.of(holder), self._readable(holder)
        return RightsConflict([may.redact_check(c, readable) for c in conflict.checks])

    # -- the checks of writes, against who is acting ---------------------------------------

    def _require_writable(self, contract: Contract) -> None:
        """The acting key may change ``contract``: one it may not read is unknown to it."""
        may = Permissions.of(self._who())
        if not may.may_read(contract):
            raise InvalidInput([Problem(f"unknown contract '{contract.id}'", field="contract")])
        may.require_write(contract.licensor, contract.licensee)

    def _require_free_id(self, contract_id: str) -> None:
        """A contract id the acting key may not read is refused as any contract it may not
        write would be: neither the id's owner nor its existence is told."""
        may = Permissions.of(self._who())
        if may.party is None:
            return
        with self.store.reading() as reader:
            found = reader.contract(contract_id)
        if found is not None and not may.may_read(found):
            raise Refused(WRITE_REFUSAL.format(party=may.party))
