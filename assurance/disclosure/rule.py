"""Disclosure control: turn exact counts into figures an audience may see.

What it does:
    Applies NHS Digital's sub-national disclosure rule per audience. Under a suppressing
    policy a count of 0 stays ``0``; counts from 1 to 7 become ``*``; counts of 8 or more
    are rounded to the nearest 5 (halves up); rates and averages built on 1 to 7 people
    become ``*``; and tables get secondary suppression so that no suppressed cell can be
    worked out by subtraction from a total. An exact policy shows every figure as it is.

Why it matters:
    Ethnicity and disability are special category data (UK GDPR Art. 9). A band table
    showing "1 Disabled board member" identifies a person. A board committee may see exact
    counts in a restricted paper; a staff network channel and anything published must get
    the suppressed view (domain reference section 9). Every figure that leaves the core
    passes through this module with the audience's policy.

Example:
    >>> disclose_count(12, SUPPRESSED), disclose_count(5, SUPPRESSED), disclose_count(0, SUPPRESSED)
    ('10', '*', '0')
    >>> disclose_count(5, EXACT)
    '5'
    >>> disclose_table({"White": 120, "BME": 30, "Not stated": 3}, SUPPRESSED, total=153)
    {'White': '120', 'BME': '*', 'Not stated': '*', 'Total': '155'}

Options:
    :class:`DisclosurePolicy` fields: ``exact`` (show exact figures), ``low``/``high`` (the
    suppressed range, default 1-7), ``rounding`` (default 5; 1 disables rounding),
    ``symbol`` (default ``*``), ``missing`` (shown for a figure that does not exist,
    default an en dash ``–``) and ``rates`` (what a rate shown beside rounded counts is:
    ``"recompute"``, the default, computes it from the counts as shown; ``"withhold"``
    shows it as ``symbol``; see :data:`RATE_CHOICES`). :data:`EXACT` and :data:`SUPPRESSED`
    are the two audiences the project uses.

Known limitations:
    * Secondary suppression handles one row (or column) with one total. Linked tables (the
      same people cut two ways) are not analysed together; apply the same policy
      everywhere and keep tables one-way.
    * A reader who knows both the exact total (published elsewhere) and that the
      complementary cell is the smallest remaining one can still settle rare ties: cells
      12, 12 and 7 with a known total of 31 show as ``*``, ``10``, ``*`` and only that
      table fits. With other rounding bases (no rounding, 2, or 10 with ``high = 7``) the
      same ordering argument works on some published tables even without the exact total;
      the default policy was checked by brute force to have no such case in small tables.
      Keep the default for anything published.
    * When every non-zero cell of a row is small (e.g. three cells of 7), a reader who
      knows the exact total from elsewhere can still solve the row; no choice of cells
      inside the table prevents that.
    * Only the counts handed in are checked. Complements that a reader could form (for
      example shortlisted minus appointed) are not suppressed separately; rounding both
      figures to 5 is what protects them, as in NHS Digital's own publications.
    * A group's rate shown beside its rounded counts is computed from the counts as shown
      (``rates = "recompute"``: NHS Digital's secondary care disclosure method, for HES and
      ECDS, works percentages out from the rounded numerator and denominator), so
      ``13/40 (32.5%)`` reads ``15/40 (37.5%)`` and the rate cannot undo the rounding; or
      withheld
      (``rates = "withhold"``). A relative likelihood or an interval (a calculation on both
      groups' counts, which the method leaves uncontrolled) is still computed from the exact
      counts and can narrow them down a little.
    * A policy with ``low`` above 1 shows counts below ``low`` exactly (the rule says only
      which range is suppressed); the default policy has ``low = 1`` so only 0 is affected.

References:
    * NHS Digital, "Disclosure control" guidance for sub-national statistics (counts 1-7
      suppressed, other counts rounded to the nearest 5, secondary suppression).
    * ONS, "Disclosure control guidance for tables produced from administrative sources".
    * ICO, "Anonymisation, pseudonymisation and privacy enhancing technologies guidance".
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass

from assurance.config import Settings
from assurance.stats import RelativeLikelihood

__all__ = [
    "EXACT",
    "RATE_CHOICES",
    "SUPPRESSED",
    "DisclosurePolicy",
    "RelativeLikelihoodView",
    "disclose_count",
    "disclose_rate",
    "disclose_relative_likelihood",
    "disclose_table",
    "hidden_note",
    "policy_for",
    "quotable",
    "suppression_note",
]


def _whole(value: object, what: str) -> int:
    """Return ``value`` as an int, rejecting booleans and non-integers."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a whole number, got a boolean ({value!r})")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"{what} must be a whole number, got {type(value).__name__} ({value!r})"
        ) from None


def _count(value: object, what: str) -> int:
    number = _whole(value, what)
    if number < 0:
        raise ValueError(f"{what} must not be negative, got {number}")
    return number


def _round_half_up(n: int, base: int) -> int:
    """Round a non-negative int to the nearest multiple of ``base``, halves up.

    Integer arithmetic on purpose: ``round()`` rounds halves to even, and float division
    could misplace a half.
    """
    return (n + base // 2) // base * base


RATE_CHOICES = ("recompute", "withhold")
"""What a group's rate beside its rounded counts is (``DisclosurePolicy.rates``): computed
from the counts as shown (NHS Digital's secondary care method, the default) or withheld."""


@dataclass(frozen=True)
class DisclosurePolicy:
    """How figures are disclosed to one audience.

    Attributes:
        exact: ``True`` shows exact counts and rates (e.g. a restricted board paper); the
            other fields are then ignored.
        low: Smallest count that is suppressed.
        high: Largest count that is suppressed.
        rounding: Counts above ``high`` are rounded to the nearest multiple of this,
            halves up. 1 means no rounding.
        symbol: Shown in place of a suppressed figure.
        missing: Shown for a figure that does not exist (``None``), e.g. an unknown count
            or a rate with no denominator. Distinct from ``symbol`` so a reader can tell
            "hidden" from "not available".
        rates: A group's rate of its own counts, shown beside those counts rounded:
            ``"recompute"`` (default) computes it from the counts as shown, ``"withhold"``
            shows ``symbol`` instead (:data:`RATE_CHOICES`). Either way the exact rate
            never sits beside a rounded count it would give away.

    Raises:
        ValueError: The fields are inconsistent, including a rounding base so coarse that a
            non-zero count above ``high`` would be shown as 0.
    """

    exact: bool = False
    low: int = 1
    high: int = 7
    rounding: int = 5
    symbol: str = "*"
    missing: str = "–"
    rates: str = "recompute"

    def __post_init__(self) -> None:
        low = _count(self.low, "low")
        high = _count(self.high, "high")
        rounding = _whole(self.rounding, "rounding")
        if high < low:
            raise ValueError(f"high ({high}) must not be less than low ({low})")
        if rounding < 1:
            raise ValueError(f"rounding must be at least 1, got {rounding}")
        if not self.symbol:
            raise ValueError("symbol must not be empty")
        if self.rates not in RATE_CHOICES:
            raise ValueError(f"rates must be one of {', '.join(RATE_CHOICES)}, got "
                             f"{self.rates!r}")
        # Only counts above ``high`` are rounded; the smallest of them must not become 0.
        if _round_half_up(high + 1, rounding) == 0:
            raise ValueError(
                f"rounding to the nearest {rounding} would show a count of {high + 1} "
                "as 0; use a smaller rounding base or a larger suppressed range"
            )

    def suppresses(self, n: int) -> bool:
        """Whether a count (or the number of people behind a rate) is primary-suppressed."""
        return not self.exact and self.low <= n <= self.high


EXACT = DisclosurePolicy(exact=True)
"""Exact figures: for audiences entitled to see them (board committees, restricted papers)."""

SUPPRESSED = DisclosurePolicy()
"""NHS Digital sub-national rule: 1-7 suppressed, others rounded to 5. For anything shared."""


def policy_for(settings: Settings, audience: str | None) -> DisclosurePolicy:
    """The disclosure policy of a named audience (``[disclosure.audiences.<name>]``).

    The one place a policy is built from settings. An audience that is not configured (or
    ``None``) gets the suppressed view: nobody sees exact counts by accident.
    """
    a = settings.audiences.get(audience) if audience is not None else None
    if a is None:
        return SUPPRESSED
    return DisclosurePolicy(exact=a.exact_counts, low=a.low, high=a.high, rounding=a.rounding,
                            rates=a.rates)


def quotable(policy: DisclosurePolicy) -> bool:
    """Whether text that quotes exact counts (the engine's sentences, a finding's summary)
    may be shown to this audience, and whether its documents carry exact counts."""
    return policy.exact


def suppression_note(policy: DisclosurePolicy) -> str | None:
    """The caveat a document for this audience carries (None: exact figures, no caveat)."""
    if policy.exact:
        return None
    return (f"Small numbers are suppressed for this audience (NHS Digital rule): counts of "
            f"{policy.low} to {policy.high} are shown as {policy.symbol}, other counts rounded "
            f"to the nearest {policy.rounding}, and ratios built on {policy.low} to "
            f"{policy.high} people are withheld.")


def hidden_note(policy: DisclosurePolicy) -> str:
    """What the suppression symbol means, for a message or a table footnote."""
    return (f"{policy.symbol} = hidden: {policy.low} to {policy.high} people, who could be "
            "identified, or a figure from which such a number could be worked out (NHS "
            "Digital disclosure rule)")


def disclose_count(n: int | None, policy: DisclosurePolicy) -> str:
    """Show a count as the policy allows.

    Args:
        n: The exact count, or ``None`` when it is not known.
        policy: The audience's policy.

    Returns:
        ``policy.missing`` for ``None``; under an exact policy ``str(n)``; otherwise
        ``policy.symbol`` for counts in ``[low, high]`` and the count rounded to the
        nearest ``rounding`` (halves up) for counts above ``high``. 0 stays ``"0"``.
        With the default policy: 0 → "0", 1-7 → "*", 8 → "10", 12 → "10", 13 → "15".

    Raises:
        TypeError: ``n`` is not a whole number.
        ValueError: ``n`` is negative.
    """
    if n is None:
        return policy.missing
    n = _count(n, "count")
    if policy.exact:
        return str(n)
    if policy.suppresses(n):
        return policy.symbol
    if n > policy.high:
        return str(_round_half_up(n, policy.rounding))
    return str(n)  # below ``low``: 0 with the default policy


def disclose_rate(
    value: float | None,
    people: int | None,
    policy: DisclosurePolicy,
    fmt: str = "{:.1f}",
) -> str:
    """Show a rate, percentage or average as the policy allows.

    Args:
        value: The rate, or ``None`` (or NaN) when it does not exist.
        people: How many people the rate is built on (its denominator), or ``None`` when
            not known.
        policy: The audience's policy.
        fmt: ``str.format`` pattern for the value.

    Returns:
        ``policy.missing`` when there is no value. Under an exact policy the formatted
        value. Otherwise ``policy.symbol`` when ``people`` is in ``[low, high]``, **or when
        ``people`` is None**: a rate whose base is unknown cannot be shown to be safe, so it
        is withheld. Otherwise the formatted value (rates are not rounded to 5).

    Raises:
        TypeError: ``people`` is not a whole number.
        ValueError: ``people`` is negative.
    """
    if people is not None:
        people = _count(people, "people")
    if value is None or math.isnan(value):
        return policy.missing
    if policy.exact:
        return fmt.format(value)
    if people is None or policy.suppresses(people):
        return policy.symbol
    return fmt.format(value)


def disclose_table(
    cells: Mapping[str, int],
    policy: DisclosurePolicy,
    total: int | None = None,
    *,
    total_label: str = "Total",
) -> dict[str, str]:
    """Disclose one row (or column) of counts with primary and secondary suppression.

    Algorithm (non-exact policies):

    1. **Primary suppression.** Every cell whose count is in ``[low, high]`` is shown as
       ``symbol``.
    2. **Secondary suppression.** If exactly one cell is suppressed, a reader who knows
       the total could subtract the other cells from it and recover that cell. So the
       smallest other *non-zero* cell is suppressed too (ties: the first in ``cells``
       order). The total is assumed knowable even when ``total`` is not passed, because
       row totals are usually published elsewhere (e.g. the headcount in another table).
       Zeros are never chosen: "0 stays 0" under the rule, and the reader must be able to
       trust a ``0``.
    3. **Audit by subtraction.** With two or more suppressed cells subtraction usually
       recovers only their sum. It can still pin them when that sum has no slack: cells
       1, 1 and 8 with a known total of 10 show as ``*``, ``*``, ``10``; "10" means 8-12
       and each ``*`` is at least 1, so they must be 1, 1 and 8. The audit models a
       reader who knows the exact total when it exceeds ``high`` (else only that it is
       in ``[low, high]``) and that each shown cell lies in its rounding band above
       ``high``, and who reads ``*`` either as "at least ``low``" or literally as
       ``low`` to ``high``. While such a reader could pin any suppressed cell to its
       true value, the next-smallest non-zero cell is suppressed as well.
    4. If every non-zero cell is already suppressed nothing more can be done inside the
       table; the total is then a sum of small cells and is rounded or suppressed like
       any count.
    5. Every other cell, and the total, is shown by :func:`disclose_count` (zeros as
       ``0``, others rounded).

    With the default policy the tests check by brute force, over every table of 3, 4
    and 5 small counts, that a reader who sees the output (rounded total included) and
    knows this algorithm cannot work out any suppressed cell, and that the reader of step
    3 cannot either unless every non-zero cell is suppressed.

    Under an exact policy every count is shown exactly.

    Args:
        cells: Category name to count, in display order. Pass every category (including
            "Not stated"/"Unknown") so the cells add up to the total.
        policy: The audience's policy.
        total: The row total, shown last under ``total_label`` when given. Must equal the
            sum of ``cells``; otherwise a hidden remainder could undo the suppression.
        total_label: Key for the total in the result.

    Returns:
        Category name to display string, in the order of ``cells``, then the total if
        given.

    Raises:
        TypeError: A count is not a whole number.
        ValueError: A count is negative, ``total`` does not equal the sum of the cells, or
            ``total_label`` is also a cell name.
    """
    counts = {name: _count(value, f"cell {name!r}") for name, value in cells.items()}
    if total is not None:
        total = _count(total, "total")
        if total != sum(counts.values()):
            raise ValueError(
                f"total ({total}) does not equal the sum of the cells ({sum(counts.values())});"
                " pass every category as a cell so that suppressed cells stay protected"
            )
        if total_label in counts:
            raise ValueError(f"total_label {total_label!r} is also a cell name")

    if policy.exact:
        shown = {name: str(value) for name, value in counts.items()}
    else:
        suppressed = _suppressed_cells(counts, policy)
        shown = {
            name: policy.symbol if name in suppressed else disclose_count(value, policy)
            for name, value in counts.items()
        }
    if total is not None:
        shown[total_label] = disclose_count(total, policy)
    return shown


def _suppressed_cells(counts: Mapping[str, int], policy: DisclosurePolicy) -> set[str]:
    """Primary plus secondary suppression for one row; see :func:`disclose_table`."""
    suppressed = [name for name, value in counts.items() if policy.suppresses(value)]
    while suppressed and (
        len(suppressed) == 1 or _suppressed_values_are_forced(counts, suppressed, policy)
    ):
        candidates = [
            (value, position, name)
            for position, (name, value) in enumerate(counts.items())
            if value > 0 and name not in suppressed
        ]
        if not candidates:
            break
        suppressed.append(min(candidates)[2])
    return set(suppressed)


def _suppressed_values_are_forced(
    counts: Mapping[str, int], suppressed: list[str], policy: DisclosurePolicy
) -> bool:
    """Whether a reader could prove the suppressed cells' values from the shown figures.

    The reader is assumed to know the exact total when it exceeds ``high`` (it may be
    published elsewhere, e.g. a headcount) and otherwise only that it lies in
    ``[low, high]``. A shown count ``s`` tells them the cell lies in its rounding band
    ``[max(high + 1, s - rounding // 2), s - rounding // 2 + rounding - 1]``. Subtracting
    gives a range for the sum of the suppressed cells. Two readers are modelled:

    * an *informed* reader, who knows a ``*`` may be a complementary cell and so reads it
      only as "at least ``low``": a cell is forced when the sum leaves no room above
      ``low`` for each suppressed cell;
    * a *literal* reader, who reads every ``*`` as ``low`` to ``high``: a cell is forced
      when that reading leaves a single possible value and it is the true one (the
      reader may be wrong about another ``*`` and still right about this one).
    """
    total = sum(counts.values())
    total_low, total_high = (total, total) if total > policy.high else (policy.low, policy.high)
    shown_low = shown_high = 0
    for name, value in counts.items():
        if name in suppressed:
            continue
        if value < policy.low:  # shown exactly (0 under the default policy)
            shown_low += value
            shown_high += value
            continue
        band_start = _round_half_up(value, policy.rounding) - policy.rounding // 2
        shown_low += max(policy.high + 1, band_start)
        shown_high += band_start + policy.rounding - 1
    k = len(suppressed)
    sum_low, sum_high = total_low - shown_high, total_high - shown_low
    others = k - 1
    if sum_high - others * policy.low <= policy.low:  # informed reader
        return True
    if max(sum_low, k * policy.low) > min(sum_high, k * policy.high):
        return False  # the literal reading contradicts the figures: it pins nothing
    for name in suppressed:
        least = max(policy.low, sum_low - others * policy.high)
        most = min(policy.high, sum_high - others * policy.low)
        if least == most == counts[name]:  # literal reader
            return True
    return False


@dataclass(frozen=True)
class RelativeLikelihoodView:
    """A relative likelihood as one audience may see it: every field ready to print.

    Attributes:
        focus_numerator: Disclosed focus-group numerator.
        focus_denominator: Disclosed focus-group denominator.
        reference_numerator: Disclosed reference-group numerator.
        reference_denominator: Disclosed reference-group denominator.
        value: The ratio, the policy's symbol, or the not-calculable text.
        ci_low: Lower interval end, the symbol, or the policy's ``missing`` text.
        ci_high: Upper interval end, the symbol, or the policy's ``missing`` text.
        ci: ``"low–high"``, the symbol, or the policy's ``missing`` text.
        suppressed: ``True`` when any of the four counts is in the suppressed range, so
            at least one figure in this view is hidden (a footnote is due).
        reason: Why a figure is hidden or not available, in plain English; ``None`` when
            everything is shown. Never contains a count.
    """

    focus_numerator: str
    focus_denominator: str
    reference_numerator: str
    reference_denominator: str
    value: str
    ci_low: str
    ci_high: str
    ci: str
    suppressed: bool
    reason: str | None


def disclose_relative_likelihood(
    rl: RelativeLikelihood,
    policy: DisclosurePolicy,
    fmt: str = "{:.2f}",
    *,
    not_calculable: str = "not calculable",
) -> RelativeLikelihoodView:
    """Show a relative likelihood, its counts and interval as the policy allows.

    Under a non-exact policy each count is disclosed by :func:`disclose_count`, and the
    ratio and interval are shown as ``symbol`` when any of the four counts is in
    ``[low, high]`` (a ratio built on 1-7 people). A ratio that is not calculable is shown
    as ``not_calculable`` even then: not-calculable follows from zero counts, which the rule
    shows anyway, so saying so reveals nothing, whereas ``*`` would wrongly suggest a
    hidden number.

    The ratio is computed from the exact counts, so it will not always equal the ratio of
    the rounded counts shown beside it.

    Args:
        rl: The relative likelihood from :func:`assurance.stats.relative_likelihood`.
        policy: The audience's policy.
        fmt: ``str.format`` pattern for the ratio and interval ends.
        not_calculable: Text shown when the ratio is not calculable.

    Returns:
        The :class:`RelativeLikelihoodView`.
    """
    counts = (
        rl.focus_numerator,
        rl.focus_denominator,
        rl.reference_numerator,
        rl.reference_denominator,
    )
    suppressed = any(policy.suppresses(c) for c in counts)
    shown_counts = [disclose_count(c, policy) for c in counts]

    if not rl.calculable or rl.value is None:
        value, ci_low, ci_high, ci = not_calculable, policy.missing, policy.missing, policy.missing
        reason = rl.reason
    elif suppressed:
        value = ci_low = ci_high = ci = policy.symbol
        reason = (
            f"suppressed: at least one count is between {policy.low} and {policy.high}, "
            "so the ratio and its interval are not shown to this audience"
        )
    else:
        value = fmt.format(rl.value)
        if rl.ci_low is None or rl.ci_high is None:
            ci_low = ci_high = ci = policy.missing
        else:
            ci_low, ci_high = fmt.format(rl.ci_low), fmt.format(rl.ci_high)
            ci = f"{ci_low}–{ci_high}"
        reason = rl.reason

    return RelativeLikelihoodView(
        focus_numerator=shown_counts[0],
        focus_denominator=shown_counts[1],
        reference_numerator=shown_counts[2],
        reference_denominator=shown_counts[3],
        value=value,
        ci_low=ci_low,
        ci_high=ci_high,
        ci=ci,
        suppressed=suppressed,
        reason=reason,
    )
