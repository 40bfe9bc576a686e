"""Normal and Student t distributions, with the standard library only.

The two-sided normal quantile and p-value behind every interval and z test, and Student's
t distribution (CDF and quantile) via the regularised incomplete beta function, for the
interval of a trend's slope. See :mod:`assurance.stats` for references.
"""

from __future__ import annotations

import math
from functools import cache
from statistics import NormalDist

_STANDARD_NORMAL = NormalDist()


def check_confidence(confidence: float) -> None:
    """Raise ValueError unless ``confidence`` is strictly between 0 and 1."""
    if not (isinstance(confidence, int | float) and 0.0 < confidence < 1.0):
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


@cache
def two_sided_z(confidence: float) -> float:
    """The normal quantile ``z`` of a two-sided interval at ``confidence`` (1.96 at 0.95);
    remembered per level, as every interval of an evaluation asks for the same one."""
    check_confidence(confidence)
    return _STANDARD_NORMAL.inv_cdf(0.5 + confidence / 2.0)


def two_sided_p_value(z: float) -> float:
    """The two-sided p-value of a standard normal statistic ``z``."""
    # erfc keeps relative precision far into the tail, where 1 - cdf(|z|) (and even
    # NormalDist.cdf(-|z|), built on erf) rounds to 0.
    return min(1.0, math.erfc(abs(z) / math.sqrt(2.0)))


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
