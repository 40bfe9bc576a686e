"""Every condition kind's own pass/fail cases (``assurance/engine/conditions/cases/<kind>.yaml``)
run through the real rule parser, store and engine: one generic test, one YAML file per kind.

A case is a rule-pack case with the rule inline (``metric`` + ``when``); see
:mod:`assurance.engine.cases`. Adding a kind means adding its file here, with at least one
case expecting ``breach`` and one expecting ``ok``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from assurance.config import StatisticsSettings
from assurance.engine.cases import CONDITION_CASES, load_cases, run_condition_case
from assurance.engine.conditions import REGISTRY
from assurance.engine.yamlsrc import Checker, YMap

FILES = sorted(CONDITION_CASES.glob("*.yaml"))


def _cases() -> list[Any]:
    out = []
    for path in FILES:
        for case, pos in load_cases(path, Checker(str(path), [])):
            out.append(pytest.param(path, case, pos, id=f"{path.stem}:{pos[0]}:{case.get('name')}"))
    return out


def _statuses(path: Path) -> set[str]:
    return {str(want.get("status")) for case, _ in load_cases(path, Checker(str(path), []))
            if isinstance(expect := case.get("expect"), YMap)
            for want in expect.values() if isinstance(want, YMap)}


def run(path: Path, case: YMap, pos: tuple[int, int]) -> tuple[list[str], list[str]]:
    """(problems with the case, failed expectations) of one case, as located messages."""
    problems: list[Any] = []
    result = run_condition_case(case, pos, path.stem, Checker(str(path), problems),
                                StatisticsSettings())
    failures = [] if result is None else [str(f) for f in result.failures]
    return [str(p) for p in problems], failures


@pytest.mark.parametrize(("path", "case", "pos"), _cases())
def test_condition_case(path: Path, case: YMap, pos: tuple[int, int]) -> None:
    problems, failures = run(path, case, pos)
    assert problems == [] and failures == []


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_kind_has_cases_expecting_breach_and_ok(kind: str) -> None:
    path = CONDITION_CASES / f"{kind}.yaml"
    assert path.is_file(), f"condition kind '{kind}' has no cases: expected {path}"
    assert {"breach", "ok"} <= _statuses(path), f"{path} needs a breach case and an ok case"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_case_file_names_a_registered_kind_and_loads_cleanly(path: Path) -> None:
    assert path.stem in REGISTRY, f"{path.name}: no condition kind '{path.stem}'"
    problems: list[Any] = []
    cases = list(load_cases(path, Checker(str(path), problems)))
    assert problems == [] and cases


CASE = """\
    version: 1
    cases:
      - name: a relative likelihood above the range
        metric: wres.2
        when: {outside_range: {low: 0.80, high: 1.25}}
        as_of: 2025-06-01
        observations:
          - [T1, wres:2025, wres.2, white, "", 300, 1000]
          - [T1, wres:2025, wres.2, bme, "", 150, 800]
        expect:
          T1: {status: ok}
    """


def _one(tmp_path: Path, name: str, text: str) -> tuple[Path, YMap, tuple[int, int]]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    ((case, pos),) = load_cases(path, Checker(str(path), []))
    return path, case, pos


def test_a_case_expecting_the_wrong_status_fails_at_its_expectation(tmp_path: Path) -> None:
    path, case, pos = _one(tmp_path, "outside_range.yaml", CASE)
    problems, failures = run(path, case, pos)
    assert problems == []
    assert failures == [f"{path}:11:11: error: case 'a relative likelihood above the range': "
                        "T1: expected ok, got breach: 1.60 (95% CI 1.35 to 1.90); White "
                        "300/1,000, BME 150/800 is above 1.25."]


def test_a_case_testing_another_kind_than_its_file_is_reported(tmp_path: Path) -> None:
    path, case, pos = _one(tmp_path, "threshold.yaml", CASE)
    problems, _ = run(path, case, pos)
    assert problems == [f"{path}:5:11: error: a case in threshold.yaml tests 'threshold': "
                        "expected {threshold: ...}, found {'outside_range': {'low': 0.8, "
                        "'high': 1.25}}"]
