"""The deal form: what a contract carries (parties, signed date, money terms, grants,
holdbacks, options), checked against avails as it is typed, and saved as a draft.

The form is read into a deal-sheet document (docs/deal-sheet.md), so the service checks
and stores it exactly as it would a sheet; its problems come back on the fields they
concern, with human labels (:mod:`reelrights.web.problems`).
"""

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reelrights.domain.contracts import OPTION_KINDS
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.domain.terms import from_end, from_start
from reelrights.service import Acting, ApiKey, Service
from reelrights.web.problems import labelled

Page = Callable[..., HTMLResponse]
WARNING_WORDS = {
    "held-for-negotiation": "held for negotiation",
    "option": "under an option",
    "first-negotiation": "under a first-negotiation right",
    "first-refusal": "under a first-refusal right",
    "renewal": "under a renewal option",
}
"""A warning code of the engine in words (an unknown code is shown as its words)."""
REPORTING = ("monthly", "quarterly", "half-yearly", "yearly")
GROUPS = {
    "grants": ("titles", "media", "territories", "languages", "start", "end"),
    "holdbacks": ("titles", "media", "territories", "languages", "start", "end"),
    "options": ("kind", "holder", "titles", "media", "territories", "start", "end", "exercise_by"),
    "payments": ("due", "amount"),
}
"""The form's repeated rows and their inputs (``grants-0-media``, ``payments-1-due``)."""
MOST_ROWS = 200  # rows of one kind a form may post


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _count(form: Mapping[str, Any], group: str) -> int:
    try:
        # "grant_count" is what forms posted before holdbacks and options were added
        given = form.get(f"{group}_count") or (form.get("grant_count") if group == "grants" else 1)
        return max(0, min(MOST_ROWS, int(str(given or 1))))
    except ValueError:
        return 1


def rows_of(form: Mapping[str, Any], group: str) -> list[dict[str, str]]:
    """Every row of a repeated group as typed, empty ones included (to show again)."""
    return [
        {
            name: str(form.get(f"{group}-{index}-{name}", "") or "")
            for name in (*GROUPS[group], "exclusive", "sublicense")
        }
        for index in range(_count(form, group))
    ]


def _right(row: Mapping[str, str]) -> dict[str, Any]:
    right: dict[str, Any] = {
        "titles": _list(row["titles"]),
        "media": _list(row["media"]),
        "territories": _list(row["territories"]),
    }
    if row.get("languages", "").strip():
        right["languages"] = _list(row["languages"])
    if row["start"].strip():
        right["start"] = row["start"].strip()
    right["end"] = row["end"].strip() or None
    return right


RIGHT_INPUTS = ("titles", "media", "territories")


def _filled(row: Mapping[str, str], names: tuple[str, ...] = RIGHT_INPUTS) -> bool:
    return any(row[name].strip() for name in names)


def deal_document(form: Mapping[str, Any]) -> dict[str, Any]:
    """The deal form as a deal-sheet contract document; rows left empty are left out, and
    their positions kept out of the numbering (the service's problems name the rows as the
    document numbers them, so each row's index is kept in ``positions``)."""
    text = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    document: dict[str, Any] = {
        "id": text.get("id", ""),
        "licensor": text.get("licensor") or None,
        "licensee": text.get("licensee", ""),
    }
    positions: dict[str, list[int]] = {}
    for group in ("grants", "holdbacks", "options"):
        items = []
        for index, row in enumerate(rows_of(form, group)):
            if not _filled(row):
                continue
            item = _right(row)
            if group == "grants":
                item["exclusive"] = row["exclusive"] in ("on", "true", "1")
                item["sublicense"] = row["sublicense"] in ("on", "true", "1")
            if group == "options":
                item["kind"] = row["kind"].strip() or None
                item["holder"] = row["holder"].strip() or None
                item["exercise_by"] = row["exercise_by"].strip() or None
            items.append(item)
            positions.setdefault(group, []).append(index)
        if items or group == "grants":
            document[group] = items
    if text.get("signed"):
        document["signed"] = text["signed"]
    currency = text.get("currency", "").upper() or None
    if currency:
        document["currency"] = currency
    for name in ("fee", "minimum_guarantee"):
        if text.get(name):
            document[name] = {"amount": text[name], "currency": currency}
    payments = []
    for index, row in enumerate(rows_of(form, "payments")):
        if _filled(row, ("due", "amount")):
            payments.append({"due": row["due"].strip() or None, "amount": row["amount"] or None})
            positions.setdefault("payments", []).append(index)
    if payments:
        document["payments"] = payments
    if text.get("revenue_share"):
        document["revenue_share"] = text["revenue_share"]
    if text.get("reporting") and text["reporting"] != "quarterly":
        document["reporting"] = text["reporting"]
    document["_positions"] = positions
    return document


def sheet_of(document: dict[str, Any]) -> dict[str, Any]:
    """The document the service reads (without the form's bookkeeping)."""
    return {k: v for k, v in document.items() if not k.startswith("_")}


def add_deal_pages(
    app: FastAPI,
    service: Service,
    page: Page,
    signed: Any,
    require: Callable[[ApiKey, str], None],
    same_origin: Callable[[Request], None],
) -> None:
    """``/ui/contracts/new``, its live check and saving it as a draft (registered before
    ``/ui/contracts/{id}``, which would otherwise take ``new`` for an id)."""

    def form_page(
        request: Request,
        key: ApiKey,
        form: Mapping[str, Any],
        problems: list[Any],
        http_status: int = 200,
    ) -> HTMLResponse:
        found = [labelled(p, _positions_of(form)) for p in problems]
        rows = {group: rows_of(form, group) or [{}] for group in GROUPS}
        return page(
            request,
            "deal.html",
            key,
            parties=service.parties(),
            form=dict(form),
            problems=[p for p in found if p.input is None],
            field_problems={p.input: p for p in found if p.input is not None},
            grants=rows["grants"],
            holdbacks=rows["holdbacks"],
            options=rows["options"],
            payments=rows["payments"],
            option_kinds=OPTION_KINDS,
            reporting=REPORTING,
            http_status=http_status,
        )

    @app.get("/ui/contracts/new", response_class=HTMLResponse, include_in_schema=False)
    def deal_form(request: Request, key: signed, title: str = "") -> HTMLResponse:
        require(key, "editor")
        form = {"grants-0-titles": title[:300]} if title else {}
        return form_page(request, key, form, [])

    @app.post("/ui/contracts/check", response_class=HTMLResponse, include_in_schema=False)
    async def deal_check(request: Request, key: signed) -> HTMLResponse:
        """The live check of the deal form: each grant against avails, nothing stored."""
        require(key, "editor")
        same_origin(request)
        form = await request.form()
        document = deal_document(form)
        sheet = sheet_of(document)
        if not sheet["id"]:
            sheet["id"] = "draft-being-entered"
        problems: list[Problem] = []
        check = None
        if not sheet["grants"]:
            problems.append(Problem("add a grant: titles, media and territories"))
        else:
            try:
                # a new deal: a stored contract with the same id still counts against it
                with service.acting(Acting.of_key(key)):  # checks and redacts for the key
                    check = service.check_contract(sheet, new=True)
            except InvalidInput as error:
                problems = list(error.problems)
            if check is not None and check.problems:
                # an unknown title is a problem with the input, not a conflict
                problems, check = list(check.problems), None
        taken: list[Problem] = []
        if sheet["id"] != "draft-being-entered" and service.contract_id_taken(sheet["id"]):
            taken.append(
                Problem(f"the id '{sheet['id']}' is already taken; choose another", field="id")
            )
        media, geography = service.vocabularies()
        positions = document["_positions"]
        return page(
            request,
            "_check.html",
            key,
            check=check,
            problems=[labelled(p, positions) for p in problems],
            taken=[labelled(p, positions) for p in taken],
            document=sheet,
            party_names={p.id: p.name for p in service.parties()},
            box_media=lambda box: media.describe(box.media),
            box_territories=lambda box: geography.describe(box.territories),
            box_start=lambda box: from_start(box.start) or "always",
            box_end=lambda box: from_end(box.end) or "open end",
            warning_words=WARNING_WORDS,
        )

    @app.post("/ui/contracts", response_class=HTMLResponse, include_in_schema=False)
    async def create_draft(request: Request, key: signed) -> Response:
        require(key, "editor")
        same_origin(request)
        form = await request.form()
        try:
            with service.acting(Acting.of_key(key)):
                created = service.create_contract(sheet_of(deal_document(form)))
        except InvalidInput as error:
            return form_page(request, key, form, list(error.problems), http_status=422)
        return RedirectResponse(f"/ui/contracts/{created.id}", status_code=303)


def _positions_of(form: Mapping[str, Any]) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = deal_document(form)["_positions"]
    return positions


__all__ = ["WARNING_WORDS", "add_deal_pages", "deal_document"]
