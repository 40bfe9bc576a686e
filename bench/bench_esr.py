"""Benchmark: a national person-level ESR extract, importer against DuckDB alone (a script).

Writes a synthetic extract once into ``bench/out/`` (gitignored): 1.4 million people in 215
trusts at the 31 March 2025 snapshot, with the columns ``staff_number, org_code,
snapshot_date, band, ethnic_category, disability, division, department, occupation`` (six
divisions a trust, forty departments a division), about 90 MB. Then, each stage in its own
process so that peak memory (``resource.getrusage`` maximum resident set size) is the
stage's own, and each run ``--repeat`` times (the median is reported, and the fastest):

1. ``duckdb``  DuckDB alone aggregating the file into the counts the import stores:
               ``SELECT org, year, band, ethnic group, disability, division, count(*) … GROUP
               BY ALL`` with DuckDB's own CSV sniffing and the same two threads;
2. ``parse``   the importer's parse (``connectors.esr_csv``: the safe-input checks, DuckDB's
               grouped pass, the checks in SQL, the figures);
3. ``import``  the full import into a fresh SQLite store (``api.import_file``: SHA-256,
               parse, figure checks, one transaction), organisations registered beforehand;
4. ``cli``     ``assurance import FILE`` as a user runs it: a new Python process, start-up
               and imports included (wall time and the child's peak memory).

It prints seconds and peak MB per stage and the ratios to DuckDB alone. Target (issue 14):
the import within 1.5 x DuckDB alone, peak memory at most 500 MB.

Usage: ``python bench/bench_esr.py [--out DIR] [--rows N] [--repeat N]``.
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


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def org_codes() -> list[str]:
    return [f"R{a}{b}" for a in "ABCDEFGHJK" for b in "ABCDEFGHJKLMNPQRSTUVWXYZ"][:215]


def generate(out: Path, rows: int) -> tuple[Path, Path]:
    """The extract and the organisation register, written once (kept between runs)."""
    extract = out / f"esr-national-{rows}.csv"
    register = out / "esr-organisations.csv"
    orgs = org_codes()
    if not register.exists():
        register.write_text(",".join(ORG_HEADER) + "\n" + "".join(
            f"{c},Synthetic Trust {c},acute,London,Synthetic ICS,Acute Trusts,yes\n"
            for c in orgs))
    if extract.exists():
        return extract, register
    rng = random.Random(14)

    def pick(table: tuple[tuple[str, float], ...], n: int) -> list[str]:
        return rng.choices([v for v, _ in table], [w for _, w in table], k=n)

    bands, ethnic, disability = pick(BANDS, rows), pick(ETHNIC, rows), pick(DISABILITY, rows)
    tmp = extract.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(COLUMNS) + "\r\n")
        for i in range(rows):
            division = rng.randrange(len(DIVISIONS))
            fh.write(f"{10_000_000 + i},{orgs[i % len(orgs)]},2025-03-31,{bands[i]},"
                     f"{ethnic[i]},{disability[i]},{DIVISIONS[division]},"
                     f"{DIVISIONS[division]} {rng.randrange(40) + 1},"
                     f"{OCCUPATIONS[rng.randrange(len(OCCUPATIONS))]}\r\n")
    tmp.replace(extract)
    return extract, register


def stage(name: str, extract: Path, register: Path, out: Path) -> dict[str, object]:
    t0 = time.perf_counter()
    if name == "duckdb":
        import duckdb

        con = duckdb.connect(config={"threads": 2})
        t0 = time.perf_counter()
        groups = con.execute(
            "SELECT org_code AS org, year(snapshot_date) AS year, band, ethnic_category, "
            "disability, division, count(*) AS n FROM read_csv(?) GROUP BY ALL",
            [str(extract)]).fetchall()
        return {"seconds": time.perf_counter() - t0, "rows": sum(int(g[-1]) for g in groups),
                "groups": len(groups)}
    from assurance import api
    from assurance.config import parse_settings

    db = out / "esr-bench.db"
    for f in out.glob("esr-bench.db*"):
        f.unlink()
    settings = parse_settings({"database": {"url": f"sqlite:///{db}"}}, base_dir=out,
                              where="<bench>", env={})
    if name == "cli":
        cfg = out / "esr-bench.toml"
        cfg.write_text(f'[database]\nurl = "sqlite:///{db}"\n')
        cli = [sys.executable, "-m", "assurance.cli", "--config", str(cfg), "import"]
        subprocess.run([*cli, str(register)], check=True, capture_output=True)
        t0 = time.perf_counter()
        proc = subprocess.run([*cli, str(extract)], check=True, capture_output=True, text=True)
        return {"seconds": time.perf_counter() - t0, "rows": 0,
                "child_peak_mb": round(peak_mb(resource.RUSAGE_CHILDREN), 1),
                "said": proc.stdout.strip().splitlines()[-1:]}
    engine = api.connect(settings)
    at = datetime.now(UTC)
    api.import_file(engine, settings, register, actor="bench", at=at)
    if name == "parse":
        from sqlmodel import Session, select

        from assurance.catalogue import load_catalogue
        from assurance.ingest import ParseContext
        from assurance.models import Organisation
        from connectors import SOURCES

        with Session(engine) as s:
            known = frozenset(s.exec(select(Organisation.code)).all())
        ctx = ParseContext(load_catalogue(), known, settings.ethnicity_map)
        t0 = time.perf_counter()
        parsed = SOURCES["esr_csv"].parse(extract, ctx)
        assert not parsed.problems, parsed.problems[:3]
        return {"seconds": time.perf_counter() - t0, "rows": parsed.rows_read,
                "figures": len(parsed.observations)}
    if name == "import":
        t0 = time.perf_counter()
        result = api.import_file(engine, settings, extract, actor="bench", at=at)
        return {"seconds": time.perf_counter() - t0, "rows": result.rows_read,
                "figures": result.observations}
    raise SystemExit(f"unknown stage {name}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--rows", type=int, default=1_400_000)
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
    made = time.perf_counter() - t0
    print(f"extract: {extract} ({extract.stat().st_size / 1e6:,.0f} MB, {args.rows:,} rows; "
          f"ready in {made:.1f} s)")
    print(f"{'stage':<8} {'median s':>9} {'best s':>8} {'peak MB':>8} {'x DuckDB':>9}  notes")
    names = ("duckdb", "parse", "import", "cli")
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
        peak = max(float(str(r.get("child_peak_mb", r["peak_mb"]))) for r in runs[name])
        last = runs[name][-1]
        notes = {"duckdb": f"{last['rows']:,} rows into {last.get('groups', 0):,} groups",
                 "parse": f"{last['rows']:,} rows into {last.get('figures', 0):,} figures",
                 "import": f"{last.get('figures', 0):,} figures stored",
                 "cli": "new process: start-up, imports, SHA-256, parse, store"}[name]
        print(f"{name:<8} {secs:>9.2f} {best:>8.2f} {peak:>8.0f} {secs / base:>9.2f}  {notes}")

if __name__ == "__main__":
    main()
