"""``flatline``: off target for N periods with no meaningful improvement.

What it does: takes the organisation's last ``periods`` figures (the current period must be
one of them) and breaches when every one is off target **and** the improvement from the first
to the last is below ``tolerance`` (``method: improvement``, the default), or the fitted
linear trend is not significantly improving — its 95 % interval includes zero or points the
wrong way (``method: trend``, needs ≥ 3 periods).

Why it matters: reviews of NHS leadership found WRES and WDES figures "flatlining or making
glacial progress" for years while nobody was held to account. This makes "flatlining" a
definition a board can read and challenge, with its parameters in the rule, not in code.

Example::

    when: {flatline: {periods: 3, tolerance: 0.05}}            # WRES 2: stuck above 1.25
    when: {flatline: {periods: 4, target: 5.0, method: trend}}  # a gap above 5 pp, not closing

Options: ``periods`` (≥ 2, default 3), ``tolerance`` (default 0, metric units), ``target``
(off target means worse than this; default for ratios: the adverse end of the non-adverse
range), ``measure`` (``value`` | ``gap``), ``method``, ``breakdown``.

Known limitations: missing years are skipped, so "3 periods" means the last three with data;
the rule says which periods it used.

References: domain.md §4, §5; Messenger review (2022).
"""

from __future__ import annotations

from typing import Any

from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    FactSpec,
    ParseContext,
    Verdict,
    fmt_value,
    higher_is_worse,
    missing,
    verdict,
)
from assurance.engine.conditions.common import (
    TARGET,
    Breakdown,
    breakdown,
    describe_breakdown,
    params,
)
from assurance.engine.data import period_spec
from assurance.engine.figures import Figure
from assurance.engine.yamlsrc import Pos
from assurance.periods import short_label
from assurance.stats import linear_trend

KIND = "flatline"


class Flatline(Condition):
    kind = KIND
    # Values are in the metric's unit (percentage points for measure: gap).
    facts = {
        "periods_used": FactSpec("Periods used", "parameter", "text"),
        "values": FactSpec("Values", "derived"),
        "target": TARGET,
        "improvement": FactSpec("Improvement", "derived", "difference"),
        "slope_per_year": FactSpec("Slope per year", "derived", "difference"),
        "slope_ci": FactSpec("Slope confidence interval", "derived"),
    }

    def __init__(self, periods: int, tolerance: float, target: float, method: str,
                 measure: str, unit: str, bd: Breakdown, higher_worse: bool):
        self.periods, self.tolerance, self.target = periods, tolerance, target
        self.method, self.measure, self.unit, self.breakdown = method, measure, unit, bd
        self.higher_worse = higher_worse

    def _unit(self) -> str:
        return "percentage_points" if self.measure == "gap" else self.unit

    def _value(self, f: Figure) -> float | None:
        return f.gap if self.measure == "gap" else f.value

    def describe(self) -> str:
        side = "above" if self.higher_worse else "below"
        what = "the gap" if self.measure == "gap" else "the figure"
        how = (f"improved by less than {fmt_value(self.tolerance, self._unit()).lstrip('+')} "
               "from the first to the last" if self.method == "improvement"
               else "shows no statistically significant improving trend")
        return (f"{what}{describe_breakdown(self.breakdown)} has been {side} "
                f"{fmt_value(self.target, self._unit())} in each of the last {self.periods} "
                f"periods and {how}")

    def evaluate(self, ctx: EvalContext) -> Verdict:
        gone = missing(ctx, self.breakdown)
        if gone:
            return gone
        usable = [f for f in ctx.series(self.breakdown) if f.calculable
                  and self._value(f) is not None]
        window = usable[-self.periods:]
        if len(window) < self.periods or window[-1].period_key != ctx.period:
            return Verdict("no_data", f"Needs {self.periods} periods of figures; "
                           f"{len(window)} available.", figure=usable[-1] if usable else None,
                           period=ctx.period)
        vals = [self._value(f) or 0.0 for f in window]
        sign = 1 if self.higher_worse else -1
        off = [sign * (v - self.target) > 0 for v in vals]
        improvement = sign * (vals[0] - vals[-1])
        facts: dict[str, Any] = {"periods_used": [f.period_key for f in window],
                                 "values": vals, "target": self.target,
                                 "improvement": improvement}
        unit = self._unit()
        span = (f"{short_label(window[0].period_key)} to {short_label(window[-1].period_key)}: "
                + ", ".join(fmt_value(v, unit) for v in vals))
        if not all(off):
            return verdict("ok", f"On target in at least one of the last {self.periods} periods "
                           f"({span}).", ctx, window[-1], self.breakdown, **facts)
        if self.method == "trend":
            xs = [period_spec(f.period_key).end.toordinal() / 365.25 for f in window]
            t = linear_trend(xs, vals)
            facts.update(slope_per_year=t.slope, slope_ci=[t.ci_low, t.ci_high])
            improving = t.ci_high < 0 if sign > 0 else t.ci_low > 0
            if improving:
                return verdict("ok", f"Off target throughout ({span}) but the trend is "
                               "significantly improving.", ctx, window[-1], self.breakdown,
                               **facts)
            return verdict("breach", f"Off target in every period ({span}) with no "
                           f"significant improving trend (slope {t.slope:+.3f} a year, 95% CI "
                           f"{t.ci_low:+.3f} to {t.ci_high:+.3f}).", ctx, window[-1],
                           self.breakdown, **facts)
        if improvement >= self.tolerance and improvement > 0:
            return verdict("ok", f"Off target throughout ({span}) but improving by "
                           f"{fmt_value(improvement, unit).lstrip('+')}.", ctx, window[-1],
                           self.breakdown, **facts)
        return verdict("breach", f"Off target in every one of the last {self.periods} periods "
                       f"({span}); improvement {fmt_value(improvement, unit).lstrip('+')} is "
                       "below the rule's tolerance.", ctx, window[-1], self.breakdown, **facts)


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    p = params(spec, pos, pc, KIND, ("periods", "tolerance", "target", "method", "measure"))
    if p is None or pc.metric is None:
        return None
    m = pc.metric
    n = pc.chk.integer(p, "periods", 3, minimum=2) or 3
    method = pc.chk.choice(p, "method", ("improvement", "trend"), "improvement") or "improvement"
    if method == "trend" and n < 3:
        pc.chk.error(p.value_pos["periods"], "method: trend needs periods of 3 or more")
    measure = pc.chk.choice(p, "measure", ("value", "gap"), "value") or "value"
    hw = higher_is_worse(m) if measure == "value" else m.adverse != "focus_lower"
    default = None
    if m.unit == "ratio":
        rng = m.non_adverse_range or (pc.stats.non_adverse_low, pc.stats.non_adverse_high)
        default = rng[1] if hw else rng[0]
    target = pc.chk.number(p, "target", default)
    if target is None:
        pc.chk.error(p.pos, f"'{KIND}' on {m.id} needs a 'target' (off target = worse than it)")
        return None
    tolerance = pc.chk.number(p, "tolerance", 0.0) or 0.0
    return Flatline(n, tolerance, target, method, measure, m.unit, breakdown(p, pc), hw)
