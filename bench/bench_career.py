"""Benchmark: a recruitment extract of a million applications, importer against DuckDB alone.

Writes a synthetic recruitment extract once into ``bench/out/`` (gitignored): 1,000,000
applications in 215 trusts in the year to 31 March 2025, with the columns ``application_id,
org_code, year_end, ethnic_category, disability, division, band, furthest_stage`` (six
divisions, eight bands), about 60 MB. Then, each stage in its own process (so peak memory,
the maximum resident set size, is the stage's own), each run ``--repeat`` times, the median
reported with the fastest:

1. ``duckdb``  DuckDB alone aggregating the file into the counts the import needs:
               ``SELECT org, year_end, band, ethnic category, disability, division, stage,
               count(*) … GROUP BY ALL`` with DuckDB's own CSV sniffing and the same two
               threads;
2. ``parse``   the importer's parse (``connectors.recruitment_csv``: the safe-input checks,
               DuckDB's grouped pass, the checks in SQL, the figures);
3. ``import``  the full import into a fresh SQLite store (``api.import_file``: SHA-256,
               parse, figure checks, one transaction), organisations registered beforehand.

It prints seconds, rows per second, peak MB and the ratio to DuckDB alone per stage.

Usage: ``python bench/bench_career.py [--out DIR] [--rows N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORG_HEADER = ("code", "name", "type", "region", "ics", "benchmark_group", "synthetic")
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


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def org_codes() -> list[str]:
    return [f"R{a}{b}" for a in "ABCDEFGHJK" for b in "ABCDEFGHJKLMNPQRSTUVWXYZ"][:215]


def generate(out: Path, rows: int) -> tuple[Path, Path]:
    """The extract and the organisation register, written once (kept between runs)."""
    extract = out / f"recruitment-national-{rows}.csv"
    register = out / "career-organisations.csv"
    orgs = org_codes()
    if not register.exists():
        register.write_text(",".join(ORG_HEADER) + "\n" + "".join(
            f"{c},Synthetic Trust {c},acute,London,Synthetic ICS,Acute Trusts,yes\n"
            for c in orgs))
    if extract.exists():
        return extract, register
    rng = random.Random(14)

    def pick(table: tuple[tuple[str, float], ...]) -> list[str]:
        return rng.choices([v for v, _ in table], [w for _, w in table], k=rows)

    ethnic, disability, bands, stages = (pick(ETHNIC), pick(DISABILITY), pick(BANDS),
                                         pick(STAGES))
    tmp = extract.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(COLUMNS) + "\n")
        for i in range(rows):
            fh.write(f"A{i:08d},{orgs[i % len(orgs)]},2024/25,{ethnic[i]},{disability[i]},"
                     f"{DIVISIONS[rng.randrange(len(DIVISIONS))]},{bands[i]},{stages[i]}\n")
    tmp.replace(extract)
    return extract, register


def stage(name: str, extract: Path, register: Path, out: Path) -> dict[str, object]:
    if name == "duckdb":
        import duckdb

        con = duckdb.connect(config={"threads": 2})
        t0 = time.perf_counter()
        groups = con.execute(
            "SELECT org_code, year_end, band, ethnic_category, disability, division, "
            "furthest_stage, count(*) AS n FROM read_csv(?) GROUP BY ALL",
            [str(extract)]).fetchall()
        return {"seconds": time.perf_counter() - t0, "rows": sum(int(g[-1]) for g in groups),
                "groups": len(groups)}
    from assurance import api
    from assurance.config import parse_settings

    db = out / "career-bench.db"
    for f in out.glob("career-bench.db*"):
        f.unlink()
    settings = parse_settings({"database": {"url": f"sqlite:///{db}"}}, base_dir=out,
                              where="<bench>", env={})
    engine = api.connect(settings)
    at = datetime.now(UTC)
    api.import_file(engine, settings, register, actor="bench", at=at)
    from connectors import SOURCES

    if name == "parse":
        from sqlmodel import Session, select

        from assurance.catalogue import load_catalogue
        from assurance.ingest import ParseContext
        from assurance.models import Organisation

        with Session(engine) as s:
            known = frozenset(s.exec(select(Organisation.code)).all())
        ctx = ParseContext(load_catalogue(), known, settings.ethnicity_map)
        t0 = time.perf_counter()
        parsed = SOURCES["recruitment_csv"].parse(extract, ctx)
        assert not parsed.problems, parsed.problems[:3]
        return {"seconds": time.perf_counter() - t0, "rows": parsed.rows_read,
                "figures": len(parsed.observations)}
    if name == "import":
        t0 = time.perf_counter()
        result = api.import_file(engine, settings, extract, actor="bench", at=at,
                                 source="recruitment_csv")
        return {"seconds": time.perf_counter() - t0, "rows": result.rows_read,
                "figures": result.observations}
    raise SystemExit(f"unknown stage {name}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    extract, register = generate(out, args.rows)
    if args.stage:
        result = stage(args.stage, extract, register, out)
        result["peak_mb"] = round(peak_mb(), 1)
        print(json.dumps(result))
        return
    print(f"extract: {extract} ({extract.stat().st_size / 1e6:,.0f} MB, {args.rows:,} rows; "
          f"ready in {time.perf_counter() - t0:.1f} s)")
    print(f"{'stage':<8} {'median s':>9} {'best s':>8} {'rows/s':>11} {'peak MB':>8} "
          f"{'x DuckDB':>9}  notes")
    names = ("duckdb", "parse", "import")
    runs: dict[str, list[dict[str, object]]] = {n: [] for n in names}
    for _ in range(args.repeat):  # stages interleaved, so that a busy moment hits them alike
        for name in names:
            proc = subprocess.run([sys.executable, __file__, "--stage", name, "--out", str(out),
                                   "--rows", str(args.rows)], capture_output=True, text=True,
                                  check=True, cwd=ROOT)
            runs[name].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    base = statistics.median(float(str(r["seconds"])) for r in runs["duckdb"])
    for name in names:
        secs = statistics.median(float(str(r["seconds"])) for r in runs[name])
        best = min(float(str(r["seconds"])) for r in runs[name])
        peak = max(float(str(r["peak_mb"])) for r in runs[name])
        last = runs[name][-1]
        notes = {"duckdb": f"{last['rows']:,} rows into {last.get('groups', 0):,} groups",
                 "parse": f"{last['rows']:,} rows into {last.get('figures', 0):,} figures",
                 "import": f"{last.get('figures', 0):,} figures stored"}[name]
        print(f"{name:<8} {secs:>9.2f} {best:>8.2f} {args.rows / secs:>11,.0f} {peak:>8.0f} "
              f"{secs / base:>9.2f}  {notes}")


if __name__ == "__main__":
    main()
