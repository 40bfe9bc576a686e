"""``outside_range`` / ``threshold``: a figure outside a range, or beyond a threshold.

What it does: breaches when this period's figure lies outside ``low``–``high`` (on the
adverse side only, unless ``side: both``), or beyond ``above``/``below`` for ``threshold``.
With ``significant: true`` the whole 95 % confidence interval must lie outside too; a
figure outside the range whose interval overlaps it is ``outside`` ("outside the range, not
statistically significant"), never ``ok``: NHS England flags it by its point estimate
(domain.md §15), so it is not "met", but it opens no finding either.

Why it matters: NHS England treats relative likelihoods within 0.80–1.25 as non-adverse (the
four-fifths rule); a ratio built on a handful of people can sit outside that range by chance,
so ``significant`` lets a board see which breaches the data can stand behind.

Example::

    when: {outside_range: {low: 0.80, high: 1.25, significant: true}}
    when: {threshold: {below: 90}}

Options: ``low``, ``high`` (default: the metric's range, else the configured non-adverse
range), ``side`` (``adverse`` | ``both``), ``significant`` (bool), ``breakdown``.

Known limitations: intervals exist for counts-based figures and survey percentages with a
base; a figure without one cannot be ``significant`` and is judged on its value, saying so.

References: domain.md §1, §4; NHS England WRES technical guidance.
"""

from __future__ import annotations

from typing import Any

from assurance.catalogue import MetricDef
from assurance.config import StatisticsSettings
from assurance.engine.conditions.base import (
    Band,
    Condition,
    EvalContext,
    FactSpec,
    ParseContext,
    Verdict,
    beyond,
    fmt_value,
    headline,
    higher_is_worse,
    usable_figure,
    verdict,
)
from assurance.engine.conditions.common import Breakdown, breakdown, describe_breakdown, params
from assurance.engine.yamlsrc import Pos

KIND = "outside_range"
NO_INTERVAL = {"representation_gap", "narrative", "group_score"}  # no interval is computed


class OutsideRange(Condition):
    kind = KIND
    facts = {
        "low": FactSpec("Lower limit", "parameter"),
        "high": FactSpec("Upper limit", "parameter"),
        "significant_required": FactSpec("Significance required", "parameter", "yes_no"),
        "significant": FactSpec("Significant", "statistic", "yes_no"),
        "interval": FactSpec("Confidence interval", "parameter", "text"),  # "unavailable"
    }

    def __init__(self, low: float | None, high: float | None, side: str, significant: bool,
                 unit: str, bd: Breakdown, higher_worse: bool):
        self.low, self.high, self.side = low, high, side
        self.significant, self.unit, self.breakdown = significant, unit, bd
        self.higher_worse = higher_worse

    def _bounds(self) -> tuple[float | None, float | None]:
        """Which bounds are judged: the adverse one only, unless side is 'both'."""
        if self.side == "both":
            return self.low, self.high
        return (None, self.high) if self.higher_worse else (self.low, None)

    def band(self, m: MetricDef, stats: StatisticsSettings) -> Band | None:
        """The rule's own limits (both, even when only the adverse one is judged)."""
        f = lambda v: fmt_value(v, m.unit)  # noqa: E731
        if self.low is not None and self.high is not None:
            return Band(self.low, self.high, f"Acceptable range {f(self.low)} to {f(self.high)}")
        if self.high is not None:
            return Band(None, self.high, f"Acceptable: {f(self.high)} or less")
        if self.low is not None:
            return Band(self.low, None, f"Acceptable: {f(self.low)} or more")
        return super().band(m, stats)

    def describe(self) -> str:
        low, high = self._bounds()
        f = lambda v: fmt_value(v, self.unit)  # noqa: E731
        if low is not None and high is not None:
            text = f"the figure{describe_breakdown(self.breakdown)} is outside {f(low)} to {f(high)}"
        elif high is not None:
            text = f"the figure{describe_breakdown(self.breakdown)} is above {f(high)}"
        else:
            text = f"the figure{describe_breakdown(self.breakdown)} is below {f(low)}"
        if self.significant:
            text += ", with its whole 95% confidence interval beyond that limit"
        return text

    def evaluate(self, ctx: EvalContext) -> Verdict:
        fig = usable_figure(ctx, self.breakdown)
        if isinstance(fig, Verdict):
            return fig
        assert fig.value is not None
        low, high = self._bounds()
        value = fig.value
        above = high is not None and beyond(value, high)
        below = low is not None and beyond(low, value)
        facts: dict[str, Any] = {"low": low, "high": high, "significant_required":
                                 self.significant}
        if not (above or below):
            return verdict("ok", f"{headline(fig)} is within the limit ({self.describe()} "
                           "would breach).", ctx, fig, self.breakdown, **facts)
        if self.significant:
            if fig.ci is None:
                facts["interval"] = "unavailable"
                sig = True
                note = " (no confidence interval available, so judged on the value alone)"
            else:
                sig = fig.ci[0] > high if above and high is not None else (
                    fig.ci[1] < low if low is not None else False)
                note = ""
            facts["significant"] = sig
            if not sig:
                # What is uncertain is whether the figure is beyond the limit; a relative
                # likelihood whose interval excludes 1 still shows the groups differ.
                differ = (" The groups do differ: the interval excludes 1 (parity)."
                          if self.unit == "ratio" and fig.ci is not None and not fig.ci[0] <= 1 <= fig.ci[1]
                          else "")
                return verdict("outside", f"{headline(fig)} is outside the range, but its "
                               "95% confidence interval reaches into it, so the true figure "
                               "may be within the range (not statistically significant)."
                               + differ, ctx, fig, self.breakdown, **facts)
            return verdict("breach", f"{headline(fig)} is beyond the limit and the whole "
                           f"interval is too{note}.", ctx, fig, self.breakdown, **facts)
        limit = high if above else low
        return verdict("breach", f"{headline(fig)} is {'above' if above else 'below'} "
                       f"{fmt_value(limit, self.unit)}.", ctx, fig, self.breakdown, **facts)


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    p = params(spec, pos, pc, KIND, ("low", "high", "side", "significant"))
    if p is None or pc.metric is None:
        return None
    m = pc.metric
    default = m.non_adverse_range or ((pc.stats.non_adverse_low, pc.stats.non_adverse_high)
                                      if m.unit == "ratio" else (None, None))
    low = pc.chk.number(p, "low", default[0])
    high = pc.chk.number(p, "high", default[1])
    if low is not None and high is not None and low > high:
        pc.chk.error(p.value_pos.get("low", p.pos), f"low ({low:g}) is greater than high "
                     f"({high:g})")
        return None
    if low is None and high is None:
        pc.chk.error(p.pos, f"'{KIND}' needs 'low' and/or 'high' ({m.id} has no default range)")
        return None
    side = pc.chk.choice(p, "side", ("adverse", "both"), "adverse") or "adverse"
    significant = pc.chk.boolean(p, "significant")
    if significant and m.kind in NO_INTERVAL:
        pc.chk.error(p.value_pos["significant"], f"{m.id} ({m.kind}) has no confidence "
                     "interval, so 'significant' cannot be tested; remove it")
        return None
    return OutsideRange(low, high, side, significant, m.unit, breakdown(p, pc),
                        higher_is_worse(m))


def parse_threshold(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    """``threshold: {above: x}`` or ``{below: y}`` (both sides if both are given)."""
    p = params(spec, pos, pc, "threshold", ("above", "below", "significant"))
    if p is None or pc.metric is None:
        return None
    above, below = pc.chk.number(p, "above"), pc.chk.number(p, "below")
    if above is None and below is None:
        pc.chk.error(p.pos, "'threshold' needs 'above' or 'below'")
        return None
    if above is not None and below is not None and below > above:
        pc.chk.error(p.value_pos["below"], f"below ({below:g}) is greater than above "
                     f"({above:g})")
        return None
    side = "both" if (above is not None and below is not None) else "adverse"
    significant = pc.chk.boolean(p, "significant")
    if significant and pc.metric.kind in NO_INTERVAL:
        pc.chk.error(p.value_pos["significant"], f"{pc.metric.id} ({pc.metric.kind}) has no "
                     "confidence interval, so 'significant' cannot be tested; remove it")
        return None
    return OutsideRange(below, above, side, significant, pc.metric.unit, breakdown(p, pc),
                        higher_worse=above is not None)
