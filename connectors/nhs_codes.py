"""The codes person-level extracts carry, and what WRES and WDES read them as: shared by the
ESR extract (:mod:`connectors.esr_csv`) and the pay extract (:mod:`connectors.pay_csv`).

* ETHNIC CATEGORY (NHS Data Dictionary): first character A–C White, D–S BME (the WRES
  grouping); ``Z`` (not stated), ``99`` and blank unknown; other codes need
  ``[ethnicity.map]`` (domain.md §1).
* Disability as ESR records it: yes, no, not declared (any case) or blank.
* Snapshot years a WRES/WDES period may name.
"""

from __future__ import annotations

WHITE_FIRST = "ABC"
BME_FIRST = "DEFGHJKLMNPRS"
DISABILITY = {"yes": "disabled", "y": "disabled", "no": "non_disabled", "n": "non_disabled",
              "not declared": "unknown", "prefer not to say": "unknown", "unspecified": "unknown",
              "": "unknown"}
FIRST_YEAR, LAST_YEAR = 1990, 2100
