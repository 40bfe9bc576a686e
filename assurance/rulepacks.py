"""The rule packs in force: where they are, loading them, and running their YAML test cases.

The shipped packs (the ``rules`` data package) are always in force; ``rules.paths`` in
config.toml adds more. ``assurance rules check`` loads them (:func:`load_rules`) and
``assurance rules test`` runs the ``<pack>.cases.yaml`` beside each one (:func:`test_rules`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assurance.catalogue import load_statements
from assurance.config import Settings
from assurance.engine.cases import CaseResult, run_case_file
from assurance.engine.rules import RulePack, load_packs
from assurance.problems import Problem


def shipped_rules_dir() -> Path:
    """The folder of the rule packs shipped with the product."""
    import rules  # the shipped rule packs are data, not an edge

    return Path(rules.__file__).resolve().parent


def rule_paths(settings: Settings, paths: Sequence[Path] | None = None) -> list[Path]:
    """Explicit paths, else the shipped packs plus any configured in ``rules.paths``."""
    if paths:
        return list(paths)
    return [shipped_rules_dir(), *settings.rule_paths]


def load_rules(settings: Settings, paths: Sequence[Path] | None = None) -> list[RulePack]:
    """Load rule packs, all or nothing (ProblemsError lists every problem)."""
    return load_packs(rule_paths(settings, paths), stats=settings.statistics,
                      levels=settings.escalation_levels, statements=load_statements())


@dataclass
class RuleTestReport:
    """The outcome of ``assurance rules test``.

    Attributes:
        results: every case run, passed or not.
        problems: packs without a cases file, and problems in the cases files.
        uncovered: ``"<source>: rule <id> has no case expecting 'breach'"`` and the like.
    """

    results: list[CaseResult]
    problems: list[Problem]
    uncovered: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.uncovered and all(r.passed for r in self.results)


def test_rules(settings: Settings, paths: Sequence[Path] | None = None) -> RuleTestReport:
    """Run every ``*.cases.yaml`` beside the packs; check each rule has breach and ok cases."""
    packs = load_rules(settings, paths)
    problems: list[Problem] = []
    results: list[CaseResult] = []
    for pack in packs:
        case_file = pack.path.with_name(pack.path.stem + ".cases.yaml")
        if not case_file.is_file():
            problems.append(Problem(str(pack.path), f"no test cases: expected {case_file.name} "
                                    "beside the pack"))
            continue
        results.extend(run_case_file(case_file, [pack], problems, settings.statistics))
    uncovered = []
    for pack in packs:
        for rule in pack.rules:
            seen = {st for r in results if r.rule == rule.id for st in r.expected.values()}
            for need in ("breach", "ok"):
                if need not in seen:
                    uncovered.append(f"{rule.source}: rule {rule.id} has no case expecting "
                                     f"'{need}'")
    return RuleTestReport(results, problems, uncovered)
