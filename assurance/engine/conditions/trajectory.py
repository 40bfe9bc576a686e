"""``trajectory``: behind a year-on-year goal toward a target by a target year.

What it does: draws a straight line from the organisation's figure in the ``baseline`` year
to ``target`` in ``target_year`` and breaches when this period's figure is behind the line
by more than ``tolerance``. ``target: parity`` means the focus group's share of the whole
workforce in the same period (the Model Employer goal: senior BME representation matching
the workforce by 2028).

Why it matters: NHS England's Model Employer strategy (2019) asks each organisation to set
and track a trajectory; the Messenger review asks for year-on-year goals for under-represented
groups in senior roles. A rule makes the trajectory explicit and checks it every year.

Example::

    when: {trajectory: {baseline: 2019, target: parity, target_year: 2028, breakdown: senior}}

Options: ``baseline`` (year; default the earliest period with data), ``target`` (a number in
the metric's unit, or ``parity`` for share metrics), ``target_year`` (default 2028),
``tolerance`` (default 0), ``breakdown``.

Known limitations: a linear trajectory is the default the domain guidance names when a trust
has not configured its own; a trust's own published trajectory can be entered as
``baseline``/``target``/``target_year`` values.

References: domain.md §1 (Model Employer), §5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    ExpectedLine,
    FactSpec,
    ParseContext,
    Verdict,
    fmt_value,
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
from assurance.engine.yamlsrc import Pos
from assurance.periods import period_year, short_label

KIND = "trajectory"


class Trajectory(Condition):
    kind = KIND
    facts = {
        "baseline_period": FactSpec("Baseline period", "parameter", "period"),
        "baseline": FactSpec("Baseline", "derived"),
        "target": TARGET,
        "target_year": FactSpec("Target year", "parameter", ""),
        "expected": FactSpec("Expected on trajectory", "derived"),
        "behind_by": FactSpec("Behind by", "derived", "difference"),
    }

    def __init__(self, baseline: int | None, target: float | str, target_year: int,
                 tolerance: float, unit: str, bd: Breakdown, higher_better: bool):
        self.baseline, self.target, self.target_year = baseline, target, target_year
        self.tolerance, self.unit, self.breakdown = tolerance, unit, bd
        self.higher_better = higher_better

    def expected_line(self, facts: Mapping[str, Any], periods: Sequence[str]
                      ) -> ExpectedLine | None:
        """The straight line from the baseline figure to the target, at each period."""
        base_period, base, target = (facts.get("baseline_period"), facts.get("baseline"),
                                     facts.get("target"))
        if not isinstance(base_period, str) or not isinstance(base, int | float) \
                or not isinstance(target, int | float):
            return None
        y0, y1 = period_year(base_period), self.target_year
        values = tuple(None if period_year(p) < y0 else base + (target - base) * (
            min(max((period_year(p) - y0) / (y1 - y0), 0.0), 1.0) if y1 > y0 else 1.0)
            for p in periods)
        return ExpectedLine(f"Trajectory to {fmt_value(float(target), self.unit)} by {y1}",
                            values, base_period)

    def describe(self) -> str:
        goal = ("parity with the whole workforce" if self.target == "parity"
                else fmt_value(float(self.target), self.unit))
        start = f"its {self.baseline} figure" if self.baseline else "its first recorded figure"
        text = (f"the figure{describe_breakdown(self.breakdown)} is behind a straight-line "
                f"trajectory from {start} to {goal} by {self.target_year}")
        if self.tolerance:
            text += f" by more than {fmt_value(self.tolerance, self.unit)}"
        return text

    def evaluate(self, ctx: EvalContext) -> Verdict:
        gone = missing(ctx, self.breakdown)
        if gone:
            return gone
        series = [f for f in ctx.series(self.breakdown) if f.calculable and f.value is not None]
        fig = series[-1]
        base = next((f for f in series if self.baseline is None
                     or period_year(f.period_key) >= self.baseline), None)
        if base is None or base is fig:
            return Verdict("no_data", "Needs a baseline figure before the current period.",
                           figure=fig, period=fig.period_key)
        if self.target == "parity":
            target = fig.extra.get("overall_share")
            if target is None:
                return Verdict("not_calculable", "No overall workforce share to define parity.",
                               figure=fig, period=fig.period_key)
        else:
            target = float(self.target)
        y0, y, y1 = period_year(base.period_key), period_year(fig.period_key), self.target_year
        assert base.value is not None and fig.value is not None
        frac = min(max((y - y0) / (y1 - y0), 0.0), 1.0) if y1 > y0 else 1.0
        expected = base.value + (target - base.value) * frac
        behind = (expected - fig.value) if self.higher_better else (fig.value - expected)
        facts: dict[str, Any] = {"baseline_period": base.period_key, "baseline": base.value,
                                 "target": target, "target_year": y1, "expected": expected,
                                 "behind_by": behind}
        f = lambda v: fmt_value(v, self.unit)  # noqa: E731
        text = (f"{f(fig.value)} in {short_label(fig.period_key)} against {f(expected)} expected on the "
                f"line from {f(base.value)} ({short_label(base.period_key)}) to {f(target)} by {y1}")
        if behind > self.tolerance:
            return verdict("breach", f"Behind trajectory: {text}.", ctx, fig, self.breakdown,
                           **facts)
        return verdict("ok", f"On or ahead of trajectory: {text}.", ctx, fig, self.breakdown,
                       **facts)


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    p = params(spec, pos, pc, KIND, ("baseline", "target", "target_year", "tolerance"),
               required=("target",))
    if p is None or pc.metric is None:
        return None
    m = pc.metric
    raw = p["target"]
    target: float | str
    if raw == "parity":
        if m.kind != "share":
            pc.chk.error(p.value_pos["target"], f"target: parity needs a share metric; {m.id} "
                         f"is {m.kind}")
            return None
        target = "parity"
    else:
        n = pc.chk.number(p, "target")
        if n is None:
            return None
        target = n
    baseline = pc.chk.integer(p, "baseline", None, minimum=1990)
    target_year = pc.chk.integer(p, "target_year", 2028, minimum=1990) or 2028
    if baseline is not None and baseline >= target_year:
        pc.chk.error(p.value_pos["baseline"], f"baseline {baseline} is not before target_year "
                     f"{target_year}")
    return Trajectory(baseline, target, target_year, pc.chk.number(p, "tolerance", 0.0) or 0.0,
                      m.unit, breakdown(p, pc), m.improvement != "decrease")
