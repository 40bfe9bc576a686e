"""What the person-level benchmarks share (``bench_esr.py``, ``bench_career.py``): a synthetic
extract written once, each stage in its own process, stages interleaved, a table of seconds,
CPU seconds, peak memory and the ratio to DuckDB alone.

A benchmark is a :class:`Bench`: the extract's file name and writer, the source that imports
it, the DuckDB-alone query and its stages. Each stage runs in its own process (so peak
memory, ``resource.getrusage`` maximum resident set size, is the stage's own), ``--repeat``
times with the stages interleaved (a busy moment hits them alike); the median and the fastest
are reported, with the median CPU seconds (``process_time``: DuckDB's threads included), so
runs on a shared machine can be compared. Stages:

* ``duckdb``  DuckDB alone aggregating the file into the counts the import needs (its own
              CSV sniffing, the same two threads), timed from after the connection opens;
* ``parse``   the importer's parse (the safe-input checks, DuckDB's grouped pass, the checks
              in SQL, the figures), organisations registered beforehand;
* ``import``  the full import into a fresh SQLite store (``api.import_file``: SHA-256, parse,
              figure checks, one transaction);
* ``cli``     ``assurance import FILE`` as a user runs it (the source detected): a new Python
              process, start-up and imports included (wall time and the child's peak memory;
              CPU not counted).

Usage: ``python bench/bench_X.py [--out DIR] [--rows N] [--repeat N]``.
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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
ORG_HEADER = ("code", "name", "type", "region", "ics", "benchmark_group", "synthetic")
Weights = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Bench:
    """One person-level benchmark.

    Attributes:
        name: the file names' stem (``esr`` → ``esr-national-N.csv``, ``esr-bench.db``).
        source: the importer (``connectors.SOURCES`` key).
        rows: the default number of rows.
        write: writes ``rows`` rows to the open file, given the organisation codes and a
            seeded random generator.
        duckdb: the DuckDB-alone query, ``?`` for the file.
        stages: the stages run, in order (``duckdb`` first).
        register: the organisation register's file name.
    """

    name: str
    source: str
    rows: int
    write: Callable[[TextIO, int, list[str], random.Random], None]
    duckdb: str
    stages: tuple[str, ...] = ("duckdb", "parse", "import")
    register: str = ""


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def org_codes() -> list[str]:
    return [f"R{a}{b}" for a in "ABCDEFGHJK" for b in "ABCDEFGHJKLMNPQRSTUVWXYZ"][:215]


def picks(rng: random.Random, table: Weights, n: int) -> list[str]:
    """``n`` values drawn from ``table`` (value, weight)."""
    return rng.choices([v for v, _ in table], [w for _, w in table], k=n)


def generate(bench: Bench, out: Path, rows: int) -> tuple[Path, Path]:
    """The extract and the organisation register, written once (kept between runs)."""
    extract = out / f"{bench.name}-national-{rows}.csv"
    register = out / (bench.register or f"{bench.name}-organisations.csv")
    orgs = org_codes()
    if not register.exists():
        register.write_text(",".join(ORG_HEADER) + "\n" + "".join(
            f"{c},Synthetic Trust {c},acute,London,Synthetic ICS,Acute Trusts,yes\n"
            for c in orgs))
    if not extract.exists():
        tmp = extract.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            bench.write(fh, rows, orgs, random.Random(14))
        tmp.replace(extract)
    return extract, register


def stage(bench: Bench, name: str, extract: Path, register: Path, out: Path
          ) -> dict[str, object]:
    """Run one stage in this process: its seconds, CPU seconds and what it counted."""
    if name == "duckdb":
        import duckdb

        con = duckdb.connect(config={"threads": 2})
        t0, c0 = time.perf_counter(), time.process_time()
        groups = con.execute(bench.duckdb, [str(extract)]).fetchall()
        return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                "rows": sum(int(g[-1]) for g in groups), "groups": len(groups)}
    from assurance import api
    from assurance.config import parse_settings

    db = out / f"{bench.name}-bench.db"
    for f in out.glob(f"{bench.name}-bench.db*"):
        f.unlink()
    settings = parse_settings({"database": {"url": f"sqlite:///{db}"}}, base_dir=out,
                              where="<bench>", env={})
    if name == "cli":
        cfg = out / f"{bench.name}-bench.toml"
        cfg.write_text(f'[database]\nurl = "sqlite:///{db}"\n')
        cli = [sys.executable, "-m", "assurance.cli", "--config", str(cfg), "import"]
        subprocess.run([*cli, str(register)], check=True, capture_output=True)
        t0 = time.perf_counter()
        proc = subprocess.run([*cli, str(extract)], check=True, capture_output=True, text=True)
        return {"seconds": time.perf_counter() - t0, "cpu": None, "rows": 0,
                "child_peak_mb": round(peak_mb(resource.RUSAGE_CHILDREN), 1),
                "said": proc.stdout.strip().splitlines()[-1:]}
    engine = api.connect(settings)
    # DuckDB's module is loaded before the clock starts, as it is for the duckdb stage:
    # these stages time a file's import in a running process; ``cli`` times a cold one.
    import duckdb  # noqa: F401

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
        t0, c0 = time.perf_counter(), time.process_time()
        parsed = SOURCES[bench.source].parse(extract, ctx)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert not parsed.problems, parsed.problems[:3]
        columns = getattr(parsed, "figures", None)  # None: rows (or an older importer)
        figures = len(columns) if columns is not None else len(parsed.observations)
        return {"seconds": seconds, "cpu": cpu, "rows": parsed.rows_read, "figures": figures}
    if name == "import":
        t0, c0 = time.perf_counter(), time.process_time()
        result = api.import_file(engine, settings, extract, actor="bench", at=at,
                                 source=bench.source)
        return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                "rows": result.rows_read, "figures": result.observations}
    raise SystemExit(f"unknown stage {name}")


NOTES = {"duckdb": "{rows:,} rows into {groups:,} groups",
         "parse": "{rows:,} rows into {figures:,} figures",
         "import": "{figures:,} figures stored",
         "cli": "new process: start-up, imports, SHA-256, parse, store"}


def main(bench: Bench, script: str) -> None:
    """The benchmark's command line: one stage (``--stage``, in a child process) or all."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--rows", type=int, default=bench.rows)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    extract, register = generate(bench, out, args.rows)
    if args.stage:
        result = stage(bench, args.stage, extract, register, out)
        result["peak_mb"] = round(peak_mb(), 1)
        print(json.dumps(result))
        return
    print(f"extract: {extract} ({extract.stat().st_size / 1e6:,.0f} MB, {args.rows:,} rows; "
          f"ready in {time.perf_counter() - t0:.1f} s)")
    print(f"{'stage':<8} {'median s':>9} {'best s':>8} {'CPU s':>6} {'peak MB':>8} "
          f"{'x DuckDB':>9}  notes")
    runs: dict[str, list[dict[str, object]]] = {n: [] for n in bench.stages}
    for _ in range(args.repeat):  # stages interleaved, so that a busy moment hits them alike
        for name in bench.stages:
            proc = subprocess.run([sys.executable, script, "--stage", name, "--out", str(out),
                                   "--rows", str(args.rows)], capture_output=True, text=True,
                                  check=True, cwd=ROOT)
            runs[name].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    base = statistics.median(float(str(r["seconds"])) for r in runs["duckdb"])
    for name in bench.stages:
        secs = statistics.median(float(str(r["seconds"])) for r in runs[name])
        best = min(float(str(r["seconds"])) for r in runs[name])
        cpus = [float(str(r["cpu"])) for r in runs[name] if r.get("cpu") is not None]
        cpu = f"{statistics.median(cpus):>6.2f}" if cpus else f"{'-':>6}"
        peak = max(float(str(r.get("child_peak_mb", r["peak_mb"]))) for r in runs[name])
        note = NOTES[name].format_map({"groups": 0, "figures": 0, **runs[name][-1]})
        print(f"{name:<8} {secs:>9.2f} {best:>8.2f} {cpu} {peak:>8.0f} {secs / base:>9.2f}  "
              f"{note}")
