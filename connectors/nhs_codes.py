"""The codes person-level extracts carry, and what WRES and WDES read them as: shared by the
ESR extract (:mod:`connectors.esr_csv`) and the pay extract (:mod:`connectors.pay_csv`).

* ETHNIC CATEGORY (NHS Data Dictionary): first character A–C White, D–S BME (the WRES
  grouping); ``Z`` (not stated), ``99`` and blank unknown; other codes, and values that are
  not codes, need ``[ethnicity.map]`` (domain.md §1).
* Disability as ESR records it: yes, no, not declared (any case) or blank.
* Snapshot years a WRES/WDES period may name.
"""

from __future__ import annotations

import re

from assurance.periods import FIRST_YEAR as FIRST_YEAR
from assurance.periods import LAST_YEAR as LAST_YEAR

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


def ethnic_key(value: str) -> str:
    """The ETHNIC CATEGORY code a value starts with (:data:`ETHNIC_CODE`), upper-cased; ""
    when it holds none. The SQL the DuckDB importers run reads the same pattern."""
    m = re.match(ETHNIC_CODE, value.strip().upper())
    return m.group(1) if m else ""


def wres_ethnic_group(value: str) -> str | None:
    """The WRES group of a value by its code: ``white``, ``bme``, ``unknown`` (blank, Z,
    99); None when it is not a code the grouping knows (config must map it)."""
    key = ethnic_key(value)
    if not value.strip() or key in ("Z", "99"):
        return "unknown"
    return ("white" if key[:1] and key[0] in WHITE_FIRST
            else "bme" if key[:1] and key[0] in BME_FIRST else None)
