"""The layering rules of CONTRIBUTING.md, checked by import-linter so they cannot go stale."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    beside = Path(sys.executable).parent / "lint-imports"
    command = str(beside) if beside.exists() else shutil.which("lint-imports") or "lint-imports"
    result = subprocess.run([command], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout


def test_the_core_imports_nothing_outside_the_standard_library_and_code_lists() -> None:
    allowed = {"pycountry", "hdx", "langcodes", "numpy", "reelrights"}
    stdlib = set(sys.stdlib_module_names)
    import ast

    for folder in ("domain", "engine"):
        for path in (ROOT / "src" / "reelrights" / folder).glob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    assert top in stdlib or top in allowed, f"{path.name} imports {name}"
