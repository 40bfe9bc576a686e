"""Statistics behind every figure the bot reports: relative likelihoods, intervals and tests.

What it does:
    Computes the WRES/WDES relative likelihood (a ratio of two proportions) with its counts
    and a log-method confidence interval; Wilson intervals for single proportions; a pooled
    two-proportion z test; a z test for a change in a relative likelihood between two
    periods; and an ordinary-least-squares trend with a Student t interval for the slope.
    The Student t distribution (CDF and quantile) is implemented here with the standard
    library only, via the regularised incomplete beta function.

    One module per concept, all re-exported here: :mod:`~assurance.stats.proportions`
    (relative likelihood, Wilson interval), :mod:`~assurance.stats.significance` (z tests),
    :mod:`~assurance.stats.paygap` (gender, ethnicity and disability pay gaps and quartiles),
    :mod:`~assurance.stats.trend` (least-squares slope) and
    :mod:`~assurance.stats.distributions` (normal, Student t, incomplete beta).

Why it matters:
    These numbers go into board papers. A relative likelihood built on a handful of people
    can swing from 0.76 to 0.24 in a year, so every ratio carries its counts and interval,
    and a ratio that cannot be computed is reported as *not calculable* with a reason in
    plain English, never as 0 or infinity (domain reference section 4).

Example:
    >>> rl = relative_likelihood(300, 1000, 150, 800,
    ...                          focus_label="White applicants",
    ...                          reference_label="BME applicants")
    >>> round(rl.value, 4), round(rl.ci_low, 4), round(rl.ci_high, 4)
    (1.6, 1.3464, 1.9013)
    >>> relative_likelihood(30, 100, 0, 40, reference_label="BME applicants",
    ...                     outcome="were appointed").reason
    'not calculable: no BME applicants were appointed, so the comparison would divide by zero'

Options:
    ``confidence`` (default 0.95) on every interval; ``focus_label``, ``reference_label``
    and ``outcome`` on :func:`relative_likelihood` to make reasons readable.

Known limitations:
    * The log-method interval is a large-sample (Wald) interval on the log scale. It cannot
      be computed when the focus numerator is 0, and it collapses to zero width when every
      person in both groups had the outcome; in both cases this module reports no interval
      (``ci_low``/``ci_high`` are ``None``, with a reason) rather than a misleading one. With
      very small counts it is approximate; read it alongside the counts.
    * :func:`log_ratio_change_test` treats the two periods as independent samples. Staff
      headcounts in consecutive years largely overlap, so the test is conservative-to-
      approximate for headcount-based indicators (WRES 3 and 4).
    * :func:`linear_trend` assumes independent, homoscedastic residuals; with 3 to 5 annual
      points the interval is wide, which is the honest answer.
    * Reasons never contain counts, so a reason can be shown in any audience without
      leaking a suppressed number (see :mod:`assurance.disclosure`).

References:
    * NHS England, WRES technical guidance: relative likelihood definitions (indicators 2-4).
    * Altman D.G. et al., *Statistics with Confidence*, 2nd ed. (2000): log method for a
      ratio of proportions; Wilson score interval.
    * Wilson E.B. (1927), Probable inference, the law of succession, and statistical
      inference. JASA 22:209-212.
    * Press W.H. et al., *Numerical Recipes*, 3rd ed., section 6.4: incomplete beta function
      by continued fraction (modified Lentz).
    * Abramowitz & Stegun 26.7.1: Student t CDF in terms of the incomplete beta function.
"""

from __future__ import annotations

from assurance.stats.distributions import (
    normal_quantile,
    regularized_incomplete_beta,
    student_t_cdf,
    student_t_quantile,
)
from assurance.stats.paygap import GroupPay, PayGap, pay_gap
from assurance.stats.proportions import RelativeLikelihood, relative_likelihood, wilson_interval
from assurance.stats.significance import TestResult, log_ratio_change_test, two_proportion_z_test
from assurance.stats.trend import Trend, linear_trend

__all__ = [
    "GroupPay",
    "PayGap",
    "RelativeLikelihood",
    "TestResult",
    "Trend",
    "linear_trend",
    "log_ratio_change_test",
    "normal_quantile",
    "pay_gap",
    "regularized_incomplete_beta",
    "relative_likelihood",
    "student_t_cdf",
    "student_t_quantile",
    "two_proportion_z_test",
    "wilson_interval",
]
