"""Listings: parties, titles, contracts, the change log and the whole-book export."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reelrights.domain.contracts import Contract, Party
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.domain.territories import Geography
from reelrights.domain.titles import Catalog, Title
from reelrights.formats import sheet as sheets
from reelrights.service.base import Progress, ServiceBase, json_safe
from reelrights.store.repository import Change


class ListingJobs(ServiceBase):
    """What is stored, listed and rendered."""

    def parties(self) -> list[Party]:
        with self.store.reading() as reader:
            return reader.parties()

    def catalog(self) -> Catalog:
        """The catalog as the index knows it (current with the store)."""
        return self._current().catalog

    def titles(self) -> list[Title]:
        with self.store.reading() as reader:
            return reader.titles()

    def contracts(
        self, party: str | None = None, status: str | None = None, title: str | None = None
    ) -> list[Contract]:
        """Contracts in stored order, filtered (see :meth:`contract_page`)."""
        return self.contract_page(party, status, title)[1]

    def contract_page(
        self,
        party: str | None = None,
        status: str | None = None,
        title: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[int, list[Contract]]:
        """(how many match, one page) of the contracts where ``party`` is licensor or
        licensee, with ``status``, covering ``title`` (through its series, season or
        collections too)."""
        with self.store.reading() as reader:
            touching = None
            if title:
                catalog = self._fresh(reader).catalog
                touching = set(catalog.referents(title)) | set(catalog.expand([title]))
            return reader.contract_page(party, status, touching, limit, offset)

    def contract(self, contract_id: str) -> Contract:
        with self.store.reading() as reader:
            found = reader.contract(contract_id)
        if found is None:
            raise InvalidInput([Problem(f"unknown contract '{contract_id}'", field="contract")])
        return found

    def contract_sheet(self, contract_id: str) -> dict[str, Any]:
        """One contract as its deal-sheet mapping (groups named where they match)."""
        return self.render_contracts([self.contract(contract_id)])[0]

    def render_contracts(self, contracts: Iterable[Contract]) -> list[dict[str, Any]]:
        """Contracts as JSON-ready deal-sheet mappings (dates as ISO text)."""
        media, geography = self.vocabularies()
        return [json_safe(sheets.render_contract(c, media, geography)) for c in contracts]

    def history(
        self, entity: str | None = None, entity_id: str | None = None, limit: int | None = 50
    ) -> list[Change]:
        with self.store.reading() as reader:
            return reader.changes(entity, entity_id, limit=limit)

    def counts(self) -> dict[str, int]:
        with self.store.reading() as reader:
            return reader.counts()

    def export_sheet(self, progress: Progress | None = None) -> str:
        """The whole book as one YAML deal sheet that loads back to the same data."""
        with self.store.reading() as reader:
            territory_groups, media_groups = reader.groups()
            media, geography = MediaTaxonomy(media_groups), Geography(territory_groups)
            total = reader.counts()["contracts"] if progress else 0
            contracts: list[Contract] = []
            for batch in reader.stream_contracts():
                contracts += batch
                if progress:
                    progress("reading contracts", len(contracts), total)
            return sheets.render_sheet(
                reader.parties(),
                reader.titles(),
                contracts,
                media,
                geography,
                territory_groups,
                media_groups,
                progress,
            )
