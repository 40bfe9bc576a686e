"""Person-level formal cases extract → the likelihood of entering each formal process.
Nothing personal is kept.

The WRES 3 / WDES 3 denominator is the workforce headcount, and a likelihood per division or
band needs the headcount of that division or band by group. The simplest correct design is
one file holding both, told apart by ``case_type``:

* one ``staff`` row for **every member of staff** in the year's headcount (whether or not
  they had a case), with their ethnic category, disability, division and band;
* one row per person per formal case **entered in the year**, ``case_type`` naming the
  process, with the same columns.

So a division's figure is read against that division's own headcount, taken from the same
extract at the same time, and the file stands alone (no dependence on an ESR import having
been made first, or on its divisions matching). A second file would need two paths per
import and could be imported half; reading the stored ``wres.1`` head counts would tie the
figure to whatever ESR extract was imported last.

Aggregated in DuckDB (:mod:`connectors.person_level`, :mod:`connectors.career_extract`):
only counts leave the database; a file with any bad row is refused whole, every problem
located by row and column without quoting a value.

Columns: the shared ones (``org_code``, ``year_end``, ``ethnic_category``, ``disability``;
optional ``division``, ``band``) and

* ``case_type`` — ``staff`` (a headcount row), or the formal process entered:
  ``disciplinary``, ``capability`` (performance capability, not ill health: WDES 3),
  ``grievance`` (the person raised a formal grievance) or ``bullying_harassment`` (a formal
  bullying or harassment case about the person), any case, spaces or hyphens for ``_``.

List a person once per process they entered in the year (WRES counts staff entering, not
cases). A group with more people entering a process than staff rows in some breakdown is
refused (the headcount rows are missing or the wrong people are counted).

Figures (catalogue ``career.*``, ``kind: relative_likelihood``), each ``.race`` and
``.disability``, for the trust, each band and each division: ``career.disciplinary``,
``career.capability``, ``career.grievance`` and ``career.bullying_harassment``, numerator =
rows of that case type, denominator = staff rows.
"""

from __future__ import annotations

from pathlib import Path

from assurance.ingest import ParseContext, Parsed
from assurance.problems import Problem
from connectors.career_extract import Key, Measure, coded, parse_career

CASE_TYPES = ("disciplinary", "capability", "grievance", "bullying_harassment")
CASE_FORMS = ("staff (a headcount row) or a formal case type: disciplinary, capability, "
              "grievance or bullying_harassment")
ITEMS = ("case_kind",)


def _case(kind: str) -> Measure:
    return Measure(f"career.{kind}", lambda r: r[0] == kind, lambda r: r[0] == "staff")


MEASURES = tuple(_case(k) for k in CASE_TYPES)


class CasesCsv:
    """Source ``cases_csv``: staff rows and formal case rows, aggregated into the likelihood
    of entering each formal process (see the module docstring)."""

    name = "cases_csv"
    version = "2"  # 2: ethnic category read by its code, not a first letter of words
    description = ("a person-level formal cases extract CSV (org_code, year_end, "
                   "ethnic_category, disability, case_type: a staff row per member of staff "
                   "and a row per formal case; optional division, band), aggregated on import")

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        ext = coded(ctx, "case_type", "case_kind", {k: k for k in ("staff", *CASE_TYPES)},
                    CASE_FORMS, ITEMS)
        parsed, counted = parse_career(path, ext, ITEMS, MEASURES, "staff and case")
        problems = _more_cases_than_staff(str(path), counted)
        if problems:
            parsed.problems.extend(problems)
            parsed.figures = None
        return parsed


def _more_cases_than_staff(where: str, counted: dict[tuple[str, str], dict[Key, tuple[int, int]]]
                           ) -> list[Problem]:
    """One problem per case type and group with more people entering it than staff rows in
    some scope; it names the organisation code, year and how many scopes, never a count."""
    out = []
    for (metric, _), cell in sorted(counted.items()):
        over: dict[tuple[str, int, str], int] = {}
        for (org, year, _, group), (num, den) in cell.items():
            if num > den:
                over[(org, year, group)] = over.get((org, year, group), 0) + 1
        for (org, year, group), scopes in sorted(over.items()):
            out.append(Problem(where, f"found more {metric.removeprefix('career.')} case rows "
                               f"than staff rows for the {group} group of {org} in {year} "
                               f"(in {scopes} of the trust, band and division breakdowns); "
                               "expected one staff row for every member of staff, beside "
                               "their case rows"))
    return out
