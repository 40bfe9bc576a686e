"""The shared DuckDB layer for person-level files (connectors/person_level.py), on a small
extract of its own: counts, located problems, line numbers, DuckDB's sandbox and failures."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from connectors import person_sql
from connectors.person_level import Check, Extract, tally
from connectors.person_sql import describe_facts, described, strip

EXTRACT = Extract(
    required=("code", "kind"), optional=("team", "note"),
    derived=(("code", "code_up", f"upper({strip('code')})"),
             ("kind", "kind_key", f"nullif(lower({strip('kind')}), '')")),
    checks=(Check("code", "code_up NOT IN ('A', 'B')",
                  lambda f: f"found {described(f[0], f[1])}; expected A or B",
                  describe_facts("code")),
            Check("kind", "kind_key IS NULL", lambda f: "blank; expected a kind")),
    counts=(("code_up",), ("code_up", "kind_key")), checked=("note",))


def _write(path: Path, rows: list[list[str]], header: list[str] | None = None,
           end: str = "\n") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator=end)
        w.writerow(header or ["id", "code", "kind", "note"])
        w.writerows(rows)
    return path


def _messages(path: Path) -> list[str]:
    return [str(p) for p in tally(path, EXTRACT).problems]


def test_rows_are_counted_per_key_set_and_blank_rows_skipped(tmp_path: Path) -> None:
    rows = [["1", "a", "x", ""], ["2", " A ", "X", "n"], ["", "", "", ""], ["3", "b", "y", ""]]
    result = tally(_write(tmp_path / "ok.csv", rows), EXTRACT)
    assert not result.problems
    assert result.rows == 3
    assert result.counts[("code_up",)] == [(("A",), 2), (("B",), 1)]
    assert result.counts[("code_up", "kind_key")] == [(("A", "x"), 2), (("B", "y"), 1)]
    assert result.columns == ("code", "kind", "note")  # team is absent


def test_problems_name_the_physical_line_after_fields_with_line_breaks(tmp_path: Path) -> None:
    rows = [["two\nlines", "A", "x", ""], ["three\r\nlines\nhere", "A", "x", ""],
            ["3", "C", "x", ""], ["4", "A", "", ""], ["5", "Zed", "x", ""]]
    path = _write(tmp_path / "f.csv", rows)
    assert _messages(path) == [f"{path}:7:code: error: found a 1-character text; expected A or B",
                               f"{path}:8:kind: error: blank; expected a kind",
                               f"{path}:9:code: error: found a 3-character text; expected A or B"]
    assert path.read_text().splitlines()[6].startswith("3,")  # line 7


def test_malformed_rows_and_bad_values_are_reported_together_in_line_order(
        tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('id,code,kind,note\n"a\nb",A,x,\n2,A\n3,C,x,\n4,A,x,,extra\n5,A,x,\n')
    assert _messages(path) == [f"{path}:4: error: found 2 cells; expected 4",
                               f"{path}:5:code: error: found a 1-character text; expected A or B",
                               f"{path}:6: error: found 5 cells; expected 4"]


def test_a_column_only_checked_is_checked_on_its_own(tmp_path: Path) -> None:
    rows = [["1", "A", "x", f"note {i}"] for i in range(50)]
    rows[40][3] = "bell\x07"
    path = _write(tmp_path / "f.csv", rows)
    assert _messages(path) == [f"{path}:42:note: error: found a text with a control character "
                               "(U+0007) at character 5; expected a short code without control "
                               "characters"]


def test_the_first_failing_check_of_a_row_is_its_problem(tmp_path: Path) -> None:
    """Field checks of every column come before value checks; then checks in order."""
    rows = [["1", "C", "", "n\x01"], ["2", "C", "", ""], ["3", "A" * 101, "", ""]]
    path = _write(tmp_path / "f.csv", rows)
    got = _messages(path)
    assert got[0].startswith(f"{path}:2:note: error: found a text with a control character")
    assert got[1].startswith(f"{path}:3:code: error: found a 1-character text")
    assert got[2].startswith(f"{path}:4:code: error: found a 101-character text; expected a "
                             "short code of at most 100")


def test_more_than_200_problems_end_with_a_count_of_the_rest(tmp_path: Path) -> None:
    rows = [[str(i), "C", "x", ""] for i in range(260)] + [["x", "A"]] * 5
    path = _write(tmp_path / "f.csv", rows)
    got = _messages(path)
    assert len(got) == 201
    assert got[0] == f"{path}:2:code: error: found a 1-character text; expected A or B"
    assert got[-1] == f"{path}: error: … and 65 more problems (the first 200 are shown)"


def test_a_duplicate_optional_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", [["1", "A", "x", "", ""]],
                  header=["id", "code", "kind", "note", "note"])
    assert _messages(path) == [f"{path}:1:5: error: duplicate column 'note' (columns 4 and 5); "
                               "expected each column once"]


def test_duckdb_reads_only_the_file_it_was_given_and_never_spills(tmp_path: Path) -> None:
    mine = _write(tmp_path / "mine.csv", [["1", "A", "x", ""]])
    other = _write(tmp_path / "other.csv", [["1", "A", "x", ""]])
    with person_sql.connect(str(mine)) as con:
        assert con.execute(f"SELECT count(*) FROM read_csv('{mine}')").fetchall() == [(1,)]
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT count(*) FROM read_csv('{other}')").fetchall()
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
        settings = dict(con.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                    "('temp_directory', 'threads')").fetchall())
    assert settings == {"temp_directory": "", "threads": "2"}
    assert not (tmp_path / "out.csv").exists()


def test_running_out_of_memory_is_a_problem_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(person_sql, "MEMORY_LIMIT", "4MB")
    rows = [[str(i), f"A{i:07d}", f"kind {i}", ""] for i in range(200_000)]
    path = _write(tmp_path / "f.csv", rows)
    got = _messages(path)
    assert got == [f"{path}: error: too many different values to check within DuckDB's 4MB "
                   "memory limit; expected a person-level extract whose coded columns hold a "
                   "few thousand different values at most"]


def test_a_stray_carriage_return_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"id,code,kind,note\n1,A,x,\n2,A\rx,x,\n3,A,x,\n")
    assert _messages(path) == [
        f"{path}:3: error: not readable as CSV: line 3 ends differently from line 1 (a mix of "
        "CRLF and LF line ends, or a stray carriage return); expected one kind of line end "
        "throughout: save the file as 'CSV UTF-8 (Comma delimited)'"]


def test_invalid_utf8_found_by_duckdb_is_located_by_the_safe_input_scan(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"id,code,kind,note\n1,A,x,\n2,A,x,Zo\xeb\n")
    got = _messages(path)
    assert len(got) == 1 and got[0].startswith(f"{path}:3:9: error: not UTF-8 text: found a "
                                               "byte that is not UTF-8 at byte 33")


def test_crlf_files_and_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("\ufeffid,code,kind,note\r\n1,A,x,\r\n\"a\r\nb\",B,y,\r\n3,C,y,\r\n"
                     .encode())
    assert _messages(path) == [f"{path}:5:code: error: found a 1-character text; expected A "
                               "or B"]


def test_every_white_space_character_python_knows_is_in_the_sql_set() -> None:
    from connectors.person_sql import PY_SPACE

    assert "".join(chr(i) for i in range(0x110000) if chr(i).isspace()) == PY_SPACE
