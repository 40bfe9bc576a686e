"""Slack channel: Block Kit messages through ``slack_sdk.WebClient``, one thread per finding.

A finding's first message goes to the configured channel; its ``channel:ts`` is the thread
reference. Each later event updates that parent (``chat.update``) to show the new state, then
replies in its thread (escalations are also broadcast to the channel). Data is escaped with
:func:`escaping.slack_mrkdwn`, ``mrkdwn`` is ``verbatim`` and ``link_names`` never sent.

A digest (:mod:`assurance.outbox.digest`) is one new top-level post: its counts, then one
section per organisation with a line per event (the figure as the audience may see it, and
a link to the report where there is one), at most ``CHAT_LINES`` lines with the rest counted.

Documents (board reports) are uploaded into the channel with ``files.uploadV2``, a short
comment saying what they are. Options (``type = "slack"``): ``channel`` (ID, ``C0123``),
``token_env`` (variable holding the bot token, scopes ``chat:write``, and ``files:write`` to send
documents), ``base_url`` (default ``https://slack.com/api/``), ``timeout`` (s, default 10),
``max_retries`` (SDK retries per call on 429, and on connection and server errors for calls
that are safe to repeat, default 2; the outbox retries beyond, reading the channel back first
so a post is never made twice — see :meth:`SlackChannel.find_sent`), ``retry_backoff`` (s,
default 0.5), ``max_retry_wait`` (longest ``Retry-After`` slept in-process, default 30; longer
goes back to the outbox).
"""

from __future__ import annotations

import http.client
import logging
import random
import re
import urllib.error
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk import http_retry as retry
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.web import SlackResponse

from assurance.channels import ChannelError, DeliveryResult, OutboundMessage, ThreadRef
from assurance.outbox.digest import CHAT_LINES, is_digest
from connectors.channels import (
    Options,
    builder,
    digest_sections,
    event_words,
    parse_retry_after,
    validator,
)
from connectors.channels import trend_words as _trend
from connectors.channels.escaping import safe_url, slack_link
from connectors.channels.escaping import slack_mrkdwn as _e

log = logging.getLogger(__name__)

OPTIONS = ("channel", "token_env", "base_url", "timeout", "max_retries", "retry_backoff",
           "max_retry_wait")
_AUTH = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
_PARENT_GONE = {"message_not_found", "cant_update_message", "edit_window_closed"}
_SERVER = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
_ADVICE = {
    "not_in_channel": "the app is not a member of the channel; invite the bot to the channel "
    "(/invite @app in Slack), then retry the notification",
    "channel_not_found": "channel not found; check channels.{name}.channel is the channel ID "
    "(C…) and that the app can see it (private channels need /invite @app)",
    "auth": "Slack refused the bot token ({error}); reinstall the app or put a current xoxb- "
    "token in the variable named by channels.{name}.token_env",
    "missing_scope": "the token lacks scope {needed}; add it in OAuth & Permissions, reinstall",
    "is_archived": "the channel is archived; unarchive it or configure another channel",
}


class SlackChannelError(ChannelError):
    """A ChannelError carrying Slack's error code (``not_in_channel`` …) in ``slack_error``."""

    def __init__(self, message: str, slack_error: str, *, retryable: bool,
                 retry_after: float | None = None):
        super().__init__(message, retryable=retryable, retry_after=retry_after)
        self.slack_error = slack_error


def _fit(text: str, limit: int) -> str:
    """Cut escaped text to Slack's length limit without leaving half an entity."""
    if len(text) <= limit:
        return text
    return re.sub(r"&[a-z]{0,3}$", "", text[: limit - 1]) + "…"


def _md(text: str, limit: int = 2000) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _fit(text, limit), "verbatim": True}


def message_text(m: OutboundMessage) -> str:
    """The notification/fallback ``text``: a complete sentence without Block Kit."""
    demo = "SYNTHETIC DEMO DATA: " if m.synthetic else ""
    return _e(f"{demo}[{m.severity.upper()}] {event_words(m.event)}: {m.title} — "
              f"{m.organisation_name} ({m.organisation_code}): {m.headline}")


def upload_comment(m: OutboundMessage) -> str:
    """The comment posted with uploaded documents."""
    demo = "SYNTHETIC DEMO DATA: " if m.synthetic else ""
    return _e(f"{demo}{event_words(m.event)}: {m.title} — {m.organisation_name} "
              f"({m.organisation_code}), {m.period}. {m.headline}")


def message_blocks(m: OutboundMessage, *, parent: bool) -> list[dict[str, Any]]:
    """Block Kit for a message; ``parent`` adds a note that updates are in the thread."""
    summary = f"*{_e(m.severity.upper())}* · {event_words(m.event)}\n{_e(m.headline)}"
    if m.trend:
        summary += f"  {_trend(m.trend)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _fit(_e(m.title), 150)}},
        {"type": "section", "text": _md(summary, 3000)},
        {"type": "section", "fields": [
            _md(f"*Organisation*\n{_e(m.organisation_name)} ({_e(m.organisation_code)})"),
            _md(f"*Period*\n{_e(m.period)}"), _md(f"*State*\n{_e(m.state)}"),
            _md(f"*Escalation level*\n{_e(m.level)}")]},
    ]
    for label, body in (("Why it matters", m.why), ("What to do", m.action)):
        if body:
            blocks.append({"type": "section", "text": _md(f"*{label}*\n{_e(body)}", 3000)})
    for i in range(0, len(m.facts), 10):  # Slack allows 10 fields per section
        blocks.append({"type": "section", "fields": [
            _md(f"*{_e(label)}*\n{_e(value)}") for label, value in m.facts[i:i + 10]]})
    if url := safe_url(m.report_url):
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "action_id": "open_report", "url": url,
            "text": {"type": "plain_text", "text": "Open report"}}]})
    context = [f"Rule {_e(m.rule_id)} · finding {_e(m.thread_key)}"]
    context += [f"Latest: {event_words(m.event)}; every update is in the thread"] if parent else []
    context += ["*SYNTHETIC DEMO DATA*"] if m.synthetic else []
    blocks.append({"type": "context", "elements": [_md(c) for c in context]})
    return blocks


def digest_blocks(m: OutboundMessage) -> list[dict[str, Any]]:
    """Block Kit for a digest: counts, then a section per organisation, one line per event."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _fit(_e(m.title), 150)}},
        {"type": "section", "text": _md(f"*{_e(m.severity.upper())}* · {event_words(m.event)}"
                                        f"\n{_e(m.headline)}", 3000)},
    ]
    if m.facts:
        blocks.append({"type": "section", "fields": [
            _md(f"*{_e(label)}*\n{_e(value)}") for label, value in m.facts[:10]]})
    sections, omitted = digest_sections(m, CHAT_LINES)
    for section, entries in sections:
        lines = [f"*{_e(section.organisation_name)} ({_e(section.organisation_code)})*"]
        for e in entries:
            link = slack_link(e.report_url, "Open report")
            lines.append(f"• {event_words(e.event)} ({_e(e.period)}): {_e(e.title)} — {_e(e.headline)}"
                         + (f" {link}" if link else "") + f" · {_e(e.thread_key)}")
        chunk: list[str] = []  # a section's text holds 3000 characters: split, never cut
        for line in lines:
            if chunk and sum(len(x) + 1 for x in chunk) + len(line) > 3000:
                blocks.append({"type": "section", "text": _md("\n".join(chunk), 3000)})
                chunk = []
            chunk.append(line)
        blocks.append({"type": "section", "text": _md("\n".join(chunk), 3000)})
    context = [f"From {_e(m.period)}"]
    if omitted:
        context.append(f"{omitted} more line(s) not shown here: `assurance notifications "
                       "preview` lists them all")
    context += ["*SYNTHETIC DEMO DATA*"] if m.synthetic else []
    blocks.append({"type": "context", "elements": [_md(c) for c in context]})
    return blocks


class _Jitter(retry.Jitter):
    """Up to +50 % of the interval (the SDK's default adds up to a whole second)."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random() / 2)


class _BoundedRateLimitHandler(retry.RateLimitErrorRetryHandler):
    """The SDK's 429 handler (sleeps ``Retry-After``), used only for short whole-second waits.

    A long wait would block the deliverer, and the SDK cannot parse a fractional value: both
    go back to the outbox as a retryable error with ``retry_after``.
    """

    def __init__(self, max_retry_count: int, max_wait: float):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state: retry.RetryState, request: retry.HttpRequest,
                   response: retry.HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if response is None or not super()._can_retry(
                state=state, request=request, response=response, error=error):
            return False
        values = [v for k, v in response.headers.items() if k.lower() == "retry-after"]
        raw = str(values[0][0]).strip() if values and values[0] else None
        return raw is None or (raw.isdigit() and int(raw) <= self.max_wait)


NOT_REPEATABLE = frozenset({"chat.postMessage", "files.completeUploadExternal"})
"""Calls that create something: never repeated in-process after a connection error or a 5xx,
since Slack may have acted before the failure; the outbox retries them after
:meth:`SlackChannel.find_sent` has checked the channel."""


def _repeatable(request: retry.HttpRequest) -> bool:
    return request.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] not in NOT_REPEATABLE


class _ConnectionErrors(retry.ConnectionErrorRetryHandler):
    def _can_retry(self, *, state: retry.RetryState, request: retry.HttpRequest,
                   response: retry.HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return _repeatable(request) and super()._can_retry(
            state=state, request=request, response=response, error=error)


class _ServerErrors(ServerErrorRetryHandler):
    def _can_retry(self, *, state: retry.RetryState, request: retry.HttpRequest,
                   response: retry.HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return _repeatable(request) and super()._can_retry(
            state=state, request=request, response=response, error=error)


HISTORY_PAGES = 5
"""How many pages of 200 messages :meth:`SlackChannel.find_sent` reads at most."""


class SlackChannel:
    """Posts findings to one Slack channel (see the module docstring).

    Args:
        name: the channel's name in config.
        client: a configured WebClient; it holds the token, which ``repr`` never shows.
        channel: the Slack channel ID new findings are posted to.
    """

    def __init__(self, name: str, client: WebClient, channel: str):
        self.name, self._client, self._channel = name, client, channel

    def __repr__(self) -> str:
        return f"SlackChannel(name={self.name!r}, channel={self._channel!r})"

    def check(self) -> list[str]:
        """Offline: the token looks like a Slack token. No API call is made."""
        ok = (self._client.token or "").startswith("xox")
        return [] if ok else [f"channels.{self.name}.token_env: the token does not look like a "
                              "Slack token; expected a bot token starting xoxb-"]

    def send(self, message: OutboundMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Post a new thread, or update the parent and reply in its thread; a message with
        attachments is a file upload with the message as its comment."""
        if message.attachments:
            return self._upload(message)
        if is_digest(message):
            thread = None  # each digest is a post of its own, never a reply
        channel, thread_ts = self._channel, None
        if thread is not None:
            channel, _, thread_ts = thread.provider_message_id.partition(":")
            if not channel or not thread_ts:
                raise ChannelError(f"Slack {self.name}: thread reference "
                                   f"{thread.provider_message_id!r} is not 'channel:ts'",
                                   retryable=False)
            self._update_parent(message, channel, thread_ts)
        reply = self._call(channel, lambda: self._client.chat_postMessage(
            channel=channel, text=message_text(message), thread_ts=thread_ts,
            blocks=(digest_blocks(message) if is_digest(message)
                    else message_blocks(message, parent=False)), unfurl_links=False,
            unfurl_media=False, reply_broadcast=(message.event == "escalated") or None,
            metadata={"event_type": "assurance_finding", "event_payload": {
                "idempotency_key": message.idempotency_key, "thread_key": message.thread_key}}))
        posted, ts = str(reply.get("channel") or channel), str(reply.get("ts"))
        extra = {"channel": posted, "ts": ts} | ({"thread_ts": thread_ts} if thread_ts else {})
        return DeliveryResult(f"{posted}:{ts}", extra=extra)

    def find_sent(self, message: OutboundMessage, thread: ThreadRef | None,
                  since: datetime) -> DeliveryResult | None:
        """Find a message an earlier attempt posted: every post carries its idempotency key
        in Slack message metadata, so the channel (or the finding's thread) is read back
        from an hour before ``since`` (clock skew) for a message with the same key.

        Needs scope ``channels:history`` (``groups:history`` for private channels); without
        it this logs a warning and returns None, and a retry may then post twice. Documents
        (file uploads carry no metadata) are not looked for.
        """
        if message.attachments:
            return None
        channel, thread_ts = self._channel, None
        if thread is not None:
            channel, _, thread_ts = thread.provider_message_id.partition(":")
        oldest = f"{since.timestamp() - 3600:.6f}"
        cursor = None
        for _ in range(HISTORY_PAGES):
            try:
                page = self._history(channel, thread_ts, oldest, cursor)
            except SlackChannelError as exc:
                if exc.retryable:
                    raise
                log.warning("Slack %s: cannot read channel %s back (%s); retrying the message "
                            "without checking whether it was already posted", self.name,
                            channel, exc.slack_error)
                return None
            for m in page.get("messages") or []:
                payload = (m.get("metadata") or {}).get("event_payload") or {}
                if payload.get("idempotency_key") == message.idempotency_key and m.get("ts"):
                    ts = str(m["ts"])
                    extra = {"channel": channel, "ts": ts} | (
                        {"thread_ts": thread_ts} if thread_ts else {})
                    return DeliveryResult(f"{channel}:{ts}", extra=extra)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    def _history(self, channel: str, thread_ts: str | None, oldest: str,
                 cursor: str | None) -> SlackResponse:
        """One page of the channel (or of a thread), newest first, with message metadata."""
        if thread_ts:
            return self._call(channel, lambda: self._client.conversations_replies(
                channel=channel, ts=thread_ts, oldest=oldest, cursor=cursor,
                include_all_metadata=True, limit=200))
        return self._call(channel, lambda: self._client.conversations_history(
            channel=channel, oldest=oldest, cursor=cursor, include_all_metadata=True,
            limit=200))

    def _upload(self, message: OutboundMessage) -> DeliveryResult:
        """Upload the attached files with ``files.uploadV2`` (the SDK's three calls:
        ``files.getUploadURLExternal``, the upload itself, ``files.completeUploadExternal``;
        the token needs scope ``files:write``)."""
        uploads = [{"content": a.read(), "filename": a.filename, "title": a.filename}
                   for a in message.attachments]
        reply = self._call(self._channel, lambda: self._client.files_upload_v2(
            file_uploads=uploads, channel=self._channel, initial_comment=upload_comment(message)))
        ids = ",".join(str(f.get("id")) for f in reply.get("files") or [])
        return DeliveryResult(f"{self._channel}:files:{ids}",
                              extra={"channel": self._channel, "files": ids})

    def _update_parent(self, message: OutboundMessage, channel: str, ts: str) -> None:
        # Done before the reply: if it fails retryably nothing was posted yet, so the outbox's
        # retry cannot duplicate the reply. A parent that is gone is not worth losing it for.
        try:
            self._call(channel, lambda: self._client.chat_update(
                channel=channel, ts=ts, text=message_text(message),
                blocks=message_blocks(message, parent=True)))
        except SlackChannelError as exc:
            if exc.slack_error not in _PARENT_GONE:
                raise
            log.warning("Slack %s: parent %s:%s not updated (%s); replying in the thread anyway",
                        self.name, channel, ts, exc.slack_error)

    def _call(self, channel: str, call: Callable[[], SlackResponse]) -> SlackResponse:
        try:
            return call()
        except SlackApiError as exc:
            raise _api_error(f"Slack {self.name} (channel {channel})", self.name,
                             exc.response) from None
        except urllib.error.HTTPError as exc:  # the file upload URL (plain urllib) refused
            raise ChannelError(f"Slack {self.name}: the file upload answered HTTP {exc.code} "
                               f"({exc.reason})", retryable=exc.code in (408, 429)
                               or exc.code >= 500) from None
        except SlackRequestError as exc:  # the upload step answered other than 200, or the
            # SDK refused its arguments (a bug here: retrying would not help)
            raise ChannelError(f"Slack {self.name}: {exc}",
                               retryable=str(exc).startswith("Failed to upload")) from None
        except (OSError, http.client.HTTPException) as exc:  # after the SDK's own retries
            reason = getattr(exc, "reason", None) or exc
            raise ChannelError(f"Slack {self.name}: could not reach {self._client.base_url} "
                               f"({type(reason).__name__}: {reason})", retryable=True) from None


def _api_error(where: str, name: str, response: SlackResponse) -> SlackChannelError:
    """Turn Slack's answer into an error an operator can act on."""
    error = str(response.get("error") or f"HTTP {response.status_code}")
    if response.status_code == 429 or error == "ratelimited":
        headers = {k.lower(): v for k, v in response.headers.items()}
        return SlackChannelError(f"{where}: rate limited by Slack", error, retryable=True,
                                 retry_after=parse_retry_after(headers.get("retry-after")))
    if response.status_code >= 500 or error in _SERVER:
        return SlackChannelError(f"{where}: Slack server error ({error})", error, retryable=True)
    advice = _ADVICE.get("auth" if error in _AUTH else error, "Slack rejected the call ({error})")
    text = advice.format(name=name, error=error, needed=response.get("needed") or "chat:write")
    return SlackChannelError(f"{where}: {text}", error, retryable=False)


def _parse(name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> tuple[
        SlackChannel | None, list[str]]:
    o = Options(name, options, env, OPTIONS)
    channel = o.text("channel", required=True)
    token = o.secret("token_env", "the Slack bot token (xoxb-…) in it")
    base_url = o.url("base_url", o.text("base_url", "https://slack.com/api/"))
    timeout, retries = o.integer("timeout", 10, minimum=1), o.integer("max_retries", 2)
    backoff = retry.BackoffRetryIntervalCalculator(o.number("retry_backoff", 0.5), _Jitter())
    max_wait = o.number("max_retry_wait", 30.0)
    if o.problems or channel is None or token is None or base_url is None:
        return None, o.problems
    client = WebClient(token=token, base_url=base_url, timeout=timeout, logger=log,
                       retry_handlers=[_BoundedRateLimitHandler(retries, max_wait),
                                       _ConnectionErrors(retries, backoff),
                                       _ServerErrors(retries, backoff)])
    return SlackChannel(name, client, channel), []


validate = validator(_parse)
build = builder(_parse)
