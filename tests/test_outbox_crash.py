"""Crash safety and concurrency, with real deliverer processes.

* A deliverer killed with SIGKILL mid-batch (while the servers are slow) loses nothing: a
  second run reclaims its expired leases, and every notification arrives; Slack (read back
  before a retry) exactly once by the server's count, the webhook each idempotency key once
  after the receiver's deduplication (raw repeats bounded by what was in flight, plus results
  not yet written, when it died).
* The same for a console channel writing a file: the file is read back before a retry (each
  message one whole line), so every key is in it exactly once by line count.
* The channels that cannot be read back (webhook, Teams, email) after the same kill: every
  repeat carries the notification's idempotency key (``Idempotency-Key``, ``Message-ID``), so
  a receiver deduping with :class:`connectors.channels.receiving.Deduper` acts on each key
  exactly once; the raw repeats are counted and bounded by what was in flight.
* Two deliverers on one PostgreSQL store at once never send the same row twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from assurance.db import open_store
from channel_support import hostile_message
from connectors.channels.console import ConsoleChannel
from connectors.channels.email import message_id
from connectors.channels.receiving import Deduper, mail_key, teams_key, webhook_key
from outbox_support import (
    ENV,
    HOOK_SECRET,
    FakeClock,
    breached_world,
    build_channels,
    deliver,
    deliver_now,
    hook_keys,
    hook_table,
    kill_deliverer_when,
    mail_table,
    max_in_window,
    once_each,
    real_now,
    run_deliverers,
    slack_keys,
    slack_table,
    subscriptions,
)
from servers import FakeSlackServer, Misbehaviour, SmtpServer, WebhookReceiver


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A SQLite store in a file (its URL and engine), which deliverer processes can share."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url)
    yield url, engine
    engine.dispose()


@pytest.mark.slow
def test_a_deliverer_killed_mid_batch_loses_nothing_and_resends_only_what_was_in_flight(
        tmp_path: Path, file_store: tuple[str, Engine]) -> None:
    url, engine = file_store
    orgs = [f"SYT{i:02d}" for i in range(1, 11)]
    with FakeSlackServer() as slack, WebhookReceiver(status=200) as hook:
        channels = {"slack": slack_table(slack), "hook": hook_table(hook)}
        w = breached_world(engine, tmp_path, url, channels, subscriptions("slack", "hook"),
                           orgs=orgs)
        slack.misbehave("chat.postMessage", *[Misbehaviour.slow(0.3)] * 20)
        hook.misbehave("/hook", *[Misbehaviour.slow(0.3)] * 20)
        kill_deliverer_when({"url": url, "channels": channels, "rate": 50, "lease": 1.0},
                            lambda: len(hook.received) >= 4 and len(slack.received) >= 4)
        report = deliver_now(w, per_channel_rate=50, wait_for_retries=10)
        slack_received, hook_received = slack_keys(slack), hook_keys(hook)
    assert report.pending == 0 and {n.status for n in w.notifications()} == {"sent"}
    for got, channel in ((hook_received, "hook"), (slack_received, "slack")):
        received, unique, duplicates = once_each(got, w.keys(channel))  # dedupe count == total
        print(f"{channel}: {received} received, {unique} keys, {duplicates} raw repeats")
        assert unique == len(orgs)
        if channel == "slack":
            # Slack is read back before a reclaimed row is retried: nothing is posted twice.
            assert duplicates == 0, received
        else:
            # The webhook is not read back: at most the message in flight when the process
            # died, plus one sent in the last 0.2 s whose result was not yet written (a
            # message takes 0.3 s here), arrive again — with the same Idempotency-Key, which
            # the receiver dedupes on.
            assert duplicates <= 2, (channel, received)
    assert report.found_sent <= 2


@pytest.mark.slow
def test_after_a_kill_receivers_that_dedupe_act_on_each_webhook_teams_and_email_key_once(
        tmp_path: Path, file_store: tuple[str, Engine]) -> None:
    url, engine = file_store
    orgs = [f"SYT{i:02d}" for i in range(1, 21)]
    with (WebhookReceiver(status=200) as hook, WebhookReceiver(status=202) as teams,
          SmtpServer() as mail):
        env = {"TEAMS_URL": f"{teams.url}/teams"}
        channels = {"hook": hook_table(hook),
                    "teams": {"type": "teams", "url_env": "TEAMS_URL", "timeout": 5},
                    "mail": mail_table(mail)}
        w = breached_world(engine, tmp_path, url, channels,
                           subscriptions("hook", "teams", "mail"), orgs=orgs)
        hook.misbehave("/hook", *[Misbehaviour.slow(0.3)] * 40)
        teams.misbehave("/teams", *[Misbehaviour.slow(0.3)] * 40)
        kill_deliverer_when(
            {"url": url, "channels": channels, "rate": 20, "lease": 1.0, "env": env},
            lambda: len(hook.received) + len(teams.received) + len(mail.messages) >= 12)
        report = deliver_now(w, build_channels(w.settings, {**ENV, **env}),
                             per_channel_rate=500, wait_for_retries=10)
        at = time.time()
        received = {
            "hook": [webhook_key(HOOK_SECRET, r.body, r.headers, now=at)
                     for r in hook.delivered()],
            "teams": [teams_key(r.headers) for r in teams.delivered()],
            "mail": [mail_key(m.message) for m in mail.messages]}
        hook_bodies = [(r.headers["idempotency-key"], r.json()["idempotency_key"])
                       for r in hook.delivered()]
    assert report.pending == 0 and {n.status for n in w.notifications()} == {"sent"}
    counts = {}
    for channel, keys in received.items():
        expected = w.keys(channel)
        if channel == "mail":  # the Message-ID is <key@domain of from>, characters encoded
            expected = {message_id(k, "trust.nhs.uk")[1:-1] for k in expected}
        seen = Deduper(tmp_path / f"{channel}-received.log")
        acted = [k for k in keys if seen.first(k)]
        # A receiver restarted after the repeats (its log read back) acts on none of them.
        assert not [k for k in keys if Deduper(seen.log).first(k)]
        raw, unique, duplicates = once_each(keys, expected)
        assert unique == len(orgs) and len(acted) == unique
        assert seen.dropped == duplicates == raw - unique
        # Repeats are bounded by what was in flight when the deliverer died.
        assert duplicates <= 3, (channel, keys)
        counts[channel] = (raw, unique, duplicates, len(acted) - unique)
    assert all(h == b for h, b in hook_bodies)  # the header is the body's key on every copy
    print("receiver counts (raw, unique, repeats dropped, duplicates acted on):", counts)
    assert all(c[3] == 0 for c in counts.values())


def file_keys(path: Path) -> list[str]:
    """The idempotency key of every whole JSON line in a console channel's file (a torn last
    line, cut off by the kill, is not a delivered message)."""
    keys = []
    for line in path.read_bytes().split(b"\n"):
        try:
            keys.append(json.loads(line)["idempotency_key"])
        except ValueError:
            continue
    return keys


@pytest.mark.slow
def test_a_deliverer_killed_mid_batch_writes_nothing_twice_to_a_console_file(
        tmp_path: Path, file_store: tuple[str, Engine]) -> None:
    url, engine = file_store
    orgs = [f"SYT{i:02d}" for i in range(1, 61)]
    out = tmp_path / "notifications.jsonl"
    channels = {"file": {"type": "console", "path": str(out)}}
    w = breached_world(engine, tmp_path, url, channels, subscriptions("file"), orgs=orgs)
    # 20 a second, in one batch: the kill lands with lines written whose results are not yet.
    kill_deliverer_when({"url": url, "channels": channels, "rate": 20, "lease": 1.0},
                        lambda: out.exists() and len(file_keys(out)) >= 10)
    written_before_restart = len(file_keys(out))
    report = deliver_now(w, per_channel_rate=500, wait_for_retries=10)
    assert report.pending == 0 and {n.status for n in w.notifications()} == {"sent"}
    received, unique, duplicates = once_each(file_keys(out), w.keys())
    print(f"console: {written_before_restart} lines before the restart, {received} after, "
          f"{unique} keys, {duplicates} duplicates, {report.found_sent} found already sent")
    assert unique == len(orgs)
    assert duplicates == 0, received
    # Lines the killed process wrote but had not recorded were read back, not written again
    # (before the file was read back, these were the duplicates: 3 in this run).
    assert 1 <= report.found_sent < written_before_restart


def test_a_torn_last_line_is_no_message_and_the_next_one_starts_on_its_own_line(
        tmp_path: Path) -> None:
    out = tmp_path / "notifications.jsonl"
    channel = ConsoleChannel("file", out)
    first, second = (hostile_message(idempotency_key=f"key-{n}") for n in (1, 2))
    channel.send(first, None)
    with out.open("ab") as fh:  # what a kill mid-write would leave: half of the next line
        fh.write(out.read_bytes()[:-10].replace(b"key-1", b"key-2"))
    assert channel.find_sent(first, None, real_now()) is not None
    assert channel.find_sent(second, None, real_now()) is None
    channel.send(second, None)
    assert file_keys(out) == ["key-1", "key-2"]
    assert channel.find_sent(second, None, real_now()) is not None
    assert ConsoleChannel("file", out).find_sent(second, None, real_now()) is not None


@pytest.mark.postgres
@pytest.mark.slow
def test_two_deliverers_on_postgresql_never_send_the_same_row_twice(
        pg_url: str, tmp_path: Path) -> None:
    engine = open_store(pg_url)
    orgs = [f"SYT{i:02d}" for i in range(1, 11)]
    with WebhookReceiver(status=200) as hook:
        # A deliverer keeps the channels it is sending on, so with more channels than one
        # claim takes (batch 4) the two share the work and contend for the same rows.
        channels = {f"h{i}": hook_table(hook, f"/h{i}") for i in range(12)}
        w = breached_world(engine, tmp_path, pg_url, channels, subscriptions(*channels),
                           orgs=orgs)
        reports = run_deliverers({"url": pg_url, "channels": channels, "rate": 500, "batch": 4},
                                 "left", "right")
        received = hook_keys(hook)
    expected = w.keys()
    total, unique, duplicates = once_each(received, expected)
    assert total == unique == len(expected) == 120 and duplicates == 0
    assert sum(r["sent"] for r in reports) == 120
    assert all(r["sent"] > 0 for r in reports), reports  # both took part
    engine.dispose()


@pytest.mark.slow
def test_sqlite_deliverers_take_turns_without_sending_a_row_twice(
        tmp_path: Path, file_store: tuple[str, Engine]) -> None:
    url, engine = file_store
    with WebhookReceiver(status=200) as hook:
        channels = {f"h{i}": hook_table(hook, f"/h{i}") for i in range(2)}
        w = breached_world(engine, tmp_path, url, channels, subscriptions(*channels),
                           orgs=[f"SYT{i:02d}" for i in range(1, 16)])
        run_deliverers({"url": url, "channels": channels, "rate": 500, "batch": 5}, "a", "b")
        received = hook_keys(hook)
    total, unique, duplicates = once_each(received, w.keys())
    assert total == unique == 30 and duplicates == 0


def test_a_stopped_deliverer_gives_its_unsent_claims_back(engine: Engine, tmp_path: Path) -> None:
    with WebhookReceiver(status=200) as hook:
        channels = {"hook": hook_table(hook)}
        w = breached_world(engine, tmp_path, "sqlite://", channels, subscriptions("hook"),
                           orgs=[f"SYT{i:02d}" for i in range(1, 6)])
        calls, clock = iter(range(1000)), FakeClock()
        report = deliver(w, clock, per_channel_rate=1.0, wait_for_retries=0.0,
                         should_stop=lambda: next(calls) >= 4)
    assert report.sent >= 1 and report.sent + report.pending == 5
    assert {n.status for n in w.notifications()} <= {"sent", "pending"}


@pytest.mark.slow
def test_two_deliverers_sharing_a_channel_still_keep_to_its_rate(store_url: str,
                                                                tmp_path: Path) -> None:
    engine = open_store(store_url)
    rate = 5
    with FakeSlackServer() as slack:
        channels = {"slack": slack_table(slack, rate_per_second=rate)}
        w = breached_world(engine, tmp_path, store_url, channels, subscriptions("slack"),
                           orgs=[f"SYT{i:02d}" for i in range(1, 16)])
        run_deliverers({"url": store_url, "channels": channels, "rate": rate, "batch": 3,
                        "lease": 3.0}, "a", "b")
        times, received = list(slack.post_times["C0001"]), slack_keys(slack)
    total, unique, duplicates = once_each(received, w.keys())
    assert total == unique == 15 and duplicates == 0
    assert max_in_window(times) <= rate
    engine.dispose()
