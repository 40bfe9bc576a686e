"""A person-level file whose lines end in both CRLF and LF (as spreadsheets save them) is read
like its LF-only twin, through an in-memory copy, with every problem still on the file's own
line; a lone carriage return is still refused. Real files, real DuckDB, real imports."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from assurance.ingest import run_import, store_counts
from assurance.problems import ProblemsError
from assurance.safeinput import open_regular
from conftest import AT
from connectors import SOURCES
from connectors.csv_lines import crlf_and_lf, lines_at, mixed_line_end, readable
from connectors.pay_csv import PayCsv
from connectors.person_level import Extract, tally
from helpers import current_rows, register_orgs

FIXTURES = Path(__file__).parent / "fixtures"
ESR = ("staff_number", "org_code", "snapshot_date", "band", "ethnic_category", "disability")


def _mix(lines: list[bytes], seed: int) -> bytes:
    """The lines joined with CRLF or LF at random (at least one of each)."""
    rng = random.Random(seed)
    ends = [rng.choice([b"\r\n", b"\n"]) for _ in lines]
    ends[0], ends[-1] = b"\r\n", b"\n"
    return b"".join(line + end for line, end in zip(lines, ends, strict=True))


def _esr_lines(n: int) -> list[bytes]:
    rng = random.Random(n)
    return [",".join(ESR).encode()] + [
        f"9{i:05d},SYT01,2025-03-31,Band {rng.randint(2, 9)},{rng.choice('ACHJZ')},"
        f"{rng.choice(['Yes', 'No', ''])}".encode() for i in range(n)]


@pytest.fixture
def store(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    register_orgs(sqlite_engine, tmp_path, "SYT01", "SYT02", "Z9T01")
    return sqlite_engine


def _figures(engine: Engine) -> set[tuple[object, ...]]:
    return {(r.org_code, r.period_key, r.metric, r.group, r.breakdown, r.value, r.numerator,
             r.denominator) for r in current_rows(engine)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_esr_extract_with_mixed_line_ends_stores_what_its_lf_twin_stores(
        sqlite_engine: Engine, tmp_path: Path, seed: int) -> None:
    lines = _esr_lines(300)
    mixed, plain = tmp_path / "mixed.csv", tmp_path / "plain.csv"
    mixed.write_bytes(_mix(lines, seed))
    plain.write_bytes(b"\n".join(lines) + b"\n")
    assert crlf_and_lf(mixed) and not crlf_and_lf(plain) and mixed_line_end(mixed) is None
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    got = run_import(sqlite_engine, SOURCES["esr_csv"], mixed, actor="t", at=AT)
    assert got.rows_read == 300
    mixed_figures = _figures(sqlite_engine)
    again = run_import(sqlite_engine, SOURCES["esr_csv"], plain, actor="t", at=AT)
    assert again.superseded == got.observations  # same scopes …
    assert _figures(sqlite_engine) == mixed_figures  # … and the same figures


def _outcome(engine: Engine, path: Path) -> object:
    """What importing ``path`` into ``engine`` leaves: its figures, or its problems."""
    try:
        run_import(engine, SOURCES["esr_csv"], path, actor="t", at=AT)
    except ProblemsError as exc:
        return [(p.line, p.column, p.message) for p in exc.problems]
    return _figures(engine)


@pytest.mark.parametrize("line_ends", ["mixed", "lf"])
@pytest.mark.parametrize("quoted", ["note", "department"])
def test_a_file_with_crlf_inside_quoted_cells_is_read_as_its_lf_twin(
        sqlite_engine: Engine, tmp_path: Path, line_ends: str, quoted: str) -> None:
    # The file is first read as it is. With LF line ends (every CRLF inside a quoted cell)
    # DuckDB reads it, keeping each quoted CRLF as two characters: in a column that is not
    # read (note) the counts are those of the twin; in a read column (department) the
    # carriage return refuses the read, and the LF copy is read instead, as the twin.
    rng = random.Random(len(quoted) + len(line_ends))
    lines = [b"staff_number,org_code,snapshot_date,band,ethnic_category,disability,"
             b"department,note"]
    for i in range(200):
        cell = b'"Ward\r\n' + str(i).encode() + b'"' if i % 7 == 3 else b"Ward"
        note, dept = (cell, b"Ward") if quoted == "note" else (b"x", cell)
        lines.append(f"9{i:05d},SYT01,2025-03-31,Band {rng.randint(2, 9)},"
                     f"{rng.choice('ACHJZ')},{rng.choice(['Yes', 'No', ''])},".encode()
                     + dept + b"," + note)
    ends = ([rng.choice([b"\r\n", b"\n"]) for _ in lines] if line_ends == "mixed"
            else [b"\n"] * len(lines))
    mixed, twin = tmp_path / "mixed.csv", tmp_path / "twin.csv"
    mixed.write_bytes(b"".join(line + end for line, end in zip(lines, ends, strict=True)))
    twin.write_bytes(mixed.read_bytes().replace(b"\r\n", b"\n"))
    assert crlf_and_lf(mixed)
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    from_mixed = _outcome(sqlite_engine, mixed)
    from_twin = _outcome(sqlite_engine, twin)
    assert from_mixed == from_twin
    assert isinstance(from_mixed, set if quoted == "note" else list) and from_mixed


def test_without_an_in_memory_copy_bad_rows_are_on_the_lines_of_the_file_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An LF file whose quoted cells hold CRLFs looks mixed; where the system cannot make the
    # LF copy (no memfd), DuckDB reads the file itself, and lines are counted in it too.
    rows = ([b"a,b,c"] + [b'x,y,"n\r\no"' for _ in range(30)] + [b"x,y"] + [b"q,r,s"] * 40
            + [b"x,y"])
    path = tmp_path / "q.csv"
    path.write_bytes(b"\n".join(rows) + b"\n")
    extract = Extract(required=("a", "b"), counts=(("a",),))
    with_copy = [p.line for p in tally(path, extract).problems]
    monkeypatch.delattr(os, "memfd_create")
    assert [p.line for p in tally(path, extract).problems] == with_copy == [62, 103]


def test_bad_rows_in_a_mixed_file_are_on_their_own_lines(store: Engine,
                                                         tmp_path: Path) -> None:
    lines = _esr_lines(40)
    lines[10] = lines[10].replace(b"Band", b"Band\x07")  # a value check: line 11
    lines[25] = lines[25] + b",extra"  # a malformed row DuckDB rejects: line 26
    path = tmp_path / "esr.csv"
    path.write_bytes(_mix(lines, 7))
    before = store_counts(store)
    with pytest.raises(ProblemsError) as exc:
        run_import(store, SOURCES["esr_csv"], path, actor="t", at=AT)
    assert [p.line for p in exc.value.problems] == [11, 26], exc.value
    assert store_counts(store) == before


def test_a_pay_extract_with_mixed_line_ends_gives_the_same_pay_gaps(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    lines = (FIXTURES / "pay_extract.csv").read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    lines = [line for line in lines if line]
    mixed, plain = tmp_path / "pay-mixed.csv", tmp_path / "pay.csv"
    mixed.write_bytes(_mix(lines, 5))
    plain.write_bytes(b"\n".join(lines) + b"\n")
    register_orgs(sqlite_engine, tmp_path, "Z9T01")
    first = run_import(sqlite_engine, PayCsv(), mixed, actor="t", at=AT)
    mixed_figures = _figures(sqlite_engine)
    second = run_import(sqlite_engine, PayCsv(), plain, actor="t", at=AT)
    assert first.observations == second.observations > 0
    assert _figures(sqlite_engine) == mixed_figures


def test_a_lone_carriage_return_is_still_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\r\n1,2\n3\r4\n5,6\r\n")
    assert not crlf_and_lf(path) and mixed_line_end(path) == 3


def test_positions_in_the_lf_copy_map_to_the_files_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"h\r\n\"a\nb\",c\r\nd\ne\r\n")
    with open_regular(path) as raw, readable(raw, path) as text:
        copy = text.read()
        if hasattr(os, "memfd_create"):  # the copy is in memory, not a file on disk
            assert os.readlink(f"/proc/self/fd/{text.fileno()}").startswith("/memfd:")
    assert copy == b"h\n\"a\nb\",c\nd\ne\n"
    starts = [0] + [i + 1 for i, ch in enumerate(copy) if ch == ord("\n")][:-1]
    assert starts == [0, 2, 5, 10, 12]
    # Counted in the copy: position 10 starts line 4 there (in the file it is line 3's CR).
    assert lines_at(path, starts) == {0: 1, 2: 2, 5: 3, 10: 4, 12: 5}


# --------------------------------------------- carriage returns alone ("CSV (Macintosh)")
def test_a_cr_only_file_is_detected_by_its_first_line(tmp_path: Path) -> None:
    from connectors.detect import detect_source

    cases = (Path(__file__).parent.parent / "connectors" / "examples" / "career-cases.csv")
    path = tmp_path / "cases-mac.csv"
    path.write_bytes(cases.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    assert detect_source(path) == detect_source(cases) == "cases_csv"


def test_a_bad_row_in_a_cr_only_file_is_on_its_own_line(store: Engine, tmp_path: Path) -> None:
    lines = _esr_lines(20)
    lines[3] = lines[3].replace(b"Band", b"Band\x07")  # line 4
    path = tmp_path / "esr-mac.csv"
    path.write_bytes(b"\r".join(lines) + b"\r")
    before = store_counts(store)
    with pytest.raises(ProblemsError) as exc:
        run_import(store, SOURCES["esr_csv"], path, actor="t", at=AT)
    assert [p.line for p in exc.value.problems] == [4], exc.value
    assert store_counts(store) == before
    assert lines_at(path, [0, len(lines[0]) + 1]) == {0: 1, len(lines[0]) + 1: 2}


@pytest.mark.parametrize("content", [b"", b"\n", b"\r\n", b",,,\r\norg_code,period\r\n",
                                     b" \t\n"])
def test_a_csv_without_a_header_row_is_refused_before_any_importer_reads_it(
        tmp_path: Path, content: bytes) -> None:
    from connectors.detect import detect_source

    path = tmp_path / "blank.csv"
    path.write_bytes(content)
    with pytest.raises(ProblemsError) as exc:
        detect_source(path)
    (problem,) = exc.value.problems
    assert problem.line == 1 and "no header row" in problem.message
    assert "--source" in problem.message


def test_a_stray_carriage_return_in_a_pay_extract_is_refused_at_its_line(
        store: Engine, tmp_path: Path) -> None:
    # The csv module ends a row at it, DuckDB does not: the two readings differed and the
    # refusal said only that ("DuckDB read it differently"), with no line.
    lines = [b"staff_number,org_code,snapshot_date,sex,ethnic_category,disability,hourly_pay"]
    lines += [f"E{i},SYT01,2025-03-31,{'Female' if i % 2 else 'Male'},A,No,2{i}.50".encode()
              for i in range(6)]
    path = tmp_path / "pay.csv"
    path.write_bytes(b"\n".join(lines[:3]) + b"\r" + b"\n".join(lines[3:]) + b"\n")
    before = store_counts(store)
    with pytest.raises(ProblemsError) as exc:
        run_import(store, PayCsv(), path, actor="t", at=AT)
    (problem,) = exc.value.problems
    assert problem.line == 3 and "line 3 ends differently from line 1" in problem.message
    assert store_counts(store) == before
