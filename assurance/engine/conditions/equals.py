"""``equals`` / ``at_most`` / ``at_least``: a count or figure equal to, or within, a value.

What it does: breaches when the measured quantity equals ``value`` (``equals``), is ``value``
or fewer (``at_most``) or ``value`` or more (``at_least``). ``measure: count`` (the default
for headcount metrics) counts people in the focus group — e.g. Disabled voting board members
— summed over the breakdowns named; ``measure: value`` uses the figure itself.

Why it matters: the Messenger review found most trusts had no board member declaring a
disability, and 5 or fewer Disabled staff at the most senior bands; these are counts, not
ratios, and a board should see them as such.

Example::

    when: {equals: {value: 0, breakdown: board_voting}}       # WDES 10: no Disabled members
    when: {at_most: {value: 5, breakdown: senior}}             # WDES 1: 8C and above
    when: {equals: 0}                                          # shorthand for value: 0

Options: ``value`` (required), ``measure`` (``count`` | ``value``), ``breakdown``.

Known limitations: a count of people is disclosive when small; messages to network audiences
show it through disclosure control (1–7 as ``*``) — zero stays zero by the NHS Digital rule.

References: domain.md §2, §5, §9.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    ParseContext,
    Verdict,
    fmt_value,
    headline,
    usable_figure,
    verdict,
)
from assurance.engine.conditions.common import (
    MEASURE,
    MEASURED,
    THRESHOLD,
    Breakdown,
    breakdown,
    describe_breakdown,
    params,
)
from assurance.engine.yamlsrc import Pos, YMap
from assurance.periods import short_label

OPS = {"equals": ("is exactly", lambda x, v: x == v),
       "at_most": ("is at most", lambda x, v: x <= v),
       "at_least": ("is at least", lambda x, v: x >= v)}


class Compare(Condition):
    facts = {"measured": MEASURED, "measure": MEASURE, "threshold": THRESHOLD}

    def __init__(self, kind: str, value: float, measure: str, unit: str, bd: Breakdown,
                 what: str):
        self.kind, self.value, self.measure, self.unit = kind, value, measure, unit
        self.breakdown, self.what = bd, what

    def _fmt(self, v: float) -> str:
        return f"{v:g}" if self.measure == "count" else fmt_value(v, self.unit)

    def describe(self) -> str:
        words = OPS[self.kind][0]
        subject = (f"the number of {self.what}" if self.measure == "count" else "the figure")
        return f"{subject}{describe_breakdown(self.breakdown)} {words} {self._fmt(self.value)}"

    def evaluate(self, ctx: EvalContext) -> Verdict:
        fig = usable_figure(ctx, self.breakdown)
        if isinstance(fig, Verdict):
            return fig
        x = fig.count if self.measure == "count" else fig.value
        if x is None:
            return Verdict("not_calculable", f"{ctx.metric.label} has no {self.measure} for "
                           f"{short_label(fig.period_key)}.", figure=fig, period=fig.period_key)
        hit = OPS[self.kind][1](x, self.value)
        facts: dict[str, Any] = {"measured": x, "measure": self.measure, "threshold": self.value}
        shown = self._fmt(x)
        if hit:
            return verdict("breach", f"The {self.measure} is {shown} ({headline(fig)}); the rule "
                           f"breaches when {self.describe()}.", ctx, fig, self.breakdown,
                           **facts)
        return verdict("ok", f"The {self.measure} is {shown} ({headline(fig)}).", ctx, fig,
                       self.breakdown, **facts)


def make_parser(kind: str) -> Callable[[Any, Pos, ParseContext], Condition | None]:
    def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
        if pc.metric is None:
            return None
        m = pc.metric
        if isinstance(spec, int | float) and not isinstance(spec, bool):
            shorthand = YMap(value=spec)
            shorthand.pos = pos
            shorthand.value_pos["value"] = pos
            shorthand.key_pos["value"] = pos
            spec = shorthand
        p = params(spec, pos, pc, kind, ("value", "measure"), required=("value",))
        if p is None:
            return None
        counted = m.kind in ("share", "representation_gap", "declaration_rate", "monthly_rate")
        measure = pc.chk.choice(p, "measure", ("count", "value"),
                                "count" if counted else "value") or "value"
        if measure == "count" and not counted:
            pc.chk.error(p.value_pos.get("measure", p.pos), f"{m.id} ({m.kind}) has no head "
                         "count; use measure: value")
            return None
        value = pc.chk.number(p, "value")
        if value is None:
            return None
        what = f"{pc.catalogue.group_label(m.characteristic, m.focus or '')} people"
        return Compare(kind, value, measure, m.unit, breakdown(p, pc), what)
    return parse


parse_equals = make_parser("equals")
parse_at_most = make_parser("at_most")
parse_at_least = make_parser("at_least")
