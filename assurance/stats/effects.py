"""Whether an action moved its indicator: an SPC sustained shift against the
pre-intervention centre line, or a difference in differences against comparison units.

Pure functions on series of numbers; :mod:`assurance.interventions` chooses the method and
reads the figures (its docstring gives the methods in full).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import cast

from assurance import spc as xmr
from assurance.stats.distributions import student_t_quantile


@dataclass(frozen=True)
class ShiftResult:
    """The SPC reading: the pre-intervention centre line and limits, and the longest run of
    post-start points on each side of it."""

    centre: float
    lpl: float
    upl: float
    pre_points: int
    post_points: int
    run_length: int
    improving_run: int  # longest run of post-start points on the improving side
    worsening_run: int
    post_mean: float
    beyond_improving_limit: int  # post-start points beyond the limit on the improving side

    @property
    def effect(self) -> bool:
        return self.improving_run >= self.run_length

    @property
    def concern(self) -> bool:
        return self.worsening_run >= self.run_length


def spc_shift(pre: Sequence[float], post: Sequence[float], improvement: str,
              settings: xmr.SpcSettings) -> ShiftResult:
    """Read the post-start points against the XmR chart of the pre-start points.

    The chart is :func:`assurance.spc.analyse` on the whole series with its mean and limits
    frozen after the pre-start points (``freeze_after``), so the centre line is the
    pre-intervention one. Runs on each side of it are counted over post-start points only (a
    run that began before the start is not the intervention's); a run of ``run_length`` or
    more is what the chart's shift rule flags.

    Args:
        pre: the figures before the start, oldest first (at least ``settings.min_points``).
        post: the figures after the start, oldest first.
        improvement: ``increase`` or ``decrease`` (already transformed for ``toward_one``).
        settings: the SPC settings (run length, screening, method); ``improvement`` and
            ``freeze_after`` are set here.
    """
    if len(pre) < settings.min_points:
        raise ValueError(f"{len(pre)} pre-intervention points; at least "
                         f"{settings.min_points} are needed for a baseline")
    s = replace(settings, improvement=cast(xmr.Direction, improvement), freeze_after=len(pre),
                rebase_at=(), target=None)
    result = xmr.analyse([*pre, *post], s)
    first = result.points[0]
    assert first.mean is not None and first.lpl is not None and first.upl is not None
    up = improvement == "increase"
    runs = {True: 0, False: 0}
    best = {True: 0, False: 0}
    for p in result.points[len(pre):]:
        for good in (True, False):
            # The side of the frozen centre line (a point on it breaks the run, as in the
            # chart's shift rule, which flags any such run of run_length or more).
            above = p.value > first.mean
            on_side = p.value != first.mean and above == (up if good else not up)
            runs[good] = runs[good] + 1 if on_side else 0
            best[good] = max(best[good], runs[good])
    beyond = sum(1 for v in post if (v > first.upl if up else v < first.lpl))
    return ShiftResult(first.mean, first.lpl, first.upl, len(pre), len(post), s.run_length,
                       best[True], best[False], math.fsum(post) / len(post) if post else
                       math.nan, beyond)


@dataclass(frozen=True)
class DidResult:
    """Difference in differences: the unit's change less the comparison units' mean change."""

    change: float  # the unit's mean after minus mean before
    comparison_change: float  # mean of the comparison units' changes
    estimate: float  # change − comparison_change
    se: float
    ci: tuple[float, float]
    comparisons: int
    confidence: float
    improvement: str

    @property
    def effect(self) -> bool:
        """The interval lies wholly on the improving side (never for a zero-width interval:
        comparison units that all changed alike give no spread to judge against)."""
        low, high = self.ci
        return self.se > 0 and (low > 0 if self.improvement == "increase" else high < 0)

    @property
    def concern(self) -> bool:
        low, high = self.ci
        return self.se > 0 and (high < 0 if self.improvement == "increase" else low > 0)


def _change(pre: Sequence[float], post: Sequence[float]) -> float:
    return math.fsum(post) / len(post) - math.fsum(pre) / len(pre)


def difference_in_differences(pre: Sequence[float], post: Sequence[float],
                              comparisons: Sequence[tuple[Sequence[float], Sequence[float]]],
                              improvement: str, confidence: float = 0.95) -> DidResult:
    """The difference in differences and its interval (see the module docstring).

    Args:
        pre, post: the unit's figures before and after the start.
        comparisons: each comparison unit's (before, after) figures over the same periods.
        improvement: ``increase`` or ``decrease``.
        confidence: of the interval.
    """
    if not pre or not post:
        raise ValueError("the unit needs figures both before and after the start")
    deltas = [_change(b, a) for b, a in comparisons if b and a]
    k = len(deltas)
    if k < 2:
        raise ValueError(f"{k} comparison unit(s) with figures before and after; at least 2 "
                         "are needed for an interval")
    mean_delta = math.fsum(deltas) / k
    sd = math.sqrt(math.fsum((d - mean_delta) ** 2 for d in deltas) / (k - 1))
    se = sd * math.sqrt(1 + 1 / k)
    t = student_t_quantile(1 - (1 - confidence) / 2, k - 1)
    estimate = _change(pre, post) - mean_delta
    return DidResult(_change(pre, post), mean_delta, estimate, se,
                     (estimate - t * se, estimate + t * se), k, confidence, improvement)
