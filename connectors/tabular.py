"""Reading cells from CSV and spreadsheet rows: one place for parsing and its messages.

Sources use these helpers so that every file format reports a bad cell the same way:
``file:row:column: error: found …; expected …``. The checks themselves (regular files, size
and field limits, UTF-8, strict numbers, identifiers) live in the core,
:mod:`assurance.safeinput`; this module applies them to CSV rows and openpyxl cells.
"""

from __future__ import annotations

import csv
import io
import math
import sys
import zipfile
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time, timedelta
from itertools import chain, islice, repeat
from pathlib import Path
from typing import TYPE_CHECKING

from assurance.problems import Problem, did_you_mean
from assurance.safeinput import (
    LIMITS,
    InputError,
    Limits,
    check_file,
    check_finite,
    check_text,
    check_whole,
    describe,
    fields_are_plain,
    parse_decimal,
    parse_whole,
    read_text,
)

if TYPE_CHECKING:
    from openpyxl import Workbook

CellError = InputError
"""A cell that cannot be read; the caller adds file, row and column."""

CSV_ADVICE = "save the file as 'CSV UTF-8 (Comma delimited)'"
MAX_UNCOMPRESSED = 512 * 1024 * 1024
"""The most an .xlsx may expand to when unzipped (a zip bomb is refused, not opened)."""

# A field is never refused by the csv module's own limit (131,072 characters: an exception
# with no row or column) but by Limits.max_field_chars, which names the cell. Files are at
# most Limits.max_file_bytes, so this bounds memory too.
csv.field_size_limit(max(csv.field_size_limit(), LIMITS.max_file_bytes + 1))


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def parse_count(raw: object, *, negative_ok: bool = False, echo: bool = True) -> int | None:
    """A whole number of people (0 to ``Limits.max_count``), or None for an empty cell.

    ``3.0`` (or a float cell holding 3.0) is 3; ``3.5``, ``2,5``, ``1e3``, ``inf``, Unicode
    digits and negative numbers are refused (``negative_ok`` leaves negatives to a caller
    that reports them with more context).
    """
    if _blank(raw):
        return None
    low = -LIMITS.max_count if negative_ok else 0
    people = "a whole number of people"
    if isinstance(raw, bool):
        raise CellError(f"found {raw!r}; expected a whole number")
    if isinstance(raw, date | time | timedelta):
        raise CellError("found a date or time; expected a whole number of people")
    if isinstance(raw, int):
        return check_whole(raw, low=low, high=LIMITS.max_count, expected=people, echo=echo)
    if isinstance(raw, float):
        check_finite(raw, expected=people, echo=echo, low=-math.inf, high=math.inf)
        if raw.is_integer():
            return check_whole(int(raw), low=low, high=LIMITS.max_count, expected=people,
                               echo=echo)
        raise CellError(f"found {raw!r}; expected {people}")
    if not isinstance(raw, str):
        raise CellError(f"found {describe(raw, echo=echo)}; expected a whole number")
    n = parse_whole(raw, low=-(10**40), high=LIMITS.max_count, expected="a whole number",
                    echo=echo)
    return check_whole(n, low=low, high=LIMITS.max_count, expected=people, echo=echo)


def parse_number(raw: object, *, echo: bool = True) -> float | None:
    """A finite number within ±``Limits.max_abs_value``, or None for an empty cell.

    Text may end in one ``%`` (a published percentage); otherwise the rules of
    :func:`assurance.safeinput.parse_decimal` apply.
    """
    if _blank(raw):
        return None
    if isinstance(raw, bool):
        raise CellError(f"found {raw!r}; expected a number")
    if isinstance(raw, date | time | timedelta):
        raise CellError("found a date or time; expected a number")
    if isinstance(raw, int | float):
        return check_finite(float(raw), echo=echo)
    if not isinstance(raw, str):
        raise CellError(f"found {describe(raw, echo=echo)}; expected a number")
    text = raw.strip()
    return parse_decimal(text[:-1] if text.endswith("%") else text, echo=echo)


def read_csv(path: Path, required: Sequence[str], optional: Sequence[str],
             problems: list[Problem], limits: Limits = LIMITS
             ) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, cells by header) from a CSV; file and header problems go to
    ``problems``.

    Row numbers are spreadsheet row numbers (header = 1; a quoted field spanning lines is one
    row). The file must be UTF-8 text (:func:`assurance.safeinput.read_text`); each column
    may appear once; every field is at most ``limits.max_field_chars`` characters with no
    control characters other than tab and line breaks. A row with a bad field is reported and
    not yielded.
    """
    rows = read_csv_rows(path, required, optional, problems, limits)
    first = next(rows, None)
    if first is None:
        return
    header = first[1]
    for line, cells in rows:
        yield line, dict(zip(header, cells, strict=True))


def read_csv_rows(path: Path, required: Sequence[str], optional: Sequence[str],
                  problems: list[Problem], limits: Limits = LIMITS
                  ) -> Iterator[tuple[int, list[str]]]:
    """:func:`read_csv` as lists: first ``(1, header)`` (lower-cased column names), then
    ``(row number, cells)`` with each row's cells stripped and in header order.

    Nothing is yielded when the file or its header has a problem. For large files: a row is
    a list, not a dict, and the checks run over the whole text at once where they can.
    """
    opened = _open_csv(path, required, optional, problems, limits)
    if opened is None:
        return
    reader, header, rows, _ = opened
    yield 1, header
    line = 1
    try:
        for line, raw in enumerate(reader, start=2):
            cells = rows.check(line, raw)
            if cells is not None:
                yield line, cells
    except csv.Error as exc:
        problems.append(rows.unreadable(line, exc))


@dataclass(frozen=True)
class CsvColumns:
    """A CSV file's cells by column: :func:`read_csv_rows`'s rows, transposed."""

    header: list[str]
    #: One list per header column: the rows' cells, stripped, in file order.
    columns: list[list[str]]
    #: Each row's number (header = 1), in the same order.
    lines: Sequence[int]


#: Rows transposed at once by :func:`read_csv_columns` when the csv module reads them.
_COLUMN_CHUNK = 20_000
#: Characters of a file without quotes split into columns at once by :func:`read_csv_columns`
#: (whole lines: a part ends after a line break).
_SPLIT_CHARS = 1 << 20


def read_csv_columns(path: Path, required: Sequence[str], optional: Sequence[str],
                     problems: list[Problem], limits: Limits = LIMITS) -> CsvColumns | None:
    """:func:`read_csv_rows`'s rows as columns, with the same checks, rows and problems;
    None when the file or its header has a problem.

    For large files, no Python code runs per row or cell in the usual case. A file without
    quotes, control characters or lone carriage returns holds one record per line and one
    field between commas, so it is split by ``str.split`` in parts of whole lines; a part
    whose lines all have the header's width, none longer than a field may be and none blank,
    becomes columns at once. Other files are read by the csv module in chunks of rows,
    transposed at once when they pass the same tests. A part or chunk that does not is
    checked row by row. Each column's cells are stripped and shared (:func:`_shared`): the
    file's text and the columns are all that is held, never every row's cells as separate
    strings.
    """
    opened = _open_csv(path, required, optional, problems, limits)
    if opened is None:
        return None
    reader, header, rows, text = opened
    columns: list[list[str]] = [[] for _ in header]
    lines = array("q")
    if rows.controls or '"' in text or text.count("\r") != text.count("\r\n"):
        _read_chunks(reader, 1, rows, columns, lines)
        return CsvColumns(header, columns, lines)
    crlf = "\r" in text
    record = 1  # the header is line 1 (without quotes, a record is a line)
    pos = text.find("\n") + 1 or len(text)
    while pos < len(text):
        end = text.find("\n", pos + _SPLIT_CHARS) + 1 or len(text)
        part = text[pos:end]
        pos = end
        split = rows.split(part.replace("\r\n", "\n") if crlf else part)
        if split is None:
            record, failed = _read_chunks(csv.reader(_lines(part), strict=True), record, rows, columns,
                                          lines)
            if failed:
                break
            continue
        for column, part_cells in zip(columns, split, strict=True):
            column.extend(part_cells)
        first, record = record + 1, record + part.count("\n") + (not part.endswith("\n"))
        lines.extend(range(first, record + 1))
    return CsvColumns(header, columns, lines)


def _read_chunks(reader: Iterator[list[str]], record: int, rows: _RowChecks,
                 columns: list[list[str]], lines: array[int]) -> tuple[int, bool]:
    """Read ``reader``'s rows (after ``record`` records) into ``columns`` and ``lines`` in
    chunks; the records read in all, and whether the csv module found the text unreadable
    (reported)."""
    failed: csv.Error | None = None
    while failed is None:
        chunk: list[list[str]] = []
        try:
            chunk.extend(islice(reader, _COLUMN_CHUNK))  # keeps the rows read before an error
        except csv.Error as exc:
            failed = exc
        if not chunk:
            break
        first, record = record + 1, record + len(chunk)
        transposed = rows.transposed(chunk)
        if transposed is not None:
            for column, chunk_cells in zip(columns, transposed, strict=True):
                column.extend(chunk_cells)
            lines.extend(range(first, record + 1))
            continue
        kept = [(line, cells) for line, raw in enumerate(chunk, start=first)
                if (cells := rows.check(line, raw)) is not None]
        if kept:
            for column, kept_cells in zip(columns, zip(*(c for _, c in kept), strict=True),
                                          strict=True):
                column.extend(_shared(kept_cells))
            lines.extend(line for line, _ in kept)
    if failed is not None:
        rows.problems.append(rows.unreadable(record, failed))
    return record, failed is not None


def _shared(cells: Iterable[str]) -> list[str]:
    """The cells stripped, equal texts sharing one string (``sys.intern``): a national file
    repeats a few thousand distinct cells across millions, and a string a cell costs about
    fifty bytes. Interned strings are freed with their last reference."""
    return list(map(sys.intern, map(str.strip, cells)))


def _blank_row(columns: list[list[str]]) -> bool:
    """Whether a row of these stripped columns is blank (read_csv_rows skips it)."""
    first, rest = columns[0], columns[1:]
    return "" in first and any(not any(c[i] for c in rest)
                               for i, cell in enumerate(first) if not cell)


@dataclass(frozen=True)
class _RowChecks:
    """What :func:`read_csv_rows` checks in a row beyond the csv module's parsing."""

    where: str
    header: list[str]
    max_chars: int
    #: Whether the file's text holds a control character (else no field can).
    controls: bool
    #: Whether the file's text is longer than a field may be (else no field can be).
    lengths: bool
    #: Where the rows' problems go.
    problems: list[Problem]

    def transposed(self, chunk: list[list[str]]) -> list[list[str]] | None:
        """The chunk's columns, stripped and shared, judged in bulk: when every row has the
        header's width, every field passes the field checks and no row is blank; else None
        (the chunk is then checked row by row)."""
        if self.controls or set(map(len, chunk)) != {len(self.header)}:
            return None
        if self.lengths and max(map(len, chain.from_iterable(chunk))) > self.max_chars:
            return None
        out = [_shared(raw) for raw in zip(*chunk, strict=True)]
        return None if _blank_row(out) else out

    def split(self, part: str) -> list[list[str]] | None:
        """The columns of ``part``, whole lines of a text without quotes, control characters
        or carriage returns, stripped and shared: when every line has the header's width,
        none is longer than a field may be and none is blank; else None (the part is then
        read by the csv module)."""
        body = part[:-1] if part.endswith("\n") else part
        texts = body.split("\n")
        width = len(self.header)
        if set(map(str.count, texts, repeat(","))) != {width - 1}:
            return None
        if self.lengths and max(map(len, texts)) > self.max_chars:
            return None  # a line no longer than a field may be has no field longer
        del texts
        cells = body.replace("\n", ",").split(",")
        out = [_shared(cells[i::width]) for i in range(width)]
        return None if _blank_row(out) else out

    def check(self, line: int, raw: list[str]) -> list[str] | None:
        """A row's stripped cells, or None for a blank row or one with a problem (reported)."""
        cells = list(map(str.strip, raw))
        if not any(cells):
            return None
        width, header = len(self.header), self.header
        if len(cells) != width:
            if len(cells) > width and not any(cells[width:]):
                raw, cells = raw[:width], cells[:width]  # empty cells past the last column
            else:
                self.problems.append(Problem(self.where, f"found {len(cells)} cells; expected "
                                             f"{width} (one per header column)", line))
                return None
        if self.controls:
            plain = fields_are_plain(raw, self.max_chars, multiline=True)
        else:
            plain = not self.lengths or max(map(len, raw)) <= self.max_chars
        if not plain:
            bad = False
            for h, c in zip(header, raw, strict=True):  # locate what is wrong
                try:
                    check_text(c, expected="a field", max_chars=self.max_chars, multiline=True)
                except InputError as exc:
                    self.problems.append(Problem(self.where, str(exc), line, h))
                    bad = True
            if bad:
                return None
        return cells

    def unreadable(self, line: int, exc: csv.Error) -> Problem:
        """The problem for the record after ``line`` records, which the csv module could
        not read."""
        return Problem(self.where, unreadable_csv(exc), line + 1)


def _open_csv(path: Path, required: Sequence[str], optional: Sequence[str],
              problems: list[Problem], limits: Limits
              ) -> tuple[Iterator[list[str]], list[str], _RowChecks, str] | None:
    """A CSV reader past the checked header row, the header, the checks for its rows and
    the file's text; None (the problems in ``problems``) when the file or its header cannot
    be used."""
    where = str(path)
    text, refused = read_text(path, what="CSV text file", advice=CSV_ADVICE, limits=limits)
    if text is None:
        problems.extend(refused)
        return None
    # strict: a quote never closed, or text after a closing quote, refuses the file (read
    # leniently, the rest of the file would be folded into one cell and imported).
    reader = csv.reader(_lines(text), strict=True)
    try:
        # Names are matched without case ("Org_Code" is org_code); blank cells at the end of
        # the header are the columns a spreadsheet exports after the last one used.
        header = [h.strip().lower() for h in next(reader)]
        while header and not header[-1]:
            header.pop()
    except StopIteration:
        problems.append(Problem(where, "file is empty; expected a header row"))
        return None
    except csv.Error as exc:
        problems.append(Problem(where, unreadable_csv(exc), 1))
        return None
    allowed = set(required) | set(optional)
    if not any(h in allowed for h in header):
        # Row 1 names no column we know: it is data (a file without a header, or another
        # kind of file), and data may be about people, so none of it is echoed.
        problems.append(Problem(where, f"no recognised header row: none of the {len(header)} "
                                "cells in row 1 is a column name; expected a header row "
                                f"naming the columns {', '.join([*required, *optional])}"
                                + delimiter_hint(header), 1))
        return None
    first_at: dict[str, int] = {}
    for i, h in enumerate(header, start=1):
        if h in first_at:
            problems.append(Problem(where, f"duplicate column {describe(h)} (columns "
                                    f"{first_at[h]} and {i}); expected each column once", 1, i))
            continue
        first_at[h] = i
        if h not in allowed:
            problems.append(Problem(where, f"unknown column {describe(h)}"
                                    f"{did_you_mean(h, allowed) if len(h) <= 40 else ''}; "
                                    f"expected columns: {', '.join([*required, *optional])}",
                                    1, i))
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(Problem(where, f"missing column(s) {', '.join(missing)}; expected a "
                                f"header row with the columns {', '.join(required)} (and "
                                f"optionally {', '.join(optional)})", 1))
    if problems:
        return None
    # The field checks run once over the whole text: outside its fields a CSV holds only
    # commas, quotes and line breaks, so a text without control characters has no field
    # with one, and a text no longer than the limit has no field longer. Rows are checked
    # one by one only for what the whole text cannot rule out.
    max_chars = limits.max_field_chars
    checks = _RowChecks(where, header, max_chars,
                        controls=not fields_are_plain((text,), len(text), multiline=True),
                        lengths=len(text) > max_chars, problems=problems)
    return reader, header, checks, text


def delimiter_hint(header: Sequence[str]) -> str:
    """What to say when row 1 is one cell holding semicolons or tabs: the file separates its
    columns with them (Excel in some locales saves CSV so), not with commas."""
    if len(header) != 1:
        return ""
    found = [name for ch, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars"))
             if ch in header[0]]
    return (f" (row 1 is one cell holding {found[0]}: the columns seem to be separated by "
            f"{found[0]}, not commas; save the file as 'CSV UTF-8 (Comma delimited)')"
            if found else "")


def unreadable_csv(exc: csv.Error) -> str:
    """What a strict csv reader's error means, for the row where it starts."""
    if "unexpected end of data" in str(exc):
        return ("a quoted field that starts in this row is never closed (the file ends "
                "inside it); expected each opening quote matched by a closing one (a quote "
                "inside a quoted field is written twice: \"\")")
    if "expected after" in str(exc):
        return ("text after a quoted field's closing quote in this row; expected a comma "
                "after the closing quote (a quote inside a quoted field is written twice: "
                "\"\")")
    return f"not readable as CSV ({exc}); expected comma-separated text"


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, as ``io.StringIO(text, newline="")`` reads
    them (``\\n``, ``\\r\\n`` or a lone ``\\r``), without StringIO's copy of the whole text at
    four bytes a character. A carriage return ends a line on its own only where no line feed
    follows it; a file with only ``\\r\\n`` endings (Excel's) splits at ``\\n`` the same way."""
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        yield from io.StringIO(text, newline="")
        return
    find, pos, size = text.find, 0, len(text)
    while pos < size:
        end = find("\n", pos) + 1 or size
        yield text[pos:end]
        pos = end


def _damage(exc: BaseException) -> str:
    """A short, printable reason from a parser's exception (no cell content)."""
    detail = " ".join(str(exc).split()).split(". ")[0]  # its first sentence
    detail = "".join(ch for ch in detail if ch.isprintable())
    if len(detail) > 120:  # cut at a word, and say so (it was cut mid-word)
        detail = detail[:120].rsplit(" ", 1)[0] + " …"
    return exc.__class__.__name__ + (f": {detail}" if detail else "")


# What zipfile and the XML parsers raise on a damaged workbook, when loading or (read-only)
# while reading rows, besides openpyxl's InvalidFileException. SyntaxError covers
# ElementTree's and lxml's parse errors.
DAMAGED = (zipfile.BadZipFile, zlib.error, LookupError, OSError, EOFError, SyntaxError,
           ValueError, TypeError, AttributeError, ArithmeticError, RuntimeError,
           NotImplementedError)


def column_letter(index: int) -> str:
    """A worksheet column's letters from its 1-based index (1 → A, 27 → AA), as Excel and
    openpyxl name it."""
    from openpyxl.utils import get_column_letter  # only workbook code needs openpyxl

    return get_column_letter(index)


@contextmanager
def workbook(path: Path, problems: list[Problem], expected: str, *,
             read_only: bool = False) -> Iterator[Workbook | None]:
    """The workbook at ``path`` (values, not formulas), closed afterwards; or ``None`` when the
    file is not a readable .xlsx workbook, with that problem in ``problems`` naming what was
    expected.

    A file that is not a zip at all is "not an Excel .xlsx workbook"; a zip that is damaged
    (truncated, corrupt members, broken sheet XML, or expanding to more than
    ``MAX_UNCOMPRESSED``) is "not a readable .xlsx workbook"; damage found while the body
    reads rows (read-only workbooks parse lazily) is reported the same way and ends the body.
    """
    # openpyxl is imported here, not with the module: it takes about 0.2 s, and every
    # command and CSV import would pay it for the workbooks only some imports read.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    where = str(path)
    is_zip = False
    refused = check_file(path)
    if refused:
        problems.extend(refused)
        yield None
        return
    ole = False
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
            fh.seek(max(0, path.stat().st_size - 65536))
            tail = fh.read(65536)
        # A zip whose first bytes are damaged still holds its other signatures.
        is_zip = head.startswith(b"PK\x03\x04") or b"PK\x03\x04" in head or b"PK\x05\x06" in tail
        ole = head.startswith(b"\xd0\xcf\x11\xe0")
        expands = 0
        if is_zip:
            with zipfile.ZipFile(path) as z:
                expands = sum(i.file_size for i in z.infolist())
        wb = (None if expands > MAX_UNCOMPRESSED
              else load_workbook(path, read_only=read_only, data_only=True))
    except Exception as exc:  # loading is all reader code: any exception is the file's
        if not isinstance(exc, (InvalidFileException, *DAMAGED)) and not _raised_by_reader(exc):
            raise
        if ole:
            problems.append(Problem(where, "not an Excel .xlsx workbook (a password-protected "
                                    "workbook or an old .xls file); expected " + expected
                                    + ": save it as an .xlsx workbook without a password"))
        elif is_zip and b"opendocument.spreadsheet" in head:
            problems.append(Problem(where, "not an Excel .xlsx workbook (an OpenDocument .ods "
                                    "spreadsheet); expected " + expected + ": save it as an "
                                    ".xlsx workbook"))
        elif is_zip:
            problems.append(Problem(where, f"not a readable .xlsx workbook ({_damage(exc)}); "
                                    "expected " + expected))
        else:
            problems.append(Problem(where, f"not an Excel .xlsx workbook ({_looks_like(head)}); "
                                    "expected " + expected))
        yield None
        return
    if wb is None:
        problems.append(Problem(where, f"not a readable .xlsx workbook (it expands to "
                                f"{expands:,} bytes, more than {MAX_UNCOMPRESSED:,}); "
                                "expected " + expected))
        yield None
        return
    try:
        yield wb
    except Exception as exc:
        if not _raised_by_reader(exc):
            raise  # a fault in the importer itself, not in the file
        problems.append(Problem(where, f"not a readable .xlsx workbook ({_damage(exc)}); "
                                "expected " + expected))
    finally:
        wb.close()


def _looks_like(head: bytes) -> str:
    """What a file that is not a workbook seems to be, from its first bytes, without quoting
    them (they may be personal data)."""
    if not head.strip():
        return "the file is empty or blank"
    if head.startswith(b"%PDF"):
        return "it is a PDF document"
    lowered = head[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "it is a web page (HTML), perhaps saved from a browser instead of downloaded"
    if lowered.startswith(b"<?xml"):
        return "it is an XML file, perhaps an Excel 2003 XML spreadsheet; save it as .xlsx"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "it is UTF-16 text, not a workbook; if it is a CSV, save it as CSV UTF-8 with a .csv name"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end is still text
        text = head[:exc.start].decode("utf-8") if exc.start > len(head) - 4 else ""
    if text and sum(ch.isprintable() or ch in "\r\n\t" for ch in text) >= 0.95 * len(text):
        return ("it holds plain text, such as a CSV file: if it is one, give it a .csv name "
                "so it is read as CSV")
    return "its contents are not a spreadsheet format this product reads"


_READERS = ("openpyxl", "zipfile", "xml", "lxml", "et_xmlfile", "zlib", "gzip", "encodings")


def _raised_by_reader(exc: BaseException) -> bool:
    """True when ``exc`` was raised inside openpyxl, zipfile or an XML parser (damage found
    while a read-only workbook parses a sheet), not in the importer's own code."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return False
    module = str(last.tb_frame.f_globals.get("__name__", ""))
    return module.split(".")[0] in _READERS
