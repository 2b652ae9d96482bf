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


STAR_WARS = "/ui/grid?title=star-wars-saga&start=2016-01-01&end=2016-12-31"


def test_the_grid_groups_media_under_their_headings_and_counts_territories(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "viewer")
    page.goto(demo["base"] + STAR_WARS)
    headings = page.locator("table.grid tr.group-head th")
    expect(headings).to_have_text(
        ["Theatrical", "Online", "Home video", "Television", "Ancillary", "Marketing", "Derivative"]
    )
    expect(headings.nth(1)).to_have_attribute("colspan", "5")
    media = page.locator("table.grid thead tr:nth-child(2) th .vertical")
    expect(media).to_have_count(20)
    expect(media.nth(2)).to_have_text("EST")
    expect(media.nth(7)).to_have_text("PHYSICAL")
    # Eastern Asia: CN blocked for online media by Tencent, the others open; counted by
    # territory, not by cell
    region = page.locator("tr.region-head").filter(
        has=page.locator("button.toggle", has_text=re.compile(r"^Eastern Asia$"))
    )
    rows = page.locator(
        "#" + region.locator("button.toggle").get_attribute("aria-controls") + " tr"
    )
    summary = region.locator(".region-summary")
    expect(summary).to_contain_text(f"of {rows.count()} territories")
    assert "partly available" in (summary.get_attribute("aria-label") or "")
    # choose the media: a group whole, and a leaf
    page.locator("#pick-media").fill("ONLINE, PAY_TV")
    page.locator("#pick-media").press("Escape")
    page.click("#grid-form button[type=submit]")
    expect(headings).to_have_text(["Online", "Television"])
    expect(page.locator("table.grid thead tr:nth-child(2) th .vertical")).to_have_count(6)
    expect(page.locator("#pick-media")).to_have_value("ONLINE, PAY_TV")  # the form keeps it
    shot(page, "21-grid-media-chosen")
    page.context.close()


def test_a_cells_day_ranges_open_in_place_and_arrow_keys_move(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "viewer")
    page.goto(demo["base"] + STAR_WARS)
    page.evaluate("window.notReloaded = true")
    cell = page.locator("button.cell[value='SVOD:CN']")
    cell.scroll_into_view_if_needed()
    before = page.evaluate(
        "[window.scrollY, document.querySelector('table.grid').getBoundingClientRect().top]"
    )
    url = page.url
    cell.click()
    detail = page.locator("#detail-panel #detail")
    expect(detail).to_contain_text("SVOD in CN: day ranges")
    expect(detail.locator("a", has_text="disney-tencent-star-wars")).to_be_visible()
    after = page.evaluate(
        "[window.scrollY, document.querySelector('table.grid').getBoundingClientRect().top]"
    )
    assert after == before  # the grid did not move
    assert page.url == url and page.evaluate("window.notReloaded") is True  # no reload
    expect(cell).to_be_focused()
    expect(cell).to_have_attribute("aria-current", "true")
    shot(page, "22-grid-cell-in-place")
    # arrow keys: right to AVOD (the next column), down to the next territory, back up
    cell.press("ArrowRight")
    expect(page.locator("button.cell[value='AVOD:CN']")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(cell).to_be_focused()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.value")
    assert focused.startswith("SVOD:") and focused != "SVOD:CN"
    page.keyboard.press("ArrowUp")
    expect(cell).to_be_focused()
    page.keyboard.press("End")
    expect(page.locator("button.cell[value='SEQUEL:CN']")).to_be_focused()
    page.keyboard.press("Home")
    expect(page.locator("button.cell[value='THEATRICAL:CN']")).to_be_focused()
    # Enter on a cell opens its day ranges too
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(detail).to_contain_text("NON_THEATRICAL in CN: day ranges")
    assert page.evaluate("window.notReloaded") is True
    page.context.close()


def test_the_grid_remembers_the_range_asked_and_exports_the_matrix(
    chromium_browser: Browser, demo: dict[str, str], tmp_path
) -> None:
    import csv
    import io
    from pathlib import Path

    import openpyxl

    page = signed_in(chromium_browser, demo, "viewer")
    page.goto(demo["base"] + "/ui/grid")
    year = page.evaluate("new Date().getFullYear()")
    expect(page.locator("input[name=start]")).to_have_value(f"{year}-01-01")
    expect(page.locator("input[name=end]")).to_have_value(f"{year}-12-31")
    page.goto(demo["base"] + STAR_WARS + "&territories=CN,HK&media=ONLINE")
    # the next grid starts with the range asked last time
    page.goto(demo["base"] + "/ui/grid")
    expect(page.locator("input[name=start]")).to_have_value("2016-01-01")
    expect(page.locator("input[name=end]")).to_have_value("2016-12-31")
    page.locator("#pick-title").fill("star-wars-4")
    page.locator("#pick-title").press("Escape")
    page.locator("#pick-territories").fill("CN, HK")
    page.locator("#pick-territories").press("Escape")
    page.locator("#pick-media").fill("ONLINE")
    page.locator("#pick-media").press("Escape")
    page.click("#grid-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"start=2016-01-01"))
    with page.expect_download() as download:
        page.click("#export-matrix-csv")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0][3:] == ["Online"] * 5
    assert rows[1] == ["region", "territory", "country", "EST", "TVOD", "SVOD", "AVOD", "FVOD"]
    cn = next(r for r in rows if r[1] == "CN")
    assert cn[5].startswith("✕ unavailable; exclusive-license by disney-tencent-star-wars")
    hk = next(r for r in rows if r[1] == "HK")
    assert hk[3] == "✓ available"
    assert hk[5].startswith("✓H available, held for negotiation; held by hk-stream-star-wars-hold")
    with page.expect_download() as workbook:
        page.click("#export-matrix-xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(workbook.value.path()).read_bytes())).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:4] == ["region", "territory", "country", "EST"]
    with page.expect_download() as long_form:
        page.click("#export-long-csv")
    long_rows = list(csv.reader(io.StringIO(Path(long_form.value.path()).read_text())))
    assert long_rows[0][:4] == ["territory", "country", "medium", "status"]
    assert len(long_rows) == 1 + 2 * 5
    page.context.close()
