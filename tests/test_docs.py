"""Docs that must match the code: every command and every reason is documented."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from reelrights.cli.main import app, contracts_app, keys_app
from reelrights.engine import REASONS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_cli_command_is_in_the_reference() -> None:
    text = (DOCS / "cli.md").read_text()
    for command in app.registered_commands:
        assert f"`{command.name or command.callback.__name__}" in text  # type: ignore[union-attr]
    for command in contracts_app.registered_commands:
        assert f"`contracts {command.name}" in text
    for command in keys_app.registered_commands:
        assert f"`keys {command.name}" in text


def test_every_reason_is_explained() -> None:
    text = (DOCS / "semantics.md").read_text()
    for reason in (*REASONS, "already-owned", "held-for-negotiation"):
        assert f"`{reason}`" in text


def test_readme_test_command_is_the_one_ci_runs() -> None:
    root = DOCS.parent
    readme = (root / "README.md").read_text()
    ci = (root / ".ci" / "run").read_text()
    lines = ci.splitlines()
    marker = next(i for i, line in enumerate(lines) if line.startswith("# The README's test"))
    command = lines[marker + 1]
    assert "python -m pytest" in command
    assert f"\n{command}\n" in readme


def _tracked_files() -> list[Path]:
    """The repository's files: git's list in a clone, else the tree without build output."""
    root = DOCS.parent
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
        ).stdout.decode()
        return [root / name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "build", "dist", "test-artifacts", "__pycache__"}
        return [
            p
            for p in root.rglob("*")
            if p.is_file() and not skip.intersection(p.relative_to(root).parts)
        ]


# Spelled in pieces so that this file does not name them itself.
OUTSIDE = ("DESIGN" + ".md", "STYLE" + ".md", ".." + "/shared")


def test_no_file_points_outside_the_repository() -> None:
    files = _tracked_files()
    assert len(files) > 100  # the listing really saw the repository
    offenders = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # images, workbooks
        offenders += [f"{path.name}: {name}" for name in OUTSIDE if name in text]
    assert offenders == []


def test_every_cited_rule_is_in_the_rulebook() -> None:
    text = (DOCS / "semantics.md").read_text()
    defined = {int(n) for n in re.findall(r"^ {0,3}(\d+)\. \*\*", text, re.M)}
    for first, last in re.findall(r"^## (\d+)(?:-(\d+))?\.", text, re.M):
        defined.update(range(int(first), int(last or first) + 1))
    assert defined >= set(range(1, 24))
    cited: set[int] = set()
    for path in _tracked_files():
        if path.suffix not in (".py", ".md", ".html"):
            continue
        for first, last in re.findall(
            r"semantics\.md,? rules? (\d+)(?:-(\d+))?", path.read_text(encoding="utf-8")
        ):
            cited.update(range(int(first), int(last or first) + 1))
    assert cited  # the pattern finds the citations the code makes
    assert cited <= defined
