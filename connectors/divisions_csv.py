"""Division register CSV: ``org_code,division,department,owner``.

One row per division (``department`` blank) and one per department (``department`` set, in the
division its ``division`` cell names, which needs its own row). ``owner`` is the accountable
**role** ("Divisional Director, Surgery"), at most 120 characters; a division without one is
accepted and listed by ``assurance divisions list`` as having no owner. Division and
department names are what the figures are keyed on (``division:<code>``, the name in lower
case with anything but a-z and 0-9 as ``_``: :func:`assurance.divisions.division_code`), so
they must be spelt as in the person-level extracts, at most 55 characters of code. Text a
spreadsheet would run as a formula, control characters and multi-line cells are refused.
"""

from __future__ import annotations

from pathlib import Path

from assurance.divisions import MAX_CODE, DivisionRow, division_code
from assurance.problems import Problem
from assurance.safeinput import LIMITS, InputError, check_ods_code, check_text
from connectors.tabular import read_csv

REQUIRED = ("org_code", "division")
OPTIONAL = ("department", "owner")
MAX_OWNER = 120


def _name(cells: dict[str, str], column: str, line: int, where: str,
          problems: list[Problem]) -> str | None:
    value = cells.get(column, "")
    try:
        check_text(value, expected=f"a {column} name on one line",
                   max_chars=LIMITS.max_name_chars, formula=True)
    except InputError as exc:
        problems.append(Problem(where, str(exc), line, column))
        return None
    code = division_code(value)
    if value and not code:
        problems.append(Problem(where, f"{value!r} has no letters or digits; expected a "
                                f"{column} name", line, column))
        return None
    if len(code) > MAX_CODE:
        problems.append(Problem(where, f"{len(code)} characters once keyed; expected at most "
                                f"{MAX_CODE} (the figures' breakdown division:<name> must fit "
                                "the store): shorten the name", line, column))
        return None
    return value


def read_divisions(path: Path) -> tuple[list[DivisionRow], list[Problem], int]:
    """The register's rows, every problem located (file, row, column), and rows read."""
    where = str(path)
    problems: list[Problem] = []
    rows: list[DivisionRow] = []
    read = 0
    for line, cells in read_csv(path, REQUIRED, OPTIONAL, problems):
        read += 1
        try:
            org = check_ods_code(cells["org_code"])
        except InputError as exc:
            problems.append(Problem(where, str(exc), line, "org_code"))
            continue
        division = _name(cells, "division", line, where, problems)
        department = _name(cells, "department", line, where, problems)
        owner = cells.get("owner", "")
        try:
            check_text(owner, expected="a role on one line, e.g. Divisional Director",
                       max_chars=MAX_OWNER, formula=True)
        except InputError as exc:
            problems.append(Problem(where, str(exc), line, "owner"))
            continue
        if division is None or department is None:
            continue
        if not division:
            problems.append(Problem(where, "empty; expected the division's name", line,
                                    "division"))
            continue
        if department:
            rows.append(DivisionRow(org, department, "department", division_code(division),
                                    owner or None, line))
        else:
            rows.append(DivisionRow(org, division, "division", None, owner or None, line))
    if not read and not problems:
        problems.append(Problem(where, "no data rows found; expected one row per division: "
                                "org_code, division, department, owner"))
    return rows, problems, read
