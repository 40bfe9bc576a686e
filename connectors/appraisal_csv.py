"""Person-level appraisal extract → the likelihood of a completed appraisal and of a low
rating. Nothing personal is kept.

One row per member of staff in the appraisal year's headcount, with the appraisal's outcome,
so the denominator is in the same file. Aggregated in DuckDB
(:mod:`connectors.person_level`, :mod:`connectors.career_extract`): only counts leave the
database; a file with any bad row is refused whole, every problem located by row and column
without quoting a value.

Columns: the shared ones (``org_code``, ``year_end``, ``ethnic_category``, ``disability``;
optional ``division``, ``band``) and

* ``appraisal`` — ``completed`` or ``not_completed`` (any case; ``not completed`` too);
* ``rating`` (optional) — the appraisal's overall rating as ``high``, ``medium`` or ``low``
  (any case; map a trust's own scale onto these three before export), blank when not
  rated.

Figures (catalogue ``career.*``, ``kind: relative_likelihood``), each ``.race`` and
``.disability``, for the trust, each band and each division: ``career.appraisal``
(numerator: completed; denominator: every member of staff) and, with the ``rating`` column,
``career.appraisal_low_rating`` (numerator: rated low; denominator: rated).
"""

from __future__ import annotations

from pathlib import Path

from assurance.ingest import ParseContext, Parsed
from connectors.career_extract import Measure, choice, choice_check, extract, parse_career
from connectors.person_level import Check
from connectors.person_sql import describe_facts, described, strip

OUTCOMES = {"completed": "completed", "not_completed": "not_completed"}
RATINGS = {"high": "high", "medium": "medium", "low": "low"}
ITEMS = ("outcome", "rated")

MEASURES = (
    Measure("career.appraisal", lambda r: r[0] == "completed", lambda r: True),
    Measure("career.appraisal_low_rating", lambda r: r[1] == "low",
            lambda r: r[1] in RATINGS, optional=True),
)


class AppraisalCsv:
    """Source ``appraisal_csv``: one row per member of staff with the appraisal outcome,
    aggregated into likelihoods (see the module docstring)."""

    name = "appraisal_csv"
    version = "2"  # 2: ethnic category read by its code, not a first letter of words
    description = ("a person-level appraisal extract CSV, one row per member of staff "
                   "(org_code, year_end, ethnic_category, disability, appraisal: completed or "
                   "not_completed; optional rating, division, band), aggregated on import")

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        rating = choice("rating", "rated", RATINGS)[2]
        ext = extract(
            ctx, required=("appraisal",), optional=("rating",),
            derived=(choice("appraisal", "outcome", OUTCOMES),
                     ("rating", "rated", f"CASE WHEN {strip('rating')} = '' THEN '' "
                      f"ELSE ({rating}) END")),
            checks=(choice_check("appraisal", "outcome", "completed or not_completed"),
                    Check("rating", "rated IS NULL",
                          lambda f: f"found {described(f[0], f[1])}; expected high, medium "
                          "or low, or blank when not rated", describe_facts("rating"))),
            items=ITEMS)
        # No rating column, or no one rated: no rating figure rather than empty ones.
        parsed, _ = parse_career(path, ext, ITEMS, MEASURES, "staff")
        return parsed
