"""Where the rows of a CSV file start (the line each byte position or row falls on; the first
line whose ending differs from the rest) and what is wrong with a row a strict CSV reader
rejected.

Used by :mod:`connectors.person_level` to turn DuckDB's row ordinals and byte offsets into
the file's own line numbers (the header is line 1, quoted fields may hold line breaks),
without reading any value out of the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from assurance.safeinput import LIMITS, open_regular
from connectors.tabular import CSV_ADVICE


def mixed_line_end(path: Path) -> int | None:
    """The first line ending unlike line 1 (CRLF or LF), or holding a lone carriage return:
    what DuckDB's strict reader cannot split into rows. None when every line ends alike."""
    first: bytes | None = None
    with open_regular(path) as fh:
        for n, line in enumerate(fh, start=1):
            end = b"\r\n" if line.endswith(b"\r\n") else b"\n" if line.endswith(b"\n") else b""
            if b"\r" in line[:len(line) - len(end)]:
                return n
            if first is None:
                first = end
            elif end and end != first:
                return n
    return None


def lines_at(path: Path, positions: Sequence[int]) -> dict[int, int]:
    """Line number (1-based) of each byte position, in one streamed pass."""
    out: dict[int, int] = {}
    wanted = sorted(set(positions))
    if not wanted:
        return out
    newlines, offset, i = 0, 0, 0
    with open_regular(path) as fh:
        while i < len(wanted):
            chunk = fh.read(1 << 20)
            while i < len(wanted) and (not chunk or wanted[i] <= offset + len(chunk)):
                out[wanted[i]] = newlines + chunk[:max(0, wanted[i] - offset)].count(b"\n") + 1
                i += 1
            if not chunk:
                break
            newlines += chunk.count(b"\n")
            offset += len(chunk)
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
            newlines += line.endswith("\n")
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
