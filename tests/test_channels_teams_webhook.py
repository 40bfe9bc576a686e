"""Teams (Workflows webhook + Adaptive Card) and signed webhook channels, on a loopback receiver."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
from functools import partial
from typing import Any

import pytest

from assurance.channels import ChannelError, OutboundMessage, ThreadRef
from channel_support import HOSTILE_ORG, hostile_message
from connectors.channels import teams, webhook
from servers import Misbehaviour, WebhookReceiver

pytest_plugins = ["conftest_servers"]

SECRET = "whsec-not-for-your-eyes"


# A finding message with hostile data in its free-text fields.
finding = partial(
    hostile_message, why="**Outside** the range <script>alert(1)</script>",
    action="See [x](http://evil) @here\x1b[2J", synthetic=False)


def teams_channel(receiver: WebhookReceiver, path: str = "/workflows/abc?sig=s3cr3t",
                  **options: Any) -> teams.TeamsChannel:
    table = {"type": "teams", "url_env": "TEAMS_URL", "timeout": 2, **options}
    return teams.build("nhs-edi", table, {"TEAMS_URL": receiver.url + path})


def webhook_channel(receiver: WebhookReceiver, **options: Any) -> webhook.WebhookChannel:
    table = {"type": "webhook", "url": receiver.url + "/hook", "secret_env": "HOOK_SECRET",
             **options}
    return webhook.build("relay", table, {"HOOK_SECRET": SECRET})


def card_texts(card: Any) -> list[str]:
    """Every text a person sees in an Adaptive Card (TextBlock text, fact titles and values)."""
    if isinstance(card, dict):
        own = [card[k] for k in ("text", "title", "value") if isinstance(card.get(k), str)]
        return own + [t for v in card.values() for t in card_texts(v)]
    if isinstance(card, list):
        return [t for v in card for t in card_texts(v)]
    return []


# --- Teams ------------------------------------------------------------------------------------


def test_teams_posts_an_adaptive_card_1_4_in_a_message_envelope(
        webhook_receiver: WebhookReceiver) -> None:
    teams_channel(webhook_receiver).send(finding(), None)
    (request,) = webhook_receiver.received
    doc = request.json()
    assert doc["type"] == "message"
    (attachment,) = doc["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet"
             for f in b["facts"]}
    assert facts["Reference"] == "wres.2.adverse/RXX"  # no threads in Teams: searchable key
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open report",
                                "url": "https://reports.example/rxx"}]
    assert any("HIGH" in t for t in card_texts(card))  # severity as a word, not colour alone


def test_teams_card_text_cannot_inject_markup(webhook_receiver: WebhookReceiver) -> None:
    teams_channel(webhook_receiver).send(finding(), None)
    card = webhook_receiver.received[0].json()["attachments"][0]["content"]
    data_texts = [t for t in card_texts(card) if t not in ("**Why it matters**",
                                                           "**What to do**", "Open report")]
    for text in data_texts:
        assert re.search(r"(?<!\\)[\[\]<>*_`]", text) is None, text
        assert "http://" not in text and "\x1b" not in text, text


def test_teams_rate_limit_is_retryable_with_retry_after(
        webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.misbehave("/workflows/abc", Misbehaviour.http(429, retry_after=1))
    with pytest.raises(ChannelError) as caught:
        teams_channel(webhook_receiver).send(finding(), None)
    assert caught.value.retryable and caught.value.retry_after == 1.0


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_teams_server_errors_are_retryable(webhook_receiver: WebhookReceiver,
                                           status: int) -> None:
    webhook_receiver.misbehave("/workflows/abc", Misbehaviour.http(status))
    with pytest.raises(ChannelError) as caught:
        teams_channel(webhook_receiver).send(finding(), None)
    assert caught.value.retryable


def test_teams_client_error_is_final_with_status_and_excerpt_but_no_url(
        webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.misbehave("/workflows/abc", Misbehaviour.http(
        400, body=b'{"error":{"code":"InvalidTemplate","message":"card is not valid"}}'))
    channel = teams_channel(webhook_receiver)
    with pytest.raises(ChannelError) as caught:
        channel.send(finding(), None)
    message = str(caught.value)
    assert not caught.value.retryable
    assert "HTTP 400" in message and "InvalidTemplate" in message
    assert "s3cr3t" not in message and "s3cr3t" not in repr(channel)


def test_teams_dropped_connection_is_retryable(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.misbehave("/workflows/abc", Misbehaviour.drop())
    with pytest.raises(ChannelError) as caught:
        teams_channel(webhook_receiver).send(finding(), None)
    assert caught.value.retryable


def test_teams_slow_receiver_times_out_as_retryable(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.misbehave("/workflows/abc", Misbehaviour.slow(1.0))
    with pytest.raises(ChannelError) as caught:
        teams_channel(webhook_receiver, timeout=0.3).send(finding(), None)
    assert caught.value.retryable


def test_teams_message_id_is_a_response_header_or_the_body_hash() -> None:
    with WebhookReceiver(headers={"x-ms-workflow-run-id": "run-42"}) as receiver:
        assert teams_channel(receiver).send(finding(), None).provider_message_id == "run-42"
    with WebhookReceiver() as receiver:
        result = teams_channel(receiver).send(finding(), None)
        assert result.provider_message_id == hashlib.sha256(receiver.received[0].body).hexdigest()


def test_teams_validate_hides_the_url_it_rejects() -> None:
    secret_url = "http://teams.example/workflows?sig=s3cr3t"
    problems = teams.validate("t", {"type": "teams", "url_env": "U"}, {"U": secret_url})
    assert problems and "the URL in U" in problems[0] and "s3cr3t" not in problems[0]
    assert teams.validate("t", {"type": "teams", "url_env": "U"}, {}) == [
        "channels.t.url_env: environment variable U is not set or empty; "
        "expected the Teams Workflows webhook URL in it"]


# --- signed webhook ---------------------------------------------------------------------------


def test_webhook_body_is_signed_with_hmac_sha256_of_the_raw_body(
        webhook_receiver: WebhookReceiver) -> None:
    webhook_channel(webhook_receiver).send(finding(), None)
    (request,) = webhook_receiver.received
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-assurance-signature"], f"sha256={expected}")
    assert request.headers["idempotency-key"] == "wres.2.adverse/RXX/2024/opened"
    assert request.headers["x-assurance-timestamp"].isdigit()
    assert request.headers["content-type"].startswith("application/json")


def test_webhook_document_is_the_message_plus_schema_and_thread(
        webhook_receiver: WebhookReceiver) -> None:
    webhook_channel(webhook_receiver).send(finding(event="resolved"), ThreadRef("abc"))
    doc = webhook_receiver.received[0].json()
    assert doc["schema"] == "assurance.notification/v1"
    assert doc["organisation_name"] == HOSTILE_ORG  # JSON needs no escaping, data is intact
    assert doc["action"] == "See [x](http://evil) @here[2J"  # but control characters go
    assert doc["facts"] == [["BME appointed", "* of 12"]]
    assert doc["thread"] == {"provider_message_id": "abc", "extra": {}}
    assert set(doc) >= {f.name for f in dataclasses.fields(OutboundMessage)}


def test_webhook_tampered_body_fails_verification(webhook_receiver: WebhookReceiver) -> None:
    webhook_channel(webhook_receiver).send(finding(), None)
    request = webhook_receiver.received[0]
    tampered = json.dumps({**request.json(), "severity": "low"}).encode()
    forged = "sha256=" + hmac.new(SECRET.encode(), tampered, hashlib.sha256).hexdigest()
    assert forged != request.headers["x-assurance-signature"]


def test_webhook_shares_teams_status_handling(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.misbehave("/hook", Misbehaviour.http(429, retry_after=1),
                               Misbehaviour.http(404, body=b"no such hook"))
    channel = webhook_channel(webhook_receiver)
    with pytest.raises(ChannelError) as limited:
        channel.send(finding(), None)
    with pytest.raises(ChannelError) as missing:
        channel.send(finding(), None)
    assert limited.value.retryable and limited.value.retry_after == 1.0
    assert not missing.value.retryable and "no such hook" in str(missing.value)
    assert SECRET not in str(missing.value) + repr(channel)


def test_webhook_does_not_follow_redirects(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.misbehave("/hook", Misbehaviour.http(307))
    with pytest.raises(ChannelError) as caught:
        webhook_channel(webhook_receiver).send(finding(), None)
    assert not caught.value.retryable and len(webhook_receiver.received) == 1


@pytest.mark.parametrize("url,ok", [
    ("https://hooks.example.org/x", True),
    ("http://127.0.0.1:8080/x", True),
    ("http://localhost/x", True),
    ("http://[::1]:9/x", True),
    ("http://hooks.example.org/x", False),
    ("ftp://127.0.0.1/x", False),
    ("hooks.example.org/x", False),
])
def test_webhook_url_must_be_https_or_loopback_http(url: str, ok: bool) -> None:
    problems = webhook.validate("relay", {"type": "webhook", "url": url, "secret_env": "S"},
                                {"S": SECRET})
    assert (problems == []) is ok, problems


def test_webhook_needs_a_secret_and_exactly_one_url() -> None:
    problems = webhook.validate("relay", {"type": "webhook", "url": "https://a.example",
                                          "url_env": "U", "secret_env": "S"}, {"U": "x"})
    text = "\n".join(problems)
    assert "exactly one of url or url_env" in text
    assert "channels.relay.secret_env: environment variable S is not set" in text
