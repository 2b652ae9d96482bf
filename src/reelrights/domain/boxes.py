"""Rights boxes and their algebra: titles × media × territories × languages × term.

A :class:`Box` is a product of five sets: a set of title ids, a media bitmask, a territory
bitmask, a :class:`LanguageSet` and a half-open day range. Intersection of two boxes is a
box; the difference of two boxes is at most five disjoint boxes; :func:`compact` merges a
disjoint list of labelled boxes into few, without changing which cell carries which label.

>>> from reelrights.domain.languages import ALL_LANGUAGES
>>> a = Box(frozenset({"t"}), 0b11, 0b11, ALL_LANGUAGES, 0, 10)
>>> b = Box(frozenset({"t"}), 0b01, 0b01, ALL_LANGUAGES, 5, 20)
>>> pieces = a - b
>>> sum(p.volume(4) for p in pieces) == a.volume(4) - (a & b).volume(4)
True
>>> [p for p, _ in compact([(p, "x") for p in pieces] + [(a & b, "x")])] == [a]
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from typing import TypeVar

from reelrights.domain.languages import LanguageSet

Label = TypeVar("Label", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Box:
    """A product of title ids, media, territories, languages and days ``[start, end)``."""

    titles: frozenset[str]
    media: int
    territories: int
    languages: LanguageSet
    start: int
    end: int

    def is_empty(self) -> bool:
        return (
            not self.titles
            or not self.media
            or not self.territories
            or not self.languages
            or self.start >= self.end
        )

    def __and__(self, other: Box) -> Box:
        return Box(
            self.titles & other.titles,
            self.media & other.media,
            self.territories & other.territories,
            self.languages & other.languages,
            max(self.start, other.start),
            min(self.end, other.end),
        )

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share at least one cell-day."""
        return (
            self.start < other.end
            and other.start < self.end
            and bool(self.media & other.media)
            and bool(self.territories & other.territories)
            and not self.titles.isdisjoint(other.titles)
            and bool(self.languages & other.languages)
        )

    def __sub__(self, other: Box) -> list[Box]:
        """Disjoint boxes covering exactly the cells of ``self`` not in ``other``."""
        if not self.overlaps(other):
            return [self]
        out: list[Box] = []
        rest = self
        if rest.start < other.start:
            out.append(replace(rest, end=other.start))
        if other.end < rest.end:
            out.append(replace(rest, start=other.end))
        rest = replace(rest, start=max(rest.start, other.start), end=min(rest.end, other.end))
        if rest.media & ~other.media:
            out.append(replace(rest, media=rest.media & ~other.media))
            rest = replace(rest, media=rest.media & other.media)
        if rest.territories & ~other.territories:
            out.append(replace(rest, territories=rest.territories & ~other.territories))
            rest = replace(rest, territories=rest.territories & other.territories)
        if rest.titles - other.titles:
            out.append(replace(rest, titles=rest.titles - other.titles))
            rest = replace(rest, titles=rest.titles & other.titles)
        languages = rest.languages - other.languages
        if languages:
            out.append(replace(rest, languages=languages))
        return out

    def volume(self, language_universe: int) -> int:
        """Cell-days in the box, counting a cofinite language set as ``language_universe``
        tags (for tests and sanity checks on small universes only)."""
        if self.is_empty():
            return 0
        langs = self.languages
        n_langs = language_universe - len(langs.codes) if langs.negated else len(langs.codes)
        return (
            len(self.titles)
            * self.media.bit_count()
            * self.territories.bit_count()
            * n_langs
            * (self.end - self.start)
        )


def _merge_by(
    items: list[tuple[Box, Label]],
    key: Callable[[Box], Hashable],
    merge: Callable[[list[Box]], list[Box]],
) -> list[tuple[Box, Label]]:
    groups: dict[tuple[Hashable, Label], list[Box]] = defaultdict(list)
    for box, label in items:
        groups[(key(box), label)].append(box)
    out: list[tuple[Box, Label]] = []
    for (_, label), group in groups.items():
        merged = merge(group) if len(group) > 1 else group
        out.extend((box, label) for box in merged)
    return out


def _union_media(group: list[Box]) -> list[Box]:
    media = 0
    for box in group:
        media |= box.media
    return [replace(group[0], media=media)]


def _union_territories(group: list[Box]) -> list[Box]:
    territories = 0
    for box in group:
        territories |= box.territories
    return [replace(group[0], territories=territories)]


def _union_titles(group: list[Box]) -> list[Box]:
    return [replace(group[0], titles=frozenset().union(*(box.titles for box in group)))]


def _union_languages(group: list[Box]) -> list[Box]:
    languages = group[0].languages
    for box in group[1:]:
        languages = languages | box.languages
    return [replace(group[0], languages=languages)]


def _join_terms(group: list[Box]) -> list[Box]:
    group = sorted(group, key=lambda b: b.start)
    out = [group[0]]
    for box in group[1:]:
        if box.start == out[-1].end:
            out[-1] = replace(out[-1], end=box.end)
        else:
            out.append(box)
    return out


_PASSES: tuple[tuple[Callable[[Box], Hashable], Callable[[list[Box]], list[Box]]], ...] = (
    (lambda b: (b.titles, b.media, b.territories, b.languages), _join_terms),
    (lambda b: (b.titles, b.territories, b.languages, b.start, b.end), _union_media),
    (lambda b: (b.titles, b.media, b.languages, b.start, b.end), _union_territories),
    (lambda b: (b.media, b.territories, b.languages, b.start, b.end), _union_titles),
    (lambda b: (b.titles, b.media, b.territories, b.start, b.end), _union_languages),
)


FEW = 8  # up to this many boxes, compact first looks whether any two could merge at all


def _none_merge(items: list[tuple[Box, Label]]) -> bool:
    """Whether no two of ``items`` could merge in any pass of :func:`compact`: a pass merges
    boxes with one label that agree in all but one of titles, media, territories,
    languages and term, so two boxes that differ in two of them (or carry different
    labels) never do. Then compact would give ``items`` back as they are; the answer to
    one question is mostly a few such boxes, and this spares it the passes."""
    for i, (a, label) in enumerate(items):
        for b, other in items[i + 1 :]:
            if other != label:
                continue
            differ = (
                (a.titles != b.titles)
                + (a.media != b.media)
                + (a.territories != b.territories)
                + (a.languages != b.languages)
                + (a.start != b.start or a.end != b.end)
            )
            if differ < 2:
                return False
    return True


def compact(items: Iterable[tuple[Box, Label]]) -> list[tuple[Box, Label]]:
    """Merge disjoint labelled boxes into fewer boxes with the same labelled cells.

    Boxes with one label that differ in one dimension only are merged (adjacent terms
    join; media, territory, title and language sets unite), until nothing merges. The
    input must be pairwise disjoint; the output then is too. Empty input gives [].
    """
    current = [(box, label) for box, label in items if not box.is_empty()]
    if len(current) < 2 or (len(current) <= FEW and _none_merge(current)):
        return current
    while True:
        before = len(current)
        for key, merge in _PASSES:
            current = _merge_by(current, key, merge)
        if len(current) == before:
            return current
