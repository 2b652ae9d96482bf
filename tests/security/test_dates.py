"""Issue 11 point 12: a date is a calendar date in ISO form, never a number of seconds
since 1970; a bad one is a 422 in the API and a form error on the web page."""

from __future__ import annotations

import pytest

from tests.security.conftest import ORIGIN, Book


@pytest.mark.parametrize("day", [0, 1_700_000_000, 1.5, "not-a-date", "2026-13-01", True])
def test_point12_terminate_takes_only_a_calendar_date(book: Book, day: object) -> None:
    admin = book.api("admin")
    answer = admin.post("/contracts/disney-tencent/terminate", json={"date": day})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "date"]
    assert admin.get("/contracts/disney-tencent").json()["status"] == "executed"


def test_point12_questions_take_only_calendar_dates(book: Book) -> None:
    admin = book.api("admin")
    ask = {
        "licensor": "walt-disney",
        "titles": ["sw4"],
        "media": ["SVOD"],
        "territories": ["CN"],
        "start": 0,
    }
    assert admin.post("/avails", json=ask).status_code == 422
    grid = {"licensor": "walt-disney", "title": "sw4", "start": "2016-01-01", "end": 86400}
    assert admin.post("/avails/grid", json=grid).status_code == 422
    assert admin.post("/avails", json={**ask, "start": "2016-01-01"}).status_code == 200


def test_point12_the_web_form_answers_a_bad_date_with_a_form_error(book: Book) -> None:
    browser = book.browser("admin")
    answer = browser.post(
        "/ui/contracts/disney-tencent/terminate", data={"on": "not-a-date"}, headers=ORIGIN
    )
    assert answer.status_code == 422
    assert "not a date" in answer.text
    assert "<form" in answer.text  # the contract page, with its forms, not a crash page
    assert book.api("admin").get("/contracts/disney-tencent").json()["status"] == "executed"
    grid = browser.get("/ui/grid?title=sw4&licensor=walt-disney&start=yesterday&end=x")
    assert grid.status_code == 200 and "not a date" in grid.text
