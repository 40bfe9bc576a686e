"""What the four career-stage extracts share: the columns every one has, the counts they take
from DuckDB and how counts become relative-likelihood figures. Nothing personal is kept.

The recruitment (:mod:`connectors.recruitment_csv`), formal cases
(:mod:`connectors.cases_csv`), development (:mod:`connectors.development_csv`) and appraisal
(:mod:`connectors.appraisal_csv`) extracts are person-level files aggregated in DuckDB by
:func:`connectors.person_level.tally`, exactly as the ESR extract is: each declares an
:class:`~connectors.person_level.Extract` of its columns and checks, the file is refused whole
with located problems on any bad row, and only counts leave DuckDB.

Columns every career extract has (header required, names in any case, order free, other
columns never read except to check no field is over the shared field limit):

* ``org_code`` — the organisation (registered), as in ``esr_csv``;
* ``year_end`` — the WRES year the row belongs to: the 31 March date that ends it
  (``2025-03-31``) or the financial year (``2024/25`` or ``2024-25``), both period
  ``wres:2025``; 1990 to 2100;
* ``ethnic_category`` — NHS Data Dictionary ETHNIC CATEGORY code read as ``esr_csv`` reads it
  (A–C White, D–S BME, Z/99/blank unknown; config ``[ethnicity.map]`` first);
* ``disability`` — yes / no / not declared (any case) or blank, as in ``esr_csv``;
* ``division`` (optional) — the division's name, stored as the breakdown
  ``division:<name>`` exactly as ``esr_csv`` writes it (same normalisation and limits);
* ``band`` (optional) — the Agenda for Change band or medical grade as ``esr_csv`` reads it,
  stored as its breakdown (``band:5``, ``vsm``, ``medical:consultant``); blank for none.

Each figure is stored per organisation and period for the trust (breakdown ``""``), each band
and each division, for every group of the characteristic (``white``/``bme``/``unknown``;
``disabled``/``non_disabled``/``unknown``, zeros included) as ``numerator`` (had the outcome)
and ``denominator`` (could have had it). The engine computes the relative likelihood and its
95% confidence interval from those counts (``kind: relative_likelihood``), never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assurance.ingest import ParseContext, Parsed
from assurance.problems import Problem
from connectors.esr_csv import BAND_FORMS, CHECKS, DERIVED, DISABLED, ETHNIC, MAX_DIVISIONS
from connectors.nhs_codes import FIRST_YEAR, LAST_YEAR
from connectors.person_level import Check, Extract, Tally, tally
from connectors.person_sql import (
    CountFigure,
    describe_facts,
    described,
    figure_columns,
    sql_text,
    strip,
)

REQUIRED = ("org_code", "year_end", "ethnic_category", "disability")
OPTIONAL = ("division", "band")
YEAR_FORMS = ("the year end: the 31 March date YYYY-03-31 or the financial year YYYY/YY "
              "(for example 2025-03-31 or 2024/25)")

_SHARED = ("org_code", "ethnic_category", "disability", "band", "division")
_FY = "'[0-9]{4}[-/][0-9]{2}'"
_DATE = "'[0-9]{4}-[0-9]{2}-[0-9]{2}'"

DERIVED_COMMON: tuple[tuple[str, str, str], ...] = (
    *(d for d in DERIVED if d[0] in _SHARED),
    ("year_end", "ye", strip("year_end")),
    ("year_end", "ye_first", "try_cast(substr(ye, 1, 4) AS INTEGER)"),
    ("year_end", "ye_fy", f"regexp_full_match(ye, {_FY})"),
    ("year_end", "ye_date", f"regexp_full_match(ye, {_DATE})"),
    ("year_end", "year", "CASE WHEN ye_fy THEN ye_first + 1 WHEN ye_date THEN ye_first END"),
)
"""The ESR extract's derived values for the shared columns, and the year from ``year_end``."""


def _year_message(facts: Sequence[int]) -> str:
    return f"found {described(facts[0], facts[1])}; expected {YEAR_FORMS}"


CHECKS_COMMON: tuple[Check, ...] = (
    *(c for c in CHECKS if c.column in ("org_code", "ethnic_category", "disability",
                                        "division")),
    Check("year_end", "NOT (ye_fy OR ye_date)", _year_message,
          ("length(ye)", "(ye = '')::INTEGER")),
    Check("year_end", "ye_date AND (try_cast(ye AS DATE) IS NULL OR ye_first = 0)",
          lambda f: f"found an impossible date (the month or day is out of range); expected "
          f"{YEAR_FORMS}"),
    Check("year_end", "ye_date AND substr(ye, 6) <> '03-31'",
          lambda f: "found a date that is not 31 March; expected the 31 March that ends the "
          "WRES year, or the financial year YYYY/YY"),
    Check("year_end", "ye_fy AND try_cast(substr(ye, 6, 2) AS INTEGER) <> (ye_first + 1) % 100",
          lambda f: "found a financial year whose second year does not follow the first; "
          "expected the financial year YYYY/YY, for example 2024/25"),
    Check("year_end", f"year NOT BETWEEN {FIRST_YEAR} AND {LAST_YEAR}",
          lambda f: f"found a year out of range (before {FIRST_YEAR} or after {LAST_YEAR}); "
          f"expected {YEAR_FORMS}"),
    Check("band", "band_text <> '' AND band_key IS NULL",
          lambda f: f"found {described(f[0], f[1])}; expected {BAND_FORMS}, or blank",
          describe_facts("band")),
)
"""The ESR extract's checks for the shared columns; ``year_end``'s; a band may be blank."""


def choice(column: str, name: str, values: dict[str, str]) -> tuple[str, str, str]:
    """A derived value: the column's text (stripped, lower case, runs of space, ``-`` and
    ``_`` as one ``_``) looked up in ``values`` (text → code; NULL when not there)."""
    text = f"regexp_replace(lower({strip(column)}), '[\\s_-]+', '_', 'g')"
    arms = " ".join(f"WHEN {sql_text(k)} THEN {sql_text(v)}" for k, v in values.items())
    return (column, name, f"CASE {text} {arms} END")


def choice_check(column: str, name: str, expected: str) -> Check:
    """The check that a :func:`choice` column holds one of its values (blank fails)."""
    return Check(column, f"{name} IS NULL",
                 lambda f: f"found {described(f[0], f[1])}; expected {expected}",
                 describe_facts(column))


YES_NO = {"yes": "yes", "y": "yes", "true": "yes", "1": "yes",
          "no": "no", "n": "no", "false": "no", "0": "no"}
YES_NO_FORMS = "yes or no (y/n, true/false or 1/0, any case)"


@dataclass(frozen=True)
class Measure:
    """One stored figure: who had the outcome out of whom, by what the row records.

    Attributes:
        metric: the catalogue id before the characteristic (``career.shortlisting``); stored
            as ``<metric>.race`` and ``<metric>.disability``.
        numerator: true for a row's recorded values (the extract's own columns) that count
            as having had the outcome.
        denominator: true for values that count as being able to have it.
    """

    metric: str
    numerator: Callable[[tuple[object, ...]], bool]
    denominator: Callable[[tuple[object, ...]], bool]
    optional: bool = False
    """Stored only when someone in the file could have had the outcome (a denominator)."""


CHARACTERISTICS = (("ethnic", "race", ETHNIC), ("disabled", "disability", DISABLED))
"""(derived column, metric suffix, groups)."""
BREAKDOWNS = ("band_key", "division_name")


def key_sets(items: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """What :func:`tally` counts: for the trust, per band and per division, per group, per
    recorded values (DuckDB sums the trust's rows, blank bands and divisions included)."""
    return tuple(("org", "year", *by, c, *items) for by in ((), *((b,) for b in BREAKDOWNS))
                 for c, _, _ in CHARACTERISTICS)


def extract(ctx: ParseContext, *, required: Sequence[str] = (), optional: Sequence[str] = (),
            derived: Sequence[tuple[str, str, str]] = (), checks: Sequence[Check] = (),
            items: Sequence[str] = ()) -> Extract:
    """The :class:`~connectors.person_level.Extract` of a career file: the shared columns and
    checks, then the extract's own."""
    mapping = {k.upper(): v for k, v in ctx.ethnicity_map.items()}
    return Extract(
        required=(*REQUIRED, *required), optional=(*OPTIONAL, *optional),
        derived=(*DERIVED_COMMON, *derived), checks=(*CHECKS_COMMON, *checks),
        counts=key_sets(items),
        tables={"known_org": (("code",), [(c,) for c in sorted(ctx.known_orgs)]),
                "ethnic_map": (("code", "grp"), sorted(mapping.items()))})


def coded(ctx: ParseContext, column: str, name: str, values: dict[str, str], expected: str,
          items: Sequence[str]) -> Extract:
    """The :class:`~connectors.person_level.Extract` of a career file whose own column is one
    code (``column`` read as ``name`` by :func:`choice` from ``values``; blank fails)."""
    return extract(ctx, required=(column,), derived=(choice(column, name, values),),
                   checks=(choice_check(column, name, expected),), items=items)


Key = tuple[str, int, str, str]  # org, year, breakdown, group


def figures(result: Tally, items: Sequence[str], measures: Sequence[Measure]
            ) -> dict[tuple[str, str], dict[Key, tuple[int, int]]]:
    """(metric id, characteristic suffix) → (org, year, breakdown, group) → (numerator,
    denominator), for the trust, each band and each division."""
    out: dict[tuple[str, str], dict[Key, tuple[int, int]]] = {}
    # Each distinct set of recorded values is judged by the measures once (a national file
    # has a handful of them against a hundred thousand counted rows).
    judged: dict[tuple[object, ...], list[tuple[int, bool, bool]]] = {}
    for ks in key_sets(items):
        by = ks[2] if ks[2] in BREAKDOWNS else ""
        at = 3 if by else 2  # where the group is; the recorded values follow it
        suffix = next(s for c, s, _ in CHARACTERISTICS if c == ks[at])
        cells = [out.setdefault((m.metric, suffix), {}) for m in measures]
        for values, n in result.counts[ks]:
            bd = values[2] if by else ""
            if bd is None:
                continue  # no band or division: in the trust's figure only
            scope = f"division:{bd}" if by == "division_name" else str(bd)
            key = (str(values[0]), int(str(values[1])), scope, str(values[at]))
            rec = tuple(values[at + 1:])
            marks = judged.get(rec)
            if marks is None:
                marks = judged[rec] = [(i, m.numerator(rec), m.denominator(rec))
                                       for i, m in enumerate(measures)]
            count = int(n)
            for i, num, den in marks:
                cell = cells[i]
                a, b = cell.get(key, (0, 0))
                cell[key] = (a + count * num, b + count * den)
    return out


def observations(counted: dict[tuple[str, str], dict[Key, tuple[int, int]]],
                 measures: Sequence[Measure] = ()) -> list[CountFigure]:
    """Every figure: each group of the characteristic in every scope present (zeros
    included), in a stable order; an optional measure nobody could have had is left out."""
    out: list[CountFigure] = []
    optional = {m.metric for m in measures if m.optional}
    for (metric, suffix), cell in sorted(counted.items()):
        if metric in optional and not any(den for _, den in cell.values()):
            continue
        groups = next(g for _, s, g in CHARACTERISTICS if s == suffix)
        name = f"{metric}.{suffix}"
        for org, year, scope in sorted({k[:3] for k in cell}):
            period = f"wres:{year}"
            for g in groups:
                num, den = cell.get((org, year, scope, g), (0, 0))
                out.append((org, period, name, g, scope, num, den))
    return out


def crowded(where: str, result: Tally) -> Problem | None:
    """The problem when an organisation has more divisions than ``esr_csv`` allows."""
    divisions: dict[object, set[object]] = {}
    for ks, rows in result.counts.items():
        if ks[2] == "division_name":
            for values, _ in rows:
                if values[2] is not None:
                    divisions.setdefault(values[0], set()).add(values[2])
    orgs = sum(1 for names in divisions.values() if len(names) > MAX_DIVISIONS)
    if not orgs:
        return None
    return Problem(where, f"found more than {MAX_DIVISIONS} different divisions for {orgs} "
                   f"organisation(s); expected at most {MAX_DIVISIONS} divisions each (a "
                   "division is a trust's top-level management unit)")


def parse_career(path: Path, ext: Extract, items: Sequence[str], measures: Sequence[Measure],
                 what: str) -> tuple[Parsed, dict[tuple[str, str], dict[Key, tuple[int, int]]]]:
    """Tally ``path`` and turn the counts into figures; problems refuse the whole file.

    Returns the parsed batch (observations filled in when there is no problem) and the
    counts behind it, for an extract's own consistency checks.
    """
    out = Parsed()
    result = tally(path, ext)
    out.problems.extend(result.problems)
    if out.problems:
        return out, {}
    out.rows_read = result.rows
    problem = crowded(str(path), result)
    if problem is not None:
        out.problems.append(problem)
        return out, {}
    counted = figures(result, items, measures)
    out.figures = figure_columns(observations(counted, measures))
    out.note = (f"aggregated {out.rows_read:,} person-level {what} rows; no person-level "
                "data kept")
    return out, counted
