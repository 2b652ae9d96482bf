"""Fixtures of the browser tests (see tests/web/browsing.py): one demo server for the
session, one per module for the modules that change the book, and a Chromium per module
(Playwright's sync API keeps an event loop running in the thread while it is open, which
later tests' ``asyncio.run`` could not share)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.web.browsing import chromium, demo_site


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with demo_site(tmp_path_factory.mktemp("demo-site")) as site:
        yield site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A demo server of the module's own, for tests that change the book (uploads, new
    deals, executions) and must not move what the session's ``demo`` shows others."""
    with demo_site(tmp_path_factory.mktemp("own-site")) as own:
        yield own


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser
