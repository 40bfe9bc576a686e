"""The EDI improvement plan file: the shipped one loads, and a malformed one is refused with
every problem located (file:line:col), nothing half-loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from assurance.improvement_plan import load_plan
from assurance.problems import ProblemsError

PLAN = """\
version: 1
plan: test-plan
title: A test plan
actions:
  - number: 1
    title: Measurable objectives
    aim: Chairs and members have EDI objectives.
    metrics:
      - {id: 1a, text: Objectives set, rules: [hia.1a]}
      - just words
  - [not, an, action]
  - number: 2
    title: Recruitment
    metrics: {id: 2a}
"""


def test_the_shipped_plan_loads_with_its_six_actions_in_order() -> None:
    assert [a.number for a in load_plan().actions] == [1, 2, 3, 4, 5, 6]


def test_a_malformed_action_or_metric_is_refused_where_it_stands(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    with pytest.raises(ProblemsError) as exc:
        load_plan(path)
    assert [str(p) for p in exc.value.problems] == [
        f"{path}:10:9: error: found 'just words'; expected a success metric: a mapping with "
        "id and text",
        f"{path}:11:5: error: found a list; expected an action: a mapping with number, "
        "title, aim and metrics",
        f"{path}:12:5: error: missing key 'aim' in an action",
        f"{path}:14:14: error: 'metrics': found a mapping; expected a list of success metrics",
    ]
