"""Problems found in user data, as values that say where they are.

A problem is never an exception: parsers collect every problem of an input and the caller
decides (the CLI prints them all and exits 1; nothing is stored).

>>> Problem("unknown medium 'SVODD'", file="deals.yaml", line=12, field="grants[0].media")
Problem(message="unknown medium 'SVODD'", file='deals.yaml', line=12, field='grants[0].media')
>>> str(_)
"deals.yaml:12: grants[0].media: unknown medium 'SVODD'"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with an input, and where (file, line and field when known)."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        place = ""
        if self.file:
            place = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            place = f"line {self.line}: "
        if self.field:
            place += f"{self.field}: "
        return place + self.message


class InvalidInput(ValueError):
    """Raised at an edge (service, CLI) to carry the problems of an input to the user."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class CodeError(ValueError):
    """A code (medium, territory, language, date expression) that is not known."""


def parse_items(items: str | Iterable[str], resolve: Callable[[str], int], what: str) -> int:
    """The mask of a list of items, each read by :func:`parse_code_list`; nothing at all
    (an empty list, or everything excluded) is an error naming ``what``."""
    if isinstance(items, str):
        items = [items]
    mask = 0
    for item in items:
        mask |= parse_code_list(str(item), resolve)
    if mask == 0:
        raise CodeError(f"no {what} given")
    return mask


def parse_code_list(item: str, resolve: Callable[[str], int]) -> int:
    """The mask of ``"A, B"``, ``"A except B, C"`` or a single code, each code resolved to a
    mask by ``resolve``; shared by media and territories.

    >>> parse_code_list("ab except b", {"ab": 3, "b": 2}.__getitem__)
    1
    """
    lowered = item.lower()
    if " except " in lowered:
        at = lowered.index(" except ")
        mask = parse_code_list(item[:at], resolve)
        return mask & ~parse_code_list(item[at + len(" except ") :], resolve)
    mask = 0
    for part in item.split(","):
        if part.strip():
            mask |= resolve(part.strip())
    return mask
