"""The reference for the ESR importer's tests: the streaming Python importer the DuckDB one
replaced, verbatim from the commit before the move (``git show 91d0da7~1:connectors/esr_csv.py``;
only the class renamed). The new importer must agree with it row for row and problem for
problem (``tests/test_import_esr.py``)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date
from pathlib import Path

from assurance.ingest import ObservationRow, ParseContext, Parsed
from assurance.problems import Problem, ProblemsError, did_you_mean
from assurance.safeinput import (
    LIMITS,
    InputError,
    check_ods_code,
    check_text,
    describe,
    open_regular,
    scan_text,
)
from connectors.tabular import CSV_ADVICE

REQUIRED = ("org_code", "snapshot_date", "band", "ethnic_category", "disability")
MAX_PROBLEMS = LIMITS.max_problems
MAX_FIELD = 100
"""The longest field read: every column this source reads holds a short code."""
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
FIRST_YEAR, LAST_YEAR = 1990, 2100  # the years a WRES period may name
BMEFIRST = set("DEFGHJKLMNPRS")
WHITEFIRST = set("ABC")
DISABILITY = {"yes": "disabled", "y": "disabled", "no": "non_disabled", "n": "non_disabled",
              "not declared": "unknown", "prefer not to say": "unknown", "unspecified": "unknown",
              "": "unknown"}
BANDS = {"vsm": "vsm", "very senior manager": "vsm", "consultant": "medical:consultant",
         "medical consultant": "medical:consultant",
         "career grade": "medical:non_consultant_career",
         "non-consultant career grade": "medical:non_consultant_career",
         "trainee": "medical:trainee", "trainee grade": "medical:trainee"}
BAND_RE = re.compile(r"^(?:afc\s+)?(?:band\s*)?([1-9]|8[a-d])$", re.ASCII)


def band_key(raw: str) -> str | None:
    text = " ".join(raw.strip().lower().split())
    if text in BANDS:
        return BANDS[text]
    m = BAND_RE.match(text)
    return f"band:{m.group(1)}" if m else None


def ethnic_group(code: str, mapping: dict[str, str]) -> str | None:
    code = code.strip().upper()
    if code in mapping:
        return mapping[code]
    # The code is the first word, one or two characters (or 99): "A White - British" is A;
    # written words ("Black British") are no code (the importer's 2026-12-08 rule).
    word = code.split(" ", 1)[0]
    if code == "" or word in ("Z", "99"):
        return "unknown"
    if not (len(word) in (1, 2) and word[0].isascii() and word[0].isalpha()
            and word.isalnum() and word.isascii()):
        return None
    first = word[0]
    if first in WHITEFIRST:
        return "white"
    if first in BMEFIRST:
        return "bme"
    return None


class ReferenceEsrCsv:
    """The streaming ``esr_csv`` this importer replaced, verbatim but for its ethnic codes.

    Problems are capped at ``MAX_PROBLEMS`` with a count of the rest, so a wholly wrong national
    extract gives a readable report rather than a million lines.
    """

    name = "esr_csv"
    version = "1"
    description = ("a person-level ESR-style extract CSV (org_code, snapshot_date, band, "
                   "ethnic_category, disability), aggregated on import")

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed()
        where = str(path)
        mapping = {k.upper(): v for k, v in ctx.ethnicity_map.items()}
        eth: Counter[tuple[str, int, str, str]] = Counter()
        dis: Counter[tuple[str, int, str, str]] = Counter()
        extra = 0

        def bad(line: int, column: str, message: str) -> None:
            nonlocal extra
            if len(out.problems) < MAX_PROBLEMS:
                out.problems.append(Problem(where, message, line, column or None))
            else:
                extra += 1

        # The whole file is checked to be UTF-8 text first (streamed, constant memory), so
        # decoding cannot fail half-way through the rows below.
        try:
            refused = scan_text(path, what="CSV text file", advice=CSV_ADVICE)
        except ProblemsError as exc:
            refused = list(exc.problems)
        if refused:
            out.problems.extend(refused)
            return out
        try:
            raw = open_regular(path)
        except ProblemsError as exc:
            out.problems.extend(exc.problems)
            return out
        with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            try:
                header = [h.strip() for h in next(reader)]
            except (StopIteration, UnicodeDecodeError, csv.Error):
                out.problems.append(Problem(where, "no header row; expected " + ", ".join(REQUIRED)))
                return out
            if not _header_problems(header, where, out.problems):
                return out
            idx = {c: header.index(c) for c in REQUIRED}
            line = 1
            try:
                for line, cells in enumerate(reader, start=2):
                    if not any(cells):
                        continue
                    if len(cells) < len(header):
                        bad(line, "", f"found {len(cells)} cells; expected {len(header)}")
                        continue
                    out.rows_read += 1
                    value = {c: cells[i] for c, i in idx.items()}
                    problem = _field_problem(value) or _oversized(cells, header)
                    if problem is not None:
                        bad(line, *problem)
                        continue
                    try:
                        org = check_ods_code(value["org_code"], echo=False)
                    except InputError as exc:
                        bad(line, "org_code", str(exc))
                        continue
                    if org not in ctx.known_orgs:
                        bad(line, "org_code", f"found an organisation code of {len(org)} "
                            "characters that is not registered; expected a registered "
                            "organisation (assurance orgs import)")
                        continue
                    snap = _snapshot(value["snapshot_date"])
                    if isinstance(snap, str):
                        bad(line, "snapshot_date", snap)
                        continue
                    band = band_key(value["band"])
                    if band is None:
                        bad(line, "band", f"found {describe(value['band'], echo=False)}; "
                            f"expected {BAND_FORMS}")
                        continue
                    group = ethnic_group(value["ethnic_category"], mapping)
                    if group is None:
                        bad(line, "ethnic_category", "found a value with no WRES group; "
                            "expected an NHS ETHNIC CATEGORY code (a letter A–S, or Z for not "
                            "stated, with an optional second character: A, C2, LK; 99 not "
                            "known), alone or before its description, or the value mapped in "
                            "[ethnicity.map] in config.toml")
                        continue
                    d = DISABILITY.get(value["disability"].strip().lower())
                    if d is None:
                        bad(line, "disability", f"found "
                            f"{describe(value['disability'], echo=False)}; expected "
                            "yes, no or not declared (any case), or blank")
                        continue
                    eth[(org, snap.year, band, group)] += 1
                    dis[(org, snap.year, band, d)] += 1
            except (UnicodeDecodeError, csv.Error) as exc:
                # csv and codec messages name positions, never cell contents.
                reason = exc.__class__.__name__ if isinstance(exc, UnicodeDecodeError) else exc
                out.problems.append(Problem(where, f"not readable as CSV after row {line} "
                                            f"({reason}); expected UTF-8 comma-separated "
                                            "text", line + 1))
                return out
        if extra:
            out.problems.append(Problem(where, f"… and {extra:,} more problems (the first "
                                        f"{MAX_PROBLEMS} are shown)"))
        if out.problems:
            return out
        out.observations = [*_rows("wres.1", eth, ("white", "bme", "unknown")),
                            *_rows("wdes.1", dis, ("disabled", "non_disabled", "unknown"))]
        out.note = f"aggregated {out.rows_read:,} person-level rows; no person-level data kept"
        return out


BAND_FORMS = ("a pay band: an Agenda for Change band number 1 to 9 or 8a to 8d (optionally "
              "preceded by 'band'), very senior manager, or a medical grade (consultant, "
              "career grade, trainee)")


def _header_problems(header: list[str], where: str, problems: list[Problem]) -> bool:
    """Check the header row; True when it names every required column exactly once.

    A row 1 that names none of the required columns is taken for data (a file without a
    header) and nothing from it is echoed: it may be a person's row. Once the header is
    recognised its cells are column names, which may be quoted.
    """
    if not any(c in header for c in REQUIRED):
        problems.append(Problem(where, f"no recognised header row: none of the {len(header)} "
                                "cells in row 1 is a column name; expected a header row "
                                f"naming the columns {', '.join(REQUIRED)}", 1))
        return False
    ok = True
    names = [h for h in header if h and len(h) <= 40 and h.isprintable()]
    for c in REQUIRED:
        at = [i for i, h in enumerate(header, start=1) if h == c]
        if len(at) > 1:
            problems.append(Problem(where, f"duplicate column '{c}' (columns {at[0]} and "
                                    f"{at[1]}); expected each column once", 1, at[1]))
            ok = False
        elif not at:
            problems.append(Problem(where, f"missing column '{c}'{did_you_mean(c, names)}; "
                                    f"expected a header row naming {', '.join(REQUIRED)}", 1))
            ok = False
    return ok


def _field_problem(value: dict[str, str]) -> tuple[str, str] | None:
    """(column, message) for the first read field that is too long or has control characters;
    the message describes the field, never quotes it."""
    for column, text in value.items():
        try:
            check_text(text, expected="a short code", max_chars=MAX_FIELD, echo=False)
        except InputError as exc:
            return column, str(exc)
    return None


def _oversized(cells: list[str], header: list[str]) -> tuple[str, str] | None:
    """(column, message) for a field of a column this source does not read that is over the
    shared field limit: the file is not an ESR extract as exported, so it is refused."""
    for i, text in enumerate(cells):
        if len(text) > LIMITS.max_field_chars:
            name = header[i] if i < len(header) and len(header[i]) <= 40 else str(i + 1)
            return name, (f"found a {len(text):,}-character text; expected a field of at most "
                          f"{LIMITS.max_field_chars:,} characters")
    return None


def _snapshot(text: str) -> date | str:
    """The 31 March snapshot date, or a message describing (not quoting) what is wrong."""
    text = text.strip()
    if not DATE_RE.fullmatch(text):
        return (f"found {describe(text, echo=False)}; expected the snapshot date written "
                "YYYY-MM-DD")
    try:
        snap = date.fromisoformat(text)
    except ValueError:
        return ("found an impossible date (the month or day is out of range); expected the "
                "snapshot date written YYYY-MM-DD")
    if not FIRST_YEAR <= snap.year <= LAST_YEAR:
        return (f"found a date out of range (a year before {FIRST_YEAR} or after {LAST_YEAR}); "
                f"expected a 31 March snapshot from {FIRST_YEAR} to {LAST_YEAR}")
    if (snap.month, snap.day) != (3, 31):
        return "found a date that is not 31 March; expected the 31 March snapshot date"
    return snap


def _rows(metric: str, counts: Counter[tuple[str, int, str, str]],
          groups: tuple[str, ...]) -> list[ObservationRow]:
    """Head counts per band and overall, every group present (zeros included)."""
    bands: dict[tuple[str, int], set[str]] = {}
    for org, year, band, _ in counts:
        bands.setdefault((org, year), set()).add(band)
    out = []
    for (org, year), present in sorted(bands.items()):
        overall = {g: 0 for g in groups}
        for band in sorted(present):
            total = sum(counts[(org, year, band, g)] for g in groups)
            for g in groups:
                n = counts[(org, year, band, g)]
                overall[g] += n
                out.append(ObservationRow(org, f"wres:{year}", metric, g, band, numerator=n,
                                          denominator=total))
        total = sum(overall.values())
        out.extend(ObservationRow(org, f"wres:{year}", metric, g, "overall", numerator=n,
                                  denominator=total) for g, n in overall.items())
    return out


