"""The FastAPI application: authentication, request bodies, and the routes.

Every request but ``/health`` and ``/version`` carries ``Authorization: Bearer KEY``. Who
may do what (roles ``admin`` > ``editor`` > ``viewer``, keys bound to a party) is decided
by the service's permissions (:mod:`reelrights.service.permissions`), which the web UI
asks too: this module only turns its answers into HTTP. No key, a wrong key or a revoked
one: 401 (429 after too many wrong keys); a key without the right: 403; another party's
contract: 404, as if it did not exist. A request body is read only after its key is
checked, and only up to a limit (:mod:`reelrights.api.bodies`).
"""

import inspect
import io
import json
import logging
import os
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from pydantic_core import PydanticSerializationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from reelrights import __version__
from reelrights.api import schemas as s
from reelrights.api.bodies import BodyGuard, Gate, Scope
from reelrights.api.extract import add_routes as add_extract_routes
from reelrights.api.money import money_router
from reelrights.api.search import search_router
from reelrights.domain.contracts import Contract
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.service import Acting, ApiKey, RightsConflict, Service
from reelrights.service.permissions import NotFound, Permissions, Refused
from reelrights.service.signin import TooManyAttempts

log = logging.getLogger("reelrights.api")
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": s.ErrorOut, "description": "A body that is not JSON"},
    401: {"model": s.ErrorOut, "description": "No key, a wrong key or a revoked key"},
    403: {"model": s.ErrorOut, "description": "The key's role or party does not allow it"},
    413: {"model": s.ErrorOut, "description": "A request body over its limit"},
    422: {"model": s.ErrorOut, "description": "Bad input, with field-level messages"},
    429: {"model": s.ErrorOut, "description": "Too many wrong keys lately: wait Retry-After"},
}
OPEN_PATHS = frozenset({"/health", "/version", "/openapi.json", "/docs", "/redoc"})


def _problems(problems: list[Problem]) -> list[dict[str, Any]]:
    out = []
    for problem in problems:
        location: list[Any] = ["body"]
        field = problem.field or ""
        if problem.file and (problem.line or field.startswith(("/", "sheet "))):
            # a place in an uploaded feed: its name, line and XPath or sheet cell
            location += [problem.file]
            location += [problem.line] if problem.line else []
            location += [problem.field] if problem.field else []
        elif problem.field:
            location += [
                p for p in problem.field.replace("]", "").replace("[", ".").split(".") if p
            ]
        out.append({"loc": location, "msg": problem.message, "type": "value_error"})
    return out


def client_address(scope: Scope) -> str | None:
    """The address the request came from (a proxy's, behind one)."""
    client = scope.get("client")
    return str(client[0]) if client else None


def verified(service: Service, token: str, scope: Scope) -> ApiKey | None:
    """The key row for ``token``, or None; too many wrong keys lately: 429."""
    try:
        return service.verify_key(token, client=client_address(scope))
    except TooManyAttempts as refusal:
        raise HTTPException(
            429, str(refusal), headers={"Retry-After": str(refusal.retry_after)}
        ) from None


def _bearer_key(service: Service, scope: Scope, headers: Any) -> ApiKey:
    """The API key of a request (from its Authorization header), or 401."""
    state = scope.setdefault("state", {})
    if state.get("key") is not None:  # checked already, before its body was read
        key: ApiKey = state["key"]
        return key
    scheme, _, token = str(headers.get("authorization", "")).partition(" ")
    row = verified(service, token.strip(), scope) if scheme.lower() == "bearer" else None
    if row is None:
        raise HTTPException(
            401,
            "a valid API key is needed: Authorization: Bearer KEY",
            headers={"WWW-Authenticate": "Bearer"},
        )
    state["key"], state["key_id"] = row, row.id
    return row


def _key_of(request: Request) -> ApiKey:
    return _bearer_key(request.app.state.service, request.scope, request.headers)


def _role(needed: str) -> Callable[[Request], ApiKey]:
    def check(request: Request) -> ApiKey:
        key = _key_of(request)
        Permissions.of(key).require(needed)
        return key

    return check


XML_TYPE = "application/xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Viewer = Annotated[ApiKey, Depends(_role("viewer"))]
Editor = Annotated[ApiKey, Depends(_role("editor"))]
Admin = Annotated[ApiKey, Depends(_role("admin"))]
Limit = Annotated[int, Query(ge=1, le=1000)]
Filter = Annotated[str | None, Query(max_length=s.MAX_ID)]
PathId = Annotated[str, Path(max_length=s.MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]


def create_app(service: Service) -> FastAPI:
    """The application over one service (one database)."""
    app = FastAPI(
        title="reelrights",
        version=__version__,
        description="Media rights and licensing: who holds which rights, what is still "
        "available, and why not.",
    )
    app.state.service = service

    async def bearer_gate(scope: Scope) -> None:
        await run_in_threadpool(_bearer_key, service, scope, Headers(scope=scope))

    def gate_of(path: str) -> Gate | None:
        """Who may send a body to ``path``: the web UI adds its own gates (see
        ``app.state.gates``); every other path needs an API key."""
        if path in OPEN_PATHS:
            return None
        for prefix, gate in app.state.gates:
            if path.startswith(prefix):
                return gate  # type: ignore[no-any-return]
        return bearer_gate

    app.state.gates = []
    # Added before the logging middleware, so it sits inside it, next to the routes.
    app.add_middleware(BodyGuard, gates=gate_of)

    async def as_http(request: Request, error: HTTPException) -> Response:
        """Answer with the handler of HTTPException (the web UI's pages under /ui/)."""
        for kind in type(error).__mro__:
            handler = app.exception_handlers.get(kind)
            if handler is not None:
                answer = handler(request, error)
                return await answer if inspect.isawaitable(answer) else answer
        raise error  # pragma: no cover - FastAPI always registers one

    @app.exception_handler(Refused)
    async def _refused(request: Request, error: Refused) -> Response:
        return await as_http(request, HTTPException(403, str(error)))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, error: NotFound) -> Response:
        return await as_http(request, HTTPException(404, str(error)))

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, error: InvalidInput) -> JSONResponse:
        return JSONResponse({"detail": _problems(error.problems)}, status_code=422)

    @app.exception_handler(RightsConflict)
    async def _rejected(_: Request, error: RightsConflict) -> JSONResponse:
        return JSONResponse(error.to_json(), status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _unreadable(_: Request, error: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg")), "type": str(e.get("type"))}
            for e in error.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.middleware("http")
    async def _log(request: Request, call_next: Callable[[Request], Any]) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        if response.status_code == 405:
            # Starlette names only the first matching route's methods; list them all.
            allowed = sorted(
                {
                    m
                    for route in app.routes
                    if isinstance(route, APIRoute) and route.path_regex.match(request.url.path)
                    for m in route.methods or ()
                }
            )
            response.headers["Allow"] = ", ".join(allowed)
        log.info(
            json.dumps(
                {
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "key": request.scope.get("state", {}).get("key_id"),
                }
            )
        )
        return response

    def contract_for(key: ApiKey, contract_id: str) -> Contract:
        return service.readable_contract(key, contract_id)

    def contract_out(contract: Contract) -> dict[str, Any]:
        return service.render_contracts([contract])[0]

    # -- open ----------------------------------------------------------------------------

    @app.get("/health", response_model=s.HealthOut, tags=["service"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "book_version": service.store.peek_version()}

    @app.get("/version", response_model=s.VersionOut, tags=["service"])
    def version() -> dict[str, Any]:
        return {"name": "reelrights", "version": __version__}

    # -- parties and titles -----------------------------------------------------------------

    @app.get("/parties", response_model=s.PartyPage, responses=RESPONSES, tags=["catalog"])
    def parties(
        _: Viewer, q: Filter = None, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        found = [
            p for p in service.parties() if not q or q.lower() in (p.id + " " + p.name).lower()
        ]
        return {
            "total": len(found),
            "limit": limit,
            "offset": offset,
            "items": [{"id": p.id, "name": p.name} for p in found[offset : offset + limit]],
        }

    def title_out(title: Any) -> dict[str, Any]:
        return {
            "id": title.id,
            "name": title.name,
            "kind": title.kind,
            "year": title.year,
            "release": title.release,
            "parent": title.parent,
            "members": list(title.members),
            "external_ids": dict(title.external_ids),
        }

    @app.get("/titles", response_model=s.TitlePage, responses=RESPONSES, tags=["catalog"])
    def titles(
        _: Viewer,
        q: Filter = None,
        kind: Filter = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        found = service.find_titles(q or "", [kind] if kind else ())
        return {
            "total": len(found),
            "limit": limit,
            "offset": offset,
            "items": [
                {**title_out(f.title), "label": f.label, "matched": f.matched}
                for f in found[offset : offset + limit]
            ],
        }

    @app.get(
        "/titles/{title_id}",
        response_model=s.TitleDetail,
        responses={**RESPONSES, 404: {"model": s.ErrorOut}},
        tags=["catalog"],
    )
    def title(_: Viewer, title_id: PathId) -> dict[str, Any]:
        catalog = service.catalog()
        found = catalog.get(title_id)
        if found is None:
            raise HTTPException(404, f"no title '{title_id}'")
        children = sorted(t.id for t in catalog.titles.values() if t.parent == title_id)
        collections = sorted(t.id for t in catalog.titles.values() if title_id in t.members)
        return {**title_out(found), "children": children, "collections": collections}

    # -- contracts ------------------------------------------------------------------------

    @app.get("/contracts", response_model=s.ContractPage, responses=RESPONSES, tags=["contracts"])
    def contracts(
        key: Viewer,
        party: Filter = None,
        status: Filter = None,
        title: Filter = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        party, title = service.contract_filters(party, title)  # ids or names
        any_match, party = Permissions.of(key).contract_party(party)
        if not any_match:
            return {"total": 0, "limit": limit, "offset": offset, "items": []}
        total, page = service.contract_page(party, status, title, limit, offset)
        return {
            "total": total,
            "limit": limit,
            "offset": offset,
            "items": service.render_contracts(page),
        }

    @app.get(
        "/contracts/{contract_id}",
        response_model=s.ContractOut,
        responses={**RESPONSES, 404: {"model": s.ErrorOut}},
        tags=["contracts"],
    )
    def contract(key: Viewer, contract_id: PathId) -> dict[str, Any]:
        return contract_out(contract_for(key, contract_id))

    @app.get(
        "/contracts/{contract_id}/grants",
        response_model=list[dict[str, Any]],
        responses={**RESPONSES, 404: {"model": s.ErrorOut}},
        tags=["contracts"],
    )
    def grants(key: Viewer, contract_id: PathId) -> list[dict[str, Any]]:
        grants_out: list[dict[str, Any]] = contract_out(contract_for(key, contract_id)).get(
            "grants", []
        )
        return grants_out

    @app.get(
        "/contracts/{contract_id}/holdbacks",
        response_model=list[dict[str, Any]],
        responses={**RESPONSES, 404: {"model": s.ErrorOut}},
        tags=["contracts"],
    )
    def holdbacks(key: Viewer, contract_id: PathId) -> list[dict[str, Any]]:
        holdbacks_out: list[dict[str, Any]] = contract_out(contract_for(key, contract_id)).get(
            "holdbacks", []
        )
        return holdbacks_out

    def document(body: Any) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(body.model_dump_json(exclude_none=True))
        except (PydanticSerializationError, RecursionError):
            # the deal-sheet parser allows far less nesting (docs/deal-sheet.md, "Limits")
            raise InvalidInput(
                [Problem("the contract is nested too deeply to be a deal sheet", field="body")]
            ) from None
        return data

    @app.post(
        "/contracts",
        status_code=201,
        response_model=s.ContractOut,
        responses={**RESPONSES, 409: {"model": s.ConflictOut}},
        tags=["contracts"],
    )
    def create_contract(key: Editor, body: s.ContractIn) -> dict[str, Any]:
        with service.acting(Acting.of_key(key)):
            return contract_out(service.create_contract(document(body)))

    @app.put(
        "/contracts/{contract_id}",
        response_model=s.ContractOut,
        responses={**RESPONSES, 404: {"model": s.ErrorOut}},
        tags=["contracts"],
    )
    def update_contract(key: Editor, contract_id: PathId, body: s.ContractUpdate) -> dict[str, Any]:
        contract_for(key, contract_id)
        with service.acting(Acting.of_key(key)):
            return contract_out(service.update_draft(contract_id, document(body)))

    @app.post(
        "/contracts/{contract_id}/execute",
        response_model=s.ContractOut,
        responses={**RESPONSES, 404: {"model": s.ErrorOut}, 409: {"model": s.ConflictOut}},
        tags=["contracts"],
    )
    def execute(key: Editor, contract_id: PathId) -> dict[str, Any]:
        contract_for(key, contract_id)
        with service.acting(Acting.of_key(key)):
            return contract_out(service.execute(contract_id))

    @app.post(
        "/contracts/{contract_id}/terminate",
        response_model=s.ContractOut,
        responses={**RESPONSES, 404: {"model": s.ErrorOut}},
        tags=["contracts"],
    )
    def terminate(key: Editor, contract_id: PathId, body: s.TerminateIn) -> dict[str, Any]:
        contract_for(key, contract_id)
        with service.acting(Acting.of_key(key)):
            return contract_out(service.terminate(contract_id, body.date))

    # -- avails ----------------------------------------------------------------------------

    @app.post("/avails", response_model=s.AvailsOut, responses=RESPONSES, tags=["avails"])
    def avails(key: Viewer, body: s.AvailsIn) -> dict[str, Any]:
        Permissions.of(key).require_asking_as(body.licensor)
        request = service.request(
            body.licensor,
            body.titles,
            body.media,
            body.territories,
            body.start,
            body.end,
            body.languages,
            body.exclusive,
        )
        return service.redact_report(key, service.avails(request)).to_json()

    @app.post("/avails/grid", response_model=s.GridOut, responses=RESPONSES, tags=["avails"])
    def grid(key: Viewer, body: s.GridIn) -> dict[str, Any]:
        Permissions.of(key).require_asking_as(body.licensor)
        answer = service.grid(
            body.licensor,
            body.title,
            body.start,
            body.end,
            body.exclusive,
            body.match,
            body.min_days,
            body.media,
            body.territories,
        )
        return service.redact_grid(key, answer)

    app.include_router(search_router(service, _role("viewer"), RESPONSES))

    # -- sheets, export, changes -----------------------------------------------------------

    @app.post(
        "/sheets",
        status_code=201,
        response_model=s.LoadOut,
        responses={**RESPONSES, 409: {"model": s.ConflictOut}},
        tags=["sheets"],
    )
    def upload(key: Editor, body: s.SheetIn) -> dict[str, Any]:
        with service.acting(Acting.of_key(key)):
            result = service.load_texts([(body.filename, body.content)])
        return {
            "status": "loaded",
            "parties": result.parties,
            "titles": result.titles,
            "contracts": result.contracts,
            "groups": result.groups,
        }

    @app.post(
        "/feeds",
        status_code=201,
        response_model=s.ImportOut,
        responses={**RESPONSES, 409: {"model": s.ConflictOut}},
        tags=["avails feeds"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    XML_TYPE: {"schema": {"type": "string"}},
                    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
    )
    async def import_feed(
        key: Editor,
        request: Request,
        filename: Annotated[str, Query(min_length=1, max_length=300)] = "upload",
    ) -> dict[str, Any]:
        """Check a MovieLabs Avails XML feed or EMA spreadsheet (the request body) and
        import it, all or nothing."""
        Permissions.of(key).require_unbound("import Avails feeds")
        body = await request.body()  # at most MAX_FEED_BYTES: see api.bodies
        if not body:
            raise InvalidInput([Problem("the request body is empty: send the feed", field="body")])
        with service.acting(Acting.of_key(key)):
            result = await run_in_threadpool(service.import_feeds, [(filename, io.BytesIO(body))])
        return {"status": "imported", **result.to_json()}

    @app.get(
        "/export/avails",
        response_class=Response,
        responses={
            **RESPONSES,
            200: {"content": {XML_TYPE: {}, XLSX_TYPE: {}}},
        },
        tags=["avails feeds"],
    )
    def export_avails(
        key: Viewer,
        format: Annotated[Literal["xml", "xlsx"], Query()] = "xml",
        version: Annotated[str, Query(pattern=r"^2\.[0-9](\.[0-9])?$")] = "2.7",
    ) -> Response:
        """The book's licenses as Avails XML or an EMA workbook; what Avails cannot say is
        counted in the ``X-Not-Exportable`` header and listed in ``X-Not-Exportable-First``."""
        Permissions.of(key).require_unbound("export the whole book")
        exported = service.export_avails(format, version)
        headers = {
            "X-Not-Exportable": str(len(exported.not_exportable)),
            "Content-Disposition": f'attachment; filename="avails.{format}"',
        }
        if exported.not_exportable:
            # ids keep a pattern without control characters; a header never carries one
            first = "".join(c if " " <= c < "\x7f" else "?" for c in exported.not_exportable[0])
            headers["X-Not-Exportable-First"] = first[:200]
        return Response(
            exported.content,
            media_type=XML_TYPE if format == "xml" else XLSX_TYPE,
            headers=headers,
        )

    @app.get(
        "/export",
        response_class=Response,
        responses={**RESPONSES, 200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
        tags=["sheets"],
    )
    def export(key: Viewer) -> Response:
        """The whole book as one YAML deal sheet (errors are JSON, as everywhere)."""
        Permissions.of(key).require_unbound("export the whole book")
        return PlainTextResponse(service.export_sheet())

    @app.get("/changes", response_model=s.ChangePage, responses=RESPONSES, tags=["changes"])
    def changes(
        key: Admin,
        entity: Filter = None,
        entity_id: Filter = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        Permissions.of(key).require_changes()
        found = service.history(entity, entity_id, limit=None)
        page = found[offset : offset + limit]
        return {
            "total": len(found),
            "limit": limit,
            "offset": offset,
            "items": [c.to_json() for c in page],
        }

    app.include_router(money_router(service, _role), responses=RESPONSES)
    add_extract_routes(app, service, _role("viewer"), _role("editor"), RESPONSES)

    from reelrights.api.calendar import router as calendar_router
    from reelrights.api.events import router as events_router

    app.include_router(calendar_router)
    app.include_router(events_router)
    return app


def app_from_environment() -> FastAPI:
    """The application on ``REELRIGHTS_DB`` (what ``reelrights serve`` runs)."""
    logging.basicConfig(level=os.environ.get("REELRIGHTS_LOG", "INFO"), format="%(message)s")
    return create_app(Service(os.environ.get("REELRIGHTS_DB"), actor="api"))
