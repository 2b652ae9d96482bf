"""The rights desk's question from the home page, the lists and the deal form's fields, in a
real browser (Debian's Chromium via Playwright) against ``reelrights serve`` with the demo
data. Screenshots of the main pages go to ``test-artifacts/`` (docs/ keeps copies)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.web.browsing import ARTIFACTS, fill_deal, shot, signed_in


def viewport_shot(page: Page, name: str) -> None:
    """What a person sees first of a long list (docs/ keeps these)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_can_i_sell_svod_in_hong_kong_for_2016_answered_from_home_in_three_actions(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "viewer")
    page.goto(demo["base"] + "/ui/home")  # where the user starts
    actions = 0
    # 1: type the question as it is said
    page.fill("#ask-q", "Can I sell Star Wars: Episode IV - A New Hope SVOD in Hong Kong for 2016?")
    actions += 1
    # 2: ask
    page.press("#ask-q", "Enter")
    actions += 1
    answer = page.locator("#answer")
    expect(answer).to_be_visible()
    expect(page.locator("#understood")).to_contain_text("media SVOD, territories Hong Kong")
    expect(page.locator("#understood")).to_contain_text("2016-01-01 → 2016-12-31")
    # the engine's answer: available, but held for negotiation from July (who, and until when)
    expect(answer).to_have_attribute("data-status", "available")
    expect(answer.locator("h2")).to_have_text("⚠ Yes, but look first")
    expect(page.locator("#look-first")).to_contain_text("held for negotiation")
    expect(page.locator("#look-first")).to_contain_text("SVOD in HK, 2016-07-01 → 2016-12-31")
    shot(page, "21-ask-hong-kong")
    assert actions <= 3
    # where it is not available, why: the same question for China, again from home
    page.goto(demo["base"] + "/ui/home")
    page.fill("#ask-q", "Star Wars: Episode IV - A New Hope SVOD China 2016")
    page.press("#ask-q", "Enter")
    expect(answer.locator("h2")).to_have_text("✕ No: it is not available")
    why = page.locator("#why-not")
    expect(why).to_contain_text("licensed exclusively to")
    expect(why).to_contain_text("disney-tencent-star-wars")
    shot(page, "22-ask-china")
    page.context.close()


def test_the_contracts_list_sorts_filters_pages_and_exports(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "viewer")
    page.goto(demo["base"] + "/ui/contracts")
    table = page.locator("#contracts")
    expect(table.locator("thead th")).to_have_text(
        [
            re.compile(r"Contract"),
            "Titles",
            "Media",
            "Territories",
            "From",
            "To",
            "Fee",
            "Licensor",
            "Licensee",
            "Status",
            "Signed",
        ]
    )
    # sort by fee, highest first: two clicks on the heading
    page.click("#contracts thead a[data-sort=fee]")
    expect(page.locator("#contracts th[aria-sort=ascending]")).to_contain_text("Fee")
    page.click("#contracts thead a[data-sort=fee]")
    expect(page.locator("#contracts th[aria-sort=descending]")).to_contain_text("Fee")
    fees = [
        float(t.split()[0].replace(",", ""))
        for t in table.locator("tbody td.num").all_inner_texts()
        if t.strip()
    ]
    assert fees and fees == sorted(fees, reverse=True)
    # filter: SVOD in Hong Kong, by names
    page.fill("#contract-filters input[name=media]", "SVOD")
    page.fill("#contract-filters input[name=territories]", "Hong Kong")
    page.click("#contract-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"territories=Hong\+Kong"))
    for cell in table.locator("tbody tr td:nth-child(4)").all_inner_texts():
        assert cell  # every contract left names territories (HK among them, by a group)
    # a bad filter is said on its field
    page.fill("#contract-filters input[name=media]", "SVODD")
    page.click("#contract-filters button[type=submit]")
    expect(page.locator("#problem-media")).to_contain_text("unknown medium 'SVODD'")
    # paging: 25 a page, then page 2
    page.goto(demo["base"] + "/ui/contracts?sort=id")
    page.click("nav.pager >> text=25")
    expect(table.locator("tbody tr")).to_have_count(25)
    first_page = table.locator("tbody tr td:first-child").all_inner_texts()
    page.locator("nav.pager").first.get_by_label("page 2", exact=True).click()
    expect(page.locator("nav.pager [aria-current=page]").first).to_have_text("2")
    second_page = table.locator("tbody tr td:first-child").all_inner_texts()
    assert len(second_page) == 25 and not set(first_page) & set(second_page)
    assert second_page == sorted(second_page) and first_page[-1] < second_page[0]
    page.goto(demo["base"] + "/ui/contracts?sort=fee&order=desc&size=25&offset=25")
    viewport_shot(page, "23-contracts-list")
    with page.expect_download() as download:
        page.click("text=CSV")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("contract,titles,media,territories")
    page.context.close()


def test_the_change_log_filters_and_shows_what_changed(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "admin")
    page.goto(demo["base"] + "/ui/changes")
    page.select_option("#change-filters select[name=action]", "create")
    page.click("#change-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"action=create"))
    rows = page.locator("#changes > tbody > tr")
    expect(rows.first).to_contain_text("create")
    page.locator("nav.pager").first.get_by_label("page 2", exact=True).click()
    expect(page.locator("nav.pager [aria-current=page]").first).to_have_text("2")
    viewport_shot(page, "24-change-log")
    page.context.close()


def test_the_catalog_lists_episodes_under_their_series_and_a_title_its_family(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "viewer")
    page.select_option("form[role=search] select[name=kind]", "episode")
    page.click("form[role=search] button")
    first = page.locator("#titles tbody tr td:first-child a").first
    expect(first).to_have_text(re.compile(r".+ · S\d+ E\d+"))
    first.click()
    expect(page.locator("#above")).to_contain_text("season")
    page.locator("#above a").first.click()  # up to the series: it lists what it contains
    expect(page.locator("#children li").first).to_be_visible()
    page.context.close()


def test_the_deal_form_fields_reach_the_draft_and_options_warn_in_words(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "editor")
    page.goto(demo["base"] + "/ui/contracts/new")
    fill_deal(
        page,
        "walt-disney-youku-hk-2031",
        "youku",
        titles="star-wars-4",
        media="SVOD",
        territories="HK",
        start="2031-01-01",
        end="2031-12-31",
    )
    page.fill("input[name=signed]", "2030-05-01")
    page.check("input[name='grants-0-sublicense']")
    expect(page.locator("#check [data-check=ok], #check [data-check=warning]")).to_have_count(1)
    # money: a fee in two instalments that do not add up is said on the schedule
    page.fill("input[name=currency]", "USD")
    page.fill("input[name=fee]", "1000000")
    page.fill("input[name='payments-0-due']", "2030-06-01")
    page.fill("input[name='payments-0-amount']", "400000")
    page.click("button.add-row[data-group=payments]")
    page.fill("input[name='payments-1-due']", "2030-09-01")
    page.fill("input[name='payments-1-amount']", "500000")
    expect(page.locator("#check")).to_contain_text("the payments add up to 900000")
    page.fill("input[name='payments-1-amount']", "600000")
    expect(page.locator("#check")).not_to_contain_text("the payments add up")
    # a holdback and an option, the option's deadline forgotten at first
    page.fill("input[name='holdbacks-0-titles']", "star-wars-4")
    page.fill("input[name='holdbacks-0-media']", "FREE_TV")
    page.fill("input[name='holdbacks-0-territories']", "HK")
    page.select_option("select[name='options-0-kind']", "first-refusal")
    page.select_option("select[name='options-0-holder']", "youku")
    page.fill("input[name='options-0-titles']", "star-wars-5")
    page.fill("input[name='options-0-media']", "SVOD")
    page.fill("input[name='options-0-territories']", "HK")
    page.click("#save")
    expect(page.locator("#problem-options-0-exercise_by")).to_have_text(
        "Option 1 · Exercise by: missing"
    )
    expect(page.locator("input[name='options-0-exercise_by']")).to_have_attribute(
        "aria-invalid", "true"
    )
    shot(page, "25-deal-form-problems")
    page.fill("input[name='options-0-exercise_by']", "2030-12-31")
    page.click("#save")
    expect(page.locator("h1")).to_contain_text("walt-disney-youku-hk-2031")
    main = page.locator("main")
    expect(main).to_contain_text("first-refusal")
    expect(main).to_contain_text("FREE_TV")
    page.context.close()
