"""Money pages of the web UI: upload a sales report, a contract's statement for a period
(with its PDF and CSV), and the payments ledger. Who sees what is the service's decision
(docs/semantics.md rule 19): every call runs as the signed-in key."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import IO, Any

from fastapi import FastAPI, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from reelrights.domain.problems import InvalidInput, Problem
from reelrights.service import Acting, ApiKey, Service

Page = Callable[..., HTMLResponse]
MAX_UPLOAD = 256 * 1024 * 1024
MAX_RATES_UPLOAD = 64 * 1024 * 1024


def add_money_pages(
    app: FastAPI,
    service: Service,
    page: Page,
    signed_in: Callable[[Request], ApiKey],
    require: Callable[[ApiKey, str, str], None],
    same_origin: Callable[[Request], None],
) -> None:
    """Add ``/ui/sales`` (and its exchange-rate upload, ``/ui/fx``),
    ``/ui/contracts/{id}/statement`` and ``/ui/payments``."""

    def hidden(error: InvalidInput, contract_id: str) -> None:
        if any(p.message.startswith("unknown contract") for p in error.problems):
            raise HTTPException(404, f"no contract '{contract_id}'") from None

    @app.get("/ui/sales", response_class=HTMLResponse, include_in_schema=False)
    def sales_form(request: Request) -> HTMLResponse:
        key = signed_in(request)
        require(key, "editor", "import sales reports")
        return page(request, "sales.html", key, problems=[], result=None)

    @app.post("/ui/sales", response_class=HTMLResponse, include_in_schema=False)
    async def sales_upload(request: Request, file: UploadFile) -> HTMLResponse:
        key = signed_in(request)
        require(key, "editor", "import sales reports")
        same_origin(request)
        name = file.filename or "sales.csv"
        try:
            data = await _bounded(file, name, MAX_UPLOAD, "a report")
            with service.acting(Acting.of_key(key)):
                result = service.import_sales([(name, data)])
        except InvalidInput as error:
            return page(
                request,
                "sales.html",
                key,
                problems=error.problems,
                result=None,
                name=name,
                http_status=422,
            )
        return page(request, "sales.html", key, problems=[], result=result.to_json(), name=name)

    @app.post("/ui/fx", response_class=HTMLResponse, include_in_schema=False)
    async def rates_upload(request: Request, file: UploadFile) -> HTMLResponse:
        """Exchange rates from a file, as ``reelrights fx import``; the service decides
        who may (docs/semantics.md rule 15: whole-book data)."""
        key = signed_in(request)
        require(key, "editor", "import exchange rates")
        same_origin(request)
        name = file.filename or "rates.csv"
        try:
            data = await _bounded(file, name, MAX_RATES_UPLOAD, "a rates file")
            with service.acting(Acting.of_key(key)):
                stored = service.import_rates([(name, data)])
        except InvalidInput as error:
            return page(
                request,
                "sales.html",
                key,
                problems=[],
                result=None,
                rates_problems=error.problems,
                rates_name=name,
                http_status=422,
            )
        return page(
            request,
            "sales.html",
            key,
            problems=[],
            result=None,
            rates_stored=stored,
            rates_name=name,
        )

    def statement_of(key: ApiKey, contract_id: str, period: str) -> Any:
        try:
            with service.acting(Acting.of_key(key)):
                return service.statement(contract_id, period)
        except InvalidInput as error:
            hidden(error, contract_id)
            raise

    @app.get(
        "/ui/contracts/{contract_id}/statement",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def statement_page(request: Request, contract_id: str, period: str = "") -> HTMLResponse:
        key = signed_in(request)
        found, problems = None, []
        if period:
            try:
                found = statement_of(key, contract_id, period).to_json()
            except InvalidInput as error:
                problems = error.problems
        return page(
            request,
            "statement.html",
            key,
            contract_id=contract_id,
            period=period,
            statement=found,
            problems=problems,
            http_status=422 if problems else 200,
        )

    @app.get("/ui/contracts/{contract_id}/statement.{kind}", include_in_schema=False)
    def statement_file(request: Request, contract_id: str, kind: str, period: str) -> Response:
        key = signed_in(request)
        if kind not in ("pdf", "csv"):
            raise HTTPException(404, "a statement is a .pdf or a .csv")
        try:
            found = statement_of(key, contract_id, period)
        except InvalidInput as error:
            raise HTTPException(422, "; ".join(str(p) for p in error.problems)) from None
        return Response(
            service.render_statement(found, kind),
            media_type="application/pdf" if kind == "pdf" else "text/csv",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="statement-{contract_id}-{found.period.name}.{kind}"'
                )
            },
        )

    @app.get("/ui/payments", response_class=HTMLResponse, include_in_schema=False)
    def payments_page(
        request: Request, overdue: bool = False, party: str = "", today: str = ""
    ) -> HTMLResponse:
        key = signed_in(request)
        try:
            as_of = date.fromisoformat(today) if today else None
        except ValueError:
            raise HTTPException(422, f"'{today}' is not a date (YYYY-MM-DD)") from None
        with service.acting(Acting.of_key(key)):
            rows = [r.to_json() for r in service.ledger(party or None, overdue, as_of)]
        return page(
            request, "payments.html", key, rows=rows, overdue=overdue, party=party, as_of=today
        )


async def _bounded(file: UploadFile, name: str, limit: int, what: str) -> IO[bytes]:
    """The uploaded file (the form parser's spooled temporary file: its first megabyte in
    memory, the rest on disk), refused as an error on the file if it is over ``limit``
    bytes; it is read by the import from there, never whole into memory."""
    size = file.size
    if size is None:
        size = file.file.seek(0, os.SEEK_END)
    if size > limit:
        raise InvalidInput([Problem(f"{what} may be at most {limit} bytes", name)])
    await file.seek(0)
    return file.file
