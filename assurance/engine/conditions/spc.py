"""``spc``: Making Data Count special-cause variation on a monthly series.

What it does: runs an XmR chart (:mod:`assurance.spc`) over the organisation's monthly figures
up to the current month and breaches when the **latest point is special cause of concern**
(beyond a limit, in a shift or trend run, or two of three near a limit, on the adverse side)
and/or, with a ``target``, when the process **consistently fails** it (the target lies
beyond the process limits on the wrong side). The chart follows ``method``: ``mdc``, NHS
England's Making Data Count tools, or ``nhsr``, NHS-R's NHSRplotthedots.

Why it matters: Making Data Count is NHS England's board-reporting standard; it separates
signals from noise, so a board reacts to real change rather than to every monthly wobble.

Example::

    when: {spc: {}}                       # the configured method (statistics.spc_method)
    when: {spc: {method: nhsr, run_length: 7, screen_outliers: true}}
    when: {spc: {target: 30, signals: [consistent_fail]}}

Options: ``method`` (``mdc`` or ``nhsr``; default ``statistics.spc_method`` in config.toml,
itself ``mdc``). The method sets the defaults of ``run_length`` (mdc 6, nhsr 7; shift and
trend), ``screen_outliers`` (mdc false, nhsr true) and ``min_points`` (mdc 13, nhsr 12), and
how a point breaking several rules is read (assurance.spc). ``target``, ``signals``
(``concern`` and/or ``consistent_fail``; default both when a target is set, else
``concern``), ``breakdown``.

Known limitations: annual WRES/WDES figures rarely have the 12 or 13 points SPC needs; use
this on monthly series. With fewer points the rule reports no data and says why, as the
charts do. A rule without ``method`` changes reading when the configured method changes.

References: domain.md §7; NHS England "Making Data Count" and its SPC tools; NHSRplotthedots.
"""

from __future__ import annotations

from typing import Any

from assurance import spc as xmr
from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    FactSpec,
    ParseContext,
    Verdict,
    facts_of,
    fmt_value,
    missing,
)
from assurance.engine.conditions.common import Breakdown, breakdown, describe_breakdown, params
from assurance.engine.movement import SPC_DIRECTIONS, Movement
from assurance.engine.yamlsrc import Pos

KIND = "spc"
METHOD_NAMES = {"mdc": "Making Data Count", "nhsr": "NHSRplotthedots"}


class Spc(Condition):
    kind = KIND
    facts = {
        "points": FactSpec("Points in the chart", "parameter", "count"),
        "variation": FactSpec("Variation", "derived", "text"),
        "assurance": FactSpec("Assurance", "derived", "text"),
        "mean": FactSpec("Mean", "derived"),
        "lpl": FactSpec("Lower process limit", "derived"),
        "upl": FactSpec("Upper process limit", "derived"),
    }

    def __init__(self, settings: xmr.SpcSettings, signals: tuple[str, ...], unit: str,
                 bd: Breakdown):
        self.settings, self.signals, self.unit, self.breakdown = settings, signals, unit, bd

    def describe(self) -> str:
        parts = []
        if "concern" in self.signals:
            how = METHOD_NAMES[self.settings.method]
            parts.append("the latest month shows special cause variation of concern "
                         f"({how}, run length {self.settings.run_length}"
                         + (", outlier moving ranges screened" if self.settings.screen_outliers
                            else "") + ")")
        if "consistent_fail" in self.signals and self.settings.target is not None:
            parts.append(f"the process limits show the target "
                         f"{fmt_value(self.settings.target, self.unit)} will consistently be "
                         "missed")
        return " or ".join(parts) + describe_breakdown(self.breakdown)

    def evaluate(self, ctx: EvalContext) -> Verdict:
        gone = missing(ctx, self.breakdown)
        if gone:
            return gone
        series = [f for f in ctx.series(self.breakdown) if f.calculable and f.value is not None]
        values = [f.value for f in series if f.value is not None]
        result = xmr.analyse(values, self.settings)
        fig = series[-1]
        points = tuple((f.period_key, f.value) for f in series)
        facts: dict[str, Any] = {**facts_of(fig), "points": len(values),
                                 "variation": result.variation, "assurance": result.assurance}
        last = result.points[-1]
        if last.mean is not None:  # MDC shows the mean of a series too short for limits
            facts["mean"] = last.mean
        if last.lpl is not None and last.upl is not None:
            facts.update(lpl=last.lpl, upl=last.upl)
        text = xmr.describe(result)
        if not result.limits_available:
            return Verdict("no_data", text, figure=fig, period=fig.period_key, facts=facts,
                           series=points)
        breach = ("concern" in self.signals and result.variation == "special_cause_concern") or (
            "consistent_fail" in self.signals and result.assurance == "consistent_fail")
        # The judged movement is this chart's own reading (its method, run length, rebases),
        # so the rule and its trend words never disagree.
        movement = Movement(SPC_DIRECTIONS.get(result.variation, "no_significant_change"),
                            "SPC signal", None, series[-2], fig) if len(series) > 1 else None
        return Verdict("breach" if breach else "ok", text, figure=fig, period=fig.period_key,
                       facts=facts, series=points,
                       trend="up" if values[-1] > values[-2] else "down"
                       if values[-1] < values[-2] else "flat", movement=movement)


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    p = params(spec, pos, pc, KIND, ("method", "run_length", "screen_outliers", "min_points",
                                     "target", "signals"))
    if p is None or pc.metric is None:
        return None
    m = pc.metric
    if m.period_kind != "month":
        pc.chk.error(p.pos, f"'spc' needs a monthly series; {m.id} is reported per "
                     f"{m.period_kind}")
        return None
    method = pc.chk.choice(p, "method", METHOD_NAMES, pc.stats.spc_method) or "mdc"
    target = pc.chk.number(p, "target")
    signals = pc.chk.text_list(p, "signals") or (("concern", "consistent_fail") if target
                                                 is not None else ("concern",))
    for s in signals:
        if s not in ("concern", "consistent_fail"):
            pc.chk.error(p.value_pos["signals"], f"unknown signal '{s}'; expected concern or "
                         "consistent_fail")
    improvement = {"increase": "increase", "decrease": "decrease"}.get(m.improvement, "neutral")
    try:
        # An option the rule leaves out (None) keeps the method's default.
        settings = xmr.SpcSettings.for_method(
            method, improvement=improvement, target=target,
            run_length=pc.chk.integer(p, "run_length", None, minimum=2),
            screen_outliers=(pc.chk.boolean(p, "screen_outliers") if "screen_outliers" in p
                             else None),
            min_points=pc.chk.integer(p, "min_points", None, minimum=2))
    except ValueError as exc:
        pc.chk.error(p.pos, str(exc))
        return None
    return Spc(settings, signals, m.unit, breakdown(p, pc))
