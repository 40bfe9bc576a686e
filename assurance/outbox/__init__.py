"""The outbox: notifications written in the same transaction as the finding change behind them.

:func:`enqueue` turns finding transitions into ``notification`` rows, one per (transition,
subscription), each with a deterministic idempotency key (sha256 of finding fingerprint,
event id and subscription name) and its message already rendered and disclosure-controlled
for the subscription's audience (:mod:`assurance.outbox.messages`). Because the rows commit
with the finding change, a crash can never lose a notification or announce a change that
was rolled back. :func:`deliver` (:mod:`assurance.outbox.delivery`) sends them later.

What notifies:

* **opened** and **reopened**: every matching subscription;
* **continuing** (still in breach): when the subscription's ``repeat_every`` is due (default
  every period; 0 never) counted on the periods in breach;
* **escalated**: every subscription matching at the new level, so ``min_level`` subscribers
  (the board committee) first hear of a finding when it reaches them;
* **acknowledged** and **resolved** (with its duration): every matching subscription and
  every subscription that was told about this breach earlier, even if it no longer matches
  or was removed since, so every level that heard of a problem hears it is over;
* **silenced** (who approved it and until when) and **silence_expired**: every matching
  subscription and every one told about the finding earlier.

Documents (board reports) go through the same outbox (:func:`enqueue_document`, kind
``report``): one row per document and channel, the file attached where the channel can carry
it.

A subscription with ``mode = "daily"`` or ``"weekly"`` gets the same rows, ``held`` rather
than ``pending``: they are sent as one digest per digest time (:mod:`assurance.outbox.digest`).

Nothing notifies while a finding is silenced, except the silence itself (so its audience
knows why it will hear nothing) and its expiry. ``no_data``
and ``error`` transitions do not notify here: a missing return is a finding of its own
(data-quality rules), and errors surface through job alerts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, insert, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import audit
from assurance.channels import Attachment, OutboundMessage
from assurance.config import Settings
from assurance.disclosure import policy_for
from assurance.engine.rules import Rule
from assurance.findings import Transition
from assurance.models import Finding, FindingEvent, Organisation
from assurance.outbox import digest
from assurance.outbox.delivery import (
    OUTBOX_OPTIONS,
    DeliveryReport,
    channel_rates,
    deliver,
    fallback_channel,
)
from assurance.outbox.digest import mode_of
from assurance.outbox.messages import EVENT_NAMES, from_json, message_for, to_json
from assurance.outbox.models import (
    DEAD,
    DIGEST,
    FINDING,
    HELD,
    PENDING,
    REPORT,
    SENDING,
    SENT,
    STATUSES,
    Notification,
    as_utc,
)
from assurance.problems import Problem, ProblemsError, did_you_mean
from assurance.routing import Subscription, list_subscriptions, matching

__all__ = ["DeliveryReport", "OutboxStatus", "FailedNotification", "PreviewItem",
           "channel_rates", "check_outbox_options", "deliver", "enqueue", "enqueue_document",
           "fallback_channel", "message_for", "preview", "preview_rows",
           "notification_key", "retry_dead", "status_report", "transport_options"]


def notification_key(fingerprint: str, event_id: int, subscription: str) -> str:
    """The idempotency key of one notification (64 hex characters)."""
    return hashlib.sha256(f"{fingerprint}|{event_id}|{subscription}".encode()).hexdigest()


def _silenced(f: Finding, ev: FindingEvent) -> bool:
    return f.silenced_until is not None and f.silenced_until >= ev.as_of


def _repeat_due(sub: Subscription, f: Finding, details: Mapping[str, Any]) -> bool:
    if sub.repeat_every <= 0:
        return False
    consecutive = int(details.get("consecutive_periods") or f.consecutive_periods or 1)
    return (consecutive - 1) % sub.repeat_every == 0


def _told(session: Session, f: Finding) -> list[Subscription]:
    """Subscriptions that were sent (or will be sent) news of the finding's current breach."""
    rows = session.exec(select(Notification.subscription, Notification.channel,
                               Notification.audience)
                        .where(Notification.finding_id == f.id,
                               Notification.episode == f.times_opened,
                               Notification.kind == FINDING, Notification.status != DEAD)
                        .distinct()).all()
    return [Subscription(name, channel, audience, source="told") for name, channel, audience
            in rows]


def enqueue(session: Session, transitions: Sequence[Transition], settings: Settings, *,
            at: datetime, rules_by_id: Mapping[str, Rule] | None = None,
            subscriptions: Sequence[Subscription] | None = None) -> int:
    """Write the notifications ``transitions`` call for, in the caller's transaction.

    Enqueueing the same transitions again adds nothing (the idempotency key is unique).

    Args:
        session: the session that applied the transitions (the caller commits).
        transitions: from :func:`assurance.findings.apply_outcomes`, ``acknowledge`` and
            :func:`assurance.escalation.escalate_unacknowledged`.
        settings: subscriptions, audiences and levels.
        at: when (the rows' ``created_at`` and first ``next_attempt_at``).
        rules_by_id: gives messages the rule's ``why`` and ``action`` text.
        subscriptions: default :func:`assurance.routing.list_subscriptions`.

    Returns:
        How many notifications were written.
    """
    at = as_utc(at)
    subs = list(subscriptions) if subscriptions is not None else list_subscriptions(session,
                                                                                    settings)
    rules = rules_by_id or {}
    orgs: dict[str, Organisation | None] = {}
    written = 0
    for t in transitions:
        f, ev = t.finding, t.event
        if ev.kind not in EVENT_NAMES or ev.id is None or f.id is None:
            continue
        if ev.kind not in ("silenced", "silence_expired") and _silenced(f, ev):
            continue
        details = json.loads(ev.details or "{}")
        targets = matching(f, settings, subs, level=ev.level)
        if ev.kind == "continuing":
            targets = [s for s in targets if _repeat_due(s, f, details)]
        if ev.kind in ("acknowledged", "assigned", "reopened", "resolved", "silenced",
                       "silence_expired"):
            names = {s.name for s in targets}
            targets += [s for s in _told(session, f) if s.name not in names]
        keys = {s.name: notification_key(f.fingerprint, ev.id, s.name) for s in targets}
        existing = set(session.exec(select(Notification.idempotency_key).where(
            col(Notification.idempotency_key).in_(list(keys.values())))).all()) if keys else set()
        if f.org_code not in orgs:
            orgs[f.org_code] = session.get(Organisation, f.org_code)
        rule = rules.get(f.rule_id)
        rows = []
        for sub in targets:
            key = keys[sub.name]
            if key in existing:
                continue
            message = message_for(f, ev, policy_for(settings, sub.audience),
                                  orgs[f.org_code], idempotency_key=key,
                                  previous_level=t.previous_level,
                                  why=rule.why if rule else "", action=rule.action if rule else "")
            rows.append(dict(idempotency_key=key, kind=FINDING, finding_id=f.id, event_id=ev.id,
                             episode=f.times_opened, event=message.event, subscription=sub.name,
                             channel=sub.channel, audience=sub.audience, message=to_json(message),
                             status=PENDING if mode_of(settings, sub.name) == "each" else HELD, attempts=0,
                             next_attempt_at=at, created_at=at))
            existing.add(key)
        if rows:  # Core insert: thousands of rows per run would be slow as ORM objects
            session.flush()
            session.execute(insert(Notification.__table__), rows)  # type: ignore[attr-defined]
            written += len(rows)
    return written


def enqueue_document(session: Session, *, document: str, channel: str, sender: str,
                     path: Path, organisation: Organisation | None, org_code: str, title: str,
                     period: str, headline: str, at: datetime, audience: str = "board") -> bool:
    """Queue a document (a board report) for ``channel`` with the file attached, in the
    caller's transaction. Returns whether a row was written.

    The key is ``document`` (what it is, e.g. ``board|RXX|2026-01-15``) and the channel: each
    document goes to each channel once, however often the job runs — an edited file is not
    sent again, and a file changed after queueing is never sent (the row is dead-lettered,
    which alerts the operators). The file's SHA-256 is recorded when it is queued.

    Args:
        document: stable identity of the document.
        sender: who queued it (``job:<name>``), kept as the row's subscription.
        audience: whose disclosure level the document was built for; recorded on the row.
    """
    key = hashlib.sha256(f"document|{document}|{channel}".encode()).hexdigest()
    if session.exec(select(Notification.id).where(Notification.idempotency_key == key)).first():
        return False
    attachment = Attachment.of(path)
    name = organisation.name if organisation is not None else org_code
    message = OutboundMessage(
        idempotency_key=key, event="report_ready", thread_key=f"document:{document}",
        title=title, severity="low", organisation_code=org_code, organisation_name=name,
        rule_id="-", period=period, state="ok", level=audience, headline=headline,
        facts=(("File", attachment.filename), ("Size", f"{attachment.size:,} bytes"),
               ("SHA-256", attachment.sha256), ("Saved at", attachment.path)),
        synthetic=bool(organisation is not None and organisation.synthetic),
        attachments=(attachment,))
    at = as_utc(at)
    session.add(Notification(idempotency_key=key, kind=REPORT, event=message.event,
                             subscription=sender[:80], channel=channel, audience=audience,
                             message=to_json(message), status=PENDING, next_attempt_at=at,
                             created_at=at))
    return True


@dataclass(frozen=True)
class FailedNotification:
    """A dead notification, or a pending one that has failed at least once."""

    id: int
    status: str
    channel: str
    subscription: str
    event: str
    title: str
    organisation: str
    attempts: int
    reason: str
    next_attempt_at: datetime | None
    dead_at: datetime | None


@dataclass(frozen=True)
class OutboxStatus:
    """Counts per status (every status present, zero included) and the failed rows."""

    counts: dict[str, int]
    failed: list[FailedNotification]

    @property
    def ok(self) -> bool:
        """No dead notifications."""
        return self.counts.get(DEAD, 0) == 0


def status_report(engine: Engine, *, limit: int = 100) -> OutboxStatus:
    """What ``assurance notify --status`` shows: counts, then the newest failed rows."""
    with Session(engine) as s:
        counts = dict.fromkeys(STATUSES, 0)
        for status, n in s.exec(select(Notification.status, func.count())
                                .group_by(Notification.status)).all():
            counts[status] = int(n)
        failing = or_(col(Notification.status) == DEAD,
                      and_(col(Notification.status) == PENDING,
                           col(Notification.last_error).is_not(None)))
        rows = s.exec(select(Notification).where(failing)
            .order_by(col(Notification.id).desc()).limit(limit)).all()
    failed = []
    for r in rows:
        m = from_json(r.message)
        failed.append(FailedNotification(
            r.id or 0, r.status, r.channel, r.subscription, r.event, m.title,
            f"{m.organisation_name} ({m.organisation_code})", r.attempts, r.last_error or "",
            as_utc(r.next_attempt_at) if r.status == PENDING else None,
            as_utc(r.dead_at) if r.dead_at else None))
    return OutboxStatus(counts, failed)


def retry_dead(engine: Engine, *, at: datetime, actor: str,
               ids: Sequence[int] | None = None) -> int:
    """Queue dead notifications again (all, or those ``ids``) after their cause was fixed."""
    at = as_utc(at)
    with Session(engine.execution_options(assurance_write=True)) as s, s.begin():
        q = update(Notification).where(col(Notification.status) == DEAD)
        if ids is not None:
            q = q.where(col(Notification.id).in_(list(ids)))
        result = s.exec(q.values(status=PENDING, attempts=0, next_attempt_at=at, dead_at=None,
                                 claimed_by=None, lease_until=None))
        audit.append(s, at=at, actor=actor, action="notify.retry_dead", subject="outbox",
                     details={"ids": list(ids) if ids is not None else "all",
                              "rows": result.rowcount})
        return int(result.rowcount)


@dataclass(frozen=True)
class PreviewItem:
    """One message a channel would receive (or received), as :func:`preview` found it.

    ``status`` is the row's (``pending``, ``sending``, ``sent``, ``dead``), or ``digest due``
    for a digest whose time has passed but that no notify run has written yet, or ``next
    digest`` for the one the held messages will make at ``when``.
    """

    status: str
    when: datetime  # queued at; for a digest not yet written, its digest time
    kind: str
    subscription: str
    message: OutboundMessage


def preview(engine: Engine, settings: Settings, channel: str, *, at: datetime,
            since: datetime | None = None) -> list[PreviewItem]:
    """What ``channel`` would receive, in order: every pending message and digest, and the
    digests its held messages make (due now, or at the next digest time); with ``since``,
    also what was sent (or died) since then. Reads only: call it on a store opened with
    :func:`assurance.db.open_existing_store` and nothing is written, sent or claimed.

    Every message is the stored one, rendered and disclosure-controlled for its
    subscription's audience when it was queued.

    Raises:
        ProblemsError: ``channel`` is not configured.
    """
    if channel not in settings.channels:
        raise ProblemsError([Problem("--channel", f"no channel named {channel!r}"
                                     + did_you_mean(channel, settings.channels)
                                     + "; expected one of " + (", ".join(settings.channels)
                                                                or "(none configured)"))])
    at = as_utc(at)
    items = []
    with Session(engine) as s:
        waiting = col(Notification.status).in_((PENDING, SENDING))
        where = waiting if since is None else or_(waiting, and_(
            col(Notification.status).in_((SENT, DEAD)),
            col(Notification.created_at) >= as_utc(since)))
        for r in s.exec(select(Notification).where(Notification.channel == channel, where)
                        .order_by(col(Notification.id))).all():
            items.append(PreviewItem(r.status, as_utc(r.created_at), r.kind, r.subscription,
                                     digest.load(r.kind, r.message)))
        for d in digest.plan(s, settings, at=at, channel=channel, include_future=True):
            items.append(PreviewItem("digest due" if d.due else "next digest", d.end, DIGEST,
                                     d.subscription, d.message))
    return sorted(items, key=lambda i: i.when)


PREVIEW_COLUMNS = ("status", "when", "kind", "subscription", "message_key", "event",
                   "organisation_code", "organisation_name", "title", "headline", "report_url",
                   "reference")
"""The columns of :func:`preview_rows` (``assurance notifications preview --format csv``)."""


def preview_rows(items: Sequence[PreviewItem]) -> list[tuple[str, ...]]:
    """One row per message, and per line of a digest (its entries), in
    :data:`PREVIEW_COLUMNS` order. Cells are data: a CSV writer must neutralise them."""
    rows: list[tuple[str, ...]] = []
    for i in items:
        m = i.message
        when = i.when.isoformat(timespec="seconds")
        head = (i.status, when, i.kind, i.subscription, m.idempotency_key)
        if isinstance(m, digest.DigestMessage):
            rows += [(*head, e.event, sec.organisation_code, sec.organisation_name, e.title,
                      e.headline, e.report_url or "", e.thread_key)
                     for sec in m.sections for e in sec.entries]
        else:
            rows.append((*head, m.event, m.organisation_code, m.organisation_name, m.title,
                         m.headline, m.report_url or "", m.thread_key))
    return rows


def transport_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """A ``[channels.<name>]`` table without the outbox's keys, for ``build_channel``."""
    return {k: v for k, v in options.items() if k not in OUTBOX_OPTIONS}


def check_outbox_options(settings: Settings) -> list[Problem]:
    """Problems with the outbox keys of the channel tables (``fallback``, ``rate_per_second``)."""
    where = str(settings.source or "<config>")
    problems = []
    fallbacks = []
    for name, options in settings.channels.items():
        if "fallback" in options:
            if not isinstance(options["fallback"], bool):
                problems.append(Problem(where, f"channels.{name}.fallback: found "
                                        f"{options['fallback']!r}; expected true or false"))
            elif options["fallback"]:
                fallbacks.append(name)
        rate = options.get("rate_per_second")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)
                                 or not 0 < rate <= 1000):
            problems.append(Problem(where, f"channels.{name}.rate_per_second: found {rate!r}; "
                                    "expected a number of messages per second, above 0 and at "
                                    "most 1000 (Slack allows about 1)"))
    if len(fallbacks) > 1:
        problems.append(Problem(where, "channels: more than one channel has fallback = true ("
                                + ", ".join(fallbacks) + "); expected at most one"))
    return problems
