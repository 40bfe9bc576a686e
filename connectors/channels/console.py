"""Console channel: a readable block on a stream, or JSON lines appended to a file.

The demo uses it when no chat platform is configured, so a first run shows what a finding's
messages say without any account or token. Control characters are removed from data, so a
hostile organisation name cannot rewrite the terminal with escape sequences.

Options (``type = "console"``): ``path`` (optional): append one JSON object per message to
this file (same document as the webhook channel sends) instead of writing text to stdout.

A file is its own log of what was delivered, so a restart after a kill writes nothing twice:
each message is one line written by a single ``write`` and fsynced before the send counts as
done (a line is whole or absent), and before retrying a message that may already have gone
out (:class:`~assurance.channels.FindsSent`) the channel looks in the file for a whole line
carrying its idempotency key. A torn last line (the process killed mid-write) is not a
message: it is ignored, and the next message starts on a new line. Text on stdout cannot be
read back: there a message in flight at a crash may be shown twice.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from assurance.channels import ChannelError, DeliveryResult, OutboundMessage, ThreadRef
from assurance.outbox.digest import is_digest
from connectors.channels import (
    Options,
    builder,
    digest_sections,
    event_words,
    trend_words,
    validator,
)
from connectors.channels.escaping import plain, safe_url, single_line
from connectors.channels.webhook import payload

OPTIONS = ("path",)


def render_digest(m: OutboundMessage) -> str:
    """The plain-text block for a digest: every line, per organisation."""
    heading = f"[{m.severity.upper()}] {event_words(m.event)}: {single_line(m.title)}"
    lines = [f"── {heading} " + "─" * max(3, 76 - len(heading))]
    if m.synthetic:
        lines.append("SYNTHETIC DEMO DATA")
    lines += [plain(m.headline), f"Period: {single_line(m.period)}"]
    lines += [f"  {single_line(label)}: {single_line(value)}" for label, value in m.facts]
    for section, entries in digest_sections(m)[0]:
        lines.append(f"{single_line(section.organisation_name)} "
                     f"({single_line(section.organisation_code)})")
        for e in entries:
            lines.append(f"  • {event_words(e.event)} ({single_line(e.period)}): {single_line(e.title)} — "
                         f"{single_line(e.headline)} · {single_line(e.thread_key)}")
            if url := safe_url(e.report_url):
                lines.append(f"    Report: {url}")
    return "\n".join(lines) + "\n\n"


def render(message: OutboundMessage, thread: ThreadRef | None) -> str:
    """The plain-text block for one message (a digest: :func:`render_digest`)."""
    m = message
    if is_digest(m):
        return render_digest(m)
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
        self._lock = threading.Lock()
        self._seen: set[str] = set()  # keys of whole lines read so far …
        self._read_to = 0  # … up to this offset (the end of the last whole line)

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
                self._append(json.dumps(payload(message, thread), ensure_ascii=False))
            else:
                stream = self._stream or sys.stdout
                stream.write(render(message, thread))
                stream.flush()
        except OSError as exc:
            raise ChannelError(f"console {self.name}: could not write ({exc})",
                               retryable=True) from None
        return DeliveryResult(f"console:{single_line(message.idempotency_key)}")

    def _append(self, line: str) -> None:
        """One line, in one ``write`` to a file opened for appending, on disk before return."""
        assert self.path is not None
        data = (line + "\n").encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if _torn(fd):  # a kill cut the last line short: leave it, start a new one
                    data = b"\n" + data
                while data:
                    data = data[os.write(fd, data):]
                os.fsync(fd)
            finally:
                os.close(fd)

    def find_sent(self, message: OutboundMessage, thread: ThreadRef | None,
                  since: datetime) -> DeliveryResult | None:
        """The earlier delivery of ``message``: a whole line in the file with its key.

        Reads only what was added since the last look. On stdout nothing can be read back:
        always None.
        """
        if self.path is None:
            return None
        key = message.idempotency_key
        try:
            with self._lock:
                self._read_new()
                found = key in self._seen
        except OSError as exc:
            raise ChannelError(f"console {self.name}: could not read {self.path} back ({exc})",
                               retryable=True) from None
        return DeliveryResult(f"console:{single_line(key)}") if found else None

    def _read_new(self) -> None:
        assert self.path is not None
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            self._seen.clear()
            self._read_to = 0
            return
        if size < self._read_to:  # the file was truncated or replaced: read it again
            self._seen.clear()
            self._read_to = 0
        with self.path.open("rb") as fh:
            fh.seek(self._read_to)
            chunk = fh.read(size - self._read_to)
        end = chunk.rfind(b"\n") + 1  # only whole lines: a torn last one is no message
        for raw in chunk[:end].split(b"\n"):
            try:
                doc = json.loads(raw)
            except ValueError:
                continue
            if isinstance(doc, dict) and isinstance(doc.get("idempotency_key"), str):
                self._seen.add(doc["idempotency_key"])
        self._read_to += end


def _torn(fd: int) -> bool:
    """Whether the file ends part-way through a line."""
    size = os.fstat(fd).st_size
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


def _parse(name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> tuple[
        ConsoleChannel | None, list[str]]:
    o = Options(name, options, env, OPTIONS)
    path = o.text("path")
    if o.problems:
        return None, o.problems
    return ConsoleChannel(name, Path(path) if path else None), []


validate = validator(_parse)
build = builder(_parse)
