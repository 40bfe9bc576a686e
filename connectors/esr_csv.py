"""Person-level ESR-style workforce extract → WRES 1 / WDES 1 head counts. Nothing personal is kept.

Ethnicity and disability are special-category data (UK GDPR Art. 9). The extract is read and
aggregated by DuckDB in-process (:mod:`connectors.person_level`): the rows are grouped,
checked and counted in SQL, and only counts per organisation, year, band (or division) and
group come back; no person-level value is stored or echoed in any message (errors name the
row and column and describe the problem, never the person). Other columns (staff numbers,
names …) are never read, except to check that no field is over the shared field limit.

No value from the file appears in any message: not the bad value ("found a 9-character
text", "found an impossible date", "found a date out of range"), not the organisation code,
and not the first row when it names none of the required columns (a file without a header
row starts with a person). Only column names of a recognised header are quoted. The file is
checked to be UTF-8 text first (:func:`assurance.safeinput.scan_text`, streamed); every read
field is at most ``MAX_FIELD`` characters without control characters; problems are capped at
``MAX_PROBLEMS`` with a count of the rest; one bad row refuses the whole file.

Columns (header required, order free; extra columns ignored):

* ``org_code`` — the employing organisation (registered);
* ``snapshot_date`` — the 31 March snapshot, ``YYYY-03-31`` in ASCII digits, 1990 to 2100;
* ``band`` — ``Band 5``/``5``/``8c``/``VSM``/``Consultant``/``Career grade``/``Trainee``;
* ``ethnic_category`` — NHS Data Dictionary ETHNIC CATEGORY code: first character A–C →
  White; D–S → BME; Z (not stated), 99 or blank → unknown. Codes in config
  ``[ethnicity.map]`` take precedence (census-2021 style codes have no published WRES
  mapping: domain.md §1);
* ``disability`` — ``Yes`` / ``No`` / ``Not declared`` / blank;
* ``division`` (optional) — the division the person works in. Each division's head counts
  are stored beside the bands under the breakdown ``division:<name>``, the name in lower case
  with runs of anything but a-z and 0-9 as ``_`` (as the pay extract stores it, so one
  division's figures meet), at most ``MAX_DIVISION`` characters so that the breakdown fits
  the store; a blank division counts in the trust's figures only. Bands and ``overall`` are
  unchanged by it (no figure sums every breakdown);
* ``department``, ``occupation`` (optional) — read and checked like every read field (at
  most ``MAX_FIELD`` characters, no control characters) but **not yet stored**: departments
  need the division hierarchy in the register and occupations a mapping to the WRES
  clinical / non-clinical split (issue 14, items 2–3).

Memory is bounded by the number of distinct combinations of those values, not by the number
of staff, so a national extract of 1.4 million rows is aggregated in DuckDB's memory limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assurance.ingest import ParseContext, Parsed
from assurance.problems import Problem
from assurance.safeinput import ODS_FORM
from connectors.nhs_codes import (
    BME_FIRST,
    DISABILITY,
    ETHNIC_CODE,
    ETHNIC_FORMS,
    FIRST_YEAR,
    LAST_YEAR,
    WHITE_FIRST,
)
from connectors.person_level import MAX_FIELD, MAX_PROBLEMS, Check, Extract, tally
from connectors.person_sql import (
    CountFigure,
    collapse,
    describe_facts,
    described,
    figure_columns,
    sql_text,
    strip,
)

__all__ = ["MAX_DIVISION", "MAX_DIVISIONS", "MAX_FIELD", "MAX_PROBLEMS", "REQUIRED", "EsrCsv"]

REQUIRED = ("org_code", "snapshot_date", "band", "ethnic_category", "disability")
OPTIONAL = ("division", "department", "occupation")
MAX_DIVISION = 64 - len("division:")
"""The longest division name: the breakdown ``division:<name>`` fits the store's 64."""
MAX_DIVISIONS = 200
"""Divisions per organisation: a trust has a handful; hundreds are departments."""

BANDS = {"vsm": "vsm", "very senior manager": "vsm", "consultant": "medical:consultant",
         "medical consultant": "medical:consultant",
         "career grade": "medical:non_consultant_career",
         "non-consultant career grade": "medical:non_consultant_career",
         "trainee": "medical:trainee", "trainee grade": "medical:trainee"}
BAND_RE = r"(?:afc\s+)?(?:band\s*)?([1-9]|8[a-d])"
BAND_FORMS = ("a pay band: an Agenda for Change band number 1 to 9 or 8a to 8d (optionally "
              "preceded by 'band'), very senior manager, or a medical grade (consultant, "
              "career grade, trainee)")
ETHNIC = ("white", "bme", "unknown")
DISABLED = ("disabled", "non_disabled", "unknown")


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(sql_text(v) for v in values) + ")"


def _case(column: str, mapping: dict[str, str]) -> str:
    by_key: dict[str, list[str]] = {}
    for text, key in mapping.items():
        by_key.setdefault(key, []).append(text)
    arms = " ".join(f"WHEN {column} IN {_in(texts)} THEN {sql_text(key)}"
                    for key, texts in by_key.items())
    return f"CASE {arms} END"


_BAND = (f"CASE WHEN band_text IN {_in(list(BANDS))} THEN {_case('band_text', BANDS)} "
         f"WHEN regexp_full_match(band_text, {sql_text(BAND_RE)}) THEN 'band:' || "
         f"regexp_extract(band_text, {sql_text('^' + BAND_RE + '$')}, 1) END")
_ETHNIC = ("coalesce((SELECT m.grp FROM ethnic_map m WHERE m.code = eth_code), "
           "CASE WHEN eth_code = '' OR eth_key IN ('Z', '99') THEN 'unknown' "
           f"WHEN left(eth_key, 1) IN {_in(list(WHITE_FIRST))} THEN 'white' "
           f"WHEN left(eth_key, 1) IN {_in(list(BME_FIRST))} THEN 'bme' END)")

DERIVED = (
    ("org_code", "org", f"upper({strip('org_code')})"),
    ("snapshot_date", "snap", strip("snapshot_date")),
    ("snapshot_date", "year", "try_cast(substr(snap, 1, 4) AS INTEGER)"),
    ("band", "band_text", f"lower({collapse('band')})"),
    ("band", "band_key", _BAND),
    ("ethnic_category", "eth_code", f"upper({strip('ethnic_category')})"),
    ("ethnic_category", "eth_key", f"regexp_extract(eth_code, {sql_text(ETHNIC_CODE)}, 1)"),
    ("ethnic_category", "ethnic", _ETHNIC),
    ("disability", "disabled", _case(f"lower({strip('disability')})", DISABILITY)),
    ("division", "division_text", f"lower({strip('division')})"),
    ("division", "division_body", "CASE WHEN starts_with(division_text, 'division:') "
                                  "THEN substr(division_text, 10) ELSE division_text END"),
    ("division", "division_slug",
     "trim(regexp_replace(division_body, '[^a-z0-9]+', '_', 'g'), '_')"),
    ("division", "division_name", "nullif(division_slug, '')"),
)


def _formula_org(facts: Sequence[int]) -> str:
    return (f"found {described(facts[0], 0)}, which looks like a spreadsheet formula (it "
            f"starts with {chr(facts[1])!r}); expected {ODS_FORM}")


CHECKS = (
    Check("org_code", "org = ''", lambda f: f"blank; expected {ODS_FORM}"),
    Check("org_code", "left(org, 1) IN ('=', '+', '-', '@')", _formula_org,
          ("length(org_code)", "unicode(org)")),
    Check("org_code", "NOT regexp_full_match(org, '[A-Z0-9]{3,10}')",
          lambda f: f"found {described(f[0], 0)}; expected {ODS_FORM}", ("length(org_code)",)),
    Check("org_code", "org NOT IN (SELECT code FROM known_org)",
          lambda f: f"found an organisation code of {f[0]} characters that is not registered; "
          "expected a registered organisation (assurance orgs import)", ("length(org)",)),
    Check("snapshot_date", "NOT regexp_full_match(snap, '[0-9]{4}-[0-9]{2}-[0-9]{2}')",
          lambda f: f"found {described(f[0], f[1])}; expected the snapshot date written "
          "YYYY-MM-DD", ("length(snap)", "(snap = '')::INTEGER")),
    Check("snapshot_date", "try_cast(snap AS DATE) IS NULL OR year = 0",
          lambda f: "found an impossible date (the month or day is out of range); expected "
          "the snapshot date written YYYY-MM-DD"),
    Check("snapshot_date", f"year NOT BETWEEN {FIRST_YEAR} AND {LAST_YEAR}",
          lambda f: f"found a date out of range (a year before {FIRST_YEAR} or after "
          f"{LAST_YEAR}); expected a 31 March snapshot from {FIRST_YEAR} to {LAST_YEAR}"),
    Check("snapshot_date", "substr(snap, 6) <> '03-31'",
          lambda f: "found a date that is not 31 March; expected the 31 March snapshot date"),
    Check("band", "band_key IS NULL",
          lambda f: f"found {described(f[0], f[1])}; expected {BAND_FORMS}",
          describe_facts("band")),
    Check("ethnic_category", "ethnic IS NULL",
          lambda f: f"found a value with no WRES group; expected {ETHNIC_FORMS}, or the value "
          "mapped in [ethnicity.map] in config.toml"),
    Check("disability", "disabled IS NULL",
          lambda f: f"found {described(f[0], f[1])}; expected yes, no or not declared (any "
          "case), or blank", describe_facts("disability")),
    Check("division", "division_text <> '' AND division_slug = ''",
          lambda f: "found a division name without letters or digits; expected a division's "
          "name, or blank for none"),
    Check("division", f"length(division_name) > {MAX_DIVISION}",
          lambda f: f"found a division name of {f[0]:,} letters, digits and separators; "
          f"expected at most {MAX_DIVISION} (it is stored as the breakdown "
          "'division:<name>')",
          ("length(division_name)",)),
)

BY_BAND_ETHNIC = ("org", "year", "band_key", "ethnic")
BY_BAND_DISABLED = ("org", "year", "band_key", "disabled")
BY_DIVISION_ETHNIC = ("org", "year", "division_name", "ethnic")
BY_DIVISION_DISABLED = ("org", "year", "division_name", "disabled")


class EsrCsv:
    """Source ``esr_csv``: aggregates an ESR-style extract into head counts in DuckDB (see the
    module docstring).

    Problems are capped at ``MAX_PROBLEMS`` with a count of the rest, so a wholly wrong national
    extract gives a readable report rather than a million lines.
    """

    name = "esr_csv"
    version = "3"  # 3: ethnic category read by its code, not a first letter of words
    description = ("a person-level ESR-style extract CSV (org_code, snapshot_date, band, "
                   "ethnic_category, disability; optional division, department, occupation), "
                   "aggregated on import")

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed()
        mapping = {k.upper(): v for k, v in ctx.ethnicity_map.items()}
        extract = Extract(
            required=REQUIRED, optional=OPTIONAL, derived=DERIVED,
            checks=CHECKS,
            counts=(BY_BAND_ETHNIC, BY_BAND_DISABLED, BY_DIVISION_ETHNIC, BY_DIVISION_DISABLED),
            tables={"known_org": (("code",), [(c,) for c in sorted(ctx.known_orgs)]),
                    "ethnic_map": (("code", "grp"), sorted(mapping.items()))},
            checked=("department", "occupation"))
        result = tally(path, extract)
        out.problems.extend(result.problems)
        if out.problems:
            return out
        out.rows_read = result.rows
        divisions: dict[object, set[object]] = {}
        for (org, _, division, _), _ in result.counts[BY_DIVISION_ETHNIC]:
            if division is not None:
                divisions.setdefault(org, set()).add(division)
        crowded = sum(1 for names in divisions.values() if len(names) > MAX_DIVISIONS)
        if crowded:
            out.problems.append(_crowded(str(path), crowded))
            return out
        out.figures = figure_columns([
            *_rows("wres.1", result.counts[BY_BAND_ETHNIC], ETHNIC),
            *_division_rows("wres.1", result.counts[BY_DIVISION_ETHNIC], ETHNIC),
            *_rows("wdes.1", result.counts[BY_BAND_DISABLED], DISABLED),
            *_division_rows("wdes.1", result.counts[BY_DIVISION_DISABLED], DISABLED)])
        out.note = f"aggregated {out.rows_read:,} person-level rows; no person-level data kept"
        return out


def _crowded(where: str, orgs: int) -> Problem:
    return Problem(where, f"found more than {MAX_DIVISIONS} different divisions for {orgs} "
                   f"organisation(s); expected at most {MAX_DIVISIONS} divisions each (a "
                   "division is a trust's top-level management unit: departments go in the "
                   "department column)")


Counts = list[tuple[tuple[object, ...], int]]


def _by_scope(counts: Counts) -> dict[tuple[str, int, str], dict[str, int]]:
    """(org, year, band or division) → group → head count, leaving out rows without one."""
    out: dict[tuple[str, int, str], dict[str, int]] = {}
    for (org, year, key, group), n in counts:
        if key is not None:
            cell = out.setdefault((str(org), int(str(year)), str(key)), {})
            cell[str(group)] = cell.get(str(group), 0) + int(n)
    return out


def _rows(metric: str, tallied: Counts, groups: tuple[str, ...]) -> list[CountFigure]:
    """Head counts per band and overall, every group present (zeros included)."""
    bands = _by_scope(tallied)
    trusts: dict[tuple[str, int], list[str]] = {}
    for org, year, band in sorted(bands):
        trusts.setdefault((org, year), []).append(band)
    out = []
    for (org, year), present in trusts.items():
        period = f"wres:{year}"
        overall = dict.fromkeys(groups, 0)
        for band in present:
            cell = bands[(org, year, band)]
            total = sum(cell.get(g, 0) for g in groups)
            for g in groups:
                n = cell.get(g, 0)
                overall[g] += n
                out.append((org, period, metric, g, band, n, total))
        total = sum(overall.values())
        out.extend((org, period, metric, g, "overall", n, total) for g, n in overall.items())
    return out


def _division_rows(metric: str, tallied: Counts, groups: tuple[str, ...]
                   ) -> list[CountFigure]:
    """Head counts per division (breakdown ``division:<name>``), every group present."""
    out: list[CountFigure] = []
    divisions = _by_scope(tallied)
    for (org, year, division), cell in sorted(divisions.items()):
        total = sum(cell.get(g, 0) for g in groups)
        out.extend((org, f"wres:{year}", metric, g, f"division:{division}", cell.get(g, 0),
                    total) for g in groups)
    return out
