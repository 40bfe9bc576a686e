"""XmR statistical process control, as NHS England's Making Data Count ("plot the dots").

What it does:
    Computes an XmR (individuals) chart for one series: the mean, moving ranges, process
    limits (mean ± 2.66 × mean moving range) and two-sigma lines, then flags special cause
    points with the four Making Data Count rules (beyond a limit; shift; trend; two of three
    beyond a two-sigma line), classifies every point, and gives the variation icon (from the
    last point) and the assurance icon (target against the limits of the latest segment).

Why it matters:
    Boards are told to read monthly indicators as SPC charts, not as red/amber/green against
    last month. A change only deserves attention when it is special cause variation, and a
    target can only be called "assured" when it lies outside the process limits.

Example:
    >>> r = analyse([10, 12, 11, 13, 12, 14, 13, 12, 11, 13, 12, 11],
    ...             SpcSettings(improvement="increase", target=16.0))
    >>> round(r.points[-1].upl, 4), r.variation, r.assurance
    (15.6273, 'common_cause', 'consistent_fail')

Options:
    ``SpcSettings``: ``improvement`` (increase/decrease/neutral), ``target``, ``run_length``
    (7 as NHSRplotthedots; 6 as the MDC v5 Excel tool) used for both shift and trend,
    ``screen_outliers`` (drop moving ranges >= 3.267 × mean MR and average again, as
    NHSRplotthedots; the Excel tool does not), ``min_points`` (segments shorter than this get
    no limits), ``freeze_after`` (mean and limits from the first n points of each segment),
    ``rebase_at`` (indices that start a new segment with its own limits; rules never span
    segments).

Known limitations:
    XmR only (no p/u/c charts) and no trajectory lines. NHSRplotthedots hard-codes 7 for
    both runs (its issue #202 asks for 6); ``run_length`` generalises it. It still draws limits for
    short groups and only warns; here a segment shorter than ``min_points`` has no mean, no
    limits and no flags. NHSRplotthedots would give NaN limits when every moving range is 0;
    here screening then keeps a mean MR of 0. Neutral improvement gives "none" assurance, as
    NHSRplotthedots does.

References:
    NHS England, "Making Data Count" (2019) and the MDC SPC Excel tool v5.
    NHS-R ``NHSRplotthedots`` 0.2.x, read for this module: ``R/ptd_spc_standard.R`` (mean,
    moving ranges, screening with a strict ``mr < 3.267 * amr``, 2.66 and ``2 * (2.66 / 3)``,
    ``fix_after_n_points``, grouping by rebase), ``R/ptd_add_rebase_column.R`` (a rebase row
    starts the new group), ``R/ptd_calculate_point_type.R`` (the rules and
    ``ptd_special_cause_type`` / ``ptd_point_type`` after PR #180: a trend point is classified
    by the trend's direction, not its side of the mean), ``R/ptd_calculate_assurance_type.R``,
    ``R/ptd_add_short_group_warnings.R`` (threshold 12). Python port ``nhspy-plotthedots``
    (``pandas_spc_calculations.py``) agrees on the formulas but lets a point on the mean join
    a shift (its ``!= 0`` test is commented out); this module follows the R package.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Direction = Literal["increase", "decrease", "neutral"]
PointType = Literal[
    "common_cause", "special_cause_improvement", "special_cause_concern", "special_cause_neither"
]
Variation = Literal[
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neither",
    "none",
]
Assurance = Literal["consistent_pass", "consistent_fail", "hit_and_miss", "none"]

LIMIT = 2.66  # 3 / d2 for n = 2
LIMIT_CLOSE = 2 * (LIMIT / 3)  # written as in ptd_spc_standard.R so values match exactly
SCREEN = 3.267  # D4 for n = 2: upper range limit used to screen moving ranges


@dataclass(frozen=True)
class SpcSettings:
    """How to compute the chart; defaults follow NHSRplotthedots. Validated on creation."""

    improvement: Direction = "increase"
    target: float | None = None
    run_length: int = 7
    screen_outliers: bool = True
    min_points: int = 12
    freeze_after: int | None = None
    rebase_at: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.improvement not in ("increase", "decrease", "neutral"):
            raise ValueError(
                f"improvement must be increase, decrease or neutral, not {self.improvement!r}"
            )
        if self.run_length < 2:
            raise ValueError(f"run_length must be at least 2, not {self.run_length}")
        if self.min_points < 2:
            raise ValueError(f"min_points must be at least 2, not {self.min_points}")
        if self.freeze_after is not None and self.freeze_after < 2:
            raise ValueError(f"freeze_after needs at least 2 points, not {self.freeze_after}")
        if any(i < 0 for i in self.rebase_at):
            raise ValueError(f"rebase_at indices must be >= 0, not {self.rebase_at}")


@dataclass(frozen=True)
class SpcPoint:
    """One value with its segment's lines, the rules it breaks and its classification."""

    index: int
    value: float
    mean: float | None
    lpl: float | None
    upl: float | None
    lower_two_sigma: float | None
    upper_two_sigma: float | None
    astronomical: bool
    shift: bool
    trend: bool
    two_in_three: bool
    special_cause: bool
    point_type: PointType


@dataclass(frozen=True)
class SpcResult:
    """The analysed series, the variation and assurance icons, and the settings used."""

    points: tuple[SpcPoint, ...]
    limits_available: bool
    reason: str | None
    variation: Variation
    assurance: Assurance
    settings: SpcSettings


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _runs(keys: Sequence[int], min_len: int) -> list[bool]:
    """Mark members of maximal runs of one identical non-zero key at least min_len long."""
    out = [False] * len(keys)
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            if keys[start] != 0 and i - start >= min_len:
                out[start:i] = [True] * (i - start)
            start = i
    return out


def _mean_and_amr(base: Sequence[float], screen: bool) -> tuple[float, float]:
    mean = math.fsum(base) / len(base)
    mrs = [abs(b - a) for a, b in zip(base, base[1:], strict=False)]
    amr = math.fsum(mrs) / len(mrs)
    if screen:
        kept = [m for m in mrs if m < SCREEN * amr]  # strict, as ptd_spc_standard.R
        amr = math.fsum(kept) / len(kept) if kept else amr
    return mean, amr


def _segment(start: int, ys: Sequence[float], s: SpcSettings) -> list[SpcPoint]:
    n = len(ys)
    mean, amr = _mean_and_amr(ys[: s.freeze_after] if s.freeze_after else ys, s.screen_outliers)
    lpl, upl = mean - LIMIT * amr, mean + LIMIT * amr
    lo2, hi2 = mean - LIMIT_CLOSE * amr, mean + LIMIT_CLOSE * amr
    lines = (mean, lpl, upl, lo2, hi2)
    side = [_sign(y - mean) for y in ys]  # 0 on the mean, which breaks a shift
    astro = [y > upl or y < lpl for y in ys]
    shift = _runs(side, s.run_length)
    # Trend counts points: run_length points means run_length - 1 strict steps (R: y[i - 0:6]).
    steps = [_sign(b - a) for a, b in zip(ys, ys[1:], strict=False)]
    step_run = _runs(steps, s.run_length - 1)
    trend = [(i > 0 and step_run[i - 1]) or (i < n - 1 and step_run[i]) for i in range(n)]
    # Two in three: a point beyond a two-sigma line but not beyond the limit is "close"; a
    # window of three with >= 2 close points and all three strictly on one side flags its
    # close points only (ptd_two_in_three / ptd_part_of_two_in_three).
    close = [not astro[i] and (ys[i] < lo2 or ys[i] > hi2) for i in range(n)]
    two3 = [False] * n
    for w in range(n - 2):
        if sum(close[w : w + 3]) >= 2 and abs(sum(side[w : w + 3])) == 3:
            for i in range(w, w + 3):
                two3[i] = two3[i] or close[i]
    points = []
    for i, y in enumerate(ys):
        # Rule priority and the high/low reading follow ptd_special_cause_type: beyond a limit,
        # then trend (its direction, using the step to the right if the next point is also in
        # a trend), then two-in-three, then shift (side of the mean).
        if astro[i]:
            high = side[i] == 1
        elif trend[i]:
            step = steps[i] if i < n - 1 and trend[i + 1] else steps[i - 1]
            high = step == 1
        else:
            high = side[i] > 0
        flagged = astro[i] or trend[i] or two3[i] or shift[i]
        rules = (astro[i], shift[i], trend[i], two3[i], flagged)
        points.append(SpcPoint(start + i, y, *lines, *rules, _point_type(flagged, high, s)))
    return points


def _point_type(flagged: bool, high: bool, s: SpcSettings) -> PointType:
    if not flagged:
        return "common_cause"
    if s.improvement == "neutral":
        return "special_cause_neither"
    good = high if s.improvement == "increase" else not high
    return "special_cause_improvement" if good else "special_cause_concern"


def _bare(start: int, ys: Sequence[float]) -> list[SpcPoint]:
    no_lines, no_rules = (None,) * 5, (False,) * 5
    return [SpcPoint(start + i, y, *no_lines, *no_rules, "common_cause") for i, y in enumerate(ys)]


def _starts(n: int, s: SpcSettings) -> list[int]:
    bad = [i for i in s.rebase_at if i >= n]
    if bad:
        raise ValueError(f"rebase_at {bad} is beyond the last point (index {n - 1})")
    return sorted({0, *s.rebase_at}) if n else []


def analyse(values: Sequence[float], settings: SpcSettings = SpcSettings()) -> SpcResult:
    """Analyse a series in time order; see the module docstring for the method."""
    ys = [float(v) for v in values]
    if not all(math.isfinite(y) for y in ys):
        raise ValueError("values must be finite numbers (no NaN or infinity)")
    starts = _starts(len(ys), settings)
    points: list[SpcPoint] = []
    reason: str | None = "There are no data points." if not ys else None
    for a, b in zip(starts, [*starts[1:], len(ys)], strict=True):
        seg = ys[a:b]
        if len(seg) >= settings.min_points:
            points.extend(_segment(a, seg, settings))
            continue
        points.extend(_bare(a, seg))
        if b == len(ys):
            since = f" since the rebase at point {a + 1}" if a else ""
            reason = (
                f"Only {len(seg)} points{since}; at least {settings.min_points} are "
                f"needed to calculate process limits."
            )
    last = points[-1] if points else None
    if last is None or last.upl is None or last.lpl is None:
        return SpcResult(tuple(points), False, reason, "none", "none", settings)
    return SpcResult(
        tuple(points),
        True,
        None,
        last.point_type,
        _assurance(last.lpl, last.upl, settings),
        settings,
    )


def _assurance(lpl: float, upl: float, s: SpcSettings) -> Assurance:
    if s.target is None or s.improvement == "neutral":
        return "none"
    up = s.improvement == "increase"
    if s.target > upl:
        return "consistent_fail" if up else "consistent_pass"
    if s.target < lpl:
        return "consistent_pass" if up else "consistent_fail"
    return "hit_and_miss"


def _fmt(x: float) -> str:
    return str(round(x, 4))


_VARIATION = {
    "common_cause": "Common cause variation",
    "special_cause_improvement": "Special cause variation of improvement",
    "special_cause_concern": "Special cause variation of concern",
    "special_cause_neither": "Special cause variation (neither improvement nor concern)",
}


def _run_back(keys: Sequence[int]) -> int:
    """How many trailing entries share the last entry's value."""
    k = 1
    while k < len(keys) and keys[-1 - k] == keys[-1]:
        k += 1
    return k


def _why(result: SpcResult) -> str:
    p = result.points[-1]
    assert p.mean is not None and p.upl is not None and p.lpl is not None
    seg = [q.value for q in result.points[max((0, *result.settings.rebase_at)) :]]
    if p.astronomical:
        where = (
            f"above the upper process limit ({_fmt(p.upl)})"
            if p.value > p.mean
            else f"below the lower process limit ({_fmt(p.lpl)})"
        )
        return f"the latest point ({_fmt(p.value)}) is {where}"
    if p.trend:
        steps = [_sign(b - a) for a, b in zip(seg, seg[1:], strict=False)]
        way = "rise" if steps[-1] == 1 else "fall"
        return f"the last {_run_back(steps) + 1} points {way} one after another (trend rule)"
    way = "above" if p.value > p.mean else "below"
    if p.two_in_three:
        line = "above the upper" if way == "above" else "below the lower"
        return f"two of the last three points are {line} two-sigma line (two-in-three rule)"
    if p.shift:
        n = _run_back([_sign(v - p.mean) for v in seg])
        return f"the last {n} points are all {way} the mean (run rule)"
    return "the latest point is inside the process limits with no run, trend or two-in-three"


def _target_sentence(result: SpcResult) -> str:
    t, up = result.settings.target, result.settings.improvement == "increase"
    if t is None or result.assurance == "none":
        return ""
    if result.assurance == "hit_and_miss":
        what = "lies inside the process limits, so hitting it is not assured (hit and miss)"
    else:
        passes = result.assurance == "consistent_pass"
        side = "above the upper" if passes != up else "below the lower"
        will = (
            "meet it (consistent pass)" if passes else "miss it unless it changes (consistent fail)"
        )
        what = f"lies {side} process limit, so the process will consistently {will}"
    return f" Target {_fmt(t)} {what}."


def describe(result: SpcResult) -> str:
    """Say in plain English what the chart shows, for a board member."""
    if not result.limits_available:
        return f"No process limits yet: {result.reason}"
    head = _VARIATION[result.variation]
    return f"{head}: {_why(result)}.{_target_sentence(result)}"


__all__ = ["Direction", "SpcPoint", "SpcResult", "SpcSettings", "analyse", "describe"]
