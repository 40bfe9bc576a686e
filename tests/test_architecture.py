"""Dependency direction is enforced: the core never imports the edges (style.md)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

EDGE_LIBS = {"slack_sdk", "docx", "matplotlib", "apscheduler", "typer", "click", "rich",
             "connectors", "reports", "aiosmtpd"}
# The composition root and the CLI may reach the edges; nothing else in assurance/ may.
ALLOWED = {"assurance/api.py", "assurance/scheduler.py"}
ALLOWED_FOLDERS = ("assurance/cli/",)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_import_no_edge_library() -> None:
    offenders = {}
    for path in sorted((ROOT / "assurance").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED or rel.startswith(ALLOWED_FOLDERS):
            continue
        bad = _imports(path) & EDGE_LIBS
        if bad:
            offenders[rel] = sorted(bad)
    assert offenders == {}


def test_the_check_itself_catches_an_edge_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from slack_sdk import WebClient\nimport docx.shared\n")
    assert _imports(sample) & EDGE_LIBS == {"slack_sdk", "docx"}
