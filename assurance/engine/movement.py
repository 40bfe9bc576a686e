"""How a figure moved since the previous period, judged before it is worded.

What it does:
    :func:`movement_of` compares an organisation's latest figure with its previous one and
    says **improving** or **worsening** only when the data supports it:

    * a monthly series long enough for an XmR chart is read by Making Data Count: special
      cause improvement or concern at the latest point (basis ``SPC signal``);
    * otherwise the two periods are tested: a two-sided z test on the two estimates and
      their standard errors (relative likelihoods on the log scale, z = (ln RR₂ − ln RR₁) /
      √(SE₁² + SE₂²); percentages as proportions with their bases), significant when
      p < ``statistics.trend_alpha`` (basis ``significance test``);
    * anything else is **no significant change** (tested, not significant) or **not tested**
      (no standard error: a score without a published spread, a count, a narrative answer).

Why it matters:
    A board paper that captions a flatlining breach "Improving: 1.69 to 1.67" contradicts
    itself; year-on-year wobble on small numbers is not a trend (issue 11, domain.md §4, §7).

Example:
    >>> m = movement_of(series, metric, stats)   # doctest: +SKIP
    >>> m.direction, round(m.p_value, 2)          # doctest: +SKIP
    ('no_significant_change', 0.81)

Options:
    ``statistics.trend_alpha`` (default 0.05) and ``statistics.spc_method``.

Known limitations:
    The two periods are treated as independent samples; staff overlap from year to year, so
    for headcount-based ratios the test is approximate (conservative in practice). A
    "toward one" ratio that crosses 1 is judged by its distance from 1.

References:
    domain.md §4 (relative likelihood and its uncertainty), §7 (Making Data Count), §15.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from assurance import spc as xmr
from assurance.catalogue import MetricDef
from assurance.config import StatisticsSettings
from assurance.engine.figures import Figure, GroupValue

Direction = Literal["improving", "worsening", "no_significant_change", "not_tested"]
Basis = Literal["significance test", "SPC signal", ""]


WORDS: dict[str, str] = {"improving": "Improving", "worsening": "Worsening",
                         "no_significant_change": "No significant change",
                         "not_tested": "Changed"}
"""How reports and messages name each direction (the one wording of a judged change)."""

SPC_DIRECTIONS: dict[str, Direction] = {"special_cause_improvement": "improving",
                                        "special_cause_concern": "worsening"}
"""An XmR chart's variation at the latest point as a judged direction (else no change)."""


@dataclass(frozen=True)
class Movement:
    """The latest change of a figure, judged (numbers as computed: disclose before showing)."""

    direction: Direction
    basis: Basis
    p_value: float | None
    previous: Figure
    current: Figure
    measure: str = "value"  # "gap": the gap between the groups moved (gap rules)

    def as_facts(self) -> dict[str, str | float | None]:
        """What a finding stores (``facts["movement"]``) for messages to word and disclose."""
        return {"direction": self.direction, "basis": self.basis, "p_value": self.p_value,
                "previous_period": self.previous.period_key, "measure": self.measure}


def se_percent(g: GroupValue | None, unit: str) -> float | None:
    """Standard error of a group percentage (None for scores: no published spread)."""
    if unit != "percent" or g is None or g.value is None or not g.denominator:
        return None
    p = g.value / 100
    return 100 * math.sqrt(max(p * (1 - p), 0.0) / g.denominator)


def estimate(fig: Figure, measure: str = "value") -> tuple[float | None, float | None]:
    """(estimate, standard error) on the scale a test uses: ln value for ratios; the gap
    between the groups for ``measure="gap"``."""
    if measure == "gap":
        se_f, se_r = se_percent(fig.focus, fig.unit), se_percent(fig.reference, fig.unit)
        se = math.sqrt(se_f**2 + se_r**2) if se_f is not None and se_r is not None else None
        return fig.gap, se
    if fig.unit == "ratio":
        return (math.log(fig.value) if fig.value else None), fig.se
    return fig.value, fig.se


def change_test(prev: Figure, curr: Figure, measure: str = "value", *,
                distance: bool = False) -> tuple[float, float] | None:
    """(z, two-sided p) of the change between two periods: z = (b − a) / √(SE_a² + SE_b²) on
    the scale :func:`estimate` gives; ``distance`` compares |ln RR|, the distance from 1 of a
    ratio whose improvement is toward one (0.80 to 1.25 is as far from parity as before).
    None when it cannot be tested (no estimate or no standard error)."""
    a, se_a = estimate(prev, measure)
    b, se_b = estimate(curr, measure)
    if a is None or b is None or se_a is None or se_b is None or not (se_a > 0 or se_b > 0):
        return None
    z = ((abs(b) - abs(a)) if distance else (b - a)) / math.sqrt(se_a**2 + se_b**2)
    return z, 2 * (1 - NormalDist().cdf(abs(z)))


def change_p_value(prev: Figure, curr: Figure, measure: str = "value", *,
                   distance: bool = False) -> float | None:
    """The p of :func:`change_test` (None when it cannot be tested)."""
    test = change_test(prev, curr, measure, distance=distance)
    return None if test is None else test[1]


def _better(m: MetricDef, prev: float, curr: float) -> bool | None:
    """Whether ``curr`` is better than ``prev`` in the metric's own direction (None: no
    direction of improvement, e.g. a neutral metric)."""
    if m.improvement == "increase":
        return curr > prev
    if m.improvement == "decrease":
        return curr < prev
    if m.improvement == "toward_one" and prev > 0 and curr > 0:
        return abs(math.log(curr)) < abs(math.log(prev))
    return None


def _spc_reading(usable: Sequence[Figure], m: MetricDef, stats: StatisticsSettings
                 ) -> Direction | None:
    if m.period_kind != "month" or m.improvement not in ("increase", "decrease"):
        return None
    settings = xmr.SpcSettings.for_method(stats.spc_method, improvement=m.improvement)
    result = xmr.analyse([f.value for f in usable if f.value is not None], settings)
    if not result.limits_available:
        return None
    return SPC_DIRECTIONS.get(result.variation, "no_significant_change")


def movement_of(series: Sequence[Figure], m: MetricDef, stats: StatisticsSettings,
                measure: str = "value") -> Movement | None:
    """The judged change from the previous usable period to the latest (None: fewer than
    two usable periods). ``measure="gap"`` judges the gap between the groups (focus minus
    reference), which is what a gap rule judges."""
    if measure == "gap":
        return _gap_movement(series, m, stats)
    usable = [f for f in series if f.calculable and f.value is not None]
    if len(usable) < 2:
        return None
    prev, curr = usable[-2], usable[-1]
    assert prev.value is not None and curr.value is not None
    spc = _spc_reading(usable, m, stats)
    if spc is not None:
        return Movement(spc, "SPC signal", None, prev, curr)
    p = change_p_value(prev, curr, distance=m.improvement == "toward_one"
                       and curr.unit == "ratio")
    better = _better(m, prev.value, curr.value)
    if p is None or better is None:  # no test possible, or no direction of improvement
        return Movement("not_tested", "", p, prev, curr)
    if p >= stats.trend_alpha or abs(curr.value - prev.value) < 1e-12:
        return Movement("no_significant_change", "significance test", p, prev, curr)
    return Movement("improving" if better else "worsening", "significance test", p, prev, curr)


def _gap_movement(series: Sequence[Figure], m: MetricDef, stats: StatisticsSettings
                  ) -> Movement | None:
    usable = [f for f in series if f.calculable and f.gap is not None]
    if len(usable) < 2:
        return None
    prev, curr = usable[-2], usable[-1]
    assert prev.gap is not None and curr.gap is not None
    p = change_p_value(prev, curr, "gap")
    better = _better(m, prev.gap, curr.gap)
    if p is None or better is None:
        return Movement("not_tested", "", p, prev, curr, "gap")
    if p >= stats.trend_alpha or abs(curr.gap - prev.gap) < 1e-12:
        return Movement("no_significant_change", "significance test", p, prev, curr, "gap")
    return Movement("improving" if better else "worsening", "significance test", p, prev, curr,
                    "gap")


__all__ = ["WORDS", "Movement", "change_p_value", "change_test", "estimate", "movement_of", "se_percent"]
