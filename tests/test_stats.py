"""Tests for assurance.stats: every figure checked against an independent calculation."""

from __future__ import annotations

import math
import re
from statistics import NormalDist

import pytest

from assurance.stats import (
    RelativeLikelihood,
    TestResult,
    linear_trend,
    log_ratio_change_test,
    normal_quantile,
    regularized_incomplete_beta,
    relative_likelihood,
    student_t_cdf,
    student_t_quantile,
    two_proportion_z_test,
    wilson_interval,
)

Z95 = 1.959963984540054  # standard normal 0.975 quantile


# --------------------------------------------------------------------------------------
# Relative likelihood: worked examples
# --------------------------------------------------------------------------------------


def test_relative_likelihood_worked_example_matches_hand_calculation() -> None:
    # 300/1000 = 0.3 and 150/800 = 0.1875, so RR = 0.3 / 0.1875 = 1.6.
    # SE^2 = 1/300 - 1/1000 + 1/150 - 1/800
    #      = 0.0033333 - 0.0010000 + 0.0066667 - 0.0012500 = 0.0077500; SE = 0.0880341.
    # z * SE = 1.959964 * 0.0880341 = 0.1725436; ln 1.6 = 0.4700036.
    # low  = exp(0.4700036 - 0.1725436) = exp(0.2974600) = 1.3464
    # high = exp(0.4700036 + 0.1725436) = exp(0.6425472) = 1.9013
    rl = relative_likelihood(300, 1000, 150, 800)
    assert rl.calculable
    assert rl.reason is None
    assert rl.value == pytest.approx(1.6, abs=1e-12)
    assert rl.log_se == pytest.approx(math.sqrt(0.00775), abs=1e-12)
    assert rl.ci_low is not None and rl.ci_high is not None
    assert round(rl.ci_low, 4) == 1.3464
    assert round(rl.ci_high, 4) == 1.9013
    assert (rl.focus_numerator, rl.focus_denominator) == (300, 1000)
    assert (rl.reference_numerator, rl.reference_denominator) == (150, 800)
    assert rl.confidence == 0.95


def test_relative_likelihood_interval_is_symmetric_on_the_log_scale() -> None:
    rl = relative_likelihood(45, 210, 12, 95)
    assert rl.value is not None and rl.ci_low is not None and rl.ci_high is not None
    assert math.log(rl.value) - math.log(rl.ci_low) == pytest.approx(
        math.log(rl.ci_high) - math.log(rl.value), abs=1e-12
    )
    se = math.sqrt(1 / 45 - 1 / 210 + 1 / 12 - 1 / 95)
    assert math.log(rl.ci_high / rl.value) == pytest.approx(Z95 * se, abs=1e-12)


def test_relative_likelihood_below_one_when_focus_group_less_likely() -> None:
    # 20/100 vs 40/100 -> 0.5
    rl = relative_likelihood(20, 100, 40, 100)
    assert rl.value == pytest.approx(0.5)
    assert rl.ci_low is not None and rl.ci_high is not None
    assert rl.ci_low < 0.5 < rl.ci_high


def test_lower_confidence_gives_narrower_interval() -> None:
    wide = relative_likelihood(300, 1000, 150, 800, confidence=0.95)
    narrow = relative_likelihood(300, 1000, 150, 800, confidence=0.90)
    assert narrow.confidence == 0.90
    assert wide.ci_low is not None and wide.ci_high is not None
    assert narrow.ci_low is not None and narrow.ci_high is not None
    assert wide.ci_low < narrow.ci_low < 1.6 < narrow.ci_high < wide.ci_high
    z90 = NormalDist().inv_cdf(0.95)
    assert narrow.ci_high == pytest.approx(1.6 * math.exp(z90 * math.sqrt(0.00775)), rel=1e-12)


def test_everyone_in_the_focus_group_with_the_outcome_still_has_an_interval() -> None:
    # a == n1 contributes 0 to the variance, the reference group still contributes.
    rl = relative_likelihood(10, 10, 5, 20)
    assert rl.value == pytest.approx(4.0)
    assert rl.log_se == pytest.approx(math.sqrt(1 / 5 - 1 / 20))
    assert rl.ci_low is not None and rl.ci_high is not None


# --------------------------------------------------------------------------------------
# Relative likelihood: not calculable and no interval
# --------------------------------------------------------------------------------------


def test_reference_numerator_zero_is_not_calculable_and_says_who_and_why() -> None:
    rl = relative_likelihood(
        30, 100, 0, 40,
        focus_label="White applicants", reference_label="BME applicants",
        outcome="were appointed",
    )  # fmt: skip
    assert not rl.calculable
    assert rl.value is None and rl.ci_low is None and rl.ci_high is None
    assert rl.log_se is None
    assert rl.reason == (
        "not calculable: no BME applicants were appointed, so the comparison would divide by zero"
    )


def test_focus_denominator_zero_is_not_calculable_and_names_the_focus_group() -> None:
    rl = relative_likelihood(0, 0, 5, 40, focus_label="Disabled staff")
    assert not rl.calculable
    assert rl.value is None
    assert rl.reason == "not calculable: there are no Disabled staff, so their rate is undefined"


def test_reference_denominator_zero_is_not_calculable_and_names_the_reference_group() -> None:
    rl = relative_likelihood(5, 40, 0, 0, reference_label="BME staff")
    assert not rl.calculable
    assert rl.value is None
    assert rl.reason == "not calculable: there are no BME staff, so their rate is undefined"


def test_both_denominators_zero_reports_both_reasons() -> None:
    rl = relative_likelihood(0, 0, 0, 0, focus_label="White staff", reference_label="BME staff")
    assert not rl.calculable
    assert rl.reason is not None
    assert "no White staff" in rl.reason and "no BME staff" in rl.reason


def test_not_calculable_is_never_zero_or_infinity() -> None:
    for args in [(0, 0, 1, 2), (1, 2, 0, 0), (1, 2, 0, 5), (0, 5, 0, 5)]:
        rl = relative_likelihood(*args)
        assert not rl.calculable
        assert rl.value is None


def test_focus_numerator_zero_gives_ratio_zero_without_interval() -> None:
    rl = relative_likelihood(
        0, 50, 10, 60, focus_label="White applicants", outcome="were appointed"
    )
    assert rl.calculable
    assert rl.value == 0.0
    assert rl.ci_low is None and rl.ci_high is None
    assert rl.log_se is None
    assert rl.reason == (
        "95% confidence interval not calculable: no White applicants were appointed, "
        "so the log method cannot be used"
    )


def test_everyone_in_both_groups_with_the_outcome_gives_no_zero_width_interval() -> None:
    rl = relative_likelihood(12, 12, 30, 30)
    assert rl.calculable
    assert rl.value == pytest.approx(1.0)
    assert rl.log_se is None
    assert rl.ci_low is None and rl.ci_high is None
    assert rl.reason is not None and "confidence interval not calculable" in rl.reason


def test_reason_uses_the_confidence_level_asked_for() -> None:
    rl = relative_likelihood(0, 50, 10, 60, confidence=0.9)
    assert rl.reason is not None and rl.reason.startswith("90% confidence interval")


def test_reasons_never_contain_counts() -> None:
    # Reasons may be shown to audiences who must not see small counts.
    cases = [(0, 7, 3, 6), (3, 6, 0, 5), (0, 0, 2, 3), (2, 3, 0, 0), (6, 6, 4, 4)]
    for args in cases:
        reason = relative_likelihood(*args).reason
        assert reason is not None
        assert not re.search(r"\d", reason.replace("95%", "")), reason


# --------------------------------------------------------------------------------------
# Relative likelihood: input validation
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 10, 5, 10), "focus group numerator must not be negative"),
        ((1, -10, 5, 10), "focus group denominator must not be negative"),
        ((1, 10, -5, 10), "reference group numerator must not be negative"),
        ((1, 10, 5, -10), "reference group denominator must not be negative"),
        ((11, 10, 5, 10), r"focus group numerator \(11\) is greater than its denominator \(10\)"),
        ((1, 10, 12, 10), r"reference group numerator \(12\) is greater than its denominator"),
    ],
)
def test_invalid_counts_raise_value_error_naming_the_problem(
    args: tuple[int, int, int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        relative_likelihood(*args)


def test_invalid_counts_name_the_group_label() -> None:
    with pytest.raises(ValueError, match="BME applicants numerator"):
        relative_likelihood(1, 10, 12, 10, reference_label="BME applicants")


@pytest.mark.parametrize("bad", [2.5, 3.0, "3", True, None])
def test_non_integer_counts_raise_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="whole number"):
        relative_likelihood(bad, 10, 5, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.1, 95])
def test_confidence_outside_zero_one_raises(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        relative_likelihood(3, 10, 5, 10, confidence=confidence)


def test_relative_likelihood_is_immutable() -> None:
    rl = relative_likelihood(3, 10, 5, 10)
    assert isinstance(rl, RelativeLikelihood)
    with pytest.raises(AttributeError):
        rl.value = 2.0  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# Wilson interval
# --------------------------------------------------------------------------------------


def test_wilson_interval_matches_published_value_for_10_of_100() -> None:
    # Newcombe (1998) / Altman et al.: 10/100 -> 0.0552 to 0.1744.
    interval = wilson_interval(10, 100)
    assert interval is not None
    assert (round(interval[0], 4), round(interval[1], 4)) == (0.0552, 0.1744)


def test_wilson_interval_matches_formula_by_hand() -> None:
    # x=81, n=263: centre = (p + z^2/2n) / (1 + z^2/n), half = z/(1+z^2/n) sqrt(pq/n + z^2/4n^2)
    x, n, z = 81, 263, Z95
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    interval = wilson_interval(x, n)
    assert interval == pytest.approx((centre - half, centre + half), abs=1e-14)


def test_wilson_interval_at_zero_and_all_stays_within_zero_one() -> None:
    low0, high0 = wilson_interval(0, 20) or (math.nan, math.nan)
    assert low0 == 0.0
    assert high0 == pytest.approx(Z95**2 / (20 + Z95**2), abs=1e-12)
    low_all, high_all = wilson_interval(20, 20) or (math.nan, math.nan)
    assert high_all == 1.0
    assert low_all == pytest.approx(1 - high0, abs=1e-12)


def test_wilson_interval_is_none_for_an_empty_group() -> None:
    assert wilson_interval(0, 0) is None


def test_wilson_interval_rejects_numerator_above_denominator() -> None:
    with pytest.raises(ValueError, match="greater than its denominator"):
        wilson_interval(5, 4)


# --------------------------------------------------------------------------------------
# Two-proportion z test
# --------------------------------------------------------------------------------------


def test_two_proportion_z_test_matches_hand_calculation() -> None:
    # 30/100 vs 20/100: pooled p = 0.25; SE = sqrt(0.25 * 0.75 * (1/100 + 1/100)) = 0.0612372
    # z = 0.10 / 0.0612372 = 1.632993; two-sided p = 0.1025.
    result = two_proportion_z_test(30, 100, 20, 100)
    assert result is not None
    assert result.statistic == pytest.approx(1.632993, abs=1e-6)
    assert round(result.p_value, 4) == 0.1025
    assert result.note is None


def test_two_proportion_z_squared_equals_pearson_chi_square() -> None:
    # Independent check: table [[30, 70], [20, 80]], expected [[25, 75], [25, 75]]
    # chi^2 = 2 * (25/25 + 25/75) = 2.6667 = z^2.
    result = two_proportion_z_test(30, 100, 20, 100)
    assert result is not None
    assert result.statistic**2 == pytest.approx(8 / 3, rel=1e-12)


def test_two_proportion_z_test_sign_follows_first_minus_second() -> None:
    result = two_proportion_z_test(20, 100, 30, 100)
    assert result is not None and result.statistic < 0


def test_two_proportion_z_test_far_tail_p_value_is_not_rounded_to_zero() -> None:
    result = two_proportion_z_test(900, 1000, 100, 1000)
    assert result is not None
    assert 0.0 < result.p_value < 1e-100


@pytest.mark.parametrize(("x1", "x2", "who"), [(0, 0, "nobody"), (50, 80, "everybody")])
def test_two_proportion_z_test_degenerate_pooled_proportion_gives_p_one_with_note(
    x1: int, x2: int, who: str
) -> None:
    result = two_proportion_z_test(x1, 50, x2, 80)
    assert isinstance(result, TestResult)
    assert (result.statistic, result.p_value) == (0.0, 1.0)
    assert result.note is not None and result.note.startswith(who)


def test_two_proportion_z_test_is_none_when_a_group_is_empty() -> None:
    assert two_proportion_z_test(0, 0, 5, 10) is None
    assert two_proportion_z_test(5, 10, 0, 0) is None


def test_two_proportion_z_test_validates_counts() -> None:
    with pytest.raises(ValueError, match="group 2 numerator"):
        two_proportion_z_test(1, 10, 11, 10)


# --------------------------------------------------------------------------------------
# Change in a relative likelihood between periods
# --------------------------------------------------------------------------------------


def test_log_ratio_change_test_matches_hand_calculation() -> None:
    # prev: 300/1000 vs 150/800 -> 1.6, SE^2 = 0.0077500
    # curr: 200/1000 vs 150/800 -> 1.0666667,
    #       SE^2 = 1/200 - 1/1000 + 1/150 - 1/800 = 0.0094167
    # z = ln(1.0666667 / 1.6) / sqrt(0.0171667) = -0.4054651 / 0.1310216 = -3.0946
    # p = 2 * Phi(-3.0946) = 0.00197
    prev = relative_likelihood(300, 1000, 150, 800)
    curr = relative_likelihood(200, 1000, 150, 800)
    result = log_ratio_change_test(prev, curr)
    assert result is not None
    assert round(result.statistic, 4) == -3.0946
    assert result.p_value == pytest.approx(0.00197, abs=5e-6)


def test_log_ratio_change_test_no_change_gives_z_zero_p_one() -> None:
    rl = relative_likelihood(45, 210, 12, 95)
    result = log_ratio_change_test(rl, rl)
    assert result is not None
    assert result.statistic == 0.0 and result.p_value == 1.0


@pytest.mark.parametrize(
    "untestable",
    [
        (30, 100, 0, 40),  # not calculable
        (0, 100, 10, 40),  # ratio 0: no log
        (10, 10, 40, 40),  # zero standard error
    ],
)
def test_log_ratio_change_test_is_none_without_a_log_standard_error(
    untestable: tuple[int, int, int, int],
) -> None:
    ok = relative_likelihood(30, 100, 10, 40)
    bad = relative_likelihood(*untestable)
    assert log_ratio_change_test(ok, bad) is None
    assert log_ratio_change_test(bad, ok) is None


# --------------------------------------------------------------------------------------
# Student t and normal quantiles
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "df", "table_value"),
    [
        (0.975, 1, 12.706),
        (0.975, 2, 4.303),
        (0.975, 3, 3.182),
        (0.975, 5, 2.571),
        (0.975, 10, 2.228),
        (0.975, 30, 2.042),
        (0.975, 120, 1.980),
        (0.95, 10, 1.812),
        (0.995, 1, 63.657),
        (0.995, 20, 2.845),
        (0.9995, 4, 8.610),
    ],
)
def test_student_t_quantile_matches_printed_tables(p: float, df: int, table_value: float) -> None:
    assert round(student_t_quantile(p, df), 3) == table_value


@pytest.mark.parametrize("p", [0.51, 0.6, 0.75, 0.9, 0.975, 0.999, 0.999999])
def test_student_t_quantile_matches_closed_forms_for_one_and_two_degrees_of_freedom(
    p: float,
) -> None:
    # df=1 is Cauchy: t = tan(pi (p - 1/2)).  df=2: t = u sqrt(2 / (1 - u^2)), u = 2p - 1.
    assert student_t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-10)
    u = 2 * p - 1
    assert student_t_quantile(p, 2) == pytest.approx(u * math.sqrt(2 / (1 - u * u)), rel=1e-10)


def test_student_t_cdf_matches_numerical_integration_of_the_density() -> None:
    # Independent route: Simpson's rule on the t density from 0 to t.
    def density(x: float, df: float) -> float:
        log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
        return math.exp(log_c) * (1 + x * x / df) ** (-(df + 1) / 2)

    for df in (1.0, 3.0, 7.5, 40.0):
        for t in (0.3, 1.7, 4.2):
            steps = 2000
            h = t / steps
            total = density(0, df) + density(t, df)
            total += sum((4 if i % 2 else 2) * density(i * h, df) for i in range(1, steps))
            assert student_t_cdf(t, df) == pytest.approx(0.5 + total * h / 3, abs=1e-10)


def test_student_t_quantile_inverts_the_cdf_and_is_symmetric() -> None:
    for df in (1, 2.5, 4, 17, 250, 10_000):
        for p in (0.001, 0.1, 0.3, 0.5, 0.8, 0.99):
            t = student_t_quantile(p, df)
            assert student_t_cdf(t, df) == pytest.approx(p, abs=1e-12)
            assert student_t_quantile(1 - p, df) == pytest.approx(-t, abs=1e-9)


def test_student_t_approaches_the_normal_for_large_df() -> None:
    assert student_t_quantile(0.975, 1_000_000) == pytest.approx(Z95, abs=1e-5)
    assert student_t_quantile(0.975, math.inf) == pytest.approx(Z95, abs=1e-15)
    assert student_t_cdf(1.0, math.inf) == pytest.approx(NormalDist().cdf(1.0))


@pytest.mark.parametrize(("p", "df"), [(0.0, 5), (1.0, 5), (1.2, 5), (0.5, 0), (0.5, -3)])
def test_student_t_quantile_rejects_bad_arguments(p: float, df: float) -> None:
    with pytest.raises(ValueError):
        student_t_quantile(p, df)


def test_regularized_incomplete_beta_known_values() -> None:
    # I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 - (1 - x)^b; I_0.5(a, a) = 0.5.
    assert regularized_incomplete_beta(1, 1, 0.3) == pytest.approx(0.3, abs=1e-15)
    assert regularized_incomplete_beta(3.5, 1, 0.7) == pytest.approx(0.7**3.5, abs=1e-14)
    assert regularized_incomplete_beta(1, 4, 0.2) == pytest.approx(1 - 0.8**4, abs=1e-14)
    assert regularized_incomplete_beta(6, 6, 0.5) == pytest.approx(0.5, abs=1e-14)
    assert regularized_incomplete_beta(2, 3, 0.0) == 0.0
    assert regularized_incomplete_beta(2, 3, 1.0) == 1.0


def test_normal_quantile_is_the_standard_normal_inverse() -> None:
    assert normal_quantile(0.975) == pytest.approx(Z95, abs=1e-12)
    assert normal_quantile(0.5) == 0.0
    with pytest.raises(ValueError):
        normal_quantile(1.0)


# --------------------------------------------------------------------------------------
# Linear trend
# --------------------------------------------------------------------------------------


def test_linear_trend_matches_hand_calculation() -> None:
    # x = 1..5, y = 2, 4, 5, 4, 5: xbar = 3, ybar = 4, Sxy = 6, Sxx = 10 -> slope 0.6,
    # intercept 2.2. Residuals -0.8, 0.6, 1.0, -0.6, -0.2 -> RSS = 2.4, s^2 = 2.4 / 3 = 0.8,
    # SE = sqrt(0.8 / 10) = 0.2828427. t(0.975, 3) = 3.182446 -> half width 0.900130,
    # interval -0.3001 to 1.5001 (includes zero: no evidence of a trend).
    trend = linear_trend([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])
    assert trend.n == 5
    assert trend.slope == pytest.approx(0.6, abs=1e-12)
    assert trend.intercept == pytest.approx(2.2, abs=1e-12)
    assert trend.std_error == pytest.approx(math.sqrt(0.08), abs=1e-12)
    assert round(trend.ci_low, 4) == -0.3001
    assert round(trend.ci_high, 4) == 1.5001
    assert trend.interval_includes_zero


def test_linear_trend_on_calendar_years_keeps_precision() -> None:
    years = [2019, 2020, 2021, 2022, 2023]
    ratios = [1.61, 1.58, 1.60, 1.54, 1.59]
    shifted = linear_trend([y - 2019 for y in years], ratios)
    trend = linear_trend(years, ratios)
    assert trend.slope == pytest.approx(shifted.slope, abs=1e-12)
    assert trend.ci_low == pytest.approx(shifted.ci_low, abs=1e-12)
    assert trend.intercept == pytest.approx(shifted.intercept - 2019 * shifted.slope, abs=1e-9)


def test_linear_trend_clear_decline_excludes_zero() -> None:
    trend = linear_trend([0, 1, 2, 3, 4, 5], [1.90, 1.80, 1.72, 1.61, 1.50, 1.41])
    assert trend.ci_high < 0
    assert not trend.interval_includes_zero


def test_linear_trend_perfect_fit_has_zero_width_interval() -> None:
    trend = linear_trend([2019, 2020, 2021], [1.6, 1.55, 1.5])
    assert trend.slope == pytest.approx(-0.05, abs=1e-12)
    assert trend.std_error == pytest.approx(0.0, abs=1e-12)
    assert trend.ci_low == pytest.approx(trend.ci_high, abs=1e-9)


def test_linear_trend_uses_the_requested_confidence() -> None:
    trend90 = linear_trend([1, 2, 3, 4, 5], [2, 4, 5, 4, 5], confidence=0.90)
    # t(0.95, 3) = 2.353363
    assert trend90.ci_high - trend90.slope == pytest.approx(2.353363 * math.sqrt(0.08), abs=1e-6)
    assert trend90.confidence == 0.90


@pytest.mark.parametrize(
    ("xs", "ys", "message"),
    [
        ([1, 2], [1, 2], "at least 3 points"),
        ([], [], "at least 3 points"),
        ([1, 2, 3], [1, 2], "same length"),
        ([1, 1, 1], [1, 2, 3], "all xs are equal"),
        ([1, 2, 3], [1, math.nan, 3], "finite"),
    ],
)
def test_linear_trend_rejects_unusable_input(
    xs: list[float], ys: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        linear_trend(xs, ys)
