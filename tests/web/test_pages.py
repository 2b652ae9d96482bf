"""The web UI in-process: sign-in, roles and party scopes, form-post origin, the deal
check, exports and uploads, without a browser (the browser tests are test_browser.py)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelrights.service import Service
from reelrights.web.app import create_site
from tests.store.test_money import BOOK as MONEY_BOOK
from tests.store.test_money import SALES
from tests.store.test_service import BOOK

BASE = "https://testserver"


@pytest.fixture
def site(tmp_path: Path) -> tuple[Service, dict[str, str]]:
    service = Service(str(tmp_path / "web.db"), actor="setup")
    service.load_texts([("book.yaml", BOOK)])
    keys = {
        "admin": service.create_key("admin")[1],
        "editor": service.create_key("editor")[1],
        "viewer": service.create_key("viewer")[1],
        "youku": service.create_key("editor", "youku")[1],
    }
    return service, keys


def client(service: Service, key: str | None) -> TestClient:
    browser = TestClient(create_site(service), base_url=BASE, follow_redirects=False)
    if key:
        answer = browser.post("/ui/login", data={"key": key, "next": "/ui/grid"})
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/grid"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
    return browser


def test_pages_need_a_key_and_a_bad_key_is_refused(site) -> None:
    service, _ = site
    anonymous = client(service, None)
    answer = anonymous.get("/ui/contracts")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login")
    refused = anonymous.post("/ui/login", data={"key": "rr_nope"})
    assert refused.status_code == 401 and "not valid" in refused.text
    assert anonymous.get("/").headers["location"] == "/ui/"


def test_every_page_renders_for_an_admin(site) -> None:
    service, keys = site
    browser = client(service, keys["admin"])
    for url in (
        "/ui/",
        "/ui/?q=hope&kind=film",
        "/ui/titles/sw4",
        "/ui/grid?title=saga&licensor=disney&start=2016-01-01&end=2016-12-31",
        "/ui/grid?title=saga&licensor=disney&start=2016-01-01&end=2016-12-31&cell=SVOD:CN",
        "/ui/contracts",
        "/ui/contracts/tencent-online",
        "/ui/contracts/new",
        "/ui/upload",
        "/ui/changes",
    ):
        answer = browser.get(url)
        assert answer.status_code == 200, (url, answer.text[:300])
    grid = browser.get("/ui/grid?title=saga&start=2016-01-01&end=2016-12-31").text
    assert (
        'value="SVOD:CN" aria-label="SVOD CN unavailable; exclusive-license by tencent-online'
        in grid
    )
    assert browser.get("/ui/titles/nope").status_code == 404


def test_grid_exports_list_every_cell_with_its_reason(site) -> None:
    service, keys = site
    browser = client(service, keys["viewer"])
    query = "title=sw4&licensor=disney&start=2016-01-01&end=2016-12-31&territories=CN,HK"
    rows = list(csv.reader(io.StringIO(browser.get(f"/ui/grid.csv?{query}").text)))
    assert rows[0][:4] == ["territory", "country", "medium", "status"]
    cn_svod = next(r for r in rows if r[0] == "CN" and r[2] == "SVOD")
    assert cn_svod[3] == "unavailable" and "tencent-online" in cn_svod[4]
    assert len(rows) == 1 + 2 * 20  # two countries x every medium
    sheet = browser.get(f"/ui/grid.xlsx?{query}")
    assert sheet.status_code == 200 and sheet.content.startswith(b"PK")


DEAL = {  # a deal form as posted: one grant of A New Hope, SVOD, in Hong Kong, June 2016
    "id": "youku-hk",
    "licensor": "disney",
    "licensee": "youku",
    "grant_count": "1",
    "grants-0-titles": "sw4",
    "grants-0-media": "SVOD",
    "grants-0-territories": "HK",
    "grants-0-start": "2016-06-01",
    "grants-0-end": "2016-06-30",
}


def test_the_deal_check_flags_a_conflict_and_stores_nothing(site) -> None:
    service, keys = site
    browser = client(service, keys["editor"])
    before = service.counts()
    form = {**DEAL, "id": "youku-cn", "grants-0-territories": "CN, HK", "grants-0-exclusive": "on"}
    answer = browser.post("/ui/contracts/check", data=form)
    assert 'data-check="conflict"' in answer.text and "tencent-online" in answer.text
    fine = browser.post("/ui/contracts/check", data={**form, "grants-0-territories": "HK"})
    assert 'data-check="ok"' in fine.text
    unknown = browser.post("/ui/contracts/check", data={**form, "grants-0-media": "SVODD"})
    assert "unknown medium" in unknown.text
    assert service.counts() == before
    saved = browser.post("/ui/contracts", data=form)
    assert saved.status_code == 303
    refused = browser.post("/ui/contracts/youku-cn/execute")
    assert refused.status_code == 409 and "exclusive-license" in refused.text
    assert service.contract("youku-cn").status == "draft"


def test_viewers_and_other_sites_cannot_write(site) -> None:
    service, keys = site
    viewer = client(service, keys["viewer"])
    page = viewer.get("/ui/contracts/youku-draft").text
    assert 'id="execute"' not in page
    assert viewer.post("/ui/contracts/youku-draft/execute").status_code == 403
    assert viewer.get("/ui/changes").status_code == 403
    assert viewer.get("/ui/upload").status_code == 403
    editor = client(service, keys["editor"])
    assert 'id="execute"' in editor.get("/ui/contracts/youku-draft").text
    forged = editor.post(
        "/ui/contracts/youku-draft/execute", headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    assert service.contract("youku-draft").status == "draft"


def test_a_party_key_sees_only_its_own(site) -> None:
    service, keys = site
    youku = client(service, keys["youku"])
    listing = youku.get("/ui/contracts").text
    assert "youku-draft" in listing and "tencent-online" not in listing
    assert youku.get("/ui/contracts/tencent-online").status_code == 404
    # the grid always asks as the key's party, whatever the link says
    grid = youku.get("/ui/grid?title=sw4&licensor=disney&start=2016-01-01&end=2016-12-31")
    assert grid.status_code == 200 and "youku · 2016-01-01" in grid.text
    assert youku.post("/ui/upload", files={"file": ("x.yaml", b"parties: []")}).status_code == 403


def test_uploads_store_all_or_show_every_problem(site, tmp_path: Path) -> None:
    service, keys = site
    browser = client(service, keys["editor"])
    bad = browser.post("/ui/upload", files={"file": ("bad.yaml", b"titles: [x")})
    assert bad.status_code == 422 and "nothing was stored" in bad.text
    sheet = b"titles: [{id: sw9, name: Nine, kind: film}]\n"
    good = browser.post("/ui/upload", files={"file": ("more.yaml", sheet)})
    assert good.status_code == 200 and "stored" in good.text
    stored = service.catalog().get("sw9")
    assert stored is not None and (stored.name, stored.kind) == ("Nine", "film")
    changes = service.history("title", "sw9")
    editor_key_id = keys["editor"].split("_")[1]  # rr_<id>_<secret>
    assert [(c.action, c.key_id) for c in changes] == [("create", editor_key_id)]


def test_errors_are_pages_for_people_and_json_for_the_api(site) -> None:
    service, keys = site
    viewer = client(service, keys["viewer"])
    page = viewer.post("/ui/contracts/youku-draft/execute")
    assert page.status_code == 403 and "text/html" in page.headers["content-type"]
    assert "needs the editor role" in page.text
    api = viewer.get("/contracts/none", headers={"Authorization": f"Bearer {keys['viewer']}"})
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")


def test_signing_in_over_plain_http_away_from_loopback_is_explained(site) -> None:
    service, keys = site
    browser = TestClient(create_site(service), base_url="http://rights.example")
    answer = browser.post("/ui/login", data={"key": keys["viewer"]})
    assert answer.status_code == 400 and "needs HTTPS" in answer.text
    assert "set-cookie" not in answer.headers


@pytest.fixture
def money_book(tmp_path: Path) -> tuple[Service, TestClient]:
    """The money tests' book served, and a client of it (sign in by setting its cookie)."""
    service = Service(str(tmp_path / "money.db"))
    service.load_texts([("book.yaml", MONEY_BOOK)])
    return service, TestClient(create_site(service))


def test_money_pages(money_book) -> None:
    service, client = money_book
    _, editor = service.create_key("editor")
    _, other = service.create_key("viewer", "iqiyi")
    client.cookies.set("reelrights_key", editor)
    form = client.get("/ui/sales")
    assert form.status_code == 200 and "Import a sales report" in form.text
    sent = client.post("/ui/sales", files={"file": ("q1.csv", SALES.encode(), "text/csv")})
    assert sent.status_code == 200 and "no-exchange-rate" in sent.text and "no-grant" in sent.text
    bad = client.post("/ui/sales", files={"file": ("b.csv", b"licensee,title\nx,y\n", "text/csv")})
    assert bad.status_code == 422 and "missing column" in bad.text
    page = client.get("/ui/contracts/sohu-svod/statement?period=2017-Q1")
    assert page.status_code == 200 and "20000.00" in page.text  # 2 x 50000 USD at 20%
    pdf = client.get("/ui/contracts/sohu-svod/statement.pdf?period=2017-Q1")
    assert pdf.content.startswith(b"%PDF")
    ledger = client.get("/ui/payments?today=2016-01-01")
    assert "fee instalment 2 of 2" in ledger.text
    client.cookies.set("reelrights_key", other)
    assert client.get("/ui/contracts/sohu-svod/statement?period=2017-Q1").status_code == 404
    assert "fee instalment" not in client.get("/ui/payments").text


def test_exchange_rates_upload_on_the_sales_page(money_book) -> None:
    """The sales page takes a rates file too (editors with unbound keys): stored rates
    let a CNY line that found no rate match when the report is imported again."""
    service, browser = money_book
    _, editor = service.create_key("editor")
    _, bound = service.create_key("editor", "sohu")
    browser.cookies.set("reelrights_key", editor)
    assert "Import exchange rates" in browser.get("/ui/sales").text
    first = browser.post("/ui/sales", files={"file": ("q1.csv", SALES.encode(), "text/csv")})
    assert "no-exchange-rate" in first.text
    bad = browser.post(
        "/ui/fx",
        files={"file": ("r.csv", b"date,from,to,rate\n2017-01-01,USD,CNY,0\n", "text/csv")},
    )
    assert bad.status_code == 422 and "row 2" in bad.text and "must be more than zero" in bad.text
    sent = browser.post(
        "/ui/fx",
        files={"file": ("r.csv", b"date,from,to,rate\n2017-01-01,USD,CNY,6.9\n", "text/csv")},
    )
    assert sent.status_code == 200 and "1 exchange rates stored" in sent.text
    again = browser.post("/ui/sales", files={"file": ("q1.csv", SALES.encode(), "text/csv")})
    assert "no-exchange-rate" not in again.text
    browser.cookies.set("reelrights_key", bound)
    assert "Import exchange rates" not in browser.get("/ui/sales").text
    refused = browser.post(
        "/ui/fx",
        files={"file": ("r.csv", b"date,from,to,rate\n2017-01-01,USD,CNY,7\n", "text/csv")},
    )
    assert refused.status_code == 403


def test_the_timeline_draws_a_terminated_contract_only_while_in_force(site) -> None:
    service, keys = site
    service.terminate("tencent-online", date(2019, 1, 1))
    page = client(service, keys["viewer"]).get("/ui/titles/sw4").text
    # avails: CN ONLINE is open from 2019-01-01, so the bar ends the day before
    assert "2016-01-01 → 2018-12-31" in page and "2016-01-01 → 2020-12-31" not in page
    assert "terminated 2019-01-01" in page and 'class="termination"' in page
    # the holdback ended before the termination: drawn to its own end, no marker
    assert "2016-01-01 → 2016-06-30" in page
    assert page.count('class="termination"') == 1


def test_the_deal_check_shows_every_warning_not_a_bare_green(site) -> None:
    service, keys = site
    service.create_contract(
        {
            "id": "tencent-hold",
            "licensor": "disney",
            "licensee": "tencent",
            "status": "hold",
            "grants": [
                {
                    "titles": ["sw4"],
                    "media": ["SVOD"],
                    "territories": ["HK"],
                    "start": "2016-01-01",
                    "end": "2016-12-31",
                    "exclusive": True,
                }
            ],
        }
    )
    answer = client(service, keys["editor"]).post("/ui/contracts/check", data=DEAL).text
    assert 'data-check="ok"' not in answer
    assert 'data-check="warning"' in answer
    assert "held for negotiation" in answer and "tencent-hold" in answer
    assert "2016-06-01" in answer and "2016-06-30" in answer


def test_deal_problems_show_in_place_with_human_labels(site) -> None:
    service, keys = site
    browser = client(service, keys["editor"])
    medium = browser.post("/ui/contracts/check", data={**DEAL, "grants-0-media": "SVODD"}).text
    assert (
        "Grant 1 · Media:" in medium
        and "unknown medium &#39;SVODD&#39; — did you mean SVOD" in (medium)
    )
    assert 'data-field="grants-0-media"' in medium and "contracts[0]" not in medium
    title = browser.post("/ui/contracts/check", data={**DEAL, "grants-0-titles": "nope"}).text
    assert "Conflict" not in title and 'data-check="problems"' in title
    assert "Grant 1 · Titles:" in title and "unknown title &#39;nope&#39;" in title
    assert 'data-field="grants-0-titles"' in title
    where = browser.post("/ui/contracts/check", data={**DEAL, "grants-0-territories": "XX"}).text
    assert "Grant 1 · Territories:" in where and "unknown territory" in where
    # saving shows the same problems beside the inputs they concern, and keeps what was typed
    saved = browser.post("/ui/contracts", data={**DEAL, "grants-0-media": "SVODD"})
    assert saved.status_code == 422
    assert 'id="problem-grants-0-media"' in saved.text and 'value="SVODD"' in saved.text
    assert 'aria-describedby="problem-grants-0-media"' in saved.text


def test_a_new_deal_reusing_an_id_is_checked_as_new_and_told_the_id_is_taken(site) -> None:
    service, keys = site
    browser = client(service, keys["editor"])
    form = {
        **DEAL,
        "id": "tencent-online",
        "grants-0-territories": "CN",
        "grants-0-exclusive": "on",
    }
    answer = browser.post("/ui/contracts/check", data=form).text
    # tencent-online stays in the book: its exclusive ONLINE CN blocks the new deal
    assert 'data-check="conflict"' in answer and 'data-check="ok"' not in answer
    assert "exclusive-license" in answer
    assert 'data-field="id"' in answer and "already taken" in answer
    assert service.contract("tencent-online").status == "executed"
    fresh = browser.post("/ui/contracts/check", data={**form, "id": "youku-cn-new"}).text
    assert "already taken" not in fresh


def test_a_contract_page_offers_only_the_actions_that_apply(site) -> None:
    service, keys = site
    editor = client(service, keys["editor"])
    draft = editor.get("/ui/contracts/youku-draft").text
    assert 'id="execute"' in draft and 'id="terminate"' not in draft
    executed = editor.get("/ui/contracts/tencent-online").text
    assert 'id="terminate"' in executed and 'id="execute"' not in executed
    service.terminate("tencent-online", date(2019, 1, 1))
    terminated = editor.get("/ui/contracts/tencent-online").text
    assert 'id="terminate"' not in terminated and "Terminate on" not in terminated
    assert 'id="execute"' not in terminated
    viewer = client(service, keys["viewer"]).get("/ui/contracts/youku-draft").text
    assert 'id="execute"' not in viewer and 'class="actions"' not in viewer


def test_a_held_cell_says_the_right_is_available_who_holds_it_and_until_when(site) -> None:
    service, keys = site
    service.create_contract(
        {
            "id": "tencent-hold",
            "licensor": "disney",
            "licensee": "tencent",
            "status": "hold",
            "grants": [
                {
                    "titles": ["sw4"],
                    "media": ["SVOD"],
                    "territories": ["HK"],
                    "start": "2016-01-01",
                    "end": "2016-09-30",
                }
            ],
        }
    )
    query = "title=sw4&licensor=disney&start=2016-01-01&end=2016-12-31&territories=HK"
    grid = client(service, keys["editor"]).get(f"/ui/grid?{query}").text
    label = "SVOD HK available, held for negotiation by tencent-hold until 2016-09-30"
    assert f'aria-label="{label}"' in grid
    assert ">✓H</button>" in grid


def test_the_home_page_shows_what_starts_ends_and_is_held_soon(site) -> None:
    service, keys = site
    today = date.today()
    service.create_contract(
        {
            "id": "youku-soon",
            "licensor": "disney",
            "licensee": "youku",
            "status": "hold",
            "grants": [{"titles": ["sw5"], "media": ["SVOD"], "territories": ["HK"]}],
        }
    )
    grant = {"titles": ["sw5"], "media": ["FREE_TV"], "territories": ["FR"]}
    for id_, start, end in (("tf1-now", -10, 200), ("m6-next", 10, 400)):
        service.create_contract(
            {
                "id": id_,
                "licensor": "disney",
                "licensee": "tencent",
                "grants": [
                    {
                        **grant,
                        "start": str(today + timedelta(days=start)),
                        "end": str(today + timedelta(days=end)),
                    }
                ],
            }
        )
        service.execute(id_)
    service.terminate("tf1-now", today + timedelta(days=31))  # in force to day 30
    admin = client(service, keys["admin"]).get("/ui/home")
    assert admin.status_code == 200
    ending = admin.text.split('id="ending"')[1].split("</ul>")[0]
    assert str(today + timedelta(days=30)) in ending and "tf1-now" in ending
    assert "m6-next" not in ending
    starting = admin.text.split('id="starting"')[1].split("</ul>")[0]
    assert str(today + timedelta(days=10)) in starting and "m6-next" in starting
    assert "youku-soon" in admin.text.split('id="holds"')[1].split("</ul>")[0]
    assert 'id="changes"' in admin.text
    youku = client(service, keys["youku"]).get("/ui/home").text
    assert "tf1-now" not in youku and 'id="changes"' not in youku


def test_the_calendar_takes_a_party_and_a_title_by_name_as_its_pickers_send_them(site) -> None:
    service, keys = site
    browser = client(service, keys["viewer"])
    month = "/ui/calendar?month=2016-01"
    named = browser.get(f"{month}&party=Tencent+Video&title=A+New+Hope")
    assert named.status_code == 200 and 'id="pick-party"' in named.text
    assert 'data-picker="titles"' in named.text
    events = named.text.split('id="events"')[1]
    assert "tencent-online" in events  # its grant starts on 2016-01-01
    # the kept filters follow the month links, as typed
    assert "party=Tencent+Video&amp;title=A+New+Hope" in named.text
    other = browser.get(f"{month}&party=Youku&title=sw4").text.split('id="events"')[1]
    assert "tencent-online" not in other
    unknown = browser.get(f"{month}&party=Tencnet")
    assert unknown.status_code == 200 and "Tencnet" in unknown.text
    assert 'role="alert"' in unknown.text
