"""Divisions: the register (organisation → division → department, each with an accountable
owner), rules with ``scope: division`` judging each division's own figures, and what a
division's finding carries (its own identity, title, summary and owner)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from assurance import audit
from assurance.cli import base as cli_base
from assurance.config import StatisticsSettings
from assurance.divisions import division_code
from assurance.engine.evaluate import evaluate
from assurance.engine.rules import load_packs
from assurance.findings import apply_outcomes, fingerprint
from assurance.models import AuditEvent, Division, Finding
from assurance.problems import ProblemsError
from conftest import AT
from helpers import METRIC_HEADER, import_metrics, register_orgs, write_csv

LEVELS = ("edi_lead", "executive_lead", "board_committee", "regulator")
AS_OF = date(2025, 6, 1)
PACK = """version: 1
pack: div
rules:
  - id: div.wres2.adverse
    title: White applicants more likely to be appointed from shortlisting
    metric: wres.2
    scope: division
    when: {outside_range: {significant: true}}
"""


def wres2_rows(org: str, breakdown: str, white: tuple[int, int], bme: tuple[int, int]
               ) -> list[tuple[object, ...]]:
    return [(org, "wres:2025", "wres.2", "white", breakdown, *white, "", ""),
            (org, "wres:2025", "wres.2", "bme", breakdown, *bme, "", "")]


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    register_orgs(engine, tmp_path, "SYT01")
    rows = [*wres2_rows("SYT01", "", (300, 1000), (200, 1000)),  # trust: 1.5
            *wres2_rows("SYT01", "division:surgery", (120, 300), (30, 300)),  # 4.0: breach
            *wres2_rows("SYT01", "division:medicine", (100, 400), (96, 400))]  # ~1.04: ok
    import_metrics(engine, write_csv(tmp_path / "wres2.csv", METRIC_HEADER, rows))
    return engine


def pack(tmp_path: Path, text: str = PACK) -> Path:
    path = tmp_path / "div.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_division_code_is_the_key_the_person_level_importers_write() -> None:
    assert division_code("  Surgery & Critical Care ") == "surgery_critical_care"
    assert division_code("Women's and Children's") == "women_s_and_children_s"


def test_a_division_scoped_rule_judges_each_division_on_its_own_figures(
        store: Engine, tmp_path: Path) -> None:
    packs = load_packs([pack(tmp_path)])
    with Session(store) as s:
        outcomes = evaluate(s, packs, AS_OF, StatisticsSettings())
    got = {o.scope: o for o in outcomes}
    assert set(got) == {"division:medicine", "division:surgery"}  # not the trust itself
    surgery, medicine = got["division:surgery"], got["division:medicine"]
    assert surgery.status == "breach" and medicine.status == "ok"
    assert surgery.verdict is not None and surgery.verdict.figure is not None
    assert surgery.verdict.figure.value == pytest.approx((120 / 300) / (30 / 300))
    assert surgery.summary.startswith("Surgery division: ")


def test_a_division_finding_has_its_own_identity_title_and_accountable_owner(
        store: Engine, tmp_path: Path) -> None:
    with Session(store) as s, s.begin():
        s.add(Division(org_code="SYT01", code="surgery", name="Surgery",
                       owner="Divisional Director, Surgery"))
    packs = load_packs([pack(tmp_path)])
    with Session(store) as s, s.begin():
        outcomes = evaluate(s, packs, AS_OF, StatisticsSettings())
        apply_outcomes(s, outcomes, LEVELS, as_of=AS_OF, at=AT, actor="test")
    with Session(store) as s:
        f = s.exec(select(Finding)).one()
    assert f.fingerprint == fingerprint("div.wres2.adverse", "SYT01", "division:surgery")
    assert f.scope == "division:surgery" and f.open
    assert f.title == ("White applicants more likely to be appointed from shortlisting "
                       "(Surgery division)")
    assert f.action_owner == "Divisional Director, Surgery"


@pytest.mark.parametrize(("when", "expected"), [
    ("{benchmark: {against: median}}",
     "'scope: division': a 'benchmark' condition judges the organisation as a whole"),
    ("{outside_range: {breakdown: band:8a}}",
     "'scope: division': a division-scoped rule reads each division's figures, so its "
     "condition cannot also name a breakdown"),
    ("{any: [{outside_range: {}}, {benchmark: {against: median}}]}",
     "'scope: division': a 'benchmark' condition"),
])
def test_a_condition_that_cannot_judge_a_division_is_refused_where_the_scope_is(
        tmp_path: Path, when: str, expected: str) -> None:
    text = PACK.replace("{outside_range: {significant: true}}", when)
    with pytest.raises(ProblemsError) as exc:
        load_packs([pack(tmp_path, text)])
    where = f"{tmp_path / 'div.yaml'}:7:12: error: "
    assert any(str(p).startswith(where + expected) for p in exc.value.problems), \
        [str(p) for p in exc.value.problems]


def test_an_unknown_scope_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ProblemsError) as exc:
        load_packs([pack(tmp_path, PACK.replace("scope: division", "scope: divison"))])
    assert [str(p) for p in exc.value.problems] == [
        f"{tmp_path / 'div.yaml'}:7:12: error: 'scope': found 'divison' (did you mean "
        "'division'?); expected one of organisation, division"]


# ----------------------------------------------------------------------------- the register

RUNNER = CliRunner()


def cli(config: Path, *args: str) -> tuple[int, str, str]:
    cli_base._state.clear()
    r = RUNNER.invoke(cli_base.app, ["--config", str(config), "divisions", *args])
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def config(tmp_path: Path) -> Path:
    from assurance.db import open_store

    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url)
    register_orgs(engine, tmp_path, "SYT01", "SYT02")
    engine.dispose()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "{url}"\n')
    return cfg


def register_file(tmp_path: Path, rows: list[tuple[str, ...]], name: str = "div.csv") -> Path:
    return write_csv(tmp_path / name, ("org_code", "division", "department", "owner"), rows)


def stored(config: Path) -> list[dict[str, object]]:
    code, stdout, _ = cli(config, "list", "--json")
    assert code == 0
    return list(json.loads(stdout))


def test_importing_the_register_replaces_each_named_organisation_and_is_audited(
        config: Path, tmp_path: Path) -> None:
    first = register_file(tmp_path, [
        ("SYT01", "Surgery", "", "Divisional Director, Surgery"),
        ("SYT01", "Surgery", "Theatres", "General Manager, Theatres"),
        ("SYT01", "Medicine", "", ""),
        ("SYT02", "Community", "", "Director of Community Services")])
    code, stdout, stderr = cli(config, "import", str(first))
    assert code == 0, stderr
    assert stdout.strip() == ("imported 4 rows: SYT01 3, SYT02 1; 1 divisions have no "
                              "accountable owner yet")
    assert [(d["org"], d["code"], d["level"], d["division"], d["owner"])
            for d in stored(config)] == [
        ("SYT01", "medicine", "division", None, None),
        ("SYT01", "surgery", "division", None, "Divisional Director, Surgery"),
        ("SYT01", "theatres", "department", "surgery", "General Manager, Theatres"),
        ("SYT02", "community", "division", None, "Director of Community Services")]
    again = register_file(tmp_path, [("SYT01", "Medicine", "", "Divisional Director, Medicine")],
                          "again.csv")
    assert cli(config, "import", str(again))[0] == 0
    assert [(d["org"], d["code"]) for d in stored(config)] == [("SYT01", "medicine"),
                                                               ("SYT02", "community")]
    from assurance.db import open_existing_store

    url = config.read_text().split('"')[1]
    with Session(open_existing_store(url)) as s:
        assert audit.verify(s).ok
        events = list(s.exec(select(AuditEvent).where(AuditEvent.action == "divisions.import")
                             .order_by(col(AuditEvent.seq))).all())
    assert len(events) == 2 and json.loads(events[1].details)["organisations"] == {"SYT01": 1}


@pytest.mark.parametrize(("row", "column", "expected"), [
    (("SYT09", "Surgery", "", ""), "org_code", "unknown organisation code 'SYT09'"),
    (("SYT01", "", "", ""), "division", "empty; expected the division's name"),
    (("SYT01", "=HYPERLINK(1)", "", ""), "division", "looks like a spreadsheet formula"),
    (("SYT01", "Surgery", "Theatres\x07", ""), "department", "control character"),
    (("SYT01", "S" * 60, "", ""), "division", "60 characters once keyed; expected at most 55"),
    (("SYT01", "Orphans", "Ward 1", ""), "division", "department 'Ward 1' names division "
     "'orphans', which has no row of its own in this file"),
    (("SYT01", "&&&", "", ""), "division", "'&&&' has no letters or digits"),
    (("SYT01", "Surgery", "", "x" * 121), "owner", "expected a role on one line"),
])
def test_a_bad_register_row_is_refused_located_and_nothing_changes(
        config: Path, tmp_path: Path, row: tuple[str, ...], column: str, expected: str) -> None:
    good = register_file(tmp_path, [("SYT01", "Medicine", "", "Divisional Director")], "ok.csv")
    assert cli(config, "import", str(good))[0] == 0
    before = stored(config)
    code, _, stderr = cli(config, "import", str(register_file(tmp_path, [row])))
    assert code == 2
    text = " ".join(stderr.split())
    assert f"{tmp_path / 'div.csv'}:2:{column}: error: " in text, text
    assert expected in text, text
    assert stored(config) == before


def test_a_division_listed_twice_under_two_spellings_is_refused(config: Path,
                                                                tmp_path: Path) -> None:
    path = register_file(tmp_path, [("SYT01", "Surgery", "", ""), ("SYT01", "SURGERY", "", "")])
    code, _, stderr = cli(config, "import", str(path))
    assert code == 2
    assert "'SURGERY' is listed twice for SYT01 (first on row 2)" in " ".join(stderr.split())
