"""What every condition kind shares: the verdict it returns, the context it evaluates in,
and the small base class each kind's module subclasses.

A condition kind is one module in this package with a ``KIND`` name, a ``parse`` function
(YAML → condition, problems located), and a class with ``evaluate`` (→ :class:`Verdict`) and
``describe`` (plain English for a board member). The class also owns what its verdicts mean
to a renderer: ``facts`` declares how each fact it records is worded and who may see it
(:class:`FactSpec`), and ``band`` gives the acceptable range a chart shades (:class:`Band`).
Reports and messages render from ``describe``, the verdict and these declarations; they never
re-derive the logic or know a kind by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from assurance.catalogue import Catalogue, MetricDef
from assurance.config import StatisticsSettings
from assurance.engine.data import DataView, OrgInfo, division_breakdown
from assurance.engine.figures import Figure, fmt_value, headline
from assurance.engine.movement import Movement, movement_of
from assurance.engine.yamlsrc import Checker, Pos
from assurance.periods import short_label

Status = Literal["breach", "outside", "ok", "no_data", "not_calculable"]
Trend = Literal["up", "down", "flat"]
FactRole = Literal["parameter", "statistic", "derived"]


@dataclass(frozen=True)
class FactSpec:
    """How one fact a verdict records is worded and who may see it."""

    label: str  # e.g. "P value", "Peer median", "Previous value"
    # parameter: a rule setting (limit, threshold, periods), shown to everyone as it is;
    # statistic: a number not built on this organisation's small groups (p value, z, peer
    #   median and quartiles), shown to everyone;
    # derived: built on this organisation's counts (previous value, baseline, expected
    #   trajectory …), shown to exact audiences only.
    role: FactRole
    # "ratio" | "percent" | "percentage_points" | "score" | "count" | "yes_no" | "text" |
    # "p_value" | "period" (a period key, shown as people read it: "2019", "survey 2023") |
    # "difference" (between two of the metric's figures: percentage points for a percentage) |
    # "" (a plain number); None: the metric's own unit.
    unit: str | None = None


@dataclass(frozen=True)
class Band:
    """The range a rule treats as acceptable, for shading a chart (``None``: open-ended)."""

    low: float | None
    high: float | None
    label: str  # e.g. "Acceptable range 0.80 to 1.25"


@dataclass(frozen=True)
class ExpectedLine:
    """What a rule expected at each period of a chart (None before its line starts)."""

    label: str  # e.g. "Trajectory to 27.3% by 2028"
    values: tuple[float | None, ...]  # one per period asked for
    starts_at: str  # the period the line starts from (its baseline figure)


@dataclass(frozen=True)
class Verdict:
    """What a condition found for one organisation."""

    status: Status
    summary: str  # one plain-English sentence: what was found and why it decided the status
    figure: Figure | None = None
    period: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)  # numbers that decided it (JSON-able)
    trend: Trend | None = None
    series: Sequence[tuple[str, float | None]] = ()  # (period, value) used, for charts
    movement: Movement | None = None  # the latest change, judged (engine.movement)


@dataclass(frozen=True)
class EvalContext:
    """What a condition evaluates: one metric for one organisation, or for one of its
    divisions (``division``: its code; the division's figures are the rows stored under the
    breakdown ``division:<code>``, which :meth:`figure` and :meth:`series` read in place of the
    organisation's own)."""

    metric: MetricDef
    org: OrgInfo
    data: DataView
    stats: StatisticsSettings
    division: str | None = None

    @property
    def period(self) -> str | None:
        return self.data.current_period(self.metric.id)

    def _breakdown(self, breakdown: str | Sequence[str] | None) -> str | Sequence[str] | None:
        if self.division is None:
            return breakdown
        assert not breakdown, "a division-scoped rule names no breakdown (rules.py checks)"
        return division_breakdown(self.division)

    def figure(self, breakdown: str | Sequence[str] | None = None) -> Figure | None:
        p = self.period
        return None if p is None else self.data.figure(self.metric.id, self.org.code, p,
                                                       self._breakdown(breakdown))

    def series(self, breakdown: str | Sequence[str] | None = None) -> list[Figure]:
        return self.data.series(self.metric.id, self.org.code, self._breakdown(breakdown))


@dataclass(frozen=True)
class ParseContext:
    """What a condition's parser may consult."""

    catalogue: Catalogue
    metric: MetricDef | None
    chk: Checker
    stats: StatisticsSettings
    parse_condition: Callable[[Any, Pos, ParseContext], Condition | None]


class Condition:
    """Base class: subclasses set ``kind`` and ``facts`` and implement evaluate/describe."""

    kind: str = ""
    metric_id: str | None = None  # a compound child may name its own metric
    facts: ClassVar[Mapping[str, FactSpec]] = {}
    """Every key the verdicts put in ``facts`` beyond the figure's own (:func:`facts_of`)."""
    per_division: ClassVar[bool] = True
    """Whether the kind can judge a division's own figures (``scope: division``); kinds that
    compare an organisation with its peers or read its register entries cannot."""

    def evaluate(self, ctx: EvalContext) -> Verdict:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def metrics(self) -> set[str]:
        return {self.metric_id} if self.metric_id else set()

    def assured_heading(self) -> str | None:
        """What a met rule of this kind assures, as a report's heading, where the metric's
        title would not say it (a kind that judges no figure); None: the metric's title."""
        return None

    def reports_absence(self) -> bool:
        """Whether an organisation with no figures at all for the metric still has an
        outcome (a missing return): then every accountable organisation is evaluated."""
        return False

    def band(self, m: MetricDef, stats: StatisticsSettings) -> Band | None:
        """The acceptable range the rule judges against, for shading a chart of ``m``.

        By default a ratio's non-adverse range (the metric's, else the configured one);
        kinds that judge against limits of their own override this.
        """
        if m.unit != "ratio":
            return None
        low, high = m.non_adverse_range or (stats.non_adverse_low, stats.non_adverse_high)
        return Band(low, high, f"Non-adverse range {fmt_value(low, m.unit)} to "
                    f"{fmt_value(high, m.unit)}")

    def expected_line(self, facts: Mapping[str, Any], periods: Sequence[str]
                      ) -> ExpectedLine | None:
        """The line a chart draws for what the rule expected at each of ``periods`` (a
        trajectory to a target), from a verdict's ``facts``; None for kinds with none."""
        return None


def higher_is_worse(m: MetricDef) -> bool:
    """Direction of adversity for a metric (ratios: the catalogue's ``adverse`` side)."""
    if m.improvement == "decrease":
        return True
    if m.improvement == "increase":
        return False
    return m.adverse != "below"


def usable_figure(ctx: EvalContext, breakdown: str | Sequence[str] | None = None
                  ) -> Figure | Verdict:
    """The current period's figure when it can be judged (calculable, with a value), else
    the no-data or not-calculable verdict that stands in its place."""
    period = ctx.period
    if period is None:
        return Verdict("no_data", f"No {ctx.metric.label} data in the store yet.")
    fig = ctx.figure(breakdown)
    if fig is None:
        return Verdict("no_data", f"No {ctx.metric.label} figures for {short_label(period)} from this "
                       "organisation.", period=period)
    if not fig.calculable or fig.value is None:
        reason = (fig.reason or "").removeprefix("not calculable: ")
        return Verdict("not_calculable", f"{ctx.metric.label} for {short_label(period)} is not "
                       f"calculable: {reason}.", figure=fig, period=period)
    return fig


def missing(ctx: EvalContext, breakdown: str | Sequence[str] | None = None
            ) -> Verdict | None:
    """The no-data or not-calculable verdict for the current period, or None if usable (for
    kinds that judge the series rather than the current figure alone)."""
    got = usable_figure(ctx, breakdown)
    return got if isinstance(got, Verdict) else None


EPSILON = 1e-9


def beyond(value: float, limit: float) -> bool:
    """``value > limit`` ignoring floating-point noise (6.9 − 6.6 is 0.3000000000000007)."""
    return value - limit > EPSILON * max(1.0, abs(limit))


def trend_of(series: Sequence[Figure]) -> Trend | None:
    vals = [f.value for f in series if f.value is not None]
    if len(vals) < 2:
        return None
    diff = vals[-1] - vals[-2]
    return "flat" if abs(diff) < 1e-9 else ("up" if diff > 0 else "down")


FIGURE_KEYS = frozenset({"value", "unit", "period", "ci", "focus", "reference", "unknown",
                         "count", "declaration_rate"})
"""The figure's own facts (:func:`facts_of`), disclosed as the figure; kinds never declare them."""

FIGURE_EXTRAS: Mapping[str, FactSpec] = {
    "overall_share": FactSpec("Overall share", "derived", "percent"),
    "board_share": FactSpec("Board share", "derived", "percent"),
    "workforce_share": FactSpec("Workforce share", "derived", "percent"),
    "executive_share": FactSpec("Executive share", "derived", "percent"),
    "executive_gap": FactSpec("Executive gap", "derived", "percentage_points"),
}
"""The extra numbers some figures carry (``Figure.extra``), which :func:`facts_of` copies."""


def facts_of(fig: Figure) -> dict[str, Any]:
    """JSON-able numbers behind a figure (value, interval, group counts)."""
    out: dict[str, Any] = {"value": fig.value, "unit": fig.unit, "period": fig.period_key}
    if fig.ci:
        out["ci"] = [fig.ci[0], fig.ci[1]]
    for role, g in (("focus", fig.focus), ("reference", fig.reference),
                    ("unknown", fig.unknown)):
        if g is not None:
            out[role] = {"group": g.group, "label": g.label, "value": g.value,
                         "numerator": g.numerator, "denominator": g.denominator}
    if fig.count is not None:
        out["count"] = fig.count
    if fig.declaration_rate is not None:
        out["declaration_rate"] = fig.declaration_rate
    for k, v in fig.extra.items():
        out[k] = v
    return out


def verdict(status: Status, summary: str, ctx: EvalContext, fig: Figure,
            breakdown: str | Sequence[str] | None = None, *, movement_measure: str = "value",
            **facts: Any) -> Verdict:
    """A verdict with the figure, its facts, trend, the series behind it and the judged
    movement of what the rule judges (``movement_measure="gap"`` for the gap between
    the groups)."""
    series = ctx.series(breakdown)
    return Verdict(status, summary, figure=fig, period=fig.period_key,
                   facts={**facts_of(fig), **facts}, trend=trend_of(series),
                   series=tuple((f.period_key, f.value) for f in series),
                   movement=movement_of(series, ctx.metric, ctx.stats, movement_measure))


__all__ = ["FIGURE_EXTRAS", "FIGURE_KEYS", "Band", "Condition", "EvalContext", "ExpectedLine",
           "FactRole",
           "FactSpec", "ParseContext", "Verdict", "fmt_value", "headline", "higher_is_worse",
           "missing", "usable_figure", "verdict"]
