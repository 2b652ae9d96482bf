"""The pickers and the avails grid in a real browser (Debian's Chromium via Playwright)
against ``reelrights serve`` with the demo data."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.web.browsing import shot, signed_in


def test_pickers_offer_titles_media_and_territories_and_free_text_still_works(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "viewer")
    page.goto(demo["base"] + "/ui/search")
    territories = page.locator("#pick-territories")
    territories.fill("")
    territories.type("hong")
    listbox = page.locator("#pick-territories-list")
    expect(listbox).to_be_visible()
    expect(territories).to_have_attribute("aria-expanded", "true")
    expect(listbox.locator("[role=option]").first).to_contain_text("Hong Kong")
    territories.press("ArrowDown")
    expect(listbox.locator("[role=option]").first).to_have_attribute("aria-selected", "true")
    territories.press("Enter")
    expect(territories).to_have_value("HK, ")
    expect(listbox).to_be_hidden()
    # a list: the next choice is added after the comma; trade groups are offered whole
    territories.type("lat")
    option = listbox.locator("[role=option]", has_text="LATAM")
    expect(option).to_contain_text("trade group")
    option.click()
    expect(territories).to_have_value("HK, LATAM, ")
    # media: the grouped tree, a group chosen whole
    media = page.locator("#pick-media")
    media.fill("")
    media.type("onl")
    online = page.locator("#pick-media-list [role=option]", has_text="Online").first
    expect(online).to_be_visible()
    shot(page, "20-picker-media")
    online.click()
    expect(media).to_have_value("ONLINE, ")
    # titles with their series context, on the grid's form
    page.goto(demo["base"] + "/ui/grid")
    title = page.locator("#pick-title")
    title.type("episode 2")
    first = page.locator("#pick-title-list [role=option]").first
    expect(first).to_contain_text(re.compile(r" · S\d+ E2"))
    title.press("Escape")
    expect(page.locator("#pick-title-list")).to_be_hidden()
    # free text: a name typed by hand is sent as typed and understood
    title.fill("Star Wars: Episode IV - A New Hope")
    page.locator("#pick-territories").fill("Hong Kong")
    page.locator("#pick-territories").press("Escape")
    page.click("form.filters button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Star Wars: Episode IV")
    expect(page.locator("button.cell[value='SVOD:HK']")).to_have_count(1)
    page.context.close()
