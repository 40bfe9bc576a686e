"""Malformed and hostile tabular files (CSV and the annual return .xlsx), one family per test.

Every variant is written into ``tmp_path`` at test time and imported through the real
``run_import`` (or the CLI). Each must be refused with a located problem
(``file:row:column: error: found …; expected …``) — no traceback, no hang, nothing stored, and
for the person-level ESR extract no value from the file in the message.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from assurance import api
from assurance.config import load_settings
from assurance.ingest import ImportResult, run_import, store_counts
from assurance.problems import ProblemsError
from assurance.safeinput import LIMITS, InputError, parse_decimal, parse_whole
from conftest import AT
from connectors import SOURCES
from connectors.returns_template import write_template
from connectors.tabular import parse_count
from helpers import (
    METRIC_HEADER,
    ORG_HEADER,
    current_rows,
    register_orgs,
    run_cli,
    sqlite_config,
    write_csv,
)

ESR_HEADER = ("staff_number", "full_name", "org_code", "snapshot_date", "band",
              "ethnic_category", "disability")
PAY_HEADER = "staff_number,org_code,snapshot_date,sex,ethnic_category,disability,hourly_pay"
GOOD_METRIC = ["SYT01", "wres:2024", "wres.2", "white", "", "300", "1000", "", ""]
GOOD_PERSON = ["10007", "Bland", "SYT01", "2025-03-31", "Band 5", "A", "No"]


# ------------------------------------------------------------------------------ helpers
def write_rows(path: Path, header: tuple[str, ...] | None, rows: list[list[str]],
               encoding: str = "utf-8") -> Path:
    """A CSV written by hand (the csv module would quote what the tests need raw)."""
    def cell(text: str) -> str:
        return f'"{text}"' if "," in text else text

    lines = ([",".join(header)] if header else []) + [",".join(map(cell, r)) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def metric_row(**cells: str) -> list[str]:
    row = list(GOOD_METRIC)
    for name, value in cells.items():
        row[METRIC_HEADER.index(name)] = value
    return row


def refused(engine: Engine, source: str, path: Path) -> str:
    """Import expecting refusal: every problem names the file, nothing is stored, and the
    text of all problems is returned."""
    before = store_counts(engine)
    with pytest.raises(ProblemsError) as exc:
        run_import(engine, SOURCES[source], path, actor="test", at=AT)
    text = "\n".join(str(p) for p in exc.value.problems)
    assert all(str(p).startswith(str(path)) and ": error: " in str(p)
               for p in exc.value.problems), text
    assert "Traceback" not in text
    assert store_counts(engine) == before
    return text


def located(text: str, path: Path, row: int, column: str | int) -> None:
    """The refusal names the row and column and says what was expected."""
    hits = [line for line in text.splitlines() if line.startswith(f"{path}:{row}:{column}: ")]
    assert hits, text
    assert all("expected" in line for line in hits), text


@pytest.fixture
def store(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    return sqlite_engine


# --------------------------------------------------------------------- valid input stays
def test_valid_edge_cases_still_import(store: Engine, tmp_path: Path) -> None:
    """A UTF-8 BOM, CRLF line ends, '3.0' counts, a trailing '%' and a multi-line note."""
    path = tmp_path / "ok.csv"
    body = ("\ufeff" + ",".join(METRIC_HEADER) + "\r\n"
            "SYT01,wres:2024,wres.2,white,,3.0,10,,\r\n"
            'SYT01,survey:2023,wres.7,bme,,,412,44.5%,"two\nlines\tand a tab"\r\n')
    path.write_bytes(body.encode("utf-8"))
    result = run_import(store, SOURCES["metrics_csv"], path, actor="t", at=AT)
    assert result.observations == 2


@pytest.mark.parametrize("source,header,row", [
    ("esr_csv", ESR_HEADER, GOOD_PERSON),
    ("cases_csv", ("staff_number", "org_code", "year_end", "ethnic_category", "disability",
                   "case_type"), ["1", "SYT01", "2025-03-31", "A", "No", "staff"]),
])
def test_person_level_column_names_are_matched_in_any_case(
        store: Engine, tmp_path: Path, source: str, header: tuple[str, ...],
        row: list[str]) -> None:
    # README: "names in any case", as every other importer reads them; these refused
    # 'Org_Code' as "none of the cells in row 1 is a column name".
    lower = write_rows(tmp_path / "lower.csv", header, [row] * 3)
    upper = write_rows(tmp_path / "upper.csv", tuple(h.upper() for h in header), [row] * 3)
    first = run_import(store, SOURCES[source], upper, actor="t", at=AT)
    second = run_import(store, SOURCES[source], lower, actor="t", at=AT)
    assert first.observations == second.observations > 0


@pytest.mark.parametrize("pay,expected", [
    ("-5.00", "found a number out of range; expected hourly pay in pounds (ordinary pay ÷ hours) "
              "from 0.01 to 10,000, or blank for someone not full-pay relevant"),
    ("12,50", "expected hourly pay in pounds (ordinary pay ÷ hours) written with '.' as the "
              "decimal point and no thousands separator, e.g. 2.5 or 2500, or blank for someone "
              "not full-pay relevant"),
])
def test_a_bad_hourly_pay_says_what_was_expected_in_one_sentence(
        store: Engine, tmp_path: Path, pay: str, expected: str) -> None:
    # The range was appended after "or blank when not full-pay relevant", as if it were the
    # blank that had to be from 0.01 to 10,000.
    header, row = PERSON_ROWS["pay_csv"]
    path = write_rows(tmp_path / "pay.csv", header,
                      [[pay if c == "20.00" else c.replace("{eth}", "A") for c in row]])
    text = refused(store, "pay_csv", path)
    located(text, path, 2, "hourly_pay")
    assert expected in text and pay not in text


@pytest.mark.parametrize("sep,name", [(";", "semicolons"), ("\t", "tabs")])
@pytest.mark.parametrize("source,header", [
    ("metrics_csv", METRIC_HEADER), ("organisations_csv", ORG_HEADER),
    ("esr_csv", ESR_HEADER), ("pay_csv", tuple(PAY_HEADER.split(",")))])
def test_a_csv_separated_by_semicolons_or_tabs_says_so(
        store: Engine, tmp_path: Path, source: str, header: tuple[str, ...], sep: str,
        name: str) -> None:
    # Excel in a European locale saves "CSV" with semicolons: row 1 is one cell, and the
    # refusal only said none of its "1 cells" was a column name.
    path = tmp_path / "x.csv"
    path.write_text(sep.join(header) + "\n" + sep.join("x" * len(header)) + "\n")
    text = refused(store, source, path)
    assert f"row 1 is one cell holding {name}: the columns seem to be separated by {name}" \
        in text, text


# ------------------------------------------------- family: breakdowns no rule reads
@pytest.mark.parametrize("breakdown,expected", [
    ("overall", "found 'overall' (the organisation's own figure has a blank breakdown); "
                "expected blank for wres.2's figure"),
    ("banana", "found 'banana'; expected blank for wres.2's figure"),
])
def test_a_breakdown_no_rule_would_read_is_refused(store: Engine, tmp_path: Path,
                                                    breakdown: str, expected: str) -> None:
    # Stored as it was, WRES 2 under 'overall' was never evaluated: "not calculable" where
    # the same figures with a blank breakdown breach (9.00).
    rows = [["SYT01", "wres:2024", "wres.2", g, breakdown, n, "200", "", ""]
            for g, n in (("white", "90"), ("bme", "10"))]
    path = write_rows(tmp_path / "m.csv", METRIC_HEADER, rows)
    text = refused(store, "metrics_csv", path)
    located(text, path, 2, "breakdown")
    assert expected in text


def test_band_and_division_breakdowns_still_import_for_a_metric_without_a_list(
        store: Engine, tmp_path: Path) -> None:
    rows = [["SYT01", "wres:2024", "wres.2", g, b, n, "200", "", ""]
            for g, n in (("white", "90"), ("bme", "10")) for b in ("", "band:5", "division:surgery")]
    path = write_rows(tmp_path / "m.csv", METRIC_HEADER, rows)
    assert run_import(store, SOURCES["metrics_csv"], path, actor="t", at=AT).observations == 6


# ------------------------------------------------------- family: ethnicity written out
PERSON_ROWS = {  # importer → (header, a row with {eth} for its ethnic category)
    "esr_csv": (ESR_HEADER, ["1", "x", "SYT01", "2025-03-31", "Band 5", "{eth}", "No"]),
    "pay_csv": (tuple(PAY_HEADER.split(",")), ["1", "SYT01", "2025-03-31", "Female", "{eth}",
                                               "No", "20.00"]),
    "recruitment_csv": (("application_id", "org_code", "year_end", "ethnic_category",
                         "disability", "furthest_stage"),
                        ["1", "SYT01", "2024/25", "{eth}", "No", "applied"]),
}


@pytest.mark.parametrize("source", sorted(PERSON_ROWS))
@pytest.mark.parametrize("written", ["Black British", "Asian or Asian British", "Chinese",
                                     "Not stated", "Prefer not to say", "Mixed"])
def test_an_ethnicity_written_in_words_is_refused_not_grouped_by_its_first_letter(
        store: Engine, tmp_path: Path, source: str, written: str) -> None:
    # Read by the first letter, Black British, Asian and Chinese were counted as White (B, A
    # and C) and "Not stated" as BME (N), and the file imported with exit 0.
    header, row = PERSON_ROWS[source]
    good = [c.replace("{eth}", "A") for c in row]
    bad = [c.replace("{eth}", written) for c in row]
    path = write_rows(tmp_path / "p.csv", header, [good, bad, good])
    text = refused(store, source, path)
    located(text, path, 3, "ethnic_category")
    assert "found a value with no WRES group; expected an NHS ETHNIC CATEGORY code" in text
    assert written not in text


def test_a_code_before_its_description_is_read_by_its_code(store: Engine,
                                                         tmp_path: Path) -> None:
    header, row = PERSON_ROWS["esr_csv"]
    values = ["A White - British", "LK Asian Sri Lankan", "Z Not Stated", "C3", "n"]
    path = write_rows(tmp_path / "esr.csv", header,
                      [[c.replace("{eth}", v) for c in row] for v in values])
    run_import(store, SOURCES["esr_csv"], path, actor="t", at=AT)
    overall = {r.group: r.numerator for r in current_rows(store)
               if r.metric == "wres.1" and r.breakdown == "overall"}
    assert overall == {"white": 2, "bme": 2, "unknown": 1}


# ------------------------------------------------------------------- family: long fields
@pytest.mark.parametrize("length", [10_001, 131_073, 400_000])
def test_a_field_over_the_limit_is_located_not_a_traceback(store: Engine, tmp_path: Path,
                                                           length: int) -> None:
    path = write_rows(tmp_path / "m.csv", METRIC_HEADER, [metric_row(note="x" * length)])
    text = refused(store, "metrics_csv", path)
    located(text, path, 2, "note")
    assert f"found a {length:,}-character text; expected a field of at most 10,000" in text
    assert "x" * 50 not in text


@pytest.mark.parametrize("source,header,row,column", [
    ("organisations_csv", ORG_HEADER, ["SYT02", "n" * 200_000, "", "", "", "", "no"], "name"),
    ("esr_csv", ESR_HEADER, ["1", "x", "SYT01", "2025-03-31", "B" * 150_000, "A", "No"],
     "band"),
    ("esr_csv", ESR_HEADER, ["1", "Bland" * 30_000, "SYT01", "2025-03-31", "5", "A", "No"],
     "full_name"),
])
def test_long_fields_are_refused_in_every_csv_importer(store: Engine, tmp_path: Path,
                                                        source: str, header: tuple[str, ...],
                                                        row: list[str], column: str) -> None:
    path = write_rows(tmp_path / "f.csv", header, [row])
    located(refused(store, source, path), path, 2, column)


# -------------------------------------------------------------- family: unclosed quotes
QUOTED = [  # (importer, header, a good row, the same row with a quote opened in its last cell)
    ("metrics_csv", ",".join(METRIC_HEADER), ",".join(GOOD_METRIC),
     "SYT01,wres:2024,wres.2,bme,,200,1000,,\"a note"),
    ("organisations_csv", ",".join(ORG_HEADER), "SYT02,Trust Two,,,,,no",
     "SYT03,\"Trust Three,,,,,no"),
    ("pay_csv", PAY_HEADER, "E1,SYT01,2025-03-31,Female,A,No,31.50",
     "E2,SYT01,2025-03-31,Male,A,No,\"24.00"),
]


@pytest.mark.parametrize("source,header,good,opened", QUOTED, ids=[q[0] for q in QUOTED])
def test_a_quote_never_closed_refuses_the_file_at_its_row(
        store: Engine, tmp_path: Path, source: str, header: str, good: str,
        opened: str) -> None:
    # Read leniently, the rest of the file became one cell of row 3 and the file imported.
    path = tmp_path / "q.csv"
    path.write_text("\n".join([header, good, opened, good, good]) + "\n")
    text = refused(store, source, path)
    assert text.startswith(f"{path}:3: error: a quoted field that starts in this row is never "
                           "closed (the file ends inside it); expected each opening quote "
                           "matched by a closing one"), text


@pytest.mark.parametrize("source,header,good,opened", QUOTED, ids=[q[0] for q in QUOTED])
def test_text_after_a_closing_quote_refuses_the_file_at_its_row(
        store: Engine, tmp_path: Path, source: str, header: str, good: str,
        opened: str) -> None:
    path = tmp_path / "q.csv"
    path.write_text("\n".join([header, good, opened + '"x', good]) + "\n")
    text = refused(store, source, path)
    assert text.startswith(f"{path}:3: error: text after a quoted field's closing quote in "
                           "this row; expected a comma after the closing quote"), text


def test_a_division_register_with_a_quote_never_closed_is_refused_at_its_row(
        tmp_path: Path) -> None:
    from connectors.divisions_csv import read_divisions

    path = tmp_path / "divisions.csv"
    path.write_text("org_code,division,owner\nSYT01,Surgery,Chief of Surgery\n"
                    "SYT01,Medicine,\"Chief of Medicine\nSYT01,Theatres,Chief of Surgery\n")
    rows, problems, _ = read_divisions(path)
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (3, "a quoted field that starts in this row is never closed (the file ends inside it)")]


# ------------------------------------------------------------------ family: huge numbers
@pytest.mark.parametrize("column,value", [
    ("numerator", "1e308"), ("numerator", "9" * 400), ("denominator", "inf"),
    ("denominator", "nan"), ("value", "-inf"), ("value", "1" * 400), ("value", "1E400"),
    ("numerator", "99999999999"),
])
def test_huge_and_non_finite_numbers_are_refused(store: Engine, tmp_path: Path, column: str,
                                                 value: str) -> None:
    row = metric_row(**{column: value})
    if column == "value":
        row = ["SYT01", "survey:2023", "wres.7", "bme", "", "", "412", value, ""]
    path = write_rows(tmp_path / "m.csv", METRIC_HEADER, [row])
    located(refused(store, "metrics_csv", path), path, 2, column)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_plain_ascii_count_in_range_or_a_refusal(text: str) -> None:
    try:
        n = parse_count(text)
    except InputError as exc:
        assert "expected" in str(exc)
        return
    if n is not None:
        stripped = text.strip()
        assert stripped.isascii() and 0 <= n <= LIMITS.max_count
        assert all(c.isdigit() or c in ".-" for c in stripped)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.floats(), st.integers(), st.text(alphabet="0123456789.,-e+infa٣３ ",
                                                     max_size=30)))
def test_numbers_are_finite_and_in_range_or_refused(raw: object) -> None:
    for parse in (lambda t: parse_decimal(str(t)), lambda t: parse_whole(str(t))):
        try:
            x = parse(raw)
        except InputError:
            continue
        assert x == x and abs(x) <= LIMITS.max_abs_value


# ------------------------------------------------------------------------ family: ESR dates
@pytest.mark.parametrize("value", [
    "2025-02-30", "2025-13-01", "2025-00-10", "9999-03-31", "0001-03-31", "2300-03-31",
    "2025-3-31", "31/03/2025", "20250331", "2025-W13-1", "２０２５-03-31", "2025-03-31T00:00",
])
def test_impossible_or_out_of_range_esr_dates_are_located_and_not_echoed(
        store: Engine, tmp_path: Path, value: str) -> None:
    row = ["10001", "Okonkwo-Bland", "SYT01", value, "Band 5", "A", "No"]
    path = write_rows(tmp_path / "esr.csv", ESR_HEADER, [row])
    text = refused(store, "esr_csv", path)
    located(text, path, 2, "snapshot_date")
    assert_no_cell_echoed(text, path, [row])


# ------------------------------------------------------------------- family: broken .xlsx
def _filled_return(path: Path) -> Path:
    write_template(path, org_code="SYT01", year=2024)
    return path


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbled_sheet(path: Path) -> None:
    _rewrite_member(path, "xl/worksheets/sheet2.xml", b"<worksheet><sheetData><row r='1'>")


def _no_workbook_part(path: Path) -> None:
    _rewrite_member(path, "xl/workbook.xml", None)


def _corrupt_member(path: Path) -> None:
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start:start + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))


def _zip_of_junk(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")


def _encrypted_flag(path: Path) -> None:
    """Mark every member as encrypted in the central directory (zipfile then refuses it)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + 8] |= 1
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def _rewrite_member(path: Path, name: str, content: bytes | None) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != name:
                dst.writestr(item, src.read(item.filename))
            elif content is not None:
                dst.writestr(item, content)
    path.write_bytes(buf.getvalue())


@pytest.mark.parametrize("source", ["returns_xlsx", "nss_xlsx"])
@pytest.mark.parametrize("damage", [_truncated, _garbled_sheet, _no_workbook_part,
                                    _corrupt_member, _zip_of_junk, _encrypted_flag])
def test_damaged_workbooks_are_refused_as_not_readable(store: Engine, tmp_path: Path,
                                                       damage: Callable[[Path], None],
                                                       source: str) -> None:
    path = _filled_return(tmp_path / "return.xlsx")
    damage(path)
    text = refused(store, source, path)
    assert (f"{path}: error: not a readable .xlsx workbook (" in text
            or f"{path}[" in text), text  # a readable part may be reported by sheet
    assert "expected" in text


def test_a_cell_no_reader_can_read_is_named_in_a_whole_sentence(store: Engine,
                                                                tmp_path: Path) -> None:
    # A number cell holding NaN: openpyxl's long explanation was cut mid-word at 120
    # characters ("… This is most probably because the workbook source fi").
    path = _filled_return(tmp_path / "return.xlsx")
    with zipfile.ZipFile(path) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        xml = z.read(sheet)
    _rewrite_member(path, sheet, xml.replace(b"</sheetData>", b'<row r="99"><c r="A99">'
                                             b"<v>NaN</v></c></row></sheetData>", 1))
    text = refused(store, "returns_xlsx", path)
    assert f"{path}: error: not a readable .xlsx workbook (" in text, text
    reason = text.split("workbook (", 1)[1].split("); expected", 1)[0]
    assert len(reason) <= 140 and "This is most probably" not in reason, reason
    assert reason.endswith(("return.xlsx", " …")), reason  # a sentence, or cut at a word


@pytest.mark.parametrize("content", [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
                                     b"", b"PK\x03\x04"])
def test_protected_old_or_stub_workbooks_are_refused(store: Engine, tmp_path: Path,
                                                     content: bytes) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(content)
    text = refused(store, "returns_xlsx", path)
    assert text.startswith(f"{path}: error: ") and "expected" in text


@pytest.mark.parametrize("content,what", [
    (b"", "file is empty"),
    (b"org_code,period\n", "not an Excel .xlsx workbook (it holds plain text, such as a CSV"),
    (b"%PDF-1.7\n", "not an Excel .xlsx workbook (it is a PDF document)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "not an Excel .xlsx workbook (a password"),
    (b"PK\x03\x04", "not a readable .xlsx workbook"),
])
def test_a_workbook_whose_kind_cannot_be_told_names_both_kinds_it_could_be(
        tmp_path: Path, content: bytes, what: str) -> None:
    from connectors.detect import detect_source

    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(ProblemsError) as exc:
        detect_source(path)
    (problem,) = exc.value.problems
    assert problem.message.startswith(what), problem
    assert "annual return workbook" in problem.message, problem
    assert "NHS Staff Survey detailed spreadsheet" in problem.message, problem


# ------------------------------------------------------------------------ family: NUL bytes
@pytest.mark.parametrize("source,header,row", [
    ("metrics_csv", METRIC_HEADER, metric_row(note="a\x00b")),
    ("organisations_csv", ORG_HEADER, ["SYT02", "Trust\x00", "", "", "", "", "no"]),
    ("esr_csv", ESR_HEADER, ["1", "Bland\x00", "SYT01", "2025-03-31", "Band 5", "A", "No"]),
])
def test_nul_bytes_are_located_by_line_and_column(store: Engine, tmp_path: Path, source: str,
                                                  header: tuple[str, ...],
                                                  row: list[str]) -> None:
    path = write_rows(tmp_path / "f.csv", header, [row])
    text = refused(store, source, path)
    col = ",".join(row).index("\x00") + 1
    assert f"{path}:2:{col}: error: not a CSV text file: found a NUL byte" in text
    assert "expected UTF-8 text" in text


# ------------------------------------------------------------------- family: not UTF-8
@pytest.mark.parametrize("encoding,expected", [
    ("utf-16", "found UTF-16 text (it starts with a UTF-16 byte-order mark)"),
    ("utf-16-le", "UTF-16 text without a byte-order mark"),
    ("utf-16-be", "UTF-16 text without a byte-order mark"),
    ("utf-32", "found UTF-32 text"),
    ("latin-1", "not UTF-8 text: found a byte that is not UTF-8"),
    ("cp1252", "not UTF-8 text: found a byte that is not UTF-8"),
])
@pytest.mark.parametrize("source", ["organisations_csv", "esr_csv"])
def test_files_that_are_not_utf8_are_refused_with_where(store: Engine, tmp_path: Path,
                                                        encoding: str, expected: str,
                                                        source: str) -> None:
    if source == "esr_csv":
        header, rows = ESR_HEADER, [["1", "Zoë O’Brien", "SYT01", "2025-03-31", "5", "A",
                                     "No"]]
    else:
        header, rows = ORG_HEADER, [["SYT02", "Hôpital Zoë’s Trust", "", "", "", "", "no"]]
    if encoding == "latin-1":  # no curly apostrophe in Latin-1
        rows = [[c.replace("’", "'") for c in r] for r in rows]
    path = write_rows(tmp_path / "f.csv", header, rows, encoding=encoding)
    text = refused(store, source, path)
    assert expected in text and "expected UTF-8 text" in text
    assert ":1:" in text or ":2:" in text  # located by line and byte column
    if source == "esr_csv":
        assert_no_cell_echoed(text, path, rows)


# -------------------------------------------------------------- family: organisation names
@pytest.mark.parametrize("name,expected", [
    ("T" * 256, "found a 256-character text; expected a name on one line of at most 255"),
    ("Trust\x07 bell", "control character (U+0007)"),
    ('"Two\nlines"', "control character (U+000A)"),
    ("Tab\tTrust", "control character (U+0009)"),
    ("Esc\x1b[31m", "control character (U+001B)"),
    ("Del\x7f", "control character (U+007F)"),
    ("=HYPERLINK(\"http://x\")", "looks like a spreadsheet formula"),
])
def test_organisation_names_that_would_break_documents_are_refused(
        store: Engine, tmp_path: Path, name: str, expected: str) -> None:
    path = write_rows(tmp_path / "orgs.csv", ORG_HEADER, [["SYT02", name, "", "", "", "",
                                                           "no"]])
    text = refused(store, "organisations_csv", path)
    located(text, path, 2, "name")
    assert expected in text


# ------------------------------------------------------------------------ family: FIFOs
def _returns_within_a_second(call: Callable[[], object]) -> BaseException | None:
    result: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
            result.append(None)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            result.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=1.0)
    assert not thread.is_alive(), "the import blocked on a file that is not a regular file"
    return result[0]


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
@pytest.mark.parametrize("name", ["x.csv", "x.xlsx"])
def test_a_fifo_or_other_non_regular_file_is_refused_at_once(store: Engine, tmp_path: Path,
                                                            kind: str, name: str) -> None:
    path = tmp_path / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero")  # reading it would never end
    before = store_counts(store)
    outcome = [_returns_within_a_second(
        lambda: api.import_file(store, load_settings(None), path, actor="t", at=AT))]
    outcome += [_returns_within_a_second(
        lambda s=s: run_import(store, SOURCES[s], path, actor="t", at=AT)) for s in SOURCES]
    for exc in outcome:
        assert isinstance(exc, ProblemsError), exc
        assert str(exc).startswith(f"{path}: error: found ")
        assert "expected a regular file" in str(exc)
    assert store_counts(store) == before


# ---------------------------------------------------------------- family: duplicate headers
@pytest.mark.parametrize("source,header,row,first,second", [
    ("metrics_csv", (*METRIC_HEADER, "numerator"), [*GOOD_METRIC, "5"], 6, 10),
    ("organisations_csv", ("code", "name", "name"), ["SYT02", "A", "B"], 2, 3),
    ("esr_csv", (*ESR_HEADER, "band"), [*GOOD_PERSON, "Band 7"], 5, 8),
])
def test_duplicate_columns_are_refused_naming_both(store: Engine, tmp_path: Path,
                                                   source: str, header: tuple[str, ...],
                                                   row: list[str], first: int,
                                                   second: int) -> None:
    path = write_rows(tmp_path / "f.csv", header, [row])
    text = refused(store, source, path)
    assert f"{path}:1:{second}: error: duplicate column '{header[second - 1]}' (columns " \
           f"{first} and {second}); expected each column once" in text


# ------------------------------------------------------- family: commas and Unicode digits
@pytest.mark.parametrize("column,value,expected", [
    ("numerator", "2,5", "with a comma"), ("denominator", "1,000", "with a comma"),
    ("denominator", "1.000,5", "with a comma"), ("numerator", "٣", "non-ASCII digits"),
    ("numerator", "３", "non-ASCII digits"), ("denominator", "১০", "non-ASCII digits"),
    ("numerator", "1_000", "expected a whole number"), ("numerator", "+3", "expected"),
    ("period", "wres:２０２４", "expected"), ("numerator", "3\u00a0000", "expected"),
])
def test_ambiguous_or_non_ascii_numbers_are_refused(store: Engine, tmp_path: Path,
                                                    column: str, value: str,
                                                    expected: str) -> None:
    path = write_rows(tmp_path / "m.csv", METRIC_HEADER, [metric_row(**{column: value})])
    text = refused(store, "metrics_csv", path)
    located(text, path, 2, column)
    assert expected in text


# ----------------------------------------------- family: counts that cannot be counts
@pytest.mark.parametrize("cells,column,expected", [
    ({"numerator": "-3"}, "numerator", "negative count -3"),
    ({"denominator": "-1", "numerator": "0"}, "denominator", "negative count -1"),
    ({"numerator": "3.5"}, "numerator", "(not a fraction)"),
    ({"denominator": "0.1"}, "denominator", "(not a fraction)"),
    ({"numerator": "1200"}, "numerator", "larger than denominator 1000"),
])
def test_counts_must_be_whole_non_negative_and_within_their_base(
        store: Engine, tmp_path: Path, cells: dict[str, str], column: str,
        expected: str) -> None:
    path = write_rows(tmp_path / "m.csv", METRIC_HEADER, [metric_row(**cells)])
    text = refused(store, "metrics_csv", path)
    assert f"{path}:2:{column}: error:" in text and expected in text


@pytest.mark.parametrize("cell,value,expected", [
    ("C9", "-3", "found -3; expected a whole number of people, 0 or more"),
    ("C9", -0.5, "expected a whole number of people"),
    ("D9", 2.5, "found 2.5; expected a whole number of people"),
    ("B5", 1e308, "at most 10,000,000"),
    ("B6", "2,5", "with a comma"),
    ("B7", "３", "non-ASCII digits"),
])
def test_return_workbook_counts_are_strict(store: Engine, tmp_path: Path, cell: str,
                                           value: object, expected: str) -> None:
    path = _filled_return(tmp_path / "r.xlsx")
    wb = load_workbook(path)
    for row in range(5, 21):
        for col in "BCDEFG":
            wb["Workforce"][f"{col}{row}"] = 1 if col in "BE" else 0
    wb["Workforce"][cell] = value
    wb.save(path)
    text = refused(store, "returns_xlsx", path)
    assert f"{path}[Workforce]:{cell[1:]}:{cell[0]}: error: " in text and expected in text


# ------------------------------------------------------------ family: formula identifiers
@pytest.mark.parametrize("code", ["=1+1", "+RR8", "-RR8", "@SUM(A1)", "=HYPERLINK(\"x\")",
                                  "RR", "ABCDEFGHIJK", "R R8", "RÉ8"])
def test_formula_looking_or_misshapen_ods_codes_are_refused(store: Engine, tmp_path: Path,
                                                            code: str) -> None:
    orgs = write_rows(tmp_path / "orgs.csv", ORG_HEADER, [[code, "Trust", "", "", "", "",
                                                            "no"]])
    text = refused(store, "organisations_csv", orgs)
    located(text, orgs, 2, "code")
    assert "expected an ODS code: 3 to 10 letters A-Z and digits 0-9" in text
    metrics = write_rows(tmp_path / "m.csv", METRIC_HEADER, [metric_row(org_code=code)])
    located(refused(store, "metrics_csv", metrics), metrics, 2, "org_code")


def test_formula_as_the_return_organisation_is_refused(store: Engine, tmp_path: Path) -> None:
    path = _filled_return(tmp_path / "r.xlsx")
    wb = load_workbook(path)
    wb["Workforce"]["B5"] = 1  # something entered, so the About sheet is read
    wb["About"]["B5"] = "@cmd|' /C calc'!A0"
    wb.save(path)
    text = refused(store, "returns_xlsx", path)
    assert f"{path}[About]:5:B: error: found " in text and "looks like a spreadsheet formula" \
        in text


# ------------------------------------------------------------------ family: blank cells
@pytest.mark.parametrize("source,header,row,column", [
    ("metrics_csv", METRIC_HEADER, metric_row(org_code=""), "org_code"),
    ("metrics_csv", METRIC_HEADER, metric_row(metric=""), "metric"),
    ("metrics_csv", METRIC_HEADER, metric_row(period=""), "period"),
    ("metrics_csv", METRIC_HEADER, metric_row(numerator=""), "numerator"),
    ("organisations_csv", ORG_HEADER, ["", "Trust", "", "", "", "", "no"], "code"),
    ("organisations_csv", ORG_HEADER, ["SYT02", "", "", "", "", "", "no"], "name"),
    ("esr_csv", ESR_HEADER, ["1", "x", "", "2025-03-31", "5", "A", "No"], "org_code"),
    ("esr_csv", ESR_HEADER, ["1", "x", "SYT01", "", "5", "A", "No"], "snapshot_date"),
    ("esr_csv", ESR_HEADER, ["1", "x", "SYT01", "2025-03-31", "", "A", "No"], "band"),
])
def test_blank_required_cells_are_located(store: Engine, tmp_path: Path, source: str,
                                          header: tuple[str, ...], row: list[str],
                                          column: str) -> None:
    path = write_rows(tmp_path / "f.csv", header, [row])
    located(refused(store, source, path), path, 2, column)


# ---------------------------------------------------------------- family: ESR leaks
def assert_no_cell_echoed(text: str, path: Path, rows: list[list[str]]) -> None:
    """No value of three or more characters from the rows appears in the messages."""
    shown = text.replace(str(path), "")
    for row in rows:
        for cell in row:
            cell = cell.strip()
            if len(cell) >= 3 and cell not in ESR_HEADER:
                assert cell not in shown, (cell, text)


PEOPLE = [
    ["10001", "Bland", "SYT01", "2025-03-31", "Band 5", "A", "No"],
    ["10002", "Hargreaves", "SYT01", "2025-03-31", "Band 6", "D", "Yes"],
    ["10003", "Nkemelu", "SYT01", "2025-03-31", "8c", "S1", "Not declared"],
]


@pytest.mark.parametrize("variant", ["headerless", "shifted", "misspelt", "every_bad"])
def test_esr_messages_never_echo_a_value_from_the_file(store: Engine, tmp_path: Path,
                                                       variant: str) -> None:
    header: tuple[str, ...] | None = ESR_HEADER
    rows = [list(r) for r in PEOPLE]
    if variant == "headerless":
        header = None
    elif variant == "shifted":
        rows = [r[1:] + ["Blandford"] for r in rows]  # a column missing: values move over
    elif variant == "misspelt":
        header = tuple("bands" if h == "band" else h for h in ESR_HEADER)
    else:
        rows = [["9", "Bland", "NOTAREG", "2025-02-31", "Band 55", "Q9", "Maybe so"],
                ["9", "Bland", "=cmd|x", "2025-03-31", "Band 5", "A", "No"],
                ["9", "Bland", "SYT01", "31 March", "Band 5", "A", "No"],
                ["9", "Bland", "SYT01", "2025-03-31", "Bandit", "A", "No"],
                ["9", "Bland", "SYT01", "2025-03-31", "5", "A", "Probably"],
                ["9", "Bland", "SYT01", "2025-03-31", "5", "A\x07bell", "No"]]
    path = write_rows(tmp_path / "esr.csv", header, rows)
    text = refused(store, "esr_csv", path)
    assert_no_cell_echoed(text, path, rows)
    assert "expected" in text
    if variant == "headerless":
        assert f"{path}:1: error: no recognised header row" in text
    if variant == "misspelt":  # a recognised header: its column names may be quoted
        assert "missing column 'band' (did you mean 'bands'?)" in text


def test_a_headerless_esr_file_detected_as_metrics_is_not_echoed_either(
        store: Engine, tmp_path: Path) -> None:
    path = write_rows(tmp_path / "esr.csv", None, [list(r) for r in PEOPLE])
    before = store_counts(store)
    with pytest.raises(ProblemsError) as exc:
        api.import_file(store, load_settings(None), path, actor="t", at=AT)
    assert_no_cell_echoed(str(exc.value), path, PEOPLE)
    assert store_counts(store) == before


# --------------------------------------------------------------- family: many problems
def test_problems_are_all_reported_together_up_to_a_cap(store: Engine, tmp_path: Path) -> None:
    rows = [metric_row(numerator="lots") for _ in range(450)]
    path = write_rows(tmp_path / "m.csv", METRIC_HEADER, rows)
    before = store_counts(store)
    with pytest.raises(ProblemsError) as exc:
        run_import(store, SOURCES["metrics_csv"], path, actor="t", at=AT)
    problems = exc.value.problems
    assert len(problems) == LIMITS.max_problems + 1
    assert [p.line for p in problems[:3]] == [2, 3, 4]
    assert str(problems[-1]) == f"{path}: error: … and 250 more problems (the first 200 are shown)"
    assert store_counts(store) == before


def test_a_person_level_file_capped_by_its_importer_ends_with_one_true_count(
        store: Engine, tmp_path: Path) -> None:
    # DuckDB caps its list at 200 with a count of the rest; the import sorted that count to
    # the top (it has no row) and capped again, adding "… and 1 more" at the end.
    rows = [["1", "x", "SYT01", "2025-03-31", "Band 55", "A", "No"] for _ in range(450)]
    path = write_rows(tmp_path / "esr.csv", ESR_HEADER, rows)
    with pytest.raises(ProblemsError) as exc:
        run_import(store, SOURCES["esr_csv"], path, actor="t", at=AT)
    problems = exc.value.problems
    assert [p.line for p in problems[:2]] == [2, 3] and len(problems) == LIMITS.max_problems + 1
    assert str(problems[-1]) == f"{path}: error: … and 250 more problems (the first 200 are shown)"
    (tmp_path / "cli").mkdir()
    code, _, err = run_cli(sqlite_config(tmp_path / "cli", "SYT01"), "import", str(path))
    assert code == 2 and err.endswith("450 problems; nothing was changed.\n"), err[-300:]


def test_several_files_one_refused_say_the_others_were_imported(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path, "SYT01")
    good = write_rows(tmp_path / "good.csv", METRIC_HEADER, [GOOD_METRIC])
    bad = write_rows(tmp_path / "bad.csv", METRIC_HEADER, [metric_row(numerator="lots")])
    code, out, err = run_cli(config, "import", str(good), str(bad))
    assert code == 2 and f"{good}:imported:" in "".join(out.split())  # rich wraps lines
    assert err.splitlines()[-2:] == [f"1 problem; nothing from {bad} was stored.",
                                     "1 of 2 files refused; each file is imported on its own, "
                                     "so the rest were imported (see above)"], err


# ------------------------------------------------------------------------ the CLI, end to end
def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n')
    return subprocess.run([sys.executable, "-m", "assurance.cli", "--config", str(cfg),
                           "import", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("make", ["fifo", "utf16", "headerless_esr", "damaged_xlsx"])
def test_the_cli_exits_2_with_located_problems_and_no_traceback(tmp_path: Path,
                                                                make: str) -> None:
    path = tmp_path / ("x.xlsx" if make == "damaged_xlsx" else "x.csv")
    if make == "fifo":
        os.mkfifo(path)
    elif make == "utf16":
        write_rows(path, METRIC_HEADER, [GOOD_METRIC], encoding="utf-16")
    elif make == "headerless_esr":
        write_rows(path, None, [list(r) for r in PEOPLE])
    else:
        _filled_return(path)
        _truncated(path)
    proc = _cli(tmp_path, str(path))
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:" in proc.stderr and "error:" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    if make == "headerless_esr":
        assert_no_cell_echoed(proc.stderr + proc.stdout, path, PEOPLE)


def test_imported_result_type_is_unchanged_for_good_files(store: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", METRIC_HEADER, [tuple(GOOD_METRIC)])
    result = run_import(store, SOURCES["metrics_csv"], path, actor="t", at=AT)
    assert isinstance(result, ImportResult) and result.status == "imported"


@pytest.mark.parametrize(("content", "seems"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "it is a PDF document"),
    (b"<!DOCTYPE html><html><head><title>Sign in</title>", "it is a web page (HTML)"),
    (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
     "it is an XML file"),
    (b"\xff\xfeo\x00r\x00g\x00", "it is UTF-16 text"),
    ("org_code,period,metric\nRXX,wres:2024,wres.2\nSmith £5\n".encode(), "it holds plain text"),
    (bytes(range(256)) * 4, "its contents are not a spreadsheet format"),
    (b"PK\x03\x04\x14\x00\x00\x08\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet",
     "an OpenDocument .ods spreadsheet"),
])
def test_a_file_named_xlsx_that_is_not_a_workbook_says_what_it_seems_to_be(
        store: Engine, tmp_path: Path, content: bytes, seems: str) -> None:
    path = tmp_path / "survey.xlsx"
    path.write_bytes(content)
    text = refused(store, "nss_xlsx", path)
    assert "not an Excel .xlsx workbook (" + seems in text
    assert "Smith" not in text and "RXX" not in text  # contents are never quoted
