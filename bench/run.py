"""Benchmarks for the store and the rule engine (a script that prints figures, not a test).

Stages, each in its own process so peak memory is per stage:

1. ``synth``    write the national-scale synthetic set (215 trusts × 10 WRES years + 120 months);
2. ``load``     import it (organisations + tidy CSV) into a fresh SQLite store;
3. ``nss``      import the official NHS Staff Survey 2024 spreadsheet;
4. ``evaluate`` evaluate every shipped rule pack over the national set (as of 2025-06-01),
                and time one hand-written SQL query computing the same WRES 2 relative
                likelihoods for comparison.

Every stage also reports its CPU seconds (``process_time``), and the run starts and ends with
``calibrate``: a fixed pure-Python loop (20 million iterations) timed in its own process. On a
machine shared with other work, compare runs by their calibration (1.1 s at the quietest
seen on the 2-core machine, 2026-12-03), or by CPU seconds, rather than by wall-clock alone.

Usage: ``python bench/run.py [--db-url URL] [--out DIR]``. Targets (2-core machine): load ≤ 30 s,
Staff Survey ≤ 15 s, evaluation ≤ 5 s, peak memory ≤ 1 GB per stage.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NSS = ROOT.parent / "shared" / "data" / "nss2024_detailed_organisational_results.xlsx"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage(name: str, out: Path, url: str) -> dict[str, object]:
    from assurance import api
    from assurance.config import parse_settings

    if name == "calibrate":
        t0 = time.perf_counter()
        x = 0
        for i in range(20_000_000):
            x += i * i % 7
        return {"stage": name, "seconds": time.perf_counter() - t0, "rows": 20_000_000}
    settings = parse_settings({"database": {"url": url}}, base_dir=out, where="<bench>", env={})
    at = datetime.now(UTC)
    t0 = time.perf_counter()
    if name == "synth":
        from assurance.synthetic import write_national_set

        orgs, metrics = write_national_set(out / "national")
        rows = sum(1 for _ in metrics.open()) - 1
        return {"stage": name, "seconds": time.perf_counter() - t0, "rows": rows}
    engine = api.connect(settings)
    if name == "load":
        t0 = time.perf_counter()
        api.import_file(engine, settings, out / "national" / "organisations.csv", actor="bench",
                        at=at)
        t1 = time.perf_counter()  # the first import also loads every connector's modules
        r = api.import_file(engine, settings, out / "national" / "metrics.csv", actor="bench",
                            at=at)
        return {"stage": name, "seconds": time.perf_counter() - t0, "rows": r.observations,
                "metrics_seconds": time.perf_counter() - t1}
    if name == "nss":
        if not NSS.is_file():
            return {"stage": name, "skipped": f"{NSS} not found"}
        r = api.import_file(engine, settings, NSS, actor="bench", at=at, source="nss_xlsx")
        return {"stage": name, "seconds": time.perf_counter() - t0, "rows": r.observations}
    if name == "evaluate":
        from sqlalchemy import text
        from sqlmodel import Session

        from assurance.engine.evaluate import evaluate

        packs = api.load_rules(settings)
        t0 = time.perf_counter()
        with Session(engine) as s:
            outcomes = evaluate(s, packs, date(2025, 6, 1), settings.statistics)
        engine_s = time.perf_counter() - t0
        sql = text("""
            SELECT org_code, period_key,
                   (1.0 * SUM(CASE WHEN "group" = 'white' THEN numerator END)
                        / SUM(CASE WHEN "group" = 'white' THEN denominator END))
                 / (1.0 * SUM(CASE WHEN "group" = 'bme' THEN numerator END)
                        / SUM(CASE WHEN "group" = 'bme' THEN denominator END)) AS rl
            FROM observation
            WHERE metric = 'wres.2' AND current AND breakdown = ''
            GROUP BY org_code, period_key""")
        t1 = time.perf_counter()
        with engine.connect() as conn:
            n_sql = len(conn.execute(sql).all())
        sql_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        with Session(engine) as s:
            one = evaluate(s, packs, date(2025, 6, 1), settings.statistics,
                           rule_ids=["wres.2.adverse"])
        one_s = time.perf_counter() - t2
        return {"stage": name, "seconds": engine_s, "rows": len(outcomes),
                "rules": sum(len(p.rules) for p in packs), "sql_wres2_seconds": sql_s,
                "sql_wres2_rows": n_sql, "engine_wres2_seconds": one_s,
                "engine_wres2_rows": len(one), "ratio_engine_to_sql": one_s / sql_s}
    raise SystemExit(f"unknown stage {name}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--db-url")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    url = args.db_url or f"sqlite:///{(out / 'national.db').resolve()}"
    if args.stage:
        result = stage(args.stage, out, url)
        result["peak_mb"] = round(peak_mb(), 1)
        result["cpu_seconds"] = round(time.process_time(), 2)
        print(json.dumps(result))
        return
    if not args.db_url:
        for f in out.glob("national.db*"):
            f.unlink()
    print(f"{'stage':<10} {'seconds':>8} {'rows':>10} {'rows/s':>10} {'peak MB':>8} "
          f"{'CPU s':>6}  notes")
    for name in ("calibrate", "synth", "load", "nss", "evaluate", "calibrate"):
        proc = subprocess.run([sys.executable, __file__, "--stage", name, "--out", str(out),
                               "--db-url", url], capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        if "skipped" in r:
            print(f"{name:<10} skipped: {r['skipped']}")
            continue
        secs, rows = float(r["seconds"]), int(r["rows"])
        notes = ""
        if name == "calibrate":
            notes = "a fixed CPU loop (1.1 s when the 2-core machine was quiet)"
        if name == "load":
            notes = (f"metrics file alone {r['metrics_seconds']:.2f} s (the rest: organisations "
                     "and loading the connectors)")
        if name == "evaluate":
            notes = (f"{r['rules']} rules. WRES 2 alone: engine {r['engine_wres2_seconds']:.3f} s "
                     f"(with CIs and series, {r['engine_wres2_rows']} orgs) vs one hand-written "
                     f"SQL query {r['sql_wres2_seconds']:.3f} s ({r['sql_wres2_rows']} org-years"
                     f", point estimates only): {r['ratio_engine_to_sql']:.0f}x")
        print(f"{name:<10} {secs:>8.2f} {rows:>10,} {rows / secs:>10,.0f} {r['peak_mb']:>8.0f} "
              f"{r['cpu_seconds']:>6.2f}  {notes}")


if __name__ == "__main__":
    main()
