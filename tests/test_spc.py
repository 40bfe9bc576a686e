"""Tests for assurance.spc: XmR charts per Making Data Count / NHSRplotthedots.

Expected values are worked by hand in the comments (or, for the A&E series, recomputed from
first principles inside the test), never by calling the module twice.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from assurance.spc import Direction, SpcResult, SpcSettings, analyse, describe

# 12 points, sum 144, mean 12. Moving ranges 2,1,2,1,2,1,1,1,2,1,1: sum 15 over 11, so
# mean MR = 15/11 (no MR reaches 3.267 × 15/11 = 4.455, so screening changes nothing).
HAND = [10.0, 12, 11, 13, 12, 14, 13, 12, 11, 13, 12, 11]
HAND_AMR = 15 / 11
HAND_LPL, HAND_UPL = 12 - 2.66 * HAND_AMR, 12 + 2.66 * HAND_AMR  # 8.3727, 15.6273

# 20 alternating points: mean 0, every MR 2, so frozen limits are ±5.32 and two-sigma ±3.5467.
ALTERNATING = [1.0, -1.0] * 10


def flagged(result: SpcResult, rule: str) -> list[int]:
    return [p.index for p in result.points if getattr(p, rule)]


def test_limits_match_hand_computed_mean_and_mean_moving_range() -> None:
    result = analyse(HAND)
    p = result.points[0]
    assert result.limits_available and result.reason is None
    assert p.mean == pytest.approx(12.0)
    assert (p.lpl, p.upl) == (pytest.approx(HAND_LPL), pytest.approx(HAND_UPL))
    assert p.lpl == pytest.approx(8.372727, abs=1e-6)
    assert p.upper_two_sigma == pytest.approx(12 + (2 / 3) * 2.66 * HAND_AMR)
    assert p.lower_two_sigma == pytest.approx(12 - 2.418182, abs=1e-6)
    assert all(pt.point_type == "common_cause" for pt in result.points)
    assert result.variation == "common_cause" and result.assurance == "none"


def test_screening_drops_moving_ranges_above_3267_times_mean_and_narrows_limits() -> None:
    # Sum 145, mean 145/12. MRs: ten of 1 and one of 20 -> mean MR 30/11 = 2.727; 20 is above
    # 3.267 × 2.727 = 8.91 so screening leaves ten MRs of 1 -> mean MR 1.
    values = [10.0, 11] * 5 + [10, 30]
    mean = 145 / 12
    screened = analyse(values).points[0]
    unscreened = analyse(values, SpcSettings(screen_outliers=False)).points[0]
    assert screened.upl == pytest.approx(mean + 2.66 * 1)
    assert unscreened.upl == pytest.approx(mean + 2.66 * 30 / 11)
    assert unscreened.lpl == pytest.approx(mean - 2.66 * 30 / 11)


def test_screening_excludes_a_moving_range_exactly_at_the_threshold() -> None:
    # Eleven MRs of 1 and a last MR b chosen so that b == 3.267 × (11 + b) / 12 in floating
    # point. NHSRplotthedots keeps only mr < 3.267 × mean MR, so b goes and the mean MR is 1.
    b = 4.115080728272072
    values = [1.0, 0.0] * 6 + [b]
    assert b == 3.267 * ((11 + b) / 12)
    assert analyse(values).points[0].upl == pytest.approx(sum(values) / 13 + 2.66)


# Mean 0; MRs 4,1,1,1,1,1,5,1,1,1,1,1,5 -> mean MR 24/13, limits ±4.91, two-sigma ±3.27, so
# only the two runs of six can signal.
SIX_RUNS = [-2.0, 2, 3, 2, 3, 2, 3, -2, -3, -2, -3, -2, -3, 2]


def test_shift_of_six_flags_with_run_length_6_but_not_7() -> None:
    six = analyse(SIX_RUNS, SpcSettings(run_length=6))
    seven = analyse(SIX_RUNS, SpcSettings(run_length=7))
    assert flagged(six, "shift") == list(range(1, 13))
    assert six.points[1].point_type == "special_cause_improvement"
    assert six.points[7].point_type == "special_cause_concern"
    assert flagged(seven, "shift") == []
    assert not any(p.special_cause for p in seven.points)


def test_point_exactly_on_the_mean_breaks_a_shift() -> None:
    # Both series sum to 0. With 0 at index 4 the seven points 1..7 above the mean are split
    # into runs of 3 and 3; with 1 there (and the last point 2 -> 1) they are a run of 7.
    on_mean = [-2.0, 2, 3, 2, 0, 3, 2, 3, -3, -2, -3, -2, -3, -2, 2]
    off_mean = [-2.0, 2, 3, 2, 1, 3, 2, 3, -3, -2, -3, -2, -3, -2, 1]
    assert analyse(on_mean).points[0].mean == 0.0
    assert flagged(analyse(on_mean), "shift") == []
    assert flagged(analyse(off_mean), "shift") == list(range(1, 8))


def test_trend_of_seven_points_flags_all_seven_by_direction_not_side_of_mean() -> None:
    # Mean 3.5: points 1, 2, 3 of the trend are below it yet are part of a rising trend, so
    # (as NHSRplotthedots after PR #180) they are improvement when increase is good.
    result = analyse([5.0, 3, 5, 3, 5, 1, 2, 3, 4, 5, 6, 7])
    assert flagged(result, "trend") == list(range(5, 12))
    assert {result.points[i].point_type for i in range(5, 12)} == {"special_cause_improvement"}
    assert result.variation == "special_cause_improvement"


def test_falling_trend_is_improvement_when_decrease_is_good() -> None:
    result = analyse(
        [-5.0, -3, -5, -3, -5, -1, -2, -3, -4, -5, -6, -7], SpcSettings(improvement="decrease")
    )
    assert flagged(result, "trend") == list(range(5, 12))
    assert result.points[5].point_type == "special_cause_improvement"


def test_trend_length_counts_points_not_steps() -> None:
    # Six rising points (five steps) at the end: a trend under run_length 6, not under 7.
    values = [5.0, 3, 5, 3, 5, 3, 1, 2, 3, 4, 5, 6]
    assert flagged(analyse(values, SpcSettings(run_length=7)), "trend") == []
    assert flagged(analyse(values, SpcSettings(run_length=6)), "trend") == list(range(6, 12))


def test_tie_breaks_a_trend() -> None:
    # 1,2,3,3,4,5,6,7 never falls, but the repeated 3 splits it into rises of 3 and 5 points.
    assert flagged(analyse([5.0, 3, 5, 3, 5, 1, 2, 3, 3, 4, 5, 6, 7]), "trend") == []


def test_two_of_three_beyond_two_sigma_on_one_side_flags_only_those_two() -> None:
    # Frozen limits ±5.32, two-sigma ±3.5467: 4 is beyond two-sigma, 1 is not.
    result = analyse(ALTERNATING + [4, 1, 4, -4, -1, -4], SpcSettings(freeze_after=20))
    assert flagged(result, "two_in_three") == [20, 22, 23, 25]
    assert result.points[20].point_type == "special_cause_improvement"
    assert result.points[21].point_type == "common_cause"
    assert result.points[25].point_type == "special_cause_concern"


def test_point_beyond_the_limit_does_not_count_towards_two_in_three() -> None:
    result = analyse(ALTERNATING + [8, 1, 4], SpcSettings(freeze_after=20))
    assert flagged(result, "astronomical") == [20]
    assert flagged(result, "two_in_three") == []
    assert result.points[22].point_type == "common_cause"


def test_two_in_three_needs_all_three_points_on_the_same_side() -> None:
    # NHSRplotthedots fixture (test-ptd_spc_standard.R): 5.5 then -5.5 after alternating ±1.
    # Mean 0; MRs thirteen 2s, 6.5, 11 -> 11 screened -> mean MR 32.5/14, two-sigma ±4.117.
    values = [1.0, -1.0] * 7 + [5.5, -5.5]
    result = analyse(values)
    assert result.points[0].upper_two_sigma == pytest.approx((2 / 3) * 2.66 * 32.5 / 14)
    assert [p.point_type for p in result.points[-2:]] == ["common_cause", "common_cause"]


@pytest.mark.parametrize(
    ("last", "improvement", "expected"),
    [
        (10.0, "increase", "special_cause_improvement"),
        (10.0, "decrease", "special_cause_concern"),
        (10.0, "neutral", "special_cause_neither"),
        (-10.0, "increase", "special_cause_concern"),
        (-10.0, "decrease", "special_cause_improvement"),
        (-10.0, "neutral", "special_cause_neither"),
    ],
)
def test_astronomical_point_is_classified_by_improvement_direction(
    last: float, improvement: Direction, expected: str
) -> None:
    # Mean ±10/13; MRs eleven 2s and one 11 (screened out) -> limits mean ± 5.32.
    result = analyse([1.0, -1.0] * 6 + [last], SpcSettings(improvement=improvement))
    assert flagged(result, "astronomical") == [12]
    assert result.points[12].point_type == expected
    assert result.variation == expected


@pytest.mark.parametrize(
    ("improvement", "target", "expected"),
    [
        ("increase", 16.0, "consistent_fail"),
        ("increase", 8.0, "consistent_pass"),
        ("increase", 12.0, "hit_and_miss"),
        ("decrease", 16.0, "consistent_pass"),
        ("decrease", 8.0, "consistent_fail"),
        ("decrease", 12.0, "hit_and_miss"),
        ("neutral", 16.0, "none"),
        ("increase", None, "none"),
    ],
)
def test_assurance_compares_target_with_process_limits(
    improvement: Direction, target: float | None, expected: str
) -> None:
    # HAND limits are 8.37 to 15.63.
    settings = SpcSettings(improvement=improvement, target=target)
    assert analyse(HAND, settings).assurance == expected


def test_target_exactly_on_a_limit_is_hit_and_miss() -> None:
    assert analyse(HAND).points[0].upl == HAND_UPL  # same arithmetic, so exactly equal
    for improvement in ("increase", "decrease"):
        settings = SpcSettings(improvement=improvement, target=HAND_UPL)
        assert analyse(HAND, settings).assurance == "hit_and_miss"


def test_fewer_than_min_points_shows_data_without_limits_or_flags() -> None:
    result = analyse([1.0, -1.0] * 5 + [100], SpcSettings(target=0.0))
    assert not result.limits_available
    assert result.reason is not None and "Only 11 points" in result.reason and "12" in result.reason
    assert all(p.mean is None and p.upl is None and not p.special_cause for p in result.points)
    assert {p.point_type for p in result.points} == {"common_cause"}
    assert (result.variation, result.assurance) == ("none", "none")
    assert describe(result).startswith("No process limits yet: Only 11 points")


def test_rebasing_gives_each_segment_its_own_limits() -> None:
    # Second segment is HAND + 20: same mean MR, mean 32; the jump 11 -> 30 between segments
    # is not a moving range of either segment.
    result = analyse(HAND + [v + 20 for v in HAND], SpcSettings(rebase_at=(12,)))
    first, second = result.points[0], result.points[12]
    assert (first.mean, first.upl) == (pytest.approx(12.0), pytest.approx(HAND_UPL))
    assert (second.mean, second.upl) == (pytest.approx(32.0), pytest.approx(HAND_UPL + 20))
    assert not any(p.special_cause for p in result.points)


def test_rebased_segment_too_short_has_no_limits_but_earlier_segment_keeps_them() -> None:
    result = analyse(HAND + [20.0, 21, 22], SpcSettings(rebase_at=(12,)))
    assert result.points[0].upl == pytest.approx(HAND_UPL)
    assert result.points[12].upl is None
    assert not result.limits_available
    assert result.reason is not None and "since the rebase at point 13" in result.reason


def test_freeze_after_takes_limits_from_the_baseline_only() -> None:
    result = analyse(HAND + [16.0, 17] * 6, SpcSettings(freeze_after=12))
    assert [p.mean for p in result.points] == pytest.approx([12.0] * 24)
    assert result.points[23].upl == pytest.approx(HAND_UPL)
    assert flagged(result, "astronomical") == list(range(12, 24))
    assert result.variation == "special_cause_improvement"


def test_describe_names_the_rule_and_the_assurance() -> None:
    # Mean 0, mean MR 16/13 -> limits ±3.27; the last seven points are all below the mean.
    values = [2.0, 3, 2, 3, 2, 3, 2, -2, -3, -2, -3, -2, -3, -2]
    assert describe(analyse(values, SpcSettings(target=0.0))) == (
        "Special cause variation of concern: the last 7 points are all below the mean (run "
        "rule). Target 0.0 lies inside the process limits, so hitting it is not assured (hit "
        "and miss)."
    )


def test_describe_explains_trend_and_astronomical_points() -> None:
    trend = analyse([5.0, 3, 5, 3, 5, 1, 2, 3, 4, 5, 6, 7])
    assert describe(trend) == (
        "Special cause variation of improvement: the last 7 points rise one after another "
        "(trend rule)."
    )
    # Mean 10/13 = 0.769 + 5.32 -> upper limit 6.0892.
    astro = analyse([1.0, -1.0] * 6 + [10], SpcSettings(improvement="decrease"))
    assert describe(astro) == (
        "Special cause variation of concern: the latest point (10.0) is above the upper "
        "process limit (6.0892)."
    )


@pytest.mark.parametrize(
    ("improvement", "target", "ending"),
    [
        (
            "increase",
            16.0,
            "lies above the upper process limit, so the process will "
            "consistently miss it unless it changes (consistent fail).",
        ),
        (
            "increase",
            8.0,
            "lies below the lower process limit, so the process will "
            "consistently meet it (consistent pass).",
        ),
        (
            "decrease",
            16.0,
            "lies above the upper process limit, so the process will "
            "consistently meet it (consistent pass).",
        ),
        (
            "decrease",
            8.0,
            "lies below the lower process limit, so the process will "
            "consistently miss it unless it changes (consistent fail).",
        ),
    ],
)
def test_describe_states_assurance_mirrored_for_direction(
    improvement: Direction, target: float, ending: str
) -> None:
    text = describe(analyse(HAND, SpcSettings(improvement=improvement, target=target)))
    assert text.startswith("Common cause variation: ")
    assert text.endswith(f"Target {target} {ending}")


def test_invalid_settings_and_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="run_length"):
        SpcSettings(run_length=1)
    with pytest.raises(ValueError, match="rebase_at"):
        analyse(HAND, SpcSettings(rebase_at=(12,)))
    with pytest.raises(ValueError, match="finite"):
        analyse(HAND[:-1] + [float("nan")])


AE_CSV = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "ae_attendances_nhs_trusts_2016_2019.csv"
)


@pytest.mark.skipif(not AE_CSV.exists(), reason="shared A&E data not present")
def test_real_ae_four_hour_performance_limits_match_first_principles() -> None:
    with AE_CSV.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["org_code"] == "RF4" and r["type"] == "1"]
    rows.sort(key=lambda r: r["period"])
    perf = [1 - int(r["breaches"]) / int(r["attendances"]) for r in rows]
    assert len(perf) == 36

    mean = sum(perf) / len(perf)
    mrs = [abs(perf[i] - perf[i - 1]) for i in range(1, len(perf))]
    amr = sum(mrs) / len(mrs)
    kept = [m for m in mrs if m < 3.267 * amr]
    assert len(kept) == 34  # screening drops one moving range in this series
    amr = sum(kept) / len(kept)

    result = analyse(perf, SpcSettings(improvement="increase", target=0.95))
    p = result.points[0]
    assert p.mean == pytest.approx(mean, rel=1e-12)
    assert p.lpl == pytest.approx(mean - 2.66 * amr, rel=1e-12)
    assert p.upl == pytest.approx(mean + 2.66 * amr, rel=1e-12)
    # Pinned from an independent awk calculation, so a shared mistake above would still show.
    assert (p.lpl, p.upl) == (pytest.approx(0.688258, abs=1e-6), pytest.approx(0.871991, abs=1e-6))
    assert result.assurance == "consistent_fail"  # 95% lies above the upper limit


def test_each_point_lists_its_rules_and_the_rule_that_decided_its_reading() -> None:
    # Frozen limits ±5.32 and two-sigma ±3.5467 from ALTERNATING; then 8 (beyond the upper
    # limit), -1, and the seven-point fall 7, 5, 3, 1, -1, -2, -3. Its first point 7 is also
    # beyond the upper limit, so NHSRplotthedots reads it by the limit (improvement) and the
    # other six by the trend (concern). Sides of the mean run at most four long; 5 is the only
    # close point, so no shift and no two-in-three.
    values = ALTERNATING + [8.0, -1, 7, 5, 3, 1, -1, -2, -3]
    result = analyse(values, SpcSettings(freeze_after=20))
    assert result.points[20].rules == ("astronomical",)
    assert result.points[22].rules == ("astronomical", "trend")
    assert result.points[22].reading_rule == "astronomical"
    assert result.points[22].point_type == "special_cause_improvement"
    assert {result.points[i].reading_rule for i in range(23, 29)} == {"trend"}
    assert {result.points[i].point_type for i in range(23, 29)} == {"special_cause_concern"}
    assert result.points[21].rules == () and result.points[21].reading_rule is None
