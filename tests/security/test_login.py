"""Issue 11 point 5: repeated wrong secrets are slowed down, per client address and per
key id, and signing in or out is refused from another site."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reelrights import service as services
from reelrights.web.app import create_site
from tests.security.conftest import BASE, ORIGIN, Book


def wrong(book: Book, name: str) -> str:
    """The named key with a wrong secret (its key id stays right)."""
    key = book.keys[name]
    return key[:-6] + ("AAAAAA" if not key.endswith("AAAAAA") else "BBBBBB")


def test_point5_the_api_locks_out_an_address_that_keeps_guessing(book: Book) -> None:
    api = book.api()
    statuses = [
        api.get("/contracts", headers={"Authorization": f"Bearer rr_{i:012x}_{'x' * 32}"})
        for i in range(40)
    ]
    assert statuses[0].status_code == 401
    assert statuses[-1].status_code == 429
    assert int(statuses[-1].headers["Retry-After"]) > 0
    # Another address is not locked out by it.
    other = TestClient(create_site(book.service), base_url=BASE, client=("192.0.2.7", 5000))
    answer = other.get("/contracts", headers={"Authorization": f"Bearer {book.keys['admin']}"})
    assert answer.status_code == 200


def test_point5_a_key_id_is_locked_whatever_address_guesses_it(book: Book) -> None:
    service = book.service
    assert service.verify_key(book.keys["editor"], client="203.0.113.1") is not None
    for name in ("editor", "tencent"):
        guess = wrong(book, name)
        locked = False
        for i in range(40):
            try:
                assert service.verify_key(guess, client=f"198.51.100.{i}") is None
            except services.TooManyAttempts as refusal:
                assert refusal.retry_after > 0
                assert i >= 5  # a few mistakes are allowed
                locked = True
                break
        assert locked
    # The key id is locked for everyone, even with the right secret...
    with pytest.raises(services.TooManyAttempts):
        service.verify_key(book.keys["tencent"], client="203.0.113.9")
    # ...but a key this process has verified before is still recognised: a guesser
    # cannot lock out the key's holder.
    assert service.verify_key(book.keys["editor"], client="203.0.113.9") is not None


def test_point5_the_sign_in_page_locks_out_a_guesser(book: Book) -> None:
    browser = book.api()
    answers = [
        browser.post("/ui/login", data={"key": wrong(book, "admin")}, headers=ORIGIN)
        for _ in range(40)
    ]
    assert answers[0].status_code == 401
    assert answers[-1].status_code == 429
    assert "Too many" in answers[-1].text


def test_point5_signing_in_or_out_from_another_site_is_refused(book: Book) -> None:
    browser = TestClient(create_site(book.service), base_url=BASE, follow_redirects=False)
    evil = {"Origin": "https://evil.example"}
    signed = browser.post("/ui/login", data={"key": book.keys["admin"]}, headers=evil)
    assert signed.status_code == 403
    assert "set-cookie" not in signed.headers
    assert (
        browser.post("/ui/login", data={"key": book.keys["admin"]}, headers=ORIGIN).status_code
        == 303
    )
    out = browser.post("/ui/logout", headers=evil)
    assert out.status_code == 403
    assert "set-cookie" not in out.headers
    assert browser.get("/ui/contracts").status_code == 200  # still signed in
