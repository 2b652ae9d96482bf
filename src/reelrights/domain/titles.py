"""Titles and the catalog: films, series, seasons, episodes and collections.

A title's rights cover the title and everything below it (a series covers its seasons
and their episodes); a collection is only a grouping and covers its members, expanded at
the time of the question so that a library deal grows with the library.

>>> catalog = Catalog([
...     Title("saga", "Saga", "collection", members=("a", "b")),
...     Title("a", "A", "film"), Title("b", "B", "film"),
...     Title("show", "Show", "series"), Title("s1", "Season 1", "season", parent="show"),
...     Title("e1", "Episode 1", "episode", parent="s1"),
... ])
>>> sorted(catalog.expand(["saga"]))
['a', 'b']
>>> sorted(catalog.expand(["show"]))
['e1', 's1', 'show']
>>> sorted(catalog.referents("e1"))
['e1', 's1', 'show']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

KINDS = ("film", "series", "season", "episode", "collection", "short", "special")
CONTAINERS = {"series": ("season", "episode"), "season": ("episode",)}


@dataclass(frozen=True, slots=True)
class Title:
    """A title as the catalog knows it."""

    id: str
    name: str
    kind: str = "film"
    year: int | None = None
    release: date | None = None
    releases: Mapping[str, date] = field(default_factory=dict)
    parent: str | None = None
    members: tuple[str, ...] = ()
    external_ids: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)


class Catalog:
    """All titles of a book, with the containment tree and collection memberships."""

    def __init__(self, titles: Iterable[Title] = ()) -> None:
        self.titles: dict[str, Title] = {}
        self._children: dict[str, list[str]] = defaultdict(list)
        self._collections_of: dict[str, list[str]] = defaultdict(list)
        self._containers: set[str] = set()  # titles that cover more than themselves
        self._expansions: dict[str, frozenset[str]] = {}
        self.version = 0  # counts changes: what is derived from the titles knows it is stale
        for title in titles:
            self.add(title)

    def add(self, title: Title) -> None:
        """Add or replace a title (replacing keeps the tree consistent)."""
        self._expansions.clear()
        self.version += 1
        old = self.titles.get(title.id)
        if old is not None:
            if old.parent:
                self._children[old.parent].remove(old.id)
            for member in old.members:
                self._collections_of[member].remove(old.id)
        self.titles[title.id] = title
        if title.kind == "collection" or self._children.get(title.id):
            self._containers.add(title.id)
        else:
            self._containers.discard(title.id)
        if title.parent:
            self._children[title.parent].append(title.id)
            self._containers.add(title.parent)
        for member in title.members:
            self._collections_of[member].append(title.id)

    def __contains__(self, title_id: object) -> bool:
        return title_id in self.titles

    def get(self, title_id: str) -> Title | None:
        return self.titles.get(title_id)

    def containers(self) -> frozenset[str]:
        """The ids that cover more than themselves: collections, and series and seasons
        with something below them."""
        return frozenset(self._containers)

    def expand(self, title_ids: Iterable[str]) -> frozenset[str]:
        """The rights-bearing titles that the given ids cover: a collection its members
        (recursively), a series or season itself and all below it. Unknown ids are kept
        as they are (the caller validates references)."""
        wanted = title_ids if isinstance(title_ids, frozenset) else frozenset(title_ids)
        # Only containers (series, seasons, collections) and unknown ids need expanding;
        # intersecting with the few containers costs far less than scanning the request.
        rest = wanted & self._containers
        if not rest:
            return wanted
        # Most titles are leaves (films, episodes): they stay as they are.
        more: set[str] = set()
        for tid in rest:
            more |= self._expand_one(tid)
        if more >= rest and more <= wanted:
            return wanted  # e.g. a whole catalog: its series already list their episodes
        return (wanted - rest) | more

    def _expand_one(self, title_id: str) -> frozenset[str]:
        cached = self._expansions.get(title_id)
        if cached is not None:
            return cached
        out: set[str] = set()
        stack = [title_id]
        seen: set[str] = set()
        while stack:
            tid = stack.pop()
            if tid in seen:
                continue
            seen.add(tid)
            title = self.titles.get(tid)
            if title is not None and title.kind == "collection":
                stack.extend(title.members)
                continue
            out.add(tid)
            stack.extend(self._children.get(tid, ()))
        result = frozenset(out)
        self._expansions[title_id] = result
        return result

    def referents(self, title_id: str) -> frozenset[str]:
        """Every id whose expansion covers ``title_id``: itself, its season and series, and
        the collections that contain any of those (recursively)."""
        out: set[str] = set()
        stack = [title_id]
        while stack:
            tid = stack.pop()
            if tid in out:
                continue
            out.add(tid)
            title = self.titles.get(tid)
            if title is not None and title.parent:
                stack.append(title.parent)
            stack.extend(self._collections_of.get(tid, ()))
        return frozenset(out)

    def release_of(self, title_id: str) -> tuple[date | None, Mapping[str, date]]:
        """A title's release date and per-territory release dates; an episode or season
        without its own falls back to its parent's."""
        title = self.titles.get(title_id)
        while title is not None:
            if title.release is not None or title.releases:
                return title.release, title.releases
            title = self.titles.get(title.parent) if title.parent else None
        return None, {}
