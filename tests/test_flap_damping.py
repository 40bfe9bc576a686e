"""Flap damping: a finding resolves only after its rule has been met for enough periods in a
row (1 annual period, 2 months by default), and a breach soon after a resolution reopens the
same finding in the same thread rather than announcing a new one."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import outbox
from assurance.config import load_settings
from assurance.db import session
from assurance.engine.evaluate import evaluate
from assurance.engine.rules import load_packs
from assurance.findings import Damping, Transition, apply_outcomes, periods_between
from assurance.models import Finding, FindingEvent
from assurance.outbox.models import Notification, NotificationThread
from assurance.problems import ProblemsError
from conftest import AT
from helpers import METRIC_HEADER, import_metrics, register_orgs, write_csv
from outbox_support import (
    FakeClock,
    World,
    build_channels,
    make_settings,
    make_world,
    slack_table,
)
from servers import FakeSlackServer

pytest_plugins = ["conftest_servers"]

NETWORK = [{"name": "race", "channel": "net", "audience": "network",
            "match": {"characteristic": ["race"]}}]

MONTHLY_PACK = """
version: 1
pack: t
rules:
  - id: t.share
    title: Few BME appointments
    metric: recruit.bme_appointed_share
    when: {threshold: {below: 20}}
    labels: {standard: WRES, characteristic: race}
"""


def kinds(ts: list[Transition]) -> list[str]:
    return [t.event.kind for t in ts]


def events(engine: Engine) -> list[FindingEvent]:
    with Session(engine) as s:
        return list(s.exec(select(FindingEvent).order_by(col(FindingEvent.id))).all())


def notified(engine: Engine) -> list[tuple[str, int]]:
    """(finding event kind, episode) of every notification, in order."""
    with Session(engine) as s:
        rows = s.exec(select(FindingEvent.kind, Notification.episode).join(
            Notification, col(Notification.event_id) == col(FindingEvent.id))
            .order_by(col(Notification.id))).all()
    return [(k, e) for k, e in rows]


def world(engine: Engine, tmp_path: Path, channel: dict[str, Any] | None = None) -> World:
    settings = make_settings(tmp_path, "sqlite://", {"net": channel or {"type": "console"}},
                             NETWORK)
    return make_world(engine, tmp_path, settings)


def test_a_monthly_finding_stays_open_until_met_two_months_in_a_row(
        engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "SYT01")
    months = [(1, 15), (2, 25), (3, 15), (4, 25), (5, 25)]  # 15% breaches, 25% meets
    rows = [("SYT01", f"month:2025-{m:02d}", "recruit.bme_appointed_share", "bme", "", n, 100,
             "", "") for m, n in months]
    import_metrics(engine, write_csv(tmp_path / "m.csv", METRIC_HEADER, rows))
    (tmp_path / "t.yaml").write_text(MONTHLY_PACK)
    packs = load_packs([tmp_path / "t.yaml"])
    settings = make_settings(tmp_path, "sqlite://", {"net": {"type": "console"}}, NETWORK)
    got = []
    for month in range(2, 7):
        with session(engine) as s, s.begin():
            as_of = date(2025, month, 1)
            ts = apply_outcomes(s, evaluate(s, packs, as_of, settings.statistics),
                                settings.escalation_levels, as_of=as_of, at=AT, actor="test")
            outbox.enqueue(s, ts, settings, at=AT)
        got.append(kinds(ts))
    # The March breach is the second period in breach of one open finding: it escalates.
    assert got == [["opened"], ["recovering"], ["escalated"], ["recovering"], ["resolved"]]
    recovering = [e for e in events(engine) if e.kind == "recovering"]
    assert [json.loads(e.details) for e in recovering] == [{"met_periods": 1, "needed": 2}] * 2
    assert recovering[0].summary.startswith("Met for 1 of the 2 periods in a row needed")
    # Nobody hears of a month that may be a blip: recovering does not notify.
    assert [k for k, _ in notified(engine)] == ["opened", "escalated", "resolved"]
    with Session(engine) as s:
        f = s.exec(select(Finding)).one()
    assert not f.open and f.times_opened == 1 and f.resolved_on == date(2025, 6, 1)


def test_an_annual_finding_resolves_after_one_period_met_by_default(
        engine: Engine, tmp_path: Path) -> None:
    w = world(engine, tmp_path)
    assert kinds(w.breach(2021)) == ["opened"]
    assert kinds(w.ok(2022)) == ["resolved"]
    assert Damping().resolve_after("wres:2022") == 1
    assert Damping().resolve_after("month:2022-01") == 2


def test_annual_damping_can_ask_for_two_periods_met(engine: Engine, tmp_path: Path) -> None:
    w = world(engine, tmp_path)
    damping = Damping(resolve_after_annual=2)
    got = []
    for year, breach in ((2021, True), (2022, False), (2023, True), (2024, False),
                         (2025, False)):
        w.counts(year, (300, 1000) if breach else (200, 1000),
                 (150, 1000) if breach else (190, 1000))
        with session(engine) as s, s.begin():
            as_of = date(year, 6, 1)
            ts = apply_outcomes(s, evaluate(s, w.packs, as_of, w.settings.statistics),
                                w.settings.escalation_levels, as_of=as_of, at=AT,
                                actor="test", damping=damping)
        got.append(kinds(ts))
    assert got == [["opened"], ["recovering"], ["escalated"], ["recovering"], ["resolved"]]


def test_a_breach_the_period_after_a_resolution_reopens_the_same_episode(
        engine: Engine, tmp_path: Path) -> None:
    w = world(engine, tmp_path)
    w.breach(2021)
    w.breach(2022)  # escalated to executive_lead (after_periods 1)
    w.ok(2023)
    assert kinds(w.breach(2024)) == ["reopened"]
    with Session(engine) as s:
        f = s.exec(select(Finding)).one()
    assert f.open and f.times_opened == 1 and f.consecutive_periods == 1
    assert f.level == "executive_lead"  # the level the episode had reached is kept
    assert f.first_breach_period == "wres:2021"
    reopened = events(engine)[-1]
    assert json.loads(reopened.details) == {"resolved_in": "wres:2023", "periods_after": 1}
    assert notified(engine) == [("opened", 1), ("escalated", 1), ("resolved", 1),
                                ("reopened", 1)]
    with Session(engine) as s:
        message = json.loads(s.exec(select(Notification.message).order_by(
            col(Notification.id).desc())).first() or "{}")
    assert message["thread_key"] == f.fingerprint
    assert message["headline"].startswith("In breach again 1 period after it was resolved "
                                          "in 2023: ")


def test_a_breach_long_after_a_resolution_opens_a_new_episode(engine: Engine,
                                                              tmp_path: Path) -> None:
    w = world(engine, tmp_path)
    w.breach(2021)
    w.breach(2022)
    w.ok(2023)
    w.ok(2024)
    assert kinds(w.breach(2025)) == ["opened"]
    with Session(engine) as s:
        f = s.exec(select(Finding)).one()
    assert f.times_opened == 2 and f.level == "edi_lead" and f.opened_on == date(2025, 6, 1)
    assert notified(engine)[-1] == ("opened", 2)
    with Session(engine) as s:
        message = json.loads(s.exec(select(Notification.message).order_by(
            col(Notification.id).desc())).first() or "{}")
    assert message["headline"].startswith("In breach again (last resolved in 2023): ")


def test_the_reopen_window_is_configurable(engine: Engine, tmp_path: Path) -> None:
    w = world(engine, tmp_path)
    w.breach(2021)
    w.ok(2022)
    w.counts(2023, (300, 1000), (150, 1000))
    with session(engine) as s, s.begin():
        ts = apply_outcomes(s, evaluate(s, w.packs, date(2023, 6, 1), w.settings.statistics),
                            w.settings.escalation_levels, as_of=date(2023, 6, 1), at=AT,
                            actor="test", damping=Damping(reopen_within_periods=0))
    assert kinds(ts) == ["opened"] and ts[0].finding.times_opened == 2


def test_a_reopened_finding_replies_in_its_old_slack_thread(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer) -> None:
    w = world(engine, tmp_path, slack_table(slack_server))
    w.breach(2021)
    w.ok(2022)
    w.breach(2023)
    clock = FakeClock()
    report = outbox.deliver(engine, w.settings, build_channels(w.settings), now=clock.now,
                            sleep=clock.sleep, per_channel_rate=50.0, wait_for_retries=3600.0)
    assert report.sent == 3
    posts = [c.params() for c in slack_server.calls("chat.postMessage")]
    parent = "1700000000.000001"
    assert "thread_ts" not in posts[0]
    assert [p.get("thread_ts") for p in posts[1:]] == [parent, parent]
    with Session(engine) as s:
        assert len(s.exec(select(NotificationThread)).all()) == 1


def test_periods_between_counts_years_and_months_of_one_kind() -> None:
    assert periods_between("wres:2023", "wres:2024") == 1
    assert periods_between("month:2024-11", "month:2025-02") == 3
    assert periods_between("wres:2023", "survey:2024") is None
    assert periods_between(None, "wres:2024") is None


def test_damping_comes_from_the_findings_section_of_config(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[findings]\nresolve_after_annual = 2\nreopen_within_periods = 3\n")
    assert Damping.from_settings(load_settings(cfg)) == Damping(2, 2, 3)
    assert Damping.from_settings(load_settings(None)) == Damping()
    cfg.write_text("[findings]\nresolve_after_monthly = 0\n")
    with pytest.raises(ProblemsError, match="findings.resolve_after_monthly: expected 1 to 24"):
        load_settings(cfg)
