"""The receiving end: how a webhook endpoint, a Teams flow or a mailbox rule gets each
notification once, although the outbox may deliver one twice.

What it does:
    The outbox delivers **at least once**. Where a platform can be read back (Slack, a
    console file) the deliverer looks for an earlier attempt before retrying, so nothing is
    posted twice. A webhook, a Teams Workflows webhook and SMTP cannot be read back: a
    deliverer killed after a request went out but before its result was written sends it
    again after the restart. Every delivery therefore carries the notification's
    **idempotency key**, the same on every attempt:

    * webhook and Teams: the ``Idempotency-Key`` request header (the webhook's JSON body also
      has it as ``idempotency_key``);
    * email: the ``Message-ID`` header, ``<{idempotency_key}@{domain}>``.

    :class:`Deduper` is the receiver's half: it keeps the keys already processed (in memory,
    and optionally in an append-only log file so a restarted receiver remembers them) and
    says whether a delivery is the first with its key. :func:`webhook_key` checks a webhook
    request (signature, age) and returns its key; :func:`mail_key` reads a mail's key.

Why it matters:
    A network that receives "New breach" twice for one finding stops trusting the bot, and a
    workflow that opens a ticket per delivery opens two.

Example:
    A receiver answers every authentic request 2xx (a repeat too, or the deliverer retries it
    until it gives up) and acts only on the first::

        seen = Deduper(Path("received-keys.log"))
        key = webhook_key(secret, body, headers, now=time.time())
        if seen.first(key):
            act_on(json.loads(body))
        return 200

Options:
    ``Deduper(log=None)``: a file to append each new key to (read back on start);
    ``webhook_key(..., max_age=300)``: the oldest ``X-Assurance-Timestamp`` accepted, in
    seconds (a replayed old request is refused).

Known limitations:
    * The receiver's own crash between acting and :meth:`Deduper.first` returning (the key
      is logged before it returns) is its own at-least-once problem: log the key in the same
      transaction as the action where the receiver has one.
    * Teams Workflows do not dedupe by themselves; a flow must compare the header with the
      keys it has seen (for example in a SharePoint list) to drop repeats.
"""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Mapping
from email.message import Message
from pathlib import Path

from connectors.channels.webhook import sign

MAX_KEY = 512
"""The longest idempotency key accepted (the outbox's keys are far shorter)."""


class ReceiveError(ValueError):
    """A delivery the receiver must refuse (answer 4xx): unsigned, forged, stale or keyless."""


class Deduper:
    """The idempotency keys a receiver has processed; :meth:`first` says whether to act.

    Args:
        log: optional file of processed keys, one a line; read on start and appended to
            (fsynced) before :meth:`first` returns True, so a restarted receiver remembers.
    """

    def __init__(self, log: Path | None = None) -> None:
        self.log = log
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self.accepted = 0
        self.dropped = 0
        if log is not None and log.exists():
            self._seen.update(k for k in log.read_text(encoding="utf-8").splitlines() if k)

    def first(self, key: str) -> bool:
        """True the first time ``key`` is seen (act on the delivery), False for a repeat."""
        if not key or len(key) > MAX_KEY or "\n" in key or "\r" in key:
            raise ReceiveError("expected an idempotency key of one line, at most "
                               f"{MAX_KEY} characters")
        with self._lock:
            if key in self._seen:
                self.dropped += 1
                return False
            if self.log is not None:
                fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, (key + "\n").encode("utf-8"))
                    os.fsync(fd)
                finally:
                    os.close(fd)
            self._seen.add(key)
            self.accepted += 1
            return True


def webhook_key(secret: str, body: bytes, headers: Mapping[str, str], *, now: float,
                max_age: float = 300.0) -> str:
    """The idempotency key of an authentic webhook request from the bot.

    Args:
        secret: the signing secret (the channel's ``secret_env``).
        body: the raw request body, as received.
        headers: the request headers (any case).
        now: the receiver's clock, Unix seconds.
        max_age: the oldest ``X-Assurance-Timestamp`` accepted, seconds.

    Raises:
        ReceiveError: a missing or wrong signature, a stale or future timestamp, no key.
    """
    h = {k.lower(): v for k, v in headers.items()}
    signature = h.get("x-assurance-signature", "")
    if not hmac.compare_digest(signature.encode(), sign(secret, body).encode()):
        raise ReceiveError("X-Assurance-Signature does not match the body; expected the "
                           "HMAC-SHA256 of the raw body with the shared secret")
    try:
        sent = float(h.get("x-assurance-timestamp", ""))
    except ValueError:
        raise ReceiveError("X-Assurance-Timestamp missing or not a number; expected Unix "
                           "seconds") from None
    if not -60 <= now - sent <= max_age:
        raise ReceiveError(f"X-Assurance-Timestamp is {now - sent:.0f} s old; expected at "
                           f"most {max_age:.0f} s (a replayed request?)")
    key = h.get("idempotency-key", "")
    if not key:
        raise ReceiveError("no Idempotency-Key header; expected one on every delivery")
    return key


def teams_key(headers: Mapping[str, str]) -> str:
    """The idempotency key of a Teams Workflows delivery (unsigned: Teams checks the URL)."""
    key = {k.lower(): v for k, v in headers.items()}.get("idempotency-key", "")
    if not key:
        raise ReceiveError("no Idempotency-Key header; expected one on every delivery")
    return key


def mail_key(message: Message) -> str:
    """The idempotency key of a mail from the bot: its ``Message-ID`` without the brackets
    (the whole id, domain included: two bots with different domains never collide)."""
    raw = str(message.get("Message-ID") or "").strip()
    if not (raw.startswith("<") and raw.endswith(">") and len(raw) > 2):
        raise ReceiveError("no Message-ID header of the form <id@domain>; expected one on "
                           "every mail from the bot")
    return raw[1:-1]
