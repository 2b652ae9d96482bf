"""Session fixtures of the browser tests (see tests/web/browsing.py): one demo server and
one Chromium for every module that asks for ``demo`` and ``chromium_browser``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.web.browsing import chromium, demo_site


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with demo_site(tmp_path_factory.mktemp("demo-site")) as site:
        yield site


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser
