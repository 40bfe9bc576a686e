"""Person-level recruitment extract → the likelihood of reaching each stage of recruitment.
Nothing personal is kept.

One row per application in the WRES year, with the furthest stage it reached. Aggregated in
DuckDB (:mod:`connectors.person_level`, :mod:`connectors.career_extract`): only counts per
organisation, year, band or division, group and stage leave the database; a file with any
bad row is refused whole, every problem located by row and column without quoting a value.

Columns: the shared ones (``org_code``, ``year_end``, ``ethnic_category``, ``disability``;
optional ``division``, ``band``: see :mod:`connectors.career_extract`) and

* ``furthest_stage`` — ``applied``, ``shortlisted``, ``interviewed``, ``offered`` or
  ``appointed`` (any case): the last stage the application reached. An application that
  reached a stage reached every stage before it.

Figures (catalogue ``career.*``, ``kind: relative_likelihood``), each ``.race`` (groups
white, bme, unknown) and ``.disability`` (disabled, non_disabled, unknown), for the trust
(breakdown ``""``), each band and each division, numerator = reached the later stage,
denominator = reached the earlier one:

* ``career.shortlisting`` — applied → shortlisted;
* ``career.interview`` — shortlisted → interviewed;
* ``career.offer`` — interviewed → offered;
* ``career.appointment`` — offered → appointed;
* ``career.appointed_from_shortlisting`` — shortlisted → appointed (WRES indicator 2 and
  WDES 2, as the trust's own recruitment system gives it).
"""

from __future__ import annotations

from pathlib import Path

from assurance.ingest import ParseContext, Parsed
from connectors.career_extract import Measure, coded, parse_career

STAGES = ("applied", "shortlisted", "interviewed", "offered", "appointed")
STAGE_FORMS = "the furthest stage reached: " + ", ".join(STAGES[:-1]) + " or appointed"
ITEMS = ("stage",)


def _reached(stage: int) -> Measure:
    """Reached ``stage`` (1-based) of those who reached the stage before it."""
    names = ("shortlisting", "interview", "offer", "appointment")
    return Measure(f"career.{names[stage - 2]}", lambda r: int(str(r[0])) >= stage,
                   lambda r: int(str(r[0])) >= stage - 1)


MEASURES = (*(_reached(s) for s in (2, 3, 4, 5)),
            Measure("career.appointed_from_shortlisting", lambda r: int(str(r[0])) >= 5,
                    lambda r: int(str(r[0])) >= 2))
TRANSITIONS = {m.metric: m for m in MEASURES}


class RecruitmentCsv:
    """Source ``recruitment_csv``: one row per application, aggregated into the likelihood
    of reaching each recruitment stage (see the module docstring)."""

    name = "recruitment_csv"
    version = "2"  # 2: ethnic category read by its code, not a first letter of words
    description = ("a person-level recruitment extract CSV, one row per application "
                   "(org_code, year_end, ethnic_category, disability, furthest_stage; optional "
                   "division, band), aggregated on import")

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        ext = coded(ctx, "furthest_stage", "stage",
                    {s: str(i) for i, s in enumerate(STAGES, start=1)}, STAGE_FORMS, ITEMS)
        parsed, _ = parse_career(path, ext, ITEMS, MEASURES, "application")
        return parsed
