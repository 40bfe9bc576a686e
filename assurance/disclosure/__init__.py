"""Disclosure control: what each audience may see of each figure — the one place it is decided.

* :mod:`assurance.disclosure.rule` — NHS Digital's small-number rule for counts, rates and
  tables (primary and complementary suppression), and the audience's policy;
* :mod:`assurance.disclosure.figure` — one figure (value, interval, groups' counts and rates,
  the rule's facts) disclosed to one audience; every renderer shows figures through it.
"""

from assurance.disclosure import rule
from assurance.disclosure.rule import *  # noqa: F403  (the rule's public names, listed once)

__all__ = list(rule.__all__)
