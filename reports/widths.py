"""Table column widths from the text they hold, so Word never breaks a word mid-way.

Widths are measured with Helvetica's metrics (Arial has the same advance widths), read from
the AFM files that ship with matplotlib: no font needs to be installed and every machine
gets the same widths, so documents stay reproducible. :func:`column_widths` gives each
column at least its longest word; SHA-256 digests are written in four groups of 16 so one
digest does not need a 12 cm column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import matplotlib

TABLE_PT = 10
TEXT_WIDTH_CM = 17.0  # A4 portrait with 2 cm margins
CELL_MARGIN_CM = 0.19  # left and right cell margin, set explicitly on every table
WIDTH_SLACK_CM = 0.08  # rounding and renderer differences (LibreOffice, Word)
_AFM = {False: "phvr8a.afm", True: "phvb8a.afm"}
_GLYPHS = {"\u2013": "endash", "\u2014": "emdash", "\u2018": "quoteleft",
           "\u2019": "quoteright", "\u201c": "quotedblleft", "\u201d": "quotedblright",
           "\u2022": "bullet", "\u2026": "ellipsis", "\u00a3": "sterling", "\u00b0": "degree",
           "\u00a0": "space", "\u00d7": "multiply", "\u2212": "minus", "\u00e9": "eacute",
           "\u2264": "lessequal", "\u2265": "greaterequal", "\u00b1": "plusminus"}
_UNKNOWN_WIDTH = 1000  # a character without metrics counts as an em: never too narrow
_DIGEST = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{64}(?![0-9A-Za-z])")


@lru_cache(maxsize=2)
def _metrics(bold: bool) -> dict[str, int]:
    """Advance widths (1/1000 em) by character, from matplotlib's Helvetica AFM file."""
    path = Path(matplotlib.get_data_path()) / "fonts" / "afm" / _AFM[bold]
    by_name: dict[str, int] = {}
    by_code: dict[str, int] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        if not line.startswith("C "):
            continue
        fields = dict(f.strip().split(" ", 1) for f in line.split(";") if f.strip())
        width, name, code = int(fields["WX"]), fields["N"], int(fields["C"])
        by_name[name] = width
        if 32 <= code < 127:
            by_code[chr(code)] = width
    by_code["'"], by_code["`"] = by_name["quotesingle"], by_name["grave"]
    by_code.update({ch: by_name[n] for ch, n in _GLYPHS.items() if n in by_name})
    return by_code


@lru_cache(maxsize=65_536)  # the same words recur in every table of every report
def text_width_cm(text: str, size_pt: float = TABLE_PT, *, bold: bool = False) -> float:
    """How wide ``text`` is on one line in Arial at ``size_pt`` (in centimetres)."""
    m = _metrics(bold)
    units = sum(m.get(ch, _UNKNOWN_WIDTH) for ch in text)
    return units / 1000 * size_pt * 2.54 / 72


def _words(text: str) -> list[str]:
    return text.split()


def _cell_lines(value: Sequence[str] | str) -> list[str]:
    parts = [value] if isinstance(value, str) else list(value) or [""]
    return [ln for p in parts for ln in digest_lines(p).split("\n")]


def digest_lines(text: str) -> str:
    """Each SHA-256 digest in ``text`` written in four groups of 16 characters (as key
    fingerprints are grouped): whole, one digest alone needs a column 12 cm wide."""
    return _DIGEST.sub(lambda m: " ".join(m.group(0)[i:i + 16] for i in range(0, 64, 16)), text)


def column_widths(header: Sequence[str], rows: Sequence[Sequence[Sequence[str] | str]], *,
                  preferred_cm: Sequence[float] | None = None, total_cm: float = TEXT_WIDTH_CM,
                  bold_first_column: bool = False, size_pt: float = TABLE_PT) -> list[float]:
    """Column widths that fit the content: no column narrower than its longest word.

    Each column's minimum is its longest word (bold where the text is bold) plus the cell
    margins, so Word never breaks a word in the middle ("Outside range, not significant",
    "2024/25", "1,234/5,678" stay whole).

    With ``preferred_cm`` those widths are kept, except that a column below its minimum is
    widened and the room taken from the columns with the most to spare. Without, the widths
    follow the content as a browser lays out an automatic table: each column gets its minimum,
    and what is left of ``total_cm`` is shared in proportion to how much longer its longest
    line is than its longest word. Only when the minimums alone exceed the page are the
    widths scaled down (and then a long word may wrap).
    """
    n = len(header)
    pad = 2 * CELL_MARGIN_CM + WIDTH_SLACK_CM
    low = [0.0] * n
    high = [0.0] * n
    table_rows: list[Sequence[Sequence[str] | str]] = [[[h] for h in header], *rows]
    for r, row in enumerate(table_rows):
        for j, value in enumerate(row):
            for k, line in enumerate(_cell_lines(value)):
                bold = r == 0 or (bold_first_column and j == 0 and k == 0)
                words = _words(line)
                if not words:
                    continue
                low[j] = max(low[j], max(text_width_cm(w, size_pt, bold=bold) for w in words))
                high[j] = max(high[j], text_width_cm(" ".join(words), size_pt, bold=bold))
    low = [w + pad for w in low]
    high = [max(h + pad, lo) for h, lo in zip(high, low, strict=True)]
    if preferred_cm is not None:
        return _respect_minimums(list(preferred_cm), low)
    if sum(low) > total_cm:
        return [w * total_cm / sum(low) for w in low]
    if sum(high) <= total_cm:
        return [h * total_cm / sum(high) for h in high]
    spare = sum(h - lo for h, lo in zip(high, low, strict=True))
    room = total_cm - sum(low)
    return [lo + room * (h - lo) / spare for h, lo in zip(high, low, strict=True)]


def _respect_minimums(widths: list[float], low: list[float]) -> list[float]:
    total = sum(widths)
    if sum(low) >= total:
        return [w * total / sum(low) for w in low]
    out = list(widths)
    for _ in range(len(out)):  # each pass fixes at least one column at its minimum
        short = sum(max(0.0, lo - w) for w, lo in zip(out, low, strict=True))
        if short <= 1e-9:
            break
        spare = [max(0.0, w - lo) for w, lo in zip(out, low, strict=True)]
        out = [max(w, lo) for w, lo in zip(out, low, strict=True)]
        take = min(short, sum(spare))
        out = [w - take * s / sum(spare) if s > 0 else w for w, s in zip(out, spare, strict=True)]
    return out
