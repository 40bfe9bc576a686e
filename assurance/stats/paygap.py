"""Pay gaps: the gov.uk gender pay gap method, and the same for ethnicity and disability.

What it does:
    Turns group aggregates (head count, mean and median of hourly pay or of bonus pay) into
    pay gaps, and quartile counts into the proportion of each group in each pay quartile.
    Nothing here sees a person: the person-level part (ranking, means, medians) is done by
    the importer (``connectors/pay_csv.py``, in DuckDB) or, in tests, by an independent
    computation, and handed in as numbers.

    * **Gap** = (reference − comparison) ÷ reference × 100, for the mean and for the median:
      men are the reference in the gender pay gap; White (or White British) staff and
      non-disabled staff are the reference for ethnicity and disability. A positive gap means
      the comparison group is paid less; negative means paid more.
    * **Median** is the ordinary midpoint: the mean of the two middle values for an even
      count (:func:`median_of`).
    * **Quartiles**: the staff in the hourly-pay calculation are ranked from lowest to
      highest hourly pay and split into four groups as equal in size as possible; the person
      of 0-based rank ``r`` among ``n`` is in quartile ``r * 4 // n`` (:func:`quartile_of`;
      sizes differ by at most one, the larger ones lowest). Staff on the same hourly pay
      are spread evenly through their tie group by group (:func:`interleave_ties`), so a
      boundary that cuts the tie splits men and women in proportion, as the gov.uk guidance
      asks.
    * **Not calculable**: a gap is reported only when each of its two groups has at least
      ``min_group`` people (10 for ethnicity and disability under the government's 2026
      method; the statutory gender method sets no minimum), and never when the reference
      average is 0.

Why it matters:
    NHS England's EDI Improvement Plan (High Impact Action 3) holds boards to improving their
    gender, race and disability pay gaps, and the gender figures are published on gov.uk for
    every employer of 250 or more. A gap computed another way (a different median, hours or
    rounding) would not be comparable with the published ones.

Example:
    >>> g = pay_gap(GroupPay(120, 20.0, 18.0), GroupPay(300, 17.0, 16.2))
    >>> round(g.mean, 2), round(g.median, 2), g.calculable
    (15.0, 10.0, True)
    >>> pay_gap(GroupPay(120, 20.0, 18.0), GroupPay(9, 17.0, 16.2), min_group=10).reason
    'not calculable: fewer than 10 people in a group compared'
    >>> [quartile_of(r, 10) for r in range(10)]
    [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]

Options:
    ``min_group`` on :func:`pay_gap` (default 1, the statutory gender method; 10 for
    ethnicity and disability: :data:`MIN_GROUP`).

Known limitations:
    * Hourly pay is taken as given: the extract must hold ordinary pay ÷ hours in the pay
      period (gov.uk guidance); nothing here can check it.
    * The gov.uk rule for staff with equal pay across a quartile boundary says only that men
      and women should be spread evenly; spreading each group in proportion is one reading
      of it, so a quartile split can differ by one person from an employer's own.
    * Reasons never contain counts, so a reason can be shown to any audience.

References:
    * The Equality Act 2010 (Specific Duties and Public Authorities) Regulations 2017,
      Schedule 2, and gov.uk "Gender pay gap reporting: guidance for employers" (relevant and
      full-pay relevant employees, hourly pay, mean and median gaps, quartiles, bonus).
    * gov.uk "Ethnicity pay reporting: guidance for employers" (April 2023) and the
      government's response (March 2026) on mandatory ethnicity and disability pay gap
      reporting: the same calculations, groups of fewer than 10 people not reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MIN_GROUP = 10
"""The fewest people a group may have for its ethnicity or disability gap to be reported."""

QUARTILES = ("lower", "lower_middle", "upper_middle", "top")
"""The four pay quartiles, lowest first (gov.uk's names: lower, lower middle, upper middle,
top)."""


@dataclass(frozen=True)
class GroupPay:
    """A group's aggregate pay: how many people, and the mean and median of their pay."""

    n: int
    mean: float | None
    median: float | None


@dataclass(frozen=True)
class PayGap:
    """The mean and median gap between a reference and a comparison group, in percent of the
    reference group's pay; ``None`` values with a reason when not calculable."""

    mean: float | None
    median: float | None
    calculable: bool
    reason: str | None = None


def mean_of(values: Iterable[float]) -> float | None:
    """The arithmetic mean, summed exactly (:func:`math.fsum`); None for no values."""
    vals = list(values)
    return math.fsum(vals) / len(vals) if vals else None


def median_of(sorted_values: Sequence[float]) -> float | None:
    """The median of values already sorted ascending: the middle one, or the mean of the two
    middle ones for an even count; None for no values."""
    n = len(sorted_values)
    if n == 0:
        return None
    mid = n // 2
    if n % 2:
        return float(sorted_values[mid])
    return (sorted_values[mid - 1] + sorted_values[mid]) / 2.0


def gap_percent(reference: float | None, comparison: float | None) -> float | None:
    """(reference − comparison) ÷ reference × 100; None when either is missing or the
    reference is not positive (a gap in percent of nothing has no meaning)."""
    if reference is None or comparison is None or not reference > 0:
        return None
    return (reference - comparison) / reference * 100.0


def pay_gap(reference: GroupPay, comparison: GroupPay, *, min_group: int = 1) -> PayGap:
    """The mean and median pay gap of ``comparison`` against ``reference``.

    Args:
        reference: the reference group (men; White or White British; non-disabled).
        comparison: the group compared with it.
        min_group: the fewest people each group needs (see :data:`MIN_GROUP`).

    Returns:
        The :class:`PayGap`; not calculable (with a reason that holds no count) when a
        group is smaller than ``min_group`` or empty, or the reference pay is 0.
    """
    least = max(min_group, 1)
    if reference.n < least or comparison.n < least:
        why = ("no people in a group compared" if min(reference.n, comparison.n) == 0
               else f"fewer than {least} people in a group compared")
        return PayGap(None, None, False, f"not calculable: {why}")
    mean = gap_percent(reference.mean, comparison.mean)
    median = gap_percent(reference.median, comparison.median)
    if mean is None and median is None:
        return PayGap(None, None, False, "not calculable: the reference group's pay is 0")
    return PayGap(mean, median, True)


def quartile_of(rank: int, n: int) -> int:
    """The quartile (0 lower … 3 top) of the person of 0-based ``rank`` among ``n`` ranked
    from lowest to highest pay: four groups as equal as possible, larger ones lowest."""
    if not 0 <= rank < n:
        raise ValueError(f"rank {rank} is outside 0..{n - 1}")
    return rank * 4 // n


def interleave_ties(ranked: Sequence[tuple[float, str]]) -> list[str]:
    """Groups in pay order, those on the same pay spread evenly through their tie, so that a
    quartile boundary cutting the tie splits each group in proportion (``ranked`` sorted by
    pay).

    Within a tie the k-th of a group's n members (k from 1) takes the place (2k − 1) ÷ 2n of
    the way through it; equal places go in group order. Four men and four women on one pay
    alternate; two women among ten men sit a quarter and three quarters of the way through.
    """
    out: list[str] = []
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        sizes: dict[str, int] = {}
        for _, g in ranked[i:j]:
            sizes[g] = sizes.get(g, 0) + 1
        places = sorted(((2 * k - 1) / (2 * n), g) for g, n in sizes.items()
                        for k in range(1, n + 1))
        out.extend(g for _, g in places)
        i = j
    return out


def quartile_counts(groups_in_pay_order: Sequence[str]) -> list[dict[str, int]]:
    """How many of each group fall in each quartile, from the groups in pay order (ties
    already interleaved: :func:`interleave_ties`)."""
    n = len(groups_in_pay_order)
    out: list[dict[str, int]] = [{} for _ in QUARTILES]
    for rank, g in enumerate(groups_in_pay_order):
        q = out[quartile_of(rank, n)]
        q[g] = q.get(g, 0) + 1
    return out


def shares(counts: Mapping[str, int]) -> dict[str, float]:
    """Each group's percentage of the total (a quartile's make-up, or who received a bonus);
    empty when the total is 0."""
    total = sum(counts.values())
    if not total:
        return {}
    return {g: 100.0 * c / total for g, c in counts.items()}


__all__ = ["MIN_GROUP", "QUARTILES", "GroupPay", "PayGap", "gap_percent", "interleave_ties",
           "mean_of", "median_of", "pay_gap", "quartile_counts", "quartile_of", "shares"]
