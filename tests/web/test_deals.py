"""The deal form's fields: signed date, money terms and payment schedule, holdbacks,
sublicense, languages and options reach the stored draft; the live check words every
warning, options included; problems come back on their field with human labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelrights.service import Service
from reelrights.web.app import create_site
from tests.store.test_service import BOOK

BASE = "https://testserver"
OPTION = """
contracts:
  - id: tencent-option
    licensor: disney
    licensee: tencent
    signed: 2015-12-01
    options:
      - {kind: first-negotiation, holder: tencent, titles: [sw4], media: [SVOD], territories: [TW],
         start: 2030-01-01, end: 2030-12-31, exercise_by: 2029-06-30}
"""
DEAL = {
    "id": "youku-tw",
    "licensor": "disney",
    "licensee": "youku",
    "signed": "2016-05-01",
    "grants_count": "2",
    "grants-0-titles": "sw4",
    "grants-0-media": "SVOD",
    "grants-0-territories": "TW",
    "grants-0-languages": "zh",
    "grants-0-start": "2030-01-01",
    "grants-0-end": "2030-06-30",
    "grants-0-sublicense": "on",
    "grants-1-titles": "",
    "currency": "USD",
    "fee": "1000",
    "minimum_guarantee": "200",
    "revenue_share": "0.25",
    "reporting": "yearly",
    "payments_count": "2",
    "payments-0-due": "2016-06-01",
    "payments-0-amount": "400",
    "payments-1-due": "2016-07-01",
    "payments-1-amount": "600",
    "holdbacks_count": "1",
    "holdbacks-0-titles": "sw4",
    "holdbacks-0-media": "FREE_TV",
    "holdbacks-0-territories": "TW",
    "holdbacks-0-start": "2017-01-01",
    "holdbacks-0-end": "2017-03-31",
    "options_count": "2",
    "options-0-kind": "renewal",
    "options-0-holder": "",
    "options-1-kind": "first-refusal",
    "options-1-holder": "youku",
    "options-1-titles": "sw5",
    "options-1-media": "AVOD",
    "options-1-territories": "TW",
    "options-1-exercise_by": "2018-12-31",
}


@pytest.fixture
def editor(tmp_path: Path) -> tuple[Service, TestClient]:
    service = Service(str(tmp_path / "deals.db"), actor="setup")
    service.load_texts([("book.yaml", BOOK), ("option.yaml", OPTION)])
    browser = TestClient(create_site(service), base_url=BASE, follow_redirects=False)
    answer = browser.post("/ui/login", data={"key": service.create_key("editor")[1]})
    assert answer.status_code == 303
    return service, browser


def test_every_field_of_the_form_reaches_the_draft(editor) -> None:
    service, browser = editor
    saved = browser.post("/ui/contracts", data=DEAL)
    assert saved.status_code == 303, re.findall(r"field-problem[^>]*>([^<]*)<", saved.text)
    sheet = service.contract_sheet("youku-tw")
    assert sheet["signed"] == "2016-05-01" and sheet["currency"] == "USD"
    assert sheet["fee"] == {"amount": 1000, "currency": "USD"}
    assert sheet["minimum_guarantee"] == {"amount": 200, "currency": "USD"}
    assert sheet["payments"] == [
        {"due": "2016-06-01", "amount": 400},
        {"due": "2016-07-01", "amount": 600},
    ]
    assert sheet["reporting"] == "yearly" and sheet["revenue_share"]
    (grant,) = sheet["grants"]  # the empty second grant row is left out
    assert grant["sublicense"] is True and grant["exclusive"] is False
    assert grant["languages"] == ["zh"]
    (holdback,) = sheet["holdbacks"]
    assert holdback["media"] == ["FREE_TV"] and holdback["end"] == "2017-03-31"
    (option,) = sheet["options"]  # the option row without titles is left out
    assert (option["kind"], option["holder"], option["exercise_by"]) == (
        "first-refusal",
        "youku",
        "2018-12-31",
    )


def test_the_live_check_words_an_option_warning_with_its_holder(editor) -> None:
    _, browser = editor
    text = browser.post("/ui/contracts/check", data=DEAL).text
    assert 'data-check="warning"' in text and "this deal can be executed" not in text
    warning = re.search(r'<li data-warning="first-negotiation">(.*?)</li>', text, re.S)
    assert warning is not None
    said = re.sub(r"<[^>]+>", "", warning.group(1))
    assert "under a first-negotiation right" in said and "held by Tencent Video" in said
    assert "tencent-option" in said


def test_problems_stay_on_their_fields_with_human_labels(editor) -> None:
    service, browser = editor
    bad = {
        **DEAL,
        "payments-1-amount": "500",
        "options-1-exercise_by": "",
        "holdbacks-0-media": "FREETV",
        "fee": "10.001",
    }
    answer = browser.post("/ui/contracts", data=bad)
    assert answer.status_code == 422
    found = dict(
        re.findall(r'<span class="field-problem" id="problem-([^"]+)">([^<]*)<', answer.text)
    )
    assert found["options-1-exercise_by"] == "Option 2 · Exercise by: missing"
    assert found["holdbacks-0-media"].startswith(
        "Holdback 1 · Media: unknown medium &#39;FREETV&#39;"
    )
    assert found["fee"].startswith("Fee: ") and "minor unit" in found["fee"]
    # what was typed is kept
    assert 'name="holdbacks-0-media" value="FREETV"' in answer.text
    assert 'name="options-1-holder"' in answer.text
    assert service.counts()["contracts"] == 4  # nothing saved
