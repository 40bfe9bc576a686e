"""Documentation is part of the contract: every condition kind documents itself in fixed
sections, and the README names every condition kind, command and config section."""

from __future__ import annotations

import importlib
import re

import pytest
import typer.main

from assurance.cli import app
from assurance.config import _TOP_KEYS
from assurance.engine.conditions import REGISTRY
from conftest import ROOT

SECTIONS = ("What it does", "Why it matters", "Example", "Options", "Known limitations",
            "References")
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_condition_module_documents_itself_in_the_fixed_sections(kind: str) -> None:
    module = importlib.import_module(REGISTRY[kind].__module__)
    doc = module.__doc__ or ""
    missing = [s for s in SECTIONS if not re.search(rf"^{s}\b", doc, re.M)]
    assert missing == [], f"{module.__name__} docstring lacks {missing}"


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_condition_kind_is_in_the_readme(kind: str) -> None:
    assert f"`{kind}`" in README


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    click_group = typer.main.get_command(group)
    out = []
    for name, cmd in click_group.commands.items():  # type: ignore[attr-defined]
        if hasattr(cmd, "commands"):
            out.extend(f"{prefix}{name} {sub}" for sub in cmd.commands)
        else:
            out.append(f"{prefix}{name}")
    return out


@pytest.mark.parametrize("command", _commands(app))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"assurance {command}" in README, f"README does not document 'assurance {command}'"


@pytest.mark.parametrize("section", sorted(_TOP_KEYS))
def test_every_config_section_is_in_the_readme(section: str) -> None:
    assert f"`{section}." in README or f"`{section}`" in README or f"[{section}" in README
