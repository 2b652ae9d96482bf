"""MovieLabs Avails feeds in and out of the book (the service side of ``formats.mddf``).

An import reads and checks every file first (nothing is locked while files stream); if
any file has an error nothing is stored and every problem is reported. Then, in one write
transaction: the feed's titles and parties are added, each Avail's disposition is
applied to its contract, and every changed contract is checked against the book like any
other deal (an exclusive right is never sold twice; a licensor must hold what it grants).

A feed is a licensor's statement of what it offers. When the book knows nothing of a
licensor's rights in a title, the import records that licensor's ownership as the feed
states it (the media and territories of its transactions, perpetual, all languages) in an
ownership record ``avail-owner:<licensor>:<title>``, extended by later feeds; where the book
already has the licensor's chain of title, nothing is invented and the feed must fit it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reelrights.domain.contracts import Contract, Grant
from reelrights.domain.media import leaves_of
from reelrights.domain.media import mask_of as media_mask
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.domain.territories import WORLD
from reelrights.domain.titles import Catalog
from reelrights.engine import ContractCheck, RightsBook
from reelrights.formats import mddf
from reelrights.formats import sheet as sheets
from reelrights.formats.mddf.mapping import (
    Lookup,
    apply_disposition,
    contracts_to_avails,
    feed_changes,
    offers_of,
    with_offers,
)
from reelrights.service.base import Progress, RightsConflict, ServiceBase
from reelrights.service.events import contract_event
from reelrights.service.permissions import Permissions

OWNER_PREFIX = "avail-owner"


@dataclass
class ImportResult:
    """What an import read and stored."""

    files: int = 0
    avails: int = 0
    transactions: int = 0
    titles: int = 0
    parties: int = 0
    created: int = 0
    updated: int = 0
    voided: int = 0
    ownership: int = 0
    grants: int = 0
    offers: int = 0
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "avails": self.avails,
            "transactions": self.transactions,
            "titles": self.titles,
            "parties": self.parties,
            "contracts": {"created": self.created, "updated": self.updated, "voided": self.voided},
            "ownership_records": self.ownership,
            "grants": self.grants,
            "offers": self.offers,
            "warnings": [str(w) for w in self.warnings],
            "notes": self.notes,
        }


@dataclass
class ExportedFeed:
    """An export's bytes and what could not be said in Avails."""

    content: bytes
    avails: int
    transactions: int
    not_exportable: list[str]


def read_feeds(
    sources: Sequence[tuple[str, Any]], progress: Progress | None = None
) -> list[mddf.FeedRead]:
    """Read and check every file; raise :class:`InvalidInput` with all errors if any."""
    feeds = [mddf.read_feed(name, source, progress) for name, source in sources]
    errors = [p for f in feeds for p in f.errors]
    if errors:
        raise InvalidInput(errors)
    return feeds


def import_feeds(
    service: ServiceBase,
    sources: Sequence[tuple[str, Any]],
    progress: Progress | None = None,
    derive_ownership: bool = True,
) -> ImportResult:
    """Read, check and store Avails feeds, all or nothing."""
    feeds = read_feeds(sources, progress)
    result = ImportResult(files=len(feeds))
    result.avails = sum(len(f.avails) for f in feeds)
    result.transactions = sum(f.transactions for f in feeds)
    result.warnings = [p for f in feeds for p in f.warnings]
    with service._writing(whole_book=True) as writer:
        state = service._fresh(writer, progress)
        before = state.version
        lookup = Lookup(state.catalog, state.parties)
        changes = []
        for number, feed in enumerate(feeds, start=1):
            if progress:
                progress("mapping feeds onto the book", number - 1, len(feeds))
            change = feed_changes(feed.avails, lookup, feed.file, feed.version)
            changes.append(change)
            feed.avails.clear()  # the records live on in the contracts' extras
        errors = [p for c in changes for p in c.errors]
        if errors:
            raise InvalidInput(errors)
        result.warnings += [p for c in changes for p in c.warnings]
        conditions = sum(c.conditions for c in changes)
        if conditions:
            result.notes.append(
                f"{conditions} transaction(s) start or end on a condition (a release, a "
                "broadcast, another window); reelrights reads those bounds as open and keeps "
                "the condition for export"
            )
        new_titles = {t.id: t for c in changes for t in c.titles.values()}
        new_parties = {p.id: p for c in changes for p in c.parties.values()}

        conflicts: list[ContractCheck] = []
        done: list[tuple[Contract, Contract | None]] = []
        try:
            # The catalog grows first, in the order parents before children.
            catalog = state.catalog
            service._dirty = True
            added_titles = sheets.titles_in_order(list(new_titles.values()))
            for title in added_titles:
                catalog.add(title)
            if added_titles:
                referents = {r for t in new_titles for r in catalog.referents(t)}
                covering = writer.contracts(touching=referents - set(new_titles))
                for title in added_titles:
                    state.book.add_title(title, covering)

            # Dispositions, in feed order, over what the store has.
            deltas = [d for c in changes for d in c.deltas]
            stored = {c.id: c for c in writer.contracts(ids={d.contract_id for d in deltas})}
            current: dict[str, Contract | None] = dict(stored)
            for delta in deltas:
                current[delta.contract_id] = apply_disposition(
                    current.get(delta.contract_id), delta
                )
            changed = {
                cid: c for cid, c in current.items() if c is not None and c != stored.get(cid)
            }

            owners: dict[str, Contract] = {}
            if derive_ownership:
                owners = _ownership(state.book, catalog, writer, changed.values())
                stored.update(
                    {c.id: c for c in writer.contracts(ids=list(owners)) if c.id in owners}
                )
            ordered = [*owners.values(), *changed.values()]
            licensees = {c.id: c.licensee for c in stored.values()}

            def licensee_of(contract_id: str | None) -> str | None:
                if contract_id is None:
                    return None
                if contract_id not in licensees:
                    found = writer.contracts(ids=[contract_id])
                    licensees[contract_id] = found[0].licensee if found else ""
                return licensees[contract_id]

            for count, contract in enumerate(ordered, start=1):
                old = stored.get(contract.id)
                if contract.in_force():
                    contract, check = _settle(state.book, contract, old is None, licensee_of)
                    ordered[count - 1] = contract
                    if not check.ok:
                        conflicts.append(check)
                        continue
                    licensees[contract.id] = contract.licensee
                if old is not None:
                    state.book.remove(old)
                state.book.add(contract)
                done.append((contract, old))
                if progress and (count % 1000 == 0 or count == len(ordered)):
                    progress("checking contracts", count, len(ordered))
            if conflicts:
                raise RightsConflict(conflicts)
            writer.add_parties(list(new_parties.values()))
            writer.add_titles(added_titles)
            fresh = [c for c in ordered if c.id not in stored]
            for start in range(0, len(fresh), 20_000):
                writer.add_contracts(fresh[start : start + 20_000])
                if progress:
                    progress("storing contracts", min(start + 20_000, len(fresh)), len(fresh))
            for contract in ordered:
                if contract.id in stored:
                    writer.rewrite_contract(contract)
            actor = service._who().actor
            media, geography = state.media, state.geography

            def document(contract: Contract) -> Any:
                # the store's JSON encoder writes the dates of a rendered contract
                return sheets.render_contract(_log_view(contract), media, geography)

            log: list[tuple[str, str, str, str, Any, Any]] = [
                (actor, "create", "party", p.id, None, sheets.render_party(p))
                for p in new_parties.values()
            ]
            events: list[tuple[str, str, Any]] = []
            log += [
                (actor, "create", "title", t.id, None, sheets.render_title(t)) for t in added_titles
            ]
            for contract in ordered:
                old = stored.get(contract.id)
                action = (
                    "create" if old is None else ("void" if not contract.in_force() else "update")
                )
                before_doc = document(old) if old is not None else None
                log.append((actor, action, "contract", contract.id, before_doc, document(contract)))
                happened = "created" if old is None else "updated"
                if old is not None and not contract.in_force():
                    happened = "terminated"
                events.append(contract_event(happened, contract))
                if len(log) >= 5_000:
                    writer.log_many(log)
                    log = []
                    if progress:
                        progress("recording the changes", len(done), len(ordered))
            writer.log_many(log)
            events.append(
                (
                    "feed.imported",
                    "feeds",
                    {
                        "files": [name for name, _ in sources],
                        "contracts": len({c.id for c in ordered}),
                        "titles": len(added_titles),
                        "parties": len(new_parties),
                    },
                )
            )
            writer.add_events(events)
        except BaseException:
            for contract, old in reversed(done):
                state.book.remove(contract)
                if old is not None:
                    state.book.add(old)
            service._state = None  # the catalog grew in memory: rebuild on the next question
            raise
        state.parties.update(new_parties)
        service._dirty = False
    service._wrote(writer, before)
    result.titles, result.parties = len(added_titles), len(new_parties)
    result.ownership = len(owners)
    final = {c.id: c for c in ordered if c.id in changed}
    for contract in final.values():
        if contract.id not in stored:
            result.created += 1
        elif contract.in_force():
            result.updated += 1
        else:
            result.voided += 1
    result.grants = sum(len(c.grants) for c in final.values() if c.in_force())
    result.offers = sum(len(offers_of(c)) for c in final.values() if c.in_force())
    return result


def _log_view(contract: Contract) -> Contract:
    """The contract as the change log records it: its rights in full, and of the feed's
    own data (kept whole on the contract) only the ALID, the source and transaction ids."""
    info = contract.extra.get("avails") or {}
    if not info:
        return contract
    summary = {k: info[k] for k in ("ALID", "source", "derived") if k in info}
    if info.get("offers"):
        summary["offers"] = len(info["offers"])

    def ids(item: Any) -> dict[str, Any]:
        found = (item.extra.get("avails") or {}).get("transactions") or []
        return {"avails": {"transactions": [t.get("TransactionID") for t in found]}}

    return replace(
        contract,
        extra={**contract.extra, "avails": summary},
        grants=tuple(replace(g, extra=ids(g)) for g in contract.grants),
        holdbacks=tuple(replace(h, extra=ids(h)) for h in contract.holdbacks),
    )


def _settle(
    book: RightsBook,
    contract: Contract,
    is_new: bool,
    licensee_of: Callable[[str | None], str | None],
) -> tuple[Contract, ContractCheck]:
    """Check a feed's contract; a grant blocked only by what the same licensee already has
    from the same licensor in another contract is that licensee's right offered again, and
    is kept as an offer (:func:`~reelrights.formats.mddf.mapping.offers_of`) rather than
    refused. The contract's own grants never block each other (docs/semantics.md rule 6):
    an SD offer beside an exclusive HD one in the same Avail stays a grant."""
    check = book.check(contract, is_new=is_new)
    for _ in range(len(contract.grants)):
        if check.ok or check.problems:
            break
        redundant = [
            index
            for index, report in enumerate(check.reports)
            if report.unavailable
            and all(
                u.reason in ("exclusive-license", "non-exclusive-license")
                and licensee_of(u.contract) == contract.licensee
                for u in report.unavailable
            )
        ]
        if not redundant:
            break
        first = redundant[0]  # one at a time: a later grant may be blocked only by it
        offers = [*offers_of(contract), contract.grants[first]]
        contract = with_offers(
            replace(contract, grants=contract.grants[:first] + contract.grants[first + 1 :]),
            offers,
        )
        check = book.check(contract, is_new=is_new)
    return contract, check


def _root(catalog: Catalog, title_id: str) -> str:
    seen = set()
    title = catalog.get(title_id)
    while title is not None and title.parent and title.parent not in seen:
        seen.add(title.id)
        parent = catalog.get(title.parent)
        if parent is None:
            break
        title = parent
    return title.id if title is not None else title_id


def _ownership(
    book: RightsBook, catalog: Catalog, writer: Any, contracts: Iterable[Contract]
) -> dict[str, Contract]:
    """Ownership records for licensors the book knows nothing of, as their feeds state.

    One record per licensor and top-level title (a film, a series), extended by later
    feeds. Its grants never overlap (two ownership records, or two grants of one, may not
    share a cell): a title gets what the feeds say of it beyond what its parent already
    covers, since a right in a season is a right in each of its episodes.
    """
    wanted: dict[tuple[str, str], dict[str, dict[int, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )

    def note(licensor: str, grants: Iterable[Grant]) -> None:
        for grant in grants:
            for title in catalog.expand(grant.titles):
                per_medium = wanted[(licensor, _root(catalog, title))][title]
                for medium in leaves_of(grant.media):
                    per_medium[media_mask([medium])] |= grant.territories

    for contract in contracts:
        if contract.in_force() and contract.licensor is not None:
            note(contract.licensor, contract.grants)
    ids = {f"{OWNER_PREFIX}:{licensor}:{root}": (licensor, root) for licensor, root in wanted}
    existing = {c.id: c for c in writer.contracts(ids=list(ids))}
    out: dict[str, Contract] = {}
    for owner_id, (licensor, root) in ids.items():
        old = existing.get(owner_id)
        if old is None:
            if any(book.holds_any(licensor, t) for t in wanted[(licensor, root)]):
                continue  # the book has this licensor's chain of title: the feed must fit it
        else:
            note(licensor, old.grants)
        covered = wanted[(licensor, root)]
        grants = []
        for title in sorted(covered):
            parent = catalog.get(title)
            above = covered.get(parent.parent, {}) if parent and parent.parent else {}
            for medium, territories in sorted(covered[title].items()):
                rest = territories & ~above.get(medium, 0) & WORLD
                if rest:
                    grants.append(Grant((title,), medium, rest))
        contract = Contract(
            owner_id,
            None,
            licensor,
            status="executed",
            grants=tuple(grants),
            extra={"avails": {"derived": "ownership as stated by the licensor's Avails feeds"}},
        )
        if old is None or old.grants != contract.grants:
            out[owner_id] = contract
    return out


def export_avails(
    service: ServiceBase, kind: str, version: str | None = None, progress: Progress | None = None
) -> ExportedFeed:
    """The book's in-force licenses as an Avails XML document or EMA workbook (XML of
    ``version``, the newest if None)."""
    version = version or mddf.LATEST
    with service.store.reading() as reader:
        parties = {p.id: p for p in reader.parties()}
        catalog = reader.catalog()
        total = reader.counts()["contracts"] if progress else 0
        contracts: list[Contract] = []
        for batch in reader.stream_contracts():
            contracts += batch
            if progress:
                progress("reading contracts", len(contracts), total)
        media = service.vocabularies()[0]
    exported = contracts_to_avails(
        contracts,
        catalog,
        lambda pid: parties[pid].name if pid in parties else pid,
        media.describe,
    )
    transactions = sum(len(a.transactions) for a in exported.avails)
    if not exported.avails:
        raise InvalidInput(
            [
                Problem(
                    "nothing to export: the book has no license in force that Avails can express"
                    + (
                        f" ({len(exported.not_exportable)} not exportable)"
                        if exported.not_exportable
                        else ""
                    )
                )
            ]
        )
    if kind == "xml":
        if version not in mddf.VERSIONS:
            raise InvalidInput(
                [
                    Problem(
                        f"Avails version {version} is not one reelrights writes "
                        f"({', '.join(mddf.VERSIONS)})",
                        field="version",
                    )
                ]
            )
        if progress:
            progress(f"writing Avails {version}", 0, 2)
        content, dropped = mddf.render_xml(exported.avails, version)
        if progress:
            progress(f"writing Avails {version}", 1, 2)  # then checking it against the schema
        problems = mddf.validate_xml(content, version)
        if progress:
            progress(f"writing Avails {version}", 2, 2)
        if problems:
            raise InvalidInput(
                [
                    Problem(f"the export would not be valid Avails {version}: {p}", field="version")
                    for p in problems[:20]
                ]
            )
        notes = exported.not_exportable + [f"dropped {d}" for d in dropped]
    else:
        if progress:
            progress("writing the workbook", 0, 1)
        content = mddf.render_xlsx(exported.avails)
        if progress:
            progress("writing the workbook", 1, 1)
        notes = exported.not_exportable
    return ExportedFeed(content, len(exported.avails), transactions, notes)


class FeedJobs(ServiceBase):
    """MovieLabs Avails feeds in and out."""

    def import_feeds(
        self,
        sources: Sequence[str | Path | tuple[str, Any]],
        progress: Progress | None = None,
        derive_ownership: bool = True,
    ) -> ImportResult:
        """Read, check and store Avails XML feeds and EMA spreadsheets, all or nothing
        (a path, or a (name, binary file object) pair per feed); see :func:`import_feeds`.
        When acting for a key, an unbound editor's."""
        Permissions.of(self._who()).require_load("import Avails feeds")
        named = [s if isinstance(s, tuple) else (str(s), None) for s in sources]
        return import_feeds(self, named, progress, derive_ownership)

    def export_avails(
        self, kind: str = "xml", version: str | None = None, progress: Progress | None = None
    ) -> ExportedFeed:
        """The book's in-force licenses as Avails XML (``kind="xml"``, of ``version``) or
        an EMA workbook (``kind="xlsx"``), with what Avails cannot say listed apart."""
        return export_avails(self, kind, version, progress)
