"""The shape of the code (docs/architecture.md): layers, no cycles, small modules, no hidden imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "flows", "report", "storage", "nlu")
MAX_LINES = 500


def _modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def test_the_import_contracts_hold() -> None:
    """bot -> flows -> storage, nlu; flows never imports Telegram or SQLAlchemy; inside flows the assistant
    -> capabilities -> profile -> engine -> data -> rules; no cycle between the packages of flows; the pure
    rules do no I/O."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Contracts: 5 kept, 0 broken." in result.stdout


def test_no_module_is_over_500_lines() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in _modules(*PACKAGES)}
    long = {path: lines for path, lines in sizes.items() if lines > MAX_LINES}
    assert long == {}


def test_flows_imports_nothing_inside_a_function() -> None:
    """An import inside a function hides a dependency (and a cycle) from the contracts above."""
    hidden = []
    for path in _modules("flows"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                hidden += [f"{path.relative_to(ROOT)}:{inner.lineno}" for inner in ast.walk(node)
                           if isinstance(inner, ast.Import | ast.ImportFrom)]
    assert hidden == []
