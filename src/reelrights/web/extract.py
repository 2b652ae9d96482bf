"""The *Deal news* page (docs/semantics.md rule 23): paste or upload an article, see the
proposed deals with the words of each field highlighted in the article, correct them and
save them as draft contracts."""

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from reelrights.domain.problems import InvalidInput, Problem
from reelrights.service import Acting, ApiKey, ArticleDrafts, Service
from reelrights.service.extract import MAX_DEALS, MAX_EXTRACT_BODY
from reelrights.service.permissions import Permissions

# The fields a person checks, in the order the page shows them.
FIELDS = (
    "licensor",
    "licensee",
    "titles",
    "media",
    "territories",
    "exclusive",
    "fee",
    "start",
    "end",
)
Page = Callable[..., HTMLResponse]


def highlighted(drafts: ArticleDrafts, n: int) -> list[list[tuple[str, str | None]]]:
    """The sentences deal ``n`` was read from, in article order, each as (text, field or
    None) pieces: the words of every field marked, the first field winning where two
    overlap."""
    deal = drafts.extraction.deals[n]
    text = drafts.extraction.text
    marks = sorted(
        (start, end, name)
        for name, found in deal.evidence.items()
        if name != "sentence"
        for start, end in found
    )
    # the deal's sentence, the sentences that added to it, and those a field was taken
    # from (a licensor from a round of sales, titles named earlier)
    spans = sorted(
        {deal.sentence_span, *deal.evidence.get("sentence", ())}
        | {s for s in drafts.extraction.sentences if any(s[0] <= m[0] < s[1] for m in marks)}
    )
    out = []
    for first, last in spans:
        pieces: list[tuple[str, str | None]] = []
        at = first
        for start, end, name in marks:
            if start < at or start >= last or end > last:
                continue
            if start > at:
                pieces.append((text[at:start], None))
            pieces.append((text[start:end], name))
            at = end
        if at < last:
            pieces.append((text[at:last], None))
        out.append(pieces)
    return out


def deals_from_form(form: FormData) -> list[dict[str, Any]]:
    """The deals as corrected on the page, in rule 23's JSON form (unticked ones left out)."""
    try:
        count = min(int(str(form.get("deal_count") or 0)), MAX_DEALS)
    except ValueError:
        count = 0
    deals = []
    for i in range(count):

        def value(name: str, i: int = i) -> str:
            raw = form.get(f"deals-{i}-{name}")
            return raw.strip() if isinstance(raw, str) else ""

        if not value("keep"):
            continue
        exclusive = {"yes": True, "no": False}.get(value("exclusive"))
        amount, currency = value("fee_amount"), value("fee_currency")
        deals.append(
            {
                "licensor": value("licensor") or None,
                "licensee": value("licensee") or None,
                # separated by ";" (the picker's separator: a name may hold a comma) or a line
                "titles": [t.strip() for t in re.split(r"[;\n]", value("titles")) if t.strip()],
                "media": [m.strip() for m in value("media").split(",") if m.strip()] or None,
                "territories": [t.strip() for t in value("territories").split(",") if t.strip()]
                or None,
                "exclusive": exclusive,
                "fee": {"amount": amount, "currency": currency} if amount else None,
                "start": value("start") or None,
                "end": value("end") or None,
                "sentence": value("sentence"),
                "confidence": float(value("confidence") or 0) or None,
            }
        )
    return deals


def add_extract_pages(
    app: FastAPI,
    service: Service,
    page: Page,
    signed: Any,
    can_save: Callable[[ApiKey], bool],
    same_origin: Callable[[Request], None],
) -> None:
    """Register ``/ui/extract`` (read) and ``/ui/extract/save`` (store drafts)."""

    def review(
        request: Request,
        key: ApiKey,
        article: str,
        drafts: ArticleDrafts | None,
        deals: list[dict[str, Any]] | None = None,
        problems: list[Problem] | None = None,
        http_status: int = 200,
    ) -> HTMLResponse:
        shown = deals if deals is not None else (drafts.deals if drafts else [])
        return page(
            request,
            "extract.html",
            key,
            article=article,
            drafts=drafts,
            deals=shown,
            matched=drafts.matched if drafts else [],
            highlights=[highlighted(drafts, n) for n in range(len(drafts.deals))] if drafts else [],
            fields=FIELDS,
            problems=problems or [],
            can_save=can_save(key),
            http_status=http_status,
        )

    @app.get("/ui/extract", response_class=HTMLResponse, include_in_schema=False)
    def extract_form(request: Request, key: signed) -> HTMLResponse:
        return review(request, key, "", None)

    @app.post("/ui/extract", response_class=HTMLResponse, include_in_schema=False)
    async def extract(request: Request, key: signed) -> Response:
        same_origin(request)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_EXTRACT_BODY:
            raise HTTPException(413, "the article is too large: at most 100,000 bytes")
        form = await request.form(max_files=1, max_fields=5)
        upload = form.get("file")
        name = "article"
        data: bytes | str = str(form.get("article") or "")
        if isinstance(upload, UploadFile) and upload.filename:
            name = upload.filename
            data = await upload.read(MAX_EXTRACT_BODY)
        try:
            drafts = service.extract_article(data, name)
        except InvalidInput as error:
            text = data if isinstance(data, str) else ""
            return review(request, key, text, None, problems=error.problems, http_status=422)
        return review(request, key, drafts.extraction.text, drafts)

    @app.post("/ui/extract/save", include_in_schema=False)
    async def save(request: Request, key: signed) -> Response:
        same_origin(request)
        Permissions.of(key).require_load("save drafts")
        form = await request.form(max_files=0, max_fields=20 * MAX_DEALS + 10)
        deals = deals_from_form(form)
        article = str(form.get("article") or "")
        try:
            if not deals:
                raise InvalidInput([Problem("tick at least one deal to save", field="deals")])
            with service.acting(Acting.of_key(key)):
                service.save_drafts(deals)
        except InvalidInput as error:  # shown as corrected, without highlights
            return review(request, key, article, None, deals, error.problems, http_status=422)
        return RedirectResponse("/ui/contracts?status=draft", status_code=303)
