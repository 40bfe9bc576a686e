"""Digests: a daily or weekly subscription gets one message per digest time, exactly once,
listing what its per-event messages would have said, per organisation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from assurance import findings, outbox
from assurance.config import JobSettings, SubscriptionSettings
from assurance.jobs import run_notify
from assurance.outbox import digest
from assurance.outbox.messages import from_json
from assurance.outbox.models import DIGEST, DIGESTED, HELD, PENDING, SENT
from conftest import AT
from outbox_support import FakeClock, World, build_channels, make_settings, make_world

# AT is 1 June 2025 09:00 UTC (10:00 in London); the next 08:00 London is 2 June 07:00 UTC.
NEXT_MORNING = datetime(2025, 6, 2, 7, 30, tzinfo=UTC)


def _settings(tmp: Path, url: str, **sub: Any) -> Any:
    channels = {"network": {"type": "console", "path": str(tmp / "network.jsonl")},
                "exec": {"type": "console", "path": str(tmp / "exec.jsonl")},
                "ops": {"type": "console", "path": str(tmp / "ops.jsonl"), "fallback": True}}
    subs = [{"name": "race", "channel": "network", "audience": "network",
             "match": {"characteristic": ["race"]}, "mode": "daily", **sub},
            {"name": "leads", "channel": "exec", "audience": "executive",
             "match": {"characteristic": ["race"]}}]
    return make_settings(tmp, url, channels, subs)


def _world(engine: Engine, tmp: Path, **sub: Any) -> World:
    return make_world(engine, tmp, _settings(tmp, "sqlite://", **sub),
                      orgs=("SYT01", "SYT02"), escalate_after=1)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text("utf-8").splitlines()] if path.exists() else []


def _deliver(w: World, at: datetime) -> outbox.DeliveryReport:
    clock = FakeClock(at)
    return outbox.deliver(w.engine, w.settings, build_channels(w.settings), now=clock.now,
                          sleep=clock.sleep, per_channel_rate=1000.0)


def test_a_daily_subscription_hears_nothing_until_its_digest_time_then_one_message(
        engine: Engine, tmp_path: Path) -> None:
    w = _world(engine, tmp_path)
    w.breach(2021)
    rows = w.notifications()
    assert {(n.subscription, n.status) for n in rows} == {("race", HELD), ("leads", PENDING)}
    _deliver(w, AT + timedelta(hours=1))  # 11:00 in London: before the next digest time
    assert len(_lines(tmp_path / "exec.jsonl")) == 2  # each-message subscribers as before
    assert _lines(tmp_path / "network.jsonl") == []
    report = _deliver(w, NEXT_MORNING)
    assert report.digests == 1
    (sent,) = _lines(tmp_path / "network.jsonl")
    assert sent["event"] == "digest" and sent["subscription"] == "race"
    assert sent["title"] == "Daily digest for race"
    assert sent["headline"] == "2 opened at 2 organisations since 1 June 2025 08:00"
    assert [s["organisation_code"] for s in sent["sections"]] == ["SYT01", "SYT02"]
    held = {n.idempotency_key: from_json(n.message) for n in rows if n.subscription == "race"}
    for section in sent["sections"]:
        (entry,) = section["entries"]
        original = held[entry["idempotency_key"]]  # the line is the per-event message's own
        assert (entry["headline"], entry["title"], entry["event"]) == (
            original.headline, original.title, "opened")
        assert section["organisation_code"] == original.organisation_code
    by_key = {n.idempotency_key: n for n in w.notifications()}
    (d,) = [n for n in by_key.values() if n.kind == DIGEST]
    assert d.status == SENT and d.idempotency_key == sent["idempotency_key"]
    assert d.idempotency_key == digest.digest_key("race", "network",
                                                  datetime(2025, 6, 2, 7, 0, tzinfo=UTC))
    assert {by_key[k].status for k in held} == {DIGESTED}
    assert {by_key[k].digest_id for k in held} == {d.id}


def test_a_digest_is_assembled_and_sent_once_however_often_notify_runs(
        engine: Engine, tmp_path: Path) -> None:
    w = _world(engine, tmp_path)
    w.breach(2021)
    first = digest.assemble_due(engine, w.settings, at=NEXT_MORNING)
    # A crash after the commit, a second deliverer, a re-run in the same window: nothing new.
    assert digest.assemble_due(engine, w.settings, at=NEXT_MORNING) == []
    assert digest.assemble_due(engine, w.settings, at=NEXT_MORNING + timedelta(hours=20)) == []
    for minutes in (0, 1, 60):
        _deliver(w, NEXT_MORNING + timedelta(minutes=minutes))
    assert [d["idempotency_key"] for d in _lines(tmp_path / "network.jsonl")] == first


def test_a_crash_before_the_digest_commits_leaves_the_rows_held_for_the_rerun(
        engine: Engine, tmp_path: Path) -> None:
    w = _world(engine, tmp_path)
    w.breach(2021)

    class Crash(Exception):
        pass

    original = digest.to_json

    def crash(message: digest.DigestMessage) -> str:
        raise Crash

    digest.to_json = crash  # type: ignore[assignment]
    try:
        with pytest.raises(Crash):
            digest.assemble_due(engine, w.settings, at=NEXT_MORNING)
    finally:
        digest.to_json = original  # type: ignore[assignment]
    assert {n.status for n in w.notifications() if n.subscription == "race"} == {HELD}
    _deliver(w, NEXT_MORNING)
    assert len(_lines(tmp_path / "network.jsonl")) == 1


def test_events_after_the_digest_time_wait_for_the_next_digest(engine: Engine,
                                                               tmp_path: Path) -> None:
    w = _world(engine, tmp_path)
    w.breach(2021)
    w.counts(2022, (300, 1000), (150, 1000))
    w.evaluate(date(2022, 6, 1), at=datetime(2025, 6, 2, 7, 10, tzinfo=UTC))  # 08:10 London
    _deliver(w, NEXT_MORNING)
    _deliver(w, datetime(2025, 6, 3, 7, 5, tzinfo=UTC))
    first, second = _lines(tmp_path / "network.jsonl")
    assert first["headline"].startswith("2 opened at 2 organisations")
    assert second["headline"] == "2 escalated at 2 organisations since 2 June 2025 08:00"
    assert [e["event"] for e in second["sections"][0]["entries"]] == ["escalated"]


def test_acknowledged_and_resolved_reach_a_digest_subscriber_in_its_digest(
        engine: Engine, tmp_path: Path) -> None:
    w = _world(engine, tmp_path)
    t = w.breach(2021)[0]
    with Session(engine) as s, s.begin():
        acked = findings.acknowledge(s, str(t.finding.id), who="chair", note="on agenda",
                                     at=AT + timedelta(minutes=5), as_of=date(2021, 6, 2))
        outbox.enqueue(s, [acked], w.settings, at=AT + timedelta(minutes=5))
    w.ok(2022)
    _deliver(w, NEXT_MORNING)
    (sent,) = _lines(tmp_path / "network.jsonl")
    events = [e["event"] for s in sent["sections"] for e in s["entries"]]
    assert events.count("acknowledged") == 1 and events.count("resolved") == 2


def test_a_subscription_switched_back_to_each_message_sends_what_it_held(
        engine: Engine, tmp_path: Path) -> None:
    w = _world(engine, tmp_path)
    w.breach(2021)
    w.settings = _settings(tmp_path, "sqlite://", mode="each")
    _deliver(w, AT + timedelta(minutes=1))
    assert [d["event"] for d in _lines(tmp_path / "network.jsonl")] == ["opened", "opened"]


def test_the_notify_job_sends_digests_on_the_clock_it_is_given(engine: Engine,
                                                                tmp_path: Path) -> None:
    w = _world(engine, tmp_path)
    w.breach(2021)
    job = JobSettings("notify", "notify", "*/5 * * * *", {})
    clock = FakeClock(NEXT_MORNING)
    result = run_notify(engine, w.settings, job, NEXT_MORNING, now=clock.now, sleep=clock.sleep,
                        env={})
    assert result.details["digests"] == 1
    assert len(_lines(tmp_path / "network.jsonl")) == 1


def _sub(**kw: Any) -> SubscriptionSettings:
    return SubscriptionSettings(name="s", channel="c", audience="network", match={}, **kw)


@pytest.mark.parametrize("at,expected", [
    # 08:00 in London is 07:00 UTC in summer, 08:00 UTC in winter.
    (datetime(2025, 6, 2, 7, 0, tzinfo=UTC), datetime(2025, 6, 2, 7, 0, tzinfo=UTC)),
    (datetime(2025, 6, 2, 6, 59, tzinfo=UTC), datetime(2025, 6, 1, 7, 0, tzinfo=UTC)),
    (datetime(2025, 12, 2, 7, 30, tzinfo=UTC), datetime(2025, 12, 1, 8, 0, tzinfo=UTC)),
    # The morning the clocks go back: yesterday's 08:00 was BST, today's is GMT.
    (datetime(2025, 10, 26, 9, 0, tzinfo=UTC), datetime(2025, 10, 26, 8, 0, tzinfo=UTC)),
])
def test_a_daily_digest_falls_due_at_its_local_time(at: datetime, expected: datetime) -> None:
    assert digest.window_end(_sub(mode="daily"), "Europe/London", at) == expected


def test_a_weekly_digest_falls_due_on_its_weekday() -> None:
    sub = _sub(mode="weekly", digest_weekday="wednesday", digest_time="16:30")
    # Tuesday 2 December 2025: the last Wednesday 16:30 was 26 November.
    assert digest.window_end(sub, "Europe/London", datetime(2025, 12, 2, 12, tzinfo=UTC)) == (
        datetime(2025, 11, 26, 16, 30, tzinfo=UTC))
    assert digest.window_end(sub, "Europe/London", datetime(2025, 12, 3, 16, 30, tzinfo=UTC)) == (
        datetime(2025, 12, 3, 16, 30, tzinfo=UTC))
    assert digest.next_window_end(sub, "Europe/London", datetime(2025, 12, 3, 17, tzinfo=UTC)) == (
        datetime(2025, 12, 10, 16, 30, tzinfo=UTC))


def test_digests_sent_early_carry_what_is_held_once_and_the_next_one_starts_after(
        engine: Engine, tmp_path: Path) -> None:
    w = _world(engine, tmp_path)
    w.breach(2021)
    early = AT + timedelta(minutes=30)  # long before the next 08:00
    (key,) = digest.assemble_due(engine, w.settings, at=early, early=True)
    assert digest.assemble_due(engine, w.settings, at=early, early=True) == []
    assert digest.assemble_due(engine, w.settings, at=early + timedelta(minutes=1),
                               early=True) == []  # nothing is left held
    _deliver(w, early)
    _deliver(w, NEXT_MORNING)  # the scheduled digest has nothing left to carry
    assert [d["idempotency_key"] for d in _lines(tmp_path / "network.jsonl")] == [key]


def test_the_window_end_is_never_after_the_clock_on_the_days_the_clocks_change() -> None:
    # Review finding: the wall-clock comparison put a 01:30 digest 20 minutes in the future on
    # 29 March 2026, and moved the window backwards on 25 October 2026.
    from datetime import UTC, datetime, timedelta

    from assurance.config import SubscriptionSettings
    from assurance.outbox.digest import window_end

    sub = SubscriptionSettings("n", "c", "network", {}, mode="daily", digest_time="01:30")
    at = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    ends = []
    while at < datetime(2026, 3, 30, 3, 0, tzinfo=UTC):
        end = window_end(sub, "Europe/London", at)
        assert end <= at, at
        ends.append(end)
        at += timedelta(minutes=10)
    assert ends == sorted(ends)  # never moves backwards
    sub = SubscriptionSettings("n", "c", "network", {}, mode="daily", digest_time="00:30")
    at, ends = datetime(2026, 10, 24, 22, 0, tzinfo=UTC), []
    while at < datetime(2026, 10, 26, 3, 0, tzinfo=UTC):
        end = window_end(sub, "Europe/London", at)
        assert end <= at, at
        ends.append(end)
        at += timedelta(minutes=10)
    assert ends == sorted(ends)


@pytest.mark.parametrize("change", [{"audience": "board"}, {"audience": "board", "mode": "each"},
                                    None])
def test_held_lines_rendered_for_another_audience_or_a_removed_subscription_are_never_sent(
        engine: Engine, tmp_path: Path, change: dict[str, str] | None) -> None:
    # Review finding: a subscription changed (or removed) while its lines were held sent them
    # as they were rendered, e.g. board-exact counts to what is now a network channel.
    w = _world(engine, tmp_path, audience="network")
    w.breach(2021)
    if change is None:  # the subscription is removed from config
        w.settings = _settings(tmp_path, "sqlite://")
        w.settings = w.settings.__class__(**{**w.settings.__dict__, "subscriptions": tuple(
            s for s in w.settings.subscriptions if s.name != "race")})
    else:
        w.settings = _settings(tmp_path, "sqlite://", **change)
    _deliver(w, NEXT_MORNING)
    assert _lines(tmp_path / "network.jsonl") == []
    assert {n.status for n in w.notifications() if n.subscription == "race"} == {HELD}


def test_a_digest_counts_every_kind_of_event_in_words_worst_first() -> None:
    from channel_support import hostile_message

    events = ["resolved", "reopened", "opened", "assigned", "reopened", "repeat"]
    at = datetime(2025, 6, 2, 7, tzinfo=UTC)
    message = digest.build([hostile_message(idempotency_key=f"k{i}", event=e)
                            for i, e in enumerate(events)], key="k", subscription="race",
                           mode="daily", audience="network", since=at - timedelta(days=1),
                           until=at, timezone="Europe/London")
    # "reopened" was listed last and in lower case, after the resolved ones.
    assert message.facts == (("Opened", "1"), ("Reopened", "2"), ("Still in breach", "1"),
                             ("Assigned an owner", "1"), ("Resolved", "1"))
    assert message.headline.startswith("1 opened, 2 reopened, 1 still in breach, 1 assigned "
                                       "an owner, 1 resolved")
