"""``data_quality``: declaration rate below a threshold, a missing or a stale return.

What it does, by option:

* ``declaration_below: 90`` — breaches when the declaration rate (a ``declaration_rate``
  metric, e.g. ``wres.declaration``) is below the threshold (percent);
* ``missing_return: true`` — breaches when other organisations (or this one, earlier) have
  figures for the current period of the metric but this organisation has none: a missing
  return is escalated, never treated as "ok";
* ``stale_after_days: 430`` — breaches when the organisation's newest figure ended more than
  that many days before the evaluation date.

Why it matters: unknown ethnicity or disability is excluded from every comparison, so a low
declaration rate makes the other figures unreliable (ESR disability declaration is typically
3–5 % against 18–24 % in the Staff Survey); and "no data" hides problems unless it is itself
reported.

Example::

    when: {data_quality: {declaration_below: 90}}
    when: {data_quality: {missing_return: true}}

Options: exactly one of ``declaration_below``, ``missing_return``, ``stale_after_days``.

Who is checked: every organisation with figures for the metric, and every organisation listed
in ``organisations.accountable`` (config.toml) even if it has never submitted anything — so a
trust that never sends its return is flagged rather than silently absent.

Known limitations: "missing" is judged against periods the store knows about; a return that
no organisation has submitted yet is not missing for anyone. An organisation that has never
submitted and is not listed in ``organisations.accountable`` has no outcome (the register also
holds peers, e.g. every trust in a Staff Survey file, that this deployment does not oversee).

References: domain.md §1, §2, §9; design.md (no data is never ok).
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
    Status,
    Verdict,
    fmt_value,
    usable_figure,
    verdict,
)
from assurance.engine.conditions.common import THRESHOLD, params
from assurance.engine.data import period_spec
from assurance.engine.yamlsrc import Pos
from assurance.periods import short_label

KIND = "data_quality"


class DataQuality(Condition):
    kind = KIND
    per_division = False  # a return is the organisation's
    facts = {
        "threshold": THRESHOLD,
        "missing": FactSpec("Missing return", "parameter", "yes_no"),
        "newest_period": FactSpec("Newest period", "parameter", "period"),
        "age_days": FactSpec("Age in days", "parameter", ""),
    }

    def __init__(self, check: str, threshold: float):
        self.check, self.threshold = check, threshold

    def reports_absence(self) -> bool:
        return self.check in ("missing_return", "stale_after_days")

    def band(self, m: MetricDef, stats: StatisticsSettings) -> Band | None:
        if self.check == "declaration_below":
            return Band(self.threshold, None, f"Acceptable: {self.threshold:g}% or more "
                        "declared")
        return super().band(m, stats)

    def describe(self) -> str:
        if self.check == "declaration_below":
            return f"the declaration rate is below {self.threshold:g}%"
        if self.check == "missing_return":
            return "the organisation has no return for the latest period others have reported"
        return f"the newest figure is more than {self.threshold:g} days old"

    def evaluate(self, ctx: EvalContext) -> Verdict:
        metric, org, period = ctx.metric.id, ctx.org.code, ctx.period
        if self.check == "missing_return":
            if period is None:
                return Verdict("no_data", "No period has been reported by anyone yet.")
            if ctx.data.has_rows(metric, org, period):
                return Verdict("ok", f"Return for {short_label(period)} received.", period=period,
                               facts={"period": period})
            return Verdict("breach", f"No {ctx.metric.label} return for {short_label(period)}, although "
                           "the period has been reported.", period=period,
                           facts={"period": period, "missing": True})
        if self.check == "stale_after_days":
            mine = [p for p in ctx.data.periods(metric) if ctx.data.has_rows(metric, org, p)]
            if not mine:
                return Verdict("breach", f"No {ctx.metric.label} figures at all.",
                               facts={"missing": True})
            newest = period_spec(mine[-1]).end
            age = (ctx.data.as_of - newest).days
            facts: dict[str, Any] = {"newest_period": mine[-1], "age_days": age}
            status: Status = "breach" if age > self.threshold else "ok"
            return Verdict(status, f"Newest figure is for {short_label(mine[-1])}, {age} days before the "
                           "evaluation date.", period=mine[-1], facts=facts)
        fig = usable_figure(ctx)
        if isinstance(fig, Verdict):
            return fig
        assert fig.value is not None
        text = f"Declaration rate {fmt_value(fig.value, 'percent')} in {short_label(fig.period_key)}"
        if fig.value < self.threshold:
            return verdict("breach", f"{text}, below {self.threshold:g}%.", ctx, fig,
                           threshold=self.threshold)
        return verdict("ok", f"{text}.", ctx, fig, threshold=self.threshold)


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    options = ("declaration_below", "missing_return", "stale_after_days")
    p = params(spec, pos, pc, KIND, options)
    if p is None or pc.metric is None:
        return None
    given = [k for k in options if k in p]
    if len(given) != 1:
        pc.chk.error(p.pos, "'data_quality' takes exactly one of: " + ", ".join(options))
        return None
    check = given[0]
    if check == "missing_return":
        if pc.chk.boolean(p, check) is not True:
            pc.chk.error(p.value_pos[check], "missing_return must be true")
        return DataQuality(check, 0)
    if check == "declaration_below" and pc.metric.kind != "declaration_rate":
        pc.chk.error(p.key_pos[check], f"declaration_below needs a declaration_rate metric "
                     f"(wres.declaration, wdes.declaration); {pc.metric.id} is "
                     f"{pc.metric.kind}")
        return None
    value = pc.chk.number(p, check)
    return None if value is None else DataQuality(check, value)
