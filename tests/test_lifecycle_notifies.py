"""People's steps on a finding tell its thread: acknowledging, assigning an action (owner and
a due date not in the past), silencing and resolving by hand each queue a notification; an
action left overdue escalates by working days (bank holidays excluded)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import api, findings
from assurance.config import load_settings
from assurance.models import Finding, FindingEvent
from assurance.outbox.models import Notification
from assurance.problems import ProblemsError
from assurance.wording import counted
from conftest import AT
from helpers import METRIC_HEADER, ORG_HEADER, write_csv
from outbox_support import World, make_settings, make_world

NETWORK = [{"name": "race", "channel": "net", "audience": "network",
            "match": {"characteristic": ["race"]}}]
ON = date(2021, 6, 2)


@pytest.fixture
def w(engine: Engine, tmp_path: Path) -> World:
    """One finding, opened in 2021 and told to the race network."""
    settings = make_settings(tmp_path, "sqlite://", {"net": {"type": "console"}}, NETWORK)
    world = make_world(engine, tmp_path, settings)
    world.breach(2021)
    return world


def fid(w: World) -> str:
    with Session(w.engine) as s:
        return str(s.exec(select(Finding)).one().id)


def messages(w: World) -> list[dict[str, Any]]:
    """(kind of the finding event behind it, the stored message) for every notification."""
    with Session(w.engine) as s:
        rows = s.exec(select(FindingEvent.kind, Notification.message).join(
            Notification, col(Notification.event_id) == col(FindingEvent.id))
            .order_by(col(Notification.id))).all()
    return [{"kind": k, **json.loads(m)} for k, m in rows]


def change(w: World, fn: Any, **kw: Any) -> None:
    api.change_finding(w.engine, w.settings, fn, fid(w), at=AT, as_of=ON, **kw)


def test_acknowledging_a_finding_tells_its_thread(w: World) -> None:
    change(w, findings.acknowledge, who="EDI lead", note="Reviewing shortlisting")
    opened, ack = messages(w)
    assert ack["kind"] == "acknowledged" and ack["event"] == "acknowledged"
    assert ack["thread_key"] == opened["thread_key"]
    assert ack["headline"] == "Acknowledged by EDI lead: Reviewing shortlisting"


def test_an_acknowledgement_reaches_a_channel_that_no_longer_matches(w: World) -> None:
    # The race network was told the finding opened; a later config without that
    # subscription still tells it of the acknowledgement (it is on the thread).
    w.settings = make_settings(w.tmp, "sqlite://", {"net": {"type": "console"}}, [])
    change(w, findings.acknowledge, who="EDI lead", note="Reviewing")
    assert [(m["kind"], m["event"]) for m in messages(w)] == [("opened", "opened"),
                                                              ("acknowledged", "acknowledged")]


def test_assigning_an_action_tells_its_thread_with_owner_and_due_date(w: World) -> None:
    change(w, findings.assign, owner="Chief People Officer", due=date(2021, 9, 30),
           note="Debias shortlisting", actor="chair")
    assigned = messages(w)[-1]
    assert assigned["kind"] == "assigned"
    assert assigned["headline"] == ("Action assigned to Chief People Officer, due 30 September "
                                    "2021: Debias shortlisting")
    assert ["Action owner", "Chief People Officer, due 30 September 2021"] in assigned["facts"]


def test_a_message_writes_a_date_as_board_papers_do_without_a_leading_zero(w: World) -> None:
    change(w, findings.assign, owner="CPO", due=date(2021, 10, 1), note=None, actor="chair")
    change(w, findings.silence, reason="Known cause", approver="Chair", until=date(2022, 3, 5),
           actor="EDI lead")
    assigned, silenced = messages(w)[-2:]
    assert assigned["headline"] == "Action assigned to CPO, due 1 October 2021"
    assert ["Action owner", "CPO, due 1 October 2021"] in assigned["facts"]
    assert silenced["headline"].startswith("Silenced until 5 March 2022, approved by Chair")


def test_a_due_date_in_the_past_is_refused_and_nothing_is_recorded(w: World) -> None:
    with pytest.raises(ProblemsError) as err:
        change(w, findings.assign, owner="CPO", due=date(2021, 6, 1), note=None, actor="chair")
    assert [str(p) for p in err.value.problems] == [
        "--due: error: due date 2021-06-01 is in the past; expected 2021-06-02 or later"]
    assert [m["kind"] for m in messages(w)] == ["opened"]
    with Session(w.engine) as s:
        assert s.exec(select(Finding)).one().action_owner is None


def test_silencing_a_finding_tells_its_thread_who_approved_it_and_until_when(w: World) -> None:
    change(w, findings.silence, reason="Known cause: one campaign", approver="Chair",
           until=date(2022, 3, 31), actor="EDI lead")
    silenced = messages(w)[-1]
    assert silenced["kind"] == "silenced"
    assert silenced["headline"] == ("Silenced until 31 March 2022, approved by Chair: Known "
                                    "cause: one campaign")


def test_resolving_by_hand_tells_its_thread_and_a_later_breach_reopens_it(w: World) -> None:
    change(w, findings.resolve, note="Shortlisting panels retrained", actor="EDI lead")
    resolved = messages(w)[-1]
    assert resolved["kind"] == "resolved" and resolved["event"] == "resolved"
    assert resolved["headline"] == "Resolved by EDI lead: Shortlisting panels retrained"
    assert w.evaluate(date(2021, 6, 3)) == []  # the same period again: it stays resolved
    assert [t.event.kind for t in w.breach(2022)] == ["reopened"]
    assert [t.event.kind for t in w.ok(2023)] == ["resolved"]
    with pytest.raises(ProblemsError, match="nothing to resolve"):
        change(w, findings.resolve, note="again", actor="EDI lead")


def test_overdue_actions_escalate_by_working_days_not_counting_bank_holidays(
        w: World) -> None:
    # Due Thursday 17 April 2025; Good Friday and Easter Monday are bank holidays.
    with Session(w.engine) as s, s.begin():
        findings.assign(s, fid(w), owner="CPO", due=date(2025, 4, 17), note=None, actor="chair",
                        at=AT, as_of=date(2025, 4, 1))
        s.exec(select(Finding)).one().ack_at = AT  # acknowledged: only the overdue clock runs
    assert api.escalate(w.engine, w.settings, as_of=date(2025, 4, 21), at=AT, actor="t",
                        packs=w.packs) == 0
    assert api.escalate(w.engine, w.settings, as_of=date(2025, 4, 22), at=AT, actor="t",
                        packs=w.packs) == 1
    assert api.escalate(w.engine, w.settings, as_of=date(2025, 4, 23), at=AT, actor="t",
                        packs=w.packs) == 0  # once per step, not once per run
    escalated = messages(w)[-1]
    assert escalated["kind"] == "escalated" and escalated["level"] == "executive_lead"
    assert escalated["headline"].startswith(
        "Escalated from EDI lead to executive lead (action due 17 April 2025 is 1 working day "
        "overdue): ")
    with Session(w.engine) as s:
        event = s.exec(select(FindingEvent).order_by(col(FindingEvent.id).desc())).first()
    assert event is not None and json.loads(event.details)["reason"] == "overdue"


# ----------------------------------------------------------------------------- the CLI


def cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assurance.cli", *args], cwd=cwd,
                          capture_output=True, text=True, env=dict(os.environ), timeout=300)


def test_the_cli_acks_with_a_notification_refuses_past_due_dates_and_lists_accountable_orgs(
        tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[database]\nurl = "sqlite:///store.db"\n[organisations]\naccountable = ["SYT01"]\n'
        '[channels.net]\ntype = "console"\n'
        'path = "net.jsonl"\n[[subscriptions]]\nname = "race"\nchannel = "net"\n'
        'audience = "network"\nmatch = {characteristic = ["race"]}\n')
    orgs = write_csv(tmp_path / "orgs.csv", ORG_HEADER, [
        (c, f"Synthetic Test Trust {c}", "acute", "London", "ICS", "Acute", "yes")
        for c in ("SYT01", "SYT02")])
    rows = [(c, "wres:2024", "wres.2", g, "", n, 1000, "", "")
            for c in ("SYT01", "SYT02") for g, n in (("white", 300), ("bme", 150))]
    metrics = write_csv(tmp_path / "m.csv", METRIC_HEADER, rows)
    for path in (orgs, metrics):
        assert cli(["import", str(path)], tmp_path).returncode == 0
    assert cli(["evaluate", "--as-of", "2024-06-01"], tmp_path).returncode == 0
    listed = json.loads(cli(["findings", "list", "--json"], tmp_path).stdout)
    every = json.loads(cli(["findings", "list", "--all", "--json"], tmp_path).stdout)
    assert {f["org"] for f in listed} == {"SYT01"}
    assert {f["org"] for f in every} == {"SYT01", "SYT02"}
    peers = sum(f["org"] == "SYT02" for f in every)
    table = cli(["findings", "list"], tmp_path)
    assert (f"{counted(peers, 'finding')} of other organisations not shown (--all shows them)"
            in " ".join(table.stdout.split()))  # rich wraps the line
    (wres2,) = [f for f in listed if f["rule"] == "wres.2.adverse"]
    ref = str(wres2["id"])
    acked = cli(["findings", "ack", ref, "--note", "Reviewing"], tmp_path)
    assert acked.returncode == 0, acked.stderr
    refused = cli(["findings", "assign", ref, "--owner", "CPO", "--due", "2000-01-01"],
                  tmp_path)
    assert refused.returncode == 2
    assert "--due: error: due date 2000-01-01 is in the past; expected" in refused.stderr
    engine = api.open_existing(load_settings(tmp_path / "config.toml"))
    with Session(engine) as s:
        queued = s.exec(select(Finding.org_code, Finding.id, Notification.event).join(
            Notification, col(Notification.finding_id) == col(Finding.id))
            .order_by(col(Notification.id))).all()
    engine.dispose()
    # SYT02 is a peer: the network hears only of SYT01's findings, then the acknowledgement.
    assert {org for org, _, _ in queued} == {"SYT01"}
    assert [event for _, i, event in queued if str(i) == ref] == ["opened", "acknowledged"]
