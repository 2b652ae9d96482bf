"""The calendar through the store (SQLite and PostgreSQL), the CLI, the API and the web
pages: the dated contracts are found in SQL, party scopes hold, and the iCalendar file
parses back with the same library."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from typer.testing import CliRunner

from reelrights.cli.main import app as cli
from reelrights.domain.problems import InvalidInput
from reelrights.service import Service
from reelrights.web.app import create_site
from tests.engine.test_calendar import BOOK


def loaded(url: str) -> Service:
    svc = Service(url, actor="tester")
    svc.load_texts([("book.yaml", BOOK)])
    return svc


def test_the_store_finds_the_same_dates_as_the_engine(db_url: str) -> None:
    svc = loaded(db_url)
    events = svc.calendar("2025-01-01", "2025-03-31")
    assert [(e.day.isoformat(), e.kind, e.contract) for e in events] == [
        ("2025-01-31", "license-end", "hbo-ended"),
        ("2025-02-01", "license-end", "kbs-window"),
        ("2025-03-01", "license-end", "kbs-window"),
        ("2025-03-31", "option-deadline", "netflix-film"),
    ]
    assert [e.contract for e in svc.calendar("2024-01-01", "2026-12-31", party="hbo")] == [
        "hbo-ended",
        "hbo-ended",
    ]
    # a party-bound key sees only its own contracts, whatever party it asks for
    scoped = svc.calendar("2024-01-01", "2026-12-31", party="netflix", scope="kbs")
    assert scoped == []
    assert {e.contract for e in svc.calendar("2024-01-01", "2026-12-31", scope="kbs")} == {
        "kbs-window"
    }
    with pytest.raises(InvalidInput) as caught:
        svc.calendar("2025-13-01", "2024-01-01", party="ghost", kinds=["birthday"], titles=["x"])
    assert [p.field for p in caught.value.problems] == ["from", "kind", "title", "party"]
    svc.close()


def test_cli_json_and_ics_parse_back(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    loaded(db).close()
    ics = tmp_path / "dates.ics"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "calendar",
            "--db",
            db,
            "--from",
            "2024-01-01",
            "--to",
            "2026-12-31",
            "--kind",
            "license-end,option-deadline",
            "--json",
            "--ics",
            str(ics),
        ],
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert [e["kind"] for e in answer["events"]] == [
        "license-end",
        "license-end",
        "license-end",
        "option-deadline",
        "license-end",
    ]
    parsed = Calendar.from_ical(ics.read_bytes())
    entries = list(parsed.walk("VEVENT"))
    assert [(e.decoded("dtstart"), str(e["uid"])) for e in entries] == [
        (date.fromisoformat(x["date"]), f"{x['id']}@reelrights") for x in answer["events"]
    ]
    assert entries[3]["summary"] == "option-deadline: netflix-film (film)"
    bad = runner.invoke(cli, ["calendar", "--db", db, "--from", "2024-01-01", "--to", "x"])
    assert bad.exit_code == 1 and "to: 'x' is not a date" in bad.stderr


def test_api_and_web_pages_scope_the_calendar(tmp_path: Path) -> None:
    svc = loaded(str(tmp_path / "api.db"))
    viewer = svc.create_key("viewer")[1]
    kbs = svc.create_key("viewer", "kbs")[1]
    site = TestClient(create_site(svc), base_url="https://testserver")
    every = site.get(
        "/calendar?from=2024-01-01&to=2026-12-31",
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert every.status_code == 200 and len(every.json()["events"]) == 10
    mine = site.get(
        "/calendar?from=2024-01-01&to=2026-12-31&party=netflix",
        headers={"Authorization": f"Bearer {kbs}"},
    )
    assert mine.json()["events"] == []
    ics = site.get(
        "/calendar.ics?from=2024-01-01&to=2026-12-31",
        headers={"Authorization": f"Bearer {kbs}"},
    )
    assert ics.headers["content-type"].startswith("text/calendar")
    assert {
        str(e["uid"]).split("/")[0] for e in Calendar.from_ical(ics.content).walk("VEVENT")
    } == {"kbs-window"}
    refused = site.get(
        "/calendar?from=2024-01-01&to=2023-01-01", headers={"Authorization": f"Bearer {viewer}"}
    )
    assert refused.status_code == 422
    login = site.post("/ui/login", data={"key": kbs, "next": "/ui/calendar"})
    assert login.status_code in (200, 303)
    month = site.get("/ui/calendar?month=2025-03")
    assert month.status_code == 200
    assert "kbs-window" in month.text and "netflix-film" not in month.text
    download = site.get("/ui/calendar.ics?month=2025-03")
    assert len(list(Calendar.from_ical(download.content).walk("VEVENT"))) == 1
    svc.close()
