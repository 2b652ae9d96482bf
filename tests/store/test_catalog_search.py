"""The catalog search: by name, original name, alternative names and ids, episodes under
their series, through the service, the CLI and the API."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from reelrights.api.app import create_app
from reelrights.cli.main import app
from reelrights.service import Service
from tests.cli.test_cli import runner

SHEET = """
parties:
  - {id: sbs, name: SBS}
titles:
  - {id: star, name: My Love from the Star, kind: series, original_name: 별에서 온 그대,
     alternative_names: [You Who Came from the Stars], eidr: 10.5240/A1B2-C3D4-E5F6-0718-9A0B-C}
  - {id: star-s1, name: Season 1, kind: season, parent: star}
  - {id: star-s1e3, name: Episode 3, kind: episode, parent: star-s1}
  - {id: star-s1e4, name: The Reunion, kind: episode, parent: star-s1}
  - {id: amelie, name: Amélie, kind: film, original_name: Le Fabuleux Destin d'Amélie Poulain}
  - {id: stardust, name: Stardust, kind: film}
"""


def service(tmp_path: Path) -> Service:
    svc = Service(str(tmp_path / "catalog.db"), actor="test")
    svc.load_texts([("catalog.yaml", SHEET)])
    return svc


def test_every_name_and_id_finds_the_title(tmp_path: Path) -> None:
    svc = service(tmp_path)

    def first(query: str) -> tuple[str, str]:
        found = svc.find_titles(query)
        return found[0].title.id, found[0].matched

    assert first("별에서 온 그대") == ("star", "original name")
    assert first("you who came from the stars") == ("star", "alternative name")
    assert first("10.5240/A1B2-C3D4-E5F6-0718-9A0B-C") == ("star", "eidr")
    assert first("amelie") == ("amelie", "name")  # accents ignored
    assert first("fabuleux destin") == ("amelie", "original name")
    assert first("Amelei") == ("amelie", "name")  # a close spelling
    assert svc.find_titles("nothing like it") == []


def test_episodes_show_under_their_series(tmp_path: Path) -> None:
    svc = service(tmp_path)
    found = [f.title.id for f in svc.find_titles("star")]
    # The whole text first (the id "star"), then what starts with it, then the rest.
    assert found[0] == "star" and found.index("stardust") < found.index("star-s1e4")
    episodes = {f.title.id: f.label for f in svc.find_titles("", ["episode"])}
    assert episodes == {
        "star-s1e3": "My Love from the Star · S1 E3",
        "star-s1e4": "My Love from the Star · S1 · The Reunion",
    }
    assert [f.label for f in svc.find_titles("", ["season"])] == ["My Love from the Star · S1"]


def test_the_sheet_keeps_original_and_alternative_names(tmp_path: Path) -> None:
    svc = service(tmp_path)
    exported = svc.export_sheet()
    assert "original_name: 별에서 온 그대" in exported
    assert "alternative_names:" in exported and "extra" not in exported


def test_cli_and_api(tmp_path: Path) -> None:
    svc = service(tmp_path)
    result = runner.invoke(
        app, ["--db", str(tmp_path / "catalog.db"), "titles", "별에서", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    assert [(t["id"], t["matched"]) for t in json.loads(result.stdout)] == [
        ("star", "original name")
    ]
    table = runner.invoke(app, ["--db", str(tmp_path / "catalog.db"), "titles", "episode 3"])
    assert "My Love from the Star · S1 E3" in table.stdout
    _, key = svc.create_key("viewer")
    client = TestClient(create_app(svc))
    page = client.get("/titles?q=reunion", headers={"Authorization": f"Bearer {key}"}).json()
    assert [(t["id"], t["label"]) for t in page["items"]] == [
        ("star-s1e4", "My Love from the Star · S1 · The Reunion")
    ]
