"""The bulk load's set-wise parts agree with the row-by-row ones they stand in for.

A national file is read as columns (:func:`connectors.tabular.read_csv_columns`) and checked
over each column's distinct values (:func:`assurance.figure_checks.import_checks_pass`); only
a file that does not pass is checked row by row (:func:`assurance.figure_checks.import_problems`)
for the located messages. Each pair is compared here over many generated inputs: if the
set-wise check ever passed a file the row-by-row one refuses, bad figures would be stored.
SQLite's index rebuild after a first large load leaves the schema as the migrations made it.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from assurance import audit
from assurance import db as store_db
from assurance.catalogue import load_catalogue
from assurance.figure_checks import (
    check_figure,
    check_partitions,
    figures_pass,
    import_checks_pass,
    import_problems,
    partitions_pass,
)
from assurance.figure_columns import FigureColumns, ObservationRow
from assurance.ingest import run_import
from assurance.lineage import OWN, lineage_of
from assurance.problems import Problem, ProblemsError
from assurance.synthetic import national_profiles, write_set
from conftest import AT
from connectors import SOURCES, tabular
from connectors.tabular import read_csv_columns, read_csv_rows

CAT = load_catalogue()
KINDS = {m_id: m.kind for m_id, m in CAT.metrics.items()}
METRICS = ["wres.1", "wres.2", "wres.5", "wres.9", "wdes.8", "wdes.9b", "nss.adjustments",
           "recruit.bme_appointed_share", "paygap.gender.headcount", "no.such.metric"]
GROUPS = ["white", "bme", "unknown", "disabled", "all", "men"]


def _random_rows(rnd: random.Random, n: int) -> list[ObservationRow]:
    """Figures of few organisations, periods and bands, so that bands, duplicates and shared
    counts occur; counts and values now and then out of range or missing."""
    rows = []
    for line in range(2, n + 2):
        num = rnd.choice([None, 0, 3, 5, 8, 12, -1])
        den = rnd.choice([None, 0, 5, 10, 12, -2])
        value = rnd.choice([None, 0.0, 50.5, 100.0, 101.0, -0.5, float("nan")])
        rows.append(ObservationRow(
            rnd.choice(["R1", "R2", "RX"]), rnd.choice(["wres:2024", "survey:2024"]),
            rnd.choice(METRICS), rnd.choice(GROUPS), rnd.choice(["", "band:5", "overall"]),
            value, num, den, rnd.random() < 0.1, None, line))
    return rows


@pytest.mark.parametrize("seed", range(300))
def test_the_set_wise_figure_checks_pass_exactly_the_figures_the_row_checks_pass(
        seed: int) -> None:
    rnd = random.Random(seed)
    rows = _random_rows(rnd, rnd.choice([1, 2, 4, 8, 30]))
    figures = FigureColumns.from_rows(rows)
    by_row = [p for r in rows if r.metric in KINDS for p in check_figure(r, KINDS[r.metric], "f")]
    assert figures_pass(figures, KINDS) == (not by_row)
    assert partitions_pass(figures, CAT) == (not check_partitions(rows, CAT, "f"))
    defined = frozenset(["R1", "R2"])
    for lineage in (OWN, lineage_of("gpg_csv")):
        assert import_checks_pass(figures, CAT, defined, lineage) == (
            not import_problems(rows, CAT, defined, lineage, "f"))


def _band(org: str, metric: str, breakdown: str, counts: list[tuple[str, int, int]]
          ) -> list[ObservationRow]:
    return [ObservationRow(org, "wres:2024", metric, group, breakdown, None, num, den)
            for group, num, den in counts]


@pytest.mark.parametrize(("counts", "passes"), [
    ([("white", 3, 10), ("bme", 7, 10)], True),
    ([("white", 3, 10), ("bme", 6, 10)], True),  # a group not given: fewer is allowed
    ([("white", 3, 10), ("bme", 6, 10), ("unknown", 0, 10)], False),  # every group given
    ([("white", 3, 10), ("bme", 8, 10)], False),  # more than the total
    ([("white", 3, 10), ("bme", 7, 11)], False),  # two totals
])
def test_the_set_wise_partition_check_follows_each_rule(
        counts: list[tuple[str, int, int]], passes: bool) -> None:
    rows = [*_band("R1", "wres.1", "band:5", counts),
            *_band("R2", "wres.1", "band:5", [("white", 1, 4), ("bme", 3, 4)])]
    assert check_partitions(rows, CAT, "f") is not passes
    assert partitions_pass(FigureColumns.from_rows(rows), CAT) is passes


def _write(path: Path, body: str) -> Path:
    path.write_bytes(body.encode("utf-8"))
    return path


REQUIRED, OPTIONAL = ("a", "b"), ("c",)
FILES = {
    "plain": "a,b,c\n1,2,3\n4,5,6\n",
    "crlf and spaces": "A , b,c\r\n 1 ,2 , 3\r\n4,5,6\r\n",
    "blank lines and rows": "a,b,c\n1,2,3\n\n , ,\n,,\n4,5,6\n\n",
    "a blank row in the first column only": "a,b,c\n,2,3\n1,,\n",
    "wrong widths": "a,b,c\n1,2\n1,2,3,4\n1,2,3,,\n5,6,7\n",
    "quoted fields over lines": 'a,b,c\n1,"x\ny",3\n"p, q",2,"3"\n',
    "a control character": "a,b,c\n1,2,3\n1,x\x01y,3\n4,5,6\n",
    "an over-long field": "a,b,c\n1,2,3\n1," + "x" * 10_001 + ",3\n4,5,6\n",
    "an unreadable row": 'a,b,c\n1,2,3\n4,5,6\n7,"8"x,9\n10,11,12\n',
    "only a header": "a,b,c\n",
    "header only b and a": "b,a\n1,2\n",
    "a lone carriage return": "a,b,c\n1,2,3\r4,5,6\n7,8,9\n",
    "crlf, a blank line and no final line break": "a,b,c\r\n1,2,3\r\n\r\n4, 5 ,6",
    "empty cells past the header's last": "a,b,c,,\n1,2,3,,\n4,5,6\n",
    "a blank line then a row": "a,b,c\n\n1,2,3\n",
    "spaces only": "a,b,c\n  \n1,2,3\n",
}


@pytest.mark.parametrize("chunk", [1, 2, 3, 20_000])
@pytest.mark.parametrize("name", sorted(FILES))
def test_read_as_columns_gives_the_rows_lines_and_problems_read_as_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, chunk: int) -> None:
    """Chunks of 1-3 rows (or, split without the csv module, parts of 1-3 characters
    extended to the next line break) put each odd row at a chunk boundary, alone or among
    good rows."""
    path = _write(tmp_path / "f.csv", FILES[name])
    monkeypatch.setattr(tabular, "_COLUMN_CHUNK", chunk)
    monkeypatch.setattr(tabular, "_SPLIT_CHARS", chunk if chunk < 20_000 else 1 << 20)
    by_rows: list[Problem] = []
    rows = list(read_csv_rows(path, REQUIRED, OPTIONAL, by_rows))
    by_columns: list[Problem] = []
    got = read_csv_columns(path, REQUIRED, OPTIONAL, by_columns)
    assert got is not None and rows
    assert got.header == rows[0][1]
    assert list(zip(got.lines, *got.columns, strict=True)) == [
        (line, *cells) for line, cells in rows[1:]]
    assert [str(p) for p in by_columns] == [str(p) for p in by_rows]


def _random_csv(rnd: random.Random) -> str:
    """A CSV text of short cells, now and then padded, blank, missing or extra, with blank
    lines, either line ending, and sometimes a quote or a lone carriage return."""
    cells = ["1", "x", "", " ", " 2", "y ", "\t3", "\u00a0z", "abc"]
    end = rnd.choice(["\n", "\r\n"])
    lines = ["a,b,c"]
    for _ in range(rnd.randint(0, 12)):
        width = rnd.choice([3, 3, 3, 3, 0, 1, 2, 4, 5])
        lines.append(",".join(rnd.choice(cells) for _ in range(width)))
    text = end.join(lines) + rnd.choice([end, "", end + end])
    if rnd.random() < 0.1:
        text = text.replace("x", '"x"')
    if rnd.random() < 0.1:
        text = text.replace("y", "\r")
    return text


@pytest.mark.parametrize("seed", range(200))
def test_a_file_split_into_columns_reads_as_its_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rnd = random.Random(seed)
    path = _write(tmp_path / "f.csv", _random_csv(rnd))
    monkeypatch.setattr(tabular, "_SPLIT_CHARS", rnd.choice([1, 5, 12, 1 << 20]))
    monkeypatch.setattr(tabular, "_COLUMN_CHUNK", rnd.choice([1, 2, 20_000]))
    by_rows: list[Problem] = []
    rows = list(read_csv_rows(path, REQUIRED, OPTIONAL, by_rows))
    by_columns: list[Problem] = []
    got = read_csv_columns(path, REQUIRED, OPTIONAL, by_columns)
    assert got is not None and rows
    assert list(zip(got.lines, *got.columns, strict=True)) == [
        (line, *cells) for line, cells in rows[1:]]
    assert [str(p) for p in by_columns] == [str(p) for p in by_rows]


def _metrics_text(rows: list[list[str]]) -> str:
    header = ["org_code", "period", "metric", "group", "breakdown", "numerator",
              "denominator", "value", "note"]
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


@pytest.fixture
def generated(tmp_path: Path) -> tuple[Path, Path]:
    return write_set(tmp_path / "set", national_profiles(3, seed=5), range(2023, 2025),
                     seed=5, months=3)


def _refused(engine: Engine, path: Path) -> list[str]:
    with pytest.raises(ProblemsError) as caught:
        run_import(engine, SOURCES["metrics_csv"], path, actor="t", at=AT)
    return [str(p) for p in caught.value.problems]


def test_figures_missing_what_their_metric_is_built_from_are_located(
        sqlite_engine: Engine, generated: tuple[Path, Path], tmp_path: Path) -> None:
    orgs, metrics = generated
    run_import(sqlite_engine, SOURCES["organisations_csv"], orgs, actor="t", at=AT)
    org = next(csv.DictReader(metrics.open(encoding="utf-8")))["org_code"]
    path = _write(tmp_path / "m.csv", _metrics_text([
        [org, "wres:2024", "wres.2", "bme", "", "5", "", "", ""],
        [org, "survey:2024", "wres.5", "bme", "", "", "", "", ""],
        [org, "survey:2024", "wres.5", "white", "", "", "", "101", ""]]))
    assert _refused(sqlite_engine, path) == [
        f"{path}:2:numerator: error: metric wres.2 is built from counts; expected numerator "
        "and denominator",
        f"{path}:3:value: error: metric wres.5 is a percentage; expected value (0-100)",
        f"{path}:4:value: error: percentage 101.0 outside 0-100"]


def test_a_problem_only_the_whole_file_shows_is_found_in_a_large_file(
        sqlite_engine: Engine, generated: tuple[Path, Path], tmp_path: Path) -> None:
    """Rows far apart that are fine one by one but not together: the same figure twice."""
    orgs, metrics = generated
    run_import(sqlite_engine, SOURCES["organisations_csv"], orgs, actor="t", at=AT)
    lines = metrics.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.split(",")[2] == "wres.2")
    path = _write(tmp_path / "m.csv", "\n".join([*lines, lines[at]]) + "\n")
    key = "/".join(lines[at].split(",")[:5])
    assert _refused(sqlite_engine, path) == [
        f"{path}:{len(lines) + 1}: error: duplicate figure for {key} (first on row {at + 1})"]
    assert run_import(sqlite_engine, SOURCES["metrics_csv"], metrics, actor="t",
                      at=AT).status == "imported"


def _indexes(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'observation' ORDER BY name"))]


def test_a_first_large_load_rebuilds_the_indexes_as_the_migrations_made_them(
        sqlite_engine: Engine, generated: tuple[Path, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    orgs, metrics = generated
    run_import(sqlite_engine, SOURCES["organisations_csv"], orgs, actor="t", at=AT)
    before = _indexes(sqlite_engine)
    assert len(before) == 4
    monkeypatch.setattr(store_db, "_REBUILD_AT", 10)
    statements: list[str] = []

    @event.listens_for(sqlite_engine, "connect")
    def _trace(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.set_trace_callback(statements.append)

    sqlite_engine.dispose()  # new connections, traced

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    # A failure after the rows went in: the indexes dropped for the insert are back.
    monkeypatch.setattr(audit, "append", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(sqlite_engine, SOURCES["metrics_csv"], metrics, actor="t", at=AT)
    monkeypatch.setattr(audit, "append", _real_append)
    assert _indexes(sqlite_engine) == before
    statements.clear()
    result = run_import(sqlite_engine, SOURCES["metrics_csv"], metrics, actor="t", at=AT)
    assert result.status == "imported" and result.observations > 10
    assert sorted(s for s in statements if s.startswith("DROP INDEX")) == [
        f'DROP INDEX {name}' for name, _ in before]
    assert [s for s in statements if s.startswith("CREATE INDEX")] == [sql for _, sql in before]
    assert _indexes(sqlite_engine) == before
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert conn.execute(text("PRAGMA cache_size")).scalar() == -2000
        # The planner has statistics for the loaded table (ANALYZE, sampled).
        stats = conn.execute(text(
            "SELECT idx FROM sqlite_stat1 WHERE tbl = 'observation'")).scalars().all()
        assert {name for name, _ in before} <= set(stats)
        plan = " ".join(str(r[-1]) for r in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM observation WHERE scope = 'x' AND current")))
    assert "ix_observation_scope_current" in plan

    # A small import into the loaded store keeps its indexes.
    statements.clear()
    monkeypatch.setattr(store_db, "_REBUILD_AT", 50_000)
    lines = metrics.read_text(encoding="utf-8").splitlines()
    small = _write(metrics.with_name("small.csv"), "\n".join(lines[:3]).replace(
        lines[1].split(",")[5], "0", 1) + "\n")
    run_import(sqlite_engine, SOURCES["metrics_csv"], small, actor="t", at=AT)
    assert not [s for s in statements if "INDEX" in s]


_real_append = audit.append
