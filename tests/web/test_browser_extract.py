"""The *Deal news* page in a real browser (Debian's Chromium via Playwright, against a real
``reelrights serve``; see browsing.py): paste an article, see the proposed deal with
its words highlighted, correct a field, save as drafts, find them in the contracts list."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.web.browsing import shot, signed_in

ARTICLE = """\
Chinese video site Sohu paid USD 2.4 million for the streaming rights to Korean drama
"Moonlit Harbor", acquiring them from producer Kestrel Pictures.

Fremantle has closed a raft of sales for the drama "The Sound of Glass". RTL Nederland
picked up free TV rights in the Netherlands, while Yle acquired the series for Finland.
"""


def test_extract_correct_and_save_drafts(chromium_browser: Browser, site: dict[str, str]) -> None:
    page = signed_in(chromium_browser, site, "editor")
    page.click("nav >> text=Deal news")
    expect(page.locator("h1")).to_have_text("Deal news to draft deals")
    page.fill("#article", ARTICLE)
    page.click("#read")
    deals = page.locator("fieldset.deal")
    expect(deals).to_have_count(3)
    first = deals.nth(0)
    expect(first.locator("mark.f-licensee")).to_have_text("Sohu")
    expect(first.locator("mark.f-licensor")).to_have_text("Kestrel Pictures")
    expect(first.locator("mark.f-fee")).to_have_text("USD 2.4 million")
    expect(first.locator("mark.f-media")).to_have_text("streaming")
    expect(first.locator("input[name='deals-0-territories']")).to_have_value("")  # unknown
    third = deals.nth(2)
    expect(third.locator("input[name='deals-2-licensor']")).to_have_value("Fremantle")
    # a licensor and titles taken from the sentence before are marked there
    expect(third.locator("mark.f-licensor")).to_have_text("Fremantle")
    expect(third.locator("mark.f-titles")).to_have_text('"The Sound of Glass"')
    shot(page, "20-extract-proposed")
    # a person's correction: the article's next line would say China
    first.locator("input[name='deals-0-territories']").fill("CN")
    first.locator("select[name='deals-0-exclusive']").select_option("yes")
    deals.nth(2).locator("input[name='deals-2-keep']").uncheck()
    page.click("#save-drafts")
    expect(page).to_have_url(site["base"] + "/ui/contracts?status=draft")
    rows = page.locator("table.list tbody tr")
    expect(rows.filter(has_text="draft-sohu-moonlit-harbor")).to_have_count(1)
    expect(rows.filter(has_text="draft-rtl-nederland-the-sound-of-glass")).to_have_count(1)
    expect(rows.filter(has_text="draft-yle")).to_have_count(0)
    shot(page, "21-extract-saved-drafts")
    page.click("text=draft-sohu-moonlit-harbor")
    expect(page.locator("main")).to_contain_text("CN")
    page.context.close()
