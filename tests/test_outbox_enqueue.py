"""What the outbox queues: which transitions notify whom, with what figures, exactly once."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from assurance import findings, outbox, routing
from assurance.db import session
from assurance.escalation import escalate_unacknowledged
from assurance.models import Finding
from assurance.outbox.messages import from_json
from conftest import AT
from outbox_support import World, make_settings, make_world

CHANNELS = {"network": {"type": "console"}, "board": {"type": "console"},
            "edi": {"type": "console"}}
SUBS: list[dict[str, Any]] = [{"name": "race", "channel": "network", "audience": "network",
         "match": {"characteristic": ["race"]}},
        {"name": "disability", "channel": "network", "audience": "network",
         "match": {"characteristic": ["disability"]}},
        {"name": "board", "channel": "board", "audience": "board",
         "min_level": "board_committee"}]


def world(engine: Engine, tmp_path: Path, **kw: Any) -> World:
    settings = make_settings(tmp_path, "sqlite://", CHANNELS, SUBS)
    return make_world(engine, tmp_path, settings, **kw)


def sent_to(w: World) -> list[tuple[str, str]]:
    return [(n.subscription, n.event) for n in w.notifications()]


def test_opening_queues_one_row_per_matching_subscription_with_a_deterministic_key(
        engine: Engine, tmp_path: Path) -> None:
    w = world(engine, tmp_path)
    (t,) = w.breach(2021)
    (row,) = w.notifications()
    assert (row.subscription, row.event, row.status, row.channel) == (
        "race", "opened", "pending", "network")
    assert row.idempotency_key == hashlib.sha256(
        f"{t.finding.fingerprint}|{t.event.id}|race".encode()).hexdigest()
    with Session(engine) as s, s.begin():
        assert outbox.enqueue(s, [t], w.settings, at=AT) == 0  # same key: nothing new
    assert len(w.notifications()) == 1


def test_escalation_reaches_min_level_subscribers_when_the_finding_gets_there(
        engine: Engine, tmp_path: Path) -> None:
    w = world(engine, tmp_path, escalate_after=1)
    for year in (2021, 2022, 2023):
        w.breach(year)
    assert sent_to(w) == [("race", "opened"), ("race", "escalated"), ("race", "escalated"),
                          ("board", "escalated")]
    board = from_json(w.notifications()[-1].message)
    assert board.level == "board_committee"
    assert board.headline.startswith("Escalated from executive lead to board committee (3 "
                                     "periods in breach)")


def test_still_in_breach_repeats_on_each_subscriptions_interval(engine: Engine,
                                                                tmp_path: Path) -> None:
    w = world(engine, tmp_path, escalate_after=10)
    with Session(engine) as s, s.begin():
        for name, every in (("every-2", 2), ("never", 0)):
            routing.add_subscription(s, w.settings, name=name, channel="edi", audience="executive",
                                     match={"standard": ["WRES"]}, repeat_every=every,
                                     actor="t", at=AT)
    for year in (2021, 2022, 2023, 2024):
        w.breach(year)
    got = [(n.subscription, n.event, json.loads(n.message)["headline"][:37])
           for n in w.notifications() if n.event == "repeat"]
    assert got == [("race", "repeat", "Still in breach (2 periods in breach)"),
                   ("race", "repeat", "Still in breach (3 periods in breach)"),
                   ("every-2", "repeat", "Still in breach (3 periods in breach)"),
                   ("race", "repeat", "Still in breach (4 periods in breach)")]
    assert {(s, e) for s, e in sent_to(w) if e == "opened"} == {
        ("race", "opened"), ("every-2", "opened"), ("never", "opened")}


def test_resolution_tells_every_subscription_that_heard_of_the_breach(engine: Engine,
                                                                      tmp_path: Path) -> None:
    w = world(engine, tmp_path, escalate_after=1)
    with Session(engine) as s, s.begin():
        routing.add_subscription(s, w.settings, name="watch", channel="edi", audience="executive",
                                 match={"organisation": ["SYT01"]}, actor="t", at=AT)
    for year in (2021, 2022, 2023):
        w.breach(year)
    with Session(engine) as s, s.begin():  # removed later: it was still told, so it hears
        routing.remove_subscription(s, w.settings, "watch", actor="t", at=AT)
    w.ok(2024)
    resolved = [n for n in w.notifications() if n.event == "resolved"]
    assert sorted((n.subscription, n.channel) for n in resolved) == [
        ("board", "board"), ("race", "network"), ("watch", "edi")]
    assert from_json(resolved[0].message).headline.startswith(
        "Resolved after 3 periods in breach (1,096 days)")


def test_a_silence_holds_everything_back_until_it_expires(engine: Engine, tmp_path: Path) -> None:
    w = world(engine, tmp_path, escalate_after=10)
    w.breach(2021)
    with Session(engine) as s, s.begin():
        fid = str(s.exec(select(Finding)).one().id)
        silenced = findings.silence(s, fid, reason="Known cause", approver="Chair",
                                    until=date(2023, 3, 31), actor="chair", at=AT,
                                    as_of=date(2021, 6, 2))
        acked = findings.acknowledge(s, fid, who="EDI lead", note="Looking", at=AT,
                                     as_of=date(2021, 6, 2))
        # The silence itself is announced (issue 12: who approved it, until when), so the
        # thread knows why it goes quiet; everything after it is held back until it expires.
        assert outbox.enqueue(s, [silenced, acked], w.settings, at=AT) == 1
    assert [k.event.kind for k in w.breach(2022)] == ["continuing"]
    assert sent_to(w) == [("race", "opened"), ("race", "silenced")]
    assert [k.event.kind for k in w.breach(2023)] == ["silence_expired", "continuing"]
    assert sent_to(w) == [("race", "opened"), ("race", "silenced"),
                          ("race", "silence_expired"), ("race", "repeat")]


def test_acknowledgement_is_announced_to_those_told(engine: Engine, tmp_path: Path) -> None:
    w = world(engine, tmp_path)
    w.breach(2021)
    with Session(engine) as s, s.begin():
        fid = str(s.exec(select(Finding)).one().id)
        t = findings.acknowledge(s, fid, who="EDI lead", note="Panel review booked", at=AT,
                                 as_of=date(2021, 6, 2))
        assert outbox.enqueue(s, [t], w.settings, at=AT) == 1
    message = from_json(w.notifications()[-1].message)
    assert (message.event, message.headline) == (
        "acknowledged", "Acknowledged by EDI lead: Panel review booked")


def test_small_counts_are_suppressed_for_a_network_and_exact_for_the_board(
        engine: Engine, tmp_path: Path) -> None:
    subs = [*SUBS[:1], {"name": "board-all", "channel": "board", "audience": "board"}]
    w = make_world(engine, tmp_path, make_settings(tmp_path, "sqlite://", CHANNELS, subs))
    w.counts(2024, (3, 12), (150, 800))  # RL (3/12)/(150/800) = 1.33: a breach
    w.evaluate(date(2024, 6, 1))
    network, board = (from_json(n.message) for n in w.notifications())
    facts = dict(network.facts)
    assert facts["Figure"] == "Withheld (small numbers)"  # a withheld ratio, in words
    assert facts["White"] == "*/10 · *"
    assert facts["BME"] == "150/800 · 18.8%"
    assert network.headline == "Withheld (small numbers); White */10 · *, BME 150/800 · 18.8%"
    assert "Finding" not in facts  # the evaluation sentence quotes exact counts
    assert facts["Note"].startswith("* = hidden: 1 to 7 people, who could be identified, or a "
                                   "figure from which such a number could be worked out")
    text = json.dumps([network.headline, network.facts])
    assert "3/12" not in text and "1.33" not in text and "25.0" not in text
    exact = dict(board.facts)
    assert exact["White"] == "3/12 · 25.0%" and exact["Figure"].startswith("1.33 (95% CI ")
    assert "3/12" in exact["Finding"] and "Note" not in exact


def test_unacknowledged_findings_climb_a_level_every_three_working_days(
        engine: Engine, tmp_path: Path) -> None:
    w = world(engine, tmp_path, escalate_after=10)
    w.breach(2024, as_of=date(2024, 12, 20))  # a Friday, five days before Christmas

    def escalate(day: date) -> list[str | None]:
        with session(engine) as s, s.begin():
            ts = escalate_unacknowledged(s, w.settings, day, AT, w.rules)
            outbox.enqueue(s, ts, w.settings, at=AT, rules_by_id=w.rules)
        return [t.finding.level for t in ts]

    assert escalate(date(2024, 12, 24)) == []  # 23 and 24 Dec: two working days
    assert escalate(date(2024, 12, 27)) == ["executive_lead"]  # 25, 26 Dec are bank holidays
    assert escalate(date(2024, 12, 27)) == []  # the same day again: nothing more
    assert escalate(date(2025, 1, 2)) == ["board_committee"]  # 30, 31 Dec, 2 Jan (1 Jan off)
    assert escalate(date(2025, 1, 31)) == []  # the rule's max is board_committee
    board = [from_json(n.message) for n in w.notifications() if n.subscription == "board"]
    assert [m.headline.split(":")[0] for m in board] == [
        "Escalated from executive lead to board committee (not acknowledged after 6 working "
        "days)"]


def test_an_acknowledged_finding_does_not_climb(engine: Engine, tmp_path: Path) -> None:
    w = world(engine, tmp_path, escalate_after=10)
    w.breach(2024, as_of=date(2024, 12, 20))
    with Session(engine) as s, s.begin():
        findings.acknowledge(s, str(s.exec(select(Finding)).one().id), who="EDI lead",
                             note="On it", at=AT, as_of=date(2024, 12, 23))
    with Session(engine) as s, s.begin():
        assert escalate_unacknowledged(s, w.settings, date(2025, 2, 3), AT, w.rules) == []


@pytest.mark.parametrize("kind", ["no_data", "error", "assigned", "silenced"])
def test_other_events_do_not_notify(engine: Engine, tmp_path: Path, kind: str) -> None:
    w = world(engine, tmp_path)
    (t,) = w.breach(2021)
    other = type(t)(t.finding, t.event.model_copy(update={"kind": kind, "id": t.event.id}), None)
    with Session(engine) as s, s.begin():
        assert outbox.enqueue(s, [other], w.settings, at=AT) == 0
