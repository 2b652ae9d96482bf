"""The web UI never says what the engine does not, tested in a real browser (Debian's
Chromium via Playwright) against ``reelrights serve`` with the demo data: a terminated
contract drawn only to its termination, every warning of the deal check, problems in place
with human labels, a taken id never checked as a false green, only the actions that apply,
and a held cell that says what lies underneath."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.web.browsing import fill_deal, set_field, shot, signed_in


def test_a_terminated_contract_is_drawn_to_its_termination_and_offers_no_action(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "editor")
    page.goto(demo["base"] + "/ui/contracts/new")
    fill_deal(
        page,
        "sw4-nz-free-tv",
        "youku",
        titles="star-wars-4",
        media="FREE_TV",
        territories="NZ",
        start="2030-01-01",
        end="2034-12-31",
        exclusive="on",
    )
    expect(page.locator("#check [data-check=ok]")).to_contain_text("can be executed")
    page.click("#save")
    expect(page.locator("h1")).to_contain_text("sw4-nz-free-tv")
    # a draft: execute, nothing else
    expect(page.locator("#execute")).to_be_visible()
    expect(page.locator("#terminate")).to_have_count(0)
    page.click("#execute")
    expect(page.locator("h1 .status")).to_have_text("executed")
    # executed: terminate, never execute again
    expect(page.locator("#execute")).to_have_count(0)
    page.fill("input[name=on]", "2032-01-01")
    page.click("#terminate")
    expect(page.locator("h1 .status")).to_have_text("terminated")
    expect(page.locator("main")).to_contain_text("terminated 2032-01-01")
    # terminated: it is over, nothing to offer
    expect(page.locator("#execute")).to_have_count(0)
    expect(page.locator("#terminate")).to_have_count(0)
    expect(page.get_by_label("Terminate on")).to_have_count(0)
    shot(page, "30-contract-terminated")
    # the timeline draws it to the day before its termination, and says so
    page.goto(demo["base"] + "/ui/titles/star-wars-4")
    bar = page.locator("figure.timeline a[href='/ui/contracts/sw4-nz-free-tv']")
    expect(bar.locator("rect title")).to_contain_text("2030-01-01 → 2031-12-31")
    expect(bar.locator("rect title")).to_contain_text("terminated 2032-01-01")
    expect(bar.locator(".termlabel")).to_have_text("✕ terminated 2032-01-01")
    rect = bar.locator("rect").bounding_box()
    mark = bar.locator(".termination line").bounding_box()
    assert rect and mark and abs(rect["x"] + rect["width"] - mark["x"]) < 3
    shot(page, "31-timeline-terminated")
    page.context.close()


def test_the_deal_check_shows_a_hold_as_a_warning_never_a_plain_green(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "editor")
    page.goto(demo["base"] + "/ui/contracts/new")
    # Hong Kong SVOD for Episode IV is held for negotiation by hk-stream from 2016-07-01
    fill_deal(
        page,
        "youku-sw4-hk-check",
        "youku",
        titles="star-wars-4",
        media="SVOD",
        territories="HK",
        start="2016-08-01",
        end="2016-08-31",
    )
    warning = page.locator("#check [data-check=warning]")
    expect(warning).to_contain_text("look first")
    expect(warning.locator("[data-warning=held-for-negotiation]")).to_contain_text(
        "held for negotiation"
    )
    expect(warning.locator("a", has_text="hk-stream-star-wars-hold").first).to_be_visible()
    expect(page.locator("#check [data-check=ok]")).to_have_count(0)
    shot(page, "32-deal-hold-warning")
    page.context.close()


def test_problems_show_in_place_with_human_labels(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "editor")
    page.goto(demo["base"] + "/ui/contracts/new")
    fill_deal(
        page,
        "youku-typo-check",
        "youku",
        titles="star-wars-4",
        media="SVODD",
        territories="HK",
        start="2017-08-01",
        end="2017-08-31",
    )
    problems = page.locator("#check [data-check=problems]")
    expect(problems).to_contain_text("Grant 1 · Media: unknown medium 'SVODD' — did you mean SVOD")
    expect(problems).not_to_contain_text("contracts[0]")
    media = page.locator("input[name='grants-0-media']")
    expect(media).to_have_attribute("aria-invalid", "true")
    note = page.locator("#" + (media.get_attribute("aria-describedby") or "none"))
    expect(note).to_contain_text("unknown medium 'SVODD'")
    # an unknown title: its own label, on the titles field; never an empty conflict
    set_field(page, "grants-0-media", "SVOD")
    set_field(page, "grants-0-titles", "star-wars-99")
    expect(problems).to_contain_text("Grant 1 · Titles: unknown title 'star-wars-99'")
    expect(page.locator("input[name='grants-0-titles']")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#check [data-check=conflict]")).to_have_count(0)
    shot(page, "33-deal-problems-in-place")
    page.context.close()


def test_an_existing_contract_id_is_taken_at_once_and_never_a_false_green(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "editor")
    page.goto(demo["base"] + "/ui/contracts/new")
    # the id of Tencent's exclusive China deal, for a grant that collides with that deal
    fill_deal(
        page,
        "disney-tencent-star-wars",
        "youku",
        titles="star-wars-4",
        media="SVOD",
        territories="CN",
        start="2016-06-01",
        end="2016-06-30",
        exclusive="on",
    )
    taken = page.locator("#check [data-field=id]")
    expect(taken).to_contain_text("the id 'disney-tencent-star-wars' is already taken")
    conflict = page.locator("#check [data-check=conflict]")
    expect(conflict).to_contain_text("disney-tencent-star-wars")
    expect(page.locator("#check [data-check=ok]")).to_have_count(0)
    expect(page.locator("input[name=id]")).to_have_attribute("aria-invalid", "true")
    shot(page, "34-deal-id-taken")
    page.context.close()


def test_a_held_cell_says_it_is_available_underneath_who_holds_it_and_until_when(
    chromium_browser: Browser, demo: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, demo, "viewer")
    page.goto(demo["base"] + "/ui/grid?title=star-wars-4&start=2016-01-01&end=2016-12-31")
    cell = page.locator("button.cell[value='SVOD:HK']")
    expect(cell).to_have_class("cell held")
    expect(cell).to_have_text("✓H")
    expect(cell).to_have_attribute(
        "aria-label",
        re.compile(r"available, held for negotiation by hk-stream-star-wars-hold until 2017-06-30"),
    )
    cell.focus()
    expect(page.locator("#tip")).to_contain_text("until 2017-06-30")
    cell.click()
    detail = page.locator("#detail-panel")
    expect(detail).to_contain_text("✓H available, held for negotiation")
    expect(detail.locator("a", has_text="hk-stream-star-wars-hold")).to_be_visible()
    # the hold runs past the range asked: its own end is told, not the range's
    expect(detail).to_contain_text("the hold runs until 2017-06-30")
    shot(page, "35-grid-held-cell")
    page.context.close()
