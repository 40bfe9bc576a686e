"""Dump every outcome of a store's evaluation as canonical JSON lines (a script, not a test).

Run it on two checkouts against the same store and ``diff`` the files: an engine change that
is meant to be faster only must leave every line identical — status, summary, period, and the
verdict's facts, figure, trend, series and judged movement (with both figures it compared).

Usage::

    python bench/compare_outcomes.py --db-url sqlite:////tmp/bench1/e2e/national.db \\
        --out /tmp/outcomes-new.jsonl [--as-of 2025-06-01]

Floats are written by ``json`` as ``repr`` does (shortest round-trip), so a difference in the
last bit shows; ``True`` and ``1`` differ. Lines keep the engine's order (rule by rule),
so a change of order shows too. The store is only read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any


def canonical(obj: Any) -> Any:
    """``obj`` as plain JSON values: dataclasses and named tuples as objects of their fields
    (with their type's name), mappings with sorted keys, sequences as lists."""
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, date):
        return obj.isoformat()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"__type__": type(obj).__name__,
                **{f.name: canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return {"__type__": type(obj).__name__,
                **{k: canonical(v) for k, v in zip(obj._fields, obj, strict=True)}}
    if isinstance(obj, Mapping):
        return {str(k): canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, list | tuple):
        return [canonical(v) for v in obj]
    if isinstance(obj, set | frozenset):
        return sorted(canonical(v) for v in obj)
    raise TypeError(f"cannot write {type(obj).__name__} canonically")


def outcome_line(o: Any) -> str:
    """One outcome (``assurance.engine.evaluate.Outcome``) as one canonical JSON line."""
    v = o.verdict
    record = {"rule": o.rule.id, "org": o.org.code, "scope": o.scope, "status": o.status,
              "summary": o.summary, "period": o.period,
              "verdict": None if v is None else {
                  "status": v.status, "summary": v.summary, "period": v.period,
                  "facts": canonical(v.facts), "figure": canonical(v.figure),
                  "trend": v.trend, "series": canonical(v.series),
                  "movement": canonical(v.movement)}}
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 1))
    args = ap.parse_args(argv)

    from sqlmodel import Session

    from assurance import api
    from assurance.config import parse_settings
    from assurance.engine.evaluate import evaluate

    settings = parse_settings({"database": {"url": args.db_url}}, base_dir=Path.cwd(),
                              where="<compare_outcomes>", env={})
    engine = api.connect(settings)
    packs = api.load_rules(settings)
    t0 = time.perf_counter()
    with Session(engine) as s:
        outcomes = evaluate(s, packs, args.as_of, settings.statistics)
    took = time.perf_counter() - t0
    lines = [outcome_line(o) for o in outcomes]
    args.out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    print(f"{len(lines)} outcomes written to {args.out} (evaluation {took:.2f} s)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
