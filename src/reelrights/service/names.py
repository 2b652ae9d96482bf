"""Names instead of ids: parties by id or name, titles by id or exact name.

A person types "Netflix" or "Parasite", not ``netflix-inc`` or ``tt6751668``. An id always
wins; otherwise a name must match exactly one party or title (case and surrounding spaces
ignored). An unknown or ambiguous name is a :class:`Problem` that lists the closest
matches, so the CLI and the API can say "did you mean ...?".
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from threading import Lock
from weakref import WeakKeyDictionary

from reelrights.domain.contracts import Contract, Grant, Holdback, Option
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.domain.titles import Catalog, Title
from reelrights.formats.sheet import DealSheet
from reelrights.service.base import ServiceBase

SUGGESTIONS = 5
SPELLED = ("name", "original name", "alternative name")
"""What the catalog search also finds by a close spelling (ids and codes only as typed)."""


def _plural(what: str) -> str:
    return "parties" if what == "party" else f"{what}s"


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


@lru_cache(maxsize=1 << 16)
def _plain(text: str) -> str:
    """Folded, accents and punctuation dropped: "Amélie!" and "amelie" read alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


@dataclass(frozen=True, slots=True)
class FoundTitle:
    """A title found by a catalog search: how people know it, and what matched."""

    title: Title
    label: str
    matched: str  # "id", "eidr", "name", "original name", "alternative name", ...
    text: str  # the text that matched


def names_of(title: Title) -> list[tuple[str, str]]:
    """(what, text) for every name and id a catalog search looks at."""
    out = [("name", title.name)]
    original = title.extra.get("original_name")
    if original:
        out.append(("original name", str(original)))
    for alias in title.extra.get("alternative_names") or ():
        out.append(("alternative name", str(alias)))
    out.append(("id", title.id))
    for key, value in sorted(title.external_ids.items()):
        out.append((key, str(value)))
    return out


@dataclass(frozen=True, slots=True)
class _Entry:
    """A title as the catalog search reads it, worked out once per catalog version."""

    title: Title
    label: str
    plain_label: str
    names: tuple[tuple[str, str, str, frozenset[str] | None], ...]  # what, text, plain, letters


_INDEXES: WeakKeyDictionary[Catalog, tuple[int, list[_Entry]]] = WeakKeyDictionary()
_INDEX_LOCK = Lock()


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that puts "e2" before "e10"."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text)
        if part
    )


def _entries(catalog: Catalog) -> list[_Entry]:
    """Every title's label and plain names, by label in number order ("S1 E2" before
    "S1 E10"; kept until the catalog changes: a search of 10,000 titles then compares
    text, nothing more)."""
    with _INDEX_LOCK:
        cached = _INDEXES.get(catalog)
        if cached is not None and cached[0] == catalog.version:
            return cached[1]
        version = catalog.version
        entries = []
        for title in catalog.titles.values():
            label = title_label(catalog, title)
            names = tuple(
                (what, text, plain, frozenset(plain) if what in SPELLED else None)
                for what, text in names_of(title)
                for plain in (_plain(text),)
            )
            entries.append(_Entry(title, label, _plain(label), names))
        entries.sort(key=lambda e: (_natural(e.plain_label), e.title.id))
        _INDEXES[catalog] = (version, entries)
        return entries


def find_titles(catalog: Catalog, query: str, kinds: Iterable[str] = ()) -> list[FoundTitle]:
    """Titles whose id, name, original name, alternative names or external ids (EIDR,
    IMDb, ...) match ``query``, best first: the whole text, then its start, then every word
    of the query inside it, then close spellings of a name. Case, accents and punctuation
    are ignored; an empty query matches every title (by name)."""
    wanted = _plain(query)
    words = wanted.split()
    allowed = {k.strip().lower() for k in kinds if k.strip()}
    entries = _entries(catalog)
    if not wanted:  # every title by its label (the order the entries are kept in)
        return [
            FoundTitle(e.title, e.label, "name", e.title.name)
            for e in entries
            if not allowed or e.title.kind in allowed
        ]
    ranked: list[tuple[int, int, str, str, FoundTitle]] = []
    # At equal rank a match on a name beats one on an id ("star" finds Stardust before
    # the episodes whose ids start with star-).
    order = {"name": 0, "original name": 1, "alternative name": 2, "id": 4}
    # One matcher for the whole search with the query as its second sequence (difflib
    # indexes that one once). The letters a name shares with the query bound the ratio
    # from above (each shared letter counted as often as the query has it): most names are
    # ruled out by that before the exact ratio is computed.
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(wanted)
    counts = Counter(wanted)
    size = len(wanted)

    def close(plain: str, letters: frozenset[str]) -> bool:
        total = len(plain) + size
        if 2 * min(len(plain), size) < 0.8 * total:
            return False
        if 2 * sum(counts[c] for c in letters.intersection(counts)) < 0.8 * total:
            return False
        matcher.set_seq1(plain)
        return matcher.ratio() >= 0.8

    typed = query.strip()
    fuzzy = len(wanted) >= 4
    for entry in entries:
        if allowed and entry.title.kind not in allowed:
            continue
        best: tuple[int, str, str] | None = None
        for what, text, plain, letters in entry.names:
            if plain == wanted or text.strip() == typed:
                rank = 0
            elif plain.startswith(wanted):
                rank = 1
            elif all(word in plain for word in words):
                rank = 2
            elif fuzzy and letters is not None and close(plain, letters):
                rank = 3
            else:
                continue
            if best is None or rank < best[0]:
                best = (rank, what, text)
        if best is not None:
            found = FoundTitle(entry.title, entry.label, best[1], best[2])
            ranked.append(
                (best[0], order.get(best[1], 3), entry.plain_label, entry.title.id, found)
            )
    ranked.sort(key=lambda item: item[:4])
    return [item[4] for item in ranked]


def closest(text: str, choices: Mapping[str, str]) -> list[str]:
    """Up to five ``"id name"`` labels among ``choices`` ({id: name}) that look most like
    ``text``, by id or by name, best first."""
    wanted = _fold(text)
    by_key: dict[str, set[str]] = {}
    for key, name in choices.items():
        for form in {_fold(key), _fold(name)}:
            by_key.setdefault(form, set()).add(key)
    out: list[str] = []
    for form in difflib.get_close_matches(wanted, list(by_key), n=SUGGESTIONS * 2, cutoff=0.6):
        for key in sorted(by_key[form]):
            if key not in out:
                out.append(key)
    # Also anything that contains what was typed ("star wars" in a long title).
    if len(wanted) >= 3:
        for key, name in sorted(choices.items()):
            if key not in out and (wanted in _fold(name) or wanted in _fold(key)):
                out.append(key)
    return [f"{key} {choices[key]}" if choices[key] != key else key for key in out[:SUGGESTIONS]]


def unknown(what: str, text: str, choices: Mapping[str, str], field: str) -> Problem:
    """The problem for a name that matches nothing, with the closest matches."""
    near = closest(text, choices)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    return Problem(f"unknown {what} '{text}'{hint}", field=field)


def resolve(
    what: str, text: str, choices: Mapping[str, str], field: str
) -> tuple[str | None, Problem | None]:
    """(the id that ``text`` names, None) or (None, the problem)."""
    raw = text.strip()
    if raw in choices:
        return raw, None
    folded = _fold(raw)
    matches = sorted(key for key, name in choices.items() if _fold(name) == folded)
    if not matches:
        matches = sorted(key for key in choices if _fold(key) == folded)
    if len(matches) == 1:
        return matches[0], None
    if len(matches) > 1:
        listed = ", ".join(f"{key} {choices[key]}" for key in matches[:SUGGESTIONS])
        return None, Problem(
            f"'{raw}' names several {_plural(what)}: {listed}; give the id", field=field
        )
    return None, unknown(what, raw, choices, field)


class NameIndex:
    """:func:`resolve` for many texts against one set of choices ({id: name}): the folded
    names are indexed once, and each distinct text is resolved once (a sheet of ten
    thousand contracts names the same few parties over and over)."""

    def __init__(self, what: str, choices: Mapping[str, str]) -> None:
        self.what = what
        self.choices = choices
        self._by_name: dict[str, list[str]] | None = None
        self._by_id: dict[str, list[str]] = {}
        self._seen: dict[str, tuple[str | None, str | None]] = {}

    def find(self, text: str) -> tuple[str | None, str | None]:
        """(the id ``text`` names, None) or (None, why not: unknown or ambiguous)."""
        if text in self.choices:
            return text, None
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = self._find(text.strip())
        return found

    def _find(self, raw: str) -> tuple[str | None, str | None]:
        if raw in self.choices:
            return raw, None
        if self._by_name is None:
            self._by_name = {}
            for key, name in self.choices.items():
                self._by_name.setdefault(_fold(name), []).append(key)
                self._by_id.setdefault(_fold(key), []).append(key)
        folded = _fold(raw)
        matches = sorted(self._by_name.get(folded) or self._by_id.get(folded) or ())
        if len(matches) == 1:
            return matches[0], None
        if matches:
            listed = ", ".join(f"{key} {self.choices[key]}" for key in matches[:SUGGESTIONS])
            return None, f"'{raw}' names several {_plural(self.what)}: {listed}; give the id"
        return None, unknown(self.what, raw, self.choices, "").message


def resolve_sheet_names(sheet: DealSheet, parties: NameIndex, titles: NameIndex) -> list[Problem]:
    """Replace the parties and titles that ``sheet``'s contracts name (licensor, licensee,
    option holders, the titles of every grant, holdback and option) by their ids, in
    place; each name that matches nothing or more than one is a problem located at its
    file, line and field, with the closest matches (docs/semantics.md rule 13)."""
    problems: list[Problem] = []
    for n, contract in enumerate(sheet.contracts):
        resolved = _resolve_contract(sheet, contract, parties, titles, problems)
        if resolved is not contract:
            sheet.contracts[n] = resolved
    sheet.names_checked = True
    return problems


def _resolve_contract(
    sheet: DealSheet,
    contract: Contract,
    parties: NameIndex,
    titles: NameIndex,
    problems: list[Problem],
) -> Contract:
    key = f"contract:{contract.id}"
    changed = False

    def named(index: NameIndex, text: str, *inner: str | int) -> str:
        nonlocal changed
        found, why = index.find(text)
        if why is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in inner)
            problems.append(
                Problem(
                    why,
                    sheet.file,
                    sheet.line_within(key, *inner),
                    f"contract {contract.id} {where.lstrip('.')}",
                )
            )
            return text
        changed = changed or found != text
        return found or text

    def titles_of(item: Grant | Holdback | Option, part: str, i: int) -> tuple[str, ...]:
        return tuple(named(titles, t, part, i, "titles", j) for j, t in enumerate(item.titles))

    licensor = None if contract.licensor is None else named(parties, contract.licensor, "licensor")
    licensee = named(parties, contract.licensee, "licensee")
    grants = tuple(
        replace(g, titles=titles_of(g, "grants", i)) for i, g in enumerate(contract.grants)
    )
    holdbacks = tuple(
        replace(h, titles=titles_of(h, "holdbacks", i)) for i, h in enumerate(contract.holdbacks)
    )
    options = tuple(
        replace(
            o,
            holder=named(parties, o.holder, "options", i, "holder"),
            titles=titles_of(o, "options", i),
        )
        for i, o in enumerate(contract.options)
    )
    if not changed:
        return contract
    return replace(
        contract,
        licensor=licensor,
        licensee=licensee,
        grants=grants,
        holdbacks=holdbacks,
        options=options,
    )


def title_label(catalog: Catalog, title: Title) -> str:
    """A title as people know it: an episode under its series ("Kingdom · S1 E2"), a
    season too ("Kingdom · S1"); a film or series is its name."""
    if title.kind not in ("episode", "season") or not title.parent:
        return title.name
    parent = catalog.get(title.parent)
    if parent is None:
        return title.name
    if title.kind == "season":
        number = _number_of(title)
        return f"{parent.name} · S{number}" if number else f"{parent.name} · {title.name}"
    episode = _number_of(title)
    if parent.kind == "season":
        series = catalog.get(parent.parent) if parent.parent else None
        season = _number_of(parent)
        head = f"{series.name} · " if series is not None else ""
        if season and episode:
            return f"{head}S{season} E{episode}"
        return f"{head}{f'S{season}' if season else parent.name} · {title.name}"
    return f"{parent.name} · E{episode}" if episode else f"{parent.name} · {title.name}"


def _number_of(title: Title) -> str | None:
    """A season's or episode's number: ``extra.number``, else the last number in its name
    ("Season 2", "Episode 13"), else none."""
    given = title.extra.get("number")
    if given is not None and str(given).strip():
        return str(given).strip()
    digits = [part for part in title.name.replace("#", " ").split() if part.isdigit()]
    return str(int(digits[-1])) if digits else None


class NameJobs(ServiceBase):
    """Turn what a person typed into party and title ids (nothing here writes)."""

    def find_titles(self, query: str, kinds: Iterable[str] = ()) -> list[FoundTitle]:
        """The catalog search: see :func:`find_titles`."""
        return find_titles(self._current().catalog, query, kinds)

    def party_id(self, text: str, field: str = "licensor") -> str:
        """The id of the party ``text`` names (an id, or a name matching one party)."""
        found, problem = resolve(
            "party", text, {p.id: p.name for p in self._current().parties.values()}, field
        )
        if problem is not None:
            raise InvalidInput([problem])
        assert found is not None
        return found

    def contract_filters(
        self, party: str | None, title: str | None
    ) -> tuple[str | None, str | None]:
        """A contract listing's party and title filters, each an id or a name, as ids;
        a name that matches nothing or several is an error with the closest matches."""
        problems: list[Problem] = []
        found_party = found_title = None
        if party and party.strip():
            try:
                found_party = self.party_id(party, "party")
            except InvalidInput as error:
                problems.extend(error.problems)
        if title and title.strip():
            try:
                found_title = self.title_ids([title], "title")[0]
            except InvalidInput as error:
                problems.extend(error.problems)
        if problems:
            raise InvalidInput(problems)
        return found_party, found_title

    def title_ids(self, texts: Iterable[str], field: str = "title") -> list[str]:
        """The ids of the titles ``texts`` name (ids, or exact names); every problem at once."""
        catalog = self._current().catalog
        choices = {t.id: t.name for t in catalog.titles.values()}
        ids: list[str] = []
        problems: list[Problem] = []
        for text in texts:
            found, problem = resolve("title", text, choices, field)
            if problem is not None:
                problems.append(problem)
            elif found is not None:
                ids.append(found)
        if problems:
            raise InvalidInput(problems)
        return ids
