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

``--end-to-end`` (issue 17) runs the national pipeline as a deployment would, each stage in
its own process and ``--repeat`` times (default 3; the best is reported, as the machine may
be shared; ``--batch-repeat`` for the two batches, which take minutes), into ``OUT/e2e``:

1. ``synth``    the national-scale set;
2. ``duckdb``   DuckDB alone reading the same metrics CSV into a table (two threads): the
                floor the load is compared with;
3. ``load``     organisations and metrics into a fresh SQLite store (or ``--db-url``);
4. ``evaluate`` every shipped pack through the engine (nothing recorded), and in the same
                process the relative-likelihood rules alone against one hand-written SQL
                query computing those relative likelihoods (point estimates) for every
                organisation and period from the observation table;
5. ``record``   evaluation with findings recorded, once (it changes the store: the reports
                need the findings);
6. ``one``      one board report (``api.render``: the store read for that organisation), the
                second in its process (the first also imports the Word and chart libraries);
7. ``reports``  every organisation's board report (``api.render_all``, ``--workers`` 2);
8. ``packs``    every organisation's evidence pack likewise.

Peak MB is ``resource.getrusage`` maximum resident set size of the stage's process and, for
the batches, of its largest worker (``RUSAGE_CHILDREN``); CPU seconds count the workers too.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.sql.elements import TextClause

    from assurance.config import Settings
    from assurance.engine.rules import RulePack

ROOT = Path(__file__).resolve().parents[1]
NSS = ROOT.parent / "shared" / "data" / "nss2024_detailed_organisational_results.xlsx"


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


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

        packs = api.load_rules(settings)
        outcomes, engine_s = _timed_evaluation(engine, packs, settings)
        sql = text("""
            SELECT org_code, period_key,
                   (1.0 * SUM(CASE WHEN "group" = 'white' THEN numerator END)
                        / SUM(CASE WHEN "group" = 'white' THEN denominator END))
                 / (1.0 * SUM(CASE WHEN "group" = 'bme' THEN numerator END)
                        / SUM(CASE WHEN "group" = 'bme' THEN denominator END)) AS rl
            FROM observation
            WHERE metric = 'wres.2' AND current AND breakdown = ''
            GROUP BY org_code, period_key""")
        n_sql, sql_s = _timed_query(engine, sql)
        one, one_s = _timed_evaluation(engine, packs, settings, ["wres.2.adverse"])
        return {"stage": name, "seconds": engine_s, "rows": len(outcomes),
                "rules": sum(len(p.rules) for p in packs), "sql_wres2_seconds": sql_s,
                "sql_wres2_rows": n_sql, "engine_wres2_seconds": one_s,
                "engine_wres2_rows": len(one), "ratio_engine_to_sql": one_s / sql_s}
    raise SystemExit(f"unknown stage {name}")


E2E_STAGES = ("calibrate", "synth", "duckdb", "load", "evaluate", "record", "one", "reports",
              "packs", "calibrate")
ONCE = ("record",)  # changes the store: run once, not repeated
AS_OF = date(2025, 6, 1)


def e2e_stage(name: str, out: Path, url: str, workers: int) -> dict[str, object]:
    """One stage of ``--end-to-end`` in this process; see the module docstring."""
    if name == "calibrate":
        return stage(name, out, url)
    national = out / "national"
    if name == "synth":
        return stage(name, out, url)
    if name == "duckdb":
        import duckdb

        con = duckdb.connect(config={"threads": 2})
        t0 = time.perf_counter()
        con.execute("CREATE TABLE observation AS SELECT * FROM read_csv(?)",
                    [str(national / "metrics.csv")])
        rows = con.execute("SELECT count(*) FROM observation").fetchone()
        return {"seconds": time.perf_counter() - t0, "rows": int(rows[0]) if rows else 0}
    if name == "load":
        if url.startswith("sqlite:///"):
            for f in out.glob("national.db*"):
                f.unlink()
        else:
            from sqlalchemy import create_engine, text

            admin = create_engine(url)
            with admin.begin() as conn:  # a fresh store: every table of the schema dropped
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            admin.dispose()
        return stage(name, out, url)
    from assurance import api
    from assurance.config import parse_settings

    settings = parse_settings({"database": {"url": url},
                               "reports": {"output_dir": str(out / "reports")}},
                              base_dir=out, where="<bench>", env={})
    at = datetime.now(UTC)
    if name == "evaluate":
        return _evaluate_against_sql(settings)
    if name == "record":
        engine = api.connect(settings)
        t0 = time.perf_counter()
        r = api.evaluate_and_record(engine, settings, as_of=AS_OF, at=at, actor="bench")
        return {"seconds": time.perf_counter() - t0, "rows": len(r.outcomes),
                "findings_changed": len(r.transitions)}
    if name == "one":
        # The first report in a process also imports the Word and chart libraries and loads
        # the fonts; the second is what each further report costs.
        engine = api.connect(settings)
        took = []
        for code in ("SY001", "SY002"):
            t0 = time.perf_counter()
            api.render(engine, settings, "board", org_code=code, as_of=AS_OF, actor="bench",
                       at=at, out_path=out / "one" / f"{code}.docx")
            took.append(time.perf_counter() - t0)
        return {"seconds": took[1], "rows": 1, "first_seconds": took[0]}
    if name in ("reports", "packs"):
        kind = "board" if name == "reports" else "pack"
        folder = out / name
        shutil.rmtree(folder, ignore_errors=True)
        batch = api.render_all(settings, kind, as_of=AS_OF, actor="bench", at=at,
                               out_dir=folder, workers=workers)
        slowest = max(batch.written, key=lambda w: w.seconds)
        return {"seconds": batch.seconds, "rows": len(batch.written) - len(batch.failed),
                "failed": len(batch.failed), "workers": batch.workers,
                "mean_report_seconds": sum(w.seconds for w in batch.written)
                / len(batch.written),
                "slowest": f"{slowest.org_code} {slowest.seconds:.2f} s",
                "worker_peak_mb": round(peak_mb(resource.RUSAGE_CHILDREN), 1)}
    raise SystemExit(f"unknown stage {name}")


def _timed_evaluation(engine: Engine, packs: list[RulePack], settings: Settings,
                      rule_ids: list[str] | None = None) -> tuple[list[Any], float]:
    """The packs' outcomes as of :data:`AS_OF` (only ``rule_ids`` when given) and the
    seconds they took."""
    from sqlmodel import Session

    from assurance.engine.evaluate import evaluate

    t0 = time.perf_counter()
    with Session(engine) as s:
        outcomes = evaluate(s, packs, AS_OF, settings.statistics, rule_ids=rule_ids)
    return outcomes, time.perf_counter() - t0


def _timed_query(engine: Engine, sql: TextClause) -> tuple[int, float]:
    """How many rows ``sql`` returns and the seconds it took."""
    t0 = time.perf_counter()
    with engine.connect() as conn:
        n = len(conn.execute(sql).all())
    return n, time.perf_counter() - t0


def _evaluate_against_sql(settings: Settings) -> dict[str, object]:
    """All packs through the engine; then the relative-likelihood rules alone against one
    hand-written SQL query for the same relative likelihoods."""
    from sqlalchemy import text

    from assurance import api
    from assurance.catalogue import load_catalogue
    from assurance.engine.evaluate import rules_of

    engine = api.connect(settings)
    packs = api.load_rules(settings)
    outcomes, engine_s = _timed_evaluation(engine, packs, settings)
    cat = load_catalogue()
    rl = {m.id: m for m in cat.metrics.values() if m.kind == "relative_likelihood"}
    rules = [r.id for r in rules_of(packs) if r.metric in rl and r.enabled]
    with engine.connect() as conn:
        stored = {m for (m,) in conn.execute(text("SELECT DISTINCT metric FROM observation"))}
    metrics = sorted(m for m in rl if m in stored)
    # One query: per metric, organisation and period, (focus rate) / (reference rate).
    cases = " UNION ALL ".join(
        f"SELECT '{m}' AS metric, '{rl[m].focus}' AS focus, '{rl[m].reference}' AS ref"
        for m in metrics)
    sql = text(f"""
        WITH spec AS ({cases})
        SELECT o.metric, o.org_code, o.period_key,
               (1.0 * SUM(CASE WHEN o."group" = spec.focus THEN o.numerator END)
                    / SUM(CASE WHEN o."group" = spec.focus THEN o.denominator END))
             / (1.0 * SUM(CASE WHEN o."group" = spec.ref THEN o.numerator END)
                    / SUM(CASE WHEN o."group" = spec.ref THEN o.denominator END)) AS rl
        FROM observation o JOIN spec ON spec.metric = o.metric
        WHERE o.current AND o.breakdown = ''
        GROUP BY o.metric, o.org_code, o.period_key""")
    n_sql, sql_s = _timed_query(engine, sql)
    one, rl_s = _timed_evaluation(engine, packs, settings, rules)
    return {"seconds": engine_s, "rows": len(outcomes), "rules": len(rules_of(packs)),
            "rl_metrics": len(metrics), "rl_rules": len(rules), "sql_seconds": sql_s,
            "sql_rows": n_sql, "engine_rl_seconds": rl_s, "engine_rl_rows": len(one),
            "ratio_engine_to_sql": rl_s / sql_s}


def end_to_end(out: Path, url: str | None, repeat: int, workers: int,
               batch_repeat: int) -> None:
    """Run every stage ``repeat`` times (the batches ``batch_repeat`` times) in its own
    process; print the best of each."""
    e2e = out / "e2e"
    e2e.mkdir(parents=True, exist_ok=True)
    db = url or f"sqlite:///{(e2e / 'national.db').resolve()}"
    results: dict[str, list[dict[str, Any]]] = {}
    for i, name in enumerate(E2E_STAGES):
        key = f"{name}-{i}" if name == "calibrate" else name
        times = batch_repeat if name in ("reports", "packs") else repeat
        for _ in range(1 if name in ONCE or name == "calibrate" else times):
            proc = subprocess.run([sys.executable, __file__, "--e2e-stage", name, "--out",
                                   str(e2e), "--db-url", db, "--workers", str(workers)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f"stage {name} failed:\n{proc.stderr}")
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            results.setdefault(key, []).append(r)
            print(f"  {name}: {float(r['seconds']):.2f} s, {r['peak_mb']:.0f} MB "
                  f"{json.dumps(r)}", file=sys.stderr, flush=True)
    best = {k: min(v, key=lambda r: float(r["seconds"])) for k, v in results.items()}
    (e2e / "results.json").write_text(json.dumps({"runs": results, "best": best}, indent=1))
    load, duck, ev = best["load"], best["duckdb"], best["evaluate"]
    print(f"{'stage':<10} {'best s':>8} {'runs (s)':<24} {'rows':>9} {'peak MB':>8} "
          f"{'CPU s':>7}  notes")
    for key, r in best.items():
        runs = ", ".join(f"{float(x['seconds']):.2f}" for x in results[key])
        notes = ""
        if key == "load":
            notes = f"{float(load['seconds']) / float(duck['seconds']):.1f}x DuckDB"
        if key == "evaluate":
            notes = (f"{ev['rules']} rules; the {ev['rl_rules']} relative-likelihood rules "
                     f"{float(ev['engine_rl_seconds']):.3f} s vs hand SQL "
                     f"{float(ev['sql_seconds']):.3f} s ({ev['sql_rows']} org-periods): "
                     f"{float(ev['ratio_engine_to_sql']):.1f}x")
        if key == "one":
            notes = (f"a second organisation's board report, the store read for it alone "
                     f"(the first in a process, with imports and fonts: "
                     f"{float(r['first_seconds']):.2f} s)")
        if key in ("reports", "packs"):
            notes = (f"{r['workers']} workers, largest worker {r['worker_peak_mb']:.0f} MB, "
                     f"{r['failed']} failed, mean {float(r['mean_report_seconds']):.2f} s "
                     f"each, slowest {r['slowest']}")
        print(f"{key:<10} {float(r['seconds']):>8.2f} {runs:<24} {int(r['rows']):>9,} "
              f"{float(r['peak_mb']):>8.0f} {float(r['cpu_seconds']):>7.1f}  {notes}")
    total = sum(float(best[k]["seconds"]) for k in ("load", "record", "reports"))
    print(f"end to end (load, evaluate and record, all reports): {total:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage")
    ap.add_argument("--e2e-stage")
    ap.add_argument("--end-to-end", action="store_true",
                    help="synth, load, evaluate, all reports, all packs (issue 17)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch-repeat", type=int, default=3,
                    help="times to run the two batches (all reports, all packs)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--db-url")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    url = args.db_url or f"sqlite:///{(out / 'national.db').resolve()}"
    if args.end_to_end:
        end_to_end(out, args.db_url, args.repeat, args.workers, args.batch_repeat)
        return
    if args.e2e_stage:
        result = e2e_stage(args.e2e_stage, out, url, args.workers)
        result["peak_mb"] = round(peak_mb(), 1)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the batches' workers
        result["cpu_seconds"] = round(time.process_time() + kids.ru_utime + kids.ru_stime, 2)
        print(json.dumps(result))
        return
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
