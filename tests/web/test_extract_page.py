"""The *Deal news* page in-process: read an article, see each field's words marked in it,
correct a field, save drafts; roles, bad input and the form's origin check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelrights.service import Service
from reelrights.web.app import create_site

BASE = "https://testserver"
ARTICLE = (
    'Sohu paid USD 2.4 million for the streaming rights to Korean drama "Moonlit Harbor" '
    "from producer Kestrel Pictures. The 16-episode series will stream in China."
)


@pytest.fixture
def site(tmp_path: Path) -> tuple[Service, dict[str, str]]:
    service = Service(str(tmp_path / "web.db"), actor="setup")
    service.load_texts([("book.yaml", "parties: [{id: kestrel, name: Kestrel Pictures}]\n")])
    keys = {
        "editor": service.create_key("editor")[1],
        "viewer": service.create_key("viewer")[1],
        "bound": service.create_key("editor", "kestrel")[1],
    }
    return service, keys


def client(service: Service, key: str) -> TestClient:
    browser = TestClient(create_site(service), base_url=BASE, follow_redirects=False)
    assert browser.post("/ui/login", data={"key": key, "next": "/ui/"}).status_code == 303
    return browser


def test_reading_marks_each_field_and_stores_nothing(site) -> None:
    service, keys = site
    before = service.counts()
    page = client(service, keys["viewer"]).post("/ui/extract", data={"article": ARTICLE})
    assert page.status_code == 200
    marks = dict(
        (field, text)
        for field, text in re.findall(
            r'<mark class="f-(\w+)" data-field="\w+" title="\w+">([^<]+)', page.text
        )
    )
    assert marks["licensee"] == "Sohu"
    assert marks["licensor"] == "Kestrel Pictures"
    assert marks["fee"] == "USD 2.4 million"
    assert marks["territories"] == "China"  # from the sentence after the deal
    assert "matches kestrel" in page.text
    # the book's names are offered by the pickers (a party's, a title's, media, territories)
    for field, kind in (("licensor", "parties"), ("titles", "titles"), ("media", "media")):
        assert re.search(rf'name="deals-0-{field}"[^>]*data-picker="{kind}"', page.text)
    assert "Saving drafts needs an editor" in page.text  # a viewer reads, never saves
    assert service.counts() == before


def test_an_editor_corrects_a_field_and_saves_a_draft(site) -> None:
    service, keys = site
    browser = client(service, keys["editor"])
    page = browser.post("/ui/extract", files={"file": ("news.txt", ARTICLE.encode(), "text/plain")})
    form = dict(re.findall(r'name="(deals-0-[a-z_]+|deal_count)" value="([^"]*)"', page.text))
    form.update(
        {"deals-0-keep": "1", "deals-0-exclusive": "yes", "deals-0-titles": "Moonlit Harbor"}
    )
    form["deals-0-territories"] = "CN, HK"  # the correction
    saved = browser.post("/ui/extract/save", data=form)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/ui/contracts?status=draft"
    (contract,) = service.contracts(status="draft")
    assert contract.licensor == "kestrel"
    grant = service.render_contracts([contract])[0]["grants"][0]
    assert grant["territories"] == ["CN", "HK"] and grant["exclusive"] is True
    listing = browser.get("/ui/contracts?status=draft")
    assert contract.id in listing.text


def test_saving_is_for_unbound_editors_and_bad_corrections_store_nothing(site) -> None:
    service, keys = site
    form = {
        "deal_count": "1",
        "deals-0-keep": "1",
        "deals-0-licensee": "Sohu",
        "deals-0-titles": "Moonlit Harbor",
        "deals-0-media": "SVODD",
    }
    for who in ("viewer", "bound"):
        assert client(service, keys[who]).post("/ui/extract/save", data=form).status_code == 403
    before = service.counts()
    refused = client(service, keys["editor"]).post("/ui/extract/save", data=form)
    assert refused.status_code == 422
    assert "SVODD" in refused.text
    assert service.counts() == before
    crossed = client(service, keys["editor"]).post(
        "/ui/extract/save", data=form, headers={"Origin": "https://evil.example"}
    )
    assert crossed.status_code == 403


@pytest.mark.parametrize(
    ("article", "message"),
    [
        ("", "the article is empty"),
        ("Netflix a acquis les droits du film pour la France et la Belgique.", "English"),
    ],
)
def test_bad_articles_get_a_message(site, article: str, message: str) -> None:
    service, keys = site
    page = client(service, keys["viewer"]).post("/ui/extract", data={"article": article})
    assert page.status_code == 422
    assert message in page.text


def test_an_article_without_deals_says_so(site) -> None:
    service, keys = site
    text = '"Iron Tide" topped the box office for a third weekend, grossing $8.2 million.'
    page = client(service, keys["viewer"]).post("/ui/extract", data={"article": text})
    assert page.status_code == 200 and "No deal found" in page.text
