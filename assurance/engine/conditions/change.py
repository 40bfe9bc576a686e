"""``change``: worse than the previous period, by a margin and beyond chance.

What it does: compares this period's figure with the organisation's previous period and
breaches when it moved in the adverse direction by at least ``min_change`` **and** a
two-sided z test on the two estimates gives p < ``alpha`` (relative likelihoods are compared
on the log scale: z = (ln RR₂ − ln RR₁) / √(SE₁² + SE₂²); percentages and shares as
proportions with their bases). ``measure: gap`` tests the gap between the focus and reference
groups instead (e.g. "the disabled staff engagement gap has widened").

Why it matters: year-on-year wobble on small numbers is not deterioration; a board should be
told of a worsening only when the data can carry it.

Example::

    when: {change: {min_change: 2.0, alpha: 0.05}}
    when: {change: {measure: gap, min_change: 1.0}}

Options: ``min_change`` (default 0; in the metric's unit, percentage points for gaps),
``alpha`` (default 0.05), ``significant`` (default true; false compares values only),
``measure`` (``value`` | ``gap``), ``breakdown``.

Known limitations: the two periods are treated as independent samples; staff overlap from
year to year, so for headcount-based ratios the test is approximate (conservative in
practice). Percentages without a published base cannot be tested and are reported as such.

References: domain.md §4; stats.log_ratio_change_test.
"""

from __future__ import annotations

from typing import Any

from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    FactSpec,
    ParseContext,
    Verdict,
    beyond,
    fmt_value,
    higher_is_worse,
    missing,
    verdict,
)
from assurance.engine.conditions.common import (
    P_VALUE,
    Breakdown,
    breakdown,
    describe_breakdown,
    params,
)
from assurance.engine.movement import change_test, estimate
from assurance.engine.yamlsrc import Pos
from assurance.periods import short_label

KIND = "change"


class Change(Condition):
    kind = KIND
    # Values are in the metric's unit (percentage points for measure: gap).
    facts = {
        "previous_period": FactSpec("Previous period", "parameter", "period"),
        "previous": FactSpec("Previous value", "derived"),
        "current": FactSpec("Current value", "derived"),
        "worse_by": FactSpec("Worse by", "derived", "difference"),
        "z": FactSpec("z statistic", "statistic", ""),
        "p_value": P_VALUE,
    }

    def __init__(self, min_change: float, alpha: float, significant: bool, measure: str,
                 unit: str, bd: Breakdown, higher_worse: bool):
        self.min_change, self.alpha, self.significant = min_change, alpha, significant
        self.measure, self.unit, self.breakdown = measure, unit, bd
        self.higher_worse = higher_worse

    def describe(self) -> str:
        what = "the gap between the groups" if self.measure == "gap" else "the figure"
        unit = self._gap_unit() if self.measure == "gap" else self.unit
        text = (f"{what}{describe_breakdown(self.breakdown)} got worse than the previous "
                f"period")
        if self.min_change:
            text += f" by at least {fmt_value(self.min_change, unit).lstrip('+')}"
        if self.significant:
            text += f" and the change is statistically significant (p < {self.alpha:g})"
        return text

    def evaluate(self, ctx: EvalContext) -> Verdict:
        gone = missing(ctx, self.breakdown)
        if gone:
            return gone
        series = ctx.series(self.breakdown)
        usable = [f for f in series if f.calculable and f.value is not None]
        if len(usable) < 2 or usable[-1].period_key != ctx.period:
            return Verdict("no_data", "No earlier period to compare with.",
                           figure=series[-1] if series else None, period=ctx.period)
        prev, curr = usable[-2], usable[-1]
        a, _ = estimate(prev, self.measure)
        b, _ = estimate(curr, self.measure)
        if a is None or b is None:
            return Verdict("not_calculable", "The groups' figures are needed to compare the "
                           "gap.", figure=curr, period=curr.period_key)
        # Size of the change in the metric's own unit, positive = worse.
        if self.measure == "gap":
            raw_prev, raw_curr = prev.gap or 0.0, curr.gap or 0.0
            worse_by = (raw_curr - raw_prev) * (1 if self._gap_higher_worse(ctx) else -1)
        else:
            raw_prev, raw_curr = prev.value or 0.0, curr.value or 0.0
            worse_by = (raw_curr - raw_prev) * (1 if self.higher_worse else -1)
        facts: dict[str, Any] = {"previous_period": prev.period_key, "previous": raw_prev,
                                 "current": raw_curr, "worse_by": worse_by}
        test = change_test(prev, curr, self.measure)
        p_value = None if test is None else test[1]
        if test is not None:
            facts.update(z=test[0], p_value=p_value)
        unit = self._gap_unit() if self.measure == "gap" else self.unit
        what = "The gap" if self.measure == "gap" else "The figure"
        moved = (f"moved from {fmt_value(raw_prev, unit)} in {short_label(prev.period_key)} to "
                 f"{fmt_value(raw_curr, unit)} in {short_label(curr.period_key)}")
        if worse_by <= 0 or beyond(self.min_change, worse_by):
            return verdict("ok", f"{what} {moved}: not worse by the rule's margin.", ctx,
                           curr, self.breakdown, **facts)
        if self.significant and p_value is None:
            return verdict("not_calculable", f"{what} {moved}, but without counts or "
                           "bases the change cannot be tested.", ctx, curr, self.breakdown,
                           **facts)
        if self.significant and p_value is not None and p_value >= self.alpha:
            return verdict("ok", f"{what} {moved}; a change this size could be chance "
                           f"(p = {p_value:.2f}).", ctx, curr, self.breakdown, **facts)
        sig = f" (p = {p_value:.3f})" if p_value is not None else ""
        return verdict("breach", f"{what} {moved}, worse by "
                       f"{fmt_value(worse_by, unit).lstrip('+')}{sig}.", ctx, curr,
                       self.breakdown, **facts)

    def _gap_unit(self) -> str:
        return "percentage_points" if self.unit == "percent" else self.unit

    def _gap_higher_worse(self, ctx: EvalContext) -> bool:
        return ctx.metric.adverse != "focus_lower"


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    p = params(spec, pos, pc, KIND, ("min_change", "alpha", "significant", "measure"))
    if p is None or pc.metric is None:
        return None
    m = pc.metric
    measure = pc.chk.choice(p, "measure", ("value", "gap"), "value") or "value"
    if measure == "gap" and m.reference is None:
        pc.chk.error(p.value_pos["measure"], f"{m.id} has no reference group to form a gap")
        return None
    alpha = pc.chk.number(p, "alpha", 0.05) or 0.05
    if not 0 < alpha < 1:
        pc.chk.error(p.value_pos["alpha"], f"alpha must be between 0 and 1, found {alpha:g}")
    min_change = pc.chk.number(p, "min_change", 0.0) or 0.0
    if min_change < 0:
        pc.chk.error(p.value_pos["min_change"], "min_change must be 0 or more")
    return Change(min_change, alpha, pc.chk.boolean(p, "significant", True), measure, m.unit,
                  breakdown(p, pc), higher_is_worse(m))
