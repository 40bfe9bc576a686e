"""Small builders shared by tests (files written to tmp_path, imports through the real API)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance.ingest import ImportResult, run_import
from assurance.models import Observation
from conftest import AT
from connectors import SOURCES

ORG_HEADER = ("code", "name", "type", "region", "ics", "benchmark_group", "synthetic")
METRIC_HEADER = ("org_code", "period", "metric", "group", "breakdown", "numerator",
                 "denominator", "value", "note")


def write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def register_orgs(engine: Engine, tmp_path: Path, *codes: str) -> ImportResult:
    rows = [(c, f"Synthetic Test Trust {c}", "acute", "London", "Synthetic ICS",
             "Acute and Acute & Community Trusts", "yes") for c in codes]
    path = write_csv(tmp_path / f"orgs-{'-'.join(codes)}.csv", ORG_HEADER, rows)
    return run_import(engine, SOURCES["organisations_csv"], path, actor="test", at=AT)


def import_metrics(engine: Engine, path: Path) -> ImportResult:
    return run_import(engine, SOURCES["metrics_csv"], path, actor="test", at=AT)


def current_rows(engine: Engine, metric: str | None = None) -> list[Observation]:
    with Session(engine) as s:
        q = select(Observation).where(col(Observation.current).is_(True))
        if metric:
            q = q.where(Observation.metric == metric)
        return list(s.exec(q.order_by(col(Observation.id))).all())


def all_rows(engine: Engine) -> list[Observation]:
    with Session(engine) as s:
        return list(s.exec(select(Observation)).all())
