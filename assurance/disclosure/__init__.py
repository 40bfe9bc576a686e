"""Disclosure control: what each audience may see of each figure — the one place it is decided.

* :mod:`assurance.disclosure.rule` — NHS Digital's small-number rule for counts, rates and
  tables (primary and complementary suppression), and the audience's policy;
* :mod:`assurance.disclosure.figure` — one figure (value, interval, groups' counts and rates,
  the rule's facts) disclosed to one audience; every renderer shows figures through it.
"""

from assurance.disclosure.rule import (
    EXACT,
    SUPPRESSED,
    DisclosurePolicy,
    RelativeLikelihoodView,
    disclose_count,
    disclose_rate,
    disclose_relative_likelihood,
    disclose_table,
    hidden_note,
    policy_for,
    quotable,
    suppression_note,
)

__all__ = [
    "EXACT",
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
