"""The WRES/WDES annual return workbook a trust fills in by hand, and its importer.

``assurance returns template OUT.xlsx`` writes a blank workbook
(:func:`connectors.returns_template.write_template`);
a workforce analyst types the counts into its yellow cells; this source reads them back.
Every count cell is unlocked and accepts whole numbers of 0 or more; every other cell is
protected (no password) and the sheets cannot be added, removed or renamed. The cell map
lives in ``connectors/returns_layout.py``; the workbook's "How to fill in" sheet says the
same as this docstring. Headings are in row 4 and data start in row 5 on every sheet.

**About** (label in A, entry in B): B5 organisation ODS code (must be registered: ``assurance
orgs import``); B6 WRES/WDES year, the 31 March snapshot year as 4 digits; B7 completed by,
B8 date completed, B9 notes (all three optional, kept in the import's note); B11 template
layout version (protected).

**Workforce**: rows 5-20 are Band 1, 2, 3, 4, 5, 6, 7, 8a, 8b, 8c, 8d, 9, VSM, medical and
dental consultant, non-consultant career grade and trainee grade (the catalogue's ``bands``
minus ``overall``). Columns B White, C BME, D Ethnicity unknown, E Disabled, F Non-disabled,
G Disability unknown: headcount at 31 March. Every cell is required (0 for nobody) and B+C+D
must equal E+F+G on each row. Row 21 and columns H-J are checking formulas, not read. Stored
as ``wres.1`` (groups white/bme/unknown) and ``wdes.1`` (disabled/non_disabled/unknown): the
numerator is the group's headcount, the denominator the row total; the ``overall`` breakdown
is the sum of the rows, worked out here, never typed.

**Recruitment**: B shortlisted, C appointed from shortlisting, 12 months to 31 March; rows 5
White, 6 BME, 7 Ethnicity unknown (``wres.2``), 8 Disabled, 9 Non-disabled, 10 Disability
unknown (``wdes.2``). Numerator appointed, denominator shortlisted; appointed ≤ shortlisted.
The two "unknown" rows may be left wholly blank, meaning no such applicants (0 of 0); every
other row is required, because a blank White or BME row is far more often forgotten than
empty.

**Processes**: B staff entering / accessing, C headcount. Rows 6-8 White, BME, Ethnicity
unknown entering the formal disciplinary process (``wres.3``); rows 10-12 the same for
non-mandatory training and CPD (``wres.4``); rows 14-16 Disabled, Non-disabled, Disability
unknown entering the formal capability process (``wdes.3``); rows 5, 9 and 13 are section
headings. A blank headcount means the group's overall headcount on the Workforce sheet; a
blank B on an "unknown" row means 0 entering (other rows need a number). Entering ≤ headcount.

**Board**: row 5 voting members, row 6 executive members (voting or not); columns B-G as on
Workforce; on each row B+C+D = E+F+G > 0. Stored as ``wres.9`` and ``wdes.10`` with
breakdowns ``board_voting`` and ``board_executive`` (numerator the group's members,
denominator the row total) and ``workforce`` (the Workforce overall). Executives may be
non-voting, so the two rows are not compared with each other.

**Narrative**: B5 Yes or No to WDES 9b (action to facilitate the voices of Disabled staff),
B6 the description, required when Yes. Stored as ``wdes.9b`` value 1.0 (Yes) or 0.0 (No)
with the description as note.

The period is ``wres:<year>``. Staff Survey indicators (WRES 5-8, WDES 4-9a) come from the
survey files, not from here. Every problem reads ``file[Sheet]:row:column: error: found …;
expected …``; all are collected and nothing is returned until the whole workbook is valid.
Extra sheets are ignored.
"""

from __future__ import annotations

import re
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assurance.ingest import ObservationRow, ParseContext, Parsed
from assurance.periods import FIRST_YEAR, LAST_YEAR, parse_period_key
from assurance.problems import Problem, did_you_mean
from assurance.safeinput import InputError, check_ods_code, check_text, describe
from connectors.returns_layout import (
    ABOUT,
    ANSWER_ROW,
    APPOINTED,
    BOARD,
    BOARD_METRIC,
    BOARD_ROWS,
    BY_ROW,
    COUNT_CELLS,
    DATE_ROW,
    DESCRIPTION_ROW,
    ENTERING,
    FIRST_ROW,
    HEADCOUNT,
    HEADINGS,
    NARRATIVE,
    NOTES_ROW,
    ORG_ROW,
    PROCESS_SECTIONS,
    PROCESSES,
    RECRUITMENT,
    RECRUITMENT_METRIC,
    RECRUITMENT_ROWS,
    SHEETS,
    SHORTLISTED,
    SPLITS,
    WORKFORCE,
    WORKFORCE_METRIC,
    WORKFORCE_ROWS,
    WORKFORCE_TOTAL_ROW,
    YEAR_ROW,
    Column,
    Line,
)
from connectors.tabular import CellError, parse_count, workbook

if TYPE_CHECKING:
    from openpyxl import Workbook

__all__ = ["AnnualReturnXlsx"]

Split = dict[str, int]
"""Headcount per group of one characteristic, e.g. ``{"white": 10, "bme": 4, "unknown": 1}``."""

FRESH = "copy the figures into a fresh template ('assurance returns template')"


@dataclass(frozen=True)
class _Figure:
    metric: str
    group: str
    breakdown: str = ""
    numerator: int | None = None
    denominator: int | None = None
    value: float | None = None
    note: str | None = None
    line: int | None = None


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _text(raw: object) -> str:
    return "" if raw is None else " ".join(str(raw).split())


def _norm(raw: object) -> str:
    return _text(raw).casefold()


class AnnualReturnXlsx:
    """Source for the hand-filled WRES/WDES annual return workbook (see module docstring)."""

    name = "returns_xlsx"
    version = "1"
    description = ("a WRES/WDES annual return workbook made with 'assurance returns template' "
                   "(sheets " + ", ".join(SHEETS) + ")")

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        """Read a filled-in return; every problem goes to ``Parsed.problems``."""
        out = Parsed()
        with workbook(path, out.problems, self.description) as wb:
            if wb is not None:
                _Reader(wb, str(path), ctx).read(out)
        if any(p.message.startswith("blank") for p in out.problems):
            out.problems = _formulas_named(path, out.problems)
        return out


def _formulas_named(path: Path, problems: list[Problem]) -> list[Problem]:
    """``problems`` with each "blank" cell that holds a formula said to be one: a workbook
    saved by a program that does not calculate (a script, some exporters) stores formulas
    without their results, and read for its values such a cell is empty. Only a file with
    blank cells is opened a second time, for its formulas."""
    from openpyxl import load_workbook

    prefix = f"{path}["
    with closing(load_workbook(path, data_only=False)) as formulas:
        out = []
        for p in problems:
            sheet = p.where.removeprefix(prefix).removesuffix("]")
            if (p.message.startswith("blank") and p.where.startswith(prefix) and p.line
                    and isinstance(p.column, str) and sheet in formulas.sheetnames):
                cell = formulas[sheet][f"{p.column}{p.line}"]
                if cell.data_type == "f":
                    text = str(cell.value)
                    shown = f"the formula {text}" if len(text) <= 40 else "a formula"
                    p = replace(p, message=(
                        f"found {shown} without a saved result; expected "
                        + p.message.split("expected ", 1)[-1] + ": open the return in Excel "
                        "or LibreOffice and save it (saving stores each formula's result), "
                        "or type the figure"))
            out.append(p)
    return out


class _Reader:
    """Reads one workbook, collecting every problem before anything is returned."""

    def __init__(self, wb: Workbook, where: str, ctx: ParseContext) -> None:
        self.wb, self.where, self.ctx = wb, where, ctx
        self.problems: list[Problem] = []
        self.figures: list[_Figure] = []

    def bad(self, sheet: str, row: int | None, col: str | None, message: str) -> None:
        self.problems.append(Problem(f"{self.where}[{sheet}]", message, row, col))

    def raw(self, sheet: str, col: str, row: int) -> object:
        return self.wb[sheet][f"{col}{row}"].value

    def read(self, out: Parsed) -> None:
        names = list(self.wb.sheetnames)
        for sheet in SHEETS:
            if sheet not in names:
                self.bad(sheet, None, None, f"sheet {sheet!r} not found"
                         f"{did_you_mean(sheet, names)}; the workbook has {', '.join(names)}; "
                         f"expected the sheets {', '.join(SHEETS)}: {FRESH}")
        if self.problems:
            out.problems.extend(self.problems)
            return
        laid_out = {sheet for sheet in SHEETS if self._headings_match(sheet)}
        if len(laid_out) == len(SHEETS) and self._nothing_entered():
            self.bad(WORKFORCE, FIRST_ROW, "B", "no figures entered: every count cell in the "
                     "return is blank; expected the yellow cells filled in (see the 'How to "
                     "fill in' sheet) before importing")
            out.problems.extend(self.problems)
            return
        org, year = self._about() if ABOUT in laid_out else (None, None)
        workforce = self._workforce() if WORKFORCE in laid_out else None
        if RECRUITMENT in laid_out:
            self._recruitment()
        if PROCESSES in laid_out:
            self._processes(workforce)
        if BOARD in laid_out:
            self._board(workforce)
        if NARRATIVE in laid_out:
            self._narrative()
        out.rows_read = (len(WORKFORCE_ROWS) + len(RECRUITMENT_ROWS) + len(BOARD_ROWS) + 1
                         + sum(len(p.rows) for p in PROCESS_SECTIONS))
        out.problems.extend(self.problems)
        if self.problems or org is None or year is None:
            return
        period = f"wres:{year}"
        out.observations = [
            ObservationRow(org_code=org, period_key=period, metric=f.metric, group=f.group,
                           breakdown=f.breakdown, value=f.value, numerator=f.numerator,
                           denominator=f.denominator, note=f.note, line=f.line)
            for f in self.figures
        ]
        out.note = f"WRES/WDES {year} annual return for {org}" + self._provenance()

    # ------------------------------------------------------------------ layout
    def _headings_match(self, sheet: str) -> bool:
        """Report the first heading that differs from the template (the rest follow from it)."""
        wrong = [(coord, text) for coord, text in HEADINGS[sheet].items()
                 if _norm(self.wb[sheet][coord].value) != _norm(text)]
        if not wrong:
            return True
        coord, text = wrong[0]
        found = _text(self.wb[sheet][coord].value)
        more = f" (and {len(wrong) - 1} more heading cells differ)" if len(wrong) > 1 else ""
        cell = self.wb[sheet][coord]
        self.bad(sheet, cell.row, cell.column_letter,
                 f"found {describe(found) if found else 'blank'}; expected {text!r}{more}. The "
                 f"layout has changed (a row or column inserted, moved or renamed?): {FRESH}")
        return False

    def _nothing_entered(self) -> bool:
        cells = [self.wb[sheet][coord].value
                 for sheet, coords in COUNT_CELLS.items() for coord in coords]
        cells += [self.raw(NARRATIVE, "B", r) for r in (ANSWER_ROW, DESCRIPTION_ROW)]
        return all(_blank(v) for v in cells)

    # ------------------------------------------------------------------ cells
    def count(self, sheet: str, row: int, col: str) -> int | None:
        """A required whole number ≥ 0; None (with a problem recorded) when it is not one."""
        try:
            n = parse_count(self.raw(sheet, col, row))
        except CellError as exc:
            self.bad(sheet, row, col, str(exc))
            return None
        if n is None:
            self.bad(sheet, row, col, "blank; expected a whole number of people (0 if none)")
        elif n < 0:
            self.bad(sheet, row, col, f"found {n}; expected a whole number of people, 0 or more")
            return None
        return n

    def split(self, sheet: str, line: Line, columns: tuple[Column, ...]) -> Split | None:
        counts = {c.group: self.count(sheet, line.row, c.letter) for c in columns}
        if any(v is None for v in counts.values()):
            return None
        return {g: v for g, v in counts.items() if v is not None}

    def both_splits(self, sheet: str, line: Line) -> dict[str, Split] | None:
        """The row's ethnicity and disability splits, checked to add up to the same total."""
        race, disability = (self.split(sheet, line, SPLITS[c]) for c in ("race", "disability"))
        if race is None or disability is None:
            return None
        if sum(race.values()) != sum(disability.values()):
            self.bad(sheet, line.row, None,
                     f"{line.label}: ethnicity columns B-D add up to {sum(race.values())} but "
                     f"disability columns E-G add up to {sum(disability.values())}; expected "
                     "the same total (each person counted once in each)")
            return None
        return {"race": race, "disability": disability}

    def _add_splits(self, metrics: dict[str, str], breakdown: str, splits: dict[str, Split],
                    line: int | None) -> None:
        for characteristic, split in splits.items():
            total = sum(split.values())
            for group, n in split.items():
                self.figures.append(_Figure(metrics[characteristic], group, breakdown, n,
                                            total, line=line))

    # ------------------------------------------------------------------ sheets
    def _about(self) -> tuple[str | None, int | None]:
        code = _text(self.raw(ABOUT, "B", ORG_ROW)).upper()
        if not code:
            self.bad(ABOUT, ORG_ROW, "B", "blank; expected the organisation's ODS code, e.g. RR8")
            return None, self._year_entry()
        try:
            code = check_ods_code(code)
        except InputError as exc:
            self.bad(ABOUT, ORG_ROW, "B", str(exc))
            return None, self._year_entry()
        if code not in self.ctx.known_orgs:
            self.bad(ABOUT, ORG_ROW, "B", f"unknown organisation code {code!r}"
                     f"{did_you_mean(code, self.ctx.known_orgs)}; register it first "
                     "(assurance orgs import)")
        return (code if code in self.ctx.known_orgs else None), self._year_entry()

    def _year_entry(self) -> int | None:
        """The About sheet's year (B6); checks the other entries (B7-B9) on the way."""
        raw = self.raw(ABOUT, "B", YEAR_ROW)
        year = _year(raw)
        if year is None and re.fullmatch(r"[0-9]{4}", _text(raw)) and not isinstance(raw, bool):
            self.bad(ABOUT, YEAR_ROW, "B", f"found {_text(raw)}; expected the 31 March snapshot "
                     f"year from {FIRST_YEAR} to {LAST_YEAR}")  # 4 digits, not a period's year
        elif year is None:
            found = (f"the date {raw:%d/%m/%Y}" if isinstance(raw, date)
                     else describe(_text(raw)) if not _blank(raw) else "blank")
            self.bad(ABOUT, YEAR_ROW, "B", f"found {found}; expected the 31 March snapshot "
                     "year as 4 digits, e.g. 2024")
        elif date(year, 3, 31) > date.today():
            # A typo (2042 for 2024): stored, it would sit unseen while the year looks missing.
            today = date.today()
            latest = today.year if today >= date(today.year, 3, 31) else today.year - 1
            self.bad(ABOUT, YEAR_ROW, "B", f"found {year}, whose 31 March snapshot is still to "
                     f"come; expected the year of a snapshot already taken, {latest} or earlier")
            year = None
        when = self.raw(ABOUT, "B", DATE_ROW)
        if not _blank(when) and _date(when) is None:
            self.bad(ABOUT, DATE_ROW, "B", f"found {describe(_text(when))}; expected a date "
                     "such as 15/05/2024, or leave it blank")
        for row, what, lines in ((BY_ROW, "a name and role", False), (NOTES_ROW, "notes", True)):
            self.text(ABOUT, row, what, multiline=lines)
        return year

    def text(self, sheet: str, row: int, expected: str, *, multiline: bool) -> bool:
        """Check a free-text cell (column B) is storable and printable; True when it is."""
        raw = self.raw(sheet, "B", row)
        if raw is None:
            return True
        try:
            check_text(str(raw), expected=expected, multiline=multiline)
        except InputError as exc:
            self.bad(sheet, row, "B", str(exc))
            return False
        return True

    def _provenance(self) -> str:
        who = _text(self.raw(ABOUT, "B", BY_ROW))
        when = _date(self.raw(ABOUT, "B", DATE_ROW))
        notes = _text(self.raw(ABOUT, "B", NOTES_ROW))
        return ((f", completed by {who}" if who else "") + (f" on {when:%Y-%m-%d}" if when else "")
                + (f"; notes: {notes}" if notes else ""))

    def _workforce(self) -> dict[str, Split] | None:
        """Store every band and the derived overall; return the overall splits (or None)."""
        overall: dict[str, Split] = {c: {col.group: 0 for col in SPLITS[c]} for c in SPLITS}
        complete = True
        for line in WORKFORCE_ROWS:
            splits = self.both_splits(WORKFORCE, line)
            if splits is None:
                complete = False
                continue
            self._add_splits(WORKFORCE_METRIC, line.key, splits, line.row)
            for characteristic, split in splits.items():
                for group, n in split.items():
                    overall[characteristic][group] += n
        if not complete:
            return None
        if sum(overall["race"].values()) == 0:
            self.bad(WORKFORCE, WORKFORCE_TOTAL_ROW, None, "every row is 0, so the overall "
                     "workforce is 0; expected the headcount at 31 March")
            return None
        self._add_splits(WORKFORCE_METRIC, "overall", overall, None)
        return overall

    def _recruitment(self) -> None:
        for line in RECRUITMENT_ROWS:
            if line.may_be_blank and all(_blank(self.raw(RECRUITMENT, c, line.row))
                                         for c in (SHORTLISTED, APPOINTED)):
                shortlisted, appointed = 0, 0
            else:
                s = self.count(RECRUITMENT, line.row, SHORTLISTED)
                a = self.count(RECRUITMENT, line.row, APPOINTED)
                if s is None or a is None:
                    continue
                if a > s:
                    self.bad(RECRUITMENT, line.row, APPOINTED, f"{line.label}: appointed {a} is "
                             f"more than shortlisted {s}; expected at most the number "
                             "shortlisted")
                    continue
                shortlisted, appointed = s, a
            self.figures.append(_Figure(RECRUITMENT_METRIC[line.characteristic], line.key,
                                        numerator=appointed, denominator=shortlisted,
                                        line=line.row))

    def _processes(self, workforce: dict[str, Split] | None) -> None:
        for process in PROCESS_SECTIONS:
            for line in process.rows:
                if line.may_be_blank and _blank(self.raw(PROCESSES, ENTERING, line.row)):
                    entering: int | None = 0
                else:
                    entering = self.count(PROCESSES, line.row, ENTERING)
                defaulted = _blank(self.raw(PROCESSES, HEADCOUNT, line.row))
                if defaulted:
                    # Without a valid Workforce sheet there is no default; its own problems
                    # are already reported.
                    headcount = (workforce[line.characteristic][line.key]
                                 if workforce is not None else None)
                else:
                    headcount = self.count(PROCESSES, line.row, HEADCOUNT)
                if entering is None or headcount is None:
                    continue
                if entering > headcount:
                    base = " (the Workforce overall, as C is blank)" if defaulted else ""
                    self.bad(PROCESSES, line.row, ENTERING,
                             f"{line.label}: {entering} staff is more than the headcount "
                             f"{headcount}{base}; expected at most the headcount")
                    continue
                self.figures.append(_Figure(process.metric, line.key, numerator=entering,
                                            denominator=headcount, line=line.row))

    def _board(self, workforce: dict[str, Split] | None) -> None:
        for line in BOARD_ROWS:
            splits = self.both_splits(BOARD, line)
            if splits is None:
                continue
            if sum(splits["race"].values()) == 0:
                self.bad(BOARD, line.row, None, f"{line.label}: every column is 0; expected "
                         "the number of members at 31 March")
                continue
            self._add_splits(BOARD_METRIC, line.key, splits, line.row)
        if workforce is not None:
            self._add_splits(BOARD_METRIC, "workforce", workforce, None)

    def _narrative(self) -> None:
        raw = self.raw(NARRATIVE, "B", ANSWER_ROW)
        answer = _norm(raw)
        description = _text(self.raw(NARRATIVE, "B", DESCRIPTION_ROW))
        if not self.text(NARRATIVE, DESCRIPTION_ROW, "a description", multiline=True):
            return
        if answer not in ("yes", "no"):
            found = describe(_text(raw)) if answer else "blank"
            self.bad(NARRATIVE, ANSWER_ROW, "B", f"found {found}; expected Yes or No")
        elif answer == "yes" and not description:
            self.bad(NARRATIVE, DESCRIPTION_ROW, "B", "blank; expected a description of the "
                     "action taken, because the answer in B5 is Yes")
        else:
            self.figures.append(_Figure("wdes.9b", "all", value=1.0 if answer == "yes" else 0.0,
                                        note=description or None, line=ANSWER_ROW))


def _year(raw: object) -> int | None:
    """A 4-digit year typed as a number or as text; None for anything else."""
    if isinstance(raw, bool | date):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = _text(raw)
    if not re.fullmatch(r"[0-9]{4}", text) or parse_period_key(f"wres:{text}") is None:
        return None
    return int(text)


def _date(raw: object) -> date | None:
    """A date cell, or text as 15/05/2024 or 2024-05-15; None for anything else."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(_text(raw), fmt).date()
        except ValueError:
            continue
    return None
