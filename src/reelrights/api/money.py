"""Money routes: sales reports in, statements and the payments ledger out
(docs/semantics.md rules 14-19). Party scoping is the service's: a key bound to a party
sees only its own contracts' statements and payments, and reports only its own sales; a
contract it may not see answers 404 as if it did not exist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from reelrights.api.bodies import MAX_SALES_BYTES, MAX_SHEET_BYTES, spooled_body
from reelrights.api.schemas import ErrorOut
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.service import Acting, ApiKey, Service

DAY = r"^\d{4}-\d{2}-\d{2}$"


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contract: str = Field(min_length=1, max_length=200)
    amount: str = Field(min_length=1, max_length=40, description="In the contract currency.")
    date: str = Field(pattern=DAY, description="YYYY-MM-DD")
    note: str | None = Field(None, max_length=500)


def money_router(service: Service, role: Callable[[str], Callable[[Request], ApiKey]]) -> APIRouter:
    """The money routes over one service; ``role`` makes the key-checking dependency."""
    router = APIRouter(tags=["money"])
    viewer, editor = Depends(role("viewer")), Depends(role("editor"))

    def hidden_as_404(error: InvalidInput, contract_id: str) -> None:
        if any(p.message.startswith("unknown contract") for p in error.problems):
            raise HTTPException(404, f"no contract '{contract_id}'") from None

    @router.post("/sales")
    async def import_sales(
        request: Request,
        key: ApiKey = editor,
        filename: Annotated[str, Query(min_length=1, max_length=300)] = "sales.csv",
    ) -> dict[str, Any]:
        """Import one sales report (the request body, CSV or XLSX; ``filename`` says
        which by its suffix): matched and unmatched lines, all or nothing. The body is
        spooled to a temporary file as it arrives and the import reads it from there,
        so memory stays bounded whatever the report's size."""
        with await spooled_body(request, MAX_SALES_BYTES) as body:
            _refuse_empty(body, "the report")
            with service.acting(Acting.of_key(key)):
                result = await run_in_threadpool(service.import_sales, [(filename, body)])
        return result.to_json()

    @router.get("/sales/unmatched")
    def unmatched_sales(
        key: ApiKey = viewer,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
        licensee: Annotated[str | None, Query(max_length=200)] = None,
        reason: Annotated[str | None, Query(max_length=40)] = None,
    ) -> dict[str, Any]:
        """Stored unmatched sales lines with their reasons, one page (``limit`` lines
        from ``offset``) in the order they were reported: ``{"total", "limit", "offset",
        "items"}``; ``licensee`` and ``reason`` narrow the list. A key bound to a party
        sees only the lines that party reported."""
        with service.acting(Acting.of_key(key)):
            return service.unmatched_sales(limit, offset, licensee, reason)

    @router.post(
        "/fx",
        responses={403: {"model": ErrorOut, "description": "Not an editor, or a party's key"}},
    )
    async def import_rates(
        request: Request,
        key: ApiKey = editor,
        filename: Annotated[str, Query(min_length=1, max_length=300)] = "rates.csv",
    ) -> dict[str, Any]:
        """Import exchange rates (the request body, CSV or XLSX with the columns ``date,
        from, to, rate``: 1 FROM = rate TO), all or nothing, as ``reelrights fx import``
        does (docs/semantics.md rule 15). Whole-book data: editors with unbound keys."""
        with await spooled_body(request, MAX_SHEET_BYTES) as body:
            _refuse_empty(body, "the rates file")
            with service.acting(Acting.of_key(key)):
                stored = await run_in_threadpool(service.import_rates, [(filename, body)])
        return {"stored": stored}

    @router.get(
        "/contracts/{contract_id}/statements/{period}",
        responses={
            200: {"content": {"application/pdf": {}, "text/csv": {}}},
            404: {"model": ErrorOut, "description": "No such contract, or another party's"},
        },
    )
    def statement(
        contract_id: str,
        period: str,
        format: Annotated[Literal["json", "pdf", "csv"], Query()] = "json",
        key: ApiKey = viewer,
    ) -> Any:
        """A royalty statement: ``json`` (default), ``pdf`` or ``csv``."""
        try:
            with service.acting(Acting.of_key(key)):
                found = service.statement(contract_id, period)
        except InvalidInput as error:
            hidden_as_404(error, contract_id)
            raise
        if format == "json":
            return found.to_json()
        media = "application/pdf" if format == "pdf" else "text/csv"
        name = f"statement-{contract_id}-{found.period.name}.{format}"
        return Response(
            service.render_statement(found, format),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.get("/payments")
    def ledger(
        overdue: bool = False,
        party: str | None = None,
        today: Annotated[str | None, Query(pattern=DAY)] = None,
        key: ApiKey = viewer,
    ) -> dict[str, Any]:
        """Payables (fee instalments, statement dues) with paid, balance, days overdue."""
        try:
            as_of = date.fromisoformat(today) if today else None
        except ValueError:
            raise InvalidInput([Problem(f"'{today}' is not a date", field="today")]) from None
        with service.acting(Acting.of_key(key)):
            party = service.contract_filters(party, None)[0]  # an id or a name (rule 13)
            rows = service.ledger(party, overdue, as_of)
        return {"payables": [r.to_json() for r in rows]}

    @router.post(
        "/payments",
        status_code=201,
        responses={404: {"model": ErrorOut, "description": "No such contract, or another party's"}},
    )
    def record(body: PaymentIn, key: ApiKey = editor) -> dict[str, Any]:
        """Record a payment under a contract; beyond what is due it is credit."""
        try:
            with service.acting(Acting.of_key(key)):
                return service.record_payment(body.contract, body.amount, body.date, body.note)
        except InvalidInput as error:
            hidden_as_404(error, body.contract)
            raise

    return router


def _refuse_empty(body: IO[bytes], what: str) -> None:
    """Refuse an empty upload by name, and rewind a non-empty one for its reader."""
    if not body.read(1):
        raise InvalidInput([Problem(f"the request body is empty: send {what}", field="body")])
    body.seek(0)
