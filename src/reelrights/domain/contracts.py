"""Parties, contracts, grants and holdbacks: the deal book's records.

A contract without a licensor is an *ownership record*: the original holder of a title's
rights. ``status`` decides whether a contract is in force (docs/semantics.md rule 7):
``draft`` never counts, ``hold`` only warns, ``executed`` is in force, ``terminated`` is in
force until the day before its ``terminated`` date, or void without one.

>>> c = Contract("c1", licensor="disney", licensee="tencent", status="terminated",
...              terminated=date(2018, 1, 1))
>>> from_end(c.in_force_until())
datetime.date(2017, 12, 31)
>>> Contract("c2", licensor=None, licensee="disney", status="terminated").in_force()
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.money import Instalment, ShareEntry
from reelrights.domain.terms import FOREVER, DateBound, from_end, to_start

STATUSES = ("draft", "hold", "executed", "terminated")
OPTION_KINDS = ("first-negotiation", "first-refusal", "renewal")
# Options that make an avails answer carry a warning until their deadline (rule 21); a
# renewal option only appears on the calendar.
WARNING_OPTIONS = ("first-negotiation", "first-refusal")


@dataclass(frozen=True, slots=True)
class Party:
    """A company or person that holds, grants or receives rights."""

    id: str
    name: str
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in an ISO 4217 currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Grant:
    """Rights to titles × media × territories × languages × term, licensor to licensee."""

    titles: tuple[str, ...]
    media: int
    territories: int
    languages: LanguageSet = ALL_LANGUAGES
    start: DateBound | None = None
    end: DateBound | None = None
    exclusive: bool = False
    sublicense: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Holdback:
    """A licensor's promise not to exploit or license these rights during the term."""

    titles: tuple[str, ...]
    media: int
    territories: int
    languages: LanguageSet = ALL_LANGUAGES
    start: DateBound | None = None
    end: DateBound | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Option:
    """A right the licensor promised ``holder`` over these rights, to be exercised by
    ``exercise_by`` (inclusive): ``first-negotiation``, ``first-refusal`` or ``renewal``."""

    kind: str
    holder: str
    titles: tuple[str, ...]
    media: int
    territories: int
    exercise_by: date
    languages: LanguageSet = ALL_LANGUAGES
    start: DateBound | None = None
    end: DateBound | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def warns(self) -> bool:
        """Whether the option flags avails answers (first negotiation or first refusal)."""
        return self.kind in WARNING_OPTIONS


@dataclass(frozen=True, slots=True)
class Contract:
    """An agreement between a licensor (``None`` for ownership) and a licensee."""

    id: str
    licensor: str | None
    licensee: str
    status: str = "executed"
    signed: date | None = None
    terminated: date | None = None
    fee: Money | None = None
    minimum_guarantee: Money | None = None
    revenue_share: tuple[ShareEntry, ...] = ()
    grants: tuple[Grant, ...] = ()
    holdbacks: tuple[Holdback, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    currency: str | None = None  # the contract currency; None: the fee's, else the MG's
    payments: tuple[Instalment, ...] = ()  # the fee's schedule
    reporting: str = "quarterly"  # how often it is statemented (docs/semantics.md rule 17)
    options: tuple[Option, ...] = ()

    @property
    def money_currency(self) -> str | None:
        """The currency amounts owed under this contract are stated in."""
        if self.currency is not None:
            return self.currency
        for money in (self.fee, self.minimum_guarantee):
            if money is not None:
                return money.currency
        return None

    def share_of(self, medium_bit: int, country_bit: int) -> int | None:
        """The index of the first ``revenue_share`` entry that rates this cell."""
        for index, entry in enumerate(self.revenue_share):
            if entry.covers(medium_bit, country_bit):
                return index
        return None

    @property
    def rights(self) -> tuple[Grant | Holdback, ...]:
        """Grants, then holdbacks."""
        return (*self.grants, *self.holdbacks)

    def named_parties(self) -> list[tuple[str, str]]:
        """(field, party id) for every party the contract names: licensor, licensee and
        the holder of each option."""
        named = [("licensor", self.licensor)] if self.licensor is not None else []
        named.append(("licensee", self.licensee))
        named += [(f"options[{i}].holder", o.holder) for i, o in enumerate(self.options)]
        return named

    @property
    def is_ownership(self) -> bool:
        return self.licensor is None

    def in_force(self) -> bool:
        """Whether the contract gives holdings and encumbers (executed, or terminated
        from a date)."""
        return self.status == "executed" or (
            self.status == "terminated" and self.terminated is not None
        )

    def in_force_until(self) -> int:
        """The exclusive day ordinal at which the contract stops binding."""
        if self.status == "terminated" and self.terminated is not None:
            return to_start(self.terminated)
        return FOREVER


__all__ = [
    "OPTION_KINDS",
    "STATUSES",
    "WARNING_OPTIONS",
    "Contract",
    "Grant",
    "Holdback",
    "Money",
    "Option",
    "Party",
    "from_end",
]
