"""``funnel``: the first stage of a funnel whose likelihood is significantly adverse.

What it does: judges each stage of a funnel in order — a mapping of stage name to the metric
that measures it, e.g. recruitment's shortlisting → interview → offer → appointment — exactly
as ``outside_range`` with ``significant: true`` judges one figure (the adverse side of the
stage metric's non-adverse range, the whole 95% confidence interval beyond it), and breaches
naming the **first** stage that is significantly adverse: where the gap opens. It is
``outside`` when no stage is significantly adverse but one lies outside the range by its
point estimate, ``ok`` when every stage was judged and none is outside, and
``not_calculable`` when none is adverse but a stage could not be judged (then where a gap
opens is not known). The summary lists every stage's figure and how it was judged.

Why it matters: a gap in appointments from shortlisting (WRES 2) says that something is
wrong but not where; a board needs to know the stage where the gap opens to act on it —
shortlisting criteria, interview panels or pre-employment checks are different fixes. The
stage after the one where a gap opens can look fair because the people it would have
disadvantaged were already filtered out.

Example::

    metric: career.shortlisting.race
    when:
      funnel:
        stages: {shortlisting: career.shortlisting.race, interview: career.interview.race,
                 offer: career.offer.race, appointment: career.appointment.race}

Options: ``stages`` (required: at least two stage names, in funnel order, each naming a
``relative_likelihood`` metric), ``significant`` (default true; false judges each stage on
its value alone), ``breakdown`` (as ``outside_range``; a division-scoped rule reads each
stage's division figures).

Known limitations: each stage is judged on its own transition (of those who reached the
stage before), so a stage after the opening one is not corrected for who reached it; each
stage's limits are its own metric's non-adverse range (else the configured one). The
verdict's figure, series and movement are the opening stage's (the first stage's when no
stage is adverse). An organisation is judged when it has figures for the rule's own
``metric``, so name the first stage there.

References: domain.md §4; NHS England WRES technical guidance (indicator 2); issue 14.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    FactSpec,
    ParseContext,
    Verdict,
    fmt_value,
    higher_is_worse,
)
from assurance.engine.conditions.common import Breakdown, breakdown, describe_breakdown, params
from assurance.engine.conditions.outside_range import OutsideRange
from assurance.engine.yamlsrc import Pos, YMap, describe

KIND = "funnel"
JUDGED = {"breach": "significantly adverse", "outside": "outside the range (not significantly)",
          "ok": "within the range", "no_data": "no data", "not_calculable": "not calculable"}


class Funnel(Condition):
    kind = KIND
    facts = {
        **OutsideRange.facts,
        "opens_at": FactSpec("Gap opens at", "derived", "text"),
        "stages": FactSpec("Stages", "derived", "text"),
    }

    def __init__(self, stages: list[tuple[str, str, OutsideRange]], significant: bool,
                 bd: Breakdown):
        self.stages, self.significant, self.breakdown = stages, significant, bd

    def metrics(self) -> set[str]:
        return {m for _, m, _ in self.stages} | super().metrics()

    def describe(self) -> str:
        names = " → ".join(name for name, _, _ in self.stages)
        text = (f"a stage of the funnel{describe_breakdown(self.breakdown)} ({names}) is "
                "beyond its non-adverse range")
        if self.significant:
            text += ", with its whole 95% confidence interval beyond it"
        return text + "; the finding names the first such stage, where the gap opens"

    def evaluate(self, ctx: EvalContext) -> Verdict:
        judged: list[tuple[str, Verdict]] = []
        for name, metric, judge in self.stages:
            stage_ctx = replace(ctx, metric=ctx.data.cat[metric])
            judged.append((name, judge.evaluate(stage_ctx)))
        words = {**JUDGED, "breach": JUDGED["breach"] if self.significant else "adverse"}
        listed = "; ".join(f"{name} {_value(v)}{words[v.status]}" for name, v in judged)
        stages = f"Stages: {listed}."
        first = next(((n, v) for n, v in judged if v.status == "breach"), None)
        unjudged = [n for n, v in judged if v.status in ("no_data", "not_calculable")]
        if first is not None:
            name, v = first
            names = [n for n, _ in judged]
            before = [n for n in names[:names.index(name)] if n in unjudged]
            caveat = (f" ({', '.join(before)} could not be judged, so the gap may open earlier)"
                      if before else "")
            return _verdict("breach", f"The gap opens at {name}{caveat}: {v.summary} {stages}",
                            v, opens_at=name, stages=listed)
        if all(v.status == "no_data" for _, v in judged):
            return judged[0][1]
        outside = next(((n, v) for n, v in judged if v.status == "outside"), None)
        if outside is not None:
            name, v = outside
            return _verdict("outside", f"No stage is significantly adverse; {name} is outside "
                            f"the range, but its 95% confidence interval reaches into it, so "
                            f"it may truly be within it. {stages}", v, stages=listed)
        shown = next((v for _, v in judged if v.figure is not None), judged[0][1])
        if unjudged:
            return _verdict("not_calculable", f"No stage judged is adverse, but "
                            f"{', '.join(unjudged)} could not be judged, so where a gap opens "
                            f"is not known. {stages}", shown, stages=listed)
        return _verdict("ok", f"No stage of the funnel is adverse. {stages}", shown,
                        stages=listed)


def _value(v: Verdict) -> str:
    fig = v.figure
    if fig is None or fig.value is None:
        return ""
    return f"{fmt_value(fig.value, fig.unit)} "


def _verdict(status: Any, summary: str, v: Verdict, **facts: Any) -> Verdict:
    """The funnel's verdict, carrying the judged stage's figure, facts and series."""
    return Verdict(status, summary, figure=v.figure, period=v.period,
                   facts={**v.facts, **facts}, trend=v.trend, series=v.series,
                   movement=v.movement)


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    p = params(spec, pos, pc, KIND, ("stages", "significant"), required=("stages",))
    if p is None:
        return None
    raw = p["stages"]
    where = p.value_pos["stages"]
    if not isinstance(raw, YMap) or len(raw) < 2:
        pc.chk.error(where, f"'stages': found {describe(raw)}; expected a mapping of at least "
                     "two stage names to metric ids, in funnel order, e.g. {shortlisting: "
                     "career.shortlisting.race, interview: career.interview.race}")
        return None
    significant = pc.chk.boolean(p, "significant", True)
    bd = breakdown(p, pc)
    stages: list[tuple[str, str, OutsideRange]] = []
    ok = True
    for name, metric in raw.items():
        at = raw.value_pos[name]
        if not isinstance(metric, str) or metric not in pc.catalogue:
            from assurance.problems import did_you_mean

            pc.chk.error(at, f"stage '{name}': unknown metric {describe(metric)}"
                         f"{did_you_mean(str(metric), pc.catalogue.metrics)}")
            ok = False
            continue
        m = pc.catalogue[metric]
        if m.kind != "relative_likelihood":
            pc.chk.error(at, f"stage '{name}': {metric} is a {m.kind} metric; expected a "
                         "relative_likelihood metric (a funnel stage is judged on its range)")
            ok = False
            continue
        low, high = m.non_adverse_range or (pc.stats.non_adverse_low, pc.stats.non_adverse_high)
        stages.append((str(name), metric, OutsideRange(low, high, "adverse", bool(significant),
                                                       m.unit, bd, higher_is_worse(m))))
    return Funnel(stages, bool(significant), bd) if ok else None
