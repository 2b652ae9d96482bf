"""The web UI: the catalog, a title's rights timeline, the avails grid, contracts with a
deal form checked live, uploads and the change log, served beside the REST API.

Pages are rendered on the server (Jinja2) with a little plain JavaScript for the live
deal check; no build step. A user signs in with an API key, kept in an http-only,
SameSite=Strict cookie; the key's role and party decide what each page shows and allows,
by asking the same permissions as the API (:mod:`reelrights.service.permissions`), and
every write is recorded under that key. Every form post, signing in and out included,
must come from these pages (Origin check); wrong keys are counted as in the API.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Form, HTTPException, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from reelrights.api.app import create_app, verified
from reelrights.api.bodies import Scope
from reelrights.domain.contracts import Contract
from reelrights.domain.problems import CodeError, InvalidInput, Problem
from reelrights.domain.terms import parse_date
from reelrights.service import (
    Acting,
    ApiKey,
    BackgroundDelivery,
    RightsConflict,
    Service,
    broker_from_environment,
)
from reelrights.service.permissions import Permissions
from reelrights.web.ask import add_ask_page
from reelrights.web.calendar import add_calendar_pages
from reelrights.web.charts import STATES, build_timeline
from reelrights.web.deals import add_deal_pages
from reelrights.web.events import add_webhook_pages
from reelrights.web.extract import add_extract_pages
from reelrights.web.grid import add_grid_pages, cell_buttons
from reelrights.web.home import add_home_page
from reelrights.web.lists import add_list_pages, title_family
from reelrights.web.money import add_money_pages
from reelrights.web.pickers import add_picker_routes
from reelrights.web.search import add_search_pages

HERE = Path(__file__).parent
COOKIE = "reelrights_key"


class NotSignedIn(Exception):
    """The page needs a key: go to the sign-in page."""


def cookie_key(service: Service, scope: Scope) -> ApiKey | None:
    """The key in the sign-in cookie, or None (429 after too many wrong keys). No cookie
    is no attempt: a visitor not yet signed in is sent to the sign-in page without
    counting as a wrong key (else a few visits would lock an address out)."""
    state = scope.setdefault("state", {})
    if state.get("key") is None:
        request = Request(scope)
        presented = request.cookies.get(COOKIE, "")
        if not presented:
            return None
        row = verified(service, presented, scope)
        if row is None:
            return None
        state["key"], state["key_id"] = row, row.id
    key: ApiKey = state["key"]
    return key


def signed_in(request: Request) -> ApiKey:
    """The key of the signed-in user (from the cookie), or off to the sign-in page."""
    key = cookie_key(request.app.state.web_service, request.scope)
    if key is None:
        raise NotSignedIn()
    return key


Signed = Annotated[ApiKey, Depends(signed_in)]


def _form_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]


def add_web(app: FastAPI, service: Service) -> FastAPI:
    """Add the web pages (under ``/ui``) and their static files to an API application."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(states=STATES)
    templates.env.filters["cell_buttons"] = cell_buttons
    app.mount("/ui/static", StaticFiles(directory=str(HERE / "static")), name="ui-static")

    app.state.web_service = service
    app.add_middleware(GZipMiddleware, minimum_size=2000)

    async def cookie_gate(scope: Scope) -> None:
        """A form or upload is read only from a signed-in user."""
        if await run_in_threadpool(cookie_key, service, scope) is None:
            raise HTTPException(401, "sign in first: /ui/login")

    # Signing in and out need no key; every other page body does (see api.bodies).
    app.state.gates[:0] = [("/ui/login", None), ("/ui/logout", None), ("/ui/", cookie_gate)]

    def require(key: ApiKey, role: str) -> None:
        Permissions.of(key).require(role)

    def same_origin(request: Request) -> None:
        """Forms post only from these pages (the cookie is SameSite=Strict as well)."""
        origin = request.headers.get("origin")
        cross = request.headers.get("sec-fetch-site") == "cross-site"
        if cross or (origin and origin.rstrip("/") != str(request.base_url).rstrip("/")):
            raise HTTPException(403, "cross-site form post refused")

    def page(
        request: Request, template: str, key: ApiKey | None, http_status: int = 200, **context: Any
    ) -> HTMLResponse:
        may = Permissions.of(key) if key is not None else None
        return templates.TemplateResponse(
            request,
            template,
            {
                "key": key,
                "can_edit": may is not None and may.has("editor"),
                "can_upload": may is not None and may.has("editor") and may.party is None,
                "is_admin": may is not None and may.may_read_changes(),
                "today": date.today(),
                **context,
            },
            status_code=http_status,
        )

    @app.exception_handler(HTTPException)
    async def _error_page(request: Request, error: HTTPException) -> Response:
        """Pages answer errors with a page; the API keeps its JSON."""
        if not request.url.path.startswith("/ui/"):
            return await http_exception_handler(request, error)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"key": None, "code": error.status_code, "message": error.detail},
            status_code=error.status_code,
        )

    @app.exception_handler(NotSignedIn)
    async def _to_login(request: Request, _: NotSignedIn) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/ui/login?{urlencode({'next': target})}", status_code=303)

    # -- signing in --------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse("/ui/", status_code=303)

    @app.get("/ui/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/ui/") -> HTMLResponse:
        return page(request, "login.html", None, next=next, error=None)

    @app.post("/ui/login", response_class=HTMLResponse, include_in_schema=False)
    def login(
        request: Request, key: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/ui/"
    ) -> Response:
        same_origin(request)
        try:
            row = verified(service, key.strip(), request.scope)
        except HTTPException as refusal:  # too many wrong keys lately
            return page(
                request,
                "login.html",
                None,
                next=next,
                error=f"Too many failed sign-ins from here: {refusal.detail}.",
                http_status=refusal.status_code,
            )
        if row is None:
            return page(
                request,
                "login.html",
                None,
                next=next,
                error="That key is not valid (or was revoked).",
                http_status=401,
            )
        host = (request.url.hostname or "").strip("[]")
        if request.url.scheme != "https" and host not in ("127.0.0.1", "localhost", "::1"):
            # Browsers keep a Secure cookie only over HTTPS or on loopback: say so rather
            # than send the user round in circles.
            return page(
                request,
                "login.html",
                None,
                next=next,
                error="Signing in needs HTTPS here: put reelrights behind a TLS proxy, or "
                "open it on 127.0.0.1.",
                http_status=400,
            )
        target = next if next.startswith("/ui/") else "/ui/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            key.strip(),
            httponly=True,
            secure=True,
            samesite="strict",
            path="/",
            max_age=12 * 3600,
        )
        return response

    @app.post("/ui/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        same_origin(request)
        response = RedirectResponse("/ui/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # -- catalog and titles ----------------------------------------------------------

    add_list_pages(app, service, page, Signed)

    @app.get("/ui/titles/{title_id}", response_class=HTMLResponse, include_in_schema=False)
    def title_page(request: Request, key: Signed, title_id: str) -> HTMLResponse:
        catalog_ = service.catalog()
        title = catalog_.get(title_id)
        if title is None:
            raise HTTPException(404, f"unknown title '{title_id}'")
        media, geography = service.vocabularies()
        may = Permissions.of(key)
        contracts = [c for c in service.contracts(title=title_id) if may.may_read(c)]
        mine = catalog_.expand([title_id]) | {title_id}
        items = []
        owners, chain = [], []
        for contract in contracts:
            if not (contract.in_force() or contract.status == "hold"):
                continue
            for grant in contract.grants:
                if not (catalog_.expand(grant.titles) & mine):
                    continue
                if contract.licensor is None:
                    owners.append((contract, grant))
                elif grant.sublicense:
                    chain.append((contract, grant))
                items.append(_bar(contract, grant, media, geography, holdback=False))
            for holdback in contract.holdbacks:
                if catalog_.expand(holdback.titles) & mine:
                    items.append(_bar(contract, holdback, media, geography, holdback=True))
        # a grant terminated before it began was never in force: nothing to draw
        items = [i for i in items if not (i["start"] and i["end"] and i["end"] < i["start"])]
        timeline = build_timeline(items, date.today())
        return page(
            request,
            "title.html",
            key,
            title=title,
            timeline=timeline,
            owners=owners,
            chain=chain,
            contracts=contracts,
            describe_media=media.describe,
            describe_territories=geography.describe,
            **title_family(catalog_, title),
        )

    # -- the avails grid (web/grid.py) ----------------------------------------------------

    add_grid_pages(app, service, page, Signed)
    add_calendar_pages(app, service, page, Signed)

    # -- contracts and the deal form ---------------------------------------------------

    def visible(key: ApiKey, contract_id: str) -> Contract:
        return service.readable_contract(key, contract_id)

    def contract_view(
        request: Request, key: ApiKey, contract_id: str, **extra: Any
    ) -> HTMLResponse:
        contract = visible(key, contract_id)
        sheet = service.contract_sheet(contract_id)
        return page(
            request,
            "contract.html",
            key,
            contract=contract,
            actions=Permissions.of(key).contract_actions(contract),
            sheet=sheet,
            history=service.history("contract", contract_id, limit=20),
            **extra,
        )

    add_deal_pages(app, service, page, Signed, require, same_origin)

    @app.get("/ui/contracts/{contract_id}", response_class=HTMLResponse, include_in_schema=False)
    def contract_page(request: Request, key: Signed, contract_id: str) -> HTMLResponse:
        return contract_view(request, key, contract_id)

    def act(request: Request, key: ApiKey, contract_id: str, run: Callable[[], Any]) -> Response:
        require(key, "editor")
        same_origin(request)
        visible(key, contract_id)
        try:
            with service.acting(Acting.of_key(key)):
                run()
        except RightsConflict as conflict:
            return contract_view(request, key, contract_id, conflict=conflict, http_status=409)
        except InvalidInput as error:
            return contract_view(
                request, key, contract_id, problems=error.problems, http_status=422
            )
        return RedirectResponse(f"/ui/contracts/{contract_id}", status_code=303)

    @app.post("/ui/contracts/{contract_id}/execute", include_in_schema=False)
    def execute(request: Request, key: Signed, contract_id: str) -> Response:
        return act(request, key, contract_id, lambda: service.execute(contract_id))

    @app.post("/ui/contracts/{contract_id}/terminate", include_in_schema=False)
    def terminate(
        request: Request, key: Signed, contract_id: str, on: Annotated[str, Form()] = ""
    ) -> Response:
        require(key, "editor")
        same_origin(request)
        try:
            day = parse_date(on) if on.strip() else None
        except CodeError as error:
            problem = Problem(str(error), field="terminate on")
            return contract_view(request, key, contract_id, problems=[problem], http_status=422)
        return act(request, key, contract_id, lambda: service.terminate(contract_id, day))

    # -- uploads and the change log ----------------------------------------------------

    @app.get("/ui/upload", response_class=HTMLResponse, include_in_schema=False)
    def upload_form(request: Request, key: Signed) -> HTMLResponse:
        require(key, "editor")
        Permissions.of(key).require_unbound("load deal sheets or feeds")
        return page(request, "upload.html", key, problems=[], result=None, conflict=None)

    @app.post("/ui/upload", response_class=HTMLResponse, include_in_schema=False)
    async def upload(request: Request, key: Signed, file: UploadFile) -> HTMLResponse:
        require(key, "editor")
        same_origin(request)
        Permissions.of(key).require_unbound("load deal sheets or feeds")
        name = file.filename or "upload"
        data = await file.read()
        result: dict[str, Any] | None = None
        try:
            with service.acting(Acting.of_key(key)):
                if name.lower().endswith((".yaml", ".yml", ".json")):
                    loaded = service.load_texts([(name, data.decode("utf-8", "replace"))])
                    result = {
                        "kind": "deal sheet",
                        "parties": loaded.parties,
                        "titles": loaded.titles,
                        "contracts": loaded.contracts,
                    }
                else:
                    imported = service.import_feeds([(name, io.BytesIO(data))])
                    summary = imported.to_json()
                    result = {
                        "kind": "Avails feed",
                        "avails": summary["avails"],
                        "transactions": summary["transactions"],
                        "titles": summary["titles"],
                        "contracts created": summary["contracts"]["created"],
                        "contracts updated": summary["contracts"]["updated"],
                        "warnings": len(summary["warnings"]),
                    }
        except InvalidInput as error:
            return page(
                request,
                "upload.html",
                key,
                problems=error.problems,
                result=None,
                conflict=None,
                name=name,
                http_status=422,
            )
        except RightsConflict as conflict:
            return page(
                request,
                "upload.html",
                key,
                problems=[],
                result=None,
                conflict=conflict,
                name=name,
                http_status=409,
            )
        return page(
            request, "upload.html", key, problems=[], result=result, conflict=None, name=name
        )

    add_search_pages(app, service, page, Signed)
    add_picker_routes(app, service, lambda request: cookie_key(service, request.scope))

    add_extract_pages(
        app,
        service,
        page,
        Signed,
        lambda key: Permissions.of(key).may_load(),
        same_origin,
    )

    add_webhook_pages(
        app,
        service,
        page,
        Signed,
        lambda key: Permissions.of(key).may_manage_webhooks(),
        same_origin,
    )

    add_home_page(app, service, page, Signed)
    add_ask_page(app, service, page, Signed)
    add_money_pages(
        app, service, page, signed_in, lambda key, role, _what: require(key, role), same_origin
    )
    return app


def _bar(
    contract: Contract, item: Any, media: Any, geography: Any, holdback: bool
) -> dict[str, Any]:
    start = item.start.day if item.start and item.start.day else None
    end = item.end.day if item.end and item.end.day else None
    # A terminated contract is in force until the day before its termination (as avails
    # answers): the bar stops there, and says so, when that is before its own end.
    terminated = None
    if contract.status == "terminated" and contract.terminated is not None:
        last_day = contract.terminated - timedelta(days=1)
        if end is None or last_day < end:
            end, terminated = last_day, contract.terminated
    owner = contract.licensor is None
    exclusive = getattr(item, "exclusive", False) or owner  # an owner holds exclusively
    party = contract.licensee if contract.licensor is not None else f"{contract.licensee} (owner)"
    label = (
        f"{contract.id}: {'holdback by ' + (contract.licensor or '') if holdback else party}, "
        f"{'exclusive' if exclusive else 'non-exclusive' if not holdback else ''} "
        f"{start or 'since always'} → {end or 'open end'}"
        + (" (hold)" if contract.status == "hold" else "")
        + (f", terminated {terminated}" if terminated else "")
    )
    return {
        "contract": contract.id,
        "licensee": contract.licensee if not owner else f"{contract.licensee} (owner)",
        "media": media.describe(item.media),
        "territories": geography.describe(item.territories),
        "start": start,
        "end": end,
        "exclusive": exclusive,
        "holdback": holdback,
        "owner": owner,
        "hold": contract.status == "hold",
        "terminated": terminated,
        "label": label,
    }


def create_site(service: Service) -> FastAPI:
    """The REST API with the web UI beside it (what ``reelrights serve`` runs)."""
    return add_web(create_app(service), service)


def site_from_environment() -> FastAPI:
    """What ``reelrights serve`` runs: the site, and a background deliverer of change
    events unless ``REELRIGHTS_DELIVER=0`` (alerts ``REELRIGHTS_ALERT_DAYS`` ahead, default
    ``30,7``), publishing them to the broker of ``REELRIGHTS_EVENTS`` too when one is set."""
    import logging

    logging.basicConfig(level=os.environ.get("REELRIGHTS_LOG", "INFO"), format="%(message)s")
    url = os.environ.get("REELRIGHTS_DB")
    site = create_site(Service(url, actor="web"))
    if os.environ.get("REELRIGHTS_DELIVER", "1") != "0":
        days = [
            int(d) for d in os.environ.get("REELRIGHTS_ALERT_DAYS", "30,7").split(",") if d.strip()
        ]
        background = BackgroundDelivery(
            Service(url, actor="deliverer"), days, broker_from_environment()
        )
        inner = site.router.lifespan_context

        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[Any]:
            background.start()
            try:
                async with inner(app) as state:
                    yield state
            finally:
                background.close()

        site.router.lifespan_context = lifespan
    return site


__all__ = ["add_web", "create_site", "site_from_environment"]
