"""Person-level ESR-style extracts are aggregated in DuckDB; only counts are stored.

The importer replaced a streaming Python one; that implementation is kept in
``tests/esr_reference.py``, verbatim, as the reference the new importer must agree with row
for row and problem for problem.
"""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlmodel import Session

from assurance.catalogue import load_catalogue
from assurance.config import load_settings
from assurance.engine.data import DataView, load, load_orgs
from assurance.engine.evaluate import evaluate
from assurance.ingest import ParseContext, Parsed, run_import, store_counts
from assurance.problems import ProblemsError
from assurance.rulepacks import load_rules
from conftest import AT
from connectors import SOURCES
from esr_reference import MAX_PROBLEMS, ReferenceEsrCsv
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
        dump = " ".join(str(v) for row in conn.execute(sql("SELECT * FROM observation"))
                        for v in row)
        dump += " ".join(str(v) for row in conn.execute(sql("SELECT * FROM import_batch"))
                         for v in row)
    assert "Person" not in dump and "10003" not in dump


def test_configured_mapping_decides_codes_without_a_published_wres_mapping(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    rows = [("1", "x", "SYT01", "2025-03-31", "Band 5", "T9", "No")]
    path = write_csv(tmp_path / "esr.csv", HEADER, rows)
    with pytest.raises(ProblemsError) as exc:
        run_import(sqlite_engine, SOURCES["esr_csv"], path, actor="t", at=AT)
    assert f"{path}:2:ethnic_category: error: found a value with no WRES group" in str(
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


# ------------------------------------------------------------------------------------------
# The DuckDB importer against the reference
# ------------------------------------------------------------------------------------------
COLUMNS = ("staff_number", "org_code", "snapshot_date", "band", "ethnic_category", "disability",
           "full_name")
VALUES = {
    "staff_number": ["10001", "", "x" * 10_001, "007"],
    "org_code": ["SYT01", "syt01", " SYT02 ", "SYT03", "=SYT", "AB", "", "S Y T", "RÉ1", "@x1",
                 "-12", "ABCDEFGHIJK", "SYT\u00a001"],
    "snapshot_date": ["2025-03-31", "2024-03-31", " 2023-03-31", "2025-02-30", "0000-03-31",
                      "1989-03-31", "2101-03-31", "2025-04-30", "31/03/2025",
                      "\uff12\uff10\uff12\uff15-03-31", "", "2025-03-31T00:00", "1990-03-31",
                      "2100-03-31", "2024-02-29"],
    "band": ["Band 5", "5", "band  8C", " AfC Band 8d ", "8c", "VSM", "very  senior manager",
             "Consultant", "career grade", "Non-Consultant Career Grade", "trainee",
             "Trainee Grade", "Band 12", "8e", "band5", "Bandit", "", "B" * 101, "Ba\x07nd",
             "band\u00a05", "\uff19", "afc 9", "AFC BAND 1", "band\u30009"],
    "ethnic_category": ["A", "b", "C2", " S1 ", "D", "Z", "99", "", "T9", "X", "I", "a\tb",
                        "ss", "\u0141", "z"],
    "disability": ["Yes", "y", "NO", "n", " not  declared", "Not declared",
                   "prefer not to say", "unspecified", "", "Maybe", "Y\x0b"],
    "full_name": ["Bland, Jo", 'O"Brien', "", "Zo\u00eb", "Bland" * 2_001],
}
GOOD = {"staff_number": "1", "org_code": "SYT01", "snapshot_date": "2025-03-31",
        "band": "Band 5", "ethnic_category": "A", "disability": "No", "full_name": "x"}


def _context(*orgs: str, mapping: dict[str, str] | None = None) -> ParseContext:
    return ParseContext(load_catalogue(), frozenset(orgs or ("SYT01", "SYT02")),
                        mapping if mapping is not None else {"T9": "bme"})


def _write(path: Path, header: list[str], rows: list[list[str]], end: str = "\r\n") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator=end)
        w.writerow(header)
        w.writerows(rows)
    return path


def _same(path: Path, ctx: ParseContext | None = None) -> Parsed:
    """Parse with both importers and require the same problems, rows and counts."""
    ctx = ctx or _context()
    new = SOURCES["esr_csv"].parse(path, ctx)
    old = ReferenceEsrCsv().parse(path, ctx)
    assert [str(p) for p in new.problems] == [str(p) for p in old.problems]
    if not old.problems:
        assert new.figures is not None and new.figures.rows() == old.observations
        assert new.rows_read == old.rows_read
        assert new.note == old.note
    return new


row_strategy = st.one_of(
    st.fixed_dictionaries({c: st.sampled_from(v) for c, v in VALUES.items()}),
    st.fixed_dictionaries({c: st.sampled_from(v[:3]) if c in ("org_code", "disability")
                           else st.sampled_from(v) for c, v in VALUES.items()}),
    st.just({}),  # a blank row
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(row_strategy, st.integers(0, 9)), min_size=1, max_size=25),
       order=st.permutations(COLUMNS), end=st.sampled_from(["\r\n", "\n"]))
def test_duckdb_importer_agrees_with_the_streaming_reference_on_generated_files(
        tmp_path: Path, rows: list[tuple[dict[str, str], int]], order: list[str],
        end: str) -> None:
    """Every problem (message, row and column) and every head count the same, for files of
    valid and invalid values in any column order, blank rows and rows with cells missing."""
    table = []
    for values, cut in rows:
        cells = [values.get(c, "") for c in order]
        table.append(cells[:cut] if cut and values else cells)
    _same(_write(tmp_path / "gen.csv", list(order), table, end))


@pytest.mark.parametrize("seed", range(3))
def test_duckdb_importer_agrees_with_the_reference_on_larger_valid_files(
        tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    valid = {"org_code": ["SYT01", "syt02 "], "snapshot_date": ["2025-03-31", "2024-03-31"],
             "band": ["Band 5", "6", "8c", "VSM", "Consultant", "trainee", "AfC Band 8A", "9"],
             "ethnic_category": ["A", "B", "C2", "D", "S1", "Z", "99", "", "T9"],
             "disability": ["Yes", "No", "Not declared", "", "y"]}
    table = [[str(i), *(rng.choice(valid[c]) for c in COLUMNS[1:6]), f"Person {i}"]
             for i in range(3_000)]
    parsed = _same(_write(tmp_path / "big.csv", list(COLUMNS), table))
    assert parsed.rows_read == 3_000 and not parsed.problems


def test_more_than_200_problems_are_capped_like_the_reference(tmp_path: Path) -> None:
    table = [[str(i), "SYT01", "2025-03-31", "Band 55", "A", "No", "x"] for i in range(450)]
    parsed = _same(_write(tmp_path / "bad.csv", list(COLUMNS), table))
    assert len(parsed.problems) == MAX_PROBLEMS + 1
    assert str(parsed.problems[-1]).endswith("… and 250 more problems (the first 200 are shown)")


# ------------------------------------------------------------------------------------------
# Hostile files: located, never echoed, nothing stored
# ------------------------------------------------------------------------------------------
def _refused(engine: Engine, path: Path) -> str:
    before = store_counts(engine)
    with pytest.raises(ProblemsError) as exc:
        run_import(engine, SOURCES["esr_csv"], path, actor="t", at=AT)
    text_ = "\n".join(str(p) for p in exc.value.problems)
    assert all(str(p).startswith(f"{path}") and ": error: " in str(p)
               for p in exc.value.problems), text_
    assert "Traceback" not in text_ and "Error:" not in text_  # no DuckDB message
    assert store_counts(engine) == before
    return text_


@pytest.fixture
def store(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    register_orgs(sqlite_engine, tmp_path, "SYT01", "SYT02")
    return sqlite_engine


def _good(n: int) -> list[list[str]]:
    return [[f"9{i:05d}", "SYT01", "2025-03-31", "Band 5", "A", "No", f"Person {i}"]
            for i in range(n)]


def test_a_header_that_names_no_column_is_refused_without_echo(store: Engine,
                                                                tmp_path: Path) -> None:
    path = _write(tmp_path / "esr.csv", ["10001", "Okonkwo", "SYT01", "2025-03-31", "5", "A",
                                         "No"], _good(3))
    text_ = _refused(store, path)
    assert f"{path}:1: error: no recognised header row: none of the 7 cells" in text_
    assert "Okonkwo" not in text_ and "10001" not in text_


def test_a_wrong_header_names_the_missing_column(store: Engine, tmp_path: Path) -> None:
    header = ["staff_number", "org_code", "snapshot", "band", "ethnic_category", "disability",
              "full_name"]
    text_ = _refused(store, _write(tmp_path / "esr.csv", header, _good(3)))
    assert "missing column 'snapshot_date' (did you mean 'snapshot'?)" in text_


def test_a_bad_code_on_row_n_is_located_without_its_value(store: Engine, tmp_path: Path) -> None:
    rows = _good(40)
    rows[30][3] = "Grade Okonkwo"
    path = _write(tmp_path / "esr.csv", list(COLUMNS), rows)
    text_ = _refused(store, path)
    assert text_ == (f"{path}:32:band: error: found a 13-character text; expected a pay band: "
                     "an Agenda for Change band number 1 to 9 or 8a to 8d (optionally preceded "
                     "by 'band'), very senior manager, or a medical grade (consultant, career "
                     "grade, trainee)")


def test_row_numbers_are_line_numbers_after_quoted_fields_with_line_breaks(
        store: Engine, tmp_path: Path) -> None:
    rows = _good(6)
    rows[1][6] = "Jo\nBland"  # lines 3-4
    rows[2][6] = "a\r\n\r\nb"  # lines 5-7
    rows[4][5] = "Maybe"  # row 6 of the file's records, starting on line 9
    path = _write(tmp_path / "esr.csv", list(COLUMNS), rows)
    text_ = _refused(store, path)
    assert text_.startswith(f"{path}:9:disability: error: found a 5-character text")
    assert path.read_bytes().split(b"\n")[8].startswith(b"900004,")  # line 9


def test_a_huge_field_is_located_by_column(store: Engine, tmp_path: Path) -> None:
    rows = _good(5)
    rows[3][6] = "Okonkwo" * 20_000
    path = _write(tmp_path / "esr.csv", list(COLUMNS), rows)
    text_ = _refused(store, path)
    assert text_ == (f"{path}:5:full_name: error: found a 140,000-character text; expected a "
                     "field of at most 10,000 characters")


def test_a_row_too_long_for_any_field_limit_is_refused_by_the_reader(
        store: Engine, tmp_path: Path) -> None:
    rows = _good(3)
    rows[1][6] = "x" * 2_500_000  # over DuckDB's line limit, not only the field limit
    path = _write(tmp_path / "esr.csv", list(COLUMNS), rows)
    text_ = _refused(store, path)
    assert text_.startswith(f"{path}:3: error: found a row of ")
    assert "expected each field at most 10,000 characters" in text_


@pytest.mark.parametrize("content,expected", [
    ("NUL", "not a CSV text file: found a NUL byte"),
    ("latin-1", "not UTF-8 text: found a byte that is not UTF-8"),
    ("utf-16", "found UTF-16 text"),
])
def test_files_that_are_not_utf8_text_are_refused_before_duckdb_reads_them(
        store: Engine, tmp_path: Path, content: str, expected: str) -> None:
    lines = [",".join(COLUMNS), *(",".join(r) for r in _good(5))]
    lines[4] = lines[4].replace("Person", "Zo\u00eb\x00" if content == "NUL" else "Zo\u00eb")
    data = "\n".join(lines) + "\n"
    path = tmp_path / "esr.csv"
    path.write_bytes(data.encode("utf-16" if content == "utf-16" else
                                 "latin-1" if content == "latin-1" else "utf-8"))
    text_ = _refused(store, path)
    assert expected in text_
    if content != "utf-16":
        assert f"{path}:5:" in text_
    assert "Zo" not in text_


def test_a_bad_row_at_the_end_of_10000_refuses_the_file_and_stores_nothing(
        store: Engine, tmp_path: Path) -> None:
    rows = _good(10_000)
    rows[-1][4] = "Q"
    path = _write(tmp_path / "esr.csv", list(COLUMNS), rows)
    text_ = _refused(store, path)
    assert text_.startswith(f"{path}:10001:ethnic_category: error: found a value with no WRES "
                            "group; expected an NHS ETHNIC CATEGORY code") and "\n" not in text_
    assert store_counts(store)["observations"] == 0


@pytest.mark.parametrize("line,expected", [
    ("900009,SYT01,2025-03-31,Band 5,A,No", "found 6 cells; expected 7"),
    ("900009,SYT01,2025-03-31,Band 5,A,No,Jo,Bland", "found 8 cells; expected 7"),
    ('900009,SYT01,"2025-03-31"x,Band 5,A,No,Jo', "found a quoted field with text after"),
    ('900009,SYT01,2025-03-31,Band 5,A,No,"Jo', "a quote that is never closed"),
])
def test_malformed_rows_are_located_by_line(store: Engine, tmp_path: Path, line: str,
                                            expected: str) -> None:
    lines = [",".join(COLUMNS), *(",".join(r) for r in _good(6))]
    lines.insert(4, line)  # line 5
    path = tmp_path / "esr.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text_ = _refused(store, path)
    assert text_.startswith(f"{path}:5: error: found ") and expected in text_, text_
    assert "Bland" not in text_ and "900009" not in text_


def test_mixed_line_ends_are_read_as_the_older_importer_read_them(
        store: Engine, tmp_path: Path) -> None:
    lines = [",".join(COLUMNS), *(",".join(r) for r in _good(6))]
    path = tmp_path / "esr.csv"
    path.write_bytes(("\n".join(lines[:4]) + "\r\n" + "\n".join(lines[4:]) + "\n").encode())
    result = run_import(store, SOURCES["esr_csv"], path, actor="t", at=AT)
    assert result.rows_read == 6


def test_a_lone_carriage_return_is_refused_naming_its_line(store: Engine,
                                                           tmp_path: Path) -> None:
    lines = [",".join(COLUMNS), *(",".join(r) for r in _good(6))]
    path = tmp_path / "esr.csv"
    path.write_bytes(("\r\n".join(lines[:4]) + "\r" + "\n".join(lines[4:]) + "\n").encode())
    text_ = _refused(store, path)
    assert text_ == (f"{path}:4: error: not readable as CSV: line 4 ends differently from line "
                     "1 (a mix of CRLF and LF line ends, or a stray carriage return); expected "
                     "one kind of line end throughout: save the file as 'CSV UTF-8 (Comma "
                     "delimited)'")


def test_a_file_name_with_glob_and_quote_characters_is_read_as_itself(
        store: Engine, tmp_path: Path) -> None:
    other = _write(tmp_path / "esr-other.csv", list(COLUMNS), _good(50))
    path = _write(tmp_path / "esr-[o]*'x.csv", list(COLUMNS), _good(3))
    result = run_import(store, SOURCES["esr_csv"], path, actor="t", at=AT)
    assert result.rows_read == 3 and other.exists()


# ------------------------------------------------------------------------------------------
# Divisions, departments, occupations
# ------------------------------------------------------------------------------------------
DIVISION_COLUMNS = (*COLUMNS, "division", "department", "occupation")
TEAMS = [("Medicine", "Ward 7", "Nurse"), (" Women & Children ", "Maternity", "Midwife"),
         ("Surgery", "Theatres", "ODP"), ("", "Estates", "Porter")]


def _staff(n: int, seed: int = 1) -> list[tuple[list[str], tuple[str, str, str]]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        row = [str(i), "SYT01", "2025-03-31", rng.choice(["Band 5", "Band 6", "8c", "VSM"]),
               rng.choice(["A", "B", "D", "S1", "Z", ""]), rng.choice(["Yes", "No", ""]),
               f"Person {i}"]
        out.append((row, rng.choice(TEAMS)))
    return out


def test_division_head_counts_are_stored_beside_the_bands(tmp_path: Path) -> None:
    staff = _staff(400)
    path = _write(tmp_path / "div.csv", list(DIVISION_COLUMNS),
                  [[*r, *team] for r, team in staff])
    parsed = SOURCES["esr_csv"].parse(path, _context())
    assert not parsed.problems
    assert parsed.figures is not None
    rows = parsed.figures.rows()
    got = {(r.metric, r.breakdown, r.group): (r.numerator, r.denominator) for r in rows}
    for division, key in (("Medicine", "medicine"), (" Women & Children ", "women_children"),
                          ("Surgery", "surgery")):
        people = [r for r, team in staff if team[0] == division]
        white = sum(1 for r in people if r[4] in ("A", "B"))
        disabled = sum(1 for r in people if r[5] == "Yes")
        assert got[("wres.1", f"division:{key}", "white")] == (white, len(people))
        assert got[("wdes.1", f"division:{key}", "disabled")] == (disabled, len(people))
    breakdowns = {r.breakdown for r in rows}
    assert {b for b in breakdowns if b.startswith("division:")} == {
        "division:medicine", "division:women_children", "division:surgery"}  # blank: none
    assert not any("ward" in b or "estates" in b or "nurse" in b for b in breakdowns)


def test_the_division_column_changes_no_trust_level_figure(store: Engine,
                                                           tmp_path: Path) -> None:
    """The same people imported for SYT01 without divisions and for SYT02 with them give the
    same band, overall and declaration figures and the same rule outcomes."""
    staff = _staff(600, seed=7)
    plain = _write(tmp_path / "plain.csv", list(COLUMNS), [r for r, _ in staff])
    with_div = _write(tmp_path / "div.csv", list(DIVISION_COLUMNS),
                      [[*r[:1], "SYT02", *r[2:], *team] for r, team in staff])
    for path in (plain, with_div):
        run_import(store, SOURCES["esr_csv"], path, actor="t", at=AT)
    rows = current_rows(store)
    assert any(r.breakdown.startswith("division:") for r in rows if r.org_code == "SYT02")
    trust = {org: sorted((r.metric, r.group, r.breakdown, r.numerator, r.denominator)
                         for r in rows if r.org_code == org
                         and not r.breakdown.startswith("division:"))
             for org in ("SYT01", "SYT02")}
    assert trust["SYT01"] == trust["SYT02"]
    cat = load_catalogue()
    metrics = ["wres.1", "wdes.1", "wres.declaration", "wdes.declaration"]
    with Session(store) as s:
        view = DataView(cat, load(s, cat, metrics), load_orgs(s), date(2025, 6, 1))
        for metric in metrics:
            for bd in (None, "overall", "band:5", "band:8c", ("band:8c", "band:8d", "band:9",
                                                              "vsm")):
                a = view.figure(metric, "SYT01", "wres:2025", bd)
                b = view.figure(metric, "SYT02", "wres:2025", bd)
                assert a is not None and b is not None
                assert a == replace(b, org_code="SYT01"), (metric, bd)
        packs = load_rules(load_settings(None))
        outcomes = evaluate(s, packs, date(2025, 6, 1), load_settings(None).statistics,
                            orgs=["SYT01", "SYT02"])
    judged = {org: sorted((o.rule.id, o.status, o.summary.replace(org, "ORG"))
                          for o in outcomes if o.org.code == org)
              for org in ("SYT01", "SYT02")}
    assert judged["SYT01"] and judged["SYT01"] == judged["SYT02"]


@pytest.mark.parametrize("division,expected", [
    ("---", "found a division name without letters or digits"),
    ("Medicine " * 8, "found a division name of 71 letters, digits and separators; expected "
     "at most 55"),
    ("Med\x07icine", "found a text with a control character (U+0007) at character 4"),
    ("M" * 101, "found a 101-character text; expected a short code of at most 100"),
])
def test_bad_division_names_are_located_without_echo(store: Engine, tmp_path: Path,
                                                     division: str, expected: str) -> None:
    rows = [[*r, "Medicine", "Ward 7", "Nurse"] for r in _good(4)]
    rows[2][7] = division
    path = _write(tmp_path / "esr.csv", list(DIVISION_COLUMNS), rows)
    text_ = _refused(store, path)
    assert text_.startswith(f"{path}:4:division: error: {expected}"), text_
    assert "edicine" not in text_


@pytest.mark.parametrize("column", ["department", "occupation"])
def test_departments_and_occupations_are_checked_but_not_stored(
        store: Engine, tmp_path: Path, column: str) -> None:
    rows = [[*r, "Medicine", "Ward 7", "Nurse"] for r in _good(4)]
    path = _write(tmp_path / "ok.csv", list(DIVISION_COLUMNS), rows)
    run_import(store, SOURCES["esr_csv"], path, actor="t", at=AT)
    assert not any("ward" in r.breakdown.lower() or "nurse" in r.breakdown.lower()
                   for r in current_rows(store))
    rows[1][DIVISION_COLUMNS.index(column)] = "Okonkwo\ttab"
    bad = _write(tmp_path / "bad.csv", list(DIVISION_COLUMNS), rows)
    text_ = _refused(store, bad)
    assert text_.startswith(f"{bad}:3:{column}: error: found a text with a control character "
                            "(U+0009) at character 8")


def test_more_divisions_than_a_trust_has_are_refused(tmp_path: Path) -> None:
    rows = [[*r, f"Division {i}", "", ""] for i, r in enumerate(_good(250))]
    path = _write(tmp_path / "esr.csv", list(DIVISION_COLUMNS), rows)
    parsed = SOURCES["esr_csv"].parse(path, _context())
    assert [str(p) for p in parsed.problems] == [
        f"{path}: error: found more than 200 different divisions for 1 organisation(s); "
        "expected at most 200 divisions each (a division is a trust's top-level management "
        "unit: departments go in the department column)"]


def test_nothing_from_the_file_reaches_a_message_or_the_store(store: Engine,
                                                              tmp_path: Path) -> None:
    secret = "Okonkwo-Bland"
    rows = [[*r, "Medicine", "Ward 7", "Nurse"] for r in _good(5)]
    for i, column in enumerate(("band", "ethnic_category", "disability", "org_code")):
        rows[i][DIVISION_COLUMNS.index(column)] = secret
    path = _write(tmp_path / "esr.csv", list(DIVISION_COLUMNS), rows)
    text_ = _refused(store, path)
    assert secret not in text_ and "Okonkwo" not in text_
    assert len(text_.splitlines()) == 4
    ok = _write(tmp_path / "ok.csv", list(DIVISION_COLUMNS),
                [[*r, "Medicine", "Ward 7", "Nurse"] for r in _good(5)])
    run_import(store, SOURCES["esr_csv"], ok, actor="t", at=AT)
    with store.connect() as conn:
        dump = " ".join(str(v) for table in ("observation", "import_batch", "audit_event")
                        for row in conn.execute(sql(f"SELECT * FROM {table}")) for v in row)
    assert "Person" not in dump and "900001" not in dump and "Ward" not in dump
