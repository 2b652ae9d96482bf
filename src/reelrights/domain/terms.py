"""Terms: calendar-day ranges, half-open inside the core, inclusive at every edge.

Inside the core a day is its proleptic ordinal (``date.toordinal()``) and a term is
``[start, end)``; ``FOREVER`` stands for perpetuity and ``DAWN`` for "since always". User
formats give inclusive ends and ``None`` for perpetuity; :func:`to_end` and
:func:`from_end` convert at the edge, once.

A bound may be relative to a title's release (``release+90d``, ``release-2w``,
``release+1y``): it is resolved per title, and per territory where the title has
per-territory release dates.

>>> to_end(date(2016, 12, 31)) - to_start(date(2016, 1, 1))
366
>>> DateBound.parse("release+90d").resolve(date(2016, 1, 1))
datetime.date(2016, 3, 31)
>>> from_end(FOREVER) is None
True
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from reelrights.domain.problems import CodeError

DAWN: int = date.min.toordinal()
FOREVER: int = date.max.toordinal() + 1


def to_start(day: date | None) -> int:
    """The ordinal of an inclusive start day; ``None`` is since always."""
    return DAWN if day is None else day.toordinal()


def to_end(day: date | None) -> int:
    """The exclusive ordinal after an inclusive end day; ``None`` is perpetuity."""
    return FOREVER if day is None else day.toordinal() + 1


def from_start(ordinal: int) -> date | None:
    """The inclusive start day of an ordinal, ``None`` for since always."""
    return None if ordinal <= DAWN else date.fromordinal(ordinal)


def from_end(ordinal: int) -> date | None:
    """The inclusive end day of an exclusive ordinal, ``None`` for perpetuity."""
    return None if ordinal >= FOREVER else date.fromordinal(ordinal - 1)


def parse_date(value: object) -> date:
    """A calendar date from ``date`` or ISO ``YYYY-MM-DD`` text."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CodeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


_RELATIVE = re.compile(r"^release\s*(?:([+-])\s*(\d+)\s*([dwmy]))?$", re.IGNORECASE)


def add_offset(day: date, amount: int, unit: str) -> date:
    """``day`` moved by ``amount`` days, weeks, months or years (calendar months clip to
    the month's last day: Jan 31 + 1m is Feb 28 or 29)."""
    if unit == "d":
        return day + timedelta(days=amount)
    if unit == "w":
        return day + timedelta(weeks=amount)
    months = amount * (12 if unit == "y" else 1)
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


@dataclass(frozen=True, slots=True)
class DateBound:
    """A term bound: a fixed day, or an offset from a title's release date."""

    day: date | None = None
    offset: int = 0
    unit: str = "d"

    @property
    def is_relative(self) -> bool:
        return self.day is None

    @staticmethod
    def parse(value: object) -> DateBound:
        """From ``2016-01-01``, a ``date``, ``release``, or ``release+90d`` (d, w, m, y)."""
        if isinstance(value, date):
            return DateBound(day=value)
        text = str(value).strip()
        match = _RELATIVE.match(text)
        if match:
            sign, amount, unit = match.groups()
            offset = int(amount or 0) * (-1 if sign == "-" else 1)
            return DateBound(day=None, offset=offset, unit=(unit or "d").lower())
        return DateBound(day=parse_date(text))

    def resolve(self, release: date | None) -> date | None:
        """The day this bound means for a title released on ``release`` (``None`` if the
        bound is relative and the release is unknown)."""
        if self.day is not None:
            return self.day
        if release is None:
            return None
        return add_offset(release, self.offset, self.unit)

    def __str__(self) -> str:
        if self.day is not None:
            return self.day.isoformat()
        if self.offset == 0:
            return "release"
        return f"release{'+' if self.offset > 0 else '-'}{abs(self.offset)}{self.unit}"
