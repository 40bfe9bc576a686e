"""Benchmark: a recruitment extract of a million applications, importer against DuckDB alone.

Writes a synthetic recruitment extract once into ``bench/out/`` (gitignored): 1,000,000
applications in 215 trusts in the year to 31 March 2025, with the columns ``application_id,
org_code, year_end, ethnic_category, disability, division, band, furthest_stage`` (six
divisions, eight bands), about 57 MB. Then the stages of :mod:`bench_person` (``duckdb``,
``parse``, ``import``), DuckDB alone running ``SELECT org, year_end, band, ethnic category,
disability, division, stage, count(*) … GROUP BY ALL``; the importer is
``connectors.recruitment_csv`` (the other career importers share its code).

It prints seconds, CPU seconds, peak MB and the ratio to DuckDB alone per stage.

Usage: ``python bench/bench_career.py [--out DIR] [--rows N] [--repeat N]``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_person import Bench, main, picks  # noqa: E402

COLUMNS = ("application_id", "org_code", "year_end", "ethnic_category", "disability",
           "division", "band", "furthest_stage")
ETHNIC = (("A", 55), ("B", 3), ("C", 5), ("D", 1), ("F", 0.7), ("H", 7), ("J", 2), ("L", 4),
          ("N", 6), ("P", 2), ("S", 2), ("Z", 4), ("99", 2), ("", 0.3))
DISABILITY = (("No", 78), ("Yes", 6), ("Not declared", 12), ("", 4))
DIVISIONS = ("Medicine", "Surgery", "Women and Children", "Clinical Support", "Community",
             "Corporate")
BANDS = (("Band 2", 12), ("Band 3", 14), ("Band 4", 10), ("Band 5", 22), ("Band 6", 18),
         ("Band 7", 12), ("Band 8a", 6), ("Consultant", 6))
STAGES = (("applied", 60), ("shortlisted", 16), ("interviewed", 12), ("offered", 2),
          ("appointed", 10))


def write(fh: TextIO, rows: int, orgs: list[str], rng: random.Random) -> None:
    ethnic, disability, bands, stages = (picks(rng, t, rows)
                                         for t in (ETHNIC, DISABILITY, BANDS, STAGES))
    fh.write(",".join(COLUMNS) + "\n")
    for i in range(rows):
        fh.write(f"A{i:08d},{orgs[i % len(orgs)]},2024/25,{ethnic[i]},{disability[i]},"
                 f"{DIVISIONS[rng.randrange(len(DIVISIONS))]},{bands[i]},{stages[i]}\n")


CAREER = Bench(
    name="recruitment", source="recruitment_csv", rows=1_000_000,
    write=write,
    duckdb="SELECT org_code, year_end, band, ethnic_category, disability, division, "
    "furthest_stage, count(*) AS n FROM read_csv(?) GROUP BY ALL",
    register="career-organisations.csv")

if __name__ == "__main__":
    main(CAREER, __file__)
