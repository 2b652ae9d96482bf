"""``reelrights search`` and ``avails --next`` on a rights desk's library (docs/cli.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run

DESK = """
parties:
  - {id: atlas, name: Atlas Films}
  - {id: netflix, name: Netflix}
  - {id: claro, name: Claro Video}
  - {id: globo, name: Globoplay}
titles:
  - {id: oldboy, name: Oldboy, kind: film, year: 2003}
  - {id: parasite, name: Parasite, kind: film, year: 2019}
  - {id: roma, name: Roma, kind: film, year: 2018}
  - {id: shoplifters, name: Shoplifters, kind: film, year: 2018}
  - {id: kingdom, name: Kingdom, kind: series}
  - {id: kingdom-s1, name: Season 1, kind: season, parent: kingdom}
  - {id: kingdom-s1e1, name: Episode 1, kind: episode, parent: kingdom-s1}
  - {id: kingdom-s1e2, name: Episode 2, kind: episode, parent: kingdom-s1}
  - {id: arthouse, name: Arthouse library, kind: collection,
     members: [oldboy, parasite, roma, shoplifters]}
contracts:
  - id: owns-library
    licensee: atlas
    status: executed
    grants:
      - {titles: [oldboy, parasite, shoplifters, kingdom], media: [ALL_MEDIA],
         territories: [WORLD], start: 2000-01-01, end: null}
      - {titles: [roma], media: [ALL_MEDIA], territories: [WORLD], start: 2000-01-01,
         end: 2027-06-30}
  - id: netflix-latam
    licensor: atlas
    licensee: netflix
    status: executed
    grants:
      - {titles: [oldboy], media: [SVOD], territories: [BR, MX], exclusive: true,
         start: 2026-01-01, end: 2027-03-31}
  - id: globo-episode
    licensor: atlas
    licensee: globo
    status: executed
    grants:
      - {titles: [kingdom-s1e2], media: [SVOD], territories: [BR], exclusive: true,
         start: 2027-09-01, end: 2028-08-31}
  - id: claro-pencil
    licensor: atlas
    licensee: claro
    status: hold
    grants:
      - {titles: [parasite], media: [SVOD], territories: [CO], exclusive: true,
         start: 2027-01-01, end: 2027-12-31}
"""

SEARCH = (
    "search",
    "--licensor",
    "Atlas Films",
    "--media",
    "svod",
    "--territory",
    "LATIN_AMERICA_AND_THE_CARIBBEAN",
    "--start",
    "2027-01-01",
    "--end",
    "2027-12-31",
    "--exclusive",
)


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    sheet = tmp_path / "desk.yaml"
    sheet.write_text(DESK)
    db = tmp_path / "desk.db"
    code, _, err = run(db, "load", str(sheet))
    assert code == 0, err
    return db


def test_search_json_is_the_contract_shape(desk: Path) -> None:
    code, out, err = run(desk, *SEARCH, "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["match"] == "cover"
    assert [t["title"] for t in answer["titles"]] == ["kingdom-s1e1", "parasite", "shoplifters"]
    parasite = answer["titles"][1]
    assert parasite["name"] == "Parasite"
    assert parasite["windows"] == [{"start": "2027-01-01", "end": "2027-12-31"}]
    assert parasite["first_available"] == "2027-01-01"
    assert [(w["code"], w["contract"], w["territories"]) for w in parasite["warnings"]] == [
        ("held-for-negotiation", "claro-pencil", ["CO"])
    ]
    assert answer["titles"][0]["label"] == "Kingdom · S1 E1"


def test_min_days_and_open_end(desk: Path) -> None:
    code, out, _ = run(desk, *SEARCH, "--min-days", "180", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["match"] == "min-days" and answer["min_days"] == 180
    windows = {t["title"]: t["windows"] for t in answer["titles"]}
    assert windows["oldboy"] == [{"start": "2027-04-01", "end": "2027-12-31"}]
    assert windows["roma"] == [{"start": "2027-01-01", "end": "2027-06-30"}]
    assert windows["kingdom"] == [{"start": "2027-01-01", "end": "2027-08-31"}]
    forever = [a for a in SEARCH if a not in ("--end", "2027-12-31")]
    code, out, _ = run(desk, *forever, "--kind", "film", "--json")
    titles = json.loads(out)["titles"]
    assert [t["title"] for t in titles] == ["parasite", "shoplifters"]
    assert titles[0]["windows"] == [{"start": "2027-01-01", "end": None}]


def test_narrowed_by_kind_and_within(desk: Path) -> None:
    code, out, _ = run(desk, *SEARCH, "--within", "kingdom", "--match", "overlap", "--json")
    assert code == 0
    assert [t["title"] for t in json.loads(out)["titles"]] == [
        "kingdom-s1",
        "kingdom-s1e1",
        "kingdom-s1e2",
    ]


def test_the_table_names_titles_and_windows(desk: Path) -> None:
    code, out, _ = run(desk, *SEARCH, "--match", "overlap")
    assert code == 0
    assert "titles with any part available" in out
    assert "Kingdom · S1 E2" in out and "claro-pencil" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--licensor", "Atlas Film"), "did you mean atlas Atlas Films?"),
        (("--territory", "Hong Kongg"), "unknown territory 'Hong Kongg'"),
        (("--media", "SVODD"), "unknown medium 'SVODD'"),
        (("--end", "2026-12-31"), "the range is reversed"),
        (("--min-days", "400"), "min-days 400 is longer than the range (365 days"),
        (("--kind", "collection"), "unknown kind 'collection'"),
        (("--within", "shoplifters"), "no titles to search within 'shoplifters'"),
        (("--within", "kingdum"), "did you mean kingdom Kingdom,"),
        (("--match", "all"), "match is 'cover' or 'overlap'"),
    ],
)
def test_bad_input_exits_1_with_a_clear_message(
    desk: Path, change: tuple[str, str], message: str
) -> None:
    args = list(SEARCH)
    if change[0] in args:
        args[args.index(change[0]) + 1] = change[1]
    else:
        args += change
    code, out, err = run(desk, *args)
    assert code == 1, out
    assert message in " ".join(err.split()), err


NEXT = (
    "avails",
    "--licensor",
    "atlas",
    "--title",
    "Oldboy",
    "--media",
    "SVOD",
    "--territory",
    "BR",
    "--start",
    "2026-06-01",
    "--end",
    "2026-12-31",
    "--exclusive",
    "--next",
)


def test_avails_next_says_when(desk: Path) -> None:
    code, out, err = run(desk, *NEXT, "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "titles": ["oldboy"],
        "next": {"start": "2027-04-01", "end": None},
        "days": None,
        "covers": False,
    }
    code, out, _ = run(desk, *NEXT)
    assert "2027-04-01 → perpetuity" in out
    roma = [a if a != "Oldboy" else "roma,oldboy" for a in NEXT]
    code, out, _ = run(desk, *roma, "--json")
    assert json.loads(out)["next"] == {"start": "2027-04-01", "end": "2027-06-30"}
    assert json.loads(out)["days"] == 91
    late = [a if a != "2026-06-01" else "2027-07-01" for a in roma]
    late[late.index("--end") + 1] = "2027-12-31"
    code, out, _ = run(desk, *late)
    assert code == 0 and "never within the rights held" in out


def test_avails_by_names_instead_of_codes(desk: Path) -> None:
    code, out, err = run(
        desk,
        "avails",
        "--licensor",
        "Atlas Films",
        "--title",
        "parasite,OLDBOY",
        "--media",
        "Subscription VOD",
        "--territory",
        "Colombia, Brazil",
        "--start",
        "2027-06-01",
        "--json",
    )
    assert code == 0, err
    answer = json.loads(out)
    assert answer["available"][0]["titles"] == ["oldboy", "parasite"]
    assert answer["available"][0]["territories"] == ["BR", "CO"]
    code, _, err = run(
        desk, "avails", "--licensor", "atlas", "--title", "Episode 3", "--media", "svod",
        "--territory", "Hong Kongg", "--start", "2027-01-01",
    )  # fmt: skip
    message = " ".join(err.split())
    assert code == 1
    assert "did you mean HK Hong Kong?" in message
    assert "unknown title 'Episode 3'; did you mean kingdom-s1e2 Episode 2" in message
