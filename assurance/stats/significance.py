"""Significance tests: a pooled two-proportion z test, and a change in a relative likelihood.

See :mod:`assurance.stats` for the assumptions (independent samples) and references.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assurance.stats.distributions import two_sided_p_value
from assurance.stats.proportions import RelativeLikelihood, proportion_counts


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
    x1, n1 = proportion_counts(x1, n1, "group 1")
    x2, n2 = proportion_counts(x2, n2, "group 2")
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
    return TestResult(z, two_sided_p_value(z))


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
    return TestResult(z, two_sided_p_value(z))
