"""Console channel: a readable block on a stream, or JSON lines appended to a file.

The demo uses it when no chat platform is configured, so a first run shows what a finding's
messages say without any account or token. Control characters are removed from data, so a
hostile organisation name cannot rewrite the terminal with escape sequences.

Options (``type = "console"``): ``path`` (optional): append one JSON object per message to
this file (same document as the webhook channel sends) instead of writing text to stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from assurance.channels import ChannelError, DeliveryResult, OutboundMessage, ThreadRef
from connectors.channels import Options, builder, event_words, trend_words, validator
from connectors.channels.escaping import plain, safe_url, single_line
from connectors.channels.webhook import payload

OPTIONS = ("path",)


def render(message: OutboundMessage, thread: ThreadRef | None) -> str:
    """The plain-text block for one message."""
    m = message
    heading = f"[{m.severity.upper()}] {event_words(m.event)}: {single_line(m.title)}"
    lines = [f"── {heading} " + "─" * max(3, 76 - len(heading))]
    if m.synthetic:
        lines.append("SYNTHETIC DEMO DATA")
    lines += [
        f"{plain(m.headline)} {trend_words(m.trend)}".rstrip(),
        f"Organisation: {single_line(m.organisation_name)} ({single_line(m.organisation_code)})",
        f"Period: {single_line(m.period)} · State: {single_line(m.state)} · "
        f"Escalation level: {single_line(m.level)}",
    ]
    lines += [f"  {single_line(label)}: {single_line(value)}" for label, value in m.facts]
    for label, text in (("Why it matters", m.why), ("What to do", m.action)):
        if text:
            lines.append(f"{label}: {plain(text)}")
    if url := safe_url(m.report_url):
        lines.append(f"Report: {url}")
    reply = f" · reply to {single_line(thread.provider_message_id)}" if thread else ""
    lines.append(f"Rule {single_line(m.rule_id)} · finding {single_line(m.thread_key)}{reply}")
    return "\n".join(lines) + "\n\n"


class ConsoleChannel:
    """Writes messages to ``stream`` (default stdout), or as JSON lines to ``path``.

    Args:
        name: the channel's name in config.
        path: append JSON lines here instead of writing text.
        stream: where text goes when there is no ``path``; default ``sys.stdout`` at send time.
    """

    def __init__(self, name: str, path: Path | None = None, stream: TextIO | None = None):
        self.name, self.path, self._stream = name, path, stream

    def __repr__(self) -> str:
        return f"ConsoleChannel(name={self.name!r}, path={self.path!r})"

    def check(self) -> list[str]:
        """Offline: the output file's folder exists."""
        if self.path is not None and not self.path.parent.is_dir():
            return [f"channels.{self.name}.path: folder {str(self.path.parent)!r} does not "
                    "exist; expected an existing folder"]
        return []

    def send(self, message: OutboundMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Write the message; its id is ``console:{idempotency_key}``."""
        try:
            if self.path is not None:
                line = json.dumps(payload(message, thread), ensure_ascii=False)
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(line + "\n")
            else:
                stream = self._stream or sys.stdout
                stream.write(render(message, thread))
                stream.flush()
        except OSError as exc:
            raise ChannelError(f"console {self.name}: could not write ({exc})",
                               retryable=True) from None
        return DeliveryResult(f"console:{single_line(message.idempotency_key)}")


def _parse(name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> tuple[
        ConsoleChannel | None, list[str]]:
    o = Options(name, options, env, OPTIONS)
    path = o.text("path")
    if o.problems:
        return None, o.problems
    return ConsoleChannel(name, Path(path) if path else None), []


validate = validator(_parse)
build = builder(_parse)
