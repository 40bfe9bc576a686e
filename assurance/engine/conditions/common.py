"""What condition kinds share: parsing helpers (breakdowns, parameter mappings) and the facts
several kinds record, declared once so they are worded and disclosed alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assurance.engine.conditions.base import FactSpec, ParseContext
from assurance.engine.yamlsrc import Pos, YMap

Breakdown = str | tuple[str, ...] | None

P_VALUE = FactSpec("P value", "statistic", "p_value")
THRESHOLD = FactSpec("Threshold", "parameter")  # a count when the rule counts people
TARGET = FactSpec("Target", "parameter")
MEASURED = FactSpec("Measured", "derived")  # disclosed with the figure (a gap rule's: its own)
MEASURE = FactSpec("Measure", "parameter", "text")  # what "measured" is: count, value, gap, ratio


def params(spec: Any, pos: Pos, pc: ParseContext, kind: str, allowed: Iterable[str],
           required: Iterable[str] = ()) -> YMap | None:
    """The condition's parameter mapping, with unknown and missing keys reported."""
    if spec is None:
        spec = YMap()
        spec.pos = pos
    if not isinstance(spec, YMap):
        pc.chk.error(pos, f"'{kind}' takes a mapping of parameters, found {spec!r}")
        return None
    allowed = [*allowed, "breakdown", "metric"]
    return spec if pc.chk.keys(spec, allowed, required, what=f"'{kind}'") else None


def breakdown(spec: YMap, pc: ParseContext) -> Breakdown:
    """``breakdown:`` as a single value, a catalogue set name (``senior``) or a list."""
    if "breakdown" not in spec:
        return None
    raw = spec["breakdown"]
    sets = pc.catalogue.breakdown_sets
    if isinstance(raw, str) and raw in sets and raw not in ("bands", "board"):
        return tuple(sets[raw])
    values = (raw,) if isinstance(raw, str) else tuple(raw) if isinstance(raw, list) else None
    if values is None:
        pc.chk.error(spec.value_pos["breakdown"], "'breakdown' must be a word or a list")
        return None
    m = pc.metric
    if m is not None and m.breakdowns:
        for v in values:
            if v not in m.breakdowns and v != "":
                from assurance.problems import did_you_mean

                pc.chk.error(spec.value_pos["breakdown"], f"unknown breakdown '{v}' for "
                             f"{m.id}{did_you_mean(str(v), m.breakdowns)}")
    return values[0] if len(values) == 1 else values


NAMES = {"vsm": "VSM", "overall": "whole workforce", "board_voting": "voting board members",
         "board_executive": "executive board members", "workforce": "workforce",
         "medical:consultant": "consultants",
         "medical:non_consultant_career": "non-consultant career grade doctors",
         "medical:trainee": "doctors in training", "patients_public": "from patients or the public",
         "managers": "from managers", "colleagues": "from other colleagues"}


def breakdown_label(b: str) -> str:
    """``band:8c`` → ``Band 8C``; ``board_voting`` → ``voting board members``."""
    if b.startswith("band:"):
        return "Band " + b[5:].upper()
    return NAMES.get(b, b.replace("_", " "))


def describe_breakdown(b: Breakdown) -> str:
    if b is None or b == "":
        return ""
    if isinstance(b, str):
        return f" ({breakdown_label(b)})"
    labels = [breakdown_label(x) for x in b]
    return f" ({', '.join(labels[:-1])} and {labels[-1]} combined)"
