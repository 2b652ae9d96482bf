"""Webhook subscriptions and the outbox (docs/semantics.md rule 22): admin keys only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from reelrights.api.app import RESPONSES, Admin
from reelrights.service import Service

router = APIRouter(tags=["events"])


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2000, description="http:// or https:// only")
    events: list[str] | None = Field(None, description="Event types; none: all.")
    secret: str | None = Field(
        None, min_length=16, max_length=200, description="Default: a new one, returned once."
    )


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str] | None
    created: str


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret: shown only in this answer.")


class EventOut(BaseModel):
    seq: int
    id: str
    type: str
    at: str
    data: Any


class DeliveryOut(BaseModel):
    webhook: str
    event: str
    type: str
    status: str
    attempts: int
    error: str | None


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.get("/webhooks", response_model=list[WebhookOut], responses=RESPONSES)
def list_webhooks(request: Request, _: Admin) -> list[dict[str, Any]]:
    """The subscriptions, never their secrets."""
    return [h.to_json() for h in _service(request).webhooks()]


@router.post("/webhooks", response_model=WebhookCreated, status_code=201, responses=RESPONSES)
def add_webhook(request: Request, _: Admin, body: WebhookIn) -> dict[str, Any]:
    """Subscribe a URL to change events from now on."""
    hook, secret = _service(request).add_webhook(body.url, body.events, body.secret)
    return {**hook.to_json(), "secret": secret}


@router.delete("/webhooks/{webhook_id}", status_code=204, responses=RESPONSES)
def remove_webhook(request: Request, _: Admin, webhook_id: str) -> Response:
    """Stop a subscription."""
    _service(request).remove_webhook(webhook_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=list[DeliveryOut], responses=RESPONSES)
def deliveries(
    request: Request,
    _: Admin,
    webhook: str | None = None,
    status: Literal["pending", "delivered", "dead"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Deliveries, newest event first (``dead``: the dead letters)."""
    return _service(request).deliveries(webhook, status, limit)


@router.get("/events", response_model=list[EventOut], responses=RESPONSES)
def events(
    request: Request,
    _: Admin,
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The outbox after ``seq``, oldest first: the same events the webhooks receive."""
    return [{"seq": e.seq, **e.to_json()} for e in _service(request).events(after, limit)]
