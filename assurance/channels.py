"""The channel protocol: what the core hands to a chat, email or webhook channel.

The core builds an :class:`OutboundMessage` (already disclosure-controlled for the
subscription's audience) and a channel turns it into its platform's format. Channels live in
``connectors/channels/`` and register by name in ``connectors.channels.REGISTRY``; the core
never imports them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

Event = Literal[
    "opened",
    "reopened",
    "repeat",
    "escalated",
    "acknowledged",
    "assigned",
    "silenced",
    "resolved",
    "silence_expired",
    "dead_letter",
    "job_error",
    "heartbeat",
    "report_ready",
    "digest",
    "reminder",
]
Trend = Literal["up", "down", "flat"]


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a message (a board report): a channel that can carry files
    (Slack, email) sends it; the others say where it is. ``sha256`` is taken when the message
    is queued, so what is sent is exactly what was built."""

    path: str
    filename: str
    content_type: str
    sha256: str
    size: int

    @classmethod
    def of(cls, path: Path, content_type: str = DOCX) -> Attachment:
        data = path.read_bytes()
        return cls(str(path.resolve()), path.name, content_type,
                   hashlib.sha256(data).hexdigest(), len(data))

    def read(self) -> bytes:
        """The file's bytes; ChannelError (not retryable) if it is gone or has changed since
        the message was queued."""
        try:
            data = Path(self.path).read_bytes()
        except OSError as exc:
            raise ChannelError(f"attachment {self.path} cannot be read ({exc.strerror}); "
                               "rebuild the report and queue it again", retryable=False) from None
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ChannelError(f"attachment {self.path} has changed since it was queued (SHA-256 "
                               "differs); not sending a file nobody checked", retryable=False)
        return data


@dataclass(frozen=True)
class OutboundMessage:
    """One message about one finding event, ready for any channel.

    Every text field is plain text taken from data (organisation names, rule text): a
    channel must escape it for its platform before use. Figures are already suppressed for
    the audience (``*`` for small counts) so a channel never sees exact small numbers it
    should not show.
    """

    idempotency_key: str
    event: Event
    thread_key: str  # stable per finding: one thread/conversation per finding
    title: str
    severity: str  # "low" | "medium" | "high" | "critical"
    organisation_code: str
    organisation_name: str
    rule_id: str
    period: str
    state: str  # "firing" | "ok" | "no_data" | "error" | "silenced"
    level: str  # escalation level name, e.g. "edi_lead"
    headline: str  # one-line figure, e.g. "Relative likelihood 1.62 (95% CI 1.31-2.01)"
    trend: Trend | None = None
    why: str = ""
    action: str = ""
    report_url: str | None = None
    facts: tuple[tuple[str, str], ...] = ()  # (label, value) pairs shown as a table
    synthetic: bool = False  # organisation is synthetic demo data: say so in the message
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class ThreadRef:
    """Where the first message of a finding's thread went (from an earlier DeliveryResult)."""

    provider_message_id: str
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryResult:
    """What the provider said: its message id (Slack ``channel:ts``, email Message-ID …)."""

    provider_message_id: str
    extra: Mapping[str, str] = field(default_factory=dict)


class ChannelError(Exception):
    """A delivery failed.

    Args:
        message: what went wrong, in words an operator can act on.
        retryable: whether trying again later may succeed (rate limit, 5xx, timeout).
        retry_after: seconds the provider asked us to wait, if it said.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Channel(Protocol):
    """A destination for messages. Implementations: ``connectors/channels/*.py``."""

    name: str

    def send(self, message: OutboundMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Send one message; ``thread`` is the finding's first message if there was one.

        A channel that can thread (Slack, email) replies in that thread and, where the
        platform allows, updates the parent to show the new state. Raises ChannelError.
        """
        ...

    def check(self) -> list[str]:
        """Problems visible without sending (missing token, malformed URL); empty if fine."""
        ...


@runtime_checkable
class FindsSent(Protocol):
    """A channel that can tell whether an earlier attempt already delivered a message.

    The deliverer asks before retrying a notification whose earlier attempt may have reached
    the platform without its result being recorded (the process died mid-send, or the reply
    timed out): a platform that keeps what it received (Slack, a console channel's file) is
    checked, so the retry does not post the message twice. Channels whose receivers
    deduplicate by key themselves (email Message-ID, webhook Idempotency-Key) need not
    implement it.
    """

    def find_sent(self, message: OutboundMessage, thread: ThreadRef | None,
                  since: datetime) -> DeliveryResult | None:
        """The earlier delivery of ``message`` (queued at ``since``), or None if there was
        none. Raises ChannelError when the platform cannot be asked right now."""
        ...
