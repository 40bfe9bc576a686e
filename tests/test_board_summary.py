"""The board report's front pages: the executive summary and the Making Data Count page.

A small real store (one synthetic trust, the shipped rule packs): two WRES breaches opened
at 1 June 2025, one left without an owner and one with an owner whose action is overdue, and
a monthly series with a shift at the end. The summary is checked as data
(:mod:`assurance.report_context.summary`) and in the Word document.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from assurance import api, findings
from assurance.config import Settings, load_settings
from assurance.models import Finding
from assurance.report_context import BoardContext, OutcomeView, board_context
from assurance.report_context.model import MovementView, distinct_names
from assurance.report_context.summary import (
    MAX_ALERTS,
    MAX_DECISIONS,
    executive_summary,
    mdc_summary,
)
from conftest import AT
from helpers import METRIC_HEADER, import_metrics, register_orgs, write_csv
from reports.board import write_board_docx

AS_OF = date(2025, 6, 1)
ORG = "SYT01"
SPC_METRIC = "recruit.bme_appointed_share"


def _rl(metric: str, year: int, first: tuple[str, int], second: tuple[str, int]
        ) -> list[tuple[object, ...]]:
    return [(ORG, f"wres:{year}", metric, g, "", n, 1000, "", "") for g, n in (first, second)]


def _months() -> list[tuple[object, ...]]:
    # 24 steady months, then 8 well above the mean: a shift the SPC rules must flag.
    shares = [20, 22, 19, 21, 20, 23, 18, 21, 20, 22, 19, 21] * 2 + [34] * 8
    rows: list[tuple[object, ...]] = []
    for i, bme in enumerate(shares):
        year, month = 2022 + (9 + i) // 12, (9 + i) % 12 + 1
        rows.append((ORG, f"month:{year}-{month:02d}", SPC_METRIC, "bme", "", bme, 80, "", ""))
    return rows


@pytest.fixture
def store(sqlite_engine: Engine, tmp_path: Path) -> tuple[Engine, Settings]:
    engine = sqlite_engine
    register_orgs(engine, tmp_path, ORG)
    rows = (_rl("wres.2", 2024, ("white", 300), ("bme", 150))
            + _rl("wres.2", 2025, ("white", 310), ("bme", 150))
            + _rl("wres.3", 2024, ("bme", 40), ("white", 30))
            + _rl("wres.3", 2025, ("bme", 120), ("white", 30)) + _months())
    import_metrics(engine, write_csv(tmp_path / "m.csv", METRIC_HEADER, rows))
    settings = load_settings(None)
    api.evaluate_and_record(engine, settings, as_of=AS_OF, at=AT, actor="test")
    with Session(engine) as s, s.begin():
        wres3 = s.exec(select(Finding).where(Finding.rule_id == "wres.3.adverse")).one()
        # Assigned in April with a May date, so it is overdue at the report's 1 June
        # (a due date already past when it is set is refused).
        findings.assign(s, str(wres3.id), owner="Chief People Officer", due=date(2025, 5, 1),
                        note="Review of disciplinary referrals", actor="chair", at=AT,
                        as_of=date(2025, 4, 1))
    return engine, settings


@pytest.fixture
def ctx(store: tuple[Engine, Settings]) -> BoardContext:
    engine, settings = store
    return board_context(engine, settings, org_code=ORG, as_of=AS_OF)


def _outcome(ctx: BoardContext, rule_id: str) -> OutcomeView:
    return next(o for o in ctx.outcomes if o.rule_id == rule_id)


def test_an_unowned_alert_says_no_owner_and_asks_the_committee_to_assign_one(
        ctx: BoardContext) -> None:
    wres2 = _outcome(ctx, "wres.2.adverse")
    assert wres2.status == "breach" and wres2.classification == "alert"
    es = executive_summary(ctx)
    line = next(a for a in es.alerts if a.rule_id == "wres.2.adverse")
    assert line.owner == "no owner" and not line.has_owner
    assert line.promise == "no action recorded" and line.due == "not set"
    assert "in breach since 2025" in line.since and "finding opened 1 June 2025" in line.since
    asks = [d.text for d in es.decisions if d.rule_id == "wres.2.adverse"]
    assert asks == ["Assign an owner for WRES 2: White applicants more likely to be appointed "
                    "from shortlisting."]


def test_an_owned_overdue_alert_shows_the_promise_and_asks_for_a_new_date(
        ctx: BoardContext) -> None:
    es = executive_summary(ctx)
    line = next(a for a in es.alerts if a.rule_id == "wres.3.adverse")
    assert line.owner == "Chief People Officer" and line.has_owner
    assert line.promise == "Review of disciplinary referrals"
    assert line.overdue and line.due == "1 May 2025 (overdue)"
    kinds = [d.kind for d in es.decisions if d.rule_id == "wres.3.adverse"]
    assert kinds == ["new_date"]
    assert es.dates_text.startswith("Position at 1 June 2025 (figures imported ")


def _moved(o: OutcomeView, direction: str, p: float | None, text: str) -> OutcomeView:
    return dataclasses.replace(o, movement=MovementView(
        direction, "significance test" if p is not None else "", p, "2024", "a", "b", text))  # type: ignore[arg-type]


def test_a_significant_change_ranks_above_a_non_significant_one_whatever_its_size(
        ctx: BoardContext) -> None:
    quiet = "No significant change: 1.00 (2024) to 1.90 (2025), p = 0.20"
    loud = "Worsening: 1.33 (2024) to 1.38 (2025), p = 0.01"
    outcomes = tuple(
        _moved(o, "no_significant_change", 0.20, quiet) if o.rule_id == "wres.2.adverse" else
        _moved(o, "worsening", 0.01, loud) if o.rule_id == "wres.3.adverse" else
        dataclasses.replace(o, movement=None) for o in ctx.outcomes)
    es = executive_summary(dataclasses.replace(ctx, outcomes=outcomes))
    assert [m.text for m in es.moved] == [loud, quiet]
    assert es.moved[0].significant and not es.moved[1].significant
    assert es.moved_note == ""
    none = executive_summary(dataclasses.replace(
        ctx, outcomes=tuple(dataclasses.replace(o, movement=None) for o in ctx.outcomes)))
    assert none.moved == () and "no movement can be judged" in none.moved_note


def test_the_mdc_page_lists_the_monthly_metric_with_its_variation_in_the_matrix(
        ctx: BoardContext) -> None:
    mdc = mdc_summary(ctx)
    (row,) = mdc.rows
    assert row.metric == SPC_METRIC and row.variation.startswith("special_cause")
    assert row.variation_word.startswith("Special cause") and row.high_low in ("H", "L")
    cells = [c for cells in mdc.matrix for c in cells if c.titles]
    assert len(cells) == 1 and cells[0].titles == (row.title,)
    assert (cells[0].variation, cells[0].assurance) == (row.variation_kind, row.assurance_kind)
    empty = mdc_summary(dataclasses.replace(ctx, spc=()))
    assert empty.rows == () and empty.note.startswith("There are no monthly series")


def test_the_word_report_carries_the_front_pages_and_icons_with_alt_text(
        store: tuple[Engine, Settings], ctx: BoardContext, tmp_path: Path) -> None:
    _, settings = store
    path = write_board_docx(ctx, settings, tmp_path / "board.docx")
    d = docx.Document(str(path))
    heads = [p.text for p in d.paragraphs if p.style is not None
             and p.style.name.startswith("Heading")]
    assert heads.index("Executive summary") < heads.index("Making Data Count summary") \
        < heads.index("Introduction")
    cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
    assert any(c.startswith("no owner") for c in cells)
    text = "\n".join(p.text for p in d.paragraphs)
    assert "Assign an owner for WRES 2: White applicants" in text
    assert "Agree a new date or escalate (the action was due 1 May 2025)" in text
    row = mdc_summary(ctx).rows[0]
    mdc = next(t for t in d.tables if t.rows[0].cells[0].text == "Monthly metric")
    assert row.title in mdc.rows[1].cells[0].text
    assert row.variation_word in mdc.rows[1].cells[1].text
    matrix = next(t for t in d.tables if t.rows[0].cells[0].text == "Variation")
    assert any(row.title in c.text for r in matrix.rows for c in r.cells[1:])
    icons = [pr for t in (mdc,) for pr in t._tbl.iter(qn("wp:docPr"))]
    assert len(icons) == 2
    for pr in icons:
        assert row.title in pr.get("descr", "") and len(pr.get("descr", "")) > 40
    assert "Variation icon" in icons[0].get("descr") and "Assurance icon" in icons[1].get("descr")


def _every_breach_on_alert(demo_store: tuple[Engine, Settings]) -> BoardContext:
    """The demo trust's board context with every breach classified Alert (its summary, made
    before, as the classification rules left it)."""
    engine, settings = demo_store
    real = board_context(engine, settings, org_code="SYN01", as_of=AS_OF)
    return dataclasses.replace(real, outcomes=tuple(
        dataclasses.replace(o, classification="alert") if o.status == "breach" else o
        for o in real.outcomes))


def test_an_attestation_on_alert_is_named_by_its_title_not_by_the_metric_it_is_anchored_to(
        demo_store: tuple[Engine, Settings]) -> None:
    # An attestation judges no figure: its metric only anchors the rule, so "WRES 1: HIA 3:
    # pay gap improvement plans not attested" (or "WRES 1" in a list) would read as the WRES 1
    # figure in breach, and several attestations on one metric would be listed as one.
    ctx = _every_breach_on_alert(demo_store)
    attested = [o for o in ctx.outcomes if o.assured and o.classification == "alert"]
    assert len({o.metric for o in attested}) < len(attested)  # some share an anchor metric
    es = executive_summary(ctx)
    named = [a.what for a in es.alerts] + [i for g in es.more_alerts for i in g.items] + [
        d.text for d in es.decisions] + [i for _, items in es.more_decisions for i in items]
    for o in attested:
        assert o.indicator == o.heading == o.title
        assert o.rule_text.startswith("Breach when there is no current attestation of ")
        assert any(o.title in n for n in named), o.rule_id
        assert not any(f"{o.metric_label}: {o.title}" in n for n in named), o.rule_id
    summary = [i.heading for i in ctx.summary.alert]
    assert all(o.title in summary for o in attested if o.rule_id in
               {r for i in ctx.summary.alert for r in i.rule_ids})


def test_many_alerts_stay_within_the_front_pages_and_the_rest_are_named(
        demo_store: tuple[Engine, Settings]) -> None:
    # Every breach on Alert (the demo trust has 17, all without an owner), whatever the
    # classification rules decide, so the limits are what is tested.
    ctx = _every_breach_on_alert(demo_store)
    alerts = [o for o in ctx.outcomes if o.classification == "alert"]
    assert len(alerts) > MAX_ALERTS
    es = executive_summary(ctx)
    assert len(es.alerts) == MAX_ALERTS and len(es.decisions) <= MAX_DECISIONS
    shown = {a.rule_id for a in es.alerts}
    # Each item left off is named once, distinctly (a division's outcome and the trust's on
    # the same indicator are told apart), under its own pack's title, each pack once.
    name_of = dict(zip(map(id, alerts), distinct_names(alerts), strict=True))
    assert len(set(name_of.values())) == len(alerts)
    named = [i for g in es.more_alerts for i in g.items]
    assert len(named) == len(set(named))
    assert len({g.lead for g in es.more_alerts}) == len(es.more_alerts)
    lead_of = {i: g.lead for g in es.more_alerts for i in g.items}
    for o in alerts:
        if o.rule_id not in shown:
            assert lead_of[name_of[id(o)]] == o.pack_title, o.rule_id
    asked = {d.rule_id for d in es.decisions}
    rest = {item for _, items in es.more_decisions for item in items}
    for o in alerts:
        if o.finding is not None and not o.finding.owner and o.rule_id not in asked:
            assert name_of[id(o)] in rest, o.rule_id
    kinds = [d.kind for d in es.decisions]
    assert kinds == sorted(kinds, key=["note_escalation", "new_date", "assign_owner"].index)
    # Each line of the decisions left off names one pack's items side by side.
    pack_of = {name_of[id(o)]: o.pack_title for o in alerts}
    for _, items in es.more_decisions:
        packs = [pack_of[i] for i in items]
        assert packs == sorted(packs, key=list(dict.fromkeys(packs)).index)


def test_a_division_alert_is_named_for_its_division_beside_the_trusts_own(
        demo_store: tuple[Engine, Settings]) -> None:
    # The demo's Surgery division breaches the shipped division rules, whose titles end "in
    # this division": each outcome names its division there, and is told apart from the
    # trust's outcome on the same indicator wherever the front pages list them.
    ctx = _every_breach_on_alert(demo_store)
    division = [o for o in ctx.outcomes if o.division == "Surgery" and o.status == "breach"]
    assert division
    for o in division:
        assert o.title.endswith(" in the Surgery division") and "this division" not in o.title
    alerts = [o for o in ctx.outcomes if o.classification == "alert"]
    names = distinct_names(alerts)
    for o in division:
        same = [o2 for o2 in alerts if o2.indicator == o.indicator and o2 is not o]
        assert same, o.rule_id  # the trust's own outcome on the indicator is on Alert too
        assert f"{o.indicator} ({o.title})" in names


def test_outcomes_are_named_by_a_standards_number_or_by_their_metrics_few_words(
        demo_store: tuple[Engine, Settings]) -> None:
    ctx = _every_breach_on_alert(demo_store)
    by_metric = {o.metric: o for o in ctx.outcomes if not o.assured and not o.breakdown}
    assert by_metric["wres.2"].indicator == "WRES 2"
    shortlisting = by_metric["career.shortlisting.race"]
    assert shortlisting.indicator == "Shortlisted (ethnicity)"
    assert shortlisting.heading.startswith("Shortlisted (ethnicity): ")
    assert shortlisting.metric_label.startswith("Relative likelihood of White applicants")


def test_a_finding_met_again_but_not_yet_resolved_is_advised_as_recovering(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    engine = sqlite_engine
    register_orgs(engine, tmp_path, ORG)
    rows = (_rl("wres.2", 2024, ("white", 300), ("bme", 150))  # 2.00: a breach
            + _rl("wres.2", 2025, ("white", 300), ("bme", 290)))  # 1.03: met
    import_metrics(engine, write_csv(tmp_path / "m.csv", METRIC_HEADER, rows))
    cfg = tmp_path / "config.toml"
    cfg.write_text("[findings]\nresolve_after_annual = 2\n")
    settings = load_settings(cfg)
    api.evaluate_and_record(engine, settings, as_of=date(2024, 6, 1), at=AT, actor="t")
    with Session(engine) as s, s.begin():  # owned, not overdue: not an Alert on those counts
        f = s.exec(select(Finding).where(Finding.rule_id == "wres.2.adverse")).one()
        findings.assign(s, str(f.id), owner="Chief People Officer", due=date(2026, 3, 31),
                        note="Panel training", actor="chair", at=AT, as_of=date(2024, 6, 2))
    api.evaluate_and_record(engine, settings, as_of=AS_OF, at=AT, actor="t")
    ctx = board_context(engine, settings, org_code=ORG, as_of=AS_OF)
    o = next(o for o in ctx.outcomes if o.rule_id == "wres.2.adverse")
    assert o.status == "ok" and o.finding is not None and o.finding.open
    assert o.classification == "advise" and "recovering" in o.finding.status_label
    item = next(i for i in ctx.summary.advise if i.rule_ids == ("wres.2.adverse",))
    assert "stays open until the rule has been met for long enough" in item.text
