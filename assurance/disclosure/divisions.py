"""Which divisions a table may show on their own rows, and which only combined.

A division table (one row per division for one indicator) adds a way to identify people that a
trust-level figure does not have: a small division's figure is built on few people, and even
when its own cell is hidden, the trust's published total minus every other division's row
gives it back (complementary disclosure). So for an audience under the small-number rule
(domain.md §9):

1. **Primary.** A division is combined when any count its figure is built on (each group's
   numerator or denominator) is one the policy suppresses.
2. **Secondary.** If exactly one division would be combined, the "combined" row would be that
   division under another name; the division with the fewest people counted is combined with
   it (ties: the first by division code), as :func:`assurance.disclosure.rule.disclose_table`
   suppresses a second cell.
3. The combined row is one figure computed from the pooled counts, disclosed like any figure:
   if its own counts are still small its value is withheld. When every division is small and
   they are pooled, the table shows only the combined row.

Under an exact policy (a restricted board paper) every division has its own row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assurance.disclosure.rule import DisclosurePolicy, disclose_table


def combined_divisions(counts: Mapping[str, Sequence[int | None]],
                       people: Mapping[str, int], policy: DisclosurePolicy) -> set[str]:
    """The divisions to show only combined.

    Args:
        counts: division → every count its figure is built on (``None`` entries ignored).
        people: division → the number of people its figure counts (for step 2's choice).
        policy: the audience's policy.
    """
    if policy.exact:
        return set()
    small = [d for d, cs in counts.items()
             if any(c is not None and policy.suppresses(c) for c in cs)]
    if len(small) == 1:
        others = [(people.get(d, 0), i, d) for i, d in enumerate(counts) if d not in small]
        if others:
            small.append(min(others)[2])
    return set(small)


def people_texts(people: Mapping[str, int], policy: DisclosurePolicy) -> dict[str, str]:
    """The number of people behind each row of a division table, disclosed as one row of a
    table (:func:`~assurance.disclosure.rule.disclose_table`: small counts suppressed, a second
    one with them so the organisation's headcount cannot give either back, others rounded)."""
    return disclose_table(people, policy)
