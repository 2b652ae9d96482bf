"""The web UI in a real browser: Debian's Chromium driven by Playwright, against a real
``reelrights serve`` on loopback with the demo data. Every page is saved as a PNG in
``test-artifacts/`` (or ``$REELRIGHTS_ARTIFACTS``)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.web.browsing import ROOT, shot, signed_in


def test_sign_in_refuses_a_wrong_key_and_the_cookie_is_http_only(
    chromium_browser: Browser, site: dict[str, str]
) -> None:
    page = chromium_browser.new_page()
    page.goto(site["base"] + "/ui/login")
    page.fill("#key", "rr_000000000000_notarealkeynotarealkey")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("not valid")
    shot(page, "01-login")
    page.fill("#key", site["viewer"])
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Catalog")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "reelrights_key"]
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # no script can read the key
    page.context.close()


def test_star_wars_grid_shows_china_blocked_by_tencent_and_hong_kong_open(
    chromium_browser: Browser, site: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, site, "viewer")
    page.fill("input[name=q]", "star wars")
    page.click("form[role=search] button")
    expect(page.locator("table.list")).to_contain_text("Star Wars")
    shot(page, "02-catalog")
    page.goto(site["base"] + "/ui/grid?title=star-wars-saga&start=2016-01-01&end=2016-12-31")
    for medium in ("EST", "TVOD", "SVOD", "AVOD", "FVOD"):  # ONLINE
        cell = page.locator(f"button.cell[value='{medium}:CN']")
        expect(cell).to_have_class("cell unavailable")
        expect(cell).to_have_attribute(
            "aria-label", re.compile(r"exclusive-license by disney-tencent-star-wars")
        )
    expect(page.locator("button.cell[value='AVOD:HK']")).to_have_class("cell available")
    expect(page.locator("button.cell[value='EST:HK']")).to_have_class("cell available")
    # keyboard focus shows the reason and the contract
    page.locator("button.cell[value='SVOD:CN']").focus()
    expect(page.locator("#tip")).to_contain_text("exclusive-license by disney-tencent-star-wars")
    shot(page, "03-grid")
    page.locator("button.cell[value='SVOD:CN']").click()
    detail = page.locator("#detail")
    expect(detail).to_contain_text("exclusive-license")
    expect(detail.locator("a")).to_have_text("disney-tencent-star-wars")
    shot(page, "04-grid-day-ranges")
    # the exclusive toggle and the exports
    page.click("text=Show exclusive")
    expect(page).to_have_url(re.compile(r"exclusive=true"))
    with page.expect_download() as download:
        page.click("#export-long-csv")
    assert "SVOD" in Path(download.value.path()).read_text()
    page.context.close()


def test_the_rights_timeline_of_a_title(chromium_browser: Browser, site: dict[str, str]) -> None:
    page = signed_in(chromium_browser, site, "viewer")
    page.goto(site["base"] + "/ui/titles/star-wars-4")
    timeline = page.locator("figure.timeline svg")
    expect(timeline).to_be_visible()
    expect(page.locator("figure.timeline rect")).not_to_have_count(0)
    expect(page.locator("figure.timeline .todaylabel")).to_have_text("today")
    expect(page.locator("text=Ownership and chain of title")).to_be_visible()
    expect(page.locator("main")).to_contain_text("walt-disney")
    shot(page, "05-timeline")
    page.context.close()


def test_a_conflicting_draft_shows_the_conflict_before_execution(
    chromium_browser: Browser, site: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, site, "editor")
    page.goto(site["base"] + "/ui/contracts/new")
    page.fill("input[name=id]", "youku-star-wars-cn")
    page.select_option("select[name=licensor]", "walt-disney")
    page.select_option("select[name=licensee]", "youku")
    page.fill("input[name='grants-0-titles']", "star-wars-4")
    page.fill("input[name='grants-0-media']", "SVOD")
    page.fill("input[name='grants-0-territories']", "CN, HK")
    page.fill("input[name='grants-0-start']", "2016-06-01")
    page.fill("input[name='grants-0-end']", "2016-06-30")
    page.check("input[name='grants-0-exclusive']")
    conflict = page.locator("#check [data-check=conflict]")
    expect(conflict).to_contain_text("exclusive-license")
    expect(conflict).to_contain_text("disney-tencent-star-wars")
    shot(page, "06-deal-conflict")
    # narrowing the grant to Hong Kong clears the conflict, still before anything is saved
    page.fill("input[name='grants-0-territories']", "HK")
    expect(conflict).to_have_count(0)
    expect(page.locator("#check [data-check=ok]")).to_contain_text("Every grant is available")
    # and putting China back brings it back; saved as a draft, it cannot be executed
    page.fill("input[name='grants-0-territories']", "CN")
    expect(conflict).to_contain_text("disney-tencent-star-wars")
    page.click("#save")
    expect(page.locator("h1")).to_contain_text("youku-star-wars-cn")
    page.click("#execute")
    expect(page.locator(".conflict")).to_contain_text("exclusive-license")
    expect(page.locator("h1 .status")).to_have_text("draft")
    shot(page, "07-contract-rejected")
    page.context.close()


def test_a_viewer_sees_no_execute_button_and_gets_403_if_it_posts(
    chromium_browser: Browser, site: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, site, "viewer")
    page.goto(site["base"] + "/ui/contracts?status=draft")
    shot(page, "08-contracts")
    first = page.locator("table.list tbody a").first
    contract_id = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_contain_text(contract_id)
    expect(page.locator("#execute")).to_have_count(0)
    answer = page.request.post(f"{site['base']}/ui/contracts/{contract_id}/execute")
    assert answer.status == 403
    shot(page, "09-contract-viewer")
    assert page.request.get(f"{site['base']}/ui/changes").status == 403
    page.context.close()


def test_uploads_show_errors_in_place_and_admins_read_the_change_log(
    chromium_browser: Browser, site: dict[str, str], tmp_path: Path
) -> None:
    page = signed_in(chromium_browser, site, "admin")
    page.goto(site["base"] + "/ui/upload")
    bad = ROOT / "tests" / "conformance" / "mddf" / "samples" / "xml" / "Avails_withErrors.xml"
    page.set_input_files("#file", str(bad))
    page.click("main button[type=submit]")
    problems = page.locator(".problems")
    expect(problems).to_contain_text("nothing was stored")
    expect(problems).to_contain_text("'JJ' is not an ISO 3166-1 country code")
    expect(problems.locator("li")).to_have_count(7)
    shot(page, "10-upload-errors")
    page.goto(site["base"] + "/ui/changes")
    expect(page.locator("table.list")).to_contain_text("create")
    shot(page, "11-change-log")
    page.context.close()


def test_the_grid_works_on_a_tablet(chromium_browser: Browser, site: dict[str, str]) -> None:
    page = signed_in(
        chromium_browser, site, "viewer", viewport={"width": 820, "height": 1180}, has_touch=True
    )
    page.goto(site["base"] + "/ui/grid?title=star-wars-saga&start=2016-01-01&end=2016-12-31")
    expect(page.locator("button.cell[value='SVOD:CN']")).to_be_visible()
    toggle = page.locator("button.toggle", has_text="Northern Europe")
    expect(toggle).to_have_attribute("aria-expanded", "false")  # all available: folded
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("button.cell[value='SVOD:SE']")).to_be_visible()
    shot(page, "12-grid-tablet")
    page.context.close()


def test_the_calendar_month_view_list_and_ics_download(
    chromium_browser: Browser, site: dict[str, str]
) -> None:
    from icalendar import Calendar

    page = signed_in(chromium_browser, site, "viewer")
    page.click("nav >> text=Calendar")
    expect(page.locator("h1")).to_contain_text("Dates that matter")
    # the disney-tencent Star Wars license ends on 2020-12-31 in the demo
    page.goto(site["base"] + "/ui/calendar?month=2020-12")
    cell = page.locator("table.month td[data-day='2020-12-31']")
    expect(cell.locator("a.event.license-end").first).to_be_visible()
    expect(page.locator("#events")).to_contain_text("disney-tencent-star-wars")
    shot(page, "08-calendar")
    with page.expect_download() as download:
        page.click("#ics")
    parsed = Calendar.from_ical(Path(download.value.path()).read_bytes())
    listed = page.locator("#events tbody tr").count()
    assert len(list(parsed.walk("VEVENT"))) == listed > 0
    page.click("text=2021-01 →")
    expect(page.locator("h1")).to_contain_text("January 2021")
    page.context.close()


def test_find_sellable_titles_opens_a_grid_and_exports(
    chromium_browser: Browser, site: dict[str, str]
) -> None:
    page = signed_in(chromium_browser, site, "viewer")
    page.click("nav >> text=Find sellable titles")
    expect(page.locator("h1")).to_have_text("Find sellable titles")
    page.fill("input[name=licensor]", "The Walt Disney Company")  # by name, not id
    page.fill("input[name=media]", "Subscription VOD")
    page.fill("input[name=territories]", "Hong Kong, China")
    page.fill("input[name=start]", "2016-01-01")
    page.fill("input[name=end]", "2016-12-31")
    page.select_option("select[name=match]", "overlap")
    page.click("form[role=search] button")
    rows = page.locator("table.sellable tbody tr")
    expect(rows.first).to_contain_text("Star Wars")
    # China is sold to Tencent: no title has the whole box, but Hong Kong is free
    expect(page.locator("table.sellable .window")).to_have_count(0)
    shot(page, "13-find-sellable-titles")
    page.fill("input[name=territories]", "Hong Kong")
    page.click("form[role=search] button")
    expect(page.locator("table.sellable .window").first).to_be_visible()
    # Hong Kong SVOD is pencilled in for a negotiation: the window stays, with a warning
    expect(rows.filter(has_text="Episode IV")).to_contain_text("hk-stream-star-wars-hold")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    exported = Path(download.value.path()).read_text()
    assert exported.startswith("title,name,kind,window start") and "star-wars-4" in exported
    with page.expect_download() as workbook:
        page.click("text=Export XLSX")
    assert Path(workbook.value.path()).read_bytes()[:2] == b"PK"
    page.locator("a.to-grid", has_text="Star Wars: Episode IV").click()
    expect(page.locator("h1")).to_contain_text("Avails grid: Star Wars: Episode IV")
    expect(page.locator("button.cell[value='SVOD:HK']")).to_have_class("cell held")
    shot(page, "14-sellable-title-grid")
    page.context.close()
