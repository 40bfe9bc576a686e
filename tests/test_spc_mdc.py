"""Tests for assurance.spc with ``method="mdc"``: NHS England's Making Data Count tools.

Each expected result is reasoned out by hand from the published method (domain.md §7, the
MDC "SPC rule clash" note, the MDC SPC SQL query v2.4) in the comment above it, never by
calling the module twice. The last test checks that ``method="nhsr"`` still gives exactly
what the module gave before methods existed.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from assurance import spc as xmr
from assurance.spc import SpcResult, SpcSettings, analyse, describe

MDC = SpcSettings.for_method("mdc")
# HAND (tests/test_spc.py) plus a 13th point on its mean: 13 points, sum 156, mean 12.
# Moving ranges 2,1,2,1,2,1,1,1,2,1,1 and 1 more: 16 / 12 = 4/3. Limits 12 ± 2.66 × 4/3 =
# 8.4533 to 15.5467; two-sigma lines 12 ± 2.3644 = 9.6356 to 14.3644.
HAND13 = [10.0, 12, 11, 13, 12, 14, 13, 12, 11, 13, 12, 11, 12]
AMR13 = 4 / 3


def flagged(result: SpcResult, rule: str) -> list[int]:
    return [p.index for p in result.points if getattr(p, rule)]


def kinds(result: SpcResult, idx: range | list[int]) -> set[str]:
    return {result.points[i].point_type for i in idx}


def test_mdc_defaults_are_run_length_6_no_screening_13_points_runs_across_rebase() -> None:
    assert (MDC.method, MDC.run_length, MDC.screen_outliers, MDC.min_points,
            MDC.runs_across_rebase) == ("mdc", 6, False, 13, True)
    nhsr = SpcSettings.for_method("nhsr")
    assert nhsr == SpcSettings()  # SpcSettings() is still NHSRplotthedots
    custom = SpcSettings.for_method("mdc", run_length=7, target=None, improvement="decrease")
    assert (custom.run_length, custom.target, custom.improvement) == (7, None, "decrease")
    with pytest.raises(ValueError, match="method"):
        SpcSettings.for_method("excel")


def test_twelve_points_show_the_mean_but_no_limits_and_no_rules() -> None:
    # 1..12 rise one after another: with limits this would be a trend of 12 points. MDC needs
    # 13 points for limits; with 12 the chart shows the data and its mean (78 / 12 = 6.5) and,
    # as the MDC SQL's run chart "with SPC elements removed", no special cause rule fires.
    result = analyse([float(v) for v in range(1, 13)], MDC)
    assert [p.mean for p in result.points] == [6.5] * 12
    assert all(p.lpl is None and p.upl is None and p.upper_two_sigma is None
               for p in result.points)
    assert not any(p.special_cause or p.rules for p in result.points)
    assert kinds(result, range(12)) == {"common_cause"}
    assert (result.limits_available, result.variation, result.assurance) == (False, "none",
                                                                            "none")
    assert describe(result) == ("No process limits yet: Only 12 points; at least 13 are needed "
                                "to calculate process limits. The mean is 6.5.")


def test_thirteen_points_get_limits() -> None:
    # HAND13: no value beyond 9.6356..14.3644, no six on one side of 12, no six-point trend.
    result = analyse(HAND13, MDC)
    p = result.points[0]
    assert result.limits_available
    assert p.mean == pytest.approx(12.0)
    assert (p.lpl, p.upl) == (pytest.approx(12 - 2.66 * AMR13), pytest.approx(12 + 2.66 * AMR13))
    assert p.upper_two_sigma == pytest.approx(12 + (2 / 3) * 2.66 * AMR13)
    assert kinds(result, range(13)) == {"common_cause"}
    assert result.variation == "common_cause"


# Mean 0; MRs 4,1,1,1,1,1,5,1,1,1,1,1,5 -> mean MR 24/13, limits ±4.91, two-sigma ±3.27: only
# the two runs of six (points 1-6 above, 7-12 below the mean) can signal.
SIX_RUNS = [-2.0, 2, 3, 2, 3, 2, 3, -2, -3, -2, -3, -2, -3, 2]


def test_shift_of_six_signals_with_run_length_6_and_not_with_7() -> None:
    six = analyse(SIX_RUNS, MDC)
    assert flagged(six, "shift") == list(range(1, 13))
    assert kinds(six, range(1, 7)) == {"special_cause_improvement"}
    assert kinds(six, range(7, 13)) == {"special_cause_concern"}
    assert {six.points[i].reading_rule for i in range(1, 13)} == {"shift"}
    seven = analyse(SIX_RUNS, SpcSettings.for_method("mdc", run_length=7))
    assert not any(p.special_cause for p in seven.points)


def test_trend_of_six_points_signals_with_run_length_6_and_not_with_7() -> None:
    # 5,3,5,3,5,3,5 then 1,2,3,4,5,6: six rising points (five steps), the fall 5 -> 1 before
    # them. Sum 50, mean 3.846; MRs six 2s, 4, five 1s = 21/12 = 1.75: limits 3.846 ± 4.655,
    # two-sigma ± 3.103 (0.743 to 6.950), so 1 and 6 are inside both. Sides of the mean run
    # at most three long. Points 7-9 (1, 2, 3) lie below the mean but rise: improvement.
    values = [5.0, 3, 5, 3, 5, 3, 5, 1, 2, 3, 4, 5, 6]
    six = analyse(values, MDC)
    assert flagged(six, "trend") == list(range(7, 13))
    assert flagged(six, "shift") == flagged(six, "two_in_three") == []
    assert kinds(six, range(7, 13)) == {"special_cause_improvement"}
    assert six.variation == "special_cause_improvement"
    assert describe(six).startswith("Special cause variation of improvement: the last 6 points "
                                    "rise one after another (trend rule)")
    assert flagged(analyse(values, SpcSettings.for_method("mdc", run_length=7)), "trend") == []


def test_moving_ranges_are_not_screened_unless_asked() -> None:
    # [10, 11] × 6 then 30: sum 156, mean 12. MRs eleven 1s and 19: 30 / 12 = 2.5. MDC keeps
    # the 19, so the upper limit is 12 + 2.66 × 2.5 = 18.65; screening drops it (19 > 3.267 ×
    # 2.5 = 8.17) and leaves a mean MR of 1: 14.66. 30 is beyond either.
    values = [10.0, 11] * 6 + [30]
    unscreened = analyse(values, MDC)
    screened = analyse(values, SpcSettings.for_method("mdc", screen_outliers=True))
    assert unscreened.points[0].upl == pytest.approx(18.65)
    assert unscreened.points[0].lpl == pytest.approx(5.35)
    assert screened.points[0].upl == pytest.approx(14.66)
    assert flagged(unscreened, "astronomical") == [12]
    assert unscreened.points[12].point_type == "special_cause_improvement"
    # The twelve points at 10 and 11 are all below the mean of 12: a shift (concern).
    assert flagged(unscreened, "shift") == list(range(12))


# A stable baseline of 13 points (HAND13: limits 8.4533 to 15.5467, frozen), then six points
# far below the lower limit that rise one after another: 0, 1, 2, 3, 4, 5.
FALLEN_AND_RISING = HAND13 + [0.0, 1, 2, 3, 4, 5]


def test_rule_clash_trend_beats_single_point_and_shift() -> None:
    # Each of the last six is below the lower limit (single point: concern when higher is
    # better), all six are below the mean (shift: concern), and they rise (trend:
    # improvement). MDC's clash order is trend, shift, two of three, single point, so the
    # trend decides: improvement. NHSRplotthedots reads a point beyond a limit first: concern.
    settings = SpcSettings.for_method("mdc", freeze_after=13)
    result = analyse(FALLEN_AND_RISING, settings)
    last6 = range(13, 19)
    assert all(result.points[i].rules == ("astronomical", "shift", "trend") for i in last6)
    assert kinds(result, last6) == {"special_cause_improvement"}
    assert {result.points[i].reading_rule for i in last6} == {"trend"}
    nhsr = analyse(FALLEN_AND_RISING, SpcSettings(run_length=6, freeze_after=13))
    assert kinds(nhsr, last6) == {"special_cause_concern"}


def test_a_point_flagged_both_as_improvement_and_as_concern_is_improvement() -> None:
    # After the frozen HAND13 baseline (mean 12, upper limit 15.5467, upper two-sigma line
    # 14.3644): 15, 14.8, 14.6, 14.4, 14.2, 14. All six are above the mean (shift, and the
    # first four beyond two sigma: two of three, both improvement when higher is better) and
    # they fall (trend: concern). Flagged both ways, MDC colours them improvement (domain.md
    # §7; the MDC SQL query's conflict rule); the clash order names the shift, the first rule
    # on the improvement side. NHSRplotthedots reads the trend's direction: concern.
    values = HAND13 + [15.0, 14.8, 14.6, 14.4, 14.2, 14.0]
    result = analyse(values, SpcSettings.for_method("mdc", freeze_after=13))
    assert flagged(result, "shift") == flagged(result, "trend") == list(range(13, 19))
    assert flagged(result, "two_in_three") == [13, 14, 15, 16]
    assert kinds(result, range(13, 19)) == {"special_cause_improvement"}
    assert {result.points[i].reading_rule for i in range(13, 19)} == {"shift"}
    down = analyse(values, SpcSettings.for_method("mdc", freeze_after=13,
                                                  improvement="decrease"))
    assert kinds(down, range(13, 19)) == {"special_cause_improvement"}  # falling is better
    assert {down.points[i].reading_rule for i in range(13, 19)} == {"trend"}
    nhsr = analyse(values, SpcSettings(run_length=6, freeze_after=13))
    assert kinds(nhsr, range(13, 19)) == {"special_cause_concern"}


def test_rule_clash_shift_beats_single_point() -> None:
    # Six points at 16 after the baseline: each is above the frozen upper limit 15.5467
    # (single point) and the six are above the mean (shift); both read improvement, and the
    # shift, higher in the clash order, is named as the reason.
    result = analyse(HAND13 + [16.0] * 6, SpcSettings.for_method("mdc", freeze_after=13))
    assert [p.mean for p in result.points] == pytest.approx([12.0] * 19)
    assert flagged(result, "astronomical") == flagged(result, "shift") == list(range(13, 19))
    assert {result.points[i].reading_rule for i in range(13, 19)} == {"shift"}
    assert result.variation == "special_cause_improvement"
    assert describe(result).startswith("Special cause variation of improvement: the last 6 "
                                       "points are all above the mean (run rule)")


# 3,4,3,4,3 then 1..6 rising and 6..1 falling: the peak 6 (point 10) ends a six-point rise
# and starts a six-point fall. Sum 53 over 16: mean 3.3125; MRs 1,1,1,1,2 and ten 1s =
# 16/15 = 1.0667: limits 0.475 to 6.150 (6 is inside), two-sigma 1.421 to 5.204. Sides of the
# mean run 4, 5 and 3 long (no shift); close points 1 (point 5), 6 (10) and 1 (15) never come
# two to a window of three, so only the two trends fire.
PEAK = [3.0, 4, 3, 4, 3, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize("improvement", ["increase", "decrease"])
def test_point_flagged_both_ways_reads_as_improvement(improvement: str) -> None:
    result = analyse(PEAK, SpcSettings.for_method("mdc", improvement=improvement))
    assert flagged(result, "trend") == list(range(5, 16))
    assert result.points[10].rules == ("trend",)
    assert result.points[10].point_type == "special_cause_improvement"
    up, down = (("special_cause_improvement", "special_cause_concern") if improvement ==
                "increase" else ("special_cause_concern", "special_cause_improvement"))
    assert kinds(result, range(5, 10)) == {up}  # rising
    assert kinds(result, range(11, 16)) == {down}  # falling


def test_nhsr_reads_the_peak_by_the_step_to_its_right() -> None:
    # ptd_special_cause_type: the next point is in a trend too, so the peak takes the falling
    # step: concern when higher is better.
    result = analyse(PEAK, SpcSettings(run_length=6))
    assert result.points[10].point_type == "special_cause_concern"


# Two segments of 13 with a recalculation at point 14 (index 13).
# First: five pairs 1, -1 then 1, 1, 1: sum 3, mean 0.2308; MRs nine 2s, 2, 0, 0 = 20/12 =
# 1.667, two-sigma ± 2.955: the values ±1 are never close. Points 10-12 are above its mean.
# Second: 2, 2, 2 then five pairs -1, 1: sum 6, mean 0.4615; MRs 0, 0, 3 and nine 2s = 1.75,
# two-sigma ± 3.10. Points 13-15 are above its mean. Ties stop any trend.
SHIFT_ACROSS = [1.0, -1] * 5 + [1, 1, 1] + [2.0, 2, 2] + [-1.0, 1] * 5
# First: 0, 2 five times then 1, 2, 3 (mean 16/13 = 1.23); second: 4, 5, 6 then 0, 6 five
# times (mean 45/13 = 3.46). 1, 2, 3, 4, 5, 6 rise across the recalculation; the run above
# the means across it is points 11-15, five long.
TREND_ACROSS = [0.0, 2] * 5 + [1, 2, 3] + [4.0, 5, 6] + [0.0, 6] * 5


def test_a_shift_continues_across_a_rebase() -> None:
    result = analyse(SHIFT_ACROSS, SpcSettings.for_method("mdc", rebase_at=(13,)))
    assert result.points[12].mean == pytest.approx(3 / 13)
    assert result.points[13].mean == pytest.approx(6 / 13)
    assert flagged(result, "shift") == list(range(10, 16))
    assert kinds(result, range(10, 16)) == {"special_cause_improvement"}
    apart = SpcSettings.for_method("mdc", rebase_at=(13,), runs_across_rebase=False)
    assert flagged(analyse(SHIFT_ACROSS, apart), "shift") == []


def test_a_trend_continues_across_a_rebase() -> None:
    result = analyse(TREND_ACROSS, SpcSettings.for_method("mdc", rebase_at=(13,)))
    assert flagged(result, "trend") == list(range(10, 16))
    assert flagged(result, "shift") == []
    assert kinds(result, range(10, 16)) == {"special_cause_improvement"}
    apart = SpcSettings.for_method("mdc", rebase_at=(13,), runs_across_rebase=False)
    assert flagged(analyse(TREND_ACROSS, apart), "trend") == []


def test_rebased_segments_get_their_own_limits() -> None:
    # HAND13 then HAND13 + 20: the second segment has mean 32 and the same mean MR 4/3; the
    # jump 12 -> 30 is a moving range of neither. No rule fires (the first segment ends on
    # its mean, which breaks any run into the second).
    result = analyse(HAND13 + [v + 20 for v in HAND13], SpcSettings.for_method("mdc",
                                                                                rebase_at=(13,)))
    first, second = result.points[0], result.points[13]
    assert (first.mean, first.upl) == (pytest.approx(12.0), pytest.approx(12 + 2.66 * AMR13))
    assert (second.mean, second.upl) == (pytest.approx(32.0), pytest.approx(32 + 2.66 * AMR13))
    assert not any(p.special_cause for p in result.points)


def test_short_rebased_segment_shows_its_mean_without_limits() -> None:
    # After the rebase at point 14: 20, 21, 22, 23 (mean 21.5): too few for limits.
    result = analyse(HAND13 + [20.0, 21, 22, 23], SpcSettings.for_method("mdc", rebase_at=(13,)))
    assert result.points[12].upl == pytest.approx(12 + 2.66 * AMR13)
    assert [p.mean for p in result.points[13:]] == [21.5] * 4
    assert all(p.upl is None and not p.special_cause for p in result.points[13:])
    assert not result.limits_available
    assert result.reason == ("Only 4 points since the rebase at point 14; at least 13 are "
                             "needed to calculate process limits.")


def test_baseline_frozen_on_the_first_points_extends_its_limits() -> None:
    # freeze_after=13 on HAND13 + 13, 14, 13, 14, 13, 14: the mean stays 12 and the upper
    # limit 15.5467 (the later points do not move them); 13 and 14 are inside, but the six
    # are above the mean: a shift.
    result = analyse(HAND13 + [13.0, 14] * 3, SpcSettings.for_method("mdc", freeze_after=13))
    assert [p.mean for p in result.points] == pytest.approx([12.0] * 19)
    assert [p.upl for p in result.points] == pytest.approx([12 + 2.66 * AMR13] * 19)
    assert flagged(result, "shift") == list(range(13, 19))
    assert flagged(result, "astronomical") == []


def test_target_on_a_limit_is_pass_or_fail_in_mdc_and_hit_and_miss_in_nhsr() -> None:
    upl = analyse(HAND13, MDC).points[0].upl
    assert upl is not None
    on_upl = SpcSettings.for_method("mdc", target=upl)
    assert analyse(HAND13, on_upl).assurance == "consistent_fail"
    down = SpcSettings.for_method("mdc", target=upl, improvement="decrease")
    assert analyse(HAND13, down).assurance == "consistent_pass"
    assert describe(analyse(HAND13, on_upl)).endswith(
        "lies on or above the upper process limit, so the process will consistently miss it "
        "unless it changes (consistent fail).")
    assert analyse(HAND13, SpcSettings(target=upl, screen_outliers=False)).assurance == \
        "hit_and_miss"


def test_an_empty_series_has_no_limits_and_says_so() -> None:
    for settings in (MDC, SpcSettings()):
        result = analyse([], settings)
        assert (result.points, result.limits_available, result.variation) == ((), False, "none")
        assert describe(result) == "No process limits yet: There are no data points."


# --------------------------------------------------------------- nhsr equals the old code
OLD_COMMIT = "631c4eb316d54882237429a017644f82cdc21d11"  # assurance/spc.py before methods


def _old_module() -> types.ModuleType:
    root = Path(__file__).resolve().parents[1]
    try:
        source = subprocess.run(["git", "show", f"{OLD_COMMIT}:assurance/spc.py"], cwd=root,
                                capture_output=True, text=True, check=True,
                                timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        pytest.skip("git history with the pre-method assurance/spc.py is not available")
    module = types.ModuleType("spc_before_methods")
    sys.modules[module.__name__] = module
    exec(compile(source, "spc_before_methods.py", "exec"), module.__dict__)  # noqa: S102
    return module


def _summary(result: Any) -> tuple[Any, ...]:
    fields = ("index", "value", "mean", "lpl", "upl", "lower_two_sigma", "upper_two_sigma",
              "astronomical", "shift", "trend", "two_in_three", "special_cause", "point_type")
    return (tuple(tuple(getattr(p, f) for f in fields) for p in result.points),
            result.limits_available, result.reason, result.variation, result.assurance)


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@st.composite
def _cases(draw: Any) -> tuple[list[float], dict[str, Any]]:
    n = draw(st.integers(1, 40))
    step = draw(st.sampled_from([1.0, 0.5, 2.5]))
    values = [v * step for v in draw(st.lists(st.integers(-4, 4), min_size=n, max_size=n))]
    kw: dict[str, Any] = {
        "improvement": draw(st.sampled_from(["increase", "decrease", "neutral"])),
        "target": draw(st.none() | st.integers(-6, 6).map(float)),
        "run_length": draw(st.integers(2, 8)),
        "screen_outliers": draw(st.booleans()),
        "min_points": draw(st.integers(2, 15)),
        "freeze_after": draw(st.none() | st.integers(2, 20)),
        "rebase_at": tuple(sorted(draw(st.sets(st.integers(0, n - 1), max_size=3)))),
    }
    return values, kw


@hypothesis.settings(max_examples=400, deadline=None)
@hypothesis.given(_cases())
def test_nhsr_method_gives_exactly_what_the_module_gave_before_methods(
    case: tuple[list[float], dict[str, Any]],
) -> None:
    values, kw = case
    old = _OLD.analyse(values, _OLD.SpcSettings(**kw))
    new = xmr.analyse(values, SpcSettings(**kw))
    assert _summary(new) == _summary(old)
    assert xmr.describe(new) == _OLD.describe(old)
    assert xmr.analyse(values, SpcSettings.for_method("nhsr", **kw)) == new


_OLD: Any = None


@pytest.fixture(autouse=True, scope="module")
def _load_old() -> None:
    global _OLD
    if _OLD is None:
        _OLD = _old_module()


# ------------------------------------------------------------ the spc condition's method
SPC_PACK = """
version: 1
pack: t
rules:
  - id: t.default
    title: default
    metric: recruit.bme_appointed_share
    when: {spc: {}}
  - id: t.nhsr
    title: nhsr
    metric: recruit.bme_appointed_share
    when: {spc: {method: nhsr, min_points: 15}}
"""


def _spc_settings(tmp_path: Path, pack: str, stats: Any) -> dict[str, SpcSettings]:
    from assurance.engine.conditions.spc import Spc
    from assurance.engine.rules import load_packs

    (tmp_path / "t.yaml").write_text(pack)
    rules = load_packs([tmp_path / "t.yaml"], stats=stats)[0].rules
    return {r.id: r.condition.settings for r in rules if isinstance(r.condition, Spc)}


def test_spc_rules_follow_the_configured_method_unless_they_name_one(tmp_path: Path) -> None:
    from assurance.config import StatisticsSettings

    mdc = _spc_settings(tmp_path, SPC_PACK, StatisticsSettings())
    assert (mdc["t.default"].method, mdc["t.default"].run_length) == ("mdc", 6)
    assert (mdc["t.nhsr"].method, mdc["t.nhsr"].run_length, mdc["t.nhsr"].min_points) == (
        "nhsr", 7, 15)
    configured = _spc_settings(tmp_path, SPC_PACK, StatisticsSettings(spc_method="nhsr"))
    assert configured["t.default"] == SpcSettings(improvement="increase")


def test_an_unknown_spc_method_is_a_located_error(tmp_path: Path) -> None:
    from assurance.config import StatisticsSettings
    from assurance.problems import ProblemsError

    bad = SPC_PACK.replace("method: nhsr", "method: nhrs")
    with pytest.raises(ProblemsError) as info:
        _spc_settings(tmp_path, bad, StatisticsSettings())
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 't.yaml'}:12:26: error: 'method': found 'nhrs' (did you mean 'nhsr'?); "
        "expected one of mdc, nhsr"]
