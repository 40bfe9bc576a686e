"""The blank WRES/WDES annual return workbook (``assurance returns template OUT.xlsx``),
written from the layout in :mod:`connectors.returns_layout` that the importer reads by.

Kept apart from the layout so that only writing a template imports openpyxl's styles and
validations; reading a return needs the layout's constants alone.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from connectors.returns_layout import (
    ABOUT,
    ANSWER_ROW,
    BOARD,
    BY_ROW,
    COUNT_CELLS,
    DATE_ROW,
    DESCRIPTION_ROW,
    FIRST_ROW,
    HEADER_ROW,
    HEADINGS,
    HOW_TO,
    INSTRUCTIONS,
    NARRATIVE,
    NOTES_ROW,
    ORG_ROW,
    PROCESS_SECTIONS,
    PROCESSES,
    RECRUITMENT,
    SHEETS,
    TITLES,
    WORKFORCE,
    WORKFORCE_ROWS,
    WORKFORCE_TOTAL_ROW,
    YEAR_ROW,
)

_INPUT = PatternFill("solid", fgColor="FFF2CC")
_HEAD = PatternFill("solid", fgColor="D9E1F2")
_OPEN = Protection(locked=False)


def _count_validation() -> DataValidation:
    return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                          allow_blank=True, showErrorMessage=True,
                          errorTitle="Whole number needed",
                          error="Enter a whole number of people, 0 or more.")


def _open_cell(ws: Worksheet, coord: str) -> None:
    ws[coord].fill = _INPUT
    ws[coord].protection = _OPEN


def _sheet(wb: Workbook, name: str, widths: dict[str, int]) -> Worksheet:
    """A protected sheet with its title, instruction, headings and count cells."""
    ws = wb.create_sheet(name)
    ws["A1"] = TITLES[name]
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = INSTRUCTIONS[name]
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:J2")
    ws.row_dimensions[2].height = 75
    for coord, text in HEADINGS[name].items():
        ws[coord] = text
        ws[coord].alignment = Alignment(wrap_text=True, vertical="top")
        if coord[1:] == str(HEADER_ROW):  # every layout column is a single letter
            ws[coord].font = Font(bold=True)
            ws[coord].fill = _HEAD
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    cells = COUNT_CELLS.get(name, ())
    if cells:
        dv = _count_validation()
        ws.add_data_validation(dv)
        for coord in cells:
            _open_cell(ws, coord)
            dv.add(coord)
    # Protection without a password: it stops accidental edits that would move the layout;
    # people may still resize columns and rows to read long labels.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    return ws


def write_template(path: Path, *, org_code: str | None = None, year: int | None = None) -> None:
    """Write a blank WRES/WDES annual return workbook for a trust to fill in by hand.

    Args:
        path: where to write the ``.xlsx`` file (overwritten if it exists).
        org_code: pre-fill the organisation's ODS code on the About sheet.
        year: pre-fill the WRES/WDES year (31 March snapshot year).
    """
    wb = Workbook()
    how = wb.active
    how.title = HOW_TO
    how["A1"] = "How to fill in the WRES / WDES annual return"
    how["A1"].font = Font(bold=True, size=14)
    general = [
        "Fill in the yellow cells only. Everything else is protected so that the importer can "
        "find your figures: do not insert, delete, move or rename rows, columns or sheets. The "
        "importer checks every heading and refuses a workbook whose layout has changed.",
        "Counts are headcounts of people, as whole numbers of 0 or more. Type 0 where there "
        "is nobody; a blank count is an error except where a sheet below says otherwise.",
        "Staff Survey indicators (WRES 5-8, WDES 4-9a) are not in this workbook: they come "
        "from the NHS Staff Survey files.",
        "When imported, every problem is listed with its sheet, row and column, and nothing "
        "is stored until the whole workbook is correct. Importing a corrected copy later "
        "replaces the figures of this organisation and year, keeping the old ones as history.",
    ]
    lines = [*general, *(f"{name}: {INSTRUCTIONS[name]}" for name in SHEETS)]
    for i, text in enumerate(lines, start=3):
        how[f"A{i}"] = text
        how[f"A{i}"].alignment = Alignment(wrap_text=True, vertical="top")
        how.row_dimensions[i].height = 90
    how.column_dimensions["A"].width = 110
    how.protection.sheet = True

    about = _sheet(wb, ABOUT, {"A": 55, "B": 40})
    for row in (ORG_ROW, YEAR_ROW, BY_ROW, DATE_ROW, NOTES_ROW):
        _open_cell(about, f"B{row}")
    year_dv = DataValidation(type="whole", operator="between", formula1="1990",
                             formula2="2100", allow_blank=True, showErrorMessage=True,
                             error="Enter the 31 March snapshot year as 4 digits, e.g. 2024.")
    date_dv = DataValidation(type="date", operator="greaterThan", formula1="32874",
                             allow_blank=True, showErrorMessage=True,
                             error="Enter a date, e.g. 15/05/2024.")
    about.add_data_validation(year_dv)
    about.add_data_validation(date_dv)
    year_dv.add(f"B{YEAR_ROW}")
    date_dv.add(f"B{DATE_ROW}")
    about[f"B{DATE_ROW}"].number_format = "DD/MM/YYYY"
    about[f"B{NOTES_ROW}"].alignment = Alignment(wrap_text=True, vertical="top")
    if org_code is not None:
        about[f"B{ORG_ROW}"] = org_code.strip().upper()
    if year is not None:
        about[f"B{YEAR_ROW}"] = year

    wf = _sheet(wb, WORKFORCE, {"A": 48, **{c: 14 for c in "BCDEFGHI"}, "J": 30})
    wf["H4"], wf["I4"], wf["J4"] = "Total by ethnicity (B-D)", "Total by disability (E-G)", "Check"
    for letter in "HIJ":
        wf[f"{letter}4"].font = Font(bold=True)
    for line in WORKFORCE_ROWS:
        r = line.row
        wf[f"H{r}"], wf[f"I{r}"] = f"=SUM(B{r}:D{r})", f"=SUM(E{r}:G{r})"
        wf[f"J{r}"] = f'=IF(H{r}=I{r},"","ethnicity and disability totals differ")'
    total, first, last = WORKFORCE_TOTAL_ROW, FIRST_ROW, WORKFORCE_ROWS[-1].row
    wf[f"A{total}"] = "Overall (calculated: the sum of the rows above)"
    wf[f"A{total}"].font = Font(bold=True)
    for letter in "BCDEFGHI":
        wf[f"{letter}{total}"] = f"=SUM({letter}{first}:{letter}{last})"

    _sheet(wb, RECRUITMENT, {"A": 30, "B": 16, "C": 30})
    procs = _sheet(wb, PROCESSES, {"A": 70, "B": 28, "C": 45})
    for p in PROCESS_SECTIONS:
        procs[f"A{p.heading_row}"].font = Font(bold=True)
    _sheet(wb, BOARD, {"A": 36, **{c: 14 for c in "BCDEFG"}})

    nar = _sheet(wb, NARRATIVE, {"A": 60, "B": 80})
    for row in (ANSWER_ROW, DESCRIPTION_ROW):
        _open_cell(nar, f"B{row}")
        nar[f"B{row}"].alignment = Alignment(wrap_text=True, vertical="top")
    nar.row_dimensions[DESCRIPTION_ROW].height = 150
    yes_no = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True,
                            showErrorMessage=True, error="Choose Yes or No.")
    nar.add_data_validation(yes_no)
    yes_no.add(f"B{ANSWER_ROW}")

    wb.security = WorkbookProtection(lockStructure=True)
    wb.save(path)
