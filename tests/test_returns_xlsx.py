"""Tests for connectors.returns_xlsx: the hand-filled WRES/WDES annual return workbook.

Each test writes the real template, fills it with openpyxl the way an analyst would, and
imports it through ``run_import`` into a temporary SQLite store. Expected figures are the
numbers typed in (or their hand-worked sums, shown in comments), never recomputed by the
module under test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from assurance.catalogue import load_catalogue
from assurance.db import open_store
from assurance.ingest import run_import
from assurance.models import Import, Observation
from assurance.problems import ProblemsError
from connectors import returns_xlsx
from connectors.organisations_csv import OrganisationsCsv
from connectors.returns_layout import (
    BANDS,
    COUNT_CELLS,
    HEADINGS,
    INSTRUCTIONS,
    SHEETS,
)
from connectors.returns_template import write_template
from connectors.returns_xlsx import AnnualReturnXlsx

AT = datetime(2024, 5, 20, 9, 0, tzinfo=UTC)
ORG = "Z9T01"

# Workforce rows 5-20 (Band 1 … medical trainee): White, BME, unknown | Disabled, ND, unknown.
# Column sums: White 280, BME 184, unknown 16 (= 480); Disabled 32, ND 432, unknown 16 (= 480).
WORKFORCE = [
    (10, 4, 1, 2, 12, 1), (11, 5, 1, 2, 14, 1), (12, 6, 1, 2, 16, 1), (13, 7, 1, 2, 18, 1),
    (14, 8, 1, 2, 20, 1), (15, 9, 1, 2, 22, 1), (16, 10, 1, 2, 24, 1), (17, 11, 1, 2, 26, 1),
    (18, 12, 1, 2, 28, 1), (19, 13, 1, 2, 30, 1), (20, 14, 1, 2, 32, 1), (21, 15, 1, 2, 34, 1),
    (22, 16, 1, 2, 36, 1), (23, 17, 1, 2, 38, 1), (24, 18, 1, 2, 40, 1), (25, 19, 1, 2, 42, 1),
]


def fill(path: Path) -> None:
    """Fill a blank template as a trust's analyst would."""
    wb = load_workbook(path)
    about = wb["About"]
    about["B5"], about["B6"] = ORG, 2024
    about["B7"], about["B8"] = "A. Analyst, workforce intelligence", date(2024, 5, 15)
    wf = wb["Workforce"]
    for row, counts in enumerate(WORKFORCE, start=5):
        for col, n in zip("BCDEFG", counts, strict=True):
            wf[f"{col}{row}"] = n
    rec = wb["Recruitment"]
    # Rows: White, BME, Ethnicity unknown (left blank: nobody), Disabled, ND, unknown.
    for row, pair in {5: (200, 40), 6: (150, 15), 8: (30, 3), 9: (310, 50), 10: (10, 2)}.items():
        rec[f"B{row}"], rec[f"C{row}"] = pair
    proc = wb["Processes"]
    proc["B6"], proc["B7"] = 6, 9  # disciplinary White, BME; headcount blank: Workforce
    proc["B10"], proc["C10"], proc["B11"] = 120, 300, 60  # training: White has its own base
    proc["B14"], proc["B15"] = 2, 5  # capability: Disabled, Non-disabled
    board = wb["Board"]
    for col, voting, executive in zip("BCDEFG", (8, 2, 0, 0, 10, 0), (5, 1, 0, 1, 5, 0),
                                      strict=True):
        board[f"{col}5"], board[f"{col}6"] = voting, executive
    nar = wb["Narrative"]
    nar["B5"], nar["B6"] = "Yes", "Disabled staff network chaired by a board champion."
    wb.save(path)


def edit(path: Path, change: Callable[[Workbook], object]) -> Path:
    """Apply ``change(workbook)`` to a filled return and save it."""
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


@pytest.fixture()
def store(tmp_path: Path) -> Engine:
    engine = open_store(f"sqlite:///{tmp_path}/s.db")
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(f"code,name,type,synthetic\n{ORG},Synthetic Trust,acute,yes\n",
                    encoding="utf-8")
    run_import(engine, OrganisationsCsv(), orgs, actor="test", at=AT)
    return engine


@pytest.fixture()
def filled(tmp_path: Path) -> Path:
    path = tmp_path / "return.xlsx"
    write_template(path)
    fill(path)
    return path


def stored(engine: Engine, metric: str, group: str, breakdown: str = "",
           current: bool = True) -> Observation:
    with Session(engine) as s:
        return s.exec(select(Observation).where(
            Observation.metric == metric, Observation.group == group,
            Observation.breakdown == breakdown, Observation.current == current)).one()


def observation_count(engine: Engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Observation)).one()


def refused(engine: Engine, path: Path) -> list[str]:
    """Import ``path`` expecting refusal; return the problems and check nothing was stored."""
    with pytest.raises(ProblemsError) as err:
        run_import(engine, AnnualReturnXlsx(), path, actor="test", at=AT)
    assert observation_count(engine) == 0
    return [str(p) for p in err.value.problems]


# ---------------------------------------------------------------- the layout and template
def test_layout_rows_are_the_catalogue_bands_without_overall() -> None:
    bands = load_catalogue().breakdown_sets["bands"]
    assert [key for key, _ in BANDS] == [b for b in bands if b != "overall"]


def test_template_unlocks_and_validates_every_count_cell_and_protects_the_rest(
        tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    write_template(path, org_code="z9t01", year=2024)
    wb = load_workbook(path)
    assert wb.security.lockStructure
    assert (wb["About"]["B5"].value, wb["About"]["B6"].value) == ("Z9T01", 2024)
    for sheet, cells in COUNT_CELLS.items():
        ws = wb[sheet]
        assert ws.protection.sheet
        validated = {str(rng) for dv in ws.data_validations.dataValidation
                     if dv.type == "whole" and dv.formula1 == "0" for rng in dv.sqref.ranges}
        for coord in cells:
            assert not ws[coord].protection.locked, f"{sheet}!{coord} should be unlocked"
            assert coord in validated, f"{sheet}!{coord} should accept whole numbers >= 0"
        for coord in HEADINGS[sheet]:
            assert ws[coord].protection.locked, f"{sheet}!{coord} heading should be locked"


def test_every_sheet_is_explained_in_the_how_to_sheet_and_the_module_docstring(
        tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    write_template(path)
    how = " ".join(str(c.value) for c in load_workbook(path)["How to fill in"]["A"] if c.value)
    doc = returns_xlsx.__doc__ or ""
    for sheet in SHEETS:
        assert f"{sheet}: {INSTRUCTIONS[sheet]}" in how
        assert f"**{sheet}**" in doc


# ---------------------------------------------------------------- a good return
def test_filled_return_stores_the_typed_counts_and_derived_totals(store: Engine,
                                                                  filled: Path) -> None:
    result = run_import(store, AnnualReturnXlsx(), filled, actor="test", at=AT)
    assert result.status == "imported"
    # wres.1/wdes.1: 17 breakdowns x 3 groups each (102); wres.2, wdes.2, wres.3, wres.4,
    # wdes.3: 3 groups each (15); wres.9/wdes.10: 3 breakdowns x 3 groups each (18); 9b (1).
    assert result.observations == observation_count(store) == 136

    def counts(o: Observation) -> tuple[int | None, int | None]:
        return o.numerator, o.denominator

    assert counts(stored(store, "wres.2", "white")) == (40, 200)
    assert counts(stored(store, "wres.2", "unknown")) == (0, 0)  # blank "unknown" row
    assert counts(stored(store, "wdes.2", "non_disabled")) == (50, 310)
    assert counts(stored(store, "wres.1", "bme", "band:8a")) == (11, 29)  # 17 + 11 + 1
    assert counts(stored(store, "wres.1", "bme", "overall")) == (184, 480)
    assert counts(stored(store, "wdes.1", "disabled", "overall")) == (32, 480)
    assert counts(stored(store, "wres.3", "white")) == (6, 280)  # Workforce overall White
    assert counts(stored(store, "wres.3", "unknown")) == (0, 16)
    assert counts(stored(store, "wres.4", "white")) == (120, 300)  # typed base
    assert counts(stored(store, "wdes.3", "disabled")) == (2, 32)
    assert counts(stored(store, "wdes.10", "disabled", "board_voting")) == (0, 10)
    assert counts(stored(store, "wres.9", "bme", "board_executive")) == (1, 6)
    assert counts(stored(store, "wres.9", "bme", "workforce")) == (184, 480)
    narrative = stored(store, "wdes.9b", "all")
    assert (narrative.value, narrative.note) == (
        1.0, "Disabled staff network chaired by a board champion.")
    assert stored(store, "wres.2", "white").period_key == "wres:2024"
    with Session(store) as s:
        batch = s.exec(select(Import).where(Import.source == "returns_xlsx")).one()
    assert batch.note == ("WRES/WDES 2024 annual return for Z9T01, completed by A. Analyst, "
                          "workforce intelligence on 2024-05-15")


def test_reimporting_the_same_file_is_unchanged(store: Engine, filled: Path) -> None:
    run_import(store, AnnualReturnXlsx(), filled, actor="test", at=AT)
    again = run_import(store, AnnualReturnXlsx(), filled, actor="test", at=AT)
    assert again.status == "unchanged"
    assert observation_count(store) == 136


def test_corrected_copy_supersedes_the_earlier_figures(store: Engine, filled: Path,
                                                       tmp_path: Path) -> None:
    first = run_import(store, AnnualReturnXlsx(), filled, actor="test", at=AT)
    corrected = tmp_path / "return-v2.xlsx"
    corrected.write_bytes(filled.read_bytes())
    edit(corrected, lambda wb: wb["Recruitment"].__setitem__("C5", 41))
    second = run_import(store, AnnualReturnXlsx(), corrected, actor="test", at=AT)
    assert (second.status, second.superseded) == ("imported", 136)
    old = stored(store, "wres.2", "white", current=False)
    assert (old.numerator, old.import_id, old.superseded_by) == (40, first.import_id,
                                                                 second.import_id)
    assert stored(store, "wres.2", "white").numerator == 41


# ---------------------------------------------------------------- refused returns
def test_text_file_named_xlsx_is_refused_as_not_a_workbook(store: Engine,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "return.xlsx"
    path.write_text("org_code,period\nZ9T01,wres:2024\n", encoding="utf-8")
    [problem] = refused(store, path)
    assert problem.startswith(f"{path}: error: not an Excel .xlsx workbook (it holds plain "
                              "text, such as a CSV file: if it is one, give it a .csv name")
    assert "Z9T01" not in problem  # the file's contents are never quoted


def test_missing_sheet_is_named(store: Engine, filled: Path) -> None:
    edit(filled, lambda wb: wb.remove(wb["Board"]))
    [problem] = refused(store, filled)
    assert problem.startswith(f"{filled}[Board]: error: sheet 'Board' not found; the workbook "
                              "has How to fill in, About, Workforce, Recruitment, Processes, "
                              "Narrative; expected the sheets About, ")


def test_inserted_column_is_refused_at_the_first_moved_heading(store: Engine,
                                                               filled: Path) -> None:
    edit(filled, lambda wb: wb["Workforce"].insert_cols(2))
    [problem] = refused(store, filled)
    assert problem.startswith(f"{filled}[Workforce]:4:B: error: found blank; expected 'White' "
                              "(and 5 more heading cells differ). The layout has changed")


def test_renamed_row_label_is_refused(store: Engine, filled: Path) -> None:
    edit(filled, lambda wb: wb["Recruitment"].__setitem__("A6", "Black"))
    [problem] = refused(store, filled)
    assert problem.startswith(f"{filled}[Recruitment]:6:A: error: found 'Black'; expected "
                              "'BME'. The layout has changed")


def test_negative_count_is_refused_at_its_cell(store: Engine, filled: Path) -> None:
    edit(filled, lambda wb: wb["Workforce"].__setitem__("C9", -3))
    assert refused(store, filled) == [
        f"{filled}[Workforce]:9:C: error: found -3; expected a whole number of people, 0 or more"
    ]


def test_blank_and_non_numeric_counts_are_refused_with_the_shared_cell_messages(
        store: Engine, filled: Path) -> None:
    def change(wb: Workbook) -> None:
        wb["Workforce"]["B5"] = None
        wb["Board"]["F5"] = "ten"

    edit(filled, change)
    assert sorted(refused(store, filled)) == [
        f"{filled}[Board]:5:F: error: found 'ten'; expected a whole number",
        f"{filled}[Workforce]:5:B: error: blank; expected a whole number of people (0 if none)",
    ]


def test_a_formula_saved_without_its_result_is_named_as_one_not_as_blank(
        store: Engine, filled: Path) -> None:
    # openpyxl (like other scripts and some exporters) writes formulas without results: read
    # for values the cell is empty, which the return called "blank" though it is filled.
    def change(wb: Workbook) -> None:
        wb["Workforce"]["B5"] = "=4+6"
        wb["Workforce"]["C5"] = "=" + "+".join(["1"] * 30)
        wb["Workforce"]["D5"] = None

    edit(filled, change)
    assert sorted(refused(store, filled)) == [
        f"{filled}[Workforce]:5:B: error: found the formula =4+6 without a saved result; "
        "expected a whole number of people (0 if none): open the return in Excel or "
        "LibreOffice and save it (saving stores each formula's result), or type the figure",
        f"{filled}[Workforce]:5:C: error: found a formula without a saved result; expected a "
        "whole number of people (0 if none): open the return in Excel or LibreOffice and save "
        "it (saving stores each formula's result), or type the figure",
        f"{filled}[Workforce]:5:D: error: blank; expected a whole number of people (0 if none)",
    ]


def test_appointed_more_than_shortlisted_is_refused(store: Engine, filled: Path) -> None:
    edit(filled, lambda wb: wb["Recruitment"].__setitem__("C6", 151))
    assert refused(store, filled) == [
        f"{filled}[Recruitment]:6:C: error: BME: appointed 151 is more than shortlisted 150; "
        "expected at most the number shortlisted"
    ]


def test_ethnicity_and_disability_totals_that_disagree_name_the_row(store: Engine,
                                                                    filled: Path) -> None:
    edit(filled, lambda wb: wb["Workforce"].__setitem__("E12", 3))  # Band 8a: 2 -> 3
    assert refused(store, filled) == [
        f"{filled}[Workforce]:12: error: Band 8a: ethnicity columns B-D add up to 29 but "
        "disability columns E-G add up to 30; expected the same total (each person counted "
        "once in each)"
    ]


def test_entering_more_than_the_default_headcount_is_refused(store: Engine,
                                                             filled: Path) -> None:
    edit(filled, lambda wb: wb["Processes"].__setitem__("B15", 433))  # ND overall is 432
    assert refused(store, filled) == [
        f"{filled}[Processes]:15:B: error: Non-disabled: 433 staff is more than the headcount "
        "432 (the Workforce overall, as C is blank); expected at most the headcount"
    ]


def test_unregistered_organisation_is_refused_with_how_to_register(store: Engine,
                                                                   filled: Path) -> None:
    edit(filled, lambda wb: wb["About"].__setitem__("B5", "z9x99"))
    assert refused(store, filled) == [
        f"{filled}[About]:5:B: error: unknown organisation code 'Z9X99'; register it first "
        "(assurance orgs import)"
    ]


@pytest.mark.parametrize(("typed", "found"), [
    ("2023/24", "'2023/24'"), (24, "'24'"), (datetime(2024, 3, 31), "the date 31/03/2024"),
    (None, "blank"),
])
def test_year_that_is_not_four_digits_is_refused(store: Engine, filled: Path, typed: object,
                                                 found: str) -> None:
    edit(filled, lambda wb: wb["About"].__setitem__("B6", typed))
    assert refused(store, filled) == [
        f"{filled}[About]:6:B: error: found {found}; expected the 31 March snapshot year as 4 "
        "digits, e.g. 2024"
    ]


@pytest.mark.parametrize(("typed", "expected"), [
    (2100, "found 2100, whose 31 March snapshot is still to come; expected the year of a "
           "snapshot already taken"),  # a typo for 2010 or 2024 sat unseen as wres:2100
    (1989, "found 1989; expected the 31 March snapshot year from 1990 to 2100"),
])
def test_a_year_no_snapshot_has_been_taken_in_is_refused(store: Engine, filled: Path,
                                                         typed: int, expected: str) -> None:
    edit(filled, lambda wb: wb["About"].__setitem__("B6", typed))
    problems = refused(store, filled)
    assert len(problems) == 1 and problems[0].startswith(
        f"{filled}[About]:6:B: error: {expected}"), problems


def test_narrative_yes_without_description_is_refused(store: Engine, filled: Path) -> None:
    edit(filled, lambda wb: wb["Narrative"].__setitem__("B6", None))
    assert refused(store, filled) == [
        f"{filled}[Narrative]:6:B: error: blank; expected a description of the action taken, "
        "because the answer in B5 is Yes"
    ]


def test_every_problem_in_a_workbook_is_reported_at_once(store: Engine, filled: Path) -> None:
    def change(wb: Workbook) -> None:
        wb["About"]["B5"] = "Z9X99"
        wb["Recruitment"]["C5"] = 201
        wb["Narrative"]["B5"] = "Maybe"

    edit(filled, change)
    assert sorted(p.split(": error:")[0] for p in refused(store, filled)) == [
        f"{filled}[About]:5:B", f"{filled}[Narrative]:5:B", f"{filled}[Recruitment]:5:C"]


@pytest.mark.parametrize("prefilled", [False, True])
def test_blank_template_imported_as_is_stores_nothing(store: Engine, tmp_path: Path,
                                                      prefilled: bool) -> None:
    path = tmp_path / "blank.xlsx"
    write_template(path, org_code=ORG if prefilled else None, year=2024 if prefilled else None)
    assert refused(store, path) == [
        f"{path}[Workforce]:5:B: error: no figures entered: every count cell in the return is "
        "blank; expected the yellow cells filled in (see the 'How to fill in' sheet) before "
        "importing"
    ]
