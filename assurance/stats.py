"""Statistics behind every figure the bot reports: relative likelihoods, intervals and tests.

What it does:
    Computes the WRES/WDES relative likelihood (a ratio of two proportions) with its counts
    and a log-method confidence interval; Wilson intervals for single proportions; a pooled
    two-proportion z test; a z test for a change in a relative likelihood between two
    periods; and an ordinary-least-squares trend with a Student t interval for the slope.
    The Student t distribution (CDF and quantile) is implemented here with the standard
    library only, via the regularised incomplete beta function.

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

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

__all__ = [
    "RelativeLikelihood",
    "TestResult",
    "Trend",
    "linear_trend",
    "log_ratio_change_test",
    "normal_quantile",
    "regularized_incomplete_beta",
    "relative_likelihood",
    "student_t_cdf",
    "student_t_quantile",
    "two_proportion_z_test",
    "wilson_interval",
]

_STANDARD_NORMAL = NormalDist()


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------


def _count(value: object, what: str) -> int:
    """Return ``value`` as a non-negative int, or raise with a message naming ``what``."""
    if isinstance(value, bool):
        # bool is an int subclass; a True/False here is always a caller bug.
        raise TypeError(f"{what} must be a whole number, got a boolean ({value!r})")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"{what} must be a whole number, got {type(value).__name__} ({value!r})"
        ) from None
    if number < 0:
        raise ValueError(f"{what} must not be negative, got {number}")
    return number


def _proportion_counts(x: object, n: object, what: str) -> tuple[int, int]:
    """Validate a numerator/denominator pair and return them as ints."""
    numerator = _count(x, f"{what} numerator")
    denominator = _count(n, f"{what} denominator")
    if numerator > denominator:
        raise ValueError(
            f"{what} numerator ({numerator}) is greater than its denominator ({denominator})"
        )
    return numerator, denominator


def _check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, int | float) and 0.0 < confidence < 1.0):
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def _two_sided_z(confidence: float) -> float:
    _check_confidence(confidence)
    return _STANDARD_NORMAL.inv_cdf(0.5 + confidence / 2.0)


def _two_sided_p_from_z(z: float) -> float:
    # erfc keeps relative precision far into the tail, where 1 - cdf(|z|) (and even
    # NormalDist.cdf(-|z|), built on erf) rounds to 0.
    return min(1.0, math.erfc(abs(z) / math.sqrt(2.0)))


# --------------------------------------------------------------------------------------
# Relative likelihood
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelativeLikelihood:
    """A relative likelihood with its counts, confidence interval and calculability.

    Attributes:
        focus_numerator: People in the focus group with the outcome (``a``).
        focus_denominator: People in the focus group (``n1``).
        reference_numerator: People in the reference group with the outcome (``c``).
        reference_denominator: People in the reference group (``n2``).
        value: ``(a / n1) / (c / n2)``, or ``None`` when not calculable.
        ci_low: Lower end of the log-method confidence interval, or ``None``.
        ci_high: Upper end of the log-method confidence interval, or ``None``.
        calculable: ``False`` when a denominator or the reference numerator is 0.
        reason: Plain-English explanation when not calculable, or when calculable but the
            interval cannot be computed; ``None`` otherwise. Never contains counts.
        confidence: Confidence level of the interval (e.g. 0.95).
    """

    focus_numerator: int
    focus_denominator: int
    reference_numerator: int
    reference_denominator: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    calculable: bool
    reason: str | None
    confidence: float = 0.95

    @property
    def log_se(self) -> float | None:
        """Standard error of ``ln(value)`` by the log method, or ``None``.

        ``sqrt(1/a - 1/n1 + 1/c - 1/n2)``. ``None`` exactly when the interval is not
        reported: not calculable, focus numerator 0, or a zero standard error (every
        person in both groups had the outcome).
        """
        a, n1 = self.focus_numerator, self.focus_denominator
        c, n2 = self.reference_numerator, self.reference_denominator
        if not self.calculable or a == 0 or n1 == 0 or c == 0 or n2 == 0:
            return None
        # Each term is >= 0 because a <= n1 and c <= n2; max() guards float round-off.
        variance = max(0.0, 1.0 / a - 1.0 / n1) + max(0.0, 1.0 / c - 1.0 / n2)
        if variance == 0.0:
            return None
        return math.sqrt(variance)


def relative_likelihood(
    focus_num: int,
    focus_den: int,
    ref_num: int,
    ref_den: int,
    confidence: float = 0.95,
    *,
    focus_label: str = "focus group",
    reference_label: str = "reference group",
    outcome: str = "had the outcome",
) -> RelativeLikelihood:
    """Relative likelihood of the outcome for the focus group compared with the reference.

    ``(focus_num / focus_den) / (ref_num / ref_den)`` with a log-method interval
    ``exp(ln RR +/- z * SE)``, ``SE = sqrt(1/a - 1/n1 + 1/c - 1/n2)``.

    For WRES indicator 2 the focus group is White applicants and the reference group BME
    applicants (numerator: appointed; denominator: shortlisted).

    Args:
        focus_num: People in the focus group with the outcome.
        focus_den: People in the focus group.
        ref_num: People in the reference group with the outcome.
        ref_den: People in the reference group.
        confidence: Confidence level of the interval, strictly between 0 and 1.
        focus_label: Plural noun phrase for the focus group, used in reasons and errors
            (e.g. ``"White applicants"``).
        reference_label: Plural noun phrase for the reference group
            (e.g. ``"BME applicants"``).
        outcome: Verb phrase for the outcome, used in reasons (e.g. ``"were appointed"``).

    Returns:
        A :class:`RelativeLikelihood`. ``calculable`` is ``False`` (and ``value`` ``None``)
        when either denominator or the reference numerator is 0. When the focus numerator
        is 0 the value is ``0.0`` but no interval is given, and ``reason`` says why.

    Raises:
        TypeError: A count is not a whole number.
        ValueError: A count is negative, a numerator exceeds its denominator, or
            ``confidence`` is outside (0, 1).
    """
    a, n1 = _proportion_counts(focus_num, focus_den, focus_label)
    c, n2 = _proportion_counts(ref_num, ref_den, reference_label)
    z = _two_sided_z(confidence)

    problems: list[str] = []
    if n1 == 0:
        problems.append(f"there are no {focus_label}, so their rate is undefined")
    if n2 == 0:
        problems.append(f"there are no {reference_label}, so their rate is undefined")
    elif c == 0:
        problems.append(f"no {reference_label} {outcome}, so the comparison would divide by zero")
    if problems:
        return RelativeLikelihood(
            a, n1, c, n2, None, None, None, False,
            "not calculable: " + "; and ".join(problems), confidence,
        )  # fmt: skip

    value = (a / n1) / (c / n2)
    result = RelativeLikelihood(a, n1, c, n2, value, None, None, True, None, confidence)
    percent = _percent_label(confidence)
    if a == 0:
        return _with_reason(
            result,
            f"{percent} confidence interval not calculable: no {focus_label} {outcome}, "
            "so the log method cannot be used",
        )
    se = result.log_se
    if se is None:
        return _with_reason(
            result,
            f"{percent} confidence interval not calculable: every one of the "
            f"{focus_label} and the {reference_label} {outcome}, so the log method "
            "gives no spread",
        )
    log_value = math.log(value)
    return RelativeLikelihood(
        a, n1, c, n2, value,
        math.exp(log_value - z * se), math.exp(log_value + z * se),
        True, None, confidence,
    )  # fmt: skip


def _with_reason(rl: RelativeLikelihood, reason: str) -> RelativeLikelihood:
    return RelativeLikelihood(
        rl.focus_numerator, rl.focus_denominator, rl.reference_numerator,
        rl.reference_denominator, rl.value, None, None, rl.calculable, reason, rl.confidence,
    )  # fmt: skip


def _percent_label(confidence: float) -> str:
    return f"{confidence * 100:g}%"


# --------------------------------------------------------------------------------------
# Proportions and tests
# --------------------------------------------------------------------------------------


def wilson_interval(x: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for the proportion ``x / n``.

    Args:
        x: People with the outcome.
        n: People in the group.
        confidence: Confidence level, strictly between 0 and 1.

    Returns:
        ``(low, high)`` within [0, 1], or ``None`` when ``n`` is 0.

    Raises:
        TypeError: A count is not a whole number.
        ValueError: A count is negative, ``x > n``, or ``confidence`` is outside (0, 1).
    """
    x, n = _proportion_counts(x, n, "proportion")
    z = _two_sided_z(confidence)
    if n == 0:
        return None
    p = x / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half_width = (z / (1 + z2 / n)) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # Clamp: at x == 0 or x == n the exact answer is 0 or 1 but round-off can overshoot.
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


@dataclass(frozen=True)
class TestResult:
    """Result of a two-sided z test.

    Attributes:
        statistic: The z statistic.
        p_value: Two-sided p-value.
        note: Plain-English note when the test is degenerate (e.g. nobody, or everybody,
            had the outcome in both groups); ``None`` otherwise.
    """

    __test__ = False  # not a pytest test class, despite the name

    statistic: float
    p_value: float
    note: str | None = None


def two_proportion_z_test(x1: int, n1: int, x2: int, n2: int) -> TestResult | None:
    """Pooled two-proportion z test of ``x1/n1`` against ``x2/n2``, two-sided.

    ``z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))`` with ``p = (x1 + x2) / (n1 + n2)``.

    Args:
        x1: People with the outcome in group 1.
        n1: People in group 1.
        x2: People with the outcome in group 2.
        n2: People in group 2.

    Returns:
        The :class:`TestResult`; ``None`` when either group is empty (there is no
        proportion to compare). When the pooled proportion is 0 or 1 the two proportions
        are identical, so the result is ``z = 0``, ``p = 1.0`` with a note.

    Raises:
        TypeError: A count is not a whole number.
        ValueError: A count is negative or a numerator exceeds its denominator.
    """
    x1, n1 = _proportion_counts(x1, n1, "group 1")
    x2, n2 = _proportion_counts(x2, n2, "group 2")
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    if x1 + x2 == 0 or x1 + x2 == n1 + n2:
        which = "nobody" if x1 + x2 == 0 else "everybody"
        return TestResult(
            0.0, 1.0, f"{which} in either group had the outcome, so there is no difference"
        )
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = (x1 / n1 - x2 / n2) / se
    return TestResult(z, _two_sided_p_from_z(z))


def log_ratio_change_test(prev: RelativeLikelihood, curr: RelativeLikelihood) -> TestResult | None:
    """Test whether a relative likelihood changed between two periods.

    ``z = (ln curr - ln prev) / sqrt(se_prev^2 + se_curr^2)``, two-sided p-value, treating
    the two periods as independent samples.

    Args:
        prev: The earlier relative likelihood.
        curr: The later relative likelihood.

    Returns:
        The :class:`TestResult`, or ``None`` when either has no log standard error
        (see :attr:`RelativeLikelihood.log_se`).
    """
    se_prev, se_curr = prev.log_se, curr.log_se
    if se_prev is None or se_curr is None or prev.value is None or curr.value is None:
        return None
    z = (math.log(curr.value) - math.log(prev.value)) / math.hypot(se_prev, se_curr)
    return TestResult(z, _two_sided_p_from_z(z))


# --------------------------------------------------------------------------------------
# Normal and Student t distributions
# --------------------------------------------------------------------------------------


def normal_quantile(p: float) -> float:
    """Quantile of the standard normal distribution.

    Args:
        p: Probability strictly between 0 and 1.

    Returns:
        ``z`` such that ``P(Z <= z) = p``.

    Raises:
        ValueError: ``p`` is outside (0, 1).
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1, got {p!r}")
    return _STANDARD_NORMAL.inv_cdf(p)


_BETA_CF_MAX_ITERATIONS = 1000
_BETA_CF_EPSILON = 1e-16
_TINY = 1e-300


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (modified Lentz).

    Numerical Recipes 3rd ed. eq. 6.4.5; converges quickly for ``x < (a + 1) / (a + b + 2)``.
    """
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = _TINY if abs(d) < _TINY else d
    d = 1.0 / d
    h = d
    for m in range(1, _BETA_CF_MAX_ITERATIONS + 1):
        m2 = 2 * m
        # Even step.
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = _TINY if abs(d) < _TINY else d
        c = 1.0 + aa / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        h *= d * c
        # Odd step.
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = _TINY if abs(d) < _TINY else d
        c = 1.0 + aa / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) <= _BETA_CF_EPSILON:
            return h
    raise ArithmeticError(  # pragma: no cover - not reached for a, b <= ~1e6
        f"incomplete beta continued fraction did not converge (a={a}, b={b}, x={x})"
    )


def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function ``I_x(a, b)``.

    Args:
        a: First shape parameter, > 0.
        b: Second shape parameter, > 0.
        x: Point in [0, 1].

    Returns:
        ``I_x(a, b)`` in [0, 1].

    Raises:
        ValueError: A parameter is out of range.
    """
    if not (a > 0.0 and b > 0.0):
        raise ValueError(f"shape parameters must be positive, got a={a!r}, b={b!r}")
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x must be in [0, 1], got {x!r}")
    if x == 0.0 or x == 1.0:
        return x
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
        + a * math.log(x) + b * math.log1p(-x)
    )  # fmt: skip
    front = math.exp(log_front)
    # Use the continued fraction where it converges fast; otherwise the symmetry
    # I_x(a, b) = 1 - I_{1-x}(b, a).
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def _check_df(df: float) -> None:
    if not (isinstance(df, int | float) and df > 0.0) or math.isnan(df):
        raise ValueError(f"degrees of freedom must be positive, got {df!r}")


def _student_t_upper_tail(t: float, df: float) -> float:
    """``P(T > t)`` for ``t >= 0``, computed directly so the far tail keeps its precision."""
    return 0.5 * regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t * t))


def student_t_cdf(t: float, df: float) -> float:
    """Cumulative distribution function of Student's t distribution.

    Uses ``P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2`` for ``t >= 0`` (Abramowitz & Stegun
    26.7.1) and symmetry for ``t < 0``.

    Args:
        t: Point at which to evaluate.
        df: Degrees of freedom, > 0 (need not be an integer; ``math.inf`` gives the normal).

    Returns:
        ``P(T <= t)``.

    Raises:
        ValueError: ``df`` is not positive.
    """
    _check_df(df)
    if math.isinf(df):
        return _STANDARD_NORMAL.cdf(t)
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = _student_t_upper_tail(abs(t), df)
    return 1.0 - tail if t >= 0 else tail


def student_t_quantile(p: float, df: float) -> float:
    """Quantile (inverse CDF) of Student's t distribution.

    Solved by bisection on the upper-tail probability, which is monotone in ``t``; the
    answer is accurate to about 1e-12 relative, far beyond what any report displays.

    Args:
        p: Probability strictly between 0 and 1.
        df: Degrees of freedom, > 0 (``math.inf`` gives the normal quantile).

    Returns:
        ``t`` such that ``P(T <= t) = p``.

    Raises:
        ValueError: ``p`` is outside (0, 1) or ``df`` is not positive.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1, got {p!r}")
    _check_df(df)
    if math.isinf(df):
        return _STANDARD_NORMAL.inv_cdf(p)
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -student_t_quantile(1.0 - p, df)
    target = 1.0 - p  # upper-tail probability, in (0, 0.5)
    lo, hi = 0.0, 1.0
    while _student_t_upper_tail(hi, df) > target:
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if mid in (lo, hi):  # interval no longer representable more finely
            break
        if _student_t_upper_tail(mid, df) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    return (lo + hi) / 2.0


# --------------------------------------------------------------------------------------
# Trend
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """An ordinary-least-squares straight-line fit ``y = intercept + slope * x``.

    Attributes:
        slope: Fitted change in ``y`` per unit of ``x``.
        ci_low: Lower end of the slope's confidence interval.
        ci_high: Upper end of the slope's confidence interval.
        n: Number of points.
        intercept: Fitted ``y`` at ``x = 0``.
        std_error: Standard error of the slope (0.0 for a perfect fit).
        confidence: Confidence level of the interval.
    """

    slope: float
    ci_low: float
    ci_high: float
    n: int
    intercept: float
    std_error: float
    confidence: float = 0.95

    @property
    def interval_includes_zero(self) -> bool:
        """True when the interval cannot rule out "no trend" (the flatline test in §4)."""
        return self.ci_low <= 0.0 <= self.ci_high


def linear_trend(xs: Sequence[float], ys: Sequence[float], confidence: float = 0.95) -> Trend:
    """Fit a straight line by ordinary least squares, with a t interval for the slope.

    ``slope +/- t_{(1+confidence)/2, n-2} * sqrt(RSS / (n - 2) / Sxx)``.

    Args:
        xs: Predictor values (e.g. years).
        ys: Outcome values, same length as ``xs``.
        confidence: Confidence level, strictly between 0 and 1.

    Returns:
        The :class:`Trend`.

    Raises:
        ValueError: Fewer than 3 points, lengths differ, a value is not finite, all ``xs``
            are equal, or ``confidence`` is outside (0, 1).
    """
    _check_confidence(confidence)
    if len(xs) != len(ys):
        raise ValueError(f"xs and ys must have the same length, got {len(xs)} and {len(ys)}")
    n = len(xs)
    if n < 3:
        raise ValueError(f"a trend with an interval needs at least 3 points, got {n}")
    x_values = [float(x) for x in xs]
    y_values = [float(y) for y in ys]
    if not all(math.isfinite(v) for v in x_values + y_values):
        raise ValueError("xs and ys must be finite numbers (no NaN or infinity)")
    # Two-pass centred sums: years such as 2019..2024 would lose precision uncentred.
    x_mean = math.fsum(x_values) / n
    y_mean = math.fsum(y_values) / n
    dx = [x - x_mean for x in x_values]
    dy = [y - y_mean for y in y_values]
    sxx = math.fsum(d * d for d in dx)
    if sxx == 0.0:
        raise ValueError("all xs are equal, so a slope cannot be fitted")
    slope = math.fsum(a * b for a, b in zip(dx, dy, strict=True)) / sxx
    intercept = y_mean - slope * x_mean
    rss = math.fsum((b - slope * a) ** 2 for a, b in zip(dx, dy, strict=True))
    df = n - 2
    std_error = math.sqrt(rss / df / sxx)
    half_width = student_t_quantile(0.5 + confidence / 2.0, df) * std_error
    return Trend(
        slope=slope,
        ci_low=slope - half_width,
        ci_high=slope + half_width,
        n=n,
        intercept=intercept,
        std_error=std_error,
        confidence=confidence,
    )
