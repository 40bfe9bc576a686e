"""Reading cells from CSV and spreadsheet rows: one place for parsing and its messages.

Sources use these helpers so that every file format reports a bad cell the same way:
``file:row:column: error: found …; expected …``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from assurance.problems import Problem, did_you_mean


class CellError(ValueError):
    """A cell that cannot be read; the caller adds file, row and column."""


def parse_count(raw: object) -> int | None:
    """A whole number of people, or None for an empty cell."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, bool):
        raise CellError(f"found {raw!r}; expected a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise CellError(f"found {raw!r}; expected a whole number of people")
    text = str(raw).strip().replace(",", "")
    try:
        return int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            raise CellError(f"found {str(raw)!r}; expected a whole number") from None
        if f.is_integer():
            return int(f)
        raise CellError(f"found {str(raw)!r}; expected a whole number of people") from None


def parse_number(raw: object) -> float | None:
    """A number, or None for an empty cell."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, bool):
        raise CellError(f"found {raw!r}; expected a number")
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip().rstrip("%").replace(",", "")
    try:
        return float(text)
    except ValueError:
        raise CellError(f"found {str(raw)!r}; expected a number") from None


def read_csv(path: Path, required: Sequence[str], optional: Sequence[str],
             problems: list[Problem]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, cells by header) from a CSV; header problems go to ``problems``.

    Row numbers are the file's own line numbers (header = 1), as a spreadsheet shows them.
    """
    where = str(path)
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        problems.append(Problem(where, "not a CSV text file (binary content); expected "
                                "UTF-8 comma-separated text"))
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(where, f"not UTF-8 text (byte {exc.start}); save the file as "
                                "CSV UTF-8"))
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        problems.append(Problem(where, "file is empty; expected a header row"))
        return
    allowed = set(required) | set(optional)
    for i, h in enumerate(header, start=1):
        if h not in allowed:
            problems.append(Problem(where, f"unknown column {h!r}{did_you_mean(h, allowed)}; "
                                    f"expected columns: {', '.join([*required, *optional])}",
                                    1, i))
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(Problem(where, f"missing column(s) {', '.join(missing)}", 1))
    if problems:
        return
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem(where, f"found {len(cells)} cells; expected {len(header)} "
                                    "(one per header column)", line))
            continue
        yield line, {h: c.strip() for h, c in zip(header, cells, strict=True)}


@contextmanager
def workbook(path: Path, problems: list[Problem], expected: str, *,
             read_only: bool = False) -> Iterator[Workbook | None]:
    """The workbook at ``path`` (values, not formulas), closed afterwards; or ``None`` when the
    file is not an .xlsx workbook, with that problem in ``problems`` naming what was expected.
    """
    try:
        wb = load_workbook(path, read_only=read_only, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        problems.append(Problem(str(path), f"not an Excel .xlsx workbook "
                                f"({exc.__class__.__name__}); expected " + expected))
        yield None
        return
    try:
        yield wb
    finally:
        wb.close()
