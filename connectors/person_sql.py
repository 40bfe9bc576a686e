"""SQL helpers shared by the person-level sources, and the locked-down DuckDB they run in.

* White space and control characters as Python sees them (:data:`PY_SPACE`,
  :data:`CONTROL_CLASS`), so that SQL strips and collapses text exactly as Python's
  ``str.strip()`` and ``str.split()`` do (:func:`strip`, :func:`collapse`);
* a SQL literal of configuration text (:func:`sql_text`), never of a value from a file;
* how a problem describes a value it may not quote, from the numbers SQL gives
  (:func:`described`, :func:`describe_facts`);
* :func:`connect`: an in-memory DuckDB limited to :data:`MEMORY_LIMIT` and :data:`THREADS`
  that cannot spill to disk (person-level rows never reach a file), may read only the one
  opened file (:func:`source`: by its descriptor, so it cannot be swapped and no glob
  character in a name is expanded; external access off, configuration locked) and never
  loads an extension;
* :func:`figure_columns`: count figures as the columns an import stores.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from assurance.figure_columns import FigureColumns

if TYPE_CHECKING:
    import duckdb

MEMORY_LIMIT = "400MB"
"""DuckDB's memory limit per import (the rows are grouped, never held)."""
THREADS = 2

SPACE_SCAN_END = 0x3001
"""Every character Python calls white space is below this (the last is U+3000, ideographic
space; a test checks the whole of Unicode), so the scan below costs a millisecond, not the
quarter of a second every command would pay to scan all 1.1 million code points."""
PY_SPACE = "".join(chr(i) for i in range(SPACE_SCAN_END) if chr(i).isspace())
"""What Python's ``str.strip()`` and ``str.split()`` treat as white space, so that SQL
normalises exactly as the Python code it replaced."""
_SPACE_SQL = " || ".join(f"chr({ord(c)})" for c in PY_SPACE)
_SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_SPACE) + "]"
CONTROL_CLASS = "[\\x00-\\x1f\\x7f-\\x9f\\x{fffe}\\x{ffff}]"
"""Unicode Cc characters and the two non-characters (as :mod:`assurance.safeinput`; surrogates
cannot occur in UTF-8 text)."""


def strip(column: str) -> str:
    """SQL for Python's ``text.strip()`` of a column."""
    return f"trim({column}, {_SPACE_SQL})"


def collapse(column: str) -> str:
    """SQL for Python's ``" ".join(text.split())``: stripped, inner runs of space made one."""
    return f"regexp_replace({strip(column)}, '{_SPACE_CLASS}+', ' ', 'g')"


def sql_text(text: str) -> str:
    """A SQL string literal (configuration text, never a value from the file)."""
    return "'" + text.replace("'", "''") + "'"


def described(length: int, blank: int) -> str:
    """How a problem shows a value it may not quote (:func:`assurance.safeinput.describe`
    with ``echo=False``), from the numbers SQL gives: its length and whether it is blank."""
    return "a blank cell" if blank else f"a {length:,}-character text"


def describe_facts(column: str) -> tuple[str, str]:
    """The SQL facts :func:`described` needs for ``column``: length and blankness."""
    return f"length({column})", f"({strip(column)} = '')::INTEGER"


def connect(source: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that may read ``source`` only, never spills and loads nothing."""
    import duckdb  # imported when a person-level file is read, not by every command

    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "threads": THREADS,
                                 "autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})
    for statement in ("SET temp_directory = ''", f"SET allowed_paths = [{sql_text(source)}]",
                      "SET enable_external_access = false", "SET lock_configuration = true"):
        con.execute(statement)
    return con


def source(raw: BinaryIO, path: Path) -> str:
    """The name DuckDB opens: the descriptor already checked to be a regular file (so the
    file cannot be swapped for a FIFO in between, and no glob character in a name is
    expanded), or the path where there is no ``/dev/fd``."""
    fd = f"/dev/fd/{raw.fileno()}"
    return fd if os.path.exists(fd) else str(path)


CountFigure = tuple[str, str, str, str, str, int, int]
"""org_code, period_key, metric, group, breakdown, numerator, denominator."""


def figure_columns(rows: Sequence[CountFigure]) -> FigureColumns:
    """Count figures as the columns :func:`assurance.ingest.run_import` stores (no value,
    note or line; none suppressed), without building a row object for each."""
    n = len(rows)
    org, period, metric, group, breakdown, num, den = (
        (list(c) for c in zip(*rows, strict=True)) if rows else ([] for _ in range(7)))
    return FigureColumns(org, period, metric, group, breakdown, [None] * n, num, den,
                         [False] * n, [None] * n, [None] * n)
