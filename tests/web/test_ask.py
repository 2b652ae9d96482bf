"""The home page's *Can I sell …?* box: the question read as typed, the engine's answer
with every reason by name, and what is missing asked for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelrights.service import Service
from reelrights.web.app import create_site
from tests.store.test_service import BOOK


@pytest.fixture
def browser(tmp_path: Path) -> TestClient:
    service = Service(str(tmp_path / "ask.db"), actor="setup")
    service.load_texts([("book.yaml", BOOK)])
    client = TestClient(create_site(service), base_url="https://testserver", follow_redirects=False)
    assert (
        client.post("/ui/login", data={"key": service.create_key("viewer")[1]}).status_code == 303
    )
    return client


def said(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_the_home_page_asks_and_the_answer_says_why_not(browser: TestClient) -> None:
    assert 'action="/ui/ask"' in browser.get("/ui/home").text
    no = said(
        browser.get("/ui/ask", params={"q": "Can I sell A New Hope SVOD in China for 2016?"}).text
    )
    assert "✕ No: it is not available" in no
    assert "licensed exclusively to Tencent Video by tencent-online: SVOD in CN" in no
    assert "sold by The Walt Disney Company" in no  # the title's owner by default
    yes = said(browser.get("/ui/ask", params={"q": "a new hope svod Hong Kong 2016"}).text)
    assert "✓ Yes: it is available" in yes and "SVOD in HK, 2016-01-01 → 2016-12-31" in yes
    partly = said(browser.get("/ui/ask", params={"q": "A New Hope SVOD CN, HK 2016"}).text)
    assert "Only partly" in partly and "SVOD in HK" in partly and "tencent-online" in partly


def test_what_is_missing_is_asked_for(browser: TestClient) -> None:
    text = said(browser.get("/ui/ask", params={"q": "Hong Kong 2016"}).text)
    assert "which media?" in text and "which title?" in text and "when?" not in text
    assert (
        "nothing in the catalog is called &#39;Zorblax&#39;"
        in browser.get("/ui/ask", params={"q": "Zorblax SVOD HK 2016"}).text
    )
