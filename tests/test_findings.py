"""The finding lifecycle: opened, continuing, escalated, resolved, idempotent re-runs,
acknowledgement, actions and silences — all written to the audit log."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from assurance import api, findings
from assurance.config import load_settings
from assurance.engine.rules import load_packs
from assurance.models import Finding, FindingEvent
from assurance.problems import ProblemsError
from conftest import AT
from helpers import METRIC_HEADER, import_metrics, register_orgs, write_csv

PACK = """
version: 1
pack: t
rules:
  - id: t.wres2
    title: White applicants more likely to be appointed
    metric: wres.2
    when: {outside_range: {}}
    escalate: {start: edi_lead, after_periods: 2, max: board_committee}
"""


def rl_rows(year: int, white: int, bme: int) -> list[tuple[object, ...]]:
    return [("SYT01", f"wres:{year}", "wres.2", "white", "", white, 1000, "", ""),
            ("SYT01", f"wres:{year}", "wres.2", "bme", "", bme, 1000, "", "")]


@pytest.fixture
def store(engine: Engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    register_orgs(engine, tmp_path, "SYT01")
    rows = rl_rows(2021, 300, 150) + rl_rows(2022, 310, 150) + rl_rows(2023, 320, 150) + \
        rl_rows(2024, 200, 190)
    import_metrics(engine, write_csv(tmp_path / "m.csv", METRIC_HEADER, rows))
    (tmp_path / "t.yaml").write_text(PACK)
    packs = load_packs([tmp_path / "t.yaml"])
    return engine, packs


def run(engine: Engine, packs, year: int):  # type: ignore[no-untyped-def]
    return api.evaluate_and_record(engine, load_settings(None), as_of=date(year, 6, 1), at=AT,
                                   actor="test", packs=packs)


def test_breach_opens_continues_escalates_and_resolves_with_duration(store) -> None:  # type: ignore[no-untyped-def]
    engine, packs = store
    kinds = []
    for year in (2021, 2022, 2023, 2024):
        kinds.append([t.event.kind for t in run(engine, packs, year).transitions])
    assert kinds == [["opened"], ["continuing"], ["escalated"], ["resolved"]]
    with Session(engine) as s:
        f = s.exec(select(Finding)).one()
        events = s.exec(select(FindingEvent).order_by(FindingEvent.id)).all()  # type: ignore[arg-type]
    assert not f.open and f.resolved_on == date(2024, 6, 1)
    assert [e.level for e in events] == ["edi_lead", "edi_lead", "executive_lead",
                                         "executive_lead"]
    assert "Resolved after 3 periods in breach (1,096 days)" in events[-1].summary
    assert api.verify_audit(engine).ok


def test_re_evaluating_the_same_period_changes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    engine, packs = store
    run(engine, packs, 2021)
    again = run(engine, packs, 2021)
    assert again.transitions == []
    with Session(engine) as s:
        assert len(s.exec(select(FindingEvent)).all()) == 1


def test_acknowledge_assign_and_silence_are_recorded_and_silence_expiry_reopens(store) -> None:  # type: ignore[no-untyped-def]
    engine, packs = store
    run(engine, packs, 2021)
    with Session(engine) as s, s.begin():
        fid = str(s.exec(select(Finding)).one().id)
        findings.acknowledge(s, fid, who="EDI lead", note="Reviewing", at=AT, as_of=date(2021, 6, 2))
        findings.assign(s, fid, owner="Chief People Officer", due=date(2021, 9, 30),
                        note="Recruitment review", actor="chair", at=AT, as_of=date(2021, 6, 2))
        findings.silence(s, fid, reason="Known cause: one campaign", approver="Chair",
                         until=date(2022, 3, 31), actor="chair", at=AT, as_of=date(2021, 6, 2))
    kinds = [t.event.kind for t in run(engine, packs, 2022).transitions]
    assert kinds == ["silence_expired", "continuing"]
    with Session(engine) as s:
        f = s.exec(select(Finding)).one()
    assert f.ack_by == "EDI lead" and f.action_owner == "Chief People Officer"
    assert f.silenced_until is None


def test_a_silence_needs_a_future_expiry(store) -> None:  # type: ignore[no-untyped-def]
    engine, packs = store
    run(engine, packs, 2021)
    with Session(engine) as s, pytest.raises(ProblemsError, match="must be after"):
        fid = str(s.exec(select(Finding)).one().id)
        findings.silence(s, fid, reason="x", approver="y", until=date(2021, 1, 1), actor="z",
                         at=AT, as_of=date(2021, 6, 2))


def test_level_for_climbs_one_step_per_after_periods_and_stops_at_max() -> None:
    from assurance.engine.rules import Escalation

    class R:
        escalate = Escalation(start="edi_lead", after_periods=2, max="board_committee")

    levels = ("edi_lead", "executive_lead", "board_committee", "regulator")
    got = [findings.level_for(R(), n, levels) for n in range(1, 8)]  # type: ignore[arg-type]
    assert got == ["edi_lead", "edi_lead", "executive_lead", "executive_lead",
                   "board_committee", "board_committee", "board_committee"]


def test_backtest_replays_history_without_touching_the_store(store) -> None:  # type: ignore[no-untyped-def]
    engine, packs = store
    settings = load_settings(None)
    from assurance.ingest import store_counts

    before = store_counts(engine)
    events = api.backtest(engine, settings, start=date(2021, 6, 1), end=date(2024, 6, 1),
                          packs=packs)
    assert [(e.as_of.year, e.kind) for e in events] == [(2021, "opened"), (2023, "escalated"),
                                                        (2024, "resolved")]
    assert store_counts(engine) == before
    with Session(engine) as s:
        assert s.exec(select(Finding)).all() == []


@pytest.mark.parametrize("start,end,step,where", [
    (date(2024, 1, 1), date(2025, 1, 1), 0, "--step"),  # looped for ever at one date
    (date(2024, 1, 1), date(2025, 1, 1), -3, "--step"),
    (date(2025, 1, 1), date(2020, 1, 1), 12, "--to"),  # an empty table, exit 0
])
def test_a_backtest_that_could_never_end_or_never_start_is_refused(
        store, start: date, end: date, step: int, where: str) -> None:  # type: ignore[no-untyped-def]
    engine, packs = store
    with pytest.raises(ProblemsError) as exc:
        api.backtest(engine, load_settings(None), start=start, end=end, step_months=step,
                     packs=packs)
    (problem,) = exc.value.problems
    assert problem.where == where and "expected" in problem.message


def test_evaluating_an_earlier_date_again_does_not_rewrite_history(store) -> None:  # type: ignore[no-untyped-def]
    engine, packs = store
    for year in (2021, 2022, 2023):
        run(engine, packs, year)
    assert run(engine, packs, 2021).transitions == []
    assert run(engine, packs, 2023).transitions == []
    with Session(engine) as s:
        f = s.exec(select(Finding)).one()
    assert f.consecutive_periods == 3 and f.last_period == "wres:2023"


SIGNIFICANT_PACK = PACK.replace("{outside_range: {}}", "{outside_range: {significant: true}}")


def test_outside_the_range_but_not_significant_keeps_an_open_finding_open_and_opens_none(
        engine: Engine, tmp_path: Path) -> None:
    # 2021: 300/1000 vs 150/1000 = 2.00, interval wholly above 1.25: a significant breach.
    # 2022: 12/40 vs 8/40 = 1.50, interval 0.70 to 3.2: outside the range, not significant.
    # 2023: 200/1000 vs 190/1000 = 1.05: within the range. 2024 again not significant.
    register_orgs(engine, tmp_path, "SYT01")
    small = [("SYT01", f"wres:{y}", "wres.2", g, "", n, 40, "", "")
             for y in (2022, 2024) for g, n in (("white", 12), ("bme", 8))]
    rows = rl_rows(2021, 300, 150) + rl_rows(2023, 200, 190) + small
    import_metrics(engine, write_csv(tmp_path / "m.csv", METRIC_HEADER, rows))
    (tmp_path / "t.yaml").write_text(SIGNIFICANT_PACK)
    packs = load_packs([tmp_path / "t.yaml"])
    statuses, kinds = [], []
    for year in (2021, 2022, 2023, 2024):
        result = run(engine, packs, year)
        statuses.append([o.status for o in result.outcomes])
        kinds.append([t.event.kind for t in result.transitions])
    assert statuses == [["breach"], ["outside"], ["ok"], ["outside"]]
    assert kinds == [["opened"], ["outside"], ["resolved"], []]
    with Session(engine) as s:
        f = s.exec(select(Finding)).one()
        events = s.exec(select(FindingEvent).order_by(FindingEvent.id)).all()  # type: ignore[arg-type]
    assert not f.open and f.status == "outside" and f.times_opened == 1
    assert events[1].level == events[0].level == "edi_lead"  # not escalated while not significant
    assert "not statistically significant" in events[1].summary


def test_findings_list_shows_the_accountable_organisations_unless_asked_for_all(
        engine: Engine, tmp_path: Path) -> None:
    from assurance.config import parse_settings

    register_orgs(engine, tmp_path, "SYT01", "PEER1")
    rows = rl_rows(2021, 300, 150) + [("PEER1", *r[1:]) for r in rl_rows(2021, 300, 150)]
    import_metrics(engine, write_csv(tmp_path / "m.csv", METRIC_HEADER, rows))
    (tmp_path / "t.yaml").write_text(PACK)
    run(engine, load_packs([tmp_path / "t.yaml"]), 2021)
    scoped = parse_settings({"organisations": {"accountable": ["SYT01"]}}, base_dir=tmp_path,
                            where="<test>", env={})
    got = findings.list_findings(engine, scoped)
    assert [f.org_code for f in got.findings] == ["SYT01"]
    assert got.scope == ("SYT01",) and got.others == 1
    every = findings.list_findings(engine, scoped, every_organisation=True)
    assert [f.org_code for f in every.findings] == ["PEER1", "SYT01"] and every.others == 0
    assert [f.org_code for f in findings.list_findings(engine, scoped, org="peer1").findings] \
        == ["PEER1"]
    unscoped = findings.list_findings(engine, load_settings(None))
    assert len(unscoped.findings) == 2 and unscoped.scope == ()


def test_a_due_date_today_is_accepted_and_an_empty_owner_is_refused(store) -> None:  # type: ignore[no-untyped-def]
    engine, packs = store
    run(engine, packs, 2021)
    with Session(engine) as s:
        fid = str(s.exec(select(Finding)).one().id)
        t = findings.assign(s, fid, owner="CPO", due=date(2021, 6, 2), note=None, actor="x",
                            at=AT, as_of=date(2021, 6, 2))
        assert t.event.kind == "assigned" and t.finding.action_due == date(2021, 6, 2)
        with pytest.raises(ProblemsError) as err:
            findings.assign(s, fid, owner=" ", due=date(2021, 6, 1), note=None, actor="x",
                            at=AT, as_of=date(2021, 6, 2))
    assert [p.where for p in err.value.problems] == ["--owner", "--due"]
