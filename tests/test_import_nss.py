"""The official NHS Staff Survey 2024 detailed spreadsheet, imported as published."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance.catalogue import load_catalogue
from assurance.db import open_store
from assurance.ingest import ImportResult, run_import, store_counts
from assurance.models import Observation, Organisation, SurveyQuestion
from assurance.problems import ProblemsError
from conftest import AT, NSS_FILE
from connectors import SOURCES
from connectors.nss_layout import BASE, LAYOUTS
from connectors.nss_xlsx import slug

needs_file = pytest.mark.skipif(not NSS_FILE.is_file(), reason="shared/data not present")


@pytest.fixture(scope="module")
def nss_store(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("nss") / "s.db"
    engine = open_store(f"sqlite:///{path}")
    run_import(engine, SOURCES["nss_xlsx"], NSS_FILE, actor="test", at=AT)
    return engine


@cache
def _cell_values() -> tuple[int, int, dict[tuple[str, str, str], object]]:
    """Count response cells and dashes straight from the workbook, independently of the
    importer, and keep a few cells to compare."""
    wb = load_workbook(NSS_FILE, read_only=True, data_only=True)
    responses = dashes = 0
    picked: dict[tuple[str, str, str], object] = {}
    for ws in wb.worksheets[1:]:
        rows = list(ws.iter_rows(values_only=True))
        heads, labels = rows[0], rows[4]
        for r in rows[5:]:
            if not r[0]:
                break
            q = None
            for i in range(6, len(labels)):
                if heads[i]:
                    q = str(heads[i]).split(" - ")[0].lower()
                if labels[i] and labels[i] != "Base (number of responses)":
                    if r[i] == "-":
                        dashes += 1
                    elif r[i] is not None:
                        responses += 1
                    picked[(r[0], q or "", str(labels[i]))] = r[i]
    return responses, dashes, picked


@needs_file
def test_all_263_organisations_with_benchmarking_groups(nss_store: Engine) -> None:
    with Session(nss_store) as s:
        orgs = s.exec(select(Organisation)).all()
    assert len(orgs) == 263
    by_code = {o.code: o for o in orgs}
    assert by_code["0AR"].benchmark_group == "CSUs"
    assert by_code["TAJ"].name == "Black Country Healthcare NHS Foundation Trust"
    # Read exactly as published: a specialist trust is not an acute trust.
    assert (by_code["RAN"].benchmark_group, by_code["RAN"].org_type) == (
        "Acute Specialist Trusts", "acute specialist")
    assert (by_code["NXP"].benchmark_group, by_code["NXP"].org_type) == (
        "Community Surgical Services", "community surgical")
    assert by_code["RR8"].org_type == "acute"
    assert (by_code["TAJ"].benchmark_group or "").startswith("Mental Health & Learning Disability")
    assert by_code["TAJ"].region == "Midlands" and by_code["TAJ"].ics == "Black Country"


@needs_file
def test_every_response_cell_is_stored_and_dashes_are_suppressed_not_zero(
        nss_store: Engine) -> None:
    responses, dashes, _ = _cell_values()
    with Session(nss_store) as s:
        stored = s.exec(select(Observation).where(col(Observation.metric) != "nss.weighting")
                        ).all()
    assert sum(1 for o in stored if not o.suppressed) == responses
    suppressed = [o for o in stored if o.suppressed]
    assert len(suppressed) == dashes > 0
    assert all(o.value is None for o in suppressed)


@cache
def _dashes_with_a_base() -> int:
    """'-' percentages whose question's base is published, counted from the workbook."""
    wb = load_workbook(NSS_FILE, read_only=True, data_only=True)
    n = 0
    for ws in wb.worksheets[1:]:
        rows = list(ws.iter_rows(values_only=True))
        labels = rows[4]
        for r in rows[5:]:
            if not r[0]:
                continue
            block: list[object] = []
            for i in range(6, len(labels)):
                if labels[i] == "Base (number of responses)":
                    n += sum(1 for v in block if v == "-") if isinstance(r[i], int) else 0
                    block = []
                else:
                    block.append(r[i])
    wb.close()
    return n


@needs_file
def test_bases_are_kept_where_the_percentage_is_suppressed(nss_store: Engine) -> None:
    with Session(nss_store) as s:
        kept = s.exec(select(Observation).where(col(Observation.suppressed).is_(True),
                                                col(Observation.denominator).is_not(None))).all()
    assert len(kept) == _dashes_with_a_base() == 361
    assert all(o.value is None and o.denominator and o.denominator > 0 for o in kept)


@needs_file
@pytest.mark.parametrize("org,question,label,metric,breakdown", [
    ("0AR", "q14a", "% Never", "nss.q14a", "never"),
    ("0CX", "q15", "% Yes", "nss.q15", "yes"),
    ("TAJ", "staff engagement", "Staff Engagement - score", "nss.staff_engagement", "score"),
    ("0AR", "q31b", "% No adjustment required", "nss.q31b", "no_adjustment_required"),
    ("TAH", "q4b", "% Very satisfied", "nss.q4b", "very_satisfied"),
])
def test_figures_match_the_spreadsheet_cells(nss_store: Engine, org: str, question: str,
                                             label: str, metric: str, breakdown: str) -> None:
    _, _, cells = _cell_values()
    expected = cells[(org, question, label)]
    with Session(nss_store) as s:
        obs = s.exec(select(Observation).where(Observation.org_code == org,
                                               Observation.metric == metric,
                                               Observation.breakdown == breakdown)).one()
    assert obs.value == pytest.approx(float(expected), abs=1e-12)  # type: ignore[arg-type]
    assert obs.period_key == "survey:2024" and obs.denominator and obs.denominator > 0


@needs_file
def test_question_texts_are_kept_per_survey_year(nss_store: Engine) -> None:
    with Session(nss_store) as s:
        q = s.exec(select(SurveyQuestion).where(SurveyQuestion.code == "q31b")).one()
    assert q.survey_year == 2024 and "reasonable adjustment" in q.text
    assert q.responses.split("|") == ["yes", "no", "no_adjustment_required"]


# --------------------------------------------------------------------- bad input, small files

def mini_nss(path: Path, *, year: int = 2024, texts: dict[str, str] | None = None,
             value: object = 12.5, header: str = "ODS code") -> Path:
    """A small workbook in the published 2024 layout (every sheet, heading and response label
    of ``connectors.nss_layout``) with two organisations; ``value`` goes in the first
    response column of every question."""
    cat = load_catalogue()
    concept_text = {c: f"{stem} (test)" for c, stem in cat.survey_concepts.items()}
    questions: dict[str, str] = {}
    for concept, code in cat.survey_years[2024].items():
        joined = f"{questions[code]} / {concept_text[concept]}" if code in questions else (
            concept_text[concept])
        questions[code] = (texts or {}).get(code, joined)
    wb = Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "Notes"
    for sheet, blocks in LAYOUTS[2024]:
        ws = wb.create_sheet(sheet)
        ws.cell(1, 1, f"NHS Staff Survey {year} - WEIGHTED Results")
        for i, h in enumerate([header, "Organisation name", "Benchmarking group", "Region",
                               "ICS", "Weighting"], start=1):
            ws.cell(5, i, h)
        for r, org in ((6, "ZZ1"), (7, "ZZ2")):
            for i, v in enumerate([org, f"Test org {org}", "Acute Trusts", "London", "-",
                                   "Unweighted"], start=1):
                ws.cell(r, i, v)
        col_i = 7
        for code, labels in blocks:
            ws.cell(1, col_i, f"{code} - {questions.get(slug(code), 'A test question')}")
            for k, label in enumerate(labels):
                ws.cell(5, col_i + k, label)
                for r in (6, 7):
                    ws.cell(r, col_i + k, 400 if label == BASE else 7.5 if label.endswith(
                        "score") else value if k == 0 else 10.0)
            col_i += len(labels)
    wb.save(path)
    return path


def _import(engine: Engine, path: Path) -> ImportResult:
    return run_import(engine, SOURCES["nss_xlsx"], path, actor="test", at=AT)


def test_a_small_file_in_the_published_layout_imports(sqlite_engine: Engine,
                                                      tmp_path: Path) -> None:
    result = _import(sqlite_engine, mini_nss(tmp_path / "ok.xlsx"))
    assert result.organisations == 2 and result.observations > 0


@pytest.mark.parametrize("kwargs,expected", [
    ({"year": 2019}, "survey year 2019 has no question map"),
    ({"texts": {"q31b": "Do you look forward to going to work?"}},
     "question q31b reads 'Do you look forward to going to work?'; expected it to be about "
     "'reasonable adjustment'"),
    ({"value": "lots"}, "[YOUR JOB Q1-3]:6:G: error: found 'lots'; expected a number or '-'"),
    ({"value": 140}, "[YOUR JOB Q1-3]:6:G: error: found 140.0; expected 0-100"),
    ({"header": "Org code"}, "[YOUR JOB Q1-3]:5:A: error: found headers"),
])
def test_bad_staff_survey_files_are_refused_with_location(sqlite_engine: Engine, tmp_path: Path,
                                                          kwargs: dict, expected: str) -> None:
    path = mini_nss(tmp_path / "bad.xlsx", **kwargs)
    with pytest.raises(ProblemsError) as exc:
        _import(sqlite_engine, path)
    assert expected in str(exc.value)
    assert store_counts(sqlite_engine)["observations"] == 0
    assert store_counts(sqlite_engine)["organisations"] == 0


def test_a_file_that_is_not_a_spreadsheet_is_refused(sqlite_engine: Engine,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("ODS code,Organisation name\nRR8,Leeds\n")
    with pytest.raises(ProblemsError) as exc:
        _import(sqlite_engine, path)
    assert f"{path}: error: not an Excel .xlsx workbook" in str(exc.value)
