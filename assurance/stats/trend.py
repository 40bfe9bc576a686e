"""Trends: an ordinary-least-squares straight line with a Student t interval for its slope.

See :mod:`assurance.stats` for the assumptions (independent, homoscedastic residuals).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from assurance.stats.distributions import check_confidence, student_t_quantile


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
    check_confidence(confidence)
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
