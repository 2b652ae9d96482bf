"""The questions: avails, avails as of a past moment, the grid, broken chains."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from reelrights.domain.contracts import Contract
from reelrights.domain.languages import LanguageSet
from reelrights.domain.media import MediaTaxonomy, leaves_of
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.domain.terms import from_end, from_start, parse_date
from reelrights.domain.territories import Geography, countries_of
from reelrights.domain.titles import Catalog
from reelrights.engine import AvailsReport, AvailsRequest, RightsBook
from reelrights.formats import sheet as sheets
from reelrights.service.base import collecting
from reelrights.service.names import NameJobs
from reelrights.store.repository import Reader


class QuestionJobs(NameJobs):
    """Questions asked of the book; nothing here writes."""

    def request(
        self,
        licensor: str,
        titles: Iterable[str],
        media: Iterable[str],
        territories: Iterable[str],
        start: date | str,
        end: date | str | None = None,
        languages: Any = None,
        exclusive: bool = False,
    ) -> AvailsRequest:
        """An avails request from user codes; every bad code is reported at once."""
        state = self._current()
        problems: list[Problem] = []
        attempt = collecting(problems)

        media_mask = attempt("media", lambda: state.media.parse(list(media)))
        territory_mask = attempt("territory", lambda: state.geography.parse(list(territories)))
        language_set = attempt("language", lambda: LanguageSet.parse(languages))
        first = attempt("start", lambda: parse_date(start))
        last = attempt("end", lambda: parse_date(end)) if end is not None else None
        if first and last and last < first:
            problems.append(Problem(f"end {last} is before start {first}", field="end"))
        named = [t for t in titles if t and t.strip()]
        if not named:
            problems.append(Problem("no titles given", field="title"))
        title_ids = attempt("title", lambda: self.title_ids(named, "title")) or []
        licensor = attempt("licensor", lambda: self.party_id(licensor, "licensor")) or licensor
        if problems:
            raise InvalidInput(problems)
        assert first is not None
        return AvailsRequest.of(
            licensor, title_ids, media_mask, territory_mask, first, last, language_set, exclusive
        )

    def avails(self, request: AvailsRequest, as_of: datetime | None = None) -> AvailsReport:
        """Answer an avails request from the stored book, or from the book as it was
        recorded at ``as_of`` (docs/semantics.md rule 12)."""
        if as_of is not None:
            if request.today is None:  # rule 21: options stand through their deadline
                request = replace(request, today=as_of.date().toordinal())
            return self._avails_as_of(request, as_of)
        state = self._current()
        with self._lock:
            # rule 21: the day asked, in UTC, passed along rather than built into a request
            return state.book.avails(request, today=datetime.now(UTC).date().toordinal())

    def _avails_as_of(self, request: AvailsRequest, moment: datetime) -> AvailsReport:
        """Rule 12 at the cost of a present question plus the changes since ``moment``:
        the warm index is asked through a view that hides each contract changed since and
        lays its state before its first change after ``moment`` (as the change log
        recorded it) over the shelves. The index itself is not touched; the view is asked
        under its lock, so no write moves the shelves beneath it."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        with self._lock, self.store.reading() as reader:
            if not reader.recorded_by(moment, BOOK_ENTITIES):
                raise _nothing_recorded(reader, moment)
            state = self._fresh(reader)
            before: dict[str, Any] = {}
            for change in reader.changes(after=moment, newest_first=False, entities=["contract"]):
                before.setdefault(change.entity_id, change.before)
            if not before:
                return state.book.avails(request)
            now = reader.contracts(ids=list(before))
            past = [
                contract
                for document in before.values()
                if (contract := self._logged_contract(document, state.media, state.geography))
            ]
            return state.book.wound_back(now, past).avails(request)

    @staticmethod
    def _logged_contract(
        document: Any, media: MediaTaxonomy, geography: Geography
    ) -> Contract | None:
        """A contract from its deal-sheet form in the change log (None: it did not
        exist)."""
        if document is None:
            return None
        sheet = sheets.parse_document({"contracts": [document]}, "change log", media, geography)
        if sheet.problems:  # pragma: no cover - the log only holds what was valid
            raise InvalidInput(sheet.problems)
        return sheet.contracts[0]

    def book_as_of(self, moment: datetime) -> RightsBook:
        """The book as the change log recorded it at ``moment``, rebuilt from the whole log
        (slow: questions take the wound-back view of the index instead; this is their
        reference)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        with self.store.reading() as reader:
            entries = reader.changes(until=moment, newest_first=False)
            if not any(change.entity in BOOK_ENTITIES for change in entries):
                raise _nothing_recorded(reader, moment)
        latest: dict[tuple[str, str], Any] = {}
        for change in entries:
            latest[(change.entity, change.entity_id)] = change.after
        document: dict[str, Any] = {
            "parties": [],
            "titles": [],
            "territory_groups": {},
            "media_groups": {},
            "contracts": [],
        }
        plural = {"party": "parties", "title": "titles", "contract": "contracts"}
        for (entity, entity_id), after in latest.items():
            if after is None or entity not in (*plural, "territory_group", "media_group"):
                continue  # API keys and the like are no part of the book
            if entity in ("territory_group", "media_group"):
                document[entity + "s"][entity_id] = after
            else:
                document[plural[entity]].append(after)
        sheet = sheets.parse_document(
            document, f"change log at {moment.isoformat()}", MediaTaxonomy(), Geography()
        )
        if sheet.problems:  # pragma: no cover - the log only holds what was valid
            raise InvalidInput(sheet.problems)
        return RightsBook(Catalog(sheet.titles), sheet.contracts)

    def check(self) -> list[tuple[str, int, AvailsReport]]:
        """Executed grants whose licensor no longer holds what they gave."""
        with self.store.reading() as reader:
            state = self._fresh(reader)
            contracts = reader.contracts()
        with self._lock:
            return state.book.broken_chains(contracts)

    def grid(
        self,
        licensor: str,
        title: str,
        start: date | str,
        end: date | str | None,
        exclusive: bool = False,
        match: str = "cover",
        min_days: int = 1,
        media: Iterable[str] = ("ALL_MEDIA",),
        territories: Iterable[str] = ("WORLD",),
    ) -> dict[str, Any]:
        """Which media x territories are available for one title (or collection) and term.

        Each cell says ``available`` when the match holds (``cover``: the whole term is
        free; ``overlap``: some free window lasts at least ``min_days``), ``partial`` when
        some days are free but the match fails, else ``unavailable``; with the free
        windows, the reasons with their contracts, and any hold.
        """
        if match not in ("cover", "overlap"):
            raise InvalidInput([Problem("match is 'cover' or 'overlap'", field="match")])
        if min_days < 1:
            raise InvalidInput([Problem("min_days is at least 1", field="min_days")])
        request = self.request(
            licensor, [title], media, territories, start, end, exclusive=exclusive
        )
        report = self.avails(request)
        licensor, title = request.licensor, next(iter(request.titles))
        cells: dict[tuple[str, str], dict[str, Any]] = {}

        def cell(medium: str, country: str) -> dict[str, Any]:
            return cells.setdefault(
                (medium, country),
                {
                    "medium": medium,
                    "territory": country,
                    "windows": [],
                    "reasons": [],
                    "holds": [],
                    "options": [],
                },
            )

        def span(box: Any) -> dict[str, Any]:
            first, last = from_start(box.start), from_end(box.end)
            return {
                "start": first.isoformat() if first else None,
                "end": last.isoformat() if last else None,
                "days": box.end - box.start,
                "titles": sorted(box.titles),
            }

        # a box's span is worked out once, and each cell gets its own copy of it
        for box in report.available:
            spanned = span(box)
            for medium in leaves_of(box.media):
                for country in countries_of(box.territories):
                    cell(medium, country)["windows"].append(dict(spanned))
        for item in report.unavailable:
            spanned = {"reason": item.reason, "contract": item.contract, **span(item.box)}
            for medium in leaves_of(item.box.media):
                for country in countries_of(item.box.territories):
                    cell(medium, country)["reasons"].append(dict(spanned))
        for warning in report.warnings:
            if warning.holder is None:
                spanned, kind = {"contract": warning.contract, **span(warning.box)}, "holds"
            else:  # rule 21: an option stands on these cells; it never blocks
                spanned = {
                    "code": warning.code,
                    "holder": warning.holder,
                    "contract": warning.contract,
                    **span(warning.box),
                }
                kind = "options"
            for medium in leaves_of(warning.box.media):
                for country in countries_of(warning.box.territories):
                    cell(medium, country)[kind].append(dict(spanned))
        for value in cells.values():
            free = value["windows"]
            if not value["reasons"]:
                ok = bool(free)
            elif match == "cover":
                ok = False
            else:
                ok = any(w["days"] >= min_days for w in free)
            value["status"] = "available" if ok else ("partial" if free else "unavailable")
        ordered = sorted(cells.values(), key=lambda c: (c["territory"], c["medium"]))
        return {
            "licensor": licensor,
            "title": title,
            "status": report.status,
            "match": match,
            "min_days": min_days,
            "cells": ordered,
        }


BOOK_ENTITIES = ("party", "title", "contract", "territory_group", "media_group")


def _nothing_recorded(reader: Reader, moment: datetime) -> InvalidInput:
    """A time before the first recorded change has no book to answer from."""
    first = reader.changes(newest_first=False, limit=1)
    since = "the change log is empty"
    if first:
        since = f"the change log begins at {first[0].at.isoformat()}"
    message = f"nothing was recorded yet at {moment.isoformat()}: {since}"
    return InvalidInput([Problem(message, field="as_of")])
