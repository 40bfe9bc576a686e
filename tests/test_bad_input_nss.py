"""Damaged copies of the real Staff Survey 2024 file: each damage is refused with its location
and the store unchanged; a copy with one changed cell supersedes exactly one figure, and
importing the original again makes it current again.

The copies are built once per module from the published file, by editing its XML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import api
from assurance.config import Settings
from assurance.db import open_store
from assurance.ingest import ImportResult, run_import, store_counts
from assurance.models import AuditEvent, Import, Observation
from assurance.problems import ProblemsError
from assurance.report_context import board_context
from conftest import AT, NSS_FILE
from connectors import SOURCES
from xlsx_copies import CopyOf, edit_xlsx

pytestmark = pytest.mark.skipif(not NSS_FILE.is_file(), reason="shared/data not present")

HARASSMENT = "HEALTH WELLBEING SAFETY Q13-14"  # G = Q13a '% Never', L = its base
CHANGED_CELL = (HARASSMENT, "G6")


SheetEdit = dict[str, Any]  # edit_xlsx's keyword arguments

DAMAGES: dict[str, SheetEdit] = {
    "blank_codes": {"cells": {("YOUR JOB Q4-6", "A100"): None, ("YOUR JOB Q4-6", "A200"): None,
                              # the same organisation twice
                              ("YOUR JOB Q4-6", "A150"): CopyOf("A149")}},
    "label": {"cells": {(HARASSMENT, "H5"): "% Once or twice"}},  # published: '% 1 to 2'
    "cells": {"cells": {
        (HARASSMENT, "G10"): None,  # empty where a figure or '-' belongs
        (HARASSMENT, "H11"): "n/a",  # text in a numeric cell
        (HARASSMENT, "I12"): 140,  # a percentage outside 0-100
        (HARASSMENT, "L13"): -5,  # a negative base
        (HARASSMENT, "L14"): 12.5}},  # a base that is not a whole number
    "sheets": {"deleted": ["THEMES"], "renamed": {"YOUR TEAM Q7": "YOUR TEAM"}},
    # two rows' codes swapped on one sheet: each trust's figures would be the other's
    "swapped": {"cells": {("YOUR JOB Q1-3", "A6"): "0CX", ("YOUR JOB Q1-3", "A7"): "0AR"}},
    "small_base": {"cells": {(HARASSMENT, "L16"): 3}},  # figures beside 3 responses
}


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One copy of the published file per damage, plus one with one changed cell; every
    other part of each copy is the published file's (tests/xlsx_copies.py)."""
    folder = tmp_path_factory.mktemp("nss-copies")
    out = {"changed": folder / "changed.xlsx"}
    edit_xlsx(NSS_FILE, out["changed"], cells={CHANGED_CELL: 12.5})
    for name, damage in DAMAGES.items():
        out[name] = folder / f"{name}.xlsx"
        edit_xlsx(NSS_FILE, out[name], **damage)
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('nss-bad') / 's.db'}")
    _import(engine, NSS_FILE)
    return engine


def _import(engine: Engine, path: Path) -> ImportResult:
    return run_import(engine, SOURCES["nss_xlsx"], path, actor="test", at=AT)


def _audit_events(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _refused(engine: Engine, path: Path) -> str:
    before = (store_counts(engine), _audit_events(engine))
    with pytest.raises(ProblemsError) as exc:
        _import(engine, path)
    assert (store_counts(engine), _audit_events(engine)) == before  # nothing stored
    return str(exc.value)


def test_a_blank_ods_code_mid_sheet_is_refused_at_each_row_and_reading_continues(
        store: Engine, copies: dict[str, Path]) -> None:
    text = _refused(store, copies["blank_codes"])
    for row in (100, 200):  # the second is found only if reading went on past the first
        assert (f"[YOUR JOB Q4-6]:{row}:A: error: blank ODS code in a row that holds figures; "
                "expected the organisation's ODS code") in text
    assert "[YOUR JOB Q4-6]:150:A: error: " in text and "appears again (first on row 149)" in text
    # the organisations of rows 100, 150 and 200 are named on the sheet they are missing from
    assert text.count("is missing from this sheet; expected every organisation") == 3


def test_a_deleted_or_renamed_sheet_is_refused_naming_the_expected_sheets(
        store: Engine, copies: dict[str, Path]) -> None:
    text = _refused(store, copies["sheets"])
    assert "sheet 'THEMES' is missing; expected the 17 published sheets: 'Notes', " in text
    assert "sheet 'YOUR TEAM Q7' is missing" in text
    assert "found sheet 'YOUR TEAM', which the published file does not have" in text


def test_a_changed_response_label_is_refused_at_its_cell(store: Engine,
                                                         copies: dict[str, Path]) -> None:
    text = _refused(store, copies["label"])
    assert (f"[{HARASSMENT}]:5:H: error: found response label '% Once or twice'; expected "
            "'% 1 to 2' (question Q13a)") in text


def test_damaged_cells_are_all_refused_with_their_locations(store: Engine,
                                                            copies: dict[str, Path]) -> None:
    text = _refused(store, copies["cells"])
    where = f"[{HARASSMENT}]"
    assert (f"{where}:10:G: error: empty cell; expected a percentage (0-100) or '-' (fewer "
            "than 10 responses)") in text
    assert f"{where}:11:H: error: found 'n/a'; expected a number or '-'" in text
    assert f"{where}:12:I: error: found 140.0; expected 0-100" in text
    assert f"{where}:13:L: error: found -5" in text
    assert f"{where}:14:L: error: found 12.5; expected a whole number of people" in text


def test_codes_swapped_between_rows_are_refused_naming_the_organisation_elsewhere(
        store: Engine, copies: dict[str, Path]) -> None:
    # Imported with exit 0 ("126 changed"): 0AR's figures stored as 0CX's and the reverse.
    text = _refused(store, copies["swapped"])
    # The first sheet read sets each code's name; every other sheet then disagrees on both.
    assert text.count("an earlier sheet has named") >= 2, text[:2000]
    assert re.search(r"\]:6:B: error: found '[^']+' for \w+, which an earlier sheet has named",
                     text) and "]:7:B: error: found " in text, text[:2000]


def test_a_figure_beside_fewer_than_10_responses_is_refused(store: Engine,
                                                           copies: dict[str, Path]) -> None:
    text = _refused(store, copies["small_base"])
    assert (f"[{HARASSMENT}]:16:G: error: found a figure beside a base of 3 responses (column "
            "L); expected '-' where there are fewer than 10 responses") in text, text[:2000]


def test_one_changed_cell_supersedes_one_figure_and_the_original_restores_it(
        store: Engine, copies: dict[str, Path]) -> None:
    def current_q13a() -> Observation:
        with Session(store) as s:
            return s.exec(select(Observation).where(
                Observation.org_code == "0AR", Observation.metric == "nss.q13a",
                Observation.breakdown == "never", col(Observation.current).is_(True))).one()

    original = current_q13a()
    changed = _import(store, copies["changed"])
    assert (changed.status, changed.superseded, changed.changed, changed.new) == (
        "imported", 1, 1, 0)
    assert changed.unchanged == 167_004 == store_counts(store)["observations"] - 1
    assert current_q13a().value == 12.5
    with Session(store) as s:
        batch = s.get(Import, changed.import_id)
        assert batch is not None and "1 changed, 167,004 unchanged" in (batch.note or "")
        stored = s.scalar(select(func.count()).select_from(Observation)
                          .where(Observation.import_id == changed.import_id))
    assert stored == 1  # the unchanged figures stay attributed to the first import

    restored = _import(store, NSS_FILE)
    assert restored.status == "restored" and restored.import_id == original.import_id
    assert "1 of its figures were no longer current: made them current again" in (
        restored.message)
    now = current_q13a()
    assert now.value == original.value and now.import_id == original.import_id
    with Session(store) as s:
        history = s.exec(select(Observation).where(
            Observation.org_code == "0AR", Observation.metric == "nss.q13a",
            Observation.breakdown == "never").order_by(col(Observation.id))).all()
        restore_events = s.exec(select(AuditEvent).where(
            AuditEvent.action == "import_restore")).all()
    assert [(h.value, h.current) for h in history] == [
        (original.value, False), (12.5, False), (original.value, True)]
    assert history[1].superseded_by == original.import_id and len(restore_events) == 1
    assert store_counts(store)["observations"] == 167_005

    again = _import(store, NSS_FILE)
    assert again.status == "unchanged"


@pytest.mark.parametrize("org,group,peers", [("NXP", "Community Surgical Services", 1),
                                             ("0AR", "CSUs", 4)])
def test_a_small_benchmarking_group_is_named_not_called_no_results(
        demo_store: tuple[Engine, Settings], org: str, group: str, peers: int) -> None:
    engine, settings = demo_store
    ctx = board_context(engine, settings, org_code=org, as_of=api.DEMO_AS_OF)
    assert ctx.peers == () and "no organisation-level" not in ctx.peer_note
    assert f"benchmarking group ({group}) has only {peers} organisation" in ctx.peer_note
    assert ctx.organisation.benchmark_group == group
