"""What the browser tests share: a real ``reelrights serve`` on loopback with the demo
data, Debian's Chromium driven by Playwright, signing in, screenshots, and axe-core.

axe-core comes from the ``axe-playwright-python`` package (a declared test dependency that
ships ``axe.min.js``): it is injected into the page from that file, so nothing is
downloaded when the tests run."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect, sync_playwright

from reelrights.service import Service

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("REELRIGHTS_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM = os.environ.get("REELRIGHTS_CHROMIUM", "/usr/bin/chromium")
ROLES = ("admin", "editor", "viewer")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def demo_site(folder: Path) -> Iterator[dict[str, str]]:
    """The demo book served on loopback: ``{"base": url, "admin"|"editor"|"viewer": key}``."""
    db = str(folder / "demo.db")
    reelrights = [sys.executable, "-m", "reelrights.cli.main"]
    subprocess.run(
        [*reelrights, "demo", "--db", db, "--titles", "300", "--contracts", "2000"],
        check=True,
        capture_output=True,
    )
    service = Service(db, actor="test setup")
    keys = {role: service.create_key(role)[1] for role in ROLES}
    service.close()
    port = _free_port()
    server = subprocess.Popen(
        [*reelrights, "serve", "--port", str(port), "--db", db],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "REELRIGHTS_DELIVER": "0"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:  # pragma: no cover - the server did not start
            server.kill()
            raise RuntimeError(server.stderr.read().decode() if server.stderr else "no server")
        yield {"base": base, "db": db, **keys}
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless (the tests fail, never skip, without it)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"the browser tests need Debian's chromium at {CHROMIUM} (.ci/run installs it)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


def signed_in(browser: Browser, site: dict[str, str], role: str, **options: Any) -> Page:
    """A new browser context signed in with the role's key, on the catalog."""
    settings: dict[str, Any] = {"viewport": {"width": 1366, "height": 900}, **options}
    context = browser.new_context(**settings)
    page = context.new_page()
    page.goto(site["base"] + "/ui/")
    expect(page).to_have_url(re.compile(r"/ui/login"))
    page.fill("#key", site[role])
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Catalog")
    return page


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def axe_source() -> str:
    """axe-core's script, as the ``axe-playwright-python`` package ships it."""
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of ``impacts`` on the page as it is now, one line each (rule,
    impact, help, and the first elements concerned)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    out = []
    for violation in result["violations"]:
        if violation.get("impact") not in impacts:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:4]]
        out.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{len(violation['nodes'])} elements, e.g. {'; '.join(targets)}]"
        )
    return out


def set_field(page: Page, name: str, value: str) -> None:
    """Set a form field by name, whether it is a select or a text field (with a picker)."""
    field = page.locator(f"[name='{name}']")
    if field.evaluate("e => e.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)
        field.press("Escape")


def fill_deal(page: Page, deal_id: str, licensee: str, **grant: str) -> None:
    """The deal form's id, walt-disney as licensor, ``licensee``, and the first grant's
    fields (``titles="star-wars-4", media="SVOD", ..., exclusive="yes"``)."""
    page.fill("input[name=id]", deal_id)
    set_field(page, "licensor", "walt-disney")
    set_field(page, "licensee", licensee)
    for name, value in grant.items():
        if name == "exclusive":
            page.check("input[name='grants-0-exclusive']")
        else:
            set_field(page, f"grants-0-{name}", value)
