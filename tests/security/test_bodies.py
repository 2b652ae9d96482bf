"""Issue 11 point 9: a request body is refused before it is read when the caller is not
signed in, is cut off at its limit whatever Content-Length says, and every text field
has a bounded length with a clear 422.

The application is driven directly over ASGI with a body that is produced lazily, so
the tests see how much of it the server pulled."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from reelrights.web.app import create_site
from tests.security.conftest import ORIGIN, Book

MB = 1024 * 1024
CHUNK = b"x" * (256 * 1024)


def send(
    book: Book,
    path: str,
    total: int,
    headers: dict[str, str],
    content_length: int | None = None,
) -> tuple[int, int, bytes]:
    """POST ``total`` bytes to ``path`` in 256 KiB chunks: (status, bytes the server
    pulled, response body)."""
    app = create_site(book.service)
    pulled = 0
    sent: list[dict[str, Any]] = []
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if content_length is not None:
        raw.append((b"content-length", str(content_length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *raw],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 443),
    }

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled >= total:
            return {"type": "http.disconnect"}
        pulled += len(CHUNK)
        return {"type": "http.request", "body": CHUNK, "more_body": pulled < total}

    async def respond(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, respond))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, pulled, body


JSON = {"Content-Type": "application/json"}


def test_point9_no_key_no_body_read(book: Book) -> None:
    status, pulled, _ = send(book, "/contracts", 48 * MB, JSON, content_length=48 * MB)
    assert status == 401
    assert pulled == 0
    status, pulled, _ = send(book, "/feeds", 48 * MB, {"Content-Type": "application/xml"})
    assert status == 401
    assert pulled == 0


def test_point9_a_body_over_the_limit_is_cut_off_whatever_its_length_says(book: Book) -> None:
    signed = {**JSON, "Authorization": f"Bearer {book.keys['admin']}"}
    # An honest Content-Length over the limit: refused before reading.
    status, pulled, body = send(book, "/contracts", 48 * MB, signed, content_length=48 * MB)
    assert status == 413 and pulled == 0
    assert "at most" in json.loads(body)["detail"]
    # No Content-Length (chunked): read up to the limit, then refused.
    status, pulled, _ = send(book, "/contracts", 48 * MB, signed)
    assert status == 413 and pulled <= 2 * MB
    # A Content-Length that lies: the same.
    status, pulled, _ = send(book, "/contracts", 48 * MB, signed, content_length=100)
    assert status in (400, 413) and pulled <= 2 * MB


def test_point9_web_forms_are_bounded_too(book: Book) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded", **ORIGIN}
    status, pulled, _ = send(book, "/ui/login", 48 * MB, form)
    assert status == 413 and pulled <= 2 * MB
    status, pulled, _ = send(book, "/ui/contracts", 48 * MB, form)
    assert status in (303, 401) and pulled == 0  # not signed in: off to the sign-in page


def test_point9_text_fields_have_bounded_lengths(book: Book) -> None:
    admin = book.api("admin")
    huge = "x" * 100_000
    ask = {
        "licensor": huge,
        "titles": ["sw4"],
        "media": ["SVOD"],
        "territories": ["CN"],
        "start": "2016-01-01",
    }
    answer = admin.post("/avails", json=ask)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "licensor"]
    assert "at most" in answer.json()["detail"][0]["msg"]
    assert len(answer.content) < 2000  # the value is not echoed back
    grant = {"titles": [huge], "media": ["SVOD"], "territories": ["CN"], "start": "2017-01-01"}
    created = admin.post("/contracts", json={"id": "c", "licensee": "tencent", "grants": [grant]})
    assert created.status_code == 422 and len(created.content) < 2000
    assert created.json()["detail"][0]["loc"] == ["body", "grants", 0, "titles", 0]
    query = admin.get("/contracts", params={"party": huge[:20_000]})
    assert query.status_code == 422 and len(query.content) < 2000
