"""Proportions: the relative likelihood with its log-method interval, and Wilson intervals.

Every ratio carries its counts and interval, and a ratio that cannot be computed is
*not calculable* with a reason in plain English (never 0 or infinity; reasons never contain
counts). See :mod:`assurance.stats` for the method, its limits and references.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

from assurance.stats.distributions import two_sided_z


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


def proportion_counts(x: object, n: object, what: str) -> tuple[int, int]:
    """Validate a numerator/denominator pair and return them as ints (errors name ``what``)."""
    numerator = _count(x, f"{what} numerator")
    denominator = _count(n, f"{what} denominator")
    if numerator > denominator:
        raise ValueError(
            f"{what} numerator ({numerator}) is greater than its denominator ({denominator})"
        )
    return numerator, denominator


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
        if not self.calculable:
            return None
        return _log_se(self.focus_numerator, self.focus_denominator,
                       self.reference_numerator, self.reference_denominator)


def _log_se(a: int, n1: int, c: int, n2: int) -> float | None:
    """:attr:`RelativeLikelihood.log_se` from the counts of a calculable ratio."""
    if a == 0 or n1 == 0 or c == 0 or n2 == 0:
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
    if _plain(focus_num, focus_den) and _plain(ref_num, ref_den):
        a, n1, c, n2 = focus_num, focus_den, ref_num, ref_den  # already valid whole numbers
    else:
        a, n1 = proportion_counts(focus_num, focus_den, focus_label)
        c, n2 = proportion_counts(ref_num, ref_den, reference_label)
    z = two_sided_z(confidence)

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
    if a == 0:
        return RelativeLikelihood(
            a, n1, c, n2, value, None, None, True,
            f"{_percent_label(confidence)} confidence interval not calculable: no "
            f"{focus_label} {outcome}, so the log method cannot be used", confidence,
        )  # fmt: skip
    se = _log_se(a, n1, c, n2)
    if se is None:
        return RelativeLikelihood(
            a, n1, c, n2, value, None, None, True,
            f"{_percent_label(confidence)} confidence interval not calculable: every one of "
            f"the {focus_label} and the {reference_label} {outcome}, so the log method "
            "gives no spread", confidence,
        )  # fmt: skip
    log_value = math.log(value)
    return RelativeLikelihood(
        a, n1, c, n2, value,
        math.exp(log_value - z * se), math.exp(log_value + z * se),
        True, None, confidence,
    )  # fmt: skip


def _plain(x: object, n: object) -> bool:
    """Whether ``x / n`` are ints (not bools) with 0 <= x <= n: what
    :func:`proportion_counts` would return unchanged (the common case, checked quickly)."""
    return type(x) is int and type(n) is int and 0 <= x <= n  # noqa: E721 - bool excluded


def _percent_label(confidence: float) -> str:
    return f"{confidence * 100:g}%"


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
    x, n = proportion_counts(x, n, "proportion")
    z = two_sided_z(confidence)
    if n == 0:
        return None
    p = x / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half_width = (z / (1 + z2 / n)) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # Clamp: at x == 0 or x == n the exact answer is 0 or 1 but round-off can overshoot.
    return max(0.0, centre - half_width), min(1.0, centre + half_width)
