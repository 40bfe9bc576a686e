"""Digests through the real channels: exactly once by the receivers' count across failures,
a lost reply and concurrent assemblers; a dead digest alerts without carrying its figures."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from assurance import outbox
from assurance.db import open_store
from assurance.outbox import digest
from assurance.outbox.models import DIGEST, SENDING, Notification
from outbox_support import (
    FakeClock,
    breached_world,
    deliver,
    every_kind,
    hook_keys,
    once_each,
    received_keys,
    slack_table,
    subscriptions,
)
from servers import FakeSlackServer, Misbehaviour, SmtpServer, WebhookReceiver

pytest_plugins = ["conftest_servers"]
NEXT_MORNING = datetime(2025, 6, 2, 7, 30, tzinfo=UTC)  # after 08:00 London on 2 June
ORGS = [f"SYT{i:02d}" for i in range(1, 7)]


def daily(*channels: str) -> list[dict[str, Any]]:
    return subscriptions(*channels, mode="daily")


def test_a_digest_reaches_each_receiver_once_through_429_5xx_and_dropped_connections(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer,
        webhook_receiver: WebhookReceiver, smtp_server: SmtpServer) -> None:
    servers = slack, hook, mail = slack_server, webhook_receiver, smtp_server
    w = breached_world(engine, tmp_path, "sqlite://", every_kind(*servers),
                       daily("slack", "hook", "mail"), orgs=ORGS)
    slack.misbehave("chat.postMessage", Misbehaviour.http(429, retry_after=7),
                    Misbehaviour.http(500), Misbehaviour.drop())
    hook.misbehave("/hook", Misbehaviour.http(503), Misbehaviour.drop())
    mail.data_failures.extend(["451 4.3.0 Try again later"])
    clock = FakeClock(NEXT_MORNING)
    report = deliver(w, clock)
    assert (report.digests, report.sent, report.dead, report.pending) == (3, 3, 0, 0)
    for channel, got in received_keys(*servers).items():
        assert once_each(got, w.keys(channel, DIGEST)) == (1, 1, 0), channel
    for _ in range(3):  # later notify runs the same day: nothing more
        clock.at += timedelta(hours=2)
        assert deliver(w, clock).sent == 0
    assert len(slack.messages) == 1 and len(hook_keys(hook)) == 1 and len(mail.messages) == 1
    # A digest is a post of its own, never a reply in a finding's thread.
    assert all("thread_ts" not in c.params() for c in slack.calls("chat.postMessage"))


def test_a_digest_whose_slack_reply_was_lost_is_found_not_posted_again(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer) -> None:
    w = breached_world(engine, tmp_path, "sqlite://", {"slack": slack_table(slack_server)},
                       daily("slack"), orgs=ORGS[:2])
    slack_server.misbehave("chat.postMessage", Misbehaviour.lose_reply())
    report = deliver(w, FakeClock(NEXT_MORNING))
    assert (report.sent, report.found_sent) == (1, 1)
    assert len(slack_server.messages) == 1


def test_a_deliverer_that_died_after_posting_a_digest_does_not_post_it_twice(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer) -> None:
    w = breached_world(engine, tmp_path, "sqlite://", {"slack": slack_table(slack_server)},
                       daily("slack"), orgs=ORGS[:2])
    clock = FakeClock(NEXT_MORNING)
    assert deliver(w, clock).sent == 1
    # As if the deliverer was killed between Slack's answer and recording it.
    with Session(engine) as s, s.begin():
        s.exec(update(Notification).where(Notification.kind == DIGEST).values(  # type: ignore[call-overload]
            status=SENDING, provider_message_id=None, lease_until=clock.at, sent_at=None))
    clock.at += timedelta(minutes=5)
    report = deliver(w, clock)
    assert (report.sent, report.found_sent) == (1, 1)
    assert len(slack_server.messages) == 1


def test_a_dead_digest_alerts_the_operators_without_its_figures(
        engine: Engine, tmp_path: Path, slack_server: FakeSlackServer) -> None:
    fallback = tmp_path / "ops.jsonl"
    w = breached_world(engine, tmp_path, "sqlite://", {
        "slack": slack_table(slack_server),
        "ops": {"type": "console", "path": str(fallback), "fallback": True}}, daily("slack"),
        orgs=ORGS[:2])
    slack_server.misbehave("chat.postMessage", Misbehaviour.slack_error("not_in_channel"))
    report = deliver(w, FakeClock(NEXT_MORNING))
    assert (report.dead, report.alerts) == (1, 1)
    (alert,) = [json.loads(x) for x in fallback.read_text().splitlines()]
    assert alert["event"] == "dead_letter"
    assert alert["title"] == "Delivery failed: Daily digest for to-slack"
    assert "sections" not in alert and "Relative likelihood" not in json.dumps(alert)
    assert outbox.retry_dead(engine, at=NEXT_MORNING, actor="ops") == 1
    assert deliver(w, FakeClock(NEXT_MORNING + timedelta(minutes=1))).sent == 1


def test_concurrent_assemblers_on_postgresql_write_one_digest(pg_url: str,
                                                              tmp_path: Path) -> None:
    engine = open_store(pg_url)
    w = breached_world(engine, tmp_path, pg_url, {"c": {"type": "console"}}, daily("c"),
                       orgs=ORGS)
    results: list[list[str]] = []
    barrier = threading.Barrier(4)

    def assemble() -> None:
        barrier.wait()
        results.append(digest.assemble_due(engine, w.settings, at=NEXT_MORNING))

    threads = [threading.Thread(target=assemble) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert len(w.keys("c", DIGEST)) == 1
    assert {n.status for n in w.notifications() if n.kind != DIGEST} == {"digested"}
    engine.dispose()
