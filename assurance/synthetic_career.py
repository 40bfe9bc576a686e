"""Deterministic synthetic career-stage extracts: recruitment, formal cases, development and
appraisal, one person-level CSV file each, for the demo and the shipped examples.

Every person is fictional (identifiers ``A000001``/``S000001``, no names), and the same seed
gives the same files byte for byte. The situations are chosen for the career rule pack
(``rules/career.yaml``) to find:

* the **first organisation**: BME applicants are less likely to be shortlisted (a relative
  likelihood of about 1.5 for the trust, significant), while every later stage — interview,
  offer, appointment — is fair, so the funnel rule names **shortlisting** as the stage where
  the gap opens; in its ``surgery`` division (when one of ``divisions`` is named Surgery, any
  case) the gap is far wider (about 2.5) and BME staff there are also more likely to enter the
  disciplinary process, less likely to access training or stretch roles or to have a
  completed appraisal, and more likely to be rated low: a division clearly failing;
* every **other organisation**: roughly fair at every stage (same probabilities for every
  group; only chance differs).

Disability is fair everywhere. The recruitment file writes ``year_end`` as the financial year
(``2024/25``), the others as the 31 March date, so both forms the importers read are used.

The shipped examples in ``connectors/examples/`` are written by this function; regenerate them
with::

    .venv/bin/python -c "from pathlib import Path; from assurance.synthetic_career import \\
    write_career_extracts as w; w(Path('connectors/examples'), ['SYN01', 'SYN03'], [2025], \\
    seed=14, divisions=['Medicine', 'Surgery', 'Women and Children', 'Clinical Support'])"
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WHITE_CODES = (("A", 55), ("B", 3), ("C", 6))
BME_CODES = (("D", 1), ("F", 1), ("H", 8), ("J", 3), ("L", 4), ("M", 2), ("N", 7), ("P", 2),
             ("R", 1), ("S", 2))
UNKNOWN_CODES = (("Z", 4), ("99", 1))
DISABILITY = (("No", 80), ("Yes", 8), ("Not declared", 8), ("", 4))
BANDS = ("Band 2", "Band 3", "Band 4", "Band 5", "Band 6", "Band 7", "Band 8a", "Consultant")
BAND_WEIGHTS = (12, 14, 10, 22, 18, 12, 6, 6)
STAGES = ("applied", "shortlisted", "interviewed", "offered", "appointed")
FAILING = "surgery"

SHORTLIST = 0.40  # White (and everyone's, where fair)
SHORTLIST_BME_GAP = 0.28  # the first organisation's BME rate outside its failing division
SHORTLIST_BME_FAILING = 0.16
LATER = (0.60, 0.45, 0.90)  # interviewed | shortlisted, offered | interviewed, appointed | offered


@dataclass(frozen=True)
class _Person:
    ethnic: str
    disability: str
    division: str
    band: str
    bme: bool


def _pick(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


def _person(rng: random.Random, divisions: Sequence[str]) -> _Person:
    kind = rng.choices(("white", "bme", "unknown"), (64, 31, 5))[0]
    table = {"white": WHITE_CODES, "bme": BME_CODES, "unknown": UNKNOWN_CODES}[kind]
    return _Person(_pick(rng, table), _pick(rng, DISABILITY),
                   rng.choice(list(divisions)) if divisions else "",
                   rng.choices(BANDS, BAND_WEIGHTS)[0], kind == "bme")


def _failing(first: bool, p: _Person) -> bool:
    return first and p.bme and p.division.strip().lower() == FAILING


class _Quota:
    """Outcomes in exact proportion within each kind of person: of the first ``n`` people with
    the same key (organisation, year, division, ethnic group, disability answer, decision),
    ``n × p`` have the outcome to within one, by error diffusion from a random start. So a fair
    organisation (or division) shows no gap by chance, and a rule's breach in the demo is
    always one of the situations described above, never noise."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: dict[tuple[str, ...], tuple[int, float]] = {}

    def take(self, key: tuple[str, ...], chance: float) -> bool:
        n, start = self.seen.get(key) or (0, self.rng.random())
        self.seen[key] = (n + 1, start)
        return math.floor(start + (n + 1) * chance) > math.floor(start + n * chance)


def _key(where: tuple[str, str], p: _Person, decision: str) -> tuple[str, ...]:
    return (*where, p.division, "bme" if p.bme else p.ethnic[:1], p.disability, decision)


def _stage(q: _Quota, where: tuple[str, str], first: bool, p: _Person) -> str:
    shortlist = SHORTLIST
    if first and p.bme:
        shortlist = SHORTLIST_BME_FAILING if _failing(first, p) else SHORTLIST_BME_GAP
    reached = 0
    for stage, chance in zip(STAGES[1:], (shortlist, *LATER), strict=True):
        if not q.take(_key(where, p, stage), chance):
            break
        reached += 1
    return STAGES[reached]


def write_career_extracts(out_dir: Path, orgs: Sequence[str], years: Sequence[int], seed: int,
                          divisions: Sequence[str]) -> list[Path]:
    """Write the four career-stage extracts for ``orgs`` and ``years`` into ``out_dir``.

    Args:
        out_dir: the folder (created if missing).
        orgs: organisation codes (registered before import); the first has the gap at
            shortlisting and the failing division.
        years: WRES years (2025: the year to 31 March 2025).
        seed: the random seed (the same seed, the same bytes).
        divisions: division names; one named Surgery (any case) is the failing one; none
            for files without a division column's values (the column is then blank).

    Returns:
        the recruitment, cases, development and appraisal files, in that order (sources
        ``recruitment_csv``, ``cases_csv``, ``development_csv``, ``appraisal_csv``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    q = _Quota(random.Random(seed + 1))
    common = ["org_code", "year_end", "ethnic_category", "disability", "division", "band"]
    files = {name: out_dir / f"career-{name}.csv"
             for name in ("recruitment", "cases", "development", "appraisal")}
    handles = {name: path.open("w", newline="", encoding="utf-8")
               for name, path in files.items()}
    try:
        w = {name: csv.writer(fh, lineterminator="\n") for name, fh in handles.items()}
        w["recruitment"].writerow(["application_id", *common, "furthest_stage"])
        w["cases"].writerow(["staff_number", *common, "case_type"])
        w["development"].writerow(["staff_number", *common, "training", "acting_up",
                                   "secondment", "talent_pool"])
        w["appraisal"].writerow(["staff_number", *common, "appraisal", "rating"])
        application = staff = 0
        for i, org in enumerate(orgs):
            first = i == 0
            for year in years:
                fy = f"{year - 1}/{year % 100:02d}"
                snapshot = f"{year}-03-31"
                for _ in range(2400 if first else 700):
                    application += 1
                    p = _person(rng, divisions)
                    w["recruitment"].writerow([f"A{application:07d}", org, fy, p.ethnic,
                                               p.disability, p.division, p.band,
                                               _stage(q, (org, fy), first, p)])
                for _ in range(2000 if first else 800):
                    staff += 1
                    p = _person(rng, divisions)
                    row = [f"S{staff:07d}", org, snapshot, p.ethnic, p.disability, p.division,
                           p.band]
                    _staff_rows(q, (org, snapshot), p, w, row, _failing(first, p))
    finally:
        for fh in handles.values():
            fh.close()
    return list(files.values())


def _staff_rows(q: _Quota, where: tuple[str, str], p: _Person, w: dict[str, Any],
                row: list[str], failing: bool) -> None:
    """One member of staff's rows in the cases, development and appraisal files."""
    def yes(decision: str, chance: float) -> str:
        return "yes" if q.take(_key(where, p, decision), chance) else "no"

    w["cases"].writerow([*row, "staff"])
    for case, chance in (("disciplinary", 0.08 if failing else 0.015), ("capability", 0.006),
                         ("grievance", 0.01), ("bullying_harassment", 0.005)):
        if q.take(_key(where, p, case), chance):
            w["cases"].writerow([*row, case])
    w["development"].writerow([*row, yes("training", 0.15 if failing else 0.35),
                               yes("acting_up", 0.01 if failing else 0.06),
                               yes("secondment", 0.03),
                               yes("talent_pool", 0.01 if failing else 0.05)])
    completed = q.take(_key(where, p, "appraisal"), 0.60 if failing else 0.85)
    rating = ""
    if completed:
        low = 0.30 if failing else 0.08
        rating = ("low" if q.take(_key(where, p, "low"), low) else
                  "high" if q.take(_key(where, p, "high"), 0.25 / (1 - low)) else "medium")
    w["appraisal"].writerow([*row, "completed" if completed else "not_completed", rating])
