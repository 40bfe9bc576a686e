"""Person-level ESR-style extracts are aggregated while streaming; only counts are stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from assurance.ingest import run_import, store_counts
from assurance.problems import ProblemsError
from conftest import AT
from connectors import SOURCES
from helpers import current_rows, register_orgs, write_csv

HEADER = ("staff_number", "full_name", "org_code", "snapshot_date", "band", "ethnic_category",
          "disability")


def _people() -> list[tuple[object, ...]]:
    rows = []
    # Band 5: 3 White (A, B, C2), 2 BME (D, S1), 1 not stated (Z); band 8c: 1 White, 1 unknown (99)
    for i, (band, code, dis) in enumerate([
            ("Band 5", "A", "No"), ("5", "B", "Yes"), ("band 5", "C2", "Not declared"),
            ("Band 5", "D", "No"), ("Band 5", "S1", "No"), ("Band 5", "Z", ""),
            ("8c", "A", "No"), ("AfC Band 8C", "99", "Yes")]):
        rows.append((f"1000{i}", f"Person {i}", "SYT01", "2025-03-31", band, code, dis))
    return rows


def test_person_level_rows_become_head_counts_and_nothing_personal_is_stored(
        engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "SYT01")
    path = write_csv(tmp_path / "esr.csv", HEADER, _people())
    result = run_import(engine, SOURCES["esr_csv"], path, actor="test", at=AT)
    assert result.rows_read == 8
    got = {(r.metric, r.breakdown, r.group): (r.numerator, r.denominator)
           for r in current_rows(engine)}
    assert got[("wres.1", "band:5", "white")] == (3, 6)
    assert got[("wres.1", "band:5", "bme")] == (2, 6)
    assert got[("wres.1", "band:5", "unknown")] == (1, 6)
    assert got[("wres.1", "band:8c", "unknown")] == (1, 2)
    assert got[("wres.1", "overall", "white")] == (4, 8)
    assert got[("wdes.1", "overall", "disabled")] == (2, 8)
    assert got[("wdes.1", "overall", "unknown")] == (2, 8)
    with engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM observation"))
                        for v in row)
        dump += " ".join(str(v) for row in conn.execute(text("SELECT * FROM import_batch"))
                         for v in row)
    assert "Person" not in dump and "10003" not in dump


def test_configured_mapping_decides_codes_without_a_published_wres_mapping(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    rows = [("1", "x", "SYT01", "2025-03-31", "Band 5", "T9", "No")]
    path = write_csv(tmp_path / "esr.csv", HEADER, rows)
    with pytest.raises(ProblemsError) as exc:
        run_import(sqlite_engine, SOURCES["esr_csv"], path, actor="t", at=AT)
    assert f"{path}:2:ethnic_category: error: ethnic category code has no WRES mapping" in str(
        exc.value)
    assert "T9" not in str(exc.value)  # person-level values are never echoed
    run_import(sqlite_engine, SOURCES["esr_csv"], path, actor="t", at=AT,
               ethnicity_map={"T9": "bme"})
    assert store_counts(sqlite_engine)["observations"] > 0


@pytest.mark.parametrize("row,column", [
    (("1", "x", "SYT01", "2025-04-30", "Band 5", "A", "No"), "snapshot_date"),
    (("1", "x", "SYT01", "2025-03-31", "Band 12", "A", "No"), "band"),
    (("1", "x", "SYT01", "2025-03-31", "Band 5", "A", "Maybe"), "disability"),
    (("1", "x", "NOPE", "2025-03-31", "Band 5", "A", "No"), "org_code"),
])
def test_bad_person_rows_name_row_and_column_and_store_nothing(
        sqlite_engine: Engine, tmp_path: Path, row: tuple[object, ...], column: str) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    path = write_csv(tmp_path / "esr.csv", HEADER, [row])
    with pytest.raises(ProblemsError) as exc:
        run_import(sqlite_engine, SOURCES["esr_csv"], path, actor="t", at=AT)
    assert f"{path}:2:{column}: error:" in str(exc.value)
    assert store_counts(sqlite_engine)["observations"] == 0
