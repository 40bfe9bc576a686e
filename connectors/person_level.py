"""Person-level CSV files aggregated by DuckDB, in-process: only counts leave the database.

Ethnicity, disability and pay are special-category data (UK GDPR Art. 9; domain.md §9): a
person-level file is needed only to compute aggregates. Every person-level source describes
its file as an :class:`Extract` (the columns it reads, SQL that normalises each column, the
checks a value must pass, the counts it wants) and calls :func:`tally`, which:

1. refuses before DuckDB reads anything what is not a regular file within the size limit
   (:func:`assurance.safeinput.open_regular`: no FIFO, device or directory is ever opened for
   reading) and any file with a UTF-16/UTF-32 byte-order mark or a NUL byte (UTF-16 without
   a mark, binary data) — located by :func:`assurance.safeinput.scan_text`; the same pass
   (one byte search a chunk) notes whether the file holds a carriage return;
2. reads the header row (Python's csv module, one record) and refuses a missing or duplicate
   column, or a first row that names no column at all, without quoting that row;
3. opens an in-memory DuckDB connection (:func:`connectors.person_sql.connect`) limited to
   :data:`~connectors.person_sql.MEMORY_LIMIT` and :data:`~connectors.person_sql.THREADS`,
   that cannot spill to disk (no temporary directory: person-level rows never reach a file),
   may read only the opened file (by its descriptor, so it cannot be swapped and no glob
   character in a name is expanded; ``enable_external_access`` off, configuration locked)
   and never loads extensions;
4. reads the file once with a fixed dialect — every column ``VARCHAR``, comma, double quote
   (doubled inside quoted fields), header row, ``strict_mode`` on, no null padding, no
   compression, UTF-8 — grouping the rows by the raw values of the read columns (columns
   that are only checked, :attr:`Extract.checked`, are grouped on their own) and keeping the
   longest unread field of each group; malformed rows (a missing or extra cell, a stray
   quote, an over-long line, invalid UTF-8) go to DuckDB's rejects table instead. When
   anything refuses a file holding a carriage return, the file is checked for a mix of
   CRLF and LF line ends (:func:`connectors.csv_lines.crlf_and_lf`: DuckDB's strict
   reader splits on one kind) and, if it mixes them, read again from an in-memory copy
   with every CRLF as LF (:func:`connectors.csv_lines.lf_copy`), as the older importer
   read it; a clean file is never counted for line ends;
5. normalises and checks **in SQL** each column's distinct values once (a real extract has a
   few hundred per column): the first failing :class:`Check` is a value's problem; a file
   has a bad row exactly when some column has a bad value or a group an over-long field
   (one query over these small tables says whether anything refuses the file);
6. on a clean file, joins the groups to their checked values and sums the counts of every
   key set (:attr:`Extract.counts`) in one ``GROUPING SETS`` pass; otherwise locates the
   first :data:`MAX_PROBLEMS` bad rows by reading the file again ``WITH ORDINALITY`` (only
   rows holding a bad value are looked at) and refuses the whole file. Invalid UTF-8 found
   by DuckDB is located by :func:`assurance.safeinput.scan_text` (line and byte column).

What leaves DuckDB: aggregate counts keyed by normalised codes, and for problems only numbers
(a row's ordinal, a check's index, a field's length, a control character's code point and
position, a rejected row's byte offset and cell count). No value from the file is fetched,
so none can reach a message, a log or the store. Row numbers are physical line numbers (the
header is line 1; a quoted field holding line breaks moves the rows after it down): DuckDB
reports a row's ordinal, and one streamed pass over the file (Python's csv module, counting
line breaks, keeping nothing) turns ordinals into lines. Any DuckDB error becomes a problem
naming the file that describes the failure without quoting DuckDB's message (which may quote
a line); running out of memory is "too many different values".

Memory is bounded by the distinct combinations of read values, not by the number of people,
and DuckDB's own use by :data:`~connectors.person_sql.MEMORY_LIMIT`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from assurance.problems import MoreProblems, Problem, ProblemsError, did_you_mean
from assurance.safeinput import LIMITS, open_regular, scan_text
from connectors import person_sql
from connectors.csv_lines import (
    copied,
    lf_copy,
    lines_at,
    mixed_line_end,
    ordinal_lines,
    rejected_row,
)
from connectors.person_sql import (
    CONTROL_CLASS,
    connect,
    sql_text,
)
from connectors.person_sql import source as source_of
from connectors.tabular import CSV_ADVICE, delimiter_hint

if TYPE_CHECKING:
    import duckdb

MAX_PROBLEMS = LIMITS.max_problems
MAX_REJECTS = 10_000
"""Malformed rows DuckDB records before it only counts on (each record holds the raw line,
inside DuckDB, until the connection closes)."""
MAX_FIELD = 100
"""The longest field a person-level source reads: every such column holds a short code."""

@dataclass(frozen=True)
class Check:
    """One rule a row must pass; the first failing check is the row's problem.

    Attributes:
        column: the column the problem names.
        bad: SQL, true when the row fails (over the read columns and :attr:`Extract.derived`).
        message: the problem's text from the facts, ``found …; expected …``; it never sees
            the value itself.
        facts: SQL integer expressions the message needs (lengths, code points).
    """

    column: str
    bad: str
    message: Callable[[Sequence[int]], str]
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Extract:
    """What a person-level source reads and counts.

    Attributes:
        required: columns every file has (names as written in the header).
        optional: columns read when present (absent ones read as blank).
        derived: ``(column, name, SQL)``: values computed in order from one read column (and
            the lookup tables); each may use the ones of its column before it. They must
            never fail (use ``try_cast``): they are also computed for values that fail.
        checks: the checks after the shared ones (every read field at most
            :data:`MAX_FIELD` characters without control characters; every other field at
            most ``Limits.max_field_chars``), in order. A check sees only its own column's
            value and derived values: each column's distinct values are checked once.
        counts: key sets (names of read or derived columns) to count rows by.
        tables: lookup tables the SQL may use: name → (column names, rows of text).
        checked: read columns only checked as fields, never counted nor used by a check
            (they may hold many different values, so they are grouped on their own).
    """

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    derived: tuple[tuple[str, str, str], ...] = ()
    checks: tuple[Check, ...] = ()
    counts: tuple[tuple[str, ...], ...] = ()
    tables: Mapping[str, tuple[tuple[str, ...], Sequence[tuple[str, ...]]]] = field(
        default_factory=dict)
    checked: tuple[str, ...] = ()


@dataclass
class Tally:
    """What :func:`tally` found: counts per key set, or the problems refusing the file."""

    rows: int = 0
    counts: dict[tuple[str, ...], list[tuple[tuple[object, ...], int]]] = field(
        default_factory=dict)
    columns: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)


# ------------------------------------------------------------------------------- header
def read_header(raw: BinaryIO) -> list[str] | None:
    """The first record of the file, each cell stripped and lower-cased (column names are
    matched in any case, as every importer matches them); None when there is none."""
    with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
        try:
            return [h.strip().lower() for h in next(csv.reader(fh))]
        except (StopIteration, UnicodeDecodeError, csv.Error):
            return None


def header_problems(header: list[str], extract: Extract, where: str) -> list[Problem]:
    """Problems with the header row (``[]`` when every required column is there once).

    A row 1 that names none of the required columns is taken for data (a file without a
    header) and nothing from it is echoed: it may be a person's row. Once the header is
    recognised its cells are column names, which may be quoted.
    """
    required = extract.required
    if not any(c in header for c in required):
        return [Problem(where, f"no recognised header row: none of the {len(header)} cells "
                        "in row 1 is a column name; expected a header row naming the "
                        f"columns {', '.join(required)}" + delimiter_hint(header), 1)]
    out = []
    names = [h for h in header if h and len(h) <= 40 and h.isprintable()]
    for c in (*required, *extract.optional):
        at = [i for i, h in enumerate(header, start=1) if h == c]
        if len(at) > 1:
            out.append(Problem(where, f"duplicate column '{c}' (columns {at[0]} and {at[1]}); "
                               "expected each column once", 1, at[1]))
        elif not at and c in required:
            out.append(Problem(where, f"missing column '{c}'{did_you_mean(c, names)}; "
                               f"expected a header row naming {', '.join(required)}", 1))
    return out


# ------------------------------------------------------------------------------ DuckDB
def _read_csv(source: str, width: int) -> str:
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, width + 1))
    # A line longer than every field at its limit (4 bytes a character, quoted, with its
    # delimiter) must hold a field over the limit: DuckDB rejects it instead of buffering it.
    max_line = max(width * (4 * LIMITS.max_field_chars + 3) + 2, 2_097_152)
    return (f"read_csv({sql_text(source)}, header = true, auto_detect = false, "
            f"columns = {{{columns}}}, delim = ',', quote = '\"', escape = '\"', "
            "strict_mode = true, null_padding = false, skip = 0, compression = 'none', "
            "encoding = 'utf-8', filename = false, hive_partitioning = false, "
            f"max_line_size = {max_line}, store_rejects = true, "
            f"rejects_limit = {MAX_REJECTS})")


@dataclass(frozen=True)
class _Plan:
    """The SQL for one file: where each read column is, and every check in order."""

    extract: Extract
    header: list[str]
    read: dict[str, int]  # column name → 1-based position in the header
    unread: tuple[int, ...]
    fields: tuple[Check, ...]  # every read field: length, control characters
    oversized: tuple[Check, ...]  # every other field: the shared field limit

    @property
    def checks(self) -> tuple[Check, ...]:
        """Every check in order; a problem is its 1-based index here."""
        return (*self.fields, *self.oversized, *self.extract.checks)

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.extract.required, *self.extract.optional)

    @property
    def main(self) -> tuple[str, ...]:
        """The columns grouped together: all but :attr:`Extract.checked`."""
        return tuple(n for n in self.names if n not in self.extract.checked)

    def rows(self, rows_sql: str, *, raw: bool = False) -> str:
        """One row per data row: the read columns by name (blank for an absent optional
        column), the longest unread field and, with ``raw``, the unread fields too."""
        cols = [f"coalesce(c{self.read[n]}, '') AS {n}" if n in self.read
                else f"''::VARCHAR AS {n}" for n in self.names]
        longest = ("0" if not self.unread else
                   f"coalesce(greatest({', '.join(f'strlen(c{i})' for i in self.unread)}), 0)")
        cols.append(f"{longest} AS unread_len")
        checked = [f"strlen(coalesce(c{self.read[n]}, ''))" for n in self.extract.checked
                   if n in self.read]
        cols.append(f"greatest({', '.join(checked)}) AS checked_len" if checked
                    else "0 AS checked_len")
        if raw:
            cols += [*(f"c{i}" for i in self.unread), "ordinality"]
        return f"SELECT {', '.join(cols)} FROM {rows_sql}"

    def blank(self, *, grouped: bool) -> str:
        """SQL: the row has no cell at all (skipped, as a blank line is)."""
        if grouped:
            empty = [*(f"{n} = ''" for n in self.main), "unread_max = 0", "checked_max = 0"]
        else:
            empty = [*(f"{n} = ''" for n in self.names), "unread_len = 0"]
        return "(" + " AND ".join(empty) + ")"

    def grouping_sets(self) -> str:
        sets = [f"({', '.join(self.main)})", *(f"({n})" for n in self.extract.checked)]
        return "GROUPING SETS (" + ", ".join(sets) + ")"

    def distinct_values(self) -> str:
        """SQL: each column's distinct values in one pass over the groups (blank rows left
        out), one column set per row and the others NULL."""
        sets = ", ".join(f"({n})" for n in self.main)
        cols = ", ".join(n if n in self.main else f"NULL::VARCHAR AS {n}" for n in self.names)
        main = (f"SELECT {cols} FROM grouped WHERE side = 0 AND NOT "
                f"{self.blank(grouped=True)} GROUP BY GROUPING SETS ({sets})")
        if not self.extract.checked:
            return main
        return f"{main} UNION ALL SELECT {', '.join(self.names)} FROM grouped WHERE side = 1"

    def values(self, name: str) -> str:
        """SQL: the distinct values of one read column, with its derived values and the index
        of the value's first failing field check (``fp_<name>``) and other check
        (``vp_<name>``), 0 for none."""
        inner = f"SELECT DISTINCT {name} FROM distinct_values WHERE {name} IS NOT NULL"
        for column, derived, sql in self.extract.derived:
            if column == name:
                inner = f"SELECT *, {sql} AS {derived} FROM ({inner})"
        fields = [(i, c) for i, c in enumerate(self.checks, start=1)
                  if c.column == name and i <= len(self.fields)]
        others = [(i, c) for i, c in enumerate(self.checks, start=1)
                  if c.column == name and i > len(self.fields) + len(self.oversized)]
        return (f"SELECT *, {_first(fields)} AS fp_{name}, {_first(others)} AS vp_{name} "
                f"FROM ({inner})")

    def joined(self) -> str:
        """SQL: the groups of rows (blank ones left out) with their columns' checked values."""
        joins = " ".join(f"JOIN v_{n} USING ({n})" for n in self.main)
        return (f"SELECT * FROM (SELECT * FROM grouped WHERE side = 0 AND NOT "
                f"{self.blank(grouped=True)}) {joins}")

    def problem(self, names: Sequence[str], *, grouped: bool) -> str:
        """SQL naming a row's first failing check (0: none), over the rows joined to the
        :meth:`values` of ``names``. Grouped rows check the longest unread field of the group
        once, instead of each unread column."""
        field = f"least({', '.join(f'nullif(fp_{n}, 0)' for n in names)})"
        other = f"least({', '.join(f'nullif(vp_{n}, 0)' for n in names)})"
        arms = [f"WHEN {field} IS NOT NULL THEN {field}"]
        if grouped and self.oversized:
            arms.append(f"WHEN unread_max > {LIMITS.max_field_chars} THEN -1")
        elif not grouped:
            arms += [f"WHEN {c.bad} THEN {i}"
                     for i, c in enumerate(self.oversized, start=len(self.fields) + 1)]
        arms.append(f"WHEN {other} IS NOT NULL THEN {other}")
        return "CASE " + " ".join(arms) + " ELSE 0 END"

    def facts(self) -> str:
        """SQL: the numbers the failing check's message needs (never a value)."""
        arms = [f"WHEN {i} THEN [{', '.join(f'({f})::BIGINT' for f in c.facts)}]::BIGINT[]"
                for i, c in enumerate(self.checks, start=1) if c.facts]
        return "CASE problem " + " ".join(arms) + " END" if arms else "NULL::BIGINT[]"


def _first(checks: Sequence[tuple[int, Check]]) -> str:
    if not checks:
        return "0"
    return "CASE " + " ".join(f"WHEN {c.bad} THEN {i}" for i, c in checks) + " ELSE 0 END"


_NOT_CONTROL = "[^" + CONTROL_CLASS[1:]


def _plan(extract: Extract, header: list[str]) -> _Plan:
    read = {n: header.index(n) + 1 for n in (*extract.required, *extract.optional)
            if n in header}
    unread = tuple(i for i in range(1, len(header) + 1) if i not in read.values())
    fields: list[Check] = []
    for name in read:
        fields.append(Check(name, f"strlen({name}) > {MAX_FIELD} AND length({name}) > "
                            f"{MAX_FIELD}", _too_long, (f"length({name})",)))
        clean = f"length(regexp_extract({name}, '^{_NOT_CONTROL}*'))"
        fields.append(Check(name, f"regexp_matches({name}, '{CONTROL_CLASS}')", _control,
                            (f"{clean} + 1", f"unicode(substr({name}, {clean} + 1, 1))")))
    oversized = tuple(
        Check(header[i - 1] if len(header[i - 1]) <= 40 else str(i),
              f"strlen(c{i}) > {LIMITS.max_field_chars} AND length(c{i}) > "
              f"{LIMITS.max_field_chars}", _oversized, (f"length(c{i})",)) for i in unread)
    return _Plan(extract, header, read, unread, tuple(fields), oversized)


def _too_long(facts: Sequence[int]) -> str:
    return (f"found a {facts[0]:,}-character text; expected a short code of at most "
            f"{MAX_FIELD:,} characters")


def _control(facts: Sequence[int]) -> str:
    return (f"found a text with a control character (U+{facts[1]:04X}) at character "
            f"{facts[0]:,}; expected a short code without control characters")


def _oversized(facts: Sequence[int]) -> str:
    return (f"found a {facts[0]:,}-character text; expected a field of at most "
            f"{LIMITS.max_field_chars:,} characters")


def line_end_problem(where: str, line: int) -> Problem:
    """A file DuckDB could not read because ``line`` ends unlike line 1
    (:func:`connectors.csv_lines.mixed_line_end`)."""
    return Problem(where, f"not readable as CSV: line {line} ends differently from line 1 (a "
                   "mix of CRLF and LF line ends, or a stray carriage return); expected one "
                   f"kind of line end throughout: {CSV_ADVICE}", line)


def _duckdb_problem(where: str, exc: duckdb.Error, path: Path) -> Problem:
    """A DuckDB failure in words; its own message is never shown (it may quote a line)."""
    import duckdb

    if isinstance(exc, duckdb.OutOfMemoryException):
        return Problem(where, "too many different values to check within DuckDB's "
                       f"{person_sql.MEMORY_LIMIT} memory limit; expected a person-level extract whose "
                       "coded columns hold a few thousand different values at most")
    if isinstance(exc, duckdb.InvalidInputException):
        line = mixed_line_end(path)
        if line is not None:
            return line_end_problem(where, line)
        return Problem(where, "not readable as CSV: the CSV reader stopped on malformed "
                       f"text; expected UTF-8 comma-separated text: {CSV_ADVICE}")
    return Problem(where, f"not readable as CSV ({exc.__class__.__name__}); expected UTF-8 "
                   f"comma-separated text: {CSV_ADVICE}")


# ------------------------------------------------------------------------------ tally
def tally(path: Path, extract: Extract) -> Tally:
    """Check and count a person-level CSV file (see the module docstring).

    Returns:
        the counts per key set of :attr:`Extract.counts` and the number of person rows read;
        or, when anything is wrong, only the problems (every bad row located by line and
        column, the first :data:`MAX_PROBLEMS` and a count of the rest).
    """
    where = str(path)
    out = Tally()
    try:
        raw = open_regular(path)
    except ProblemsError as exc:
        out.problems = list(exc.problems)
        return out
    with raw:
        # UTF-16/32 and binary files are refused before DuckDB reads them; invalid UTF-8 is
        # found by DuckDB as it reads, and then located here (_not_utf8).
        binary, has_cr = _scan(raw)
        if binary:
            out.problems = _not_utf8(path)
            return out
        header = read_header(open_regular(path))
        if header is None:
            out.problems = _not_utf8(path)
            if out.problems:
                return out
            out.problems = [Problem(where, "no header row; expected " +
                                    ", ".join(extract.required))]
            return out
        out.problems = header_problems(header, extract, where)
        if out.problems:
            return out
        plan = _plan(extract, header)
        out.columns = tuple(plan.read)
        # The file is read as it is. Only when that read refuses it, and it holds a carriage
        # return, is it looked at for a mix of CRLF and LF line ends (which DuckDB's strict
        # reader cannot split, or reads with a CRLF inside a quoted value, a control
        # character any read column refuses) and, if it mixes them, read again from its
        # in-memory LF copy (csv_lines): a clean file pays for no line-end counts.
        if not _read(raw, path, plan, out, mixed_possible=has_cr):
            with lf_copy(path) as text:
                _read(text, path, plan, out, mixed_possible=False)
    return out


def _read(text: BinaryIO, path: Path, plan: _Plan, out: Tally, *, mixed_possible: bool
          ) -> bool:
    """Read ``text`` (the file or its LF copy) into ``out``: counts, or the problems
    refusing it. False, with ``out`` untouched, when the read refused a file that
    ``mixed_possible`` and :func:`~connectors.csv_lines.copied` reads from its LF copy: read
    that instead."""
    import duckdb  # imported when a person-level file is read, not by every command

    def mixed() -> bool:
        return mixed_possible and copied(path)

    source = source_of(text, path)
    rows_sql = _read_csv(source, len(plan.header))
    try:
        with connect(source) as con:
            encoding, rejected, bad = _group(con, plan, rows_sql)
            if (encoding or rejected or bad) and mixed():
                return False
            if encoding:
                out.problems = _not_utf8(path)
            elif rejected or bad:
                out.problems = _locate(con, plan, rows_sql, path, rejected, bad)
            else:
                _sums(con, plan, out)
    except duckdb.Error as exc:
        out.counts = {}
        if mixed():
            return False
        out.problems = [_duckdb_problem(str(path), exc, path)]
    return True


def _scan(raw: BinaryIO) -> tuple[bool, bool]:
    """One fast pass, nothing decoded: whether the file starts with a UTF-16 or UTF-32
    byte-order mark or holds a NUL byte anywhere (UTF-16 without a mark, binary data), and
    whether it holds a carriage return (then it may mix CRLF and LF line ends). One byte
    search a chunk, two until a carriage return is found."""
    raw.seek(0)
    first = True
    has_cr = False
    while chunk := raw.read(1 << 22):
        if first and chunk.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
            return True, False
        first = False
        if b"\x00" in chunk:
            return True, False
        has_cr = has_cr or b"\r" in chunk
    raw.seek(0)
    return False, has_cr


def _not_utf8(path: Path) -> list[Problem]:
    """Where the file stops being UTF-8 text (:func:`assurance.safeinput.scan_text`)."""
    try:
        return scan_text(path, what="CSV text file", advice=CSV_ADVICE)
    except ProblemsError as exc:
        return list(exc.problems)


def _group(con: duckdb.DuckDBPyConnection, plan: _Plan, rows_sql: str
           ) -> tuple[int, int, bool]:
    """Read the file once into the grouped tables, and say what refuses it: the number of
    invalid UTF-8 rejects, of malformed rows, and whether any value or group fails a check."""
    for name, (columns, rows) in plan.extract.tables.items():
        cols = ", ".join(f"unnest(?::VARCHAR[]) AS {c}" for c in columns)
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT {cols}",
                    [[r[i] for r in rows] for i in range(len(columns))])
    names = ", ".join(plan.names)
    # One pass over the file: the rows grouped by their raw read values (each checked-only
    # column on its own; side 1 marks those groups, where the other columns are NULL).
    con.execute(f"CREATE TEMP TABLE grouped AS SELECT {names}, GROUPING({plan.main[0]}) AS "
                "side, count(*) AS n, max(unread_len) AS unread_max, max(checked_len) AS "
                f"checked_max FROM ({plan.rows(rows_sql)}) GROUP BY {plan.grouping_sets()}")
    # Each column's distinct values (in rows that are not blank) normalised and checked in
    # SQL: a file has a bad row exactly when some column has a bad value (a check sees one
    # column) or some group has an over-long unread field.
    con.execute(f"CREATE TEMP TABLE distinct_values AS {plan.distinct_values()}")
    for name in plan.names:
        con.execute(f"CREATE TEMP TABLE v_{name} AS {plan.values(name)}")
    # What refuses the file, in one query over the small tables: invalid UTF-8, malformed
    # rows, and values or groups failing a check.
    encoding, rejected, bad = con.execute(
        "SELECT (SELECT count(*) FROM reject_errors WHERE error_type = 'INVALID ENCODING'), "
        f"(SELECT count(DISTINCT line) FROM reject_errors WHERE NOT {_EMPTY}), "
        "(SELECT count(*) FROM (" + " UNION ALL ".join(
            [f"SELECT 1 FROM v_{n} WHERE fp_{n} <> 0 OR vp_{n} <> 0" for n in plan.names]
            + [f"SELECT 1 FROM grouped WHERE side = 0 AND unread_max > "
               f"{LIMITS.max_field_chars}"]) + "))").fetchall()[0]
    return int(encoding), int(rejected), bool(bad)


def _sums(con: duckdb.DuckDBPyConnection, plan: _Plan, out: Tally) -> None:
    """Every key set's counts and the total, from the groups of a clean file, in one pass:
    GROUPING() tells the sets apart (a bit set per key left out; all bits for the total).
    Each set is then fetched on its own, its rows already in key order."""
    counts = plan.extract.counts
    keys = list(dict.fromkeys(k for ks in counts for k in ks)) or ["n"]
    every = (1 << len(keys)) - 1
    grouping = "".join(f"({', '.join(ks)}), " for ks in counts)
    con.execute(f"CREATE TEMP TABLE sums AS SELECT GROUPING({', '.join(keys)}) AS set_id, "
                f"{', '.join(keys)}, sum(n) AS n FROM ({plan.joined()}) "
                f"GROUP BY GROUPING SETS ({grouping}())")
    out.rows = _one(con, f"SELECT sum(n) FROM sums WHERE set_id = {every}")
    for ks in counts:
        set_id = sum(1 << (len(keys) - 1 - keys.index(k)) for k in keys if k not in ks)
        rows = con.execute(f"SELECT {', '.join(ks)}, n FROM sums WHERE set_id = {set_id} "
                           "ORDER BY ALL").fetchall()
        out.counts[ks] = [(r[:-1], r[-1]) for r in rows]


_EMPTY = "regexp_full_match(csv_line, '[\\r\\n]*(?:\"\"|)(?:,(?:\"\"|))*[\\r\\n]*')"
"""SQL: a rejected row holding no text at all (only commas and empty quotes), which is a
blank row like any other, whatever its number of cells. Only this test sees the raw line."""


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    return int(row[0] or 0)


def _locate(con: duckdb.DuckDBPyConnection, plan: _Plan, rows_sql: str, path: Path,
            rejected: int, bad: bool) -> list[Problem]:
    """The problems of a refused file, in line order, capped with a count of the rest."""
    where = str(path)
    found: list[Problem] = []
    total = 0
    # Every row DuckDB rejected, blank ones included, is missing from its ordinals.
    reject_lines = {int(r[0]) for r in con.execute(
        "SELECT DISTINCT line FROM reject_errors").fetchall()}
    if rejected:
        structural = con.execute(
            "SELECT line, min(line_byte_position), any_value(error_type)::VARCHAR, "
            "min(CASE WHEN error_type = 'MISSING COLUMNS' THEN try_cast(regexp_extract("
            "error_message, 'Found: ([0-9]+)', 1) AS BIGINT) END), "
            "max(CASE WHEN error_type = 'TOO MANY COLUMNS' THEN try_cast(regexp_extract("
            "error_message, 'Found: ([0-9]+)', 1) AS BIGINT) END), "
            "max(CASE WHEN error_type = 'LINE SIZE OVER MAXIMUM' THEN try_cast("
            "regexp_extract(error_message, 'Actual Size:\\s*([0-9]+)', 1) AS BIGINT) END) "
            f"FROM reject_errors WHERE NOT {_EMPTY} GROUP BY line ORDER BY line").fetchall()
        lines = lines_at(path, [int(r[1]) for r in structural[:MAX_PROBLEMS]])
        for (_, pos, kind, fewer, more, size) in structural[:MAX_PROBLEMS]:
            found.append(Problem(where, rejected_row(kind, fewer, more, size, len(plan.header)),
                                 lines.get(int(pos))))
        total += rejected
        if rejected >= MAX_REJECTS:
            found.append(Problem(where, f"more than {MAX_REJECTS:,} malformed rows; "
                                 "expected a CSV file with one row per person, each with "
                                 "the header's cells"))
    if bad:
        main = ", ".join(plan.main)
        # Only rows whose values failed in the grouped pass are looked at again.
        problem = plan.problem(plan.main, grouped=True)
        failed = [f"({main}) IN (SELECT ({main}) FROM ({plan.joined()}) WHERE {problem} <> 0)",
                  *(f"{n} IN (SELECT {n} FROM v_{n} WHERE fp_{n} <> 0)"
                    for n in plan.extract.checked)]
        suspects = (f"SELECT * FROM ({plan.rows(rows_sql + ' WITH ORDINALITY', raw=True)}) "
                    f"WHERE {' OR '.join(failed)}")
        joins = " ".join(f"JOIN v_{n} USING ({n})" for n in plan.names)
        judged = (f"SELECT ordinality, problem, {plan.facts()} AS facts FROM (SELECT *, "
                  f"{plan.problem(plan.names, grouped=False)} AS problem FROM ({suspects}) "
                  f"{joins} WHERE NOT {plan.blank(grouped=False)}) WHERE problem <> 0")
        con.execute(f"CREATE TEMP TABLE located AS {judged}")
        total += _one(con, "SELECT count(*) FROM located")
        first = con.execute(f"SELECT ordinality, problem, facts FROM located ORDER BY "
                            f"ordinality LIMIT {MAX_PROBLEMS}").fetchall()
        lines = ordinal_lines(path, [int(r[0]) for r in first], reject_lines)
        for ordinal, problem, facts in first:
            check = plan.checks[int(problem) - 1]
            found.append(Problem(where, check.message(tuple(int(f) for f in facts or ())),
                                 lines.get(int(ordinal)), check.column))
    found.sort(key=lambda p: p.line or 0)
    if len(found) > MAX_PROBLEMS:
        found = found[:MAX_PROBLEMS]
    if total > len(found):
        found.append(MoreProblems.of(where, total - len(found), len(found)))
    return found
