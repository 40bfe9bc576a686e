"""Person-level development extract → the likelihood of accessing non-mandatory training and
stretch opportunities. Nothing personal is kept.

One row per member of staff in the year's headcount, with a yes/no flag per opportunity
accessed in the year, so the denominator (the headcount) is in the same file. Aggregated in
DuckDB (:mod:`connectors.person_level`, :mod:`connectors.career_extract`): only counts leave
the database; a file with any bad row is refused whole, every problem located by row and
column without quoting a value.

Columns: the shared ones (``org_code``, ``year_end``, ``ethnic_category``, ``disability``;
optional ``division``, ``band``) and **at least one** of these flags, each ``yes`` or ``no``
(``y``/``n``, ``true``/``false``, ``1``/``0``, any case; blank is refused, since it cannot be
told from "not recorded"):

* ``training`` — accessed non-mandatory training or CPD (WRES 4);
* ``acting_up`` — acted up into a higher role;
* ``secondment`` — went on a secondment;
* ``talent_pool`` — was in a talent pool or talent programme.

Figures (catalogue ``career.*``, ``kind: relative_likelihood``), each ``.race`` and
``.disability``, for the trust, each band and each division, for each flag present:
``career.training``, ``career.acting_up``, ``career.secondment``, ``career.talent_pool``, and
``career.stretch`` (any of the stretch flags present is yes) when one of them is present.
Numerator: staff with the flag yes; denominator: every member of staff in the file.
"""

from __future__ import annotations

from pathlib import Path

from assurance.ingest import ParseContext, Parsed
from assurance.problems import Problem
from assurance.safeinput import open_regular
from connectors.career_extract import (
    REQUIRED,
    YES_NO,
    YES_NO_FORMS,
    Measure,
    choice,
    choice_check,
    extract,
    parse_career,
)
from connectors.person_level import read_header

FLAGS = ("training", "acting_up", "secondment", "talent_pool")
STRETCH = ("acting_up", "secondment", "talent_pool")


def _flag(i: int, column: str) -> Measure:
    return Measure(f"career.{column}", lambda r: r[i] == "yes", lambda r: True)


def _stretch(at: list[int]) -> Measure:
    return Measure("career.stretch", lambda r: any(r[i] == "yes" for i in at), lambda r: True)


class DevelopmentCsv:
    """Source ``development_csv``: one row per member of staff with a flag per opportunity,
    aggregated into the likelihood of accessing each (see the module docstring)."""

    name = "development_csv"
    version = "2"  # 2: ethnic category read by its code, not a first letter of words
    description = ("a person-level development extract CSV, one row per member of staff "
                   "(org_code, year_end, ethnic_category, disability and at least one of "
                   "training, acting_up, secondment, talent_pool as yes/no; optional division, "
                   "band), aggregated on import")

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        flags = _flags(path)
        if flags == ():
            out = Parsed()
            out.problems.append(Problem(str(path), "no opportunity column; expected at least "
                                        "one of " + ", ".join(FLAGS) + " in the header row "
                                        "beside " + ", ".join(REQUIRED), 1))
            return out
        present = flags or ()  # None: the header is unreadable, which tally reports
        items = tuple(f"flag_{f}" for f in present)
        measures = [_flag(i, f) for i, f in enumerate(present)]
        at = [i for i, f in enumerate(present) if f in STRETCH]
        if at:
            measures.append(_stretch(at))
        ext = extract(
            ctx, required=present,
            derived=tuple(choice(f, f"flag_{f}", YES_NO) for f in present),
            checks=tuple(choice_check(f, f"flag_{f}", YES_NO_FORMS) for f in present),
            items=items)
        parsed, _ = parse_career(path, ext, items, measures, "staff")
        return parsed


def _flags(path: Path) -> tuple[str, ...] | None:
    """The flag columns the header names (None when there is no readable header: the
    shared reading in :func:`~connectors.person_level.tally` then says what is wrong)."""
    try:
        header = read_header(open_regular(path))
    except Exception:  # noqa: BLE001 - tally reports the real problem, located
        return None
    if header is None or not any(c in header for c in REQUIRED):
        return None
    return tuple(f for f in FLAGS if f in header)
