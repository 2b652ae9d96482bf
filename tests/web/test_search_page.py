"""The *Find sellable titles* page in-process: the form, bars on one axis, links to the
grid, party scope, located errors and the CSV/XLSX exports."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path
from urllib.parse import urlencode

import openpyxl
import pytest
from fastapi.testclient import TestClient

from reelrights.service import Service
from reelrights.web.app import create_site
from tests.cli.test_search import DESK
from tests.web.test_pages import BASE

QUERY = {
    "licensor": "atlas",
    "media": "Subscription VOD",
    "territories": "LATAM",
    "start": "2027-01-01",
    "end": "2027-12-31",
    "exclusive": "true",
}


@pytest.fixture
def desk(tmp_path: Path) -> tuple[Service, dict[str, str]]:
    service = Service(str(tmp_path / "web.db"), actor="setup")
    service.load_texts([("desk.yaml", DESK)])
    keys = {
        "viewer": service.create_key("viewer")[1],
        "netflix": service.create_key("viewer", "netflix")[1],
    }
    return service, keys


def browser(service: Service, key: str) -> TestClient:
    client = TestClient(create_site(service), base_url=BASE, follow_redirects=False)
    assert client.post("/ui/login", data={"key": key, "next": "/ui/"}).status_code == 303
    return client


def test_the_form_then_the_titles_with_their_windows(desk) -> None:
    service, keys = desk
    client = browser(service, keys["viewer"])
    empty = client.get("/ui/search")
    assert empty.status_code == 200 and 'name="territories" value="LATAM"' in empty.text
    page = client.get("/ui/search?" + urlencode({**QUERY, "min_days": "180"}))
    assert page.status_code == 200, page.text
    assert page.text.count('class="window"') == 8  # every title has one window of 180+ days
    assert "Kingdom · S1 E1" in page.text and "⚠ claro-pencil" in page.text
    assert "/ui/grid?title=roma&licensor=atlas&amp;start=2027-01-01" in page.text
    assert "left: 0.0%; width: 49.589%" in page.text  # Roma: Jan 1 to Jun 30, 181 of 365 days
    assert ">2027-01-01 to 2027-06-30;" in page.text


def test_errors_are_shown_on_the_page(desk) -> None:
    service, keys = desk
    client = browser(service, keys["viewer"])
    page = client.get("/ui/search?" + urlencode({**QUERY, "territories": "Hong Kongg"}))
    assert page.status_code == 200
    assert "did you mean HK Hong Kong?" in page.text
    page = client.get("/ui/search?" + urlencode({**QUERY, "min_days": "many"}))
    assert "min-days is a whole number of days" in page.text


def test_a_party_key_searches_only_as_its_party(desk) -> None:
    service, keys = desk
    client = browser(service, keys["netflix"])
    assert client.get("/ui/search?" + urlencode(QUERY)).status_code == 403
    page = client.get("/ui/search?" + urlencode({**QUERY, "licensor": ""}))
    assert "No title matches." in page.text  # netflix holds nothing it may sell on


def test_exports(desk) -> None:
    service, keys = desk
    client = browser(service, keys["viewer"])
    answer = client.get("/ui/search.csv?" + urlencode({**QUERY, "min_days": "180"}))
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:4] == ["title", "name", "kind", "window start"]
    assert ["roma", "Roma", "film", "2027-01-01", "2027-06-30", "181", "2027-01-01", ""] in rows
    book = client.get("/ui/search.xlsx?" + urlencode(QUERY))
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert [c.value for c in sheet[2]][:2] == ["kingdom-s1e1", "Kingdom · S1 E1"]
    assert client.get("/ui/search.pdf?" + urlencode(QUERY)).status_code == 404


def test_licensor_and_within_by_name_with_did_you_mean_beside_the_field(desk) -> None:
    service, keys = desk
    client = browser(service, keys["viewer"])
    by_id = client.get("/ui/search?" + urlencode({**QUERY, "within": "arthouse"}))
    by_name = client.get(
        "/ui/search?"
        + urlencode({**QUERY, "licensor": "atlas films", "within": "Arthouse Library"})
    )
    assert by_name.status_code == 200, by_name.text
    # the whole of 2027 exclusively: Oldboy is sold until March, Roma's rights end in June
    assert by_name.text.count('class="window"') == by_id.text.count('class="window"') == 2
    assert "/ui/grid?title=parasite&licensor=atlas&amp;" in by_name.text
    assert "/ui/grid?title=shoplifters&licensor=atlas&amp;" in by_name.text
    # both fields offer choices as you type, and keep what was typed
    assert 'name="licensor" value="atlas films"' in by_name.text
    assert 'name="within" value="Arthouse Library"' in by_name.text
    assert 'data-picker="parties"' in by_name.text and 'data-picker="titles"' in by_name.text
    wrong = client.get(
        "/ui/search?" + urlencode({**QUERY, "licensor": "Atlas Film", "within": "Arthous"})
    )
    assert wrong.status_code == 200
    text = html.unescape(wrong.text)
    # every problem at once, each beside its input
    assert (
        '<span class="field-problem" id="problem-licensor" role="alert">unknown party '
        "'Atlas Film'; did you mean atlas Atlas Films?</span>" in text
    )
    assert (
        '<span class="field-problem" id="problem-within" role="alert">unknown title '
        "'Arthous'; did you mean arthouse Arthouse library?</span>" in text
    )
    assert 'class="window"' not in text


def test_a_party_key_may_type_its_own_name_but_no_other(desk) -> None:
    service, keys = desk
    client = browser(service, keys["netflix"])
    page = client.get("/ui/search?" + urlencode({**QUERY, "licensor": "Netflix"}))
    assert page.status_code == 200 and "No title matches." in page.text
    assert (
        client.get("/ui/search?" + urlencode({**QUERY, "licensor": "Atlas Films"})).status_code
        == 403
    )
    assert (
        client.get("/ui/search.csv?" + urlencode({**QUERY, "licensor": "Atlas Films"})).status_code
        == 403
    )
