"""Pickers: search-as-you-type choices for every field where a person types a title, a
medium, a territory or a party.

A picker never replaces the text field: it offers choices under it (titles by name with
their series context, media as the grouped tree, territories by name with the M49 regions
and the trade's groups selectable whole, parties by name) and writes the chosen code into
the field. Whatever a person types by hand is still sent as typed, so codes, names and
``WORLD except CN`` work as before.

``GET /ui/pick/{kind}?q=&limit=`` answers the choices as JSON. It asks the same
permissions as the pages (:mod:`reelrights.service.permissions`): a viewer key at least,
and a key bound to a party is offered only the titles of that party's contracts, as its
catalog shows. Answers are bounded (at most :data:`MAX_LIMIT` choices, a query of at most
:data:`MAX_QUERY` characters); anything else is a 422 in JSON, never a page.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from reelrights.domain.contracts import Party
from reelrights.domain.media import BUILTIN_GROUPS as MEDIA_GROUPS
from reelrights.domain.media import LABELS, LEAVES, MediaTaxonomy
from reelrights.domain.territories import (
    BUILTIN_GROUPS as TERRITORY_GROUPS,
)
from reelrights.domain.territories import (
    COUNTRY_BIT,
    Geography,
    builtin_groups,
    country_name,
    m49_regions,
)
from reelrights.domain.titles import Catalog, Title
from reelrights.service import ApiKey, Service
from reelrights.service.names import FoundTitle, names_of, title_label
from reelrights.service.permissions import Permissions, Refused

KINDS = ("titles", "media", "territories", "parties")
LIMIT = 20
"""Choices answered when the request names no limit."""
MAX_LIMIT = 50
"""The most choices one answer holds, whatever the request asks."""
MAX_QUERY = 200
"""The longest query read (the API's limit for query filters)."""

MEDIA_TREE: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("Theatrical", None, ("THEATRICAL", "NON_THEATRICAL")),
    ("Online", "ONLINE", ("EST", "TVOD", "SVOD", "AVOD", "FVOD")),
    ("Home video", None, ("PHYSICAL",)),
    ("Television", "TELEVISION", ("PAY_TV", "FREE_TV", "BASIC_TV")),
    ("Ancillary", "ANCILLARY", MEDIA_GROUPS["ANCILLARY"]),
    ("Marketing", "MARKETING", MEDIA_GROUPS["MARKETING"]),
    ("Derivative", "DERIVATIVE", MEDIA_GROUPS["DERIVATIVE"]),
)
"""The media taxonomy as one tree: every leaf under exactly one heading, the headings in
the order of their first leaf in the taxonomy (docs/semantics.md, "Media"). A heading
with a code is a built-in group (selectable whole by that code); the others are selected
as their leaves. The grid's column groups are these headings."""
assert sorted(leaf for _, _, leaves in MEDIA_TREE for leaf in leaves) == sorted(LEAVES)


@dataclass(frozen=True, slots=True)
class Choice:
    """One choice of a picker: what goes into the field, how it reads, and where it sits."""

    value: str  # written into the field (a code or an id)
    label: str  # what a person reads
    detail: str  # context: the code, a series, a group's members
    group: str  # the heading it is listed under
    depth: int = 0  # 1 for a leaf under its group in the media tree

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label,
            "detail": self.detail,
            "group": self.group,
            "depth": self.depth,
        }


def fold(text: str) -> str:
    """Case, accents and punctuation ignored: "Côte d'Ivoire" reads "cote d ivoire"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def rank(query: str, texts: Iterable[str]) -> int | None:
    """How well ``query`` (folded) matches the best of ``texts``: 0 the whole text, 1 its
    start, 2 a word's start, 3 every word inside; None no match. An empty query matches
    everything at 0."""
    if not query:
        return 0
    best: int | None = None
    for text in texts:
        found = rank_folded(query, fold(text))
        if found is not None:
            best = found if best is None else min(best, found)
    return best


def rank_folded(query: str, plain: str) -> int | None:
    """:func:`rank` of one text already folded."""
    if not query or plain == query:
        return 0
    if plain.startswith(query):
        return 1
    if f" {query}" in f" {plain}":
        return 2
    if all(word in plain for word in query.split()):
        return 3
    return None


def _members(mask: int, geography: Geography) -> str:
    codes = geography.format(mask)
    shown = ", ".join(codes[:6]) + (", …" if len(codes) > 6 else "")
    return f"{len(codes)} {'country' if len(codes) == 1 else 'countries'}: {shown}"


def media_choices(taxonomy: MediaTaxonomy, query: str) -> list[Choice]:
    """The media tree (all media, each heading with its leaves, then the other groups),
    filtered by ``query`` on codes and labels; a heading stays when a leaf under it
    matches, so a leaf is always read under its group."""
    wanted = fold(query)
    tree: list[Choice] = []
    if rank(wanted, ("ALL_MEDIA", "All media", "all")) is not None:
        tree.append(Choice("ALL_MEDIA", "All media", f"ALL_MEDIA · {len(LEAVES)} media", "Media"))
    for heading, code, leaves in MEDIA_TREE:
        value = code or ", ".join(leaves)
        head = Choice(value, heading, f"{code or 'group'} · {', '.join(leaves)}", "Media")
        matched = [
            Choice(leaf, LABELS[leaf], f"{leaf} · {heading}", "Media", depth=1)
            for leaf in leaves
            if rank(wanted, (leaf, LABELS[leaf], leaf.replace("_", " "))) is not None
        ]
        if rank(wanted, (heading, value, value.replace("_", " "))) is not None:
            matched = [
                Choice(leaf, LABELS[leaf], f"{leaf} · {heading}", "Media", depth=1)
                for leaf in leaves
            ]
        if matched:
            tree += [head, *matched] if len(leaves) > 1 else matched
    tree_codes = {code for _, code, _ in MEDIA_TREE if code} | {"ALL_MEDIA"}
    for name, mask in taxonomy.groups.items():
        if name in tree_codes:
            continue
        label = LABELS.get(name, name.replace("_", " ").title())
        if rank(wanted, (name, label, name.replace("_", " "))) is None:
            continue
        members = ", ".join(taxonomy.format(mask))
        where = "group" if name in MEDIA_GROUPS else "this book's group"
        tree.append(Choice(name, label, f"{name} · {where}: {members}", "Other groups"))
    return tree


def territory_choices(geography: Geography, query: str) -> list[Choice]:
    """WORLD, the trade's groups, the book's own groups, the M49 regions and the
    countries, by code or name, best match first (groups before countries at equal
    match)."""
    wanted = fold(query)
    found: list[tuple[int, int, str, Choice]] = []

    def offer(order: int, texts: Iterable[str], choice: Choice) -> None:
        matched = rank(wanted, texts)
        if matched is not None:
            found.append((matched, order, choice.label.casefold(), choice))

    offer(0, ("WORLD", "world", "all countries"), Choice("WORLD", "World", "WORLD", "Groups"))
    built = builtin_groups()
    for name in TERRITORY_GROUPS:
        label = name.replace("_", " ")
        offer(
            1,
            (name, label),
            Choice(name, label, f"trade group · {_members(built[name], geography)}", "Groups"),
        )
    for name, mask in sorted(geography.groups.items()):
        detail = f"this book's group · {_members(mask, geography)}"
        offer(1, (name,), Choice(name, name, detail, "Groups"))
    by_name, by_number = m49_regions()
    numbers = {name: number for number, name in by_number.items()}
    for name, mask in sorted(by_name.items()):
        if not mask:
            continue
        number = f"{numbers[name]:03d}" if name in numbers else ""
        label = name.replace("_", " ").title().replace(" And ", " and ").replace(" The ", " the ")
        detail = f"M49 region {number} · {_members(mask, geography)}"
        offer(2, (name, label, number), Choice(name, label, detail, "Regions"))
    for code in COUNTRY_BIT:
        name = country_name(code)
        offer(3, (code, name), Choice(code, name, code, "Countries"))
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found]


NAME_ORDER = {"name": 0, "original name": 1, "alternative name": 2, "id": 4}
"""At an equal match, a title found by its name comes before one found by its id."""
_FOLDED: dict[int, tuple[Catalog, list[tuple[Title, list[tuple[str, str, str]]]]]] = {}


def folded_names(catalog: Catalog) -> list[tuple[Title, list[tuple[str, str, str]]]]:
    """Every title with its names and ids (what, text, folded text), folded once per
    catalog: a picker asks at every keystroke, the catalog changes only with the book."""
    held = _FOLDED.get(id(catalog))
    if held is not None and held[0] is catalog:
        return held[1]
    rows = [
        (title, [(what, text, fold(text)) for what, text in names_of(title)])
        for title in catalog.titles.values()
    ]
    _FOLDED.clear()
    _FOLDED[id(catalog)] = (catalog, rows)
    return rows


def find_titles(
    catalog: Catalog, query: str, limit: int, allowed: set[str] | None = None
) -> tuple[int, list[FoundTitle]]:
    """(how many titles match, the best ``limit`` of them) by name, original or
    alternative name, id or external id, as the catalog search ranks them (the whole text,
    its start, a word's start, every word), without its close-spelling pass over every
    title: that runs only when nothing else matches, over the distinct names at once.
    Series context (the label) is made only for the titles answered."""
    wanted = fold(query)
    found: list[tuple[int, int, str, str, Title, str, str]] = []
    for title, names in folded_names(catalog):
        if allowed is not None and title.id not in allowed:
            continue
        best: tuple[int, int, str, str] | None = None
        for what, text, plain in names:
            if not wanted and what != "name":
                continue
            matched = rank_folded(wanted, plain)
            if matched is not None and (
                best is None or (matched, NAME_ORDER.get(what, 3)) < best[:2]
            ):
                best = (matched, NAME_ORDER.get(what, 3), what, text)
        if best is not None:
            found.append((*best[:2], fold(title.name), title.id, title, best[2], best[3]))
    if not found and len(wanted) >= 4:
        found = _close_spellings(catalog, wanted, limit, allowed)
    found.sort(key=lambda item: item[:4])
    answered = [
        FoundTitle(title, title_label(catalog, title), what, text)
        for *_, title, what, text in found[:limit]
    ]
    return len(found), answered


def _close_spellings(
    catalog: Catalog, wanted: str, limit: int, allowed: set[str] | None
) -> list[tuple[int, int, str, str, Title, str, str]]:
    """Titles whose name or id is spelt close to ``wanted`` ("crimsn river")."""
    by_text: dict[str, list[tuple[Title, str, str]]] = {}
    for title, names in folded_names(catalog):
        if allowed is None or title.id in allowed:
            for what, text, plain in names:
                by_text.setdefault(plain, []).append((title, what, text))
    near = difflib.get_close_matches(wanted, list(by_text), n=limit, cutoff=0.75)
    out: dict[str, tuple[int, int, str, str, Title, str, str]] = {}
    for place, plain in enumerate(near):
        for title, what, text in by_text[plain]:
            out.setdefault(title.id, (4, place, fold(title.name), title.id, title, what, text))
    return list(out.values())


def title_choices(found: Iterable[FoundTitle]) -> list[Choice]:
    """Titles as people know them: an episode under its series ("Kingdom · S1 E2")."""
    out = []
    for item in found:
        title = item.title
        parts = [title.kind] + ([str(title.year)] if title.year else []) + [title.id]
        if item.matched not in ("name", "id"):
            parts.append(f"{item.matched}: {item.text}")
        out.append(Choice(title.id, item.label, " · ".join(parts), "Titles"))
    return out


def party_choices(parties: Iterable[Party], query: str) -> list[Choice]:
    """Parties by name or id, best match first."""
    wanted = fold(query)
    found = []
    for party in parties:
        matched = rank(wanted, (party.name, party.id))
        if matched is not None:
            found.append(
                (matched, party.name.casefold(), Choice(party.id, party.name, party.id, "Parties"))
            )
    found.sort(key=lambda item: item[:2])
    return [item[2] for item in found]


def _refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


def visible_titles(service: Service, key: ApiKey) -> set[str] | None:
    """The titles a key is offered: None for every title, else (a key bound to a party)
    those its party's contracts name, with their members, as its catalog page lists."""
    _, party = Permissions.of(key).contract_party(None)
    if party is None:
        return None
    catalog = service.catalog()
    named = {
        ref for c in service.contracts(party=party) for item in c.rights for ref in item.titles
    }
    return {t for ref in named for t in catalog.expand([ref]) | {ref}}


def choices(
    service: Service, key: ApiKey, kind: str, query: str, limit: int
) -> tuple[int, list[Choice]]:
    """(how many choices match ``query``, the first ``limit`` of them)."""
    found: list[Choice]
    if kind == "titles":
        total, titles = find_titles(service.catalog(), query, limit, visible_titles(service, key))
        return total, title_choices(titles)
    if kind == "parties":
        found = party_choices(service.parties(), query)
    else:
        media, geography = service.vocabularies()
        if kind == "media":
            found = media_choices(media, query)
        else:
            found = territory_choices(geography, query)
    return len(found), found[:limit]


def add_picker_routes(
    app: FastAPI, service: Service, key_of: Callable[[Request], ApiKey | None]
) -> None:
    """``GET /ui/pick/{kind}``: the choices of a picker, as JSON."""

    @app.get("/ui/pick/{kind}", include_in_schema=False)
    def pick(request: Request, kind: str) -> JSONResponse:
        key = key_of(request)
        if key is None:
            return _refusal(401, "sign in first: /ui/login")
        try:
            Permissions.of(key).require("viewer")
        except Refused as refused:
            return _refusal(403, str(refused))
        if kind not in KINDS:
            return _refusal(404, f"a picker offers {', '.join(KINDS)}, not '{kind[:40]}'")
        query = request.query_params.get("q", "")
        if len(query) > MAX_QUERY:
            return _refusal(422, f"q may be at most {MAX_QUERY} characters")
        raw_limit = request.query_params.get("limit", str(LIMIT))
        if not (raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 3) or not (
            1 <= int(raw_limit) <= MAX_LIMIT
        ):
            return _refusal(422, f"limit is a whole number from 1 to {MAX_LIMIT}")
        limit = int(raw_limit)
        total, found = choices(service, key, kind, query.strip(), limit)
        return JSONResponse(
            {
                "kind": kind,
                "query": query,
                "total": total,
                "items": [c.to_json() for c in found],
            }
        )
