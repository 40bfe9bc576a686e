"""Benchmark: a national person-level ESR extract, importer against DuckDB alone (a script).

Writes a synthetic extract once into ``bench/out/`` (gitignored): 1.4 million people in 215
trusts at the 31 March 2025 snapshot, with the columns ``staff_number, org_code,
snapshot_date, band, ethnic_category, disability, division, department, occupation`` (six
divisions a trust, forty departments a division), about 98 MB, CRLF line ends. Then the
stages of :mod:`bench_person` (``duckdb``, ``parse``, ``import``, ``cli``), DuckDB alone
running ``SELECT org, year, band, ethnic group, disability, division, count(*) … GROUP BY
ALL``; the importer is ``connectors.esr_csv``.

It prints seconds, CPU seconds and peak MB per stage and the ratios to DuckDB alone. Target
(issue 14): the import within 1.5 x DuckDB alone, peak memory at most 500 MB.

Usage: ``python bench/bench_esr.py [--out DIR] [--rows N] [--repeat N]``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_person import Bench, main, picks  # noqa: E402

COLUMNS = ("staff_number", "org_code", "snapshot_date", "band", "ethnic_category", "disability",
           "division", "department", "occupation")
BANDS = (("Band 2", 9), ("Band 3", 12), ("Band 4", 10), ("Band 5", 20), ("Band 6", 17),
         ("Band 7", 12), ("Band 8a", 6), ("Band 8b", 3), ("Band 8c", 1.5), ("Band 8d", 0.8),
         ("Band 9", 0.4), ("VSM", 0.3), ("Consultant", 4), ("Career grade", 1.5),
         ("Trainee", 2.5))
ETHNIC = (("A", 55), ("B", 3), ("C", 5), ("C2", 1), ("D", 1), ("E", 0.5), ("F", 0.7),
          ("G", 1), ("H", 7), ("J", 2), ("K", 1), ("L", 4), ("M", 1), ("N", 6), ("P", 2),
          ("R", 1), ("S", 2), ("Z", 4), ("99", 2), ("", 0.3))
DISABILITY = (("No", 78), ("Yes", 5), ("Not declared", 12), ("", 5))
DIVISIONS = ("Medicine", "Surgery", "Women and Children", "Clinical Support", "Community",
             "Corporate")
OCCUPATIONS = tuple(f"N{i:02d}" for i in range(30))


def write(fh: TextIO, rows: int, orgs: list[str], rng: random.Random) -> None:
    bands, ethnic = picks(rng, BANDS, rows), picks(rng, ETHNIC, rows)
    disability = picks(rng, DISABILITY, rows)
    fh.write(",".join(COLUMNS) + "\r\n")
    for i in range(rows):
        division = rng.randrange(len(DIVISIONS))
        fh.write(f"{10_000_000 + i},{orgs[i % len(orgs)]},2025-03-31,{bands[i]},"
                 f"{ethnic[i]},{disability[i]},{DIVISIONS[division]},"
                 f"{DIVISIONS[division]} {rng.randrange(40) + 1},"
                 f"{OCCUPATIONS[rng.randrange(len(OCCUPATIONS))]}\r\n")


ESR = Bench(
    name="esr", source="esr_csv", rows=1_400_000, write=write,
    duckdb="SELECT org_code AS org, year(snapshot_date) AS year, band, ethnic_category, "
    "disability, division, count(*) AS n FROM read_csv(?) GROUP BY ALL",
    stages=("duckdb", "parse", "import", "cli"))

if __name__ == "__main__":
    main(ESR, __file__)
