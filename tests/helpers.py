"""Small builders shared by tests (files written to tmp_path, imports through the real API)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
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


def run_cli(config: Path, *args: str) -> tuple[int, str, str]:
    """One ``assurance --config CONFIG ARGS…`` run: exit code, stdout, stderr (settings are
    loaded once per run, so the cached ones are cleared first)."""
    from typer.testing import CliRunner

    from assurance.cli import base as cli_base

    cli_base._state.clear()
    r = CliRunner().invoke(cli_base.app, ["--config", str(config), *args])
    return r.exit_code, r.stdout, r.stderr


def sqlite_config(tmp_path: Path, *orgs: str,
                  metrics: Sequence[tuple[object, ...]] = ()) -> Path:
    """A config.toml naming a new SQLite store in ``tmp_path`` with ``orgs`` registered (and
    ``metrics`` rows imported, when given)."""
    from assurance.db import open_store

    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url)
    register_orgs(engine, tmp_path, *orgs)
    if metrics:
        import_metrics(engine, write_csv(tmp_path / "metrics-fixture.csv", METRIC_HEADER,
                                         list(metrics)))
    engine.dispose()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "{url}"\n')
    return cfg
