"""Where the rows of a CSV file start (the line each byte position or row falls on; the first
line whose ending differs from the rest), what is wrong with a row a strict CSV reader
rejected, and a file's line ends made readable by one.

Used by :mod:`connectors.person_level` and :mod:`connectors.pay_csv` to turn DuckDB's row
ordinals and byte offsets into the file's own line numbers (the header is line 1, quoted
fields may hold line breaks), without reading any value out of the file.

**Mixed line ends.** DuckDB's strict reader splits rows on one kind of line end. A file whose
lines end in both CRLF and LF (a spreadsheet saving rows with CRLF and line breaks inside
cells with LF, or rows appended by another program) is valid CSV, and the older importer
read it: :func:`readable` gives DuckDB such a file with every CRLF as LF, copied in one
streamed pass into an anonymous in-memory file (``memfd``: never on disk, gone when closed),
and :func:`lines_at` counts DuckDB's byte positions in that copy. Line numbers do not change
(the copy has the same line feeds). A lone carriage return (a line end of old Macs, or a
stray one) is still refused: it may be a line end or a character inside a field.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from assurance.safeinput import LIMITS, open_regular
from connectors.tabular import CSV_ADVICE


def mixed_line_end(path: Path) -> int | None:
    """The first line holding a lone carriage return, else (where :func:`readable` cannot
    copy the file) the first line ending unlike line 1 (CRLF or LF): what DuckDB's strict
    reader cannot split into rows. None when there is neither."""
    first: bytes | None = None
    differs: int | None = None
    with open_regular(path) as fh:
        for n, line in enumerate(fh, start=1):
            end = b"\r\n" if line.endswith(b"\r\n") else b"\n" if line.endswith(b"\n") else b""
            if b"\r" in line[:len(line) - len(end)]:
                return n
            if first is None:
                first = end
            elif end and end != first and differs is None:
                differs = n
    return None if hasattr(os, "memfd_create") else differs


_CHUNK = 1 << 20


def _chunks(path: Path) -> Generator[bytes, None, None]:
    """The file's bytes in chunks that never end between the CR and LF of a CRLF."""
    with open_regular(path) as fh:
        while chunk := fh.read(_CHUNK):
            if chunk.endswith(b"\r"):
                chunk += fh.read(1)
            yield chunk


def crlf_and_lf(path: Path) -> bool:
    """Whether lines end in both CRLF and LF, with no carriage return standing alone: a
    mix :func:`readable` makes readable. One streamed pass of single-byte counts (a file
    with no carriage return costs one a chunk); a second pass only for a file that looks
    mixed, to check every carriage return begins a CRLF."""
    has_crlf = has_bare_lf = False
    for chunk in _chunks(path):
        cr = chunk.count(b"\r")
        if not cr:
            has_bare_lf = has_bare_lf or b"\n" in chunk
            continue
        lf = chunk.count(b"\n")
        if cr > lf:
            return False  # a lone carriage return: refused (mixed_line_end names its line)
        has_crlf = True
        has_bare_lf = has_bare_lf or lf > cr
    if not (has_crlf and has_bare_lf):
        return False
    return all(c.count(b"\r") == c.count(b"\r\n") for c in _chunks(path))


def _lf_chunks(path: Path) -> Generator[bytes, None, None]:
    for chunk in _chunks(path):
        yield chunk.replace(b"\r\n", b"\n")


@contextmanager
def readable(raw: BinaryIO, path: Path) -> Iterator[BinaryIO]:
    """``raw`` itself, or, for a file that mixes CRLF and LF line ends, an in-memory copy
    with every CRLF as LF (see the module docstring) for DuckDB to read instead. Where the
    system has no ``memfd`` the file itself is given (and refused as before)."""
    if not copied(path):
        yield raw
        return
    with lf_copy(path) as copy:
        yield copy


def copied(path: Path) -> bool:
    """Whether the file is read from its LF copy: its line ends mix CRLF and LF
    (:func:`crlf_and_lf`) and the system can make the copy (``memfd``)."""
    return hasattr(os, "memfd_create") and crlf_and_lf(path)


@contextmanager
def lf_copy(path: Path) -> Iterator[BinaryIO]:
    """The file with every CRLF as LF, in an anonymous in-memory file (``memfd``: never on
    disk, gone when closed), for a file :func:`crlf_and_lf` found mixed. Needs
    ``os.memfd_create`` (Linux)."""
    fd = os.memfd_create("assurance-csv", os.MFD_CLOEXEC)
    with os.fdopen(fd, "w+b") as copy:
        for chunk in _lf_chunks(path):
            copy.write(chunk)
        copy.flush()
        copy.seek(0)
        yield copy


def lines_at(path: Path, positions: Sequence[int]) -> dict[int, int]:
    """Line number (1-based) of each byte position, in one streamed pass. The positions are
    in what DuckDB read: the file, or its CRLF-as-LF copy when :func:`copied`."""
    out: dict[int, int] = {}
    wanted = sorted(set(positions))
    if not wanted:
        return out
    newlines, offset, i = 0, 0, 0
    chunks = _lf_chunks(path) if copied(path) else _chunks(path)
    end = b"\n"
    while i < len(wanted):
        chunk = next(chunks, b"")
        if offset == 0 and b"\n" not in chunk and b"\r" in chunk:
            end = b"\r"  # carriage returns alone end its lines ("CSV (Macintosh)")
        while i < len(wanted) and (not chunk or wanted[i] <= offset + len(chunk)):
            out[wanted[i]] = newlines + chunk[:max(0, wanted[i] - offset)].count(end) + 1
            i += 1
        if not chunk:
            break
        newlines += chunk.count(end)
        offset += len(chunk)
    chunks.close()
    return out


def ordinal_lines(path: Path, ordinals: Sequence[int], rejected: set[int]) -> dict[int, int]:
    """The line each data row starts on, by its ordinal among the rows DuckDB read.

    DuckDB numbers rows it read (blank lines and rejected rows skipped) and numbers
    rejected rows by record (the header is record 1, blank lines count); the csv module
    walks the same records, so the two are matched here, counting line breaks.
    """
    wanted = set(ordinals)
    out: dict[int, int] = {}
    if not wanted:
        return out
    last = max(wanted)
    newlines = 0

    def lines(fh: io.TextIOWrapper) -> Iterator[str]:
        nonlocal newlines
        for line in fh:
            newlines += line.endswith(("\n", "\r"))  # LF, CRLF, or CR alone (old Macs)
            yield line

    with open_regular(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig",
                                                     newline="") as fh:
        reader = csv.reader(lines(fh))
        record = ordinal = 0
        try:
            while ordinal < last:
                start = newlines + 1
                cells = next(reader, None)
                if cells is None:
                    break
                record += 1
                if record == 1 or not cells or record in rejected:
                    continue
                ordinal += 1
                if ordinal in wanted:
                    out[ordinal] = start
        except csv.Error:
            pass  # rows after a malformed one keep no line number rather than a wrong one
    return out


def rejected_row(kind: str, fewer: int | None, more: int | None, size: int | None,
                 width: int) -> str:
    """What is wrong with a row DuckDB's strict reader rejected, by its error kind."""
    if kind == "MISSING COLUMNS" and fewer is not None:
        return f"found {fewer} cells; expected {width}"
    if kind == "TOO MANY COLUMNS" and more is not None:
        return f"found {more} cells; expected {width}"
    if kind == "LINE SIZE OVER MAXIMUM":
        shown = f"a row of {size:,} bytes" if size else "an over-long row"
        return (f"found {shown}; expected each field at most {LIMITS.max_field_chars:,} "
                "characters")
    if kind == "UNQUOTED VALUE":
        return ("found a quoted field with text after its closing quote, or a quote that is "
                "never closed; expected quoted fields to end at a quote followed by a comma "
                "or the end of the line, with quotes inside them doubled")
    return f"not readable as CSV here; expected UTF-8 comma-separated text: {CSV_ADVICE}"
