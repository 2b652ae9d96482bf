"""The CLI contract of docs/cli.md: commands, --json, exit codes, and that bad input leaves
the database byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reelrights import __version__
from reelrights.cli.main import app
from tests.store.test_service import BOOK

runner = CliRunner()


def run(db: Path | str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    sheet = tmp_path / "book.yaml"
    sheet.write_text(BOOK)
    db = tmp_path / "book.db"
    code, out, err = run(db, "load", str(sheet))
    assert code == 0, err
    assert "loaded 3 parties, 3 titles, 3 contracts, 2 groups" in out
    return db


AVAILS = (
    "avails",
    "--licensor",
    "disney",
    "--title",
    "sw4",
    "--media",
    "SVOD",
    "--territory",
    "CN,HK",
    "--start",
    "2016-01-01",
    "--end",
    "2016-12-31",
)


def test_avails_json_is_exactly_the_design_shape(loaded: Path) -> None:
    code, out, _ = run(loaded, *AVAILS, "--json")
    assert code == 0
    assert json.loads(out) == {
        "status": "partial",
        "available": [
            {
                "titles": ["sw4"],
                "media": ["SVOD"],
                "territories": ["HK"],
                "languages": "all",
                "start": "2016-01-01",
                "end": "2016-12-31",
            }
        ],
        "unavailable": [
            {
                "titles": ["sw4"],
                "media": ["SVOD"],
                "territories": ["CN"],
                "languages": "all",
                "start": "2016-01-01",
                "end": "2016-12-31",
                "reason": "exclusive-license",
                "contract": "tencent-online",
            }
        ],
        "warnings": [],
    }


def test_avails_table_names_groups_and_reasons(loaded: Path) -> None:
    code, out, _ = run(
        loaded,
        "avails",
        "--licensor",
        "disney",
        "--title",
        "saga",
        "--media",
        "ONLINE",
        "--territory",
        "WORLD",
        "--start",
        "2016-01-01",
        "--end",
        "2016-12-31",
    )
    assert code == 0
    assert "PARTIAL" in out
    assert "WORLD except CN" in out and "exclusive-license" in out and "ONLINE" in out


def test_the_db_option_also_works_after_the_command(loaded: Path) -> None:
    result = runner.invoke(app, [*AVAILS, "--json", "--db", str(loaded)])
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "partial"


def test_env_var_selects_the_database(loaded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELRIGHTS_DB", str(loaded))
    result = runner.invoke(app, [*AVAILS, "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "partial"


def digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


BAD_SHEETS = {
    "malformed": ("contracts: [{id: x, licensee: disney\n", "bad.yaml:2: not valid YAML"),
    "territory": (
        """contracts:
  - id: x
    licensor: disney
    licensee: youku
    grants: [{titles: [sw4], media: [SVOD], territories: [XX], start: 2030-01-01}]
""",
        "bad.yaml:5: contracts[0].grants[0].territories: unknown territory 'XX'",
    ),
    "medium": (
        """contracts:
  - id: x
    licensor: disney
    licensee: youku
    grants:
      - titles: [sw4]
        media: [SVODD]
        territories: [KR]
""",
        "bad.yaml:7: contracts[0].grants[0].media: unknown medium 'SVODD'",
    ),
    "reversed": (
        """contracts:
  - id: x
    licensor: disney
    licensee: youku
    grants:
      - {titles: [sw4], media: [SVOD], territories: [KR], start: 2030-01-01,
         end: 2029-01-01}
""",
        "term ends (2029-01-01) before it starts (2030-01-01)",
    ),
    "title": (
        """contracts:
  - id: x
    licensor: disney
    licensee: youku
    grants:
      - {titles: [sw9], media: [SVOD], territories: [KR], start: 2030-01-01}
""",
        "bad.yaml:6: contract x grants[0].titles[0]: unknown title 'sw9'; did you mean sw5",
    ),
    "duplicate": (
        """parties: [{id: a, name: A}, {id: a, name: A}]
""",
        "duplicate party id 'a'",
    ),
    "duplicate-contract": (
        """contracts:
  - id: tencent-online
    licensor: disney
    licensee: youku
    grants: [{titles: [sw4], media: [SVOD], territories: [KR], start: 2030-01-01}]
""",
        "bad.yaml:2: contracts: contract 'tencent-online' already exists",
    ),
    "field": (
        """contracts:
  - id: x
    licensor: disney
    licensee: youku
    grants: [{titles: [sw4], media: [SVOD], territories: [KR], exlusive: true}]
""",
        "unknown field 'exlusive'",
    ),
    "language": (
        """contracts:
  - id: x
    licensor: disney
    licensee: youku
    grants: [{titles: [sw4], media: [SVOD], territories: [KR], languages: [xx]}]
""",
        "unknown language 'xx'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SHEETS))
def test_bad_sheets_exit_1_with_a_located_message_and_change_nothing(
    loaded: Path, tmp_path: Path, case: str
) -> None:
    text, message = BAD_SHEETS[case]
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    before = digest(loaded)
    code, _, err = run(loaded, "load", str(bad))
    assert code == 1
    assert message in " ".join(err.split()), err
    assert digest(loaded) == before


def test_a_conflicting_load_exits_3_with_the_report_on_stdout(loaded: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "conflict.yaml"
    sheet.write_text("""contracts:
  - id: youku-cn
    licensor: disney
    licensee: youku
    grants: [{titles: [sw4], media: [SVOD], territories: [CN], start: 2016-06-01,
              end: 2016-06-30, exclusive: true}]
""")
    before = digest(loaded)
    code, out, _ = run(loaded, "load", str(sheet), "--json")
    assert code == 3
    report = json.loads(out)
    assert report["status"] == "rejected"
    assert report["conflicts"][0]["grants"][0]["unavailable"][0]["contract"] == "tencent-online"
    assert digest(loaded) == before
    code, out, _ = run(loaded, "load", str(sheet))
    assert code == 3 and "rejected" in out and "tencent-online" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (("--licensor", "nobody"), "unknown party 'nobody'"),
        (("--title", "sw9"), "unknown title 'sw9'"),
        (("--media", "SVODD"), "unknown medium 'SVODD'"),
        (("--territory", "XX"), "unknown territory 'XX'"),
        (("--end", "2015-01-01"), "end 2015-01-01 is before start 2016-01-01"),
        (("--start", "2016-02-30"), "'2016-02-30' is not a date"),
    ],
)
def test_bad_questions_exit_1(loaded: Path, args: tuple[str, ...], message: str) -> None:
    base = dict(zip(AVAILS[1::2], AVAILS[2::2], strict=True))
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for pair in base.items() for x in pair]
    code, _, err = run(loaded, "avails", *flat)
    assert code == 1
    assert message in err


def test_contract_life_and_listings(loaded: Path) -> None:
    code, out, _ = run(loaded, "contracts", "list", "--json")
    assert [c["id"] for c in json.loads(out)] == ["disney-owns", "tencent-online", "youku-draft"]
    code, out, _ = run(loaded, "contracts", "execute", "youku-draft")
    assert code == 0 and "executed youku-draft" in out
    code, out, _ = run(loaded, "contracts", "terminate", "tencent-online", "--date", "2016-07-01")
    assert code == 0
    code, out, _ = run(loaded, "contracts", "show", "tencent-online", "--json")
    assert json.loads(out)["terminated"] == "2016-07-01"
    code, out, _ = run(loaded, "history", "--json")
    assert [c["action"] for c in json.loads(out)][:2] == ["terminate", "execute"]
    code, out, _ = run(loaded, "titles", "star", "--json")
    assert [t["id"] for t in json.loads(out)] == ["saga"]
    code, out, _ = run(loaded, "parties", "--json")
    assert len(json.loads(out)) == 3
    code, out, _ = run(loaded, "check", "--json")
    assert code == 0 and json.loads(out) == []
    code, _, err = run(loaded, "contracts", "execute", "nope")
    assert code == 1 and "unknown contract 'nope'" in err


def test_as_of_answers_from_the_past(loaded: Path) -> None:
    assert run(loaded, "contracts", "terminate", "tencent-online")[0] == 0
    now = json.loads(run(loaded, *AVAILS, "--json")[1])
    assert now["status"] == "available"
    code, out, err = run(loaded, *AVAILS, "--json", "--as-of", "2000-01-01")
    assert (code, out) == (1, "")  # nothing was on record then: no book to answer from
    assert "nothing was recorded yet at 2000-01-01T23:59:59" in err
    assert "the change log begins at" in err
    history = json.loads(run(loaded, "history", "--json")[1])
    loaded_at = next(c["at"] for c in history if c["action"] == "create")
    then = json.loads(run(loaded, *AVAILS, "--json", "--as-of", loaded_at)[1])
    assert then["status"] == "partial"


def test_export_round_trip(loaded: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "export.yaml"
    assert run(loaded, "export", "-o", str(out_file))[0] == 0
    copy = tmp_path / "copy.db"
    assert run(copy, "load", str(out_file))[0] == 0
    for exclusive in ((), ("--exclusive",)):
        assert (
            run(copy, *AVAILS, "--json", *exclusive)[1]
            == run(loaded, *AVAILS, "--json", *exclusive)[1]
        )


def test_demo_builds_tours_and_never_overwrites_other_data(tmp_path: Path, loaded: Path) -> None:
    demo_db = tmp_path / "demo.db"
    code, out, err = run(demo_db, "demo", "--titles", "60", "--contracts", "400")
    assert code == 0, err
    assert "Can Disney license Star Wars IV" in out and "exclusive-license" in out
    assert "reelrights" in out and "avails --licensor" in out
    code, _, _ = run(demo_db, "demo", "--titles", "60", "--contracts", "400")
    assert code == 0  # a demo database may be rebuilt
    before = digest(loaded)
    code, _, err = run(loaded, "demo")
    assert code == 1 and "never overwrites" in err
    assert digest(loaded) == before


def test_the_demo_hints_work_pasted_as_printed(tmp_path: Path, monkeypatch: Any) -> None:
    demo_db = tmp_path / "demo.db"
    code, out, err = run(demo_db, "demo", "--titles", "60", "--contracts", "400")
    assert code == 0, err
    hints = [line.strip() for line in out.split("Ask your own questions")[1].splitlines()]
    commands = [line for line in hints if line.startswith(("export ", "/", "reelrights"))]
    assert commands[0] == f"export REELRIGHTS_DB={demo_db.resolve()}"
    monkeypatch.setenv("REELRIGHTS_DB", commands[0].split("=", 1)[1])
    monkeypatch.chdir(tmp_path)  # where a missing --db would create ./reelrights.db
    ran = []
    for command in commands[1:]:
        args = shlex.split(command)[1:]
        if args == ["serve"]:
            continue  # it would not return; its database check is tested below
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (command, result.stderr)
        ran.append(args[0])
    assert ran == ["avails", "contracts", "titles", "avails", "keys"]
    assert not (tmp_path / "reelrights.db").exists()
    # The --as-of hint asks before Tencent's exclusive deal was recorded: SVOD in CN was
    # free then, and is not now.
    as_of = next(shlex.split(c)[1:] for c in commands if "--as-of" in c)
    then = json.loads(runner.invoke(app, [*as_of, "--json"]).stdout)
    now = json.loads(runner.invoke(app, [*as_of[:-2], "--json"]).stdout)
    assert (then["status"], now["status"]) == ("available", "unavailable")
    assert now["unavailable"][0]["contract"] == "disney-tencent-star-wars"


@pytest.mark.parametrize(
    "args",
    [
        AVAILS,
        ("contracts", "list"),
        ("contracts", "show", "x"),
        ("titles",),
        ("parties",),
        ("history",),
        ("check",),
        ("export",),
        ("keys", "create", "--role", "viewer"),
        ("keys", "list"),
        ("serve",),
    ],
)
def test_reading_a_database_that_does_not_exist_says_how_to_make_one(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    missing = tmp_path / "nothing-here.db"
    code, out, err = run(missing, *args)
    assert (code, out) == (1, "")
    assert f"no database at {missing}" in err
    assert "reelrights demo" in err and "reelrights load" in err
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_json_is_one_compact_line_on_a_pipe(loaded: Path) -> None:
    for args in (AVAILS, ("parties",), ("contracts", "list"), ("history",)):
        code, out, _ = run(loaded, *args, "--json")
        assert code == 0
        assert out.count("\n") == 1 and out.endswith("\n")
        json.loads(out)


def test_version_and_a_bare_db_option() -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"reelrights {__version__}\n")
    result = runner.invoke(app, ["--db", "unused.db"])
    assert result.exit_code == 0 and "Commands" in result.stdout


# -- MovieLabs Avails ------------------------------------------------------------------------

MDDF = Path(__file__).parents[1] / "conformance" / "mddf" / "samples"


def test_import_summarises_and_export_writes_valid_avails(tmp_path: Path) -> None:
    from reelrights.formats import mddf

    db = tmp_path / "feeds.db"
    code, out, err = run(db, "import", str(MDDF / "xml" / "Avails_noErrors_v2.4.xml"))
    assert code == 0, err
    rows = {line.split("  ")[0].strip(): line.split()[-1] for line in out.splitlines()[1:]}
    assert (rows["files"], rows["avails"], rows["transactions"]) == ("1", "12", "24")
    code, out, _ = run(db, "import", str(MDDF / "xlsx" / "TV_v1.9.xlsx"), "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["status"] == "imported" and summary["transactions"] == 38

    target = tmp_path / "out.xml"
    code, _, err = run(db, "export", "--avails-xml", "--version", "2.5", "--output", str(target))
    assert code == 0, err
    assert mddf.validate_xml(target.read_bytes(), "2.5") == []
    code, _, err = run(db, "export", "--avails-xlsx", "--output", str(tmp_path / "out.xlsx"))
    assert code == 0, err
    assert mddf.read_feed(str(tmp_path / "out.xlsx")).errors == []


def test_an_invalid_feed_exits_1_locates_every_error_and_changes_nothing(loaded: Path) -> None:
    before = digest(loaded)
    code, _, err = run(loaded, "import", str(MDDF / "xml" / "Avails_withErrors.xml"))
    assert code == 1
    assert (
        "Avails_withErrors.xml:52: /avails:AvailList/avails:Avail[1]/avails:Transaction[1]" in err
    )
    assert err.count("error:") == 7
    assert digest(loaded) == before


def test_avails_xlsx_export_needs_an_output_file(loaded: Path) -> None:
    code, _, err = run(loaded, "export", "--avails-xlsx")
    assert code == 1
    assert "--output" in err
