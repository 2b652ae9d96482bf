"""The webhooks page (admins): subscriptions, adding one (its secret shown once), removing
one, and the latest deliveries with the dead letters (docs/semantics.md rule 22)."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reelrights.domain.problems import InvalidInput
from reelrights.service import EVENT_TYPES, Acting, ApiKey, Service


def add_webhook_pages(
    app: FastAPI,
    service: Service,
    page: Callable[..., HTMLResponse],
    signed: Any,
    is_admin: Callable[[ApiKey], bool],
    same_origin: Callable[[Request], None],
) -> None:
    """``/ui/webhooks`` (GET, POST) and ``/ui/webhooks/ID/remove``."""

    def require(key: ApiKey) -> None:
        if not is_admin(key):
            raise HTTPException(403, f"a {key.role} key cannot manage webhooks")

    def show(request: Request, key: ApiKey, status: int = 200, **extra: Any) -> HTMLResponse:
        return page(
            request,
            "webhooks.html",
            key,
            http_status=status,
            webhooks=service.webhooks(),
            deliveries=service.deliveries(limit=50),
            types=EVENT_TYPES,
            **{"problems": [], "created": None, "url": "", **extra},
        )

    @app.get("/ui/webhooks", response_class=HTMLResponse, include_in_schema=False)
    def webhooks_page(request: Request, key: signed) -> HTMLResponse:
        require(key)
        return show(request, key)

    @app.post("/ui/webhooks", response_class=HTMLResponse, include_in_schema=False)
    def add(
        request: Request,
        key: signed,
        url: str = Form(""),
        events: list[str] | None = Form(None),
    ) -> HTMLResponse:
        require(key)
        same_origin(request)
        try:
            with service.acting(Acting.of_key(key)):
                hook, secret = service.add_webhook(url, events or None)
        except InvalidInput as error:
            return show(request, key, 422, problems=[str(p) for p in error.problems], url=url)
        return show(request, key, created={"id": hook.id, "url": hook.url, "secret": secret})

    @app.post("/ui/webhooks/{webhook_id}/remove", include_in_schema=False)
    def remove(request: Request, key: signed, webhook_id: str) -> Response:
        require(key)
        same_origin(request)
        try:
            with service.acting(Acting.of_key(key)):
                service.remove_webhook(webhook_id)
        except InvalidInput:
            raise HTTPException(404, f"no webhook '{webhook_id}'") from None
        return RedirectResponse("/ui/webhooks", status_code=303)
