"""What can I sell? The avails search across the catalog, and the next window of a title
(docs/semantics.md rule 13), from what a person typed.

Every bad input is reported at once, with the field it belongs to: unknown names and codes
(with the closest matches), a range that ends before it starts, a minimum longer than the
range, a kind or a ``within`` that leaves no title to search.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from reelrights.domain.languages import LanguageSet
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.domain.terms import from_end, parse_date, to_end, to_start
from reelrights.domain.titles import KINDS
from reelrights.engine.search import (
    SearchRequest,
    TitleWindows,
    Window,
    candidates,
    next_window,
    search,
)
from reelrights.service.base import collecting
from reelrights.service.names import NameJobs, title_label

MATCHES = ("cover", "overlap")
SEARCH_KINDS = tuple(k for k in KINDS if k != "collection")


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """The titles a search found, with what a person needs to read them."""

    request: SearchRequest
    titles: list[TitleWindows]
    names: dict[str, str]  # title id -> name
    labels: dict[str, str]  # title id -> "Series · S1 E3" for episodes, else the name
    kinds: dict[str, str]

    @property
    def match(self) -> str:
        return self.request.match

    def to_json(self, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
        """``{"match", "titles": [...]}`` (rule 13); ``min_days`` with ``min-days``."""
        page = self.titles[offset : None if limit is None else offset + limit]
        out: dict[str, Any] = {"match": self.match}
        if self.match == "min-days":
            out["min_days"] = self.request.min_days
        out["titles"] = [
            {
                **answer.to_json(self.names[answer.title]),
                "label": self.labels[answer.title],
                "kind": self.kinds[answer.title],
            }
            for answer in page
        ]
        return out


@dataclass(frozen=True, slots=True)
class NextWindow:
    """When the whole of a request becomes available (None: never, within the rights held)."""

    titles: tuple[str, ...]
    start: int
    end: int  # the end asked for (FOREVER: none)
    window: Window | None

    def to_json(self) -> dict[str, Any]:
        if self.window is None:
            return {"titles": list(self.titles), "next": None, "days": None, "covers": False}
        last = from_end(self.window.end)
        return {
            "titles": list(self.titles),
            "next": self.window.to_json(),
            "days": None if last is None else self.window.days,
            "covers": self.window.start == self.start and self.window.end >= self.end,
        }


class SearchJobs(NameJobs):
    """Questions across the catalog; nothing here writes."""

    # The candidates of the last narrowing, by (book version, kinds, within); replaced,
    # never changed in place, so the class-level empty mapping is never shared state.
    _candidates: Mapping[tuple[Any, ...], list[str]] = {}
    _candidate_set: frozenset[str] = frozenset()

    def search_request(
        self,
        licensor: str,
        media: Iterable[str],
        territories: Iterable[str],
        start: date | str | None,
        end: date | str | None = None,
        languages: Any = None,
        exclusive: bool = False,
        match: str = "cover",
        min_days: int | None = None,
    ) -> SearchRequest:
        """A search request from what a person typed; every problem reported at once."""
        state = self._current()
        problems: list[Problem] = []
        attempt = collecting(problems)

        party = attempt("licensor", lambda: self.party_id(licensor, "licensor"))
        media_mask = attempt("media", lambda: state.media.parse(list(media)))
        territory_mask = attempt("territory", lambda: state.geography.parse(list(territories)))
        language_set = attempt("language", lambda: LanguageSet.parse(languages))
        if start is None or (isinstance(start, str) and not start.strip()):
            problems.append(Problem("a start day is needed", field="start"))
            first = None
        else:
            first = attempt("start", lambda: parse_date(start))
        last = attempt("end", lambda: parse_date(end)) if end is not None else None
        if first and last and last < first:
            problems.append(
                Problem(f"the range is reversed: end {last} is before start {first}", field="end")
            )
        if match not in MATCHES:
            problems.append(Problem(f"match is 'cover' or 'overlap', not '{match}'", field="match"))
        if min_days is not None:
            if match == "overlap":
                problems.append(
                    Problem(
                        "--min-days asks for a window of N days; it cannot be combined with "
                        "match 'overlap'",
                        field="min_days",
                    )
                )
            if min_days < 1:
                problems.append(Problem("min-days is at least 1", field="min_days"))
            elif first and last and last >= first and min_days > (last - first).days + 1:
                problems.append(
                    Problem(
                        f"min-days {min_days} is longer than the range ({(last - first).days + 1}"
                        f" days from {first} to {last})",
                        field="min_days",
                    )
                )
        if problems:
            raise InvalidInput(problems)
        assert first is not None and party is not None
        return SearchRequest(
            party,
            media_mask,
            territory_mask,
            language_set,
            to_start(first),
            to_end(last),
            exclusive,
            "min-days" if min_days is not None else match,
            min_days or 1,
        )

    def search_candidates(self, kinds: Iterable[str] = (), within: str | None = None) -> list[str]:
        """The titles a search considers (all but collections), narrowed by kind and by
        the titles ``within`` covers; none at all is an error."""
        wanted = [k.strip().lower() for k in kinds if k.strip()]
        problems = [
            Problem(
                f"unknown kind '{k}'; a search considers {', '.join(SEARCH_KINDS)}", field="kind"
            )
            for k in wanted
            if k not in SEARCH_KINDS
        ]
        container = None
        if within is not None and within.strip():
            try:
                container = self.title_ids([within], "within")[0]
            except InvalidInput as error:
                problems.extend(error.problems)
        if problems:
            raise InvalidInput(problems)
        state = self._current()
        key = (state.version, tuple(sorted(wanted)), container)
        cached = self._candidates.get(key)
        if cached is None:
            cached = candidates(state.catalog, wanted, container)
            self._candidates = {key: cached}  # the book's version moves on: keep one
            self._candidate_set = frozenset(cached)
        found = cached
        if not found:
            scope = " ".join(
                part
                for part in (
                    f"of kind {', '.join(wanted)}" if wanted else "",
                    f"within '{container}'" if container else "",
                )
                if part
            )
            raise InvalidInput(
                [
                    Problem(
                        f"no titles to search{' ' + scope if scope else ''}: the candidate "
                        "set is empty",
                        field="within" if container else "kind",
                    )
                ]
            )
        return found

    def search(
        self, request: SearchRequest, kinds: Iterable[str] = (), within: str | None = None
    ) -> SearchAnswer:
        """Every candidate title that matches ``request``, sorted by id, with its windows."""
        among = self.search_candidates(kinds, within)
        if request.today is None:  # rule 21: options warn through their deadline
            request = replace(request, today=datetime.now(UTC).date().toordinal())
        state = self._current()
        pool = self._candidate_set if len(self._candidate_set) == len(among) else among
        with self._lock:
            found = search(state.book, request, pool)
        catalog = state.catalog
        titles = {t.title: catalog.titles[t.title] for t in found}
        return SearchAnswer(
            request,
            found,
            {i: t.name for i, t in titles.items()},
            {i: title_label(catalog, t) for i, t in titles.items()},
            {i: t.kind for i, t in titles.items()},
        )

    def next_window(
        self,
        licensor: str,
        titles: Iterable[str],
        media: Iterable[str],
        territories: Iterable[str],
        start: date | str | None,
        end: date | str | None = None,
        languages: Any = None,
        exclusive: bool = False,
    ) -> NextWindow:
        """Not now, when? The first window on or after ``start`` in which the whole request
        (every title, medium, territory and language) is available, however long."""
        problems: list[Problem] = []
        try:
            ids = self.title_ids([t for t in titles if t.strip()])
        except InvalidInput as error:
            problems.extend(error.problems)
            ids = []
        else:
            if not ids:
                problems.append(Problem("no titles given", field="title"))
        try:
            request = self.search_request(
                licensor, media, territories, start, end, languages, exclusive
            )
        except InvalidInput as error:
            problems.extend(error.problems)
        if problems:
            raise InvalidInput(problems)
        state = self._current()
        with self._lock:
            window = next_window(state.book, request, ids)
        return NextWindow(tuple(ids), request.start, request.end, window)


__all__ = ["NextWindow", "SearchAnswer", "SearchJobs"]
