"""``all`` / ``any``: combine conditions, possibly on different metrics.

What it does: ``all`` breaches when every child condition breaches; ``any`` when at least
one does. A child may name its own ``metric`` in its parameters. ``all`` is ok as soon as one
child is ok; ``any`` is ok only when every child is ok; anything else (a child without data)
is reported as no data, naming the child.

Why it matters: accountability questions often join two facts — "no Disabled voting board
members **and** no Disabled executives", or "adverse **or** worsening".

Example::

    when:
      all:
        - {equals: {value: 0, breakdown: board_voting}}
        - {equals: {value: 0, breakdown: board_executive}}

Options: a list of at least two conditions.

Known limitations: the compound's figure is the first child's; each child's own verdict is
kept in the facts.

References: design.md (Rules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    FactSpec,
    ParseContext,
    Status,
    Verdict,
)
from assurance.engine.yamlsrc import Pos, YList


class Compound(Condition):
    # Each child's status and summary; the summaries carry the children's figures.
    facts = {"children": FactSpec("Child conditions", "derived", "text")}

    def __init__(self, kind: str, children: list[Condition]):
        self.kind, self.children = kind, children
        self.per_division = all(c.per_division for c in children)  # type: ignore[misc]

    def metrics(self) -> set[str]:
        out: set[str] = set()
        for c in self.children:
            out |= c.metrics()
        return out

    def reports_absence(self) -> bool:
        return any(c.reports_absence() for c in self.children)

    def describe(self) -> str:
        joiner = " and " if self.kind == "all" else " or "
        return "(" + joiner.join(c.describe() for c in self.children) + ")"

    def evaluate(self, ctx: EvalContext) -> Verdict:
        results = []
        for c in self.children:
            m = ctx.data.cat[c.metric_id] if c.metric_id else ctx.metric
            results.append(c.evaluate(replace(ctx, metric=m)))
        statuses = [r.status for r in results]
        first = results[0]
        facts: dict[str, Any] = {"children": [{"status": r.status, "summary": r.summary}
                                              for r in results]}
        summary = "; ".join(r.summary for r in results)
        status: Status
        # 'outside' (beyond a limit, not significant) ranks between breach and ok: for 'all'
        # every child must be at least outside, for 'any' one child outside and none in breach.
        judged = all(s in ("breach", "outside", "ok") for s in statuses)
        if self.kind == "all":
            status = ("ok" if "ok" in statuses else "no_data" if not judged
                      else "outside" if "outside" in statuses else "breach")
        else:
            status = ("breach" if "breach" in statuses else "no_data" if not judged
                      else "outside" if "outside" in statuses else "ok")
        return Verdict(status, summary, figure=first.figure, period=first.period,
                       facts=facts, trend=first.trend, series=first.series)


def make_parser(kind: str) -> Callable[[Any, Pos, ParseContext], Condition | None]:
    def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
        if not isinstance(spec, YList) or len(spec) < 2:
            pc.chk.error(pos, f"'{kind}' takes a list of at least two conditions")
            return None
        children = [pc.parse_condition(item, spec.item_pos[i], pc)
                    for i, item in enumerate(spec)]
        if any(c is None for c in children):
            return None
        return Compound(kind, [c for c in children if c is not None])
    return parse
