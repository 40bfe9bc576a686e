"""Benchmark: board reports at national scale (a script, not a test).

Builds the national synthetic set (215 trusts, WRES years 2016-2025, ten years of monthly
recruitment figures) into a SQLite store, evaluates it at 1 June 2025, then times:

1. one board report with all its charts for one trust, from a cold start of the context
   (the store read for that trust alone) to the saved .docx, and again warm;
2. a board report for every trust, on all cores (multiprocessing; each worker reads the
   store once and reuses it for its share of the trusts);

and prints peak memory (``resource.getrusage`` maximum resident set size of this process
and of the largest worker). Targets: one report <= 1.5 s; 215 reports <= 3 min; peak memory
<= 1 GB.

Usage::

    python bench/bench_reports.py [--dir DIR] [--workers N] [--keep]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from assurance import api
from assurance.config import Settings, parse_settings
from assurance.report_context import ReportInputs, board_context, load_inputs
from assurance.synthetic import write_national_set

AS_OF = date(2025, 6, 1)
AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
TARGET_ONE, TARGET_ALL, TARGET_MB = 1.5, 180.0, 1024.0

_worker: dict[str, object] = {}


def settings_for(workdir: Path) -> Settings:
    doc = {"database": {"url": "sqlite:///national.db"}, "reports": {"output_dir": "out"}}
    return parse_settings(doc, base_dir=workdir.resolve(), where="<bench>", env={})


def build_store(workdir: Path) -> Settings:
    settings = settings_for(workdir)
    if (workdir / "national.db").is_file():
        print(f"reusing the store in {workdir}")
        return settings
    engine = api.connect(settings)
    t = time.perf_counter()
    orgs, metrics = write_national_set(workdir / "data")
    for path, source in ((orgs, "organisations_csv"), (metrics, "metrics_csv")):
        api.import_file(engine, settings, path, actor="bench", at=AT, source=source)
    result = api.evaluate_and_record(engine, settings, as_of=AS_OF, at=AT, actor="bench")
    print(f"built the national store in {time.perf_counter() - t:.1f} s: "
          f"{len(result.outcomes):,} outcomes, {len(result.transitions):,} findings opened")
    engine.dispose()
    return settings


def _init(workdir: str) -> None:
    from reports.board import write_board_docx  # noqa: F401 - import once per worker

    settings = settings_for(Path(workdir))
    engine = api.connect(settings)
    _worker.update(settings=settings, engine=engine,
                   inputs=load_inputs(engine, settings, as_of=AS_OF, org_codes=None))


def _one(code: str) -> tuple[str, float, int]:
    from reports.board import render_board_report

    settings: Settings = _worker["settings"]  # type: ignore[assignment]
    inputs: ReportInputs = _worker["inputs"]  # type: ignore[assignment]
    engine = _worker["engine"]
    t = time.perf_counter()
    ctx = board_context(engine, settings, org_code=code, as_of=AS_OF,  # type: ignore[arg-type]
                        inputs=inputs)
    path = render_board_report(ctx, settings, settings.reports.output_dir / f"{code}.docx",
                               engine=engine, actor="bench")  # type: ignore[arg-type]
    return code, time.perf_counter() - t, path.stat().st_size


def one_report(settings: Settings, code: str) -> float:
    from reports.board import render_board_report

    engine = api.connect(settings)
    times = []
    for run in ("cold", "warm"):
        t = time.perf_counter()
        ctx = board_context(engine, settings, org_code=code, as_of=AS_OF)
        t_ctx = time.perf_counter() - t
        path = render_board_report(ctx, settings, settings.reports.output_dir / f"one-{code}.docx",
                                   engine=engine, actor="bench")
        total = time.perf_counter() - t
        times.append(total)
        print(f"one board report ({run}) for {code}: {total:.2f} s (context {t_ctx:.2f} s, "
              f"document with {len([o for o in ctx.outcomes])} rules and all charts "
              f"{total - t_ctx:.2f} s, {path.stat().st_size / 1024:.0f} KiB)")
    engine.dispose()
    return min(times)


def all_reports(settings: Settings, workers: int) -> float:
    engine = api.connect(settings)
    codes = sorted(load_inputs(engine, settings, as_of=AS_OF, org_codes=["SY001"]).orgs)
    engine.dispose()
    t = time.perf_counter()
    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ctx.Pool(workers, initializer=_init, initargs=(str(settings.base_dir),)) as pool:
        results = pool.map(_one, codes, chunksize=max(1, len(codes) // (workers * 8)))
    wall = time.perf_counter() - t
    slowest = max(results, key=lambda r: r[1])
    print(f"{len(results)} board reports on {workers} worker(s): {wall:.1f} s wall "
          f"({wall / len(results):.2f} s per report; slowest {slowest[0]} {slowest[1]:.2f} s)")
    return wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args()
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        settings = build_store(workdir)
        settings.reports.output_dir.mkdir(parents=True, exist_ok=True)
        one = one_report(settings, "SY001")
        wall = all_reports(settings, args.workers)
        me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        peak = max(me, kids)
        print(f"peak memory: {me:.0f} MiB (this process), {kids:.0f} MiB (largest worker)")
        ok = one <= TARGET_ONE and wall <= TARGET_ALL and peak <= TARGET_MB
        print(f"targets: one report <= {TARGET_ONE} s [{'met' if one <= TARGET_ONE else 'MISSED'}]"
              f"; all <= {TARGET_ALL:.0f} s [{'met' if wall <= TARGET_ALL else 'MISSED'}]; "
              f"memory <= {TARGET_MB:.0f} MiB [{'met' if peak <= TARGET_MB else 'MISSED'}]")
        return 0 if ok else 1
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
