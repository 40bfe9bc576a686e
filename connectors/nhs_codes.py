"""The codes person-level extracts carry, and what WRES and WDES read them as: shared by the
ESR extract (:mod:`connectors.esr_csv`) and the pay extract (:mod:`connectors.pay_csv`).

* ETHNIC CATEGORY (NHS Data Dictionary): first character A–C White, D–S BME (the WRES
  grouping); ``Z`` (not stated), ``99`` and blank unknown; other codes, and values that are
  not codes, need ``[ethnicity.map]`` (domain.md §1).
* Disability as ESR records it: yes, no, not declared (any case) or blank.
* Snapshot years a WRES/WDES period may name.
"""

from __future__ import annotations

WHITE_FIRST = "ABC"
BME_FIRST = "DEFGHJKLMNPRS"
ETHNIC_CODE = r"^([A-Z][A-Z0-9]?|99)( |$)"
"""An ETHNIC CATEGORY code at the start of a value (upper-cased): a letter with an optional
second character (``A``, ``C2``, ``LK``) or ``99``, alone or followed by a space and its
description, as ESR exports it (``A White - British``). Group 1 is the code. Written words
(``Black British``, ``Not stated``) are not codes: read by their first letter they would be
counted in the wrong group (B, A and C are White; N and P BME)."""
ETHNIC_FORMS = ("an NHS ETHNIC CATEGORY code (a letter A–S, or Z for not stated, with an optional "
                "second character: A, C2, LK; 99 not known), alone or before its description")
DISABILITY = {"yes": "disabled", "y": "disabled", "no": "non_disabled", "n": "non_disabled",
              "not declared": "unknown", "prefer not to say": "unknown", "unspecified": "unknown",
              "": "unknown"}
FIRST_YEAR, LAST_YEAR = 1990, 2100
