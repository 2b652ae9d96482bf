"""Shared test helpers: a book from a deal sheet text, and short avails questions."""

from __future__ import annotations

from datetime import date
from typing import Any

from reelrights.domain.languages import LanguageSet
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.territories import Geography
from reelrights.domain.titles import Catalog
from reelrights.engine import AvailsReport, AvailsRequest, RightsBook
from reelrights.formats.sheet import parse_sheet


class Scenario:
    """A deal sheet loaded the way the service loads one: ownership first, then the
    contracts in order, each checked; ``rejected`` lists the ones the engine refused."""

    def __init__(self, text: str, check: bool = True) -> None:
        self.media = MediaTaxonomy()
        self.geo = Geography()
        sheet = parse_sheet(text, "scenario.yaml", self.media, self.geo)
        assert not sheet.problems, sheet.problems
        self.book = RightsBook(Catalog(sheet.titles))
        self.rejected: dict[str, Any] = {}
        ordered = sorted(sheet.contracts, key=lambda c: not c.is_ownership)
        for contract in ordered:
            if check and contract.in_force():
                verdict = self.book.check(contract)
                if not verdict.ok:
                    self.rejected[contract.id] = verdict
                    continue
            self.book.add(contract)

    def ask(
        self,
        licensor: str,
        titles: str,
        media: str,
        territories: str,
        start: str,
        end: str | None,
        exclusive: bool = False,
        languages: Any = None,
    ) -> AvailsReport:
        request = AvailsRequest.of(
            licensor,
            titles.split(","),
            self.media.parse(media.split(",")),
            self.geo.parse(territories.split(",")),
            date.fromisoformat(start),
            date.fromisoformat(end) if end else None,
            LanguageSet.parse(languages),
            exclusive,
        )
        return self.book.avails(request)


def reasons(
    report: AvailsReport,
) -> list[tuple[str, str | None, list[str], str | None, str | None]]:
    """(reason, contract, territories, start, end) of each unavailable box."""
    out = []
    for item in report.to_json()["unavailable"]:
        out.append(
            (item["reason"], item["contract"], item["territories"], item["start"], item["end"])
        )
    return out


def free(report: AvailsReport) -> list[tuple[list[str], list[str], str | None, str | None]]:
    """(media, territories, start, end) of each available box."""
    return [
        (b["media"], b["territories"], b["start"], b["end"]) for b in report.to_json()["available"]
    ]
