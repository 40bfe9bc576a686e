"""Delivering the outbox through the real channels to loopback servers: threads, retries,
dead letters, pacing, crash leftovers and escaping."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import outbox
from assurance.outbox.models import Notification, NotificationThread
from conftest import AT
from outbox_support import (
    HOSTILE,
    FakeClock,
    World,
    breached_world,
    build_channels,
    deliver,
    deliver_now,
    every_kind,
    hook_table,
    mail_table,
    make_settings,
    make_world,
    max_in_window,
    once_each,
    real_now,
    received_keys,
    slack_table,
    subscriptions,
)
from servers import FakeSlackServer, Misbehaviour, SmtpServer, WebhookReceiver

pytest_plugins = ["conftest_servers"]


def _utc(value: datetime) -> datetime:
    """SQLite gives back naive UTC, PostgreSQL an aware time in the session's zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def slack_world(engine: Engine, tmp_path: Path, slack_server: FakeSlackServer,
                **kw: Any) -> World:
    """Every finding goes to one Slack channel; the organisations breach in 2021."""
    return breached_world(engine, tmp_path, "sqlite://", {"slack": slack_table(slack_server)},
                          subscriptions("slack"), **kw)


def test_a_findings_messages_share_one_slack_thread_and_update_its_parent(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer) -> None:
    w = slack_world(engine, tmp_path, slack_server, escalate_after=1)
    w.breach(2022)
    report = deliver(w)
    assert (report.sent, report.dead, report.pending) == (2, 0, 0)
    first, second = (c.params() for c in slack_server.calls("chat.postMessage"))
    assert "thread_ts" not in first and second["thread_ts"] == "1700000000.000001"
    assert second["reply_broadcast"] is True  # escalations are broadcast to the channel
    (update_call,) = slack_server.calls("chat.update")
    assert update_call.params()["ts"] == "1700000000.000001"
    with Session(engine) as s:
        (thread,) = s.exec(select(NotificationThread)).all()
        rows = s.exec(select(Notification).order_by(col(Notification.id))).all()
    assert thread.provider_message_id == "C0001:1700000000.000001"
    assert [r.provider_message_id for r in rows] == ["C0001:1700000000.000001",
                                                     "C0001:1700000000.000002"]
    assert {r.status for r in rows} == {"sent"}


def test_429_5xx_and_dropped_connections_end_with_each_message_delivered_exactly_once(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer,
        webhook_receiver: WebhookReceiver, smtp_server: SmtpServer) -> None:
    servers = slack, hook, mail = slack_server, webhook_receiver, smtp_server
    w = breached_world(engine, tmp_path, "sqlite://", every_kind(*servers),
                       subscriptions("slack", "hook", "mail"),
                       orgs=[f"SYT{i:02d}" for i in range(1, 7)])
    slack.misbehave("chat.postMessage", Misbehaviour.http(429, retry_after=7),
                    Misbehaviour.http(500), Misbehaviour.drop(), Misbehaviour.http(503))
    hook.misbehave("/hook", Misbehaviour.http(503), Misbehaviour.drop(),
                   Misbehaviour.http(429, retry_after=3), Misbehaviour.http(502))
    mail.data_failures.extend(["451 4.3.0 Try again later", "421 4.7.0 Busy"])
    clock = FakeClock()
    report = deliver(w, clock)
    assert (report.sent, report.dead, report.pending) == (18, 0, 0)
    assert report.retrying == 10
    for channel, got in received_keys(*servers).items():
        received, unique, duplicates = once_each(got, w.keys(channel))
        assert received == unique == 6 and duplicates == 0, channel
    assert clock.at - AT >= timedelta(seconds=7)  # Slack's Retry-After: 7 paused the channel
    status = outbox.status_report(engine)
    assert status.counts == {"pending": 0, "sending": 0, "sent": 18, "dead": 0, "held": 0,
                             "digested": 0} and status.ok


def test_a_rejected_message_is_dead_lettered_with_its_reason_and_alerts_the_fallback(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer) -> None:
    fallback = tmp_path / "fallback.jsonl"
    w = breached_world(engine, tmp_path, "sqlite://", {
        "slack": slack_table(slack_server),
        "ops": {"type": "console", "path": str(fallback), "fallback": True}},
        subscriptions("slack"))
    slack_server.misbehave("chat.postMessage", Misbehaviour.slack_error("channel_not_found"))
    report = deliver(w)
    assert (report.sent, report.dead, report.alerts) == (1, 1, 1)  # the alert was sent
    (alert,) = [json.loads(line) for line in fallback.read_text().splitlines()]
    assert alert["event"] == "dead_letter" and alert["title"].startswith("Delivery failed: ")
    assert "channel not found" in alert["headline"]
    status = outbox.status_report(engine)
    assert status.counts["dead"] == 1 and not status.ok
    (dead,) = status.failed
    assert (dead.channel, dead.subscription, dead.attempts) == ("slack", "to-slack", 1)
    assert "channel not found; check channels.slack.channel" in dead.reason
    assert outbox.retry_dead(engine, at=AT, actor="ops") == 1
    assert deliver(w).sent == 1  # fixed: retried and delivered
    assert len(slack_server.messages) == 1  # Slack kept only the retried post


def test_retries_stop_after_max_attempts_with_the_last_error(
        engine: Engine, tmp_path: Path) -> None:
    with WebhookReceiver(status=503) as hook:
        w = breached_world(engine, tmp_path, "sqlite://", {"hook": hook_table(hook)},
                           subscriptions("hook"))
        clock = FakeClock()
        report = deliver(w, clock, max_attempts=4)
        assert len(hook.received) == 4
    # No console channel was given, so the alert dies too, and raises no alert of its own.
    assert (report.sent, report.dead, report.retrying, report.alerts) == (0, 2, 3, 1)
    assert report.failures[0].startswith("notification 1 (hook): gave up after 4 attempts; "
                                         "last error: webhook hook answered HTTP 503")
    backoffs = [s for s in clock.slept if s > 1]
    assert [round(b / d, 1) for b, d in zip(backoffs, (2, 4, 8), strict=True)] == [
        pytest.approx(1.0, abs=0.21)] * 3  # 2 s doubling, ±20 % jitter
    (row, alert) = w.notifications()
    assert (row.status, alert.kind, alert.channel, alert.alert_for, alert.status) == (
        "dead", "dead_letter", "console", row.id, "dead")
    assert alert.last_error is not None and "'console' is not configured" in alert.last_error


def test_a_reclaimed_row_whose_provider_id_is_recorded_is_never_sent_again(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer) -> None:
    w = slack_world(engine, tmp_path, slack_server, orgs=["SYT01", "SYT02"])
    past = real_now() - timedelta(minutes=5)
    with Session(engine) as s, s.begin():  # a deliverer died in both windows
        s.exec(update(Notification).where(col(Notification.id) == 1).values(
            status="sending", lease_until=past, provider_message_id="C0001:99.000001"))
        s.exec(update(Notification).where(col(Notification.id) == 2).values(
            status="sending", lease_until=past))
    report = deliver(w, FakeClock(real_now()))
    assert (report.already_sent, report.sent) == (1, 1)
    assert len(slack_server.calls("chat.postMessage")) == 1  # only the unrecorded one
    assert {n.status for n in w.notifications()} == {"sent"}


def test_a_live_lease_is_left_alone(engine: Engine, tmp_path: Path,
                                    slack_server: FakeSlackServer) -> None:
    w = slack_world(engine, tmp_path, slack_server)
    with Session(engine) as s, s.begin():
        s.exec(update(Notification).values(
            status="sending", lease_until=real_now() + timedelta(minutes=5)))
    report = deliver(w, FakeClock(real_now()), wait_for_retries=0)
    assert (report.sent, report.pending) == (0, 1) and slack_server.received == []


def test_a_later_message_waits_for_an_earlier_one_about_the_same_finding(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer) -> None:
    w = slack_world(engine, tmp_path, slack_server, escalate_after=1)
    w.breach(2022)
    slack_server.misbehave("chat.postMessage", Misbehaviour.http(429, retry_after=30))
    report = deliver(w)
    assert report.sent == 2
    accepted = [c.params() for c in slack_server.calls("chat.postMessage") if c.answer == "200"]
    events = [p["metadata"]["event_payload"]["idempotency_key"] for p in accepted]
    assert events == [n.idempotency_key for n in w.notifications()]  # opened, then escalated
    assert accepted[1]["thread_ts"] == accepted[0].get("ts", "1700000000.000001")


def test_a_rate_limited_channel_hands_its_queue_back_until_the_pause_ends(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer) -> None:
    w = slack_world(engine, tmp_path, slack_server, orgs=["SYT01", "SYT02", "SYT03"])
    slack_server.misbehave("chat.postMessage", Misbehaviour.http(429, retry_after=45))
    clock = FakeClock()
    first = deliver(w, clock, wait_for_retries=0)
    assert (first.sent, first.retrying, first.pending) == (0, 1, 3)
    assert len(slack_server.calls("chat.postMessage")) == 1  # nothing more during the pause
    due = {_utc(n.next_attempt_at) for n in w.notifications()}
    assert due == {AT + timedelta(seconds=45)}
    assert deliver(w, clock).sent == 3


@pytest.mark.slow
def test_pacing_never_lets_a_channel_see_more_than_its_rate_in_any_second(
        engine: Engine, tmp_path: Path) -> None:
    rate = 10
    with FakeSlackServer() as slack:
        channels = {f"s{i}": slack_table(slack, f"C{i}", rate_per_second=rate) for i in range(3)}
        w = breached_world(engine, tmp_path, "sqlite://", channels, subscriptions(*channels),
                           orgs=[f"SYT{i:02d}" for i in range(1, 26)])
        started = time.monotonic()
        report = deliver_now(w)
        elapsed = time.monotonic() - started
        times = {c: sorted(ts) for c, ts in slack.post_times.items()}
    assert report.sent == 75 and sorted(times) == ["C0", "C1", "C2"]
    peaks = {c: max_in_window(ts) for c, ts in times.items()}
    assert all(rate - 2 <= peak <= rate for peak in peaks.values()), peaks
    for ts in times.values():  # an even stream, not bursts of ten then a pause
        gaps = sorted(b - a for a, b in zip(ts, ts[1:], strict=False))
        assert gaps[len(gaps) // 2] >= 0.9 / rate
    assert elapsed < 5.0  # the three channels were paced in parallel (25 each at 10/s)


@pytest.mark.slow
def test_at_slacks_one_message_per_second_the_server_never_answers_429(
        engine: Engine, tmp_path: Path) -> None:
    with FakeSlackServer(min_interval=1.0) as slack:  # 429 to a post within 1 s of the last
        w = breached_world(engine, tmp_path, "sqlite://", {"slack": slack_table(slack)},
                           subscriptions("slack"), orgs=["SYT01", "SYT02", "SYT03"])
        report = deliver_now(w)
        answers = [c.answer for c in slack.calls("chat.postMessage")]
    assert report.sent == 3 and answers == ["200", "200", "200"]


@pytest.mark.parametrize("kind", ["slack", "teams", "email", "webhook", "console"])
def test_a_hostile_organisation_name_arrives_inert_on_every_channel_type(
        engine: Engine, tmp_path: Path, kind: str) -> None:
    with ExitStack() as stack:
        if kind == "slack":
            server: Any = stack.enter_context(FakeSlackServer())
            table = slack_table(server)
        elif kind == "email":
            server = stack.enter_context(SmtpServer())
            table = mail_table(server)
        elif kind == "console":
            table = {"type": "console", "path": str(tmp_path / "out.jsonl")}
        else:
            server = stack.enter_context(WebhookReceiver())
            table = (hook_table(server) if kind == "webhook"
                     else {"type": "teams", "url_env": "TEAMS_URL"})
        env = {"SLACK_TOKEN": "xoxb-test-token", "HOOK_SECRET": "s",
               "TEAMS_URL": f"{server.url}/flow" if kind == "teams" else ""}
        w = breached_world(engine, tmp_path, "sqlite://", {"c": table}, subscriptions("c"),
                           orgs=["SYT01"], names={"SYT01": HOSTILE})
        report = deliver_now(w, build_channels(w.settings, env))
        assert report.sent == 1
        if kind == "slack":
            body = json.dumps(server.calls("chat.postMessage")[0].params())
            assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in body and "<!channel>" not in body
        elif kind == "teams":
            body = server.received[0].body.decode()
            assert "\\\\<!channel\\\\> \\\\& \\\\<@U123\\\\>" in body
        elif kind == "email":
            part = server.messages[0].message.get_body(("html",))
            assert part is not None
            html = part.get_content()
            assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in html and "<!channel>" not in html
        elif kind == "webhook":  # JSON carries the name as plain data for the receiver to escape
            assert server.received[0].json()["organisation_name"] == HOSTILE
        else:
            assert json.loads((tmp_path / "out.jsonl").read_text())["organisation_name"] == HOSTILE


def test_outbox_options_are_checked_and_stripped_before_the_channel_sees_them(
        tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite://", {
        "a": {"type": "console", "fallback": "yes", "rate_per_second": 0},
        "b": {"type": "console", "fallback": True}, "c": {"type": "console", "fallback": True},
        "d": {"type": "slack", "channel": "C1", "token_env": "T"}}, [])
    assert [p.message for p in outbox.check_outbox_options(settings)] == [
        "channels.a.fallback: found 'yes'; expected true or false",
        "channels.a.rate_per_second: found 0; expected a number of messages per second, above 0 "
        "and at most 1000 (Slack allows about 1)",
        "channels: more than one channel has fallback = true (b, c); expected at most one"]
    assert outbox.transport_options(settings.channels["b"]) == {"type": "console"}
    assert outbox.fallback_channel(settings) == "b"
    assert outbox.channel_rates(settings)["d"] == 1.0  # Slack's own limit by default


def test_repeated_delivery_runs_do_nothing_once_everything_is_sent(
        engine: Engine, tmp_path: Path, webhook_receiver: WebhookReceiver) -> None:
    w = breached_world(engine, tmp_path, "sqlite://", {"hook": hook_table(webhook_receiver)},
                       subscriptions("hook"))
    assert deliver(w).sent == 1
    assert deliver(w).sent == 0 and len(webhook_receiver.received) == 1
    w.breach(2022, as_of=date(2022, 6, 1))
    assert deliver(w).sent == 1
    payload = webhook_receiver.received[1].json()
    assert payload["thread"]["provider_message_id"]  # replies name the first delivery


def test_due_times_compare_in_utc_whatever_time_zone_the_caller_uses(
        engine: Engine, tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    settings = make_settings(tmp_path, "sqlite://", {"c": {"type": "console",
                                                           "path": str(tmp_path / "o.jsonl")}},
                             subscriptions("c"))
    w = make_world(engine, tmp_path, settings)
    london = AT.astimezone(ZoneInfo("Europe/London"))  # 10:00 BST is 09:00 UTC
    w.breach(2021)  # enqueued at AT (UTC)
    w.counts(2022, (300, 1000), (150, 1000))
    w.evaluate(date(2022, 6, 1), at=london + timedelta(minutes=30))  # due 09:30 UTC
    early = deliver(w, FakeClock(AT + timedelta(minutes=29)), wait_for_retries=0)
    assert (early.sent, early.pending) == (1, 1)  # the 09:30 one is not due at 09:29 UTC
    assert deliver(w, FakeClock(AT + timedelta(minutes=30)), wait_for_retries=0).sent == 1


def test_a_slack_post_whose_reply_was_lost_is_found_not_posted_again(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer) -> None:
    w = slack_world(engine, tmp_path, slack_server, orgs=["SYT01", "SYT02"])
    slack_server.misbehave("chat.postMessage", Misbehaviour.lose_reply())

    report = deliver(w)

    assert (report.sent, report.found_sent, report.pending) == (2, 1, 0)
    assert len(slack_server.messages) == 2  # by the server's count: each posted once
    posted = {f"C0001:{ts}" for (_, ts) in slack_server.messages}
    assert {n.provider_message_id for n in w.notifications()} == posted
