"""Deal news to draft deals (docs/semantics.md rule 23): read an article, match the names
it gives to the book's parties and titles, and build a deal sheet of **draft** contracts
plus the parties and titles it would create. Nothing is stored until the user saves the
drafts, and saving stores drafts only (they never encumber, rule 7)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from reelrights.domain.contracts import Party
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.problems import CodeError, InvalidInput, Problem
from reelrights.domain.territories import Geography
from reelrights.domain.titles import Title
from reelrights.formats import sheet as sheets
from reelrights.formats.news import MAX_ARTICLE_BYTES, Extraction, extract_deals, read_article
from reelrights.service.catalog import ListingJobs
from reelrights.service.loading import LoadingJobs, LoadResult
from reelrights.service.permissions import Permissions
from reelrights.store.repository import database_url

# The fields of a proposed deal (rule 23's JSON), in order.
DEAL_FIELDS = (
    "licensor",
    "licensee",
    "titles",
    "media",
    "territories",
    "exclusive",
    "fee",
    "start",
    "end",
    "sentence",
    "confidence",
)
# The largest request body that carries one article (JSON escapes can double its size).
MAX_EXTRACT_BODY = 2 * MAX_ARTICLE_BYTES + 4096
# At most this many deals are turned into drafts from one article or one save.
MAX_DEALS = 50
UNNAMED_LICENSOR = ("unnamed-licensor", "Licensor not named in the article")
UNNAMED_LICENSEE = ("unnamed-licensee", "Licensee not named in the article")
_SUFFIX = re.compile(r"\b(?:inc|ltd|llc|corp|co|plc|gmbh|sa|ag|limited|corporation|company|group)$")


def name_key(name: str) -> str:
    """How names are matched: case, accents, punctuation (but ``+`` and ``&``), a leading
    "the" and a company suffix do not count ("The Walt Disney Company" = "Walt Disney")."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = " ".join(re.sub(r"[^\w+&\s]", " ", text).split())
    text = re.sub(r"^the ", "", text)
    return _SUFFIX.sub("", text).strip()


def slug(name: str) -> str:
    """An id made from a name: lower-case ASCII letters, digits and hyphens."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("+", " plus ").replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:48].strip("-") or "unnamed"


@dataclass
class ArticleDrafts:
    """An article read into proposed deals, and the draft deal sheet they make."""

    extraction: Extraction
    deals: list[dict[str, Any]]
    sheet: dict[str, Any]
    matched: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Rule 23's JSON: ``{"deals": [...]}``."""
        return {"deals": self.deals}

    def sheet_yaml(self) -> str:
        """The draft deal sheet as YAML (loads with ``reelrights load``)."""
        return render_yaml(self.sheet)


def render_yaml(document: dict[str, Any]) -> str:
    """A draft sheet as YAML, with a header saying what it is."""
    header = (
        "# Draft contracts proposed from a news article (docs/semantics.md rule 23).\n"
        "# Check every field against the sentence in extra.extracted.sentence; the fields\n"
        "# listed in extra.extracted.unconfirmed were not stated and hold placeholders.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


class ExtractJobs(LoadingJobs, ListingJobs):
    """Reading deal news into draft contracts."""

    def extract_article(self, data: bytes | str, source: str = "article") -> ArticleDrafts:
        """The deals an article reports and the draft sheet they make, matched to this
        book; bad input (empty, binary, too large, not English) raises
        :class:`InvalidInput` naming ``source``. Nothing is stored."""
        media, geography = self.vocabularies()
        return propose_drafts(data, source, self._known_book(), media, geography)

    def _known_book(self) -> KnownBook:
        """The book's parties and titles from the index (no scan of the contracts)."""
        state = self._current()

        def used(ids: Iterable[str]) -> set[str]:
            with self.store.reading() as reader:
                return reader.existing_contract_ids(list(ids))

        return KnownBook(list(state.parties.values()), list(state.catalog.titles.values()), used)

    def draft_sheet(
        self, deals: Sequence[dict[str, Any]]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """:func:`build_draft_sheet` against this book's parties, titles and contracts."""
        media, geography = self.vocabularies()
        return build_draft_sheet(deals, self._known_book(), media, geography)

    def save_drafts(self, deals: Sequence[dict[str, Any]]) -> SavedDrafts:
        """Store deals (rule 23's JSON form, as corrected by a person) as draft contracts
        with the parties and titles they need, all or nothing (when acting for a key, an
        unbound editor's)."""
        Permissions.of(self._who()).require_load("save drafts")
        if not deals:
            raise InvalidInput([Problem("no deal to save", field="deals")])
        document, _ = self.draft_sheet(deals)
        result = self.load_draft_sheet(document)
        return SavedDrafts([c["id"] for c in document["contracts"]], result)

    def load_draft_sheet(self, document: dict[str, Any]) -> LoadResult:
        """Store a draft sheet; every contract in it must be a draft."""
        media, geography = self.vocabularies()
        parsed = sheets.parse_document(document, "draft", media, geography)
        if parsed.problems:
            raise InvalidInput(parsed.problems)
        for contract in parsed.contracts:
            if contract.status != "draft":
                raise InvalidInput(
                    [Problem("extracted deals are saved as drafts only", field=contract.id)]
                )
        return self.load_sheets([parsed])


@dataclass
class SavedDrafts:
    """The draft contracts a save stored, and what else it stored."""

    contracts: list[str]
    loaded: LoadResult


@dataclass
class KnownBook:
    """What a book already holds, for matching names and keeping ids unique: its parties
    and titles, and which of some contract ids it already uses."""

    parties: list[Party] = field(default_factory=list)
    titles: list[Title] = field(default_factory=list)
    used_contract_ids: Callable[[Iterable[str]], set[str]] = lambda ids: set()


def extract_without_book(data: bytes | str, source: str = "article") -> ArticleDrafts:
    """:meth:`ExtractJobs.extract_article` when there is no database: every party and
    title is new."""
    return propose_drafts(data, source, KnownBook(), MediaTaxonomy(), Geography())


def propose_drafts(
    data: bytes | str,
    source: str,
    known: KnownBook,
    media: MediaTaxonomy,
    geography: Geography,
) -> ArticleDrafts:
    """Read an article and build its draft sheet against ``known``."""
    text = read_article(data, source)
    extraction = extract_deals(text)
    deals = [d.to_json() for d in extraction.deals][:MAX_DEALS]
    sheet, matched = build_draft_sheet(deals, known, media, geography)
    return ArticleDrafts(extraction, deals, sheet, matched)


def build_draft_sheet(
    deals: Sequence[dict[str, Any]],
    known: KnownBook,
    media: MediaTaxonomy,
    geography: Geography,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A deal sheet of draft contracts for deals in rule 23's JSON form (as proposed,
    or as corrected by a person), and per deal the ids its names matched or would
    create: ``[{"licensor": {"id", "name", "new"}, "licensee": ..., "titles": [...],
    "contract": ID}]``. A field the deal leaves unknown gets a placeholder the sheet
    can hold (``WORLD``, ``ALL_MEDIA``, non-exclusive, a placeholder party or title)
    and is listed in the contract's ``extra.extracted.unconfirmed``."""
    if len(deals) > MAX_DEALS:
        raise InvalidInput([Problem(f"at most {MAX_DEALS} deals at once", field="deals")])
    parties = {name_key(p.name): p for p in known.parties}
    parties.update({name_key(p.id): p for p in known.parties})
    party_ids = {p.id for p in known.parties}
    titles: dict[str, Title] = {}
    for title in known.titles:
        if title.kind != "collection":
            titles.setdefault(name_key(title.name), title)
    title_ids = {t.id for t in known.titles}
    new_parties: dict[str, dict[str, Any]] = {}
    new_titles: dict[str, dict[str, Any]] = {}
    contracts: list[dict[str, Any]] = []
    matched: list[dict[str, Any]] = []
    problems: list[Problem] = []

    def unique(base: str, taken: set[str]) -> str:
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        taken.add(candidate)
        return candidate

    def party_for(name: str | None, unnamed: tuple[str, str]) -> dict[str, Any]:
        if not name or not str(name).strip():
            pid, label = unnamed
            if pid not in party_ids:
                new_parties.setdefault(pid, {"id": pid, "name": label})
            return {"id": pid, "name": None, "new": pid not in party_ids}
        name = str(name).strip()
        key = name_key(name)
        if key in parties:
            return {"id": parties[key].id, "name": name, "new": False}
        for pending in new_parties.values():
            if name_key(pending["name"]) == key:
                return {"id": pending["id"], "name": name, "new": True}
        pid = unique(slug(name), party_ids | set(new_parties))
        new_parties[pid] = {"id": pid, "name": name}
        return {"id": pid, "name": name, "new": True}

    def title_for(name: str) -> dict[str, Any]:
        key = name_key(name)
        if key in titles:
            return {"id": titles[key].id, "name": name, "new": False}
        for pending in new_titles.values():
            if name_key(pending["name"]) == key:
                return {"id": pending["id"], "name": name, "new": True}
        tid = unique(slug(name), title_ids | set(new_titles))
        new_titles[tid] = {"id": tid, "name": name, "kind": "film"}
        return {"id": tid, "name": name, "new": True}

    taken_contracts: set[str] = set()

    def unique_contract(base: str) -> str:
        candidates = [base, *(f"{base}-{n}" for n in range(2, 100))]
        used = known.used_contract_ids(candidates) | taken_contracts
        chosen = next((c for c in candidates if c not in used), f"{base}-{len(used) + 1}")
        taken_contracts.add(chosen)
        return chosen

    for n, deal in enumerate(deals):
        where = f"deals[{n}]"
        unconfirmed: list[str] = []
        licensor = party_for(deal.get("licensor"), UNNAMED_LICENSOR)
        licensee = party_for(deal.get("licensee"), UNNAMED_LICENSEE)
        for role, found in (("licensor", licensor), ("licensee", licensee)):
            if found["name"] is None:
                unconfirmed.append(role)
        if licensor["id"] == licensee["id"]:
            problems.append(
                Problem("licensor and licensee are the same party", field=f"{where}.licensee")
            )
        named_titles = [str(t).strip() for t in deal.get("titles") or [] if str(t).strip()]
        found_titles = [title_for(t) for t in named_titles]
        base = slug(f"draft {licensee['name'] or 'deal'} {named_titles[0] if named_titles else ''}")
        contract_id = unique_contract(base)
        if not found_titles:
            label = (
                f"Titles not named in the article ({licensor['name'] or 'licensor'} to "
                f"{licensee['name'] or 'licensee'})"
            )
            tid = unique(f"{contract_id}-titles", title_ids | set(new_titles))
            new_titles[tid] = {
                "id": tid,
                "name": label,
                "kind": "film",
                "extra": {"placeholder": True},
            }
            found_titles = [{"id": tid, "name": None, "new": True}]
            unconfirmed.append("titles")
        media_codes = _codes(deal.get("media"))
        if media_codes:
            try:
                media.parse(media_codes)
            except CodeError as error:
                problems.append(Problem(str(error), field=f"{where}.media"))
        else:
            media_codes = ["ALL_MEDIA"]
            unconfirmed.append("media")
        territory_codes = _codes(deal.get("territories"))
        if territory_codes:
            try:
                geography.parse(territory_codes)
            except CodeError as error:
                problems.append(Problem(str(error), field=f"{where}.territories"))
        else:
            territory_codes = ["WORLD"]
            unconfirmed.append("territories")
        exclusive = deal.get("exclusive")
        if exclusive is None:
            unconfirmed.append("exclusive")
        elif not isinstance(exclusive, bool):
            problems.append(Problem("expected true, false or null", field=f"{where}.exclusive"))
        grant: dict[str, Any] = {
            "titles": [t["id"] for t in found_titles],
            "media": media_codes,
            "territories": territory_codes,
            "languages": "all",
            "start": deal.get("start") or None,
            "end": deal.get("end") or None,
            "exclusive": bool(exclusive),
        }
        contract: dict[str, Any] = {
            "id": contract_id,
            "licensor": licensor["id"],
            "licensee": licensee["id"],
            "status": "draft",
        }
        fee = _fee(deal.get("fee"), f"{where}.fee", problems)
        if fee is not None:
            contract["fee"] = fee
        contract["grants"] = [grant]
        extracted: dict[str, Any] = {
            "sentence": str(deal.get("sentence") or ""),
            "confidence": deal.get("confidence"),
            "unconfirmed": unconfirmed,
        }
        contract["extra"] = {"extracted": extracted}
        contracts.append(contract)
        matched.append(
            {
                "contract": contract_id,
                "licensor": licensor,
                "licensee": licensee,
                "titles": found_titles,
                "unconfirmed": unconfirmed,
            }
        )
    if problems:
        raise InvalidInput(problems)
    document: dict[str, Any] = {}
    if new_parties:
        document["parties"] = list(new_parties.values())
    if new_titles:
        document["titles"] = list(new_titles.values())
    document["contracts"] = contracts
    # The sheet must read back exactly as a load would read it.
    parsed = sheets.parse_document(document, "draft", media, geography)
    if parsed.problems:
        raise InvalidInput(parsed.problems)
    return document, matched


def _codes(value: Any) -> list[str]:
    if value is None:
        return []
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    return [str(v).strip() for v in items if str(v).strip()]


def _fee(value: Any, where: str, problems: list[Problem]) -> dict[str, Any] | None:
    if not value:
        return None
    if not isinstance(value, dict):
        problems.append(Problem("expected {amount, currency}", field=where))
        return None
    amount, currency = value.get("amount"), str(value.get("currency") or "").strip().upper()
    if amount in (None, ""):
        return None
    try:
        number = Decimal(str(amount).replace(",", ""))
    except InvalidOperation:
        problems.append(Problem(f"'{amount}' is not a number", field=f"{where}.amount"))
        return None
    if not number.is_finite() or number < 0:
        problems.append(Problem(f"'{amount}' is not an amount", field=f"{where}.amount"))
        return None
    if not currency:
        problems.append(Problem("a fee needs its currency", field=f"{where}.currency"))
        return None
    shown: Any = int(number) if number == number.to_integral() else str(number)
    return {"amount": shown, "currency": currency}


def book_exists(url: str | None) -> bool:
    """Whether a ``--db`` value names a database that is there: always for a server URL,
    for SQLite when the file exists (reading an article must not create one)."""
    resolved = database_url(url)
    if not resolved.startswith("sqlite:///"):
        return True
    path = resolved[len("sqlite:///") :]
    return path in ("", ":memory:") or Path(path).exists()
