"""Where everything is in the WRES/WDES annual return workbook.

One definition of the layout serves both directions: ``connectors.returns_template`` writes
the blank workbook's headings, input cells, protection and validation from it, and
``connectors.returns_xlsx`` reads the figures from the same cells and checks the same
headings, so the two cannot drift apart. The layout is described for users in the
``connectors.returns_xlsx`` docstring and in the workbook's own "How to fill in" sheet
(written from these constants). Plain data: nothing here imports openpyxl.
"""

from __future__ import annotations

from dataclasses import dataclass

LAYOUT_VERSION = "1"
HEADER_ROW = 4
FIRST_ROW = 5

ABOUT, WORKFORCE, RECRUITMENT, PROCESSES, BOARD, NARRATIVE = (
    "About", "Workforce", "Recruitment", "Processes", "Board", "Narrative")
SHEETS = (ABOUT, WORKFORCE, RECRUITMENT, PROCESSES, BOARD, NARRATIVE)
HOW_TO = "How to fill in"


@dataclass(frozen=True)
class Column:
    """A count column split by group (Workforce and Board sheets)."""

    letter: str
    heading: str
    group: str


@dataclass(frozen=True)
class Line:
    """A labelled input row; the label is in column A.

    ``key`` is the breakdown (Workforce, Board) or the group (Recruitment, Processes).
    ``may_be_blank``: a wholly blank row means nobody and is read as 0.
    """

    row: int
    label: str
    key: str
    characteristic: str = ""
    may_be_blank: bool = False


@dataclass(frozen=True)
class Process:
    """One section of the Processes sheet: a heading row then one row per group."""

    metric: str
    heading_row: int
    heading: str
    rows: tuple[Line, ...]


ETHNICITY = (Column("B", "White", "white"), Column("C", "BME", "bme"),
             Column("D", "Ethnicity unknown", "unknown"))
DISABILITY = (Column("E", "Disabled", "disabled"), Column("F", "Non-disabled", "non_disabled"),
              Column("G", "Disability unknown", "unknown"))
SPLITS = {"race": ETHNICITY, "disability": DISABILITY}

# About: label in A, entry in B.
ORG_ROW, YEAR_ROW, BY_ROW, DATE_ROW, NOTES_ROW, VERSION_ROW = 5, 6, 7, 8, 9, 11
ABOUT_LABELS = {
    ORG_ROW: "Organisation ODS code",
    YEAR_ROW: "WRES/WDES year (31 March snapshot, 4 digits, e.g. 2024)",
    BY_ROW: "Completed by (name and role)",
    DATE_ROW: "Date completed",
    NOTES_ROW: "Notes",
    VERSION_ROW: "Template layout version",
}

# Workforce: the catalogue's `bands` breakdowns minus `overall` (which is derived).
BANDS = (
    ("band:1", "Band 1"), ("band:2", "Band 2"), ("band:3", "Band 3"), ("band:4", "Band 4"),
    ("band:5", "Band 5"), ("band:6", "Band 6"), ("band:7", "Band 7"), ("band:8a", "Band 8a"),
    ("band:8b", "Band 8b"), ("band:8c", "Band 8c"), ("band:8d", "Band 8d"),
    ("band:9", "Band 9"), ("vsm", "Very senior managers (VSM)"),
    ("medical:consultant", "Medical and dental: consultant"),
    ("medical:non_consultant_career", "Medical and dental: non-consultant career grade"),
    ("medical:trainee", "Medical and dental: trainee grade"),
)
WORKFORCE_ROWS = tuple(Line(FIRST_ROW + i, label, key) for i, (key, label) in enumerate(BANDS))
WORKFORCE_TOTAL_ROW = FIRST_ROW + len(BANDS)
WORKFORCE_METRIC = {"race": "wres.1", "disability": "wdes.1"}

_GROUPS = (("race", "white", "White", False), ("race", "bme", "BME", False),
           ("race", "unknown", "Ethnicity unknown", True),
           ("disability", "disabled", "Disabled", False),
           ("disability", "non_disabled", "Non-disabled", False),
           ("disability", "unknown", "Disability unknown", True))


def _group_lines(first: int, characteristic: str | None = None) -> tuple[Line, ...]:
    chosen = [g for g in _GROUPS if characteristic in (None, g[0])]
    return tuple(Line(first + i, label, key, char, blank)
                 for i, (char, key, label, blank) in enumerate(chosen))


# Recruitment: B shortlisted, C appointed from shortlisting.
SHORTLISTED, APPOINTED = "B", "C"
RECRUITMENT_ROWS = _group_lines(FIRST_ROW)
RECRUITMENT_METRIC = {"race": "wres.2", "disability": "wdes.2"}

# Processes: B staff entering / accessing, C headcount (blank: Workforce overall).
ENTERING, HEADCOUNT = "B", "C"
PROCESS_SECTIONS = (
    Process("wres.3", 5, "Entering the formal disciplinary process (WRES 3)",
            _group_lines(6, "race")),
    Process("wres.4", 9, "Accessing non-mandatory training and CPD (WRES 4)",
            _group_lines(10, "race")),
    Process("wdes.3", 13, "Entering the formal capability process on grounds of performance "
            "(WDES 3)", _group_lines(14, "disability")),
)

# Board: same columns as Workforce.
BOARD_ROWS = (Line(5, "Voting members", "board_voting"),
              Line(6, "Executive members (voting or not)", "board_executive"))
BOARD_METRIC = {"race": "wres.9", "disability": "wdes.10"}

# Narrative: B5 Yes/No, B6 description.
ANSWER_ROW, DESCRIPTION_ROW = 5, 6
NARRATIVE_QUESTION = ("WDES 9b: Has the organisation taken action to facilitate the voices of "
                      "Disabled staff to be heard? (Yes/No)")
NARRATIVE_DESCRIPTION = "Description of the action taken (required when the answer is Yes)"


def _headings() -> dict[str, dict[str, str]]:
    split = {c.letter: c.heading for c in ETHNICITY + DISABILITY}
    out: dict[str, dict[str, str]] = {
        ABOUT: {"A4": "Item", "B4": "Entry", f"B{VERSION_ROW}": LAYOUT_VERSION,
                **{f"A{r}": text for r, text in ABOUT_LABELS.items()}},
        WORKFORCE: {"A4": "Band or staff group", **{f"{k}4": v for k, v in split.items()},
                    **{f"A{line.row}": line.label for line in WORKFORCE_ROWS}},
        RECRUITMENT: {"A4": "Applicants", "B4": "Shortlisted",
                      "C4": "Appointed from shortlisting",
                      **{f"A{line.row}": line.label for line in RECRUITMENT_ROWS}},
        PROCESSES: {"A4": "Process and group", "B4": "Staff entering or accessing",
                    "C4": "Headcount (leave blank to use the Workforce overall headcount)"},
        BOARD: {"A4": "Board members at 31 March", **{f"{k}4": v for k, v in split.items()},
                **{f"A{line.row}": line.label for line in BOARD_ROWS}},
        NARRATIVE: {"A4": "Question", "B4": "Answer", f"A{ANSWER_ROW}": NARRATIVE_QUESTION,
                    f"A{DESCRIPTION_ROW}": NARRATIVE_DESCRIPTION},
    }
    for p in PROCESS_SECTIONS:
        out[PROCESSES][f"A{p.heading_row}"] = p.heading
        out[PROCESSES].update({f"A{line.row}": line.label for line in p.rows})
    return out


HEADINGS = _headings()
"""Every fixed text cell the importer checks, by sheet and coordinate."""

COUNT_CELLS: dict[str, tuple[str, ...]] = {
    WORKFORCE: tuple(f"{c.letter}{line.row}" for line in WORKFORCE_ROWS
                     for c in ETHNICITY + DISABILITY),
    RECRUITMENT: tuple(f"{c}{line.row}" for line in RECRUITMENT_ROWS
                       for c in (SHORTLISTED, APPOINTED)),
    PROCESSES: tuple(f"{c}{line.row}" for p in PROCESS_SECTIONS for line in p.rows
                     for c in (ENTERING, HEADCOUNT)),
    BOARD: tuple(f"{c.letter}{line.row}" for line in BOARD_ROWS for c in ETHNICITY + DISABILITY),
}
"""Every cell that takes a whole number of people: unlocked, validated, read by the importer."""

TITLES = {
    ABOUT: "WRES / WDES annual return: about this return",
    WORKFORCE: "Workforce headcount at 31 March (WRES indicator 1, WDES metric 1)",
    RECRUITMENT: "Recruitment in the 12 months to 31 March (WRES indicator 2, WDES metric 2)",
    PROCESSES: "Disciplinary, training and capability in the 12 months to 31 March "
               "(WRES 3 and 4, WDES 3)",
    BOARD: "Board membership at 31 March (WRES indicator 9, WDES metric 10)",
    NARRATIVE: "Disabled staff voices (WDES metric 9b)",
}

_last_band = WORKFORCE_ROWS[-1].row
INSTRUCTIONS = {
    ABOUT: "Organisation ODS code as registered in assurance (e.g. RR8) and the year of the "
           "31 March workforce snapshot as 4 digits: the 2024 return describes the workforce "
           "at 31 March 2024 and the 12 months to that date. Completed by, date and notes are "
           "optional and are kept with the import.",
    WORKFORCE: f"Headcount (not FTE), one row per band or staff group (rows {FIRST_ROW}-"
               f"{_last_band}); count each person in exactly one row. Columns B-D split the "
               "row by ethnicity, E-G by disability ('unknown' = not stated, not declared or "
               "not known); B+C+D must equal E+F+G on every row. Type 0 where there is "
               f"nobody: a blank cell is an error. The overall workforce (row "
               f"{WORKFORCE_TOTAL_ROW}) is calculated from the rows; do not type it.",
    RECRUITMENT: "Applicants shortlisted and appointed from shortlisting, by ethnicity (rows "
                 f"{RECRUITMENT_ROWS[0].row}-{RECRUITMENT_ROWS[2].row}) and by disability "
                 f"(rows {RECRUITMENT_ROWS[3].row}-{RECRUITMENT_ROWS[5].row}). Appointed may "
                 "not be more than shortlisted. The two 'unknown' rows may be left wholly "
                 "blank when there were no such applicants (read as 0); the other rows must be "
                 "filled in (0 if none).",
    PROCESSES: "Staff entering the process or accessing training in column B. Column C is the "
               "headcount the rate is worked out on: leave it blank to use the Workforce "
               "overall headcount of the same group (the usual case); fill it in only when you "
               "use another base, e.g. a two-year average. On the 'unknown' rows column B "
               "may be left blank (0 entering); White, BME, Disabled and Non-disabled must "
               "have a number in column B (0 if none).",
    BOARD: "Board members at 31 March, split by ethnicity (B-D) and by disability (E-G); on "
           "each row B+C+D must equal E+F+G and be more than 0. Executive members are counted "
           "whether or not they vote, so the two rows are not checked against each other. The "
           "workforce comparison comes from the Workforce sheet. Board tables identify "
           "people: keep this workbook on restricted storage.",
    NARRATIVE: "Answer Yes or No. When Yes, describe the action taken (for example a Disabled "
               "staff network, a board-level champion, listening events); the description is "
               "stored with the answer.",
}
