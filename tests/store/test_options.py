"""Options and first rights through the store and the API, on SQLite and PostgreSQL:
located errors with nothing stored, the deadline against today's date, export and load
round trips, the warm index and the change-log replay agreeing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelrights.api.app import create_app
from reelrights.domain.problems import InvalidInput
from reelrights.service import Service

BOOK = """
parties:
  - {id: studio, name: Studio}
  - {id: netflix, name: Netflix}
  - {id: hbo, name: HBO}
titles:
  - {id: film, name: Film, kind: film}
  - {id: sequel, name: Sequel, kind: film}
contracts:
  - id: studio-owns
    licensee: studio
    grants: [{titles: [film, sequel], media: [ALL_MEDIA], territories: [WORLD], start: 2020-01-01}]
  - id: netflix-film
    licensor: studio
    licensee: netflix
    grants:
      - {titles: [film], media: [SVOD], territories: [US], start: 2024-01-01, end: 2026-12-31}
    options:
      - {kind: first-negotiation, holder: netflix, titles: [sequel], media: [SVOD],
         territories: [US], start: 2027-01-01, end: 2099-12-31, exercise_by: 2099-06-30}
      - {kind: first-refusal, holder: hbo, titles: [sequel], media: [SVOD],
         territories: [US], start: 2027-01-01, end: 2029-12-31, exercise_by: 2021-06-30}
"""

BAD = """
contracts:
  - id: late-option
    licensor: studio
    licensee: hbo
    grants:
      - {titles: [film], media: [PAY_TV], territories: [US], start: 2024-01-01, end: 2024-12-31}
    options:
      - {kind: renewal, holder: nobody, titles: [film], media: [PAY_TV], territories: [US],
         start: 2025-01-01, end: 2025-12-31, exercise_by: 2026-01-01}
      - {kind: second-look, holder: hbo, titles: [film], media: [PAY_TV], territories: [US]}
"""


def codes(svc: Service, as_of: datetime | None = None) -> list[tuple[str, str, str]]:
    request = svc.request("studio", ["sequel"], ["SVOD"], ["US"], "2027-01-01", "2027-12-31")
    return [(w.code, w.contract, w.holder or "") for w in svc.avails(request, as_of).warnings]


def test_options_warn_until_today_passes_their_deadline(db_url: str) -> None:
    svc = Service(db_url, actor="tester")
    svc.load_texts([("book.yaml", BOOK)])
    # The first refusal's deadline (2021) has passed; the first negotiation's has not.
    assert codes(svc) == [("first-negotiation", "netflix-film", "netflix")]
    assert codes(svc, as_of=datetime.now(UTC)) == codes(svc)  # replay = warm index
    other = Service(db_url, actor="other")  # a second process terminates the contract
    other.terminate("netflix-film")
    assert codes(svc) == []  # the warm index caught up: the option lapsed with it
    svc.close()
    other.close()


def test_bad_options_are_located_and_nothing_is_stored(db_url: str) -> None:
    svc = Service(db_url, actor="tester")
    svc.load_texts([("book.yaml", BOOK)])
    before = svc.counts()
    with pytest.raises(InvalidInput) as caught:
        svc.load_texts([("bad.yaml", BAD)])
    assert [str(p) for p in caught.value.problems] == [
        "bad.yaml:11: contracts[0].options[1].kind: unknown option kind 'second-look' "
        "(expected one of first-negotiation, first-refusal, renewal)",
        "bad.yaml:11: contracts[0].options[1].exercise_by: missing",
    ]
    fixed = BAD.replace("second-look", "first-refusal").replace(
        "territories: [US]}", "territories: [US], exercise_by: 2024-06-30}"
    )
    with pytest.raises(InvalidInput) as caught:
        svc.load_texts([("bad.yaml", fixed)])
    assert [str(p) for p in caught.value.problems] == [
        "bad.yaml:9: contract late-option options[0].holder: unknown party 'nobody'",
        "bad.yaml:9: contract late-option options[0]: exercise_by 2026-01-01 is after the end "
        "of the option's rights (2025-12-31)",
    ]
    assert svc.counts() == before
    svc.close()


def test_export_loads_back_with_the_same_options(db_url: str, tmp_path: Path) -> None:
    svc = Service(db_url, actor="tester")
    svc.load_texts([("book.yaml", BOOK)])
    exported = svc.export_sheet()
    again = Service(str(tmp_path / "again.db"), actor="tester")
    again.load_texts([("export.yaml", exported)])
    assert again.contract("netflix-film") == svc.contract("netflix-film")
    assert again.export_sheet() == exported
    assert len(svc.contract("netflix-film").options) == 2
    svc.close()
    again.close()


def test_the_api_takes_and_gives_options(tmp_path: Path) -> None:
    service = Service(str(tmp_path / "api.db"), actor="setup")
    service.load_texts([("book.yaml", BOOK)])
    _, key = service.create_key("editor")
    client = TestClient(create_app(service))
    headers = {"Authorization": f"Bearer {key}"}
    draft = {
        "id": "hbo-draft",
        "licensor": "studio",
        "licensee": "hbo",
        "grants": [
            {"titles": ["film"], "media": ["PAY_TV"], "territories": ["GB"], "start": "2025-01-01"}
        ],
        "options": [
            {
                "kind": "first-refusal",
                "holder": "hbo",
                "titles": ["sequel"],
                "media": ["PAY_TV"],
                "territories": ["GB"],
                "end": "2030-12-31",
                "exercise_by": "2030-01-31",
            }
        ],
    }
    made = client.post("/contracts", json=draft, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["options"][0]["holder"] == "hbo"
    assert client.post("/contracts/hbo-draft/execute", headers=headers).status_code == 200
    asked = client.post(
        "/avails",
        json={
            "licensor": "studio",
            "titles": ["sequel"],
            "media": ["PAY_TV"],
            "territories": ["GB", "FR"],
            "start": "2028-01-01",
            "end": "2028-12-31",
        },
        headers=headers,
    ).json()
    assert asked["status"] == "available"
    assert [(w["code"], w["holder"], w["territories"]) for w in asked["warnings"]] == [
        ("first-refusal", "hbo", ["GB"])
    ]
    grid = client.post(
        "/avails/grid",
        json={
            "licensor": "studio",
            "title": "sequel",
            "start": "2028-01-01",
            "end": "2028-12-31",
            "media": ["PAY_TV"],
            "territories": ["GB", "FR"],
        },
        headers=headers,
    ).json()
    cells = {c["territory"]: c for c in grid["cells"]}
    assert cells["GB"]["status"] == cells["FR"]["status"] == "available"
    assert [(o["code"], o["holder"]) for o in cells["GB"]["options"]] == [("first-refusal", "hbo")]
    assert cells["FR"]["options"] == [] and cells["GB"]["holds"] == []
    wrong = {**draft, "id": "x", "options": [{**draft["options"][0], "holder": "ghost"}]}
    refused = client.post("/contracts", json=wrong, headers=headers)
    assert refused.status_code == 422 and "ghost" in refused.text
    assert "x" not in {c.id for c in service.contracts()}
    service.close()
