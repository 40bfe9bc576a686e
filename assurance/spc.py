"""XmR statistical process control, as NHS England's Making Data Count ("plot the dots").

What it does:
    Computes an XmR (individuals) chart for one series: the mean, moving ranges, process
    limits (mean ± 2.66 × mean moving range) and two-sigma lines, then flags special cause
    points with the four Making Data Count rules (beyond a limit; shift; trend; two of three
    beyond a two-sigma line), classifies every point, and gives the variation icon (from the
    last point) and the assurance icon (target against the limits of the latest segment).
    Two methods, chosen with ``SpcSettings.method`` (defaults from
    ``SpcSettings.for_method``): ``nhsr`` reproduces NHS-R's NHSRplotthedots; ``mdc`` follows
    NHS England's own Making Data Count tools, which boards are trained on.

Why it matters:
    Boards are told to read monthly indicators as SPC charts, not as red/amber/green against
    last month. A change only deserves attention when it is special cause variation, and a
    target can only be called "assured" when it lies outside the process limits.

Example:
    >>> r = analyse([10, 12, 11, 13, 12, 14, 13, 12, 11, 13, 12, 11],
    ...             SpcSettings(improvement="increase", target=16.0))
    >>> round(r.points[-1].upl, 4), r.variation, r.assurance
    (15.6273, 'common_cause', 'consistent_fail')
    >>> analyse([1, 2] * 6, SpcSettings.for_method("mdc")).points[-1].mean
    1.5

Options:
    ``SpcSettings``: ``method`` (``nhsr``, the default of ``SpcSettings()``, or ``mdc``),
    ``improvement`` (increase/decrease/neutral), ``target``, ``run_length`` (shift and
    trend), ``screen_outliers`` (drop moving ranges >= 3.267 × mean MR and average again),
    ``min_points`` (segments shorter than this get no limits), ``freeze_after`` (mean and
    limits from the first n points of each segment: a baseline), ``rebase_at`` (indices that
    start a new segment with its own limits), ``runs_across_rebase`` (a shift or trend run
    carries on over a rebase into the next segment, each point judged against its own
    segment's mean). ``SpcSettings.for_method(method, **overrides)`` gives a method's
    defaults:

    ========================  =====  =====
    setting                   nhsr   mdc
    ========================  =====  =====
    run_length                7      6
    screen_outliers           yes    no
    min_points                12     13
    runs_across_rebase        no     yes
    ========================  =====  =====

    What ``method`` itself changes:

    * **Reading of a point** that breaks several rules. ``nhsr`` (``ptd_special_cause_type``):
      beyond a limit, then trend (its direction), then two-of-three and shift (side of the
      mean). ``mdc``: a point flagged both as improvement and as concern — by two rules (a
      falling trend above the mean in a shift) or by one rule both ways (the peak of a rise
      followed by a fall) — is improvement, as the MDC tools colour it (domain.md §7, the
      MDC SQL query's conflict rule); otherwise the rules agree. The published rule-clash
      order (trend, then shift, then two-of-three, then a single point beyond a limit)
      names the rule that decides, the first on the side the point is read.
    * **Short segments**. ``nhsr``: no mean, no limits, no flags. ``mdc``: the mean is shown
      but no limits and no rule fires (decision, see limitations).
    * **Target on a limit**. ``nhsr``: hit and miss. ``mdc``: pass or fail, as the MDC SQL
      query (v2.1 onwards: "pass/fail when the target is on a process limit").

Known limitations:
    XmR only (no p/u/c charts) and no trajectory lines. NHSRplotthedots hard-codes 7 for
    both runs (its issue #202 asks for 6); ``run_length`` generalises it. It still draws limits
    for short groups and only warns; here a segment shorter than ``min_points`` has no limits
    and no flags. NHSRplotthedots would give NaN limits when every moving range is 0; here
    screening then keeps a mean MR of 0. Neutral improvement gives "none" assurance, as
    NHSRplotthedots does. MDC below 13 points: the MDC SQL query shows a chart with too few
    points "as a run chart, with SPC elements removed", which we read as no special cause
    rules at all, not even shift and trend on the mean; we apply it per segment, where the
    SQL counts the whole chart and only warns about a short segment. The MDC SQL lets only
    trends cross a recalculation; domain.md §7 (and ``runs_across_rebase``) lets shifts cross
    too. Two-of-three never spans a rebase.

References:
    NHS England, "Making Data Count" (2019), the MDC SPC Excel tool v5, the MDC "SPC rule
    clash" note (trend, shift, two of three, single point) and the MDC "SPC charts SQL query"
    v2.4 (Step 4g shift within a partition, 4h trend "works across partitions", 4j conflict
    by ``MetricConflictRule``, 4k icons).
    NHS-R ``NHSRplotthedots`` 0.2.x, read for this module: ``R/ptd_spc_standard.R`` (mean,
    moving ranges, screening with a strict ``mr < 3.267 * amr``, 2.66 and ``2 * (2.66 / 3)``,
    ``fix_after_n_points``, grouping by rebase), ``R/ptd_add_rebase_column.R`` (a rebase row
    starts the new group), ``R/ptd_calculate_point_type.R`` (the rules and
    ``ptd_special_cause_type`` / ``ptd_point_type`` after PR #180: a trend point is classified
    by the trend's direction, not its side of the mean), ``R/ptd_calculate_assurance_type.R``,
    ``R/ptd_add_short_group_warnings.R`` (threshold 12), ``vignettes/deviations.Rmd`` (the
    Excel tools do not screen). Python port ``nhspy-plotthedots``
    (``pandas_spc_calculations.py``) agrees on the formulas but lets a point on the mean join
    a shift (its ``!= 0`` test is commented out); this module follows the R package.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

Method = Literal["mdc", "nhsr"]
Direction = Literal["increase", "decrease", "neutral"]
RuleName = Literal["astronomical", "shift", "trend", "two_in_three"]
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
RULES: tuple[RuleName, ...] = ("astronomical", "shift", "trend", "two_in_three")
# Which rule decides a point's reading when several fire: the first that fired.
CLASH_ORDER: dict[str, tuple[RuleName, ...]] = {
    "nhsr": ("astronomical", "trend", "two_in_three", "shift"),
    "mdc": ("trend", "shift", "two_in_three", "astronomical"),
}
# run_length, screen_outliers, min_points, runs_across_rebase
_DEFAULTS: dict[str, tuple[int, bool, int, bool]] = {
    "nhsr": (7, True, 12, False),
    "mdc": (6, False, 13, True),
}


@dataclass(frozen=True)
class SpcSettings:
    """How to compute the chart; ``SpcSettings()`` is NHSRplotthedots. Validated on creation."""

    improvement: Direction = "increase"
    target: float | None = None
    run_length: int = 7
    screen_outliers: bool = True
    min_points: int = 12
    freeze_after: int | None = None
    rebase_at: tuple[int, ...] = ()
    method: Method = "nhsr"
    runs_across_rebase: bool = False

    def __post_init__(self) -> None:
        if self.method not in _DEFAULTS:
            raise ValueError(f"method must be mdc or nhsr, not {self.method!r}")
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

    @classmethod
    def for_method(cls, method: str, **overrides: Any) -> SpcSettings:
        """A method's defaults (see the module docstring) with ``overrides`` applied.

        An override that is None keeps the method's default, so callers can pass optional
        settings straight through: ``SpcSettings.for_method("mdc", run_length=None)``.
        """
        if method not in _DEFAULTS:
            raise ValueError(f"method must be mdc or nhsr, not {method!r}")
        run, screen, least, across = _DEFAULTS[method]
        base = cls(method=cast(Method, method), run_length=run, screen_outliers=screen,
                   min_points=least, runs_across_rebase=across)
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class SpcPoint:
    """One value with its segment's lines, the rules it breaks and its classification.

    ``reading_rule`` is the rule that decided ``point_type`` (None for common cause).
    """

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
    reading_rule: RuleName | None = None

    @property
    def rules(self) -> tuple[RuleName, ...]:
        """The rules this point breaks, in the order of :data:`RULES`."""
        return tuple(r for r in RULES if getattr(self, r))


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


Lines = tuple[float | None, float | None, float | None, float | None, float | None]


def _lines(ys: Sequence[float], s: SpcSettings) -> Lines:
    """(mean, lpl, upl, lower two-sigma, upper two-sigma) of one segment."""
    base = ys[: s.freeze_after] if s.freeze_after else ys
    if len(ys) >= s.min_points:
        mean, amr = _mean_and_amr(base, s.screen_outliers)
        return (mean, mean - LIMIT * amr, mean + LIMIT * amr, mean - LIMIT_CLOSE * amr,
                mean + LIMIT_CLOSE * amr)
    if s.method == "mdc" and ys:
        return (math.fsum(base) / len(base), None, None, None, None)
    return (None, None, None, None, None)


@dataclass
class _Flags:
    """Per-point rule flags over the whole series (False where a segment has no limits)."""

    side: list[int]
    astro: list[bool]
    shift: list[bool]
    trend: list[bool]
    two3: list[bool]
    rise: list[bool]  # member of a rising trend
    fall: list[bool]  # member of a falling trend
    step: list[int]  # nhsr's reading of a trend point: the step it belongs to


def _flags(ys: Sequence[float], lines: Mapping[int, Lines], bounds: Sequence[tuple[int, int]],
           s: SpcSettings) -> _Flags:
    n = len(ys)
    f = _Flags([0] * n, [False] * n, [False] * n, [False] * n, [False] * n, [False] * n,
               [False] * n, [0] * n)
    full = [a for a, _ in bounds if lines[a][1] is not None]
    for a, b in bounds:
        mean, lpl, upl, lo2, hi2 = lines[a]
        if mean is None or lpl is None or upl is None or lo2 is None or hi2 is None:
            continue
        for i in range(a, b):
            f.side[i] = _sign(ys[i] - mean)  # 0 on the mean, which breaks a shift
            f.astro[i] = ys[i] > upl or ys[i] < lpl
        # Two in three: a point beyond a two-sigma line but not beyond the limit is "close"; a
        # window of three with >= 2 close points and all three strictly on one side flags its
        # close points only (ptd_two_in_three / ptd_part_of_two_in_three; MDC SQL step 4i).
        close = [not f.astro[i] and (ys[i] < lo2 or ys[i] > hi2) for i in range(a, b)]
        for w in range(b - a - 2):
            if sum(close[w : w + 3]) >= 2 and abs(sum(f.side[a + w : a + w + 3])) == 3:
                for k in range(w, w + 3):
                    f.two3[a + k] = f.two3[a + k] or close[k]
    # Shift and trend look along a "run group": one segment, or (runs_across_rebase)
    # consecutive segments that all have limits.
    groups: list[tuple[int, int]] = []
    for a, b in bounds:
        if a not in full:
            continue
        if s.runs_across_rebase and groups and groups[-1][1] == a:
            groups[-1] = (groups[-1][0], b)
        else:
            groups.append((a, b))
    for ga, gb in groups:
        for i, hit in enumerate(_runs(f.side[ga:gb], s.run_length), start=ga):
            f.shift[i] = hit
        # Trend counts points: run_length points means run_length - 1 strict steps
        # (R: y[i - 0:6]); a tie breaks it.
        steps = [_sign(ys[i + 1] - ys[i]) for i in range(ga, gb - 1)]
        in_run = _runs(steps, s.run_length - 1)
        for i in range(ga, gb):
            left = i > ga and in_run[i - 1 - ga]
            right = i < gb - 1 and in_run[i - ga]
            f.trend[i] = left or right
            f.rise[i] = (left and steps[i - 1 - ga] == 1) or (right and steps[i - ga] == 1)
            f.fall[i] = (left and steps[i - 1 - ga] == -1) or (right and steps[i - ga] == -1)
        for i in range(ga, gb):
            if f.trend[i]:
                # ptd_special_cause_type: the step to the right if the next point is also in
                # a trend, else the step to the left.
                nxt = i < gb - 1 and f.trend[i + 1]
                f.step[i] = steps[i - ga] if nxt else steps[i - 1 - ga]
    return f


def _reading(i: int, f: _Flags, s: SpcSettings) -> tuple[RuleName | None, bool]:
    """(the rule that decides, whether the point reads high) for point ``i``."""
    high = {"astronomical": f.astro[i] and f.side[i] > 0, "shift": f.shift[i] and f.side[i] > 0,
            "two_in_three": f.two3[i] and f.side[i] > 0, "trend": f.rise[i]}
    low = {"astronomical": f.astro[i] and f.side[i] < 0, "shift": f.shift[i] and f.side[i] < 0,
           "two_in_three": f.two3[i] and f.side[i] < 0, "trend": f.fall[i]}
    fired = [rule for rule in CLASH_ORDER[s.method] if high[rule] or low[rule]]
    if not fired:
        return None, f.side[i] > 0
    if s.method == "nhsr":
        rule = fired[0]
        return rule, (f.step[i] == 1) if rule == "trend" else high[rule]
    # MDC: a point flagged both as improvement and as concern (by one rule both ways, or by
    # two rules) is improvement; the clash order names the rule that decides it.
    if s.improvement in ("increase", "decrease") and any(high[r] for r in fired) and any(
            low[r] for r in fired):
        good_high = s.improvement == "increase"
        return next(r for r in fired if (high[r] if good_high else low[r])), good_high
    return fired[0], high[fired[0]]


def _point_type(flagged: bool, high: bool, s: SpcSettings) -> PointType:
    if not flagged:
        return "common_cause"
    if s.improvement == "neutral":
        return "special_cause_neither"
    good = high if s.improvement == "increase" else not high
    return "special_cause_improvement" if good else "special_cause_concern"


def _starts(n: int, s: SpcSettings) -> list[int]:
    bad = [i for i in s.rebase_at if i >= n]
    if bad:
        raise ValueError(f"rebase_at {bad} is beyond the last point (index {n - 1})")
    return sorted({0, *s.rebase_at}) if n else []


def analyse(values: Sequence[float], settings: SpcSettings = SpcSettings()) -> SpcResult:
    """Analyse a series in time order; see the module docstring for the method."""
    s = settings
    ys = [float(v) for v in values]
    if not all(math.isfinite(y) for y in ys):
        raise ValueError("values must be finite numbers (no NaN or infinity)")
    starts = _starts(len(ys), s)
    bounds = list(zip(starts, [*starts[1:], len(ys)], strict=True)) if ys else []
    seg_lines = {a: _lines(ys[a:b], s) for a, b in bounds}
    f = _flags(ys, seg_lines, bounds, s)
    reason: str | None = "There are no data points." if not ys else None
    points: list[SpcPoint] = []
    for a, b in bounds:
        if b == len(ys) and b - a < s.min_points:
            since = f" since the rebase at point {a + 1}" if a else ""
            reason = (
                f"Only {b - a} points{since}; at least {s.min_points} are "
                f"needed to calculate process limits."
            )
        for i in range(a, b):
            rule, high = _reading(i, f, s)
            flags = (f.astro[i], f.shift[i], f.trend[i], f.two3[i], rule is not None)
            kind = _point_type(rule is not None, high, s)
            points.append(SpcPoint(i, ys[i], *seg_lines[a], *flags, kind, rule))
    last = points[-1] if points else None
    if last is None or last.upl is None or last.lpl is None:
        return SpcResult(tuple(points), False, reason, "none", "none", s)
    return SpcResult(tuple(points), True, None, last.point_type,
                     _assurance(last.lpl, last.upl, s), s)


def _assurance(lpl: float, upl: float, s: SpcSettings) -> Assurance:
    if s.target is None or s.improvement == "neutral":
        return "none"
    up = s.improvement == "increase"
    if s.method == "mdc":  # MDC SQL step 4k: a target on a limit is pass or fail
        if up:
            return ("consistent_pass" if s.target <= lpl else
                    "consistent_fail" if s.target >= upl else "hit_and_miss")
        return ("consistent_pass" if s.target >= upl else
                "consistent_fail" if s.target <= lpl else "hit_and_miss")
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


def _group_start(result: SpcResult) -> int:
    """Where the last point's shift/trend runs may start: its segment, or (runs across a
    rebase) the first of the segments with limits that lead up to it."""
    s = result.settings
    starts = sorted({0, *s.rebase_at})
    k = len(starts) - 1
    while s.runs_across_rebase and k > 0 and result.points[starts[k - 1]].upl is not None:
        k -= 1
    return starts[k]


def _why(result: SpcResult) -> str:
    p = result.points[-1]
    assert p.mean is not None and p.upl is not None and p.lpl is not None
    run = result.points[_group_start(result) :]
    if p.reading_rule == "astronomical":
        where = (
            f"above the upper process limit ({_fmt(p.upl)})"
            if p.value > p.mean
            else f"below the lower process limit ({_fmt(p.lpl)})"
        )
        return f"the latest point ({_fmt(p.value)}) is {where}"
    if p.reading_rule == "trend":
        steps = [_sign(b.value - a.value) for a, b in zip(run, run[1:], strict=False)]
        way = "rise" if steps[-1] == 1 else "fall"
        return f"the last {_run_back(steps) + 1} points {way} one after another (trend rule)"
    way = "above" if p.value > p.mean else "below"
    if p.reading_rule == "two_in_three":
        line = "above the upper" if way == "above" else "below the lower"
        return f"two of the last three points are {line} two-sigma line (two-in-three rule)"
    if p.reading_rule == "shift":
        n = _run_back([_sign(q.value - q.mean) if q.mean is not None else 0 for q in run])
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
        on = "on or " if result.settings.method == "mdc" else ""
        what = f"lies {on}{side} process limit, so the process will consistently {will}"
    return f" Target {_fmt(t)} {what}."


def describe(result: SpcResult) -> str:
    """Say in plain English what the chart shows, for a board member."""
    if not result.limits_available:
        last = result.points[-1] if result.points else None
        mean = f" The mean is {_fmt(last.mean)}." if last and last.mean is not None else ""
        return f"No process limits yet: {result.reason}{mean}"
    head = _VARIATION[result.variation]
    return f"{head}: {_why(result)}.{_target_sentence(result)}"


__all__ = [
    "CLASH_ORDER", "RULES", "Direction", "Method", "RuleName", "SpcPoint", "SpcResult",
    "SpcSettings", "analyse", "describe",
]  # fmt: skip
