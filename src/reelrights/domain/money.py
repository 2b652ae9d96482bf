"""Money: currencies and their minor units, the one rounding rule, money terms, periods.

Every amount is a :class:`~decimal.Decimal`. Amounts owed are rounded by
:func:`round_money` alone: to the minor unit of the currency (ISO 4217: two decimals for
USD, none for KRW or JPY, three for KWD), half to even, at each line; a total is the sum of
rounded lines (docs/semantics.md rule 18).

>>> round_money(Decimal("0.125"), "USD"), round_money(Decimal("0.135"), "USD")
(Decimal('0.12'), Decimal('0.14'))
>>> round_money(Decimal("1500.5"), "KRW")
Decimal('1500')
>>> Period.parse("2017-Q1").first, Period.parse("2017-Q1").last
(datetime.date(2017, 1, 1), datetime.date(2017, 3, 31))
>>> Period.containing(date(2017, 8, 15), "half-yearly").name
'2017-H2'
>>> ShareEntry.flat(Decimal("0.2")).pieces(Decimal(0), Decimal(100))
[(Decimal('100'), Decimal('0.2'), 0)]
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache, partial

import pycountry

from reelrights.domain.problems import CodeError

# ISO 4217 minor units that are not 2 (the list maintained by SIX, the ISO 4217 agency;
# pycountry carries the codes but not the units). Codes with no minor unit defined
# (precious metals, XDR, XXX) are rounded to 2 places like the rest.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}
_EXPONENTS: dict[int, Decimal] = {n: Decimal(1).scaleb(-n) for n in range(5)}

REPORTING = ("monthly", "quarterly", "half-yearly", "yearly")


def currency_code(text: str) -> str:
    """An ISO 4217 alpha code, upper case; anything else is a :class:`CodeError`.

    >>> currency_code(" usd ")
    'USD'
    """
    code = str(text).strip().upper()
    if code not in _CURRENCIES:
        raise CodeError(f"unknown currency '{str(text).strip()}' (ISO 4217)")
    return code


_CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)


def minor_unit(currency: str) -> int:
    """How many decimals the currency's minor unit has (ISO 4217)."""
    return _MINOR_UNITS.get(currency, 2)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """The one rounding rule: to the currency's minor unit, half to even."""
    return amount.quantize(_EXPONENTS[minor_unit(currency)], rounding=ROUND_HALF_EVEN)


def rounder(currency: str) -> Callable[[Decimal], Decimal]:
    """:func:`round_money` for one currency, for a loop over a million amounts (the
    currency's exponent looked up once).

    >>> rounder("USD")(Decimal("0.125")) == round_money(Decimal("0.125"), "USD")
    True
    """
    exponent = _EXPONENTS[minor_unit(currency)]
    return partial(Decimal.quantize, exp=exponent, rounding=ROUND_HALF_EVEN)


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as the decimal string every output uses (``"1234.50"``, ``"1500"``)."""
    return str(round_money(amount, currency))


def parse_amount(value: object) -> Decimal:
    """A finite decimal from text or a number (``1,234.50`` is refused: no grouping)."""
    if isinstance(value, bool):
        raise CodeError(f"'{value}' is not a number")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = str(value).strip()
        if not NUMBER.match(text):
            raise CodeError(f"'{text}' is not a number")
        number = Decimal(text)
    if not number.is_finite():
        raise CodeError(f"'{value}' is not a number")
    return number


NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
"""What :func:`parse_amount` reads as a number (no grouping, no NaN or infinity)."""


# -- money terms ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instalment:
    """One payment of a fee's schedule: ``amount`` due on ``due``."""

    due: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Tier:
    """A rate that applies while the cumulative gross is at most ``upto`` (``None``: no
    limit, the last tier)."""

    upto: Decimal | None
    rate: Decimal


@dataclass(frozen=True, slots=True)
class ShareEntry:
    """One ``revenue_share`` entry: the licensor's rate (or tiers of rates) on the gross of
    the cells it names. ``media``/``territories`` are masks, ``None`` for all."""

    tiers: tuple[Tier, ...]
    media: int | None = None
    territories: int | None = None

    @staticmethod
    def flat(rate: Decimal) -> ShareEntry:
        """An entry with one rate for every cell."""
        return ShareEntry((Tier(None, rate),))

    def covers(self, medium_bit: int, country_bit: int) -> bool:
        """Whether a line of this medium and country is rated by this entry."""
        return (self.media is None or bool(self.media & medium_bit)) and (
            self.territories is None or bool(self.territories & country_bit)
        )

    def pieces(self, before: Decimal, amount: Decimal) -> list[tuple[Decimal, Decimal, int]]:
        """``amount`` added to a cumulative gross of ``before``, cut at tier limits:
        ``(piece, rate, tier index)`` in walking order. A negative amount (a return) walks
        back down the tiers; a cumulative below zero stays in the first tier.

        >>> e = ShareEntry((Tier(Decimal(1000), Decimal("0.2")), Tier(None, Decimal("0.25"))))
        >>> e.pieces(Decimal(900), Decimal(300))
        [(Decimal('100'), Decimal('0.2'), 0), (Decimal('200'), Decimal('0.25'), 1)]
        >>> e.pieces(Decimal(1200), Decimal(-300))
        [(Decimal('-200'), Decimal('0.25'), 1), (Decimal('-100'), Decimal('0.2'), 0)]
        """
        if amount == 0 or len(self.tiers) == 1:
            return [(amount, self.tiers[0].rate, 0)]
        out: list[tuple[Decimal, Decimal, int]] = []
        at, rest = before, amount
        while rest != 0:
            index = self._tier_at(at, upward=rest > 0)
            tier = self.tiers[index]
            if rest > 0:
                room = None if tier.upto is None else tier.upto - at
                piece = rest if room is None or rest <= room else room
            else:
                floor = self.tiers[index - 1].upto if index > 0 else None
                room = None if floor is None else floor - at  # negative
                piece = rest if room is None or rest >= room else room
            out.append((piece, tier.rate, index))
            at += piece
            rest -= piece
        return out

    def _tier_at(self, cumulative: Decimal, upward: bool) -> int:
        """The tier a step from ``cumulative`` falls in: tier i holds (upto[i-1], upto[i]]."""
        for index, tier in enumerate(self.tiers):
            if tier.upto is None:
                return index
            if (upward and cumulative < tier.upto) or (not upward and cumulative <= tier.upto):
                return index
        return len(self.tiers) - 1


# -- periods ----------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{2})|[Qq]([1-4])|[Hh]([12])))?$")
_MONTHS = {"monthly": 1, "quarterly": 3, "half-yearly": 6, "yearly": 12}


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A reporting period: a month (``2017-03``), quarter (``2017-Q1``), half year
    (``2017-H1``) or year (``2017``); ``months`` is its length, ``index`` its number in
    the year (1-based)."""

    year: int
    months: int
    index: int

    @staticmethod
    def parse(text: str) -> Period:
        match = _PERIOD.match(str(text).strip())
        if not match:
            raise CodeError(f"'{text}' is not a period (2017-03, 2017-Q1, 2017-H1 or 2017)")
        year, month, quarter, half = match.groups()
        if month is not None:
            if not 1 <= int(month) <= 12:
                raise CodeError(f"'{text}' is not a period: no month {month}")
            return Period(int(year), 1, int(month))
        if quarter is not None:
            return Period(int(year), 3, int(quarter))
        if half is not None:
            return Period(int(year), 6, int(half))
        return Period(int(year), 12, 1)

    @staticmethod
    def containing(day: date, reporting: str) -> Period:
        """The period of a reporting frequency that contains ``day``."""
        months = _MONTHS[reporting]
        return Period(day.year, months, (day.month - 1) // months + 1)

    @property
    def reporting(self) -> str:
        return {1: "monthly", 3: "quarterly", 6: "half-yearly", 12: "yearly"}[self.months]

    @property
    def name(self) -> str:
        if self.months == 1:
            return f"{self.year}-{self.index:02d}"
        if self.months == 12:
            return str(self.year)
        return f"{self.year}-{'Q' if self.months == 3 else 'H'}{self.index}"

    @property
    def first(self) -> date:
        return date(self.year, (self.index - 1) * self.months + 1, 1)

    @property
    def last(self) -> date:
        month = self.index * self.months
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        return self.name


@lru_cache(maxsize=65536)
def period_of(day: date, reporting: str) -> Period:
    """:meth:`Period.containing`, remembered (statements ask it once per line)."""
    return Period.containing(day, reporting)
