"""Avails records ↔ reelrights titles, parties and contracts.

Import: each asset becomes a title (found again by its contentID, EIDR or ALID when the
catalog has it), each Avail one contract from its licensor to its service provider with one
grant per transaction, and a transaction's ``HoldbackLanguage`` a holdback of the same
scope. License types map onto media leaves (EST and POEST → EST; VOD, Pre-Release and
Library → TVOD; SVOD → SVOD); the original type, the exact Avails dates and conditions,
the terms and every element reelrights has no field for stay in the grant's ``extra`` so
an export gives them back. :func:`apply_disposition` applies an Avail's ``EntryType`` to
what the book already had for that ALID.

Export: each in-force contract with a licensor becomes Avails again; what Avails cannot
say (THEATRICAL, PAY_TV, MERCHANDISING, ..., a language set "all but X", a holdback of
its own) is listed as not exportable instead of being mislabelled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from reelrights.domain.contracts import Contract, Grant, Holdback, Money, Party
from reelrights.domain.ids import fit_id, id_problem
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.media import mask_of as media_mask
from reelrights.domain.money import currency_code, parse_amount
from reelrights.domain.problems import CodeError, Problem
from reelrights.domain.terms import DateBound
from reelrights.domain.territories import COUNTRY_BIT, WORLD, countries_of
from reelrights.domain.titles import Catalog, Title
from reelrights.formats.mddf.model import Asset, Avail, Term, Transaction, Where

LICENSE_TYPES = {
    "EST": "EST",
    "POEST": "EST",
    "VOD": "TVOD",
    "Pre-Release": "TVOD",
    "Library": "TVOD",
    "SVOD": "SVOD",
}
"""Avails LicenseType → reelrights medium (the type itself is kept with the grant)."""

EXPORT_TYPES = {"EST": "EST", "TVOD": "VOD", "SVOD": "SVOD"}
"""reelrights medium → Avails LicenseType for grants that did not come from a feed."""

KINDS = {
    "Movie": "film",
    "Short": "short",
    "Episode": "episode",
    "Season": "season",
    "Series": "series",
    "Volume": "collection",
    "Collection": "collection",
    "Franchise": "collection",
}
WORK_TYPES = {
    "film": "Movie",
    "short": "Short",
    "episode": "Episode",
    "season": "Season",
    "series": "Series",
}
AVAIL_TYPES = {
    "Movie": "single",
    "Short": "single",
    "Episode": "episode",
    "Season": "season",
    "Series": "series",
}
UNNAMED = Party("unnamed-service-provider", "Service provider not named in the feed")


def slug(name: str) -> str:
    """A party id from a display name: ``20th Century Fox`` → ``20th-century-fox``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed"


def contract_id(licensor: str, alid: str, licensee: str) -> str:
    """The id of the contract an Avail becomes (the ALID made to fit the id pattern)."""
    return fit_id(f"avail:{licensor}:{alid}:{licensee}")


@dataclass
class Delta:
    """What one Avail asks of the book: its disposition over its contract."""

    contract_id: str
    licensor: str
    licensee: str
    entry_type: str
    territories: int
    grants: list[Grant]
    holdbacks: list[Holdback]
    transaction_ids: list[str]
    extra: dict[str, Any]
    where: Where | None


@dataclass
class FeedChanges:
    """Titles and parties a feed adds, and the contract changes it asks for."""

    titles: dict[str, Title] = field(default_factory=dict)
    parties: dict[str, Party] = field(default_factory=dict)
    deltas: list[Delta] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    conditions: int = 0  # transactions whose conditional start or end reads as open


@dataclass
class Lookup:
    """What the book already knows, to find titles and parties again."""

    catalog: Catalog
    parties: Mapping[str, Party]
    by_external: dict[tuple[str, str], str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for title in self.catalog.titles.values():
            for scheme, value in title.external_ids.items():
                self.by_external.setdefault((scheme, str(value)), title.id)
        for party in self.parties.values():
            self.by_name.setdefault(party.name.lower(), party.id)


def _problem(message: str, where: Where | None) -> Problem:
    if where is None:
        return Problem(message)
    return Problem(message, where.file, where.line, where.path)


def _day(text: str) -> date:
    return date.fromisoformat(text.strip()[:10])


def _languages(tags: list[str]) -> LanguageSet:
    return LanguageSet.of(tags) if tags else ALL_LANGUAGES


class _Importer:
    def __init__(self, lookup: Lookup, source: str) -> None:
        self.lookup = lookup
        self.source = source
        self.out = FeedChanges()
        self.alid_titles: dict[str, list[str]] = {}

    # -- parties -----------------------------------------------------------------------

    def party(self, name: str | None) -> str:
        if not name or not name.strip():
            if UNNAMED.id not in self.lookup.parties:
                self.out.parties.setdefault(UNNAMED.id, UNNAMED)
            return UNNAMED.id
        known = self.lookup.by_name.get(name.strip().lower())
        if known is not None:
            return known
        party_id = slug(name)
        if party_id in self.lookup.parties or party_id in self.out.parties:
            return party_id
        problem = id_problem(party_id)
        if problem is not None:
            self.out.errors.append(
                Problem(f"the party name '{name[:60]}...' cannot make a party id: {problem}")
            )
        self.out.parties[party_id] = Party(party_id, name.strip())
        return party_id

    # -- titles ------------------------------------------------------------------------

    def known(self, title_id: str) -> Title | None:
        return self.out.titles.get(title_id) or self.lookup.catalog.get(title_id)

    def find(self, content_id: str | None, eidr: str | None = None) -> str | None:
        for scheme, value in (("contentID", content_id), ("eidr", eidr)):
            if value:
                found = self.lookup.by_external.get((scheme, value))
                if found:
                    return found
        if content_id and self.known(fit_id(content_id)) is not None:
            return fit_id(content_id)
        return None

    def add_title(self, title: Title, where: Where | None) -> str | None:
        """Add a title made from a feed's asset (its id is the content id made to fit the
        id pattern); one whose id still does not fit is a located error."""
        problem = id_problem(title.id)
        if problem is not None:
            self.out.errors.append(
                _problem(f"the content id cannot be a title id: {problem}", where)
            )
            return None
        self.out.titles[title.id] = title
        for scheme, value in title.external_ids.items():
            self.lookup.by_external.setdefault((scheme, value), title.id)
        return title.id

    def container(
        self,
        kind: str,
        content_id: str | None,
        name: str | None,
        parent: str | None,
        where: Where | None,
    ) -> str | None:
        if not content_id:
            return None
        found = self.find(content_id)
        if found:
            return found
        return self.add_title(
            Title(
                fit_id(content_id),
                name or content_id,
                kind,
                parent=parent,
                external_ids={"contentID": content_id},
            ),
            where,
        )

    def asset_title(
        self, avail: Avail, asset: Asset, volumes: list[tuple[Avail, Asset]], deferred: bool = False
    ) -> str | None:
        found = self.find(asset.content_id, asset.eidr)
        if found:
            return found
        kind = KINDS.get(asset.work_type, "special")
        external = {"contentID": asset.content_id, "ALID": avail.alid}
        if asset.eidr:
            external["eidr"] = asset.eidr
        series = self.container("series", asset.series_id, asset.series_name, None, asset.where)
        parent = None
        if asset.work_type == "Episode":
            parent = (
                self.container(
                    "season",
                    asset.season_id,
                    asset.season_name
                    or (f"Season {asset.season_number}" if asset.season_number else None),
                    series,
                    asset.where,
                )
                or series
            )
        elif asset.work_type == "Season":
            parent = series
        members: tuple[str, ...] = ()
        if asset.work_type in ("Volume", "Collection", "Franchise") and not deferred:
            volumes.append((avail, asset))  # after the titles they group
            return None
        if asset.work_type in ("Collection", "Franchise"):
            found_members = [t for alid in asset.bundled for t in self.alid_titles.get(alid, ())]
            found_members += [
                t
                for alid in asset.bundled
                if (t := self.lookup.by_external.get(("ALID", alid))) and t not in found_members
            ]
            missing = [
                a
                for a in asset.bundled
                if a not in self.alid_titles and ("ALID", a) not in self.lookup.by_external
            ]
            if missing:
                self.out.warnings.append(
                    _problem(
                        f"bundled ALIDs not in this feed or the book: {', '.join(missing)}"
                        + (
                            ""
                            if found_members
                            else "; the collection is recorded as a title of its own"
                        ),
                        asset.where,
                    )
                )
            members = tuple(dict.fromkeys(found_members))
            if not members:
                kind = "special"
        name = asset.name or (f"Episode {asset.number}" if asset.number else asset.content_id)
        title = Title(
            fit_id(asset.content_id or f"md:cid:org:reelrights:{avail.alid}"),
            name,
            kind,
            year=asset.year,
            parent=parent if kind in ("episode", "season") else None,
            members=members,
            external_ids=external,
        )
        return self.add_title(title, asset.where)

    def volume_title(self, avail: Avail, asset: Asset) -> str | None:
        found = self.find(asset.content_id, asset.eidr)
        if found:
            return found
        season = self.find(asset.season_id) if asset.season_id else None
        first, count = asset.first_episode, asset.episode_count
        wanted = set(range(first, first + count)) if first is not None and count else set()
        members: list[str] = []
        if season:
            for title in [*self.out.titles.values(), *self.lookup.catalog.titles.values()]:
                if title.parent != season or title.id in members or not title.extra:
                    continue
                if title.extra.get("number") in wanted or (
                    not wanted
                    and asset.number is not None
                    and title.extra.get("volume") == asset.number
                ):
                    members.append(title.id)
        if not members:
            self.out.errors.append(
                _problem(
                    f"volume '{asset.content_id}' names episodes that are neither in this feed "
                    "nor in the book",
                    asset.where,
                )
            )
            return None
        external = {"contentID": asset.content_id, "ALID": avail.alid}
        return self.add_title(
            Title(
                fit_id(asset.content_id),
                asset.name or asset.content_id,
                "collection",
                year=asset.year,
                members=tuple(sorted(members)),
                external_ids=external,
            ),
            asset.where,
        )

    # -- rights ------------------------------------------------------------------------

    def territories(self, transaction: Transaction) -> int | None:
        for code in (*transaction.territories, *transaction.excluded):
            if "-" in code:
                country = code.strip().upper()[:2]
                self.out.warnings.append(
                    _problem(
                        f"'{code}' is a region within a country; reelrights records rights by "
                        f"country, so this transaction covers all of {country}",
                        transaction.where,
                    )
                )
        if not transaction.territories and not transaction.excluded:
            self.out.errors.append(
                _problem("the transaction names no territory", transaction.where)
            )
            return None
        covered = territory_mask(transaction.territories, transaction.excluded)
        if not covered:
            self.out.errors.append(
                _problem("the transaction's territories exclude every country", transaction.where)
            )
            return None
        return covered

    def grant(
        self, titles: tuple[str, ...], transaction: Transaction
    ) -> tuple[Grant, Holdback | None] | None:
        medium = LICENSE_TYPES.get(transaction.license_type)
        if medium is None:
            return None  # the vocabulary check has reported it
        territories = self.territories(transaction)
        if territories is None:
            return None
        try:
            languages = _languages(transaction.allowed)
            held = LanguageSet.of(transaction.holdback) if transaction.holdback else None
            start = DateBound(day=_day(transaction.start)) if transaction.start else None
            end = DateBound(day=_day(transaction.end)) if transaction.end else None
        except (CodeError, ValueError) as error:
            self.out.errors.append(_problem(str(error), transaction.where))
            return None
        if (
            transaction.start is None and transaction.start_condition not in (None, "Immediate")
        ) or (transaction.end is None and transaction.end_condition not in (None, "Open")):
            self.out.conditions += 1
        info: dict[str, Any] = {
            "TransactionID": transaction.id,
            "LicenseType": transaction.license_type,
            "Territory": transaction.territories,
            "TerritoryExcluded": transaction.excluded,
            "Start": transaction.start,
            "StartCondition": transaction.start_condition,
            "StartLag": transaction.start_lag,
            "End": transaction.end,
            "EndCondition": transaction.end_condition,
            "EndLag": transaction.end_lag,
            "AllowedLanguage": transaction.allowed,
            "HoldbackLanguage": transaction.holdback,
            "Exclusive": transaction.exclusive,
            "terms": [t.to_json() for t in transaction.terms],
            "kept": transaction.kept,
            "cells": transaction.cells,
        }
        info = {k: v for k, v in info.items() if v not in (None, [], "")}
        media = media_mask([medium])
        grant = Grant(
            titles,
            media,
            territories,
            languages,
            start,
            end,
            exclusive=bool(transaction.exclusive),
            extra={"avails": {"transactions": [info]}},
        )
        holdback = None
        if held is not None:
            holdback = Holdback(
                titles,
                media,
                territories,
                held,
                start,
                end,
                extra={
                    "avails": {
                        "transactions": [
                            {
                                "TransactionID": transaction.id,
                                "HoldbackLanguage": transaction.holdback,
                            }
                        ]
                    }
                },
            )
        return grant, holdback

    def avail(self, avail: Avail, titles: list[str], version: str | None) -> None:
        licensor = self.party(avail.licensor)
        licensee = self.party(avail.service_provider)
        if licensor == licensee:
            self.out.errors.append(
                _problem("licensor and service provider are the same party", avail.where)
            )
            return
        grants: list[Grant] = []
        holdbacks: list[Holdback] = []
        covered = 0
        for transaction in avail.transactions:
            made = self.grant(tuple(titles), transaction) if titles else None
            if made is None:
                continue
            grants.append(made[0])
            covered |= made[0].territories
            if made[1] is not None:
                holdbacks.append(made[1])
        grants, holdbacks = merge_rights(grants), merge_rights(holdbacks)
        extra = {
            "avails": {
                k: v
                for k, v in {
                    "ALID": avail.alid,
                    "AvailType": avail.avail_type,
                    "ShortDescription": avail.short_description,
                    "IssueDate": avail.issue_date,
                    "Licensor": avail.licensor_xml,
                    "ServiceProvider": avail.service_provider_xml,
                    "assets": [_asset_json(a) for a in avail.assets],
                    "kept": avail.kept,
                    "version": version,
                    "source": self.source,
                }.items()
                if v not in (None, [], "")
            }
        }
        delta_id = contract_id(licensor, avail.alid, licensee)
        problem = id_problem(delta_id)
        if problem is not None:
            self.out.errors.append(
                _problem(f"the ALID cannot make a contract id: {problem}", avail.where)
            )
            return
        self.out.deltas.append(
            Delta(
                delta_id,
                licensor,
                licensee,
                avail.entry_type or "Full Extract",
                covered,
                grants,
                holdbacks,
                [t.id for t in avail.transactions if t.id],
                extra,
                avail.where,
            )
        )


def _asset_json(asset: Asset) -> dict[str, Any]:
    data = {name: getattr(asset, name) for name in ASSET_FIELDS}
    return {
        k: (list(v) if isinstance(v, list) else v)
        for k, v in data.items()
        if v not in (None, [], "")
    }


ASSET_FIELDS = tuple(name for name in Asset.__dataclass_fields__ if name != "where")


def feed_changes(
    avails: list[Avail], lookup: Lookup, source: str, version: str | None
) -> FeedChanges:
    """The titles, parties and contract changes a checked feed asks for."""
    importer = _Importer(lookup, source)
    titles_of: list[list[str]] = []
    volumes: list[tuple[Avail, Asset]] = []
    for avail in avails:
        titles: list[str] = []
        for asset in avail.assets:
            title = importer.asset_title(avail, asset, volumes)
            if title is not None:
                titles.append(title)
                if asset.work_type == "Episode" and asset.number is not None:
                    made = importer.out.titles.get(title)
                    if made is not None and "number" not in made.extra:
                        extra = {"number": asset.number}
                        if asset.volume is not None:
                            extra["volume"] = asset.volume
                        importer.out.titles[title] = replace(made, extra=extra)
        importer.alid_titles[avail.alid] = titles
        titles_of.append(titles)
    for avail, asset in volumes:
        if asset.work_type == "Volume":
            title = importer.volume_title(avail, asset)
        else:
            title = importer.asset_title(avail, asset, volumes, deferred=True)
        if title is not None:
            importer.alid_titles[avail.alid].append(title)
    for avail in avails:
        importer.avail(avail, importer.alid_titles[avail.alid], version)
    return importer.out


def transactions_of(item: Grant | Holdback) -> list[dict[str, Any]]:
    """The Avails transactions a grant or holdback stands for (none if not from a feed)."""
    found: list[dict[str, Any]] = (item.extra.get("avails") or {}).get("transactions") or []
    return found


def merge_rights(items: list[Any]) -> list[Any]:
    """One grant (or holdback) per distinct right: transactions that give the same right
    (an HD and an SD offer, two price tiers) become one grant listing both, so that the
    contract states each right once and an export gives every transaction back."""
    merged: dict[Any, Any] = {}
    for item in items:
        key = (
            item.titles,
            item.media,
            item.territories,
            item.languages,
            item.start,
            item.end,
            getattr(item, "exclusive", None),
            getattr(item, "sublicense", None),
        )
        if key in merged:
            earlier = merged[key]
            infos = transactions_of(earlier) + transactions_of(item)
            merged[key] = replace(
                earlier, extra={**earlier.extra, "avails": {"transactions": infos}}
            )
        else:
            merged[key] = item
    return list(merged.values())


def grant_to_json(grant: Grant) -> dict[str, Any]:
    """A grant as JSON data (for one kept as an offer, see :func:`with_offers`)."""
    return {
        "titles": list(grant.titles),
        "media": grant.media,
        "territories": str(grant.territories),
        "languages": grant.languages.to_json(),
        "start": str(grant.start) if grant.start else None,
        "end": str(grant.end) if grant.end else None,
        "exclusive": grant.exclusive,
        "extra": dict(grant.extra),
    }


def grant_from_json(data: Mapping[str, Any]) -> Grant:
    return Grant(
        tuple(data["titles"]),
        int(data["media"]),
        int(data["territories"]),
        LanguageSet.parse(data["languages"]),
        DateBound.parse(data["start"]) if data.get("start") else None,
        DateBound.parse(data["end"]) if data.get("end") else None,
        exclusive=bool(data.get("exclusive")),
        extra=dict(data.get("extra") or {}),
    )


def offers_of(contract: Contract) -> list[Grant]:
    """Grants of a feed that the same licensee already had from the same licensor in
    another contract (a season's episodes offered one by one after the season): kept with
    the contract for export, not counted twice as rights."""
    return [grant_from_json(g) for g in (contract.extra.get("avails") or {}).get("offers") or []]


def with_offers(contract: Contract, offers: list[Grant]) -> Contract:
    avails = dict(contract.extra.get("avails") or {})
    avails["offers"] = [grant_to_json(g) for g in offers]
    if not offers:
        avails.pop("offers")
    return replace(contract, extra={**contract.extra, "avails": avails})


def apply_disposition(existing: Contract | None, delta: Delta) -> Contract | None:
    """The contract after ``delta``: Full Extract replaces what the licensor had sent for
    the ALID in the delta's territories, Full Delete removes it there (everywhere when the
    Avail lists no transaction), Create and Update add or replace transactions by
    TransactionID, Delete removes them. A contract left with no right is kept as void
    (terminated without a date) so its history stays; ``None`` when there is nothing to
    store."""
    live = existing is not None and existing.in_force()
    grants = [*existing.grants, *offers_of(existing)] if existing is not None and live else []
    holdbacks = list(existing.holdbacks) if existing is not None and live else []
    kind = delta.entry_type.strip().lower()

    def without(items: list[Any], gone: set[Any]) -> list[Any]:
        """The items with the transactions ``gone`` taken out (an item left with none goes)."""
        kept = []
        for item in items:
            infos = transactions_of(item)
            rest = [i for i in infos if i.get("TransactionID") not in gone]
            if len(rest) == len(infos):
                kept.append(item)
            elif rest:
                kept.append(replace(item, extra={**item.extra, "avails": {"transactions": rest}}))
        return kept

    def outside(items: list[Any], mask: int) -> list[Any]:
        kept = []
        for item in items:
            rest = item.territories & ~mask
            if rest == item.territories:
                kept.append(item)
            elif rest:
                kept.append(replace(item, territories=rest))
        return kept

    if kind == "full extract":
        grants = outside(grants, delta.territories) + delta.grants
        holdbacks = outside(holdbacks, delta.territories) + delta.holdbacks
    elif kind == "full delete":
        if delta.grants:
            grants, holdbacks = (
                outside(grants, delta.territories),
                outside(holdbacks, delta.territories),
            )
        else:
            grants, holdbacks = [], []
    elif kind in ("create", "update"):
        replaced = set(delta.transaction_ids)
        grants = without(grants, replaced) + delta.grants
        holdbacks = without(holdbacks, replaced) + delta.holdbacks
    elif kind == "delete":
        if delta.transaction_ids:
            gone = set(delta.transaction_ids)
            grants, holdbacks = without(grants, gone), without(holdbacks, gone)
        else:
            grants, holdbacks = [], []
    grants, holdbacks = merge_rights(grants), merge_rights(holdbacks)
    if not grants:
        if existing is None:
            return None
        return replace(existing, status="terminated", terminated=None)
    contract = Contract(
        delta.contract_id,
        delta.licensor,
        delta.licensee,
        status="executed",
        fee=license_fee(grants),
        grants=tuple(grants),
        holdbacks=tuple(holdbacks),
        extra=delta.extra,
    )
    if existing is not None:  # money terms the feed cannot say stay as they were
        same_fee = contract.fee is None or contract.fee == existing.fee
        contract = replace(
            contract,
            fee=existing.fee if contract.fee is None else contract.fee,
            payments=existing.payments if same_fee else (),
            minimum_guarantee=existing.minimum_guarantee,
            revenue_share=existing.revenue_share,
            currency=existing.currency,
            reporting=existing.reporting,
        )
    return contract


def license_fee(grants: Iterable[Grant]) -> Money | None:
    """The contract fee an Avail states: the sum of its transactions' ``LicenseFee`` Money
    terms when they share one currency (Avails has no term for a minimum guarantee or a
    revenue share; those stay reelrights' own)."""
    total, currencies = Decimal(0), set()
    for grant in grants:
        for info in transactions_of(grant):
            for term in info.get("terms") or []:
                if term.get("termName") != "LicenseFee" or term.get("element") != "Money":
                    continue
                money = term.get("money") or {}
                try:
                    total += parse_amount(money.get("amount"))
                except CodeError:
                    return None
                currencies.add(str(money.get("currency") or ""))
    if len(currencies) != 1 or total < 0:
        return None
    try:
        return Money(total, currency_code(next(iter(currencies))))
    except CodeError:
        return None


def _money_terms(contract: Contract, records: list[Avail], notes: list[str]) -> None:
    """What a contract says about money, in its Avails records: a fee no transaction states
    becomes a ``LicenseFee`` term on the first transaction; a minimum guarantee and a
    revenue share have no Avails term and are listed as not exported."""
    transactions = [t for r in records for t in r.transactions]
    if contract.fee is not None and contract.fee.amount and transactions:
        stated = any(term.name == "LicenseFee" for t in transactions for term in t.terms)
        if not stated:
            amount = contract.fee.amount
            transactions[0].terms.append(
                Term(
                    "LicenseFee",
                    "Money",
                    format(amount, "f"),
                    {"currency": contract.fee.currency},
                )
            )
    for what, present in (
        ("minimum guarantee", contract.minimum_guarantee is not None),
        ("revenue share", bool(contract.revenue_share)),
    ):
        if present and transactions:
            notes.append(f"contract {contract.id}: the {what} has no Avails term; not exported")


# -- export ------------------------------------------------------------------------------


@dataclass
class ExportResult:
    avails: list[Avail]
    not_exportable: list[str]


def _bound_text(bound: DateBound | None, kept: str | None, end: bool) -> str | None:
    if bound is None or bound.day is None:
        return None
    if kept and kept[:10] == bound.day.isoformat():
        return kept
    return bound.day.isoformat() + ("T23:59:59" if end else "T00:00:00")


def _transaction(
    grant: Grant, license_type: str, info: Mapping[str, Any], notes: list[str], label: str
) -> Transaction:
    codes = countries_of(grant.territories)
    kept_in, kept_out = info.get("Territory") or [], info.get("TerritoryExcluded") or []
    territories: list[str]
    excluded: list[str] = []
    if (kept_in or kept_out) and territory_mask(kept_in, kept_out) == grant.territories:
        territories, excluded = list(kept_in), list(kept_out)
    elif len(codes) > len(COUNTRY_BIT) // 2:
        territories, excluded = [], countries_of(WORLD & ~grant.territories)
    else:
        territories = codes
    allowed: list[str] = []
    if grant.languages.negated and grant.languages.codes:
        notes.append(
            f"{label}: languages '{grant.languages.describe()}' cannot be said in Avails; "
            "exported as all languages"
        )
    elif not grant.languages.negated:
        kept_languages = info.get("AllowedLanguage") or []
        if kept_languages and _languages(kept_languages) == grant.languages:
            allowed = list(kept_languages)
        else:
            allowed = sorted(grant.languages.codes)
    start = _bound_text(grant.start, info.get("Start"), end=False)
    end = _bound_text(grant.end, info.get("End"), end=True)
    return Transaction(
        id=info.get("TransactionID"),
        license_type=license_type,
        territories=territories,
        excluded=excluded,
        start=start,
        start_condition=None if start else info.get("StartCondition") or "Immediate",
        start_lag=None if start else info.get("StartLag"),
        end=end,
        end_condition=None if end else info.get("EndCondition") or "Open",
        end_lag=None if end else info.get("EndLag"),
        allowed=allowed,
        holdback=list(info.get("HoldbackLanguage") or []),
        exclusive=True if grant.exclusive else (False if info.get("Exclusive") is False else None),
        terms=[Term.from_json(t) for t in info.get("terms") or []],
        kept=list(info.get("kept") or []),
        cells=dict(info.get("cells") or {}),
    )


def countries_mask(codes: Iterable[str]) -> int:
    """Avails territory codes as countries: ``ZZ`` (the templates' worldwide) is WORLD, a
    subdivision (``US-CA``) its country; unknown codes add nothing (the checks report them)."""
    out = 0
    for code in codes:
        country = code.strip().upper()[:2]
        out |= WORLD if country == "ZZ" else COUNTRY_BIT.get(country, 0)
    return out


def territory_mask(territories: list[str], excluded: list[str]) -> int:
    """A transaction's countries: its Territory list (WORLD when it has none) less its
    TerritoryExcluded list."""
    base = countries_mask(territories) if territories else WORLD
    return base & ~countries_mask(excluded)


def _asset_from_json(data: Mapping[str, Any], catalog: Catalog) -> Asset:
    asset = Asset(**{k: v for k, v in data.items() if k in Asset.__dataclass_fields__})
    if asset.work_type == "Volume" and asset.first_episode is None and not asset.xml:
        # A spreadsheet names a volume's episodes on their rows; XML on the volume.
        volume = catalog.get(asset.content_id)
        numbers = sorted(
            n
            for m in (volume.members if volume else ())
            if (t := catalog.get(m)) is not None and isinstance(n := t.extra.get("number"), int)
        )
        if numbers:
            asset.first_episode, asset.episode_count = numbers[0], len(numbers)
    return asset


def _asset_of(title: Title, catalog: Catalog) -> Asset | None:
    work_type = WORK_TYPES.get(title.kind)
    if work_type is None:
        return None
    asset = Asset(
        title.external_ids.get("contentID") or f"md:cid:org:reelrights:{title.id}",
        work_type,
        name=title.name,
        year=title.year,
    )
    if title.kind in ("episode", "season"):
        parent = catalog.get(title.parent) if title.parent else None
        season = parent if title.kind == "episode" else title
        series = catalog.get(season.parent) if season and season.parent else None
        if title.kind == "episode" and parent is not None and parent.kind == "series":
            series, season = parent, None
        asset.number = title.extra.get("number") if title.extra else None
        if season is not None:
            asset.season_id = season.external_ids.get("contentID") or season.id
            asset.season_name = season.name
        if series is not None:
            asset.series_id = series.external_ids.get("contentID") or series.id
            asset.series_name = series.name
    if title.kind == "series":
        asset.series_id, asset.series_name = asset.content_id, title.name
    return asset


def contracts_to_avails(
    contracts: Iterable[Contract],
    catalog: Catalog,
    party_name: Callable[[str], str],
    describe_media: Callable[[int], str],
) -> ExportResult:
    """Avails records for the in-force contracts that have a licensor."""
    out: list[Avail] = []
    notes: list[str] = []
    exportable = media_mask(EXPORT_TYPES)
    starts: list[tuple[Contract, int]] = []
    for contract in contracts:
        if contract.licensor is None or not contract.in_force():
            continue
        starts.append((contract, len(out)))
        info = dict(contract.extra.get("avails") or {})
        rights = [*contract.grants, *offers_of(contract)]
        provider = None if contract.licensee == UNNAMED.id else party_name(contract.licensee)
        foreign = [h for h in contract.holdbacks if not transactions_of(h)]
        if foreign:
            notes.append(f"contract {contract.id}: {len(foreign)} holdback(s) have no Avails form")
        if info.get("ALID"):
            record = Avail(
                alid=info["ALID"],
                entry_type="Full Extract",
                licensor=party_name(contract.licensor),
                avail_type=info.get("AvailType", "single"),
                service_provider=provider,
                short_description=info.get("ShortDescription", ""),
                issue_date=info.get("IssueDate"),
                assets=[_asset_from_json(a, catalog) for a in info.get("assets") or []],
                kept=list(info.get("kept") or []),
                licensor_xml=info.get("Licensor"),
                service_provider_xml=info.get("ServiceProvider"),
            )
            for index, grant in enumerate(rights):
                label = f"contract {contract.id} grant {index + 1}"
                for kept in transactions_of(grant) or [{}]:
                    license_type = kept.get("LicenseType")
                    medium = LICENSE_TYPES.get(license_type or "")
                    if medium is not None and media_mask([medium]) == grant.media:
                        record.transactions.append(
                            _transaction(grant, license_type or "", kept, notes, label)
                        )
                        continue
                    _leaves(grant, exportable, describe_media, notes, label)
                    for leaf, avails_type in EXPORT_TYPES.items():
                        if grant.media & media_mask([leaf]):
                            record.transactions.append(
                                _transaction(
                                    replace(grant, media=media_mask([leaf])),
                                    avails_type,
                                    kept,
                                    notes,
                                    label,
                                )
                            )
            if record.transactions:
                out.append(record)
            continue
        for index, grant in enumerate(contract.grants):
            label = f"contract {contract.id} grant {index + 1}"
            _leaves(grant, exportable, describe_media, notes, label)
            if not grant.media & exportable:
                continue
            if (grant.start and grant.start.is_relative) or (grant.end and grant.end.is_relative):
                notes.append(
                    f"{label}: a term relative to release has no Avails date; not exported"
                )
                continue
            for title_id in sorted(catalog.expand(grant.titles)):
                title = catalog.get(title_id)
                asset = _asset_of(title, catalog) if title is not None else None
                if title is None or asset is None:
                    notes.append(
                        f"{label}: title '{title_id}' ({title.kind if title else 'unknown'}) "
                        "has no Avails work type; not exported"
                    )
                    continue
                record = Avail(
                    alid=title.external_ids.get("ALID") or f"md:alid:org:reelrights:{title.id}",
                    entry_type="Full Extract",
                    licensor=party_name(contract.licensor),
                    avail_type=AVAIL_TYPES[asset.work_type],
                    service_provider=provider,
                    short_description=f"reelrights contract {contract.id}",
                    assets=[asset],
                )
                for medium, avails_type in EXPORT_TYPES.items():
                    if grant.media & media_mask([medium]):
                        record.transactions.append(
                            _transaction(
                                replace(grant, media=media_mask([medium])),
                                avails_type,
                                {"TransactionID": f"{contract.id}:{index + 1}:{medium}"},
                                notes,
                                label,
                            )
                        )
                out.append(record)
    ends = [start for _, start in starts[1:]] + ([len(out)] if starts else [])
    for (contract, start), end in zip(starts, ends, strict=True):
        _money_terms(contract, out[start:end], notes)
    return ExportResult(out, notes)


def _leaves(
    grant: Grant, exportable: int, describe: Callable[[int], str], notes: list[str], label: str
) -> None:
    rest = grant.media & ~exportable
    if rest:
        notes.append(f"{label}: {describe(rest)} has no Avails license type; not exported")
