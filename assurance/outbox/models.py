"""The outbox's tables (SQLModel): notifications and their threads.

Schema changes go through ``assurance/migrations`` (revision 0003 created these tables,
0006 added ``digest_id``). A notification row is written in the same transaction as the
finding change that caused it (:func:`assurance.outbox.enqueue`) and then moves ``pending`` →
``sending`` → ``sent``, or back to ``pending`` for a retry, or to ``dead`` with its reason
(:mod:`assurance.outbox.delivery`). A row for a subscription that takes digests is written
``held`` instead, and becomes ``digested`` when the digest carrying it is written (its
``digest_id`` names that digest's row; :mod:`assurance.outbox.digest`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
HELD, DIGESTED = "held", "digested"
"""A finding message waiting for its subscription's digest, and one a digest now carries:
neither is ever sent on its own."""
STATUSES = (PENDING, SENDING, SENT, DEAD, HELD, DIGESTED)
"""Every notification status: the delivery lifecycle, then the two digest ones."""

FINDING, DEAD_LETTER, REPORT, DIGEST = "finding", "dead_letter", "report", "digest"
"""Notification kinds: about a finding event, an alert that another notification died, a
document (a board report) distributed to a channel with the file attached, or one digest of
a subscription's finding messages."""


def as_utc(value: datetime) -> datetime:
    """Times in these tables are UTC: SQLite keeps no offset, and due times are compared as
    stored. A naive value is taken to be UTC already (that is how SQLite gives them back)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Notification(SQLModel, table=True):
    """One message for one subscription's channel: the outbox row.

    ``idempotency_key`` is sha256 of finding fingerprint, event id and subscription name, so
    enqueueing twice is a no-op and receivers can drop a retried duplicate. ``message`` is the
    rendered, disclosure-controlled :class:`~assurance.channels.OutboundMessage` as JSON.
    ``episode`` is the finding's ``times_opened`` when the event happened, so a resolution can
    find every subscription told about the same breach.
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_due", "status", "next_attempt_at"),
        Index("ix_notification_order", "finding_id", "channel", "status"),
        Index("ix_notification_recent", "channel", "sent_at"),
        Index("ix_notification_held", "status", "subscription", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=64)
    kind: str = Field(default=FINDING, max_length=16)
    finding_id: int | None = Field(default=None, foreign_key="finding.id")
    event_id: int | None = Field(default=None, foreign_key="finding_event.id")
    episode: int = 0
    event: str = Field(max_length=24)
    subscription: str = Field(max_length=80)
    channel: str = Field(max_length=80)
    audience: str = Field(max_length=20)
    message: str
    status: str = Field(default=PENDING, max_length=12)
    attempts: int = 0
    next_attempt_at: datetime
    lease_until: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=40)
    provider_message_id: str | None = None
    last_error: str | None = None
    alert_for: int | None = Field(default=None, foreign_key="notification.id")
    digest_id: int | None = None  # the digest row carrying this (status digested)
    created_at: datetime
    sent_at: datetime | None = None
    dead_at: datetime | None = None


class NotificationThread(SQLModel, table=True):
    """Where a finding's conversation lives on one channel: its first delivered message."""

    __tablename__ = "thread"

    finding_id: int = Field(foreign_key="finding.id", primary_key=True)
    channel: str = Field(primary_key=True, max_length=80)
    provider_message_id: str
    extra: str = "{}"  # JSON of DeliveryResult.extra
    created_at: datetime
