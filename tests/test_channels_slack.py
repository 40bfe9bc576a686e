"""Slack channel against a fake Slack Web API on loopback, through the real slack_sdk client."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from slack_sdk import WebClient

from assurance.channels import ChannelError, ThreadRef
from channel_support import hostile_message
from connectors.channels import ChannelConfigError, slack
from connectors.channels.slack import SlackChannel
from servers import FakeSlackServer, Misbehaviour

pytest_plugins = ["conftest_servers"]

TOKEN = "xoxb-test-token"


# A finding message with hostile data in every free-text field.
finding = partial(
    hostile_message, headline="Relative likelihood 1.62 (95% CI 1.31-2.01) @here",
    why="Outside the non-adverse range <script>alert(1)</script>",
    action="Review shortlisting [x](http://evil) @channel",
    report_url="https://reports.example.nhs.uk/rxx/2024",
    facts=(("White appointed", "30%"), ("BME appointed", "* <!here>")))


Make = Callable[..., SlackChannel]


@pytest.fixture
def make(slack_server: FakeSlackServer) -> Make:
    def _make(env: dict[str, str] | None = None, **options: Any) -> SlackChannel:
        table = {"type": "slack", "channel": "C0123", "token_env": "SLACK_BOT_TOKEN",
                 "base_url": slack_server.base_url, "retry_backoff": 0.01, **options}
        return slack.build("alerts", table, env or {"SLACK_BOT_TOKEN": TOKEN})
    return _make


def texts(doc: Any) -> list[str]:
    """Every ``text`` string anywhere in a Block Kit payload."""
    if isinstance(doc, dict):
        return [v for k, v in doc.items() if k == "text" and isinstance(v, str)] + [
            t for v in doc.values() for t in texts(v)]
    if isinstance(doc, list):
        return [t for v in doc for t in texts(v)]
    return []


def test_first_message_posts_block_kit_and_returns_channel_and_ts(
        make: Make, slack_server: FakeSlackServer) -> None:
    result = make().send(finding(), None)
    (call,) = slack_server.calls("chat.postMessage")
    params = call.params()
    assert result.provider_message_id == "C0123:1700000000.000001"
    assert result.extra == {"channel": "C0123", "ts": "1700000000.000001"}
    assert params["unfurl_links"] is False and params["unfurl_media"] is False
    assert "link_names" not in params and "thread_ts" not in params
    assert params["text"]  # notification fallback always set
    types = [b["type"] for b in params["blocks"]]
    assert types[0] == "header" and "actions" in types and types[-1] == "context"
    button = next(b for b in params["blocks"] if b["type"] == "actions")["elements"][0]
    assert button["url"] == "https://reports.example.nhs.uk/rxx/2024"
    everything = "\n".join(texts(params["blocks"]))
    assert "HIGH" in everything and "↑ rising" in everything  # words, never colour alone
    assert "SYNTHETIC DEMO DATA" in everything and "SYNTHETIC DEMO DATA" in params["text"]
    assert "*Why it matters*" in everything and "*What to do*" in everything


def test_hostile_data_cannot_ping_link_or_mark_up(make: Make,
                                                  slack_server: FakeSlackServer) -> None:
    make().send(finding(), None)
    params = slack_server.calls("chat.postMessage")[0].params()
    for text in [params["text"], *texts(params["blocks"])]:
        assert "<" not in text and ">" not in text, text  # no <!channel>, <@U…>, <url|x>
        assert re.search(r"@(here|channel|everyone)\b", text) is None, text
    mrkdwn = [o for o in _objects(params["blocks"]) if o.get("type") == "mrkdwn"]
    assert mrkdwn and all(o["verbatim"] is True for o in mrkdwn)


def _objects(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, dict):
        return [doc] + [o for v in doc.values() for o in _objects(v)]
    if isinstance(doc, list):
        return [o for v in doc for o in _objects(v)]
    return []


def test_later_event_updates_the_parent_and_replies_in_its_thread(
        make: Make, slack_server: FakeSlackServer) -> None:
    channel = make()
    first = channel.send(finding(), None)
    resolved = finding(event="resolved", state="ok", idempotency_key="k2", trend="down")
    reply = channel.send(resolved, ThreadRef(first.provider_message_id))
    parent_ts = first.provider_message_id.split(":")[1]
    (update,) = slack_server.calls("chat.update")
    assert update.params()["ts"] == parent_ts
    assert "Resolved" in "\n".join(texts(update.params()["blocks"]))
    posts = slack_server.calls("chat.postMessage")
    assert posts[1].params()["thread_ts"] == parent_ts
    assert reply.provider_message_id != first.provider_message_id
    assert reply.extra["thread_ts"] == parent_ts
    assert slack_server.messages[("C0123", parent_ts)]["edited"]


def test_parent_that_is_gone_does_not_stop_the_reply(make: Make,
                                                     slack_server: FakeSlackServer) -> None:
    result = make().send(finding(event="repeat"), ThreadRef("C0123:1600000000.000001"))
    assert slack_server.calls("chat.update")[0].answer == "200"
    assert result.extra["thread_ts"] == "1600000000.000001"
    assert len(slack_server.calls("chat.postMessage")) == 1


def test_parent_update_failing_retryably_posts_no_reply_so_a_retry_cannot_duplicate_it(
        make: Make, slack_server: FakeSlackServer) -> None:
    channel = make(max_retries=0)
    first = channel.send(finding(), None)
    slack_server.misbehave("chat.update", Misbehaviour.http(503))
    with pytest.raises(ChannelError) as caught:
        channel.send(finding(event="escalated"), ThreadRef(first.provider_message_id))
    assert caught.value.retryable
    assert len(slack_server.calls("chat.postMessage")) == 1


def test_escalation_reply_is_broadcast_to_the_channel(make: Make,
                                                      slack_server: FakeSlackServer) -> None:
    channel = make()
    first = channel.send(finding(), None)
    channel.send(finding(event="escalated", level="board"), ThreadRef(first.provider_message_id))
    assert slack_server.calls("chat.postMessage")[1].params()["reply_broadcast"] is True


def test_rate_limit_waits_retry_after_before_retrying(make: Make,
                                                      slack_server: FakeSlackServer) -> None:
    slack_server.misbehave("chat.postMessage", Misbehaviour.http(429, retry_after=1))
    make().send(finding(), None)
    first, second = slack_server.calls("chat.postMessage")
    assert (first.answer, second.answer) == ("429", "200")
    assert second.at - first.at >= 1.0


@pytest.mark.parametrize(("options", "retry_after"), [
    pytest.param({"max_retries": 0}, 1, id="beyond-the-retries"),
    pytest.param({"max_retry_wait": 30}, 120, id="longer-than-the-longest-wait"),
])
def test_a_rate_limit_not_waited_out_goes_back_to_the_outbox_with_retry_after(
        make: Make, slack_server: FakeSlackServer, options: dict[str, Any],
        retry_after: int) -> None:
    slack_server.misbehave("chat.postMessage", Misbehaviour.http(429, retry_after=retry_after))
    with pytest.raises(ChannelError) as caught:
        make(**options).send(finding(), None)
    assert caught.value.retryable and caught.value.retry_after == float(retry_after)
    assert len(slack_server.calls("chat.postMessage")) == 1  # no wait, no retry here


def test_not_in_channel_says_to_invite_the_bot(make: Make,
                                               slack_server: FakeSlackServer) -> None:
    slack_server.misbehave("chat.postMessage", Misbehaviour.slack_error("not_in_channel"))
    with pytest.raises(ChannelError) as caught:
        make().send(finding(), None)
    assert not caught.value.retryable
    assert "invite the bot to the channel (/invite @app" in str(caught.value)


def test_channel_not_found_is_not_retryable_and_names_the_option(
        make: Make, slack_server: FakeSlackServer) -> None:
    slack_server.misbehave("chat.postMessage", Misbehaviour.slack_error("channel_not_found"))
    with pytest.raises(ChannelError, match=r"channels\.alerts\.channel") as caught:
        make().send(finding(), None)
    assert not caught.value.retryable


def test_refused_token_is_not_retryable_and_never_shown(make: Make) -> None:
    secret = "xoxb-wrong-secret-value"
    channel = make(env={"SLACK_BOT_TOKEN": secret})
    with pytest.raises(ChannelError) as caught:
        channel.send(finding(), None)
    assert not caught.value.retryable and "invalid_auth" in str(caught.value)
    assert secret not in str(caught.value) and secret not in repr(channel)


def test_a_dropped_post_goes_back_to_the_outbox_rather_than_risking_a_second_post(
        make: Make, slack_server: FakeSlackServer) -> None:
    # Slack may have posted before the connection dropped: repeating chat.postMessage here
    # could post twice. The outbox retries it after find_sent has read the channel back.
    slack_server.misbehave("chat.postMessage", Misbehaviour.drop())
    with pytest.raises(ChannelError) as caught:
        make().send(finding(), None)
    assert caught.value.retryable
    assert [c.answer for c in slack_server.calls("chat.postMessage")] == ["dropped"]


def test_calls_safe_to_repeat_are_retried_in_process(make: Make,
                                                     slack_server: FakeSlackServer) -> None:
    channel = make(max_retries=2)
    first = channel.send(finding(), None)
    slack_server.misbehave("chat.update", Misbehaviour.drop(), Misbehaviour.http(503))
    channel.send(finding(event="resolved", idempotency_key="k2"),
                 ThreadRef(first.provider_message_id, first.extra))
    assert [c.answer for c in slack_server.calls("chat.update")] == ["dropped", "503", "200"]
    assert len(slack_server.calls("chat.postMessage")) == 2


def test_server_errors_on_a_post_are_reported_retryable_without_posting_again(
        make: Make, slack_server: FakeSlackServer) -> None:
    slack_server.misbehave("chat.postMessage", *[Misbehaviour.http(503)] * 3)
    with pytest.raises(ChannelError) as caught:
        make(max_retries=2).send(finding(), None)
    assert caught.value.retryable
    assert len(slack_server.calls("chat.postMessage")) == 1


def test_find_sent_reads_the_channel_back_for_the_idempotency_key(
        make: Make, slack_server: FakeSlackServer) -> None:
    channel = make()
    since = datetime.now(UTC)
    first = channel.send(finding(), None)
    assert channel.find_sent(finding(), None, since) == first
    assert channel.find_sent(finding(idempotency_key="never-sent"), None, since) is None
    reply = finding(event="resolved", idempotency_key="k-reply")
    thread = ThreadRef(first.provider_message_id, first.extra)
    assert channel.find_sent(reply, thread, since) is None
    sent = channel.send(reply, thread)
    assert channel.find_sent(reply, thread, since) == sent
    calls = slack_server.calls("conversations.history") + slack_server.calls(
        "conversations.replies")
    assert len(calls) == 4
    assert all(c.params()["include_all_metadata"] in ("true", "1", "True") for c in calls)


def test_find_sent_without_the_history_scope_lets_the_retry_go_ahead(
        make: Make, slack_server: FakeSlackServer) -> None:
    slack_server.misbehave("conversations.history", Misbehaviour.slack_error("missing_scope"))
    assert make().find_sent(finding(), None, datetime.now(UTC)) is None


def test_slow_reply_times_out_as_retryable(make: Make, slack_server: FakeSlackServer) -> None:
    slack_server.misbehave("chat.postMessage", Misbehaviour.slow(1.5))
    with pytest.raises(ChannelError) as caught:
        make(timeout=1, max_retries=0).send(finding(), None)
    assert caught.value.retryable


def test_unreachable_slack_is_retryable() -> None:
    table = {"type": "slack", "channel": "C1", "token_env": "T", "base_url": "http://127.0.0.1:9/",
             "max_retries": 0}
    with pytest.raises(ChannelError) as caught:
        slack.build("alerts", table, {"T": TOKEN}).send(finding(), None)
    assert caught.value.retryable


def test_validate_reports_every_problem_with_hints() -> None:
    problems = slack.validate("alerts", {"type": "slack", "chanel": "C1", "token_env": "MISSING",
                                         "base_url": "http://slack.example/api/"}, {})
    text = "\n".join(problems)
    assert "channels.alerts.chanel: unknown option" in text and "did you mean 'channel'" in text
    assert "channels.alerts.channel: missing" in text
    assert "channels.alerts.token_env: environment variable MISSING is not set" in text
    assert "channels.alerts.base_url:" in text and "not loopback" in text
    with pytest.raises(ChannelConfigError) as caught:
        slack.build("alerts", {"type": "slack"}, {})
    assert len(caught.value.problems) == 2


def test_check_is_offline(make: Make, slack_server: FakeSlackServer) -> None:
    assert make().check() == []
    assert make(env={"SLACK_BOT_TOKEN": "not-a-token"}).check()
    assert slack_server.received == []


def test_fake_server_speaks_auth_test_to_the_real_client(slack_server: FakeSlackServer) -> None:
    client = WebClient(token=TOKEN, base_url=slack_server.base_url)
    assert client.auth_test()["user_id"] == "U0001"


def test_fake_server_records_per_channel_post_times_and_enforces_its_limit() -> None:
    with FakeSlackServer(min_interval=1.0) as server:
        channel = slack.build("a", {"type": "slack", "channel": "C9", "token_env": "T",
                                    "base_url": server.base_url, "max_retries": 0}, {"T": TOKEN})
        channel.send(finding(), None)
        with pytest.raises(ChannelError) as caught:
            channel.send(finding(), None)
        assert caught.value.retry_after == 1.0
        assert len(server.post_times["C9"]) == 2
