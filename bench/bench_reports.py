"""Benchmark: board reports at national scale (a script, not a test).

Builds the national synthetic set (215 trusts, WRES years 2016-2025, ten years of monthly
recruitment figures) into a SQLite store, evaluates it at 1 June 2025, then times:

1. one board report with all its charts for one trust, from a cold start of the context
   (the store read for that trust alone) to the saved .docx, then another trust's warm (the
   rule packs, periods and templates of the process reused);
2. a board report for every trust, as ``report board --all`` writes them
   (:func:`reports.batch.render_all`: the store read once before the workers fork);

and prints wall and CPU seconds (this process and its workers) and peak memory
(``resource.getrusage`` maximum resident set size of this process and of the largest
worker). Targets (issue 17, 2-core machine): one report <= 0.3 s; 215 reports <= 30 s on 2
workers; peak memory <= 500 MB a process.

Usage::

    python bench/bench_reports.py [--dir DIR] [--workers N] [--keep]
"""

from __future__ import annotations

import argparse
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
from assurance.report_context import board_context
from assurance.synthetic import write_national_set

AS_OF = date(2025, 6, 1)
AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
TARGET_ONE, TARGET_ALL, TARGET_MB = 0.3, 30.0, 500.0


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


def one_report(settings: Settings, codes: tuple[str, str]) -> float:
    from reports.board import render_board_report

    engine = api.connect(settings)
    times = []
    for run, code in zip(("cold", "warm"), codes, strict=True):
        t, cpu = time.perf_counter(), time.process_time()
        ctx = board_context(engine, settings, org_code=code, as_of=AS_OF)
        t_ctx = time.perf_counter() - t
        path = render_board_report(ctx, settings, settings.reports.output_dir / f"one-{code}.docx",
                                   engine=engine, actor="bench")
        total = time.perf_counter() - t
        times.append(total)
        print(f"one board report ({run}) for {code}: {total:.2f} s, "
              f"{time.process_time() - cpu:.2f} CPU s (context {t_ctx:.2f} s, document with "
              f"{len(ctx.outcomes)} rules and all charts {total - t_ctx:.2f} s, "
              f"{path.stat().st_size / 1024:.0f} KiB)")
    engine.dispose()
    return times[-1]


def all_reports(settings: Settings, workers: int) -> float:
    from reports.batch import batch_orgs, render_all

    engine = api.connect(settings)
    codes = batch_orgs(engine, settings)
    engine.dispose()
    cpu = time.process_time()
    result = render_all(settings, "board", org_codes=codes, as_of=AS_OF,
                        out_dir=settings.reports.output_dir / "all", actor="bench", at=AT,
                        workers=workers)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = time.process_time() - cpu + kids.ru_utime + kids.ru_stime
    slowest = max(result.written, key=lambda w: w.seconds)
    print(f"{len(result.written)} board reports on {result.workers} worker(s): "
          f"{result.seconds:.1f} s wall, {cpu_s:.1f} CPU s ({cpu_s / len(codes):.2f} CPU s a "
          f"report; slowest {slowest.org_code} {slowest.seconds:.2f} s; "
          f"{len(result.failed)} failed)")
    return result.seconds


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
        one = one_report(settings, ("SY001", "SY002"))
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
