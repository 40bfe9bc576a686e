"""The rule packs in force: where they are, loading them, and running their YAML test cases.

The shipped packs (the ``rules`` data package) are always in force; ``rules.paths`` in
config.toml adds more. ``assurance rules check`` loads them (:func:`load_rules`) and
``assurance rules test`` runs the ``<pack>.cases.yaml`` beside each one (:func:`test_rules`).

Parsed once per process: :func:`load_rules` keeps the packs it parsed, keyed by every pack
file's path, modification time (nanoseconds) and size and by the settings they are parsed
with, so the second report of a process (or of a batch worker) does not parse the YAML again
(about 0.2 s), while a pack edited, added or removed is read afresh. Packs are frozen
dataclasses, so sharing them is safe; a pack with problems is never kept (the next call
reports them again).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assurance.catalogue import load_statements
from assurance.config import Settings
from assurance.engine.cases import CaseResult, run_case_file
from assurance.engine.rules import RulePack, load_packs, pack_files
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


CACHE_SIZE = 8
"""Sets of parsed packs kept per process (one per configuration and state of the files)."""
_PARSED: OrderedDict[Hashable, list[RulePack]] = OrderedDict()
_LOCK = threading.Lock()


def _key(settings: Settings, paths: Sequence[Path]) -> Hashable | None:
    """What the parsed packs depend on, or None when it cannot be told (a file vanished
    between listing and reading: parse, and let the parser say what is wrong)."""
    try:
        files = tuple((str(f.resolve()), st.st_mtime_ns, st.st_size)
                      for f in pack_files(paths) for st in (f.stat(),))
        key = (tuple(str(p) for p in paths), files, settings.statistics,
               settings.escalation_levels)
        hash(key)
    except (OSError, TypeError):
        return None
    return key


def load_rules(settings: Settings, paths: Sequence[Path] | None = None) -> list[RulePack]:
    """Load rule packs, all or nothing (ProblemsError lists every problem); parsed once per
    process while the files are unchanged (see the module docstring)."""
    chosen = rule_paths(settings, paths)
    key = _key(settings, chosen)
    with _LOCK:  # the web server asks from several threads
        kept = _PARSED.get(key) if key is not None else None
        if kept is not None and key is not None:
            _PARSED.move_to_end(key)
            return list(kept)
    packs = load_packs(chosen, stats=settings.statistics, levels=settings.escalation_levels,
                       statements=load_statements())
    if key is not None:
        with _LOCK:
            _PARSED[key] = packs
            while len(_PARSED) > CACHE_SIZE:
                _PARSED.popitem(last=False)
    return list(packs)


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
