"""axe-core on the main pages, in a real browser against ``reelrights serve`` with the demo
data: no serious or critical violation (axe-core is the one the ``axe-playwright-python``
test dependency ships, injected from that file)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.web.browsing import axe_violations, shot, signed_in

PAGES = {
    "home": "/ui/home",
    "catalog": "/ui/",
    "grid": "/ui/grid?title=star-wars-saga&start=2016-01-01&end=2016-12-31",
    "grid-blank": "/ui/grid",
    "search": "/ui/search?licensor=walt-disney&media=SVOD&territories=Hong+Kong"
    "&start=2016-01-01&end=2016-12-31&match=overlap",
    "contracts": "/ui/contracts",
    "contract": "/ui/contracts/disney-tencent-star-wars",
    "title": "/ui/titles/star-wars-4",
    "deal-form": "/ui/contracts/new",
    "calendar": "/ui/calendar?month=2020-12",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_violation(
    chromium_browser: Browser, demo: dict[str, str], name: str
) -> None:
    page = signed_in(chromium_browser, demo, "editor")
    answer = page.goto(demo["base"] + PAGES[name])
    assert answer is not None and answer.status == 200
    assert axe_violations(page) == []
    page.context.close()


def test_no_violation_with_a_picker_open_a_cell_opened_and_a_deal_checked(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "editor")
    page.goto(demo["base"] + PAGES["grid"])
    page.locator("button.cell[value='SVOD:CN']").click()
    expect(page.locator("#detail-panel #detail")).to_be_visible()
    page.locator("#pick-territories").type("asia")
    expect(page.locator("#pick-territories-list")).to_be_visible()
    assert axe_violations(page) == []
    page.goto(demo["base"] + "/ui/contracts/new")
    page.fill("input[name=id]", "axe-check")
    page.fill("input[name='grants-0-titles']", "star-wars-4")
    page.fill("input[name='grants-0-media']", "SVODD")
    page.fill("input[name='grants-0-territories']", "HK")
    expect(page.locator("#check [data-check=problems]")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "36-axe-deal-form")
    page.context.close()
