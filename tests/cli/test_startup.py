"""A fresh ``reelrights avails`` process loads only what answering needs.

Most of a CLI answer's wall time at start-up was importing libraries the question never
uses (Alembic, the MovieLabs feed readers with lxml and openpyxl, the deal-news rules,
icalendar, cryptography) and reading the M49 regions through hdx-python-country. These
tests run the real command in a new interpreter and look at what it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.test_cli import AVAILS, loaded  # noqa: F401  (the fixture)

NOT_FOR_AVAILS = (
    "alembic",
    "hdx",
    "frictionless",
    "lxml",
    "openpyxl",
    "icalendar",
    "cryptography",
    "reportlab",
    "fastapi",
    "starlette",
    "jinja2",
    "reelrights.formats.news.rules",
    "reelrights.formats.mddf.xmlfeed",
    "reelrights.formats.mddf.sheetfeed",
    "reelrights.formats.workbook",
    "reelrights.api",
    "reelrights.web",
)

PROBE = """
import sys
from reelrights.cli.main import main
sys.argv = ["reelrights", *sys.argv[1:]]
try:
    main()
finally:
    sys.stdout.flush()
    print(" ".join(sorted(sys.modules)), file=sys.stderr)
"""


def imported(*args: str) -> tuple[str, set[str]]:
    """(stdout, the modules a fresh process had imported when it ended)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, set(done.stderr.strip().splitlines()[-1].split())


def test_avails_imports_no_library_it_does_not_use(loaded: Path) -> None:  # noqa: F811
    out, modules = imported("--db", str(loaded), *AVAILS, "--json")
    assert json.loads(out)["status"] in ("available", "partial", "unavailable")
    assert "reelrights.engine.book" in modules and "sqlalchemy" in modules  # it did answer
    found = [
        m
        for m in sorted(modules)
        if any(
            m.split(".")[0:k] == r.split(".") for r in NOT_FOR_AVAILS for k in (r.count(".") + 1,)
        )
    ]
    assert found == []


def test_the_libraries_load_when_a_command_needs_them(loaded: Path, tmp_path: Path) -> None:  # noqa: F811
    """The same process imports them on demand: exporting Avails XML needs lxml, a
    schema upgrade Alembic."""
    target = tmp_path / "out.xml"
    _, modules = imported("export", "--db", str(loaded), "--avails-xml", "-o", str(target))
    assert "lxml.etree" in modules
    assert target.read_bytes().startswith(b"<?xml")
    fresh = tmp_path / "fresh.db"
    _, modules = imported("load", "--db", str(fresh), str(Path(loaded).with_name("book.yaml")))
    assert "alembic" in modules


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    """The revision a database at the newest schema is compared with, without Alembic, is
    the head Alembic itself finds (a new migration that breaks the reading fails here)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from reelrights.store.repository import MIGRATIONS, head_revision

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()
