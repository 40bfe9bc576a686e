"""The receiving end (connectors.channels.receiving): real deliveries from the webhook, Teams and
email channels, sent twice as a retry after a crash would, are each acted on once; forged,
stale and keyless deliveries are refused."""

from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from channel_support import hostile_message
from connectors.channels import build_channel
from connectors.channels.receiving import (
    Deduper,
    ReceiveError,
    mail_key,
    teams_key,
    webhook_key,
)
from connectors.channels.teams import TeamsChannel
from connectors.channels.webhook import WebhookChannel, sign
from outbox_support import mail_table
from servers import SmtpServer, WebhookReceiver

SECRET = "s3cret"


def test_a_webhook_retry_is_authentic_and_dropped_as_a_repeat(tmp_path: Path) -> None:
    with WebhookReceiver(status=200) as server:
        channel = WebhookChannel("hook", f"{server.url}/hook", SECRET)
        first, other = (hostile_message(idempotency_key=k) for k in ("k-1", "k-2"))
        for m in (first, first, other, first):
            channel.send(m, None)
        got = server.delivered()
    seen = Deduper(tmp_path / "keys.log")
    acted = [k for r in got if seen.first(k := webhook_key(SECRET, r.body, r.headers,
                                                           now=time.time()))]
    assert acted == ["k-1", "k-2"] and (seen.accepted, seen.dropped) == (2, 2)
    restarted = Deduper(tmp_path / "keys.log")  # the log is read back on start
    assert not restarted.first("k-1") and restarted.first("k-3")


def test_forged_stale_and_keyless_webhook_requests_are_refused() -> None:
    body = b'{"idempotency_key": "k-1"}'
    now = time.time()
    good = {"X-Assurance-Signature": sign(SECRET, body), "X-Assurance-Timestamp": str(int(now)),
            "Idempotency-Key": "k-1"}
    assert webhook_key(SECRET, body, good, now=now) == "k-1"
    for headers, why in (
            ({**good, "X-Assurance-Signature": sign("other", body)}, "does not match"),
            ({**good, "X-Assurance-Timestamp": str(int(now) - 3600)}, "s old"),
            ({**good, "X-Assurance-Timestamp": "soon"}, "not a number"),
            ({k: v for k, v in good.items() if k != "Idempotency-Key"}, "no Idempotency-Key")):
        with pytest.raises(ReceiveError, match=why):
            webhook_key(SECRET, body, headers, now=now)
    with pytest.raises(ReceiveError, match="does not match"):
        webhook_key(SECRET, body + b" ", good, now=now)


def test_a_teams_retry_carries_the_same_key() -> None:
    with WebhookReceiver(status=202) as server:
        channel = TeamsChannel("teams", f"{server.url}/teams")
        m = hostile_message(idempotency_key="t-1")
        channel.send(m, None)
        channel.send(m, None)
        keys = [teams_key(r.headers) for r in server.delivered()]
    assert keys == ["t-1", "t-1"]
    seen = Deduper()
    assert [seen.first(k) for k in keys] == [True, False]
    with pytest.raises(ReceiveError):
        teams_key({})


def test_an_email_retry_has_the_same_message_id_and_is_dropped() -> None:
    with SmtpServer() as server:
        channel = build_channel("mail", mail_table(server), {})
        m = hostile_message(idempotency_key="m-1")
        channel.send(m, None)
        channel.send(m, None)
        keys = [mail_key(r.message) for r in server.messages]
    assert keys[0] == keys[1] and keys[0].startswith("m-1@")
    seen = Deduper()
    assert [seen.first(k) for k in keys] == [True, False]
    with pytest.raises(ReceiveError, match="Message-ID"):
        mail_key(EmailMessage())


@pytest.mark.parametrize("key", ["", "a\nb", "x" * 513])
def test_a_key_that_is_not_one_short_line_is_refused(key: str) -> None:
    with pytest.raises(ReceiveError):
        Deduper().first(key)
