"""Microsoft Teams channel: an Adaptive Card posted to a Teams Workflows webhook.

Teams Workflows ("Post to a channel when a webhook request is received") accepts
``{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": <card>}]}`` and answers 202 once the
flow has accepted it (a flow that fails later does so inside Power Automate, not here). The
webhook URL carries its own signature, so it is a secret: it comes from the environment
variable named by ``url_env`` and never appears in errors or ``repr``.

Every data string goes through :func:`escaping.adaptive_card` (Markdown escaped, URLs defused,
controls removed); severity is always a word, and colour only repeats it. Teams has no
threads for webhook posts, so each card names the finding's ``thread_key`` as "Reference"
for people to search on.

A digest (:mod:`assurance.outbox.digest`) is one card: its counts as facts, then a heading
per organisation and a line per event, with an "Open report" button where the event has a
report, at most ``CHAT_LINES`` lines (cards are limited to about 28 KB) with the rest counted.

Options (``type = "teams"``): ``url_env`` (required), ``timeout`` (seconds, default 10).

Each request carries the notification's ``Idempotency-Key`` header, the same on every attempt:
Teams cannot be read back, so a message in flight when the deliverer died is sent again after
a restart, and a flow that compares the key with the keys it has seen drops the repeat
(:mod:`connectors.channels.receiving`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from assurance.channels import DeliveryResult, OutboundMessage, ThreadRef
from assurance.outbox.digest import CHAT_LINES, is_digest
from connectors.channels import (
    Options,
    builder,
    digest_sections,
    event_words,
    trend_words,
    validator,
)
from connectors.channels.escaping import adaptive_card as _e
from connectors.channels.escaping import safe_url, single_line
from connectors.channels.webhook import post

OPTIONS = ("url_env", "timeout")
CARD_VERSION = "1.4"
_COLOURS = {"critical": "attention", "high": "attention", "medium": "warning"}


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _head(m: OutboundMessage, headline: str, facts: list[tuple[str, str]]
          ) -> list[dict[str, Any]]:
    """The blocks every card opens with (``headline`` and ``facts`` already escaped)."""
    body: list[dict[str, Any]] = []
    if m.synthetic:
        body.append(_text("SYNTHETIC DEMO DATA", weight="Bolder", color="warning"))
    return body + [
        _text(_e(m.title), size="Large", weight="Bolder"),
        _text(f"{_e(m.severity.upper())} · {event_words(m.event)}", weight="Bolder",
              color=_COLOURS.get(m.severity, "default")),
        _text(headline),
        {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]},
    ]


def _card(body: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": CARD_VERSION, "msteams": {"width": "Full"}, "body": body}


def digest_card(m: OutboundMessage) -> dict[str, Any]:
    """The Adaptive Card for a digest: counts, then each organisation's lines."""
    body = _head(m, _e(m.headline), [(_e(t), _e(v)) for t, v in (
        *m.facts, ("Period", m.period), ("Reference", m.thread_key))])
    sections, omitted = digest_sections(m, CHAT_LINES)
    for section, entries in sections:
        body.append(_text(f"{_e(section.organisation_name)} ({_e(section.organisation_code)})",
                          weight="Bolder", spacing="Medium"))
        for e in entries:
            body.append(_text(f"{event_words(e.event)} ({_e(e.period)}): {_e(e.title)} — {_e(e.headline)} · "
                              f"{_e(e.thread_key)}", spacing="Small"))
            if url := safe_url(e.report_url):
                body.append({"type": "ActionSet", "actions": [
                    {"type": "Action.OpenUrl", "title": "Open report", "url": url}]})
    if omitted:
        body.append(_text(f"{omitted} more line(s) not shown here: assurance notifications "
                          "preview lists them all", isSubtle=True))
    return _card(body)


def card(m: OutboundMessage) -> dict[str, Any]:
    """The Adaptive Card (schema 1.4) for one message (a digest: :func:`digest_card`)."""
    if is_digest(m):
        return digest_card(m)
    headline = _e(m.headline) + (f" {trend_words(m.trend)}" if m.trend else "")
    facts = [
        ("Organisation", f"{_e(m.organisation_name)} ({_e(m.organisation_code)})"),
        ("Period", _e(m.period)), ("State", _e(m.state)), ("Escalation level", _e(m.level)),
        *((_e(label), _e(value)) for label, value in m.facts),
        ("Rule", _e(m.rule_id)), ("Reference", _e(m.thread_key)),
    ]
    body = _head(m, headline, facts)
    for label, text in (("Why it matters", m.why), ("What to do", m.action)):
        if text:
            body += [_text(f"**{label}**", spacing="Medium"), _text(_e(text))]
    content = _card(body)
    if url := safe_url(m.report_url):
        content["actions"] = [{"type": "Action.OpenUrl", "title": "Open report", "url": url}]
    return content


def envelope(m: OutboundMessage) -> dict[str, Any]:
    """The webhook request body wrapping :func:`card`."""
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
        "content": card(m)}]}


class TeamsChannel:
    """Posts findings to one Teams Workflows webhook (see the module docstring).

    Args:
        name: the channel's name in config.
        url: the Workflows webhook URL (a secret: never shown).
        timeout: seconds to wait for Teams.
    """

    def __init__(self, name: str, url: str, timeout: float = 10.0):
        self.name, self._url, self._timeout = name, url, timeout

    def __repr__(self) -> str:
        return f"TeamsChannel(name={self.name!r})"

    def check(self) -> list[str]:
        """Offline: nothing beyond what :func:`validate` checked at build time."""
        return []

    def send(self, message: OutboundMessage, thread: ThreadRef | None) -> DeliveryResult:
        """POST the card; ``thread`` is not used (Teams webhooks cannot reply in a thread)."""
        body = json.dumps(envelope(message), ensure_ascii=False).encode("utf-8")
        # The same key on every attempt: a flow can drop a repeat (connectors.channels.receiving).
        headers = {"Idempotency-Key": single_line(message.idempotency_key)}
        return post(self._url, body, headers, timeout=self._timeout,
                    service=f"Teams {self.name}")


def _parse(name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> tuple[
        TeamsChannel | None, list[str]]:
    o = Options(name, options, env, OPTIONS)
    url = o.secret("url_env", "the Teams Workflows webhook URL in it")
    url = o.url("url_env", url, secret_from=str(options.get("url_env")))
    timeout = o.number("timeout", 10.0, minimum=0.1)
    if o.problems or url is None:
        return None, o.problems
    return TeamsChannel(name, url, timeout), []


validate = validator(_parse)
build = builder(_parse)
