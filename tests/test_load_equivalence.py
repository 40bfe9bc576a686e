"""The bulk load stores exactly what the file says, as a slow, obvious reading of it would.

Each test imports a file written by the synthetic generators (a few trusts, a few years) and
compares the whole ``observation`` table — every column but the row id, in id order — with
rows computed here from the CSV alone: ``csv.DictReader``, ``int``, ``float``, and the
import rules of the README ("Import guarantees") spelt out one figure at a time. Runs on
SQLite and, when configured, PostgreSQL (where the rows go in by COPY).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from assurance import audit
from assurance.ingest import ImportResult, run_import, store_counts
from assurance.models import Import, Observation
from assurance.problems import ProblemsError
from assurance.synthetic import national_profiles, write_set
from conftest import AT
from connectors import SOURCES

#: What a stored figure is, without its row id: import_id, org_code, period_key, metric, group,
#: breakdown, value, numerator, denominator, suppressed, note, scope, current, superseded_by.
Stored = tuple[object, ...]
#: A figure as the file gives it: org_code … note (no import, scope or history).
Figure = tuple[str, str, str, str, str, float | None, int | None, int | None, bool, str | None]

TABLE = Observation.__table__  # type: ignore[attr-defined]
COLUMNS = [c for c in TABLE.c if c.name != "id"]


def _figures(path: Path) -> list[Figure]:
    """The file's figures, read the obvious way (the generated file is all valid)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [(r["org_code"], r["period"], r["metric"], r["group"] or "all", r["breakdown"],
                 float(r["value"]) if r["value"] else None,
                 int(r["numerator"]) if r["numerator"] else None,
                 int(r["denominator"]) if r["denominator"] else None,
                 False, r["note"] or None)
                for r in csv.DictReader(fh)]


def _scope(f: Figure | Stored, at: int = 0) -> str:
    return f"{f[at]}|{f[at + 1]}|{f[at + 2]}"


def _row(import_id: int, f: Figure, *, current: bool = True,
         superseded_by: int | None = None) -> Stored:
    return (import_id, *f, _scope(f), current, superseded_by)


def _stored(engine: Engine) -> list[Stored]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*COLUMNS).order_by(TABLE.c.id))]


def _write(path: Path, figures: list[Figure]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("org_code", "period", "metric", "group", "breakdown", "numerator",
                    "denominator", "value", "note"))
        for org, period, metric, group, breakdown, value, num, den, _, note in figures:
            w.writerow((org, period, metric, group, breakdown, "" if num is None else num,
                        "" if den is None else den, "" if value is None else repr(value),
                        note or ""))
    return path


def _import(engine: Engine, source: str, path: Path) -> ImportResult:
    return run_import(engine, SOURCES[source], path, actor="test", at=AT)


@pytest.fixture
def generated(tmp_path: Path) -> tuple[Path, Path]:
    """Organisations and metrics for five synthetic trusts, 2022-2024 and 12 months."""
    return write_set(tmp_path / "set", national_profiles(5, seed=17), range(2022, 2025),
                     seed=17, months=12)


def test_a_generated_file_is_stored_row_for_row_in_file_order(
        engine: Engine, generated: tuple[Path, Path]) -> None:
    orgs, metrics = generated
    _import(engine, "organisations_csv", orgs)
    result = _import(engine, "metrics_csv", metrics)
    figures = _figures(metrics)
    assert result.status == "imported" and result.observations == len(figures) > 2000
    assert _stored(engine) == [_row(result.import_id, f) for f in figures]


def test_the_same_file_again_stores_nothing_new(engine: Engine,
                                                generated: tuple[Path, Path]) -> None:
    orgs, metrics = generated
    _import(engine, "organisations_csv", orgs)
    first = _import(engine, "metrics_csv", metrics)
    before, counts = _stored(engine), store_counts(engine)
    again = _import(engine, "metrics_csv", metrics)
    assert (again.status, again.import_id, again.observations) == ("unchanged",
                                                                   first.import_id, 0)
    assert _stored(engine) == before and store_counts(engine) == counts


def _changed(figures: list[Figure]) -> list[Figure]:
    """The first trust's figures, with every published percentage moved by one point."""
    org = figures[0][0]
    out = []
    for f in figures:
        if f[0] != org:
            continue
        value = f[5]
        if value is not None:
            value = value - 1.0 if value >= 1.0 else value + 1.0
        out.append((*f[:5], value, *f[6:]))  # type: ignore[arg-type]
    return out


def test_a_changed_file_supersedes_the_scopes_it_covers_and_keeps_history(
        engine: Engine, generated: tuple[Path, Path], tmp_path: Path) -> None:
    orgs, metrics = generated
    _import(engine, "organisations_csv", orgs)
    first = _import(engine, "metrics_csv", metrics)
    figures = _figures(metrics)
    changed = _changed(figures)
    second = _import(engine, "metrics_csv", _write(tmp_path / "corrected.csv", changed))
    covered = {_scope(f) for f in changed}
    # Scope mode: every earlier figure of a covered scope is superseded by the new import,
    # whether or not its own numbers changed; the rest stay current.
    expected = [_row(first.import_id, f, current=_scope(f) not in covered,
                     superseded_by=second.import_id if _scope(f) in covered else None)
                for f in figures]
    expected += [_row(second.import_id, f) for f in changed]
    assert second.status == "imported"
    assert second.superseded == sum(1 for f in figures if _scope(f) in covered)
    assert _stored(engine) == expected

    # The first file again: the scopes whose figures differ become current again as new rows
    # of the first import; scopes the correction left as they were stay with it.
    restored = _import(engine, "metrics_csv", metrics)
    by_scope: dict[str, set[Figure]] = {}
    for f in changed:
        by_scope.setdefault(_scope(f), set()).add(f)
    differs = {s for s in by_scope
               if by_scope[s] != {f for f in figures if _scope(f) == s}}
    assert restored.status == "restored" and differs
    expected = [(*row[:-2], False, first.import_id)
                if row[0] == second.import_id and _scope(row, 1) in differs else row
                for row in expected]
    expected += [_row(first.import_id, f) for f in figures if _scope(f) in differs]
    assert _stored(engine) == expected


def test_a_bad_row_at_the_end_of_a_large_file_stores_nothing(
        engine: Engine, generated: tuple[Path, Path]) -> None:
    orgs, metrics = generated
    _import(engine, "organisations_csv", orgs)
    lines = sum(1 for _ in metrics.open(encoding="utf-8"))
    with metrics.open("a", encoding="utf-8") as fh:
        fh.write(f"{_figures(metrics)[0][0]},wres:2024,wres.2,bme,,\"2,5\",800,,\n")
    with pytest.raises(ProblemsError) as caught:
        _import(engine, "metrics_csv", metrics)
    assert [str(p) for p in caught.value.problems] == [
        f"{metrics}:{lines + 1}:numerator: error: found '2,5', with a comma (a decimal comma or "
        "a thousands separator: ambiguous); expected a whole number written with '.' as the "
        "decimal point and no thousands separator, e.g. 2.5 or 2500"]
    assert _stored(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(Import.source)).scalars().all() == ["organisations_csv"]


def test_a_failure_after_the_rows_went_in_stores_none_of_them(
        engine: Engine, generated: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk insert (COPY on PostgreSQL) is part of the import's one transaction."""
    orgs, metrics = generated
    _import(engine, "organisations_csv", orgs)

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "append", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(engine, "metrics_csv", metrics)
    monkeypatch.undo()
    assert _stored(engine) == []
    result = _import(engine, "metrics_csv", metrics)
    assert result.status == "imported"
    assert _stored(engine) == [_row(result.import_id, f) for f in _figures(metrics)]
