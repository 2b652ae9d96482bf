"""The avails grid page in-process: media chosen and grouped, territories counted, a cell's
day ranges as a fragment, the remembered range, and both exports (the browser tests are in
test_browser_grid.py)."""

from __future__ import annotations

import csv
import io

import openpyxl

from reelrights.web.charts import GridCell, row_state
from reelrights.web.grid import RANGE_COOKIE, column_groups, merged_windows
from tests.web.test_pages import client, site  # noqa: F401 - the fixture

QUERY = "title=sw4&licensor=disney&start=2016-01-01&end=2016-12-31"


def window(start: str | None, end: str | None, titles: tuple[str, ...] = ("sw4",)) -> dict:
    return {"start": start, "end": end, "days": 1, "titles": list(titles)}


def test_free_windows_merge_when_they_overlap_or_touch() -> None:
    assert merged_windows(
        [
            window("2016-07-01", "2016-12-31"),
            window("2016-01-01", "2016-03-31"),
            window("2016-04-01", "2016-04-30"),  # touches the first
            window("2016-04-15", "2016-05-10"),  # overlaps it
        ]
    ) == ["2016-01-01..2016-05-10", "2016-07-01..2016-12-31"]
    assert merged_windows([window(None, "2016-01-31"), window("2016-02-01", None)]) == [".."]
    assert merged_windows([window("2016-01-01", None), window("2016-03-01", "2016-04-01")]) == [
        "2016-01-01.."
    ]
    # a collection's titles free at different times stay apart
    assert merged_windows(
        [window("2016-01-01", "2016-01-31", ("sw4",)), window("2016-02-01", None, ("sw5",))]
    ) == ["2016-01-01..2016-01-31 (sw4)", "2016-02-01.. (sw5)"]


def test_a_territory_is_counted_once_by_its_state_over_the_media_shown() -> None:
    def cells(*states: str) -> list[GridCell]:
        return [GridCell("SVOD", "CN", s, "", "", [], [], []) for s in states]

    assert row_state(cells("available", "available")) == "available"
    assert row_state(cells("available", "held")) == "held"
    assert row_state(cells("unavailable", "unavailable")) == "unavailable"
    assert row_state(cells("available", "unavailable")) == "partial"
    assert row_state(cells("partial")) == "partial"


def test_columns_follow_the_media_tree() -> None:
    groups = column_groups(["SVOD", "PAY_TV", "EST", "THEATRICAL"])
    assert [(g.label, g.code, g.media) for g in groups] == [
        ("Theatrical", None, ("THEATRICAL",)),
        ("Online", "ONLINE", ("EST", "SVOD")),
        ("Television", "TELEVISION", ("PAY_TV",)),
    ]


def test_the_grid_asks_only_the_media_chosen_and_counts_territories(site) -> None:  # noqa: F811
    service, keys = site
    browser = client(service, keys["viewer"])
    page = browser.get(f"/ui/grid?{QUERY}&territories=CN,HK,JP&media=ONLINE,PAY_TV").text
    assert page.count('<th scope="colgroup" colspan=') == 2
    assert '<th scope="colgroup" colspan="5" title="ONLINE">Online</th>' in page
    assert '<th scope="colgroup" colspan="1" title="TELEVISION">Television</th>' in page
    assert page.count('<button class="cell') == 3 * 6
    assert 'value="PHYSICAL:CN"' not in page
    # Eastern Asia: CN partly (online sold to Tencent, Pay TV free), HK and JP available
    assert 'aria-label="3 territories: 2 all available, 1 partly available"' in page
    # a name typed by hand reads as the title's id; the licensor defaults to the owner
    by_name = browser.get("/ui/grid?title=A New Hope&start=2016-01-01&end=2016-12-31").text
    assert "Avails grid: A New Hope" in by_name and 'value="SVOD:CN"' in by_name


def test_a_cells_day_ranges_are_a_fragment(site) -> None:  # noqa: F811
    service, keys = site
    browser = client(service, keys["viewer"])
    fragment = browser.get(f"/ui/grid/cell?{QUERY}&cell=SVOD:CN")
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section class="detail"')
    assert "<html" not in fragment.text and "tencent-online" in fragment.text
    for bad in ("SVOD", "SVODD:CN", "SVOD:ZZ", "SVOD:CN:HK", "<script>:CN", ""):
        assert browser.get(f"/ui/grid/cell?{QUERY}&cell={bad}").status_code == 404, bad
    assert browser.get("/ui/grid/cell?cell=SVOD:CN").status_code == 422
    # the same panel without scripts: the page with ?cell=
    page = browser.get(f"/ui/grid?{QUERY}&cell=SVOD:CN").text
    assert 'id="detail-panel"' in page and "SVOD in CN: day ranges" in page


def test_dates_default_to_the_range_asked_last_time_else_this_year(site) -> None:  # noqa: F811
    from datetime import date

    service, keys = site
    browser = client(service, keys["viewer"])
    year = date.today().year
    blank = browser.get("/ui/grid").text
    assert f'name="start" value="{year}-01-01"' in blank
    assert f'name="end" value="{year}-12-31"' in blank
    asked = browser.get(f"/ui/grid?{QUERY}")
    assert f"{RANGE_COOKIE}=2016-01-01..2016-12-31" in asked.headers["set-cookie"]
    again = browser.get("/ui/grid").text
    assert 'name="start" value="2016-01-01"' in again and 'name="end" value="2016-12-31"' in again
    # a grid asked without dates uses the remembered range
    assert "2016-01-01 → 2016-12-31" in browser.get("/ui/grid?title=sw4&licensor=disney").text
    # a bad range is not remembered, and the form keeps what was typed
    bad = browser.get("/ui/grid?title=sw4&licensor=disney&start=2016-05-01&end=2016-01-01")
    assert "set-cookie" not in bad.headers
    assert 'name="start" value="2016-05-01"' in bad.text and "is before start" in bad.text
    # a forged cookie is ignored
    browser.cookies.set(RANGE_COOKIE, "<x>..2016-01-01", path="/ui/")
    assert f'name="start" value="{year}-01-01"' in browser.get("/ui/grid").text


def test_the_matrix_export_is_the_grid_as_on_screen(site) -> None:  # noqa: F811
    service, keys = site
    browser = client(service, keys["viewer"])
    query = f"{QUERY}&territories=CN,HK&media=ONLINE,PAY_TV&layout=matrix"
    answer = browser.get(f"/ui/grid.csv?{query}")
    assert (
        'filename="avails-sw4-2016-01-01-2016-12-31-matrix.csv"'
        in (answer.headers["content-disposition"])
    )
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["", "", "", "Online", "Online", "Online", "Online", "Online", "Television"]
    assert rows[1] == [
        "region",
        "territory",
        "country",
        "EST",
        "TVOD",
        "SVOD",
        "AVOD",
        "FVOD",
        "PAY_TV",
    ]
    assert [r[:3] for r in rows[2:]] == [
        ["Eastern Asia", "CN", "China"],
        ["Eastern Asia", "HK", "Hong Kong"],
    ]
    assert rows[2][5] == (
        "✕ unavailable; exclusive-license by tencent-online (2016-01-01 to 2016-12-31)"
    )
    assert rows[2][8] == rows[3][5] == "✓ available"
    workbook = browser.get(f"/ui/grid.xlsx?{query}")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None and [c.value for c in sheet[3]][:3] == ["Eastern Asia", "CN", "China"]
    # the long form is the default
    long_rows = list(
        csv.reader(io.StringIO(browser.get(f"/ui/grid.csv?{QUERY}&territories=CN").text))
    )
    assert long_rows[0][:4] == ["territory", "country", "medium", "status"] and len(long_rows) == 21


def test_a_partly_free_cell_lists_its_merged_windows_in_the_matrix(site) -> None:  # noqa: F811
    service, keys = site
    browser = client(service, keys["viewer"])
    # 2015-07-01..2016-06-30: CN online is free until Tencent's license starts
    query = "title=sw4&licensor=disney&start=2015-07-01&end=2016-06-30&territories=CN"
    rows = list(
        csv.reader(io.StringIO(browser.get(f"/ui/grid.csv?{query}&media=SVOD&layout=matrix").text))
    )
    assert rows[2][3] == (
        "◐ partly available; exclusive-license by tencent-online (2016-01-01 to 2016-06-30); "
        "free 2015-07-01..2015-12-31"
    )


def test_a_hold_past_the_range_asked_is_told_until_its_own_end(site) -> None:  # noqa: F811
    service, keys = site
    service.create_contract(
        {
            "id": "tencent-hold-long",
            "licensor": "disney",
            "licensee": "tencent",
            "status": "hold",
            "grants": [
                {
                    "titles": ["sw4"],
                    "media": ["SVOD"],
                    "territories": ["HK"],
                    "start": "2016-07-01",
                    "end": "2017-06-30",
                }
            ],
        }
    )
    browser = client(service, keys["viewer"])
    grid = browser.get(f"/ui/grid?{QUERY}&territories=HK").text
    label = "SVOD HK available, held for negotiation by tencent-hold-long until 2017-06-30"
    assert f'aria-label="{label}"' in grid
    detail = browser.get(f"/ui/grid/cell?{QUERY}&cell=SVOD:HK").text
    assert "<td>2016-07-01</td><td>2016-12-31</td>" in detail  # the range asked
    assert "the hold runs until 2017-06-30" in detail  # the hold's own end
    rows = list(
        csv.reader(
            io.StringIO(browser.get(f"/ui/grid.csv?{QUERY}&territories=HK&layout=matrix").text)
        )
    )
    svod = rows[1].index("SVOD")
    assert rows[2][svod].endswith("held by tencent-hold-long until 2017-06-30")
