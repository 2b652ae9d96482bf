"""The pickers where the contracts list, the grid, the calendar and the deal-news page ask
for a party, a title, media or territories, in a real browser (see browsing.py): a choice
writes the code into the field, and a name typed by hand is still sent and understood."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.web.browsing import signed_in
from tests.web.test_browser_extract import ARTICLE


def pick(page: Page, field: str, typed: str, option: str) -> None:
    """Type into the picker ``field`` and click the choice that says ``option``."""
    box = page.locator(f"#pick-{field}")
    box.fill("")
    box.type(typed)
    choice = page.locator(f"#pick-{field}-list [role=option]", has_text=option).first
    expect(choice).to_be_visible()
    choice.click()


def type_in(page: Page, field: str, text: str) -> None:
    """Type ``text`` into the picker ``field`` by hand and close its list, picking nothing."""
    box = page.locator(f"#pick-{field}")
    box.fill(text)
    box.press("Escape")


def test_the_contracts_filters_pick_parties_titles_and_territories(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "viewer")
    page.goto(demo["base"] + "/ui/contracts")
    pick(page, "licensee", "tencent", "Tencent Video")
    expect(page.locator("#pick-licensee")).to_have_value("tencent")
    pick(page, "territories", "hong", "Hong Kong")
    expect(page.locator("#pick-territories")).to_have_value("HK, ")
    type_in(page, "territories", "")  # Tencent licenses none in Hong Kong
    page.locator("#pick-media").type("svo")
    expect(page.locator("#pick-media-list [role=option]", has_text="SVOD").first).to_be_visible()
    type_in(page, "media", "")
    page.click("#contract-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"licensee=tencent"))
    rows = page.locator("#contracts tbody tr")
    expect(rows.first).to_be_visible()
    texts = rows.all_inner_texts()
    assert texts and all("Tencent Video" in text for text in texts), texts[:5]
    # free text: a name typed by hand is understood; a title picked by its name
    type_in(page, "licensee", "Tencent Video")
    pick(page, "title", "phantom", "Star Wars: Episode I")
    expect(page.locator("#pick-title")).to_have_value("star-wars-1")
    type_in(page, "territories", "")
    page.click("#contract-filters button[type=submit]")
    expect(page.locator("[role=alert]")).to_have_count(0)
    expect(page.locator("#pick-licensee")).to_have_value("Tencent Video")
    page.context.close()


def test_the_grid_picks_its_licensor_by_name(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "viewer")
    page.goto(demo["base"] + "/ui/grid")
    pick(page, "licensor", "walt", "The Walt Disney Company")
    expect(page.locator("#pick-licensor")).to_have_value("walt-disney")
    page.locator("#pick-title").fill("Star Wars: Episode IV - A New Hope")
    type_in(page, "territories", "Hong Kong")
    page.click("#grid-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Star Wars: Episode IV")
    expect(page.locator(".toolbar")).to_contain_text("walt-disney")
    # a licensor's name typed by hand is sent as typed and understood
    type_in(page, "licensor", "The Walt Disney Company")
    page.click("#grid-form button[type=submit]")
    expect(page.locator("button.cell[value='SVOD:HK']")).to_have_count(1)
    page.context.close()


def test_the_calendar_picks_a_party_and_a_title(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "viewer")
    page.goto(demo["base"] + "/ui/calendar?month=2016-01")
    pick(page, "party", "tencent", "Tencent Video")
    expect(page.locator("#pick-party")).to_have_value("tencent")
    pick(page, "title", "new hope", "Star Wars: Episode IV")
    expect(page.locator("#pick-title")).to_have_value("star-wars-4")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"party=tencent.*title=star-wars-4"))
    expect(page.locator("[role=alert]")).to_have_count(0)
    # a misspelt name says so, with the field kept as typed
    type_in(page, "party", "Tencnet Video")
    page.click("form.filters button[type=submit]")
    expect(page.locator("[role=alert]").first).to_contain_text("Tencnet Video")
    expect(page.locator("#pick-party")).to_have_value("Tencnet Video")
    page.context.close()


def test_the_deal_news_fields_are_pickers(chromium_browser: Browser, demo: dict[str, str]) -> None:
    page = signed_in(chromium_browser, demo, "editor")
    page.goto(demo["base"] + "/ui/extract")
    page.fill("#article", ARTICLE)
    page.click("#read")
    expect(page.locator("fieldset.deal")).to_have_count(3)
    pick(page, "deals-0-territories", "hong", "Hong Kong")
    expect(page.locator("#pick-deals-0-territories")).to_have_value("HK, ")
    pick(page, "deals-0-licensor", "tencent", "Tencent Video")
    expect(page.locator("#pick-deals-0-licensor")).to_have_value("tencent")
    # titles are a list separated by ";" (a name may hold a comma): a choice is appended
    titles = page.locator("#pick-deals-0-titles")
    titles.press("End")
    titles.type("; phantom")
    page.locator("#pick-deals-0-titles-list [role=option]", has_text="Episode I").first.click()
    expect(titles).to_have_value(re.compile(r"; star-wars-1; $"))
    page.context.close()
