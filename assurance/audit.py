"""Append-only, hash-chained audit log.

Each event stores the hash of the one before it, so editing or deleting any past row breaks
the chain from that row on, and :func:`verify` names where. Appending locks the single
``audit_head`` row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers), so two
instances writing at once cannot fork the chain. Events are written in the caller's
transaction: an import or a state change and its audit event commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from assurance.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def canonical(details: Mapping[str, Any]) -> str:
    """JSON with sorted keys and no spaces: the form that is hashed."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"), default=str)


def _event_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str,
                subject: str, details: str) -> str:
    body = canonical({"seq": seq, "at": at.isoformat(), "actor": actor, "action": action,
                      "subject": subject, "details": details})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(session: Session, *, at: datetime, actor: str, action: str, subject: str,
           details: Mapping[str, Any] | None = None) -> AuditEvent:
    """Append one event in the session's transaction (the caller commits)."""
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    at = at.astimezone(UTC).replace(microsecond=(at.microsecond // 1000) * 1000)
    body = canonical(details or {})
    seq = head.seq + 1
    digest = _event_hash(head.hash, seq, at, actor, action, subject, body)
    event = AuditEvent(seq=seq, at=at, actor=actor, action=action, subject=subject,
                       details=body, prev_hash=head.hash, hash=digest)
    head.seq, head.hash = seq, digest
    session.add(event)
    session.add(head)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    head: str
    problem: str | None = None


def verify(session: Session, batch: int = 5000, *, since: ChainReport | None = None
           ) -> ChainReport:
    """Recompute the whole chain; report the first event that does not match.

    ``since``: this chain as verified earlier in the same run. When the event it ended on
    still has the hash it verified, only the events after it are recomputed (a batch of
    evidence packs verifies the whole chain once, then what was appended since); otherwise,
    or when it did not verify, the whole chain is.
    """
    prev, count, last_seq = GENESIS, 0, 0
    if since is not None and since.ok and since.events:
        last = session.get(AuditEvent, since.events)
        if last is not None and last.hash == since.head:
            prev, count, last_seq = since.head, since.events, since.events
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq)  # type: ignore[arg-type]
            .limit(batch)
        ).all()
        if not rows:
            break
        for ev in rows:
            if ev.seq != last_seq + 1:
                return ChainReport(False, count, prev, f"event {last_seq + 1} is missing")
            if ev.prev_hash != prev:
                return ChainReport(False, count, prev,
                                   f"event {ev.seq}: previous-hash link broken")
            expect = _event_hash(prev, ev.seq, ev.at, ev.actor, ev.action, ev.subject,
                                 ev.details)
            if expect != ev.hash:
                return ChainReport(False, count, prev,
                                   f"event {ev.seq} ({ev.action}) was altered after it was written")
            prev, last_seq, count = ev.hash, ev.seq, count + 1
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    if head.hash != prev or head.seq != last_seq:
        return ChainReport(False, count, prev, "chain head does not match the last event "
                           "(events were deleted from the end)")
    return ChainReport(True, count, prev)
