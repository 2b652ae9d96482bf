"""Docs that must match the code: every command and every reason is documented."""

from __future__ import annotations

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
