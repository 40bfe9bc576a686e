"""The safe input layer: what every importer checks before it believes a file or a cell.

Files that people hand the product are often careless and sometimes hostile. This module
holds the checks every importer shares, so that each refusal reads the same way
(``file:row:column: error: found …; expected …``) and none of them is a traceback, a hang or a
silent misreading:

* **files** — :func:`check_file` refuses anything that is not a regular file (a FIFO, a
  device, a directory, a socket) *without opening it*, and any file over the size limit;
  :func:`open_regular` opens without blocking and re-checks the opened file, so a file swapped
  for a FIFO after the check still cannot hang the import;
* **text** — :func:`read_text` and :func:`scan_text` accept UTF-8 with or without a
  byte-order mark and refuse UTF-16/UTF-32 (with or without a BOM), NUL bytes and invalid
  UTF-8, naming the byte offset, line and (byte) column of the first bad byte;
* **numbers** — :func:`parse_decimal` and :func:`parse_whole` accept only ASCII digits with
  an optional leading ``-`` and at most one ``.``; no commas (``2,5`` is ambiguous between a
  decimal comma and a thousands separator), no exponents, no ``inf``/``nan``, no Unicode digits
  (``٣``, ``３``), finite and within a stated range;
* **identifiers and text** — :func:`check_ods_code`, :func:`check_identifier` and
  :func:`check_text` refuse formula-looking values (first character ``=``, ``+``, ``-``,
  ``@``), control characters and over-long text.

Messages describe a value with :func:`describe`, which echoes a short value but never a long
one, and never any value when ``echo`` is false (person-level files: "a 9-character text").

Limits (:class:`Limits`, defaults in :data:`LIMITS`): 200 MB per file, 10,000 characters per
field or cell, 255 characters for a name, 200 problems reported per file (then "… and N
more"), whole counts 0 to 10,000,000 and other numbers within ±1,000,000,000.

This is core code: it imports no edge library (no openpyxl, no csv dialect of its own); the
CSV and spreadsheet readers in ``connectors/tabular.py`` build on it.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from assurance.problems import MoreProblems, Problem, ProblemsError

__all__ = [
    "LIMITS", "InputError", "Limits", "cap_problems", "check_file", "check_identifier",
    "check_ods_code", "check_text", "describe", "looks_like_formula", "open_regular",
    "parse_decimal", "parse_whole", "read_text", "require_file", "scan_text",
]  # fmt: skip


@dataclass(frozen=True)
class Limits:
    """How much of a file the product will read; every limit is stated in the README.

    Attributes:
        max_file_bytes: the largest file any importer reads (a national ESR extract of 1.4
            million rows is about 100 MB).
        max_field_chars: the longest CSV field or spreadsheet cell read (the longest real one,
            a WDES 9b narrative, is a few hundred characters).
        max_name_chars: the longest organisation name (it is printed in Word documents).
        max_problems: how many problems one file reports before "… and N more".
        max_count: the largest whole count of people (the NHS in England employs about 1.5
            million people).
        max_abs_value: the largest magnitude of any other number (percentages and scores).
    """

    max_file_bytes: int = 200 * 1024 * 1024
    max_field_chars: int = 10_000
    max_name_chars: int = 255
    max_problems: int = 200
    max_count: int = 10_000_000
    max_abs_value: float = 1_000_000_000.0


LIMITS = Limits()
"""The default limits (documented in README "Import guarantees")."""

_CHUNK = 1 << 20


class InputError(ValueError):
    """A value that cannot be read; the message is ``found …; expected …`` and the caller adds
    the file, row and column."""


# ---------------------------------------------------------------------------------- files
def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):,.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def check_file(path: Path, limits: Limits = LIMITS, *,
               what: str = "a file to import") -> list[Problem]:
    """Problems that stop ``path`` being read at all; ``[]`` for a readable regular file
    (``what`` says what was expected, e.g. "a YAML rule pack").

    Only ``stat`` is called — never ``open`` — so a FIFO or a device is refused at once
    instead of blocking for ever on its first read.
    """
    where = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return [Problem(where, f"file not found; expected the path of {what}")]
    except OSError as exc:
        return [Problem(where, f"cannot read: {exc.strerror or exc.__class__.__name__}")]
    kind = _kind(st.st_mode)
    if kind is not None:
        return [Problem(where, f"found {kind}; expected a regular file (nothing was read "
                        "from it)")]
    if st.st_size > limits.max_file_bytes:
        return [Problem(where, f"found a file of {_size(st.st_size)}; expected at most "
                        f"{_size(limits.max_file_bytes)} (the per-file limit)")]
    if not os.access(path, os.R_OK):
        return [Problem(where, "cannot read: permission denied; expected a file this user "
                        "may read")]
    return []


def require_file(path: Path, limits: Limits = LIMITS) -> None:
    """:func:`check_file`, raising :class:`ProblemsError` when there is a problem."""
    problems = check_file(path, limits)
    if problems:
        raise ProblemsError(problems)


def output_problems(path: Path, where: str = "--out") -> list[Problem]:
    """Problems that stop a document being written at ``path`` (``[]``: it can be): a
    folder, or something else that is not a regular file, is never replaced by a file."""
    kind = _kind(os.stat(path).st_mode) if path.exists() else None
    if kind == "a directory":
        return [Problem(where, f"{path} is a folder; expected the path of the file to write "
                        "(a file name, which may be inside that folder)")]
    if kind is not None:
        return [Problem(where, f"{path} is {kind}; expected the path of a file to write")]
    parent = next((q for q in path.parents if q.exists()), None)
    if parent is not None and not parent.is_dir():
        return [Problem(where, f"{parent} is a file, so {path} cannot be made in it; "
                        "expected a folder")]
    return []


def open_regular(path: Path, limits: Limits = LIMITS) -> BinaryIO:
    """Open ``path`` for binary reading, refusing anything but a regular file of allowed size.

    The file is opened non-blocking and checked with ``fstat`` on the open descriptor, so a
    file replaced by a FIFO after :func:`check_file` still cannot block; blocking mode is
    restored for a regular file (where it makes no difference).

    Raises:
        ProblemsError: not a regular file, too large, or unreadable.
    """
    require_file(path, limits)
    where = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ProblemsError([Problem(where, f"cannot read: {exc.strerror}")]) from None
    st = os.fstat(fd)
    kind = _kind(st.st_mode)
    if kind is not None or st.st_size > limits.max_file_bytes:
        os.close(fd)
        require_file(path, limits)  # names what it is now
        raise ProblemsError([Problem(where, "the file changed while it was being opened; "
                                     "expected a regular file")])
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


# ----------------------------------------------------------------------------------- text
_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)


class _Scanner:
    """Checks a byte stream chunk by chunk for UTF-8 text: BOMs, NUL bytes, invalid bytes.

    Keeps only the line count and the offset of the current line, so memory is constant.
    """

    def __init__(self, where: str, what: str, advice: str) -> None:
        self.where, self.what, self.advice = where, what, advice
        self.offset = 0  # bytes fed before the current chunk
        self.newlines = 0  # newlines before the current chunk
        self.line_start = 0  # absolute offset of the first byte of the current line
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")

    def _at(self, chunk: bytes, absolute: int, message: str) -> Problem:
        rel = max(0, absolute - self.offset)
        before = chunk[:rel]
        nl = before.rfind(b"\n")
        line_start = self.offset + nl + 1 if nl >= 0 else self.line_start
        line = self.newlines + before.count(b"\n") + 1
        return Problem(self.where, message, line, absolute - line_start + 1)

    def feed(self, chunk: bytes, final: bool = False) -> Problem | None:
        if self.offset == 0:
            for bom, name in _BOMS:
                if chunk.startswith(bom):
                    return Problem(self.where, f"not a {self.what}: found {name} text (it "
                                   f"starts with a {name} byte-order mark); expected UTF-8 "
                                   f"text: {self.advice}", 1, 1)
            if chunk.startswith(codecs.BOM_UTF8):
                self.decoder.decode(codecs.BOM_UTF8)
                self.offset = self.line_start = len(codecs.BOM_UTF8)
                chunk = chunk[len(codecs.BOM_UTF8):]
        nul = chunk.find(b"\x00")
        upto = len(chunk) if nul < 0 else nul
        pending = len(self.decoder.getstate()[0])
        try:
            # A NUL near the start means binary content: say so rather than "not UTF-8".
            if not (nul >= 0 and self.offset + nul < 4096):
                self.decoder.decode(chunk[:upto], final=final and nul < 0)
        except UnicodeDecodeError as exc:
            absolute = self.offset - pending + exc.start
            return self._at(chunk, absolute, f"not UTF-8 text: found a byte that is not "
                            f"UTF-8 at byte {absolute:,} (the file is probably Latin-1 or "
                            f"Windows-1252); expected UTF-8 text: {self.advice}")
        if nul >= 0:
            sample = chunk[:512]
            utf16 = len(sample) >= 4 and max(sample[0::2].count(0),
                                             sample[1::2].count(0)) >= len(sample) // 4
            why = ("UTF-16 text without a byte-order mark" if utf16
                   else "binary content, not text")
            return self._at(chunk, self.offset + nul, f"not a {self.what}: found a NUL byte "
                            f"at byte {self.offset + nul:,} ({why}); expected UTF-8 text: "
                            f"{self.advice}")
        self.newlines += chunk.count(b"\n")
        nl = chunk.rfind(b"\n")
        if nl >= 0:
            self.line_start = self.offset + nl + 1
        self.offset += len(chunk)
        return None


def scan_text(path: Path, *, what: str = "text file", advice: str = "save it as UTF-8",
              limits: Limits = LIMITS) -> list[Problem]:
    """Stream ``path`` once and report the first reason it is not UTF-8 text (``[]`` if it is).

    For files read a row at a time (a national extract), so that decoding later cannot fail
    half-way through. ``what`` names the expected file in the message ("CSV text file").
    """
    scanner = _Scanner(str(path), what, advice)
    with open_regular(path, limits) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            problem = scanner.feed(chunk, final=not chunk)
            if problem is not None:
                return [problem]
            if not chunk:
                return []


def read_text(path: Path, *, what: str = "text file", advice: str = "save it as UTF-8",
              limits: Limits = LIMITS) -> tuple[str | None, list[Problem]]:
    """The whole of ``path`` as text, or ``None`` and the problem that stops it being text.

    UTF-8 with or without a byte-order mark is accepted (the mark is dropped); anything else is
    refused by :class:`_Scanner`.
    """
    try:
        with open_regular(path, limits) as fh:
            data = fh.read(limits.max_file_bytes + 1)
    except ProblemsError as exc:
        return None, list(exc.problems)
    if len(data) > limits.max_file_bytes:
        return None, [Problem(str(path), f"found more than {_size(limits.max_file_bytes)}; "
                              "expected at most that (the per-file limit)")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        return text, []  # every BOM but UTF-8's is invalid UTF-8 or holds a NUL
    # Only a refused file pays for the scanner, which locates the first bad byte.
    problem = _Scanner(str(path), what, advice).feed(data, final=True)
    return None, [problem or Problem(str(path), f"not UTF-8 text; expected UTF-8 text: {advice}")]


# -------------------------------------------------------------------------------- values
_ECHO_CHARS = 40


# Unicode Cc and Cs, and the non-characters U+FFFE and U+FFFF, as inclusive code point ranges.
_CONTROL_RANGES = ((0x00, 0x1F), (0x7F, 0x9F), (0xD800, 0xDFFF), (0xFFFE, 0xFFFF))
_CONTROL_RE: dict[str, re.Pattern[str]] = {}


def _control_class(allow: str) -> str:
    """A regex character class of the control and non-characters, less those in ``allow``:
    the allowed ones are cut out of the ranges rather than excluded by a lookahead, which
    made a search over a whole file about seven times slower."""
    ranges = list(_CONTROL_RANGES)
    for code in sorted({ord(c) for c in allow}):
        ranges = [part for low, high in ranges
                  for part in (((low, code - 1), (code + 1, high)) if low <= code <= high
                               else ((low, high),))
                  if part[0] <= part[1]]
    return "[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges) + "]"


def _control(text: str, allow: str = "") -> tuple[int, str] | None:
    """The first control or non-character in ``text`` (1-based position, U+ code).

    One compiled character class per ``allow`` set: a national file checks millions of
    fields, and a per-character loop was most of its import time.
    """
    pattern = _CONTROL_RE.get(allow)
    if pattern is None:
        pattern = _CONTROL_RE[allow] = re.compile(_control_class(allow))
    found = pattern.search(text)
    if found is None:
        return None
    return found.start() + 1, f"U+{ord(found.group()):04X}"


def fields_are_plain(fields: Sequence[str], max_chars: int, *, multiline: bool = False) -> bool:
    """Whether every field passes :func:`check_text`'s length and control-character checks,
    in one pass over the row (the common case); on False, check each field to locate it."""
    return (max(map(len, fields), default=0) <= max_chars
            and _control("".join(fields), allow="\t\n\r" if multiline else "") is None)


def describe(value: object, *, echo: bool = True) -> str:
    """How a message shows a value it found: short plain values quoted, others described.

    With ``echo=False`` the value itself never appears (person-level data): "a blank cell",
    "a 9-character text", "a number".
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return "a blank cell"
    if not isinstance(value, str):
        return repr(value) if echo else f"a {type(value).__name__} value"
    if echo and len(value) <= _ECHO_CHARS and _control(value) is None:
        return repr(value)
    n = len(value)
    return f"a {n:,}-character text" + (" with control characters" if _control(value) else "")


_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)", re.ASCII)
_MAX_NUMBER_CHARS = 40
NUMBER_FORM = ("digits 0-9 with an optional leading '-' and at most one '.' as the decimal "
               "point (no thousands separator)")


def _not_a_number(text: str, expected: str, echo: bool) -> InputError:
    """The most helpful refusal for text that is not a plain number."""
    s = text.strip()
    shown = describe(text, echo=echo)
    if any(ch.isdigit() and not ch.isascii() for ch in s):
        return InputError(f"found {shown}, written with non-ASCII digits; expected {expected} "
                          "in the digits 0-9")
    if "," in s and re.fullmatch(r"-?[0-9,]*[0-9][0-9,.]*", s, re.ASCII):
        return InputError(f"found {shown}, with a comma (a decimal comma or a thousands "
                          f"separator: ambiguous); expected {expected} written with '.' as "
                          "the decimal point and no thousands separator, e.g. 2.5 or 2500")
    if s.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return InputError(f"found {shown}, which is not a finite number; expected {expected}")
    if re.fullmatch(r"[-+]?[0-9.]+[eE][-+]?[0-9]+", s, re.ASCII):
        return InputError(f"found {shown}, in scientific notation; expected {expected} "
                          "written out in digits")
    return InputError(f"found {shown}; expected {expected}")


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,}"


def _digits(text: str) -> str:
    return f"a {sum(ch.isdigit() for ch in text):,}-digit number"


def _number_text(text: str, expected: str, bounds: str, echo: bool) -> str:
    """``text`` stripped, if it is written in the plain number form and not absurdly long."""
    s = text.strip()
    if not _NUMBER.fullmatch(s):
        raise _not_a_number(text, expected, echo)
    if len(s) > _MAX_NUMBER_CHARS:
        raise InputError(f"found {_digits(s)}; expected {expected}{bounds}")
    return s


def parse_decimal(text: str, *, low: float = -LIMITS.max_abs_value,
                  high: float = LIMITS.max_abs_value, expected: str = "a number",
                  echo: bool = True) -> float:
    """A finite number written in plain ASCII digits (see :data:`NUMBER_FORM`), in range.

    Raises:
        InputError: anything else, saying what was found and what was expected.
    """
    s = _number_text(text, expected, f" from {_fmt(low)} to {_fmt(high)}", echo)
    value = float(s)
    if not low <= value <= high:
        shown = s if echo else "a number out of range"
        raise InputError(f"found {shown}; expected {expected} from {_fmt(low)} to {_fmt(high)}")
    return value


def parse_whole(text: str, *, low: int = 0, high: int = LIMITS.max_count,
                expected: str = "a whole number", echo: bool = True) -> int:
    """A whole number in plain ASCII digits, in ``low..high``.

    ``3.0`` is read as 3 (spreadsheets and exports write whole numbers that way); ``3.5`` is
    refused.

    Raises:
        InputError: anything else, saying what was found and what was expected.
    """
    s = _number_text(text, expected, f", at most {high:,}", echo)
    whole, _, fraction = s.partition(".")
    if fraction.strip("0"):
        shown = repr(s) if echo else "a fraction"
        raise InputError(f"found {shown}; expected {expected} (not a fraction)")
    n = int(whole) if whole not in ("", "-") else 0
    return check_whole(n, low=low, high=high, expected=expected, echo=echo)


def check_whole(n: int, *, low: int = 0, high: int = LIMITS.max_count,
                expected: str = "a whole number", echo: bool = True) -> int:
    """``n`` if it is in ``low..high``; the messages say which bound was crossed."""
    shown = str(n) if echo and len(str(n)) <= _MAX_NUMBER_CHARS else _digits(str(n))
    if n < low:
        raise InputError(f"found {shown}; expected {expected}, {low:,} or more")
    if n > high:
        raise InputError(f"found {shown}; expected {expected}, at most {high:,}")
    return n


def check_finite(x: float, *, low: float = -LIMITS.max_abs_value,
                 high: float = LIMITS.max_abs_value, expected: str = "a number",
                 echo: bool = True) -> float:
    """``x`` if it is finite and in range (spreadsheet cells arrive as floats)."""
    if x != x or x in (float("inf"), float("-inf")):
        raise InputError(f"found {'a number' if not echo else repr(x)}, which is not a finite "
                         f"number; expected {expected}")
    if not low <= x <= high:
        shown = f"{x:g}" if echo else "a number out of range"
        raise InputError(f"found {shown}; expected {expected} from {_fmt(low)} to {_fmt(high)}")
    return x


# ----------------------------------------------------------------------- identifiers, text
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a cell as a formula (CSV injection)."""

_ODS = re.compile(r"[A-Z0-9]{3,10}", re.ASCII)
ODS_FORM = "an ODS code: 3 to 10 letters A-Z and digits 0-9, e.g. RR8"


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet opening this value would run it as a formula."""
    return text.startswith(FORMULA_START)


def check_ods_code(text: str, *, echo: bool = True) -> str:
    """The ODS code in upper case; refuses blanks, formulas and anything not 3-10 A-Z/0-9.

    Raises:
        InputError: saying what was found and :data:`ODS_FORM`.
    """
    code = text.strip().upper()
    if not code:
        raise InputError(f"blank; expected {ODS_FORM}")
    if looks_like_formula(code):
        raise InputError(f"found {describe(text, echo=echo)}, which looks like a spreadsheet "
                         f"formula (it starts with {code[0]!r}); expected {ODS_FORM}")
    if not _ODS.fullmatch(code):
        raise InputError(f"found {describe(text, echo=echo)}; expected {ODS_FORM}")
    return code


def check_identifier(text: str, *, expected: str, max_chars: int = 100,
                     echo: bool = True) -> str:
    """An identifier (metric id, period, group, breakdown) stripped; refuses formulas, control
    characters and over-long text before the caller looks it up.

    Raises:
        InputError: saying what was found and what was ``expected``.
    """
    s = text.strip()
    if looks_like_formula(s):
        raise InputError(f"found {describe(text, echo=echo)}, which looks like a spreadsheet "
                         f"formula (it starts with {s[0]!r}); expected {expected}")
    if len(s) > max_chars or _control(s) is not None or not s.isascii():
        raise InputError(f"found {describe(text, echo=echo)}; expected {expected}")
    return s


_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def one_line(raw: str, where: str, expected: str, problems: list[Problem], *,
             max_chars: int = 1000) -> str:
    """Text typed on a command line for the record (an attestation's wording, a reason, an
    owner): white space folded to single spaces, then refused with a problem at ``where``
    when it holds a control character, a direction override (text that displays in another
    order than it reads), is longer than ``max_chars`` or starts like a spreadsheet formula;
    it is printed in board documents and spreadsheets."""
    text = " ".join(raw.split())
    try:
        check_text(text, expected=expected, max_chars=max_chars, formula=True)
    except InputError as exc:
        problems.append(Problem(where, str(exc)))
        return text
    bidi = _BIDI.search(text)
    if bidi is not None:
        problems.append(Problem(where, f"found a direction override (U+{ord(bidi.group()):04X}) "
                                f"at character {bidi.start() + 1:,}; expected {expected} "
                                "without one"))
    return text


def check_text(text: str, *, expected: str = "plain text",
               max_chars: int = LIMITS.max_field_chars, multiline: bool = False,
               formula: bool = False, echo: bool = True) -> str:
    """Free text that is safe to store and print in documents.

    Refuses control characters (python-docx cannot write them; tab and line breaks are allowed
    when ``multiline``), text longer than ``max_chars`` and, with ``formula``, text a
    spreadsheet would run as a formula.

    Raises:
        InputError: saying what was found and what was ``expected``.
    """
    if len(text) > max_chars:
        raise InputError(f"found a {len(text):,}-character text; expected {expected} of at most "
                         f"{max_chars:,} characters")
    bad = _control(text, allow="\t\n\r" if multiline else "")
    if bad is not None:
        raise InputError(f"found a text with a control character ({bad[1]}) at character "
                         f"{bad[0]:,}; expected {expected} without control characters")
    if formula and looks_like_formula(text.strip()):
        raise InputError(f"found {describe(text, echo=echo)}, which looks like a spreadsheet "
                         f"formula (it starts with {text.strip()[0]!r}); expected {expected}")
    return text


# ------------------------------------------------------------------------------ problems
def cap_problems(problems: Sequence[Problem], where: str,
                 limit: int = LIMITS.max_problems) -> list[Problem]:
    """The first ``limit`` problems in their order and, if there were more, one saying how
    many more, counting those an importer had already left out (its :class:`MoreProblems`,
    wherever sorting put it)."""
    kept = [p for p in problems if not isinstance(p, MoreProblems)]
    hidden = sum(p.hidden for p in problems if isinstance(p, MoreProblems))
    hidden += max(0, len(kept) - limit)
    kept = kept[:limit]
    return [*kept, MoreProblems.of(where, hidden, len(kept))] if hidden else kept
