"""Divisions: the register (organisation → division → department, each with an accountable
owner), rules with ``scope: division`` judging each division's own figures, and what a
division's finding carries (its own identity, title, summary and owner)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import api, audit
from assurance.config import AudienceSettings, Settings, StatisticsSettings, parse_settings
from assurance.divisions import division_code
from assurance.engine.evaluate import evaluate
from assurance.engine.rules import Rule, load_packs
from assurance.findings import apply_outcomes, fingerprint
from assurance.models import AuditEvent, Division, Finding
from assurance.problems import ProblemsError
from assurance.report_context import board_context
from conftest import AT
from helpers import METRIC_HEADER, import_metrics, register_orgs, run_cli, sqlite_config, write_csv

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

def cli(config: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(config, "divisions", *args)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return sqlite_config(tmp_path, "SYT01", "SYT02")


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


# ----------------------------------------------------------------------------- the board report

def report_settings(store: Engine, tmp_path: Path, *, exact: bool) -> Settings:
    import dataclasses

    s = parse_settings({"database": {"url": str(store.url)},
                        "organisations": {"accountable": ["SYT01"]},
                        "rules": {"paths": [str(pack(tmp_path))]}},
                       base_dir=tmp_path, where="<test>", env={})
    audiences = dict(s.audiences)
    audiences["board"] = AudienceSettings("board", exact_counts=exact)
    return dataclasses.replace(s, audiences=audiences)


def test_the_board_report_tables_each_division_with_its_owner_and_verdict(
        store: Engine, tmp_path: Path) -> None:
    with Session(store) as s, s.begin():
        s.add(Division(org_code="SYT01", code="surgery", name="Surgery",
                       owner="Divisional Director, Surgery"))
    cfg = report_settings(store, tmp_path, exact=True)
    api.evaluate_and_record(store, cfg, as_of=AS_OF, at=AT, actor="test")
    ctx = board_context(store, cfg, org_code="SYT01", as_of=AS_OF)
    [table] = ctx.divisions
    assert table.metric == "wres.2" and table.rule_title.startswith("White applicants")
    rows = {r.name: r for r in table.rows}
    assert list(rows) == ["Medicine", "Surgery"] and table.note == ""
    assert rows["Surgery"].status_label == "Breach" and rows["Medicine"].status_label == "Met"
    assert rows["Surgery"].owner == "Divisional Director, Surgery"
    assert rows["Medicine"].owner == "none assigned"
    assert rows["Surgery"].figure is not None and rows["Surgery"].figure.value_text == "4.00"
    assert rows["Surgery"].people_text == "600"
    alert = [o for o in ctx.outcomes if o.division == "Surgery"]
    assert alert and alert[0].classification == "alert"
    assert alert[0].title.endswith("(Surgery division)")
    assert alert[0].finding is not None
    assert alert[0].finding.owner == "Divisional Director, Surgery"
    doc = docx.Document(io.BytesIO(render_bytes(store, cfg)))
    text = "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])
    assert "Divisions" in [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert "Divisional Director, Surgery" in text


def render_bytes(store: Engine, cfg: Settings) -> bytes:
    from reports.board import build_document

    ctx = board_context(store, cfg, org_code="SYT01", as_of=AS_OF)
    buf = io.BytesIO()
    build_document(ctx, cfg).save(buf)
    return buf.getvalue()


def test_a_small_division_is_shown_combined_for_a_suppressed_audience(
        engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "SYT01")
    rows = [*wres2_rows("SYT01", "", (300, 1000), (200, 1000)),
            *wres2_rows("SYT01", "division:surgery", (120, 300), (30, 300)),
            *wres2_rows("SYT01", "division:medicine", (100, 400), (96, 400)),
            *wres2_rows("SYT01", "division:estates", (20, 60), (3, 5))]  # 3 of 5: small
    import_metrics(engine, write_csv(tmp_path / "wres2.csv", METRIC_HEADER, rows))
    cfg = report_settings(engine, tmp_path, exact=False)
    api.evaluate_and_record(engine, cfg, as_of=AS_OF, at=AT, actor="test")
    net = board_context(engine, cfg, org_code="SYT01", as_of=AS_OF, audience="network")
    [table] = net.divisions
    names = [r.name for r in table.rows]
    # Estates alone is small; Surgery (the fewest people of the rest) is combined with it so
    # that the trust's total cannot give Estates back.
    assert names == ["Medicine", "Other divisions combined"]
    combined = table.rows[-1]
    assert combined.members == ("Estates", "Surgery") and combined.combined
    assert "2 divisions (Estates, Surgery) are shown combined" in table.note
    exact = board_context(engine, report_settings(engine, tmp_path, exact=True),
                          org_code="SYT01", as_of=AS_OF)
    assert [r.name for r in exact.divisions[0].rows] == ["Estates", "Medicine", "Surgery"]


division_counts = st.lists(
    st.tuples(st.integers(0, 40) | st.integers(0, 8), st.integers(1, 60) | st.integers(1, 9),
              st.integers(0, 40) | st.integers(0, 8), st.integers(1, 60) | st.integers(1, 9)),
    min_size=1, max_size=6)


@pytest.fixture(scope="module")
def division_rule(tmp_path_factory: pytest.TempPathFactory) -> Rule:
    [rule] = load_packs([pack(tmp_path_factory.mktemp("pack"))])[0].rules
    return rule


@given(divisions=division_counts)
@hyp_settings(max_examples=60, deadline=None)
def test_no_division_row_shows_a_suppressed_audience_a_small_count_or_a_lone_small_division(
        division_rule: Rule, divisions: list[tuple[int, int, int, int]]) -> None:
    from assurance.catalogue import load_catalogue
    from assurance.disclosure import SUPPRESSED
    from assurance.engine.data import DataView, MetricData, OrgInfo
    from assurance.engine.figures import Obs
    from assurance.report_context.divisions import division_table

    cat = load_catalogue()
    obs = []
    for i, (wn, wd, bn, bd) in enumerate(divisions):
        wn, bn = min(wn, wd), min(bn, bd)
        for grp, n, d in (("white", wn, wd), ("bme", bn, bd)):
            obs.append(Obs(grp, f"division:d{i}", None, n, d, False, None, "wres.2"))
    view = DataView(cat, {"wres.2": MetricData(cat["wres.2"], {"SYT01": {"wres:2025": obs}})},
                    {}, AS_OF)
    org = OrgInfo("SYT01", "Trust", None, True)
    table = division_table(view, cat["wres.2"], org, SUPPRESSED, 0.95, {}, division_rule)
    assert table is not None
    for r in table.rows:
        assert not (r.people_text.isdigit() and SUPPRESSED.suppresses(int(r.people_text)))
        if r.figure is not None:
            for g in r.figure.groups:
                for text in (g.numerator_text, g.denominator_text):
                    assert not (text.replace(",", "").isdigit()
                                and SUPPRESSED.suppresses(int(text.replace(",", ""))))
        if r.combined:
            assert len(r.members) >= 2 or r.figure is None
        else:  # a division on its own row has no small count behind its figure
            i = int(next(c for c in view.divisions("wres.2", "SYT01")
                         if org.division(c).name == r.name)[1:])
            wn, wd, bn, bd = divisions[i]
            assert not any(SUPPRESSED.suppresses(c) for c in (min(wn, wd), wd, min(bn, bd), bd))
