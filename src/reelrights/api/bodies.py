"""Request bodies: who may send one, and how large it may be.

Every request body passes through :class:`BodyGuard` (ASGI middleware) on its way to
the routes. Before the first byte of a body is read, the guard asks the path's *gate*
whether the caller is signed in (a key in the ``Authorization`` header for the API, the
sign-in cookie for the web pages): a caller without a valid key is refused (401) before
the server reads, let alone buffers, what it sent. Then the body is counted as it
streams: a declared ``Content-Length`` over the path's limit is refused (413) before
reading, and a body without a length, or longer than it said, is cut off (413) at the
limit. Nothing is parsed before these checks.

Limits (bytes): :data:`MAX_FEED_BYTES` for Avails feeds and web uploads,
:data:`MAX_SALES_BYTES` for sales reports, :data:`MAX_SHEET_BYTES` for deal sheets sent as
JSON and exchange-rate files, :data:`MAX_BODY_BYTES` for every
other body (a contract, an avails question, a form).
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from typing import IO, Any

from fastapi import HTTPException, Request
from starlette.datastructures import Headers

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Gate = Callable[[Scope], Awaitable[None]]
"""Raises :class:`HTTPException` (401, 429) when the caller may not send a body."""

MAX_FEED_BYTES = 512 * 1024 * 1024
MAX_SHEET_BYTES = 64 * 1024 * 1024
MAX_BODY_BYTES = 1024 * 1024
MAX_SALES_BYTES = 256 * 1024 * 1024
SPOOL_BYTES = 8 * 1024 * 1024  # a spooled body past this goes to a temporary file
LIMITS = {
    "/feeds": MAX_FEED_BYTES,
    "/ui/upload": MAX_FEED_BYTES,
    "/sheets": MAX_SHEET_BYTES,
    "/sales": MAX_SALES_BYTES,  # a licensee's sales report, streamed into one import
    "/ui/sales": MAX_SALES_BYTES,
    "/fx": MAX_SHEET_BYTES,  # exchange rates: a few lines a day per currency pair
    "/ui/fx": MAX_SHEET_BYTES,
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def limit_of(path: str) -> int:
    """The largest body ``path`` accepts."""
    return LIMITS.get(path.rstrip("/") or "/", MAX_BODY_BYTES)


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the request body may be at most {limit} bytes")


async def spooled_body(request: Request, limit: int) -> IO[bytes]:
    """The request body in a temporary file, read as it streams: the first
    :data:`SPOOL_BYTES` in memory, the rest on disk, so a large upload (a sales report
    of a million lines) costs a bounded amount of memory. Past ``limit`` bytes it is
    refused (413) and what was read is dropped. The caller closes the file (it is
    positioned at its start)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise too_large(limit)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned)
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


class BodyGuard:
    """Sign-in before the body, and a size limit while it streams (see the module)."""

    def __init__(self, app: ASGIApp, gates: Callable[[str], Gate | None]) -> None:
        self.app = app
        self.gates = gates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = limit_of(path)
        declared = Headers(scope=scope).get("content-length")
        gate = self.gates(path)
        checked = False
        read = 0

        async def guarded() -> Message:
            # Raising HTTPException here reaches the route's error handling: FastAPI
            # re-raises it from the body parser, so the API answers JSON and the web UI
            # a page.
            nonlocal checked, read
            if not checked:
                checked = True
                if gate is not None:
                    await gate(scope)
                if declared is not None:
                    if not declared.strip().isdigit():
                        raise HTTPException(400, "Content-Length is not a number")
                    if int(declared) > limit:
                        raise too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, guarded, send)
