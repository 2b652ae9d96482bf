"""Languages: BCP 47 tags (validated by langcodes), and language sets that may be infinite.

A :class:`LanguageSet` is a finite set of tags or the complement of one, so ``all`` and
``all except fr`` are exact values and union, intersection and difference stay closed.
Tags compare exactly after standardisation (``EN-us`` reads ``en-US``); a holding for ``en``
does not cover ``en-US``.

>>> fr = LanguageSet.of(["fr"])
>>> (ALL_LANGUAGES - fr).to_json()
{'all_except': ['fr']}
>>> ((ALL_LANGUAGES - fr) & LanguageSet.of(["fr", "ko"])).to_json()
['ko']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from reelrights.domain.problems import CodeError


@cache
def standard_tag(text: str) -> str:
    """The standard form of a BCP 47 tag, or :class:`CodeError` for an invalid one."""
    import langcodes  # its tables take a tenth of a second to import: only when a tag is read

    raw = str(text).strip()
    if not raw or not langcodes.tag_is_valid(raw):
        raise CodeError(f"unknown language '{raw}'")
    return str(langcodes.standardize_tag(raw))


@dataclass(frozen=True, slots=True)
class LanguageSet:
    """A set of language tags: ``codes`` when not ``negated``, else all but ``codes``."""

    negated: bool
    codes: frozenset[str]

    @staticmethod
    def of(tags: Iterable[str]) -> LanguageSet:
        """The finite set of the given tags, standardised."""
        return LanguageSet(False, frozenset(standard_tag(t) for t in tags))

    def __bool__(self) -> bool:
        return self.negated or bool(self.codes)

    def __invert__(self) -> LanguageSet:
        return LanguageSet(not self.negated, self.codes)

    def __and__(self, other: LanguageSet) -> LanguageSet:
        if not self.negated and not other.negated:
            return LanguageSet(False, self.codes & other.codes)
        if not self.negated:
            return LanguageSet(False, self.codes - other.codes)
        if not other.negated:
            return LanguageSet(False, other.codes - self.codes)
        return LanguageSet(True, self.codes | other.codes)

    def __or__(self, other: LanguageSet) -> LanguageSet:
        return ~(~self & ~other)

    def __sub__(self, other: LanguageSet) -> LanguageSet:
        return self & ~other

    def contains(self, tag: str) -> bool:
        """Whether one standard tag is in the set."""
        return (tag in self.codes) != self.negated

    def to_json(self) -> Any:
        """``"all"``, a sorted list of tags, or ``{"all_except": [...]}`` (docs/cli.md)."""
        if self.negated:
            return {"all_except": sorted(self.codes)} if self.codes else "all"
        return sorted(self.codes)

    def describe(self) -> str:
        """A human reading: ``all``, ``en, fr`` or ``all except fr``."""
        if self.negated:
            return "all except " + ", ".join(sorted(self.codes)) if self.codes else "all"
        return ", ".join(sorted(self.codes))

    @staticmethod
    def parse(value: Any) -> LanguageSet:
        """From a sheet or request: ``all`` (or nothing), a tag, a list of tags, or
        ``{"all_except": [...]}`` (also ``"all except fr, de"``)."""
        if value is None:
            return ALL_LANGUAGES
        if isinstance(value, dict):
            if set(value) != {"all_except"}:
                raise CodeError("languages must be 'all', a list of tags or {all_except: [...]}")
            excluded = LanguageSet.of(_tags(value["all_except"]))
            return ~excluded
        if isinstance(value, str):
            text = value.strip()
            if text.lower() == "all":
                return ALL_LANGUAGES
            if text.lower().startswith("all except "):
                return ~LanguageSet.of(_tags(text[len("all except ") :]))
            return LanguageSet.of(_tags(text))
        if isinstance(value, list | tuple):
            if any(str(v).strip().lower() == "all" for v in value):
                return ALL_LANGUAGES
            result = LanguageSet.of(_tags(value))
            if not result:
                raise CodeError("no languages given")
            return result
        raise CodeError(
            f"languages must be 'all', a list of tags or {{all_except: [...]}}, not {value!r}"
        )


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    return [str(v) for v in value]


ALL_LANGUAGES = LanguageSet(True, frozenset())
NO_LANGUAGES = LanguageSet(False, frozenset())
