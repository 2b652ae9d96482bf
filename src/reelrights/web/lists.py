"""The list pages: the catalog, the contracts list (with its CSV/XLSX export) and the
change log, each filtered, sorted and paged on the server and the database.

A list shows names, not codes: parties by name, titles as people know them (an episode
under its series), media and territories as groups where they match one. Page links keep
every filter; a page number and a page size replace "next" alone.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from reelrights.domain.contracts import STATUSES, Contract
from reelrights.domain.problems import InvalidInput
from reelrights.domain.titles import KINDS, Catalog, Title
from reelrights.service import PAGE_SIZES, TABLE_KINDS, ApiKey, ContractFilters, Service
from reelrights.service.names import title_label
from reelrights.service.permissions import Permissions

Page = Callable[..., HTMLResponse]
CONTRACT_COLUMNS = (
    ("id", "Contract"),
    ("titles", "Titles"),
    ("media", "Media"),
    ("territories", "Territories"),
    ("start", "From"),
    ("end", "To"),
    ("fee", "Fee"),
    ("licensor", "Licensor"),
    ("licensee", "Licensee"),
    ("status", "Status"),
    ("signed", "Signed"),
)
"""The contracts list's columns: (sort key, heading); each sorts the list."""
FILTER_FIELDS = tuple(ContractFilters.__dataclass_fields__)
SHOWN_TITLES = 3


def pages(total: int, size: int, offset: int) -> list[dict[str, Any]]:
    """Page links around the current page: the first, the last, two either side, and gaps
    (``None``) between; each ``{"number", "offset", "current"}``.

    >>> [p and p["number"] for p in pages(1000, 50, 250)]
    [1, None, 4, 5, 6, 7, 8, None, 20]
    """
    count = max(1, -(-total // size))
    current = min(offset // size, count - 1)
    wanted = sorted({0, count - 1, *range(max(0, current - 2), min(count, current + 3))})
    out: list[dict[str, Any]] = []
    for index, number in enumerate(wanted):
        if index and number != wanted[index - 1] + 1:
            out.append(None)  # type: ignore[arg-type]
        out.append({"number": number + 1, "offset": number * size, "current": number == current})
    return out


def money_text(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return ""
    return f"{amount:,.2f} {currency or ''}".strip()


class ContractView:
    """What the contracts list shows of a contract, by name."""

    def __init__(self, service: Service) -> None:
        state_media, state_geography = service.vocabularies()
        self.media, self.geography = state_media, state_geography
        self.catalog: Catalog = service.catalog()
        self.party_names = {p.id: p.name for p in service.parties()}

    def party(self, party_id: str | None) -> str:
        if party_id is None:
            return ""
        return self.party_names.get(party_id, party_id)

    def title(self, title_id: str) -> str:
        title = self.catalog.get(title_id)
        return title_label(self.catalog, title) if title is not None else title_id

    def row(self, contract: Contract) -> dict[str, Any]:
        titles = list(dict.fromkeys(t for g in contract.grants for t in g.titles))
        media = territories = 0
        for grant in contract.grants:
            media |= grant.media
            territories |= grant.territories
        starts = [g.start for g in contract.grants]
        ends = [g.end for g in contract.grants]
        fixed_starts = [s.day for s in starts if s is not None and s.day is not None]
        fixed_ends = [e.day for e in ends if e is not None and e.day is not None]
        if any(s is None for s in starts):
            start = "always"
        elif fixed_starts:
            start = min(fixed_starts).isoformat()
        else:
            start = str(starts[0]) if starts else ""
        if not contract.grants:
            end = ""
        elif any(e is None for e in ends):
            end = "open end"
        elif fixed_ends:
            end = max(fixed_ends).isoformat()
        else:
            end = str(ends[0])
        if contract.status == "terminated" and contract.terminated is not None:
            end = f"{end} (terminated {contract.terminated.isoformat()})"
        fee = contract.fee
        return {
            "id": contract.id,
            "titles": [(t, self.title(t)) for t in titles[:SHOWN_TITLES]],
            "more_titles": max(0, len(titles) - SHOWN_TITLES),
            "all_titles": ", ".join(self.title(t) for t in titles),
            "media": self.media.describe(media) if media else "",
            "territories": self.geography.describe(territories) if territories else "",
            "start": start,
            "end": end,
            "fee": money_text(fee.amount if fee else None, fee.currency if fee else None),
            "fee_amount": fee.amount if fee else None,
            "fee_currency": fee.currency if fee else "",
            "licensor": self.party(contract.licensor) or "(ownership)",
            "licensee": self.party(contract.licensee),
            "licensor_id": contract.licensor,
            "licensee_id": contract.licensee,
            "status": contract.status,
            "signed": contract.signed.isoformat() if contract.signed else "",
        }


def table_rows(view: ContractView, contracts: Iterable[Contract]) -> Iterator[list[Any]]:
    """The contracts list as a table: one row per contract, headings first."""
    yield [
        "contract",
        "titles",
        "media",
        "territories",
        "from",
        "to",
        "fee",
        "currency",
        "licensor",
        "licensee",
        "status",
        "signed",
    ]
    for contract in contracts:
        row = view.row(contract)
        yield [
            row["id"],
            row["all_titles"],
            row["media"],
            row["territories"],
            row["start"],
            row["end"],
            row["fee_amount"],
            row["fee_currency"],
            row["licensor"],
            row["licensee"],
            row["status"],
            row["signed"],
        ]


def field_diff(before: Any, after: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """What changed between two versions of a record, field by field: (field path, value
    before, value after); lists of records are compared item by item.

    >>> field_diff({"status": "executed", "fee": {"amount": 1}},
    ...            {"status": "terminated", "terminated": "2019-01-01", "fee": {"amount": 1}})
    [('status', 'executed', 'terminated'), ('terminated', None, '2019-01-01')]
    """
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[tuple[str, Any, Any]] = []
        for name in list(dict.fromkeys([*before, *after])):
            where = f"{path}.{name}" if path else str(name)
            out += field_diff(before.get(name), after.get(name), where)
        return out
    if (
        isinstance(before, list)
        and isinstance(after, list)
        and any(isinstance(item, dict) for item in [*before, *after])
    ):
        out = []
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else None
            new = after[index] if index < len(after) else None
            out += field_diff(old, new, f"{path}[{index + 1}]")
        return out
    return [(path or "(record)", before, after)]


def shown(value: Any) -> str:
    """A changed value as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(v)}" for k, v in value.items())
    return str(value)


def add_list_pages(app: FastAPI, service: Service, page: Page, signed: Any) -> None:
    """The catalog, the contracts list and its export, and the change log."""

    def contract_filters(key: ApiKey, request: Request) -> tuple[ContractFilters, dict[str, str]]:
        params = request.query_params
        typed = {name: params.get(name, "").strip()[:300] for name in FILTER_FIELDS}
        if typed["kind"] not in ("", "license", "ownership"):
            typed["kind"] = ""
        _, chosen = Permissions.of(key).contract_party(typed["party"] or None)
        typed["party"] = chosen or ""
        return ContractFilters(**typed), typed

    def sorting(request: Request) -> tuple[str, bool, int, int]:
        params = request.query_params
        sort = params.get("sort", "id")
        descending = params.get("order", "asc") == "desc"
        try:
            size = int(params.get("size", "50"))
            offset = int(params.get("offset", "0"))
        except ValueError:
            size, offset = 50, 0
        return sort, descending, size, max(0, offset)

    @app.get("/ui/contracts", response_class=HTMLResponse, include_in_schema=False)
    def contracts(request: Request, key: signed) -> HTMLResponse:
        filters, typed = contract_filters(key, request)
        sort, descending, size, offset = sorting(request)
        problems = []
        rows: list[dict[str, Any]] = []
        total = 0
        try:
            query = service.contract_query(filters, sort, descending, size, offset)
        except InvalidInput as error:
            problems = list(error.problems)
        else:
            total, found = service.contract_list(query)
            view = ContractView(service)
            rows = [view.row(c) for c in found]
            sort, size, offset = query.sort, query.limit, query.offset
        kept = {k: v for k, v in typed.items() if v}
        state = {**kept, "sort": sort, "order": "desc" if descending else "asc", "size": size}

        def link(**changes: Any) -> str:
            return "/ui/contracts?" + urlencode({**state, **changes})

        return page(
            request,
            "contracts.html",
            key,
            rows=rows,
            total=total,
            typed=typed,
            problems=problems,
            problem_fields={p.field or "": p for p in problems},
            parties=service.parties(),
            statuses=STATUSES,
            columns=CONTRACT_COLUMNS,
            sort=sort,
            descending=descending,
            size=size,
            sizes=PAGE_SIZES,
            offset=offset,
            pages=pages(total, size, offset),
            link=link,
            export=urlencode({**kept, "sort": sort, "order": state["order"]}),
        )

    @app.get("/ui/contracts.{kind}", include_in_schema=False)
    def contracts_file(request: Request, key: signed, kind: str) -> Response:
        if kind not in TABLE_KINDS:
            raise HTTPException(404, "the contracts list exports as .csv or .xlsx")
        filters, _ = contract_filters(key, request)
        sort, descending, _, _ = sorting(request)
        try:
            query = service.contract_query(filters, sort, descending)
        except InvalidInput as error:
            raise HTTPException(422, "; ".join(str(p) for p in error.problems)) from None
        view = ContractView(service)
        rows = table_rows(view, service.contract_rows(query))
        return StreamingResponse(
            service.table_stream(rows, kind, "contracts"),
            media_type=TABLE_KINDS[kind],
            headers={"Content-Disposition": f'attachment; filename="contracts.{kind}"'},
        )

    @app.get("/ui/changes", response_class=HTMLResponse, include_in_schema=False)
    def changes(request: Request, key: signed) -> HTMLResponse:
        Permissions.of(key).require_changes()
        params = request.query_params
        names = ("entity", "entity_id", "contract", "actor", "action", "key_id", "since", "until")
        typed = {name: params.get(name, "").strip()[:200] for name in names}
        if typed["contract"]:
            typed["entity"], typed["entity_id"] = "contract", typed["contract"]
        _, _, size, offset = sorting(request)
        problems = []
        items: list[Any] = []
        total = 0
        try:
            query = service.change_query(
                typed["entity"],
                typed["entity_id"],
                typed["actor"],
                typed["action"],
                typed["key_id"],
                typed["since"],
                typed["until"],
                size,
                offset,
            )
        except InvalidInput as error:
            problems = list(error.problems)
        else:
            total, items = service.change_list(query)
            size, offset = query.limit, query.offset
        actors, actions, entities = service.change_vocabulary()
        kept = {k: v for k, v in typed.items() if v and k != "contract"}
        state = {**kept, "size": size}

        def link(**changes: Any) -> str:
            return "/ui/changes?" + urlencode({**state, **changes})

        entries = [
            {
                "change": c,
                "diff": [
                    (field, shown(old), shown(new))
                    for field, old, new in field_diff(c.before, c.after)
                ]
                if c.before is not None and c.after is not None
                else [],
            }
            for c in items
        ]
        return page(
            request,
            "changes.html",
            key,
            entries=entries,
            total=total,
            typed=typed,
            problems=problems,
            actors=actors,
            actions=actions,
            entities=entities,
            size=size,
            sizes=PAGE_SIZES,
            offset=offset,
            pages=pages(total, size, offset),
            link=link,
        )

    @app.get("/ui/", response_class=HTMLResponse, include_in_schema=False)
    def catalog(
        request: Request,
        key: signed,
        q: str = "",
        kind: str = "",
        year: str = "",
        party: str = "",
        owner: str = "",
        offset: int = 0,
        size: int = 100,
    ) -> HTMLResponse:
        catalog_ = service.catalog()
        found = service.find_titles(q[:300], [kind] if kind in KINDS else ())
        labels = {f.title.id: f.label for f in found}
        titles = [f.title for f in found]
        # without a query: by label, an episode under its series, in number order
        if year.strip().isdigit():
            titles = [t for t in titles if t.year == int(year)]
        may = Permissions.of(key)
        _, chosen = may.contract_party(party or None)
        if chosen:
            covered = service.party_titles(chosen)
            titles = [t for t in titles if t.id in covered]
        if owner:
            owned = service.owned_titles(owner)
            titles = [t for t in titles if t.id in owned]
        size = size if size in PAGE_SIZES else 100
        offset = max(0, offset)
        shown_titles = titles[offset : offset + size]
        state = {
            k: v
            for k, v in {
                "q": q,
                "kind": kind,
                "year": year,
                "party": chosen or "",
                "owner": owner,
            }.items()
            if v
        }
        state["size"] = str(size)

        def link(**changes: Any) -> str:
            return "/ui/?" + urlencode({**state, **changes})

        parents = {t.id: catalog_.get(t.parent) if t.parent else None for t in shown_titles}
        return page(
            request,
            "catalog.html",
            key,
            titles=shown_titles,
            labels=labels,
            parents=parents,
            total=len(titles),
            offset=offset,
            page_size=size,
            size=size,
            sizes=PAGE_SIZES,
            q=q,
            kind=kind,
            year=year,
            party=chosen,
            owner=owner,
            parties=service.parties(),
            kinds=KINDS,
            pages=pages(len(titles), size, offset),
            link=link,
        )


def title_family(catalog: Catalog, title: Title) -> dict[str, Any]:
    """What a title page says of a title's place in the catalog: the series and season
    above it, the collections that hold it (or hold what is above it), and what it holds
    (a series its seasons, a season its episodes, a collection its members), by label."""
    above: list[Title] = []
    parent = catalog.get(title.parent) if title.parent else None
    while parent is not None and len(above) < 5:
        above.insert(0, parent)
        parent = catalog.get(parent.parent) if parent.parent else None
    collections = sorted(
        (
            found
            for ref in catalog.referents(title.id)
            if ref != title.id
            and (found := catalog.get(ref)) is not None
            and found.kind == "collection"
        ),
        key=lambda t: (_natural(t.name), t.id),
    )
    held: list[Title]
    if title.kind == "collection":
        held = [m for m in (catalog.get(i) for i in title.members) if m is not None]
    else:
        held = [t for t in catalog.titles.values() if t.parent == title.id]
        held.sort(key=lambda t: (_natural(title_label(catalog, t)), t.id))
    children = [(t, title_label(catalog, t)) for t in held]
    return {
        "label": title_label(catalog, title),
        "above": above,
        "collections": collections,
        "children": children[:500],
        "more_children": max(0, len(children) - 500),
    }


def _natural(text: str) -> tuple[Any, ...]:
    """A sort key that puts "E2" before "E10"."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text.casefold())
        if part
    )


__all__ = ["CONTRACT_COLUMNS", "add_list_pages", "field_diff", "pages", "title_family"]
