"""The explicit registry of condition kinds: name → parser. One module per kind.

Adding a kind: write its module (parse / evaluate / describe, with the documented
docstring), add one line here, add YAML cases, and document it in README "Rule conditions".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assurance.engine.conditions import (
                                         benchmark,
                                         change,
                                         compound,
                                         data_quality,
                                         equals,
                                         flatline,
                                         gap,
                                         narrative,
                                         outside_range,
                                         spc,
                                         trajectory,
)
from assurance.engine.conditions.base import Condition, ParseContext
from assurance.engine.yamlsrc import Pos

Parser = Callable[[Any, Pos, ParseContext], Condition | None]

REGISTRY: dict[str, Parser] = {
    "outside_range": outside_range.parse,
    "threshold": outside_range.parse_threshold,
    "equals": equals.parse_equals,
    "at_most": equals.parse_at_most,
    "at_least": equals.parse_at_least,
    "change": change.parse,
    "flatline": flatline.parse,
    "trajectory": trajectory.parse,
    "gap": gap.parse,
    "benchmark": benchmark.parse,
    "spc": spc.parse,
    "data_quality": data_quality.parse,
    "narrative_present": narrative.parse,
    "all": compound.make_parser("all"),
    "any": compound.make_parser("any"),
}
