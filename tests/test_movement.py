"""The judged change between two periods (assurance.engine.movement): a trend word only with
the evidence for it; a ratio that should be near one is judged by its distance from one."""

from __future__ import annotations

import math

from assurance.catalogue import load_catalogue
from assurance.config import StatisticsSettings
from assurance.engine.figures import Figure
from assurance.engine.movement import movement_of

CAT = load_catalogue()
STATS = StatisticsSettings()


def ratio(year: int, value: float, se: float = 0.05) -> Figure:
    return Figure("wres.2", "T1", f"wres:{year}", "ratio", value, se=se)


def test_a_ratio_crossing_one_at_the_same_distance_is_no_significant_change() -> None:
    # Review finding: 0.80 -> 1.25 was called "worsening (p < 0.001)"; both are as far from
    # parity (|ln 0.8| = |ln 1.25| = 0.223).
    mv = movement_of([ratio(2024, 0.80), ratio(2025, 1.25)], CAT["wres.2"], STATS)
    assert mv is not None and mv.direction == "no_significant_change"
    assert mv.p_value is not None and mv.p_value > 0.9


def test_a_ratio_moving_significantly_towards_one_is_improving_and_away_is_worsening() -> None:
    m = CAT["wres.2"]
    better = movement_of([ratio(2024, 1.80), ratio(2025, 1.20)], m, STATS)
    worse = movement_of([ratio(2024, 1.10), ratio(2025, 1.70)], m, STATS)
    assert better is not None and better.direction == "improving"
    assert worse is not None and worse.direction == "worsening"
    # z = (|ln 1.7| - |ln 1.1|) / sqrt(0.05^2 + 0.05^2)
    z = (math.log(1.7) - math.log(1.1)) / math.hypot(0.05, 0.05)
    assert worse.p_value is not None and worse.p_value < 2 * (1 - 0.5 * (1 + math.erf(
        z / math.sqrt(2)))) + 1e-9


def test_a_small_wobble_on_wide_intervals_is_no_significant_change() -> None:
    mv = movement_of([ratio(2024, 1.69, 0.3), ratio(2025, 1.67, 0.3)], CAT["wres.2"], STATS)
    assert mv is not None and mv.direction == "no_significant_change"


def test_one_period_has_no_movement() -> None:
    assert movement_of([ratio(2025, 1.5)], CAT["wres.2"], STATS) is None


def test_a_gap_rule_judges_the_gap_not_the_focus_groups_figure() -> None:
    # Review finding: "Met and improving" beside a widening gap. BME harassment falls 30% -> 28%
    # but White falls 25% -> 18%: the gap widens from 5 to 10 points on 2,000 responses each.
    from assurance.engine.figures import GroupValue

    def survey(year: int, bme: float, white: float) -> Figure:
        return Figure("wres.5", "T1", f"survey:{year}", "percent", bme,
                      focus=GroupValue("bme", "BME", bme, denominator=2000),
                      reference=GroupValue("white", "White", white, denominator=2000))

    series = [survey(2023, 30.0, 25.0), survey(2024, 28.0, 18.0)]
    gap = movement_of(series, CAT["wres.5"], STATS, "gap")
    assert gap is not None and (gap.direction, gap.measure) == ("worsening", "gap")
    value = movement_of(series, CAT["wres.5"], STATS)
    assert value is None or value.direction != "worsening"
