"""The explicit registry of condition kinds: name → parser and condition class. One module
per kind.

Adding a kind: write its module (parse / evaluate / describe / ``facts``, with the documented
docstring), add one line to :data:`KINDS`, add its YAML cases in ``cases/<kind>.yaml``, and
document it in README "Rule conditions".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from assurance.engine.conditions import (
    attestation,
    benchmark,
    change,
    compound,
    data_quality,
    equals,
    flatline,
    funnel,
    gap,
    narrative,
    outside_range,
    spc,
    trajectory,
)
from assurance.engine.conditions.base import FIGURE_EXTRAS, Condition, FactSpec, ParseContext
from assurance.engine.yamlsrc import Pos

Parser = Callable[[Any, Pos, ParseContext], Condition | None]


class Kind(NamedTuple):
    parse: Parser
    condition: type[Condition]  # the class its parser returns, which declares its facts


KINDS: dict[str, Kind] = {
    "outside_range": Kind(outside_range.parse, outside_range.OutsideRange),
    "threshold": Kind(outside_range.parse_threshold, outside_range.OutsideRange),
    "equals": Kind(equals.parse_equals, equals.Compare),
    "at_most": Kind(equals.parse_at_most, equals.Compare),
    "at_least": Kind(equals.parse_at_least, equals.Compare),
    "change": Kind(change.parse, change.Change),
    "flatline": Kind(flatline.parse, flatline.Flatline),
    "trajectory": Kind(trajectory.parse, trajectory.Trajectory),
    "gap": Kind(gap.parse, gap.Gap),
    "funnel": Kind(funnel.parse, funnel.Funnel),
    "benchmark": Kind(benchmark.parse, benchmark.Benchmark),
    "spc": Kind(spc.parse, spc.Spc),
    "data_quality": Kind(data_quality.parse, data_quality.DataQuality),
    "narrative_present": Kind(narrative.parse, narrative.NarrativePresent),
    "attestation": Kind(attestation.parse, attestation.AttestationRequired),
    "all": Kind(compound.make_parser("all"), compound.Compound),
    "any": Kind(compound.make_parser("any"), compound.Compound),
}

REGISTRY: dict[str, Parser] = {name: k.parse for name, k in KINDS.items()}
"""Condition kind → parser, as rule packs name them."""


def _fact_specs() -> dict[str, FactSpec]:
    specs = dict(FIGURE_EXTRAS)
    for k in KINDS.values():
        specs.update(k.condition.facts)  # kinds agree on shared keys (a test holds them to it)
    return specs


FACT_SPECS: Mapping[str, FactSpec] = _fact_specs()
"""How every fact any kind's verdicts record is worded and who may see it (the figure's own
keys, :data:`~assurance.engine.conditions.base.FIGURE_KEYS`, excepted)."""
