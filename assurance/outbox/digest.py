"""Digests: one message per subscription per digest time instead of one per finding event.

A subscription with ``mode = "daily"`` or ``"weekly"`` (``digest_time``, and for weekly
``digest_weekday``, in ``schedule.timezone``) receives, at each digest time, one message
listing every finding event it would have been sent since its last digest — opened,
escalated, still in breach, acknowledged, resolved, silence expired — grouped per
organisation, each line with the figure as its audience may see it and the report link
where there is one.

**Where a digest is assembled, and why: at delivery time, from held rows.**
:func:`assurance.outbox.enqueue` still writes one row per (event, subscription) in the
transaction that changed the finding, with its message rendered for the subscription's
audience by :func:`assurance.outbox.messages.message_for` (the one disclosure path); for a
digest subscription the row is ``held`` instead of ``pending``, so the deliverer never sends
it on its own. When :func:`assurance.outbox.deliver` runs (the ``notify`` job,
``assurance notify``) it first calls :func:`assemble_due`: for each subscription whose digest
time has passed, one write transaction builds the digest from its held rows up to that time
(reusing each row's headline and facts: nothing here decides what an audience sees), inserts
it as a ``pending`` notification of kind ``digest`` and marks the rows ``digested`` with the
digest's id. The digest is then delivered like any other row: paced, retried,
dead-lettered, read back before a retry where the platform allows. A digest therefore goes
out at the first notify run at or after its digest time: schedule the ``notify`` job at
least that often (every few minutes is usual). ``assurance notifications preview`` shows
the digest the held rows will make before it is due, without writing it.

Assembling late rather than keeping a digest row open while events arrive keeps three
things true. The finding change and its notification still commit together, so a crash can
neither lose an event nor announce a rolled-back one. "Told" subscriptions (who must hear a
breach is resolved) still find their held rows. And exactly-once holds by construction: the
digest's idempotency key is sha256 of (subscription, channel, window end) — the window end
is the digest time that fell due, a pure function of the clock and the config — and it is
unique in the table, so assembling the same window twice (a crash after the commit, two
deliverers, a re-run) writes nothing the second time, while rows are marked in the same
transaction that inserts the digest (a crash before the commit leaves them held for the
re-run). A late row (enqueued with a time before a window already digested) goes into the
next digest. A notify run that missed several digest times sends one digest for all of them
(like a coalesced scheduler job), labelled with its real span.

A held row of a subscription that no longer takes digests (its mode changed to ``each``, or
it was removed) is released as its own pending message, so nothing waits for a digest that
will never come. Run-time subscriptions (``assurance subscriptions add``) always take each
message: only config subscriptions have a mode.

A digest is an :class:`~assurance.channels.OutboundMessage` (event ``digest``; ``facts``
count the events by kind, so a channel that knows nothing of digests still says something
true) of the subclass :class:`DigestMessage`, whose ``sections`` every channel in
``connectors/channels`` renders, escaping each line for its platform.

Known limitations: the first digest after digests are switched on carries every event held
since; a chat platform's size limits make Slack and Teams show at most
:data:`CHAT_LINES` lines (the count of the rest is given, and email, webhook and console
carry all of them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from assurance import audit
from assurance.channels import Event, OutboundMessage
from assurance.config import Settings, SubscriptionSettings
from assurance.outbox.messages import from_json as message_from_json
from assurance.outbox.models import DIGEST, DIGESTED, HELD, PENDING, Notification, as_utc

__all__ = ["CHAT_LINES", "DIGEST_EVENT", "MODES", "DigestEntry", "DigestMessage",
           "DigestSection", "PlannedDigest", "assemble_due", "build", "digest_key",
           "from_json", "is_digest", "load", "mode_of", "next_window_end", "plain", "plan",
           "previous_window_end", "release_undigested", "to_json", "window_end"]

N = Notification.__table__  # type: ignore[attr-defined]
MODES = ("each", "daily", "weekly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DIGEST_EVENT: Event = "digest"
"""The channel event of a digest."""
CHAT_LINES = 40
"""Most lines a Slack or Teams digest shows (their message size limits); the rest are counted."""
DIGEST_LOCK = 0x646967657374
"""PostgreSQL advisory lock key held while assembling ("digest"): assemblers take turns."""
_COUNT_WORDS = {"opened": "Opened", "reopened": "Reopened", "escalated": "Escalated",
                "repeat": "Still in breach", "acknowledged": "Acknowledged",
                "assigned": "Assigned an owner", "silenced": "Silenced", "resolved": "Resolved",
                "silence_expired": "Silence expired", "report_ready": "Reports ready",
                "reminder": "Reminders", "job_error": "Job errors", "dead_letter": "Undelivered"}
"""How a digest counts each kind of event, in the order it lists them: what needs attention
first (a breach, new or again), then what was done, then what is done with."""
_ORDER = tuple(_COUNT_WORDS)
_SEVERITY = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class DigestEntry:
    """One finding event in a digest: the per-event message's own (disclosed) text."""

    event: str  # the per-event message's channel event: opened, escalated, resolved …
    title: str
    severity: str
    headline: str  # the figure as the audience may see it (from message_for)
    rule_id: str
    period: str
    state: str
    level: str
    thread_key: str  # the finding's reference
    idempotency_key: str  # of the per-event message this line stands for
    report_url: str | None = None
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DigestSection:
    """The lines about one organisation (a digest is "threaded" per organisation)."""

    organisation_code: str
    organisation_name: str
    synthetic: bool
    entries: tuple[DigestEntry, ...]


@dataclass(frozen=True)
class DigestMessage(OutboundMessage):
    """A digest: an OutboundMessage whose ``sections`` list the events, per organisation."""

    sections: tuple[DigestSection, ...] = ()
    since: str = ""  # ISO 8601 UTC: events after this …
    until: str = ""  # … up to this (the window end)
    subscription: str = ""


def is_digest(message: OutboundMessage) -> bool:
    """Whether ``message`` is a digest (channels render those section by section)."""
    return isinstance(message, DigestMessage)


# ------------------------------------------------------------------------------ schedule

def subscription_settings(settings: Settings, name: str) -> SubscriptionSettings | None:
    """The config subscription called ``name`` (None: removed, or a run-time one)."""
    return next((s for s in settings.subscriptions if s.name == name), None)


def mode_of(settings: Settings, name: str) -> str:
    """``each``, ``daily`` or ``weekly`` for the subscription called ``name``."""
    sub = subscription_settings(settings, name)
    mode = getattr(sub, "mode", "each") if sub is not None else "each"
    return mode if mode in MODES else "each"


def _step(sub: SubscriptionSettings) -> timedelta:
    return timedelta(days=7 if sub.mode == "weekly" else 1)


def window_end(sub: SubscriptionSettings, timezone: str, at: datetime) -> datetime:
    """The latest digest time at or before ``at`` (UTC): today's or an earlier day's
    ``digest_time``, on ``digest_weekday`` for weekly digests, in ``timezone``.

    Raises:
        ValueError: the subscription does not take digests.
    """
    if sub.mode not in ("daily", "weekly"):
        raise ValueError(f"subscription {sub.name!r} takes each message (mode {sub.mode!r})")
    local = as_utc(at).astimezone(ZoneInfo(timezone))
    hh, _, mm = sub.digest_time.partition(":")
    days_back = 0
    if sub.mode == "weekly":
        days_back = (local.weekday() - WEEKDAYS.index(sub.digest_weekday.lower())) % 7
    day = (local - timedelta(days=days_back)).date()
    end = datetime(day.year, day.month, day.day, int(hh), int(mm), tzinfo=local.tzinfo)
    # Compared in UTC: two datetimes sharing a tzinfo compare by wall clock, which is wrong
    # on the days the clocks change.
    if end.astimezone(UTC) > as_utc(at):
        end = datetime.combine((end - _step(sub)).date(), end.timetz())
    return end.astimezone(UTC)


def previous_window_end(sub: SubscriptionSettings, timezone: str, end: datetime) -> datetime:
    """The digest time before ``end`` (same wall-clock time a day or a week earlier)."""
    local = end.astimezone(ZoneInfo(timezone))
    before = datetime.combine((local - _step(sub)).date(), local.timetz())
    return before.astimezone(UTC)


def next_window_end(sub: SubscriptionSettings, timezone: str, at: datetime) -> datetime:
    """The first digest time after ``at``."""
    local = window_end(sub, timezone, at).astimezone(ZoneInfo(timezone))
    return datetime.combine((local + _step(sub)).date(), local.timetz()).astimezone(UTC)


def digest_key(subscription: str, channel: str, end: datetime) -> str:
    """The digest's idempotency key: sha256 of subscription, channel and window end."""
    stamp = as_utc(end).isoformat(timespec="seconds")
    return hashlib.sha256(f"digest|{subscription}|{channel}|{stamp}".encode()).hexdigest()


# ------------------------------------------------------------------------------ building

def _entry(m: OutboundMessage) -> DigestEntry:
    return DigestEntry(event=m.event, title=m.title, severity=m.severity, headline=m.headline,
                       rule_id=m.rule_id, period=m.period, state=m.state, level=m.level,
                       thread_key=m.thread_key, idempotency_key=m.idempotency_key,
                       report_url=m.report_url, facts=m.facts)


def _when(t: datetime, timezone: str) -> str:
    local = as_utc(t).astimezone(ZoneInfo(timezone))
    return f"{local:%d %B %Y %H:%M}".lstrip("0")


def build(messages: Sequence[OutboundMessage], *, key: str, subscription: str, mode: str,
          audience: str, since: datetime, until: datetime, timezone: str) -> DigestMessage:
    """The digest of ``messages`` (per-event messages, already disclosed for ``audience``).

    Sections are ordered by organisation name, lines as the events happened.
    """
    by_org: dict[str, list[OutboundMessage]] = defaultdict(list)
    for m in messages:
        by_org[m.organisation_code].append(m)
    sections = tuple(
        DigestSection(code, ms[-1].organisation_name, any(m.synthetic for m in ms),
                      tuple(_entry(m) for m in ms))
        for code, ms in sorted(by_org.items(), key=lambda kv: (kv[1][-1].organisation_name,
                                                                 kv[0])))
    counts: Counter[str] = Counter(str(m.event) for m in messages)
    kinds = [k for k in _ORDER if counts[k]] + sorted(k for k in counts if k not in _ORDER)
    summary = ", ".join(f"{counts[k]} {_COUNT_WORDS.get(k, k).lower()}" for k in kinds)
    orgs = len(sections)
    what = "Daily" if mode == "daily" else "Weekly"
    severity = max((m.severity for m in messages), default="low",
                   key=lambda s: _SEVERITY.index(s) if s in _SEVERITY else 0)
    only = sections[0] if orgs == 1 else None
    return DigestMessage(
        idempotency_key=key, event=DIGEST_EVENT, thread_key=f"digest:{subscription}",
        title=f"{what} digest for {subscription}", severity=severity,
        organisation_code=only.organisation_code if only else "-",
        organisation_name=only.organisation_name if only else f"{orgs} organisations",
        rule_id="-", period=f"{_when(since, timezone)} to {_when(until, timezone)}",
        state="digest", level=audience,
        headline=f"{summary} at {orgs} organisation{'s' if orgs != 1 else ''} since "
        f"{_when(since, timezone)}",
        facts=tuple((_COUNT_WORDS.get(k, k), str(counts[k])) for k in kinds),
        synthetic=any(s.synthetic for s in sections), sections=sections,
        since=as_utc(since).isoformat(timespec="seconds"),
        until=as_utc(until).isoformat(timespec="seconds"), subscription=subscription)


def to_json(message: DigestMessage) -> str:
    """The digest as stored in ``notification.message``."""
    return json.dumps(dataclasses.asdict(message), ensure_ascii=False, sort_keys=True)


def _pairs(raw: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(a), str(b)) for a, b in raw or ())


def from_json(text: str) -> DigestMessage:
    """The digest stored by :func:`to_json`."""
    doc = json.loads(text)
    sections = tuple(DigestSection(
        s["organisation_code"], s["organisation_name"], bool(s["synthetic"]),
        tuple(DigestEntry(**{**e, "facts": _pairs(e.get("facts"))}) for e in s["entries"]))
        for s in doc.pop("sections", ()))
    doc["facts"] = _pairs(doc.get("facts"))
    doc["attachments"] = ()
    names = {f.name for f in dataclasses.fields(DigestMessage)}
    return DigestMessage(**{k: v for k, v in doc.items() if k in names}, sections=sections)


def load(kind: str, text: str) -> OutboundMessage:
    """A stored message of either shape: digests as :class:`DigestMessage`."""
    return from_json(text) if kind == DIGEST else message_from_json(text)


def plain(message: OutboundMessage) -> OutboundMessage:
    """The message without its sections (for a dead-letter alert, which carries no figures)."""
    if not isinstance(message, DigestMessage):
        return message
    names = {f.name for f in dataclasses.fields(OutboundMessage)}
    return OutboundMessage(**{n: getattr(message, n) for n in names})


# ------------------------------------------------------------------------------ assembling

@dataclass(frozen=True)
class PlannedDigest:
    """A digest that is (or will be) due: its window and the held rows it carries."""

    subscription: str
    channel: str
    audience: str
    end: datetime
    due: bool  # the window has ended (assemble_due writes it)
    message: DigestMessage
    row_ids: tuple[int, ...]


def plan(session: Session, settings: Settings, *, at: datetime,
         channel: str | None = None, include_future: bool = False,
         early: bool = False) -> list[PlannedDigest]:
    """The digests the held rows make at ``at``, without writing anything.

    Args:
        session: any session (read only).
        at: now; a digest is due when its window end is at or before it.
        channel: only digests for this channel.
        include_future: also the next, not yet due, digest of every held row (previews).
        early: every held row is due now: the window ends at ``at`` rather than at the
            last digest time (``assurance notify --digests-now``).
    """
    at = as_utc(at)
    q = select(N.c.id, N.c.subscription, N.c.channel, N.c.audience, N.c.message,
               N.c.created_at).where(N.c.status == HELD).order_by(N.c.id)
    if channel is not None:
        q = q.where(N.c.channel == channel)
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in session.execute(q):
        groups[(row.subscription, row.channel)].append(row)
    planned = []
    for (name, chan), rows in groups.items():
        sub = subscription_settings(settings, name)
        if sub is None or mode_of(settings, name) == "each":
            continue
        # A row rendered for another audience (the subscription's audience was changed
        # while it was held) is never sent: it could show a network exact counts.
        rows = [r for r in rows if r.audience == sub.audience]
        end = at if early else window_end(sub, settings.timezone, at)
        due = [r for r in rows if as_utc(r.created_at) <= end]
        later = [r for r in rows if as_utc(r.created_at) > end]
        batches = [(end, due, True)]
        if include_future:
            batches.append((next_window_end(sub, settings.timezone, at), later, False))
        for batch_end, batch, is_due in batches:
            if not batch:
                continue
            since = min(previous_window_end(sub, settings.timezone, batch_end),
                        min(as_utc(r.created_at) for r in batch) - timedelta(seconds=1))
            key = digest_key(name, chan, batch_end)
            message = build([message_from_json(r.message) for r in batch], key=key,
                            subscription=name, mode=sub.mode, audience=batch[-1].audience,
                            since=since, until=batch_end, timezone=settings.timezone)
            planned.append(PlannedDigest(name, chan, batch[-1].audience, batch_end, is_due,
                                         message, tuple(r.id for r in batch)))
    return planned


def release_undigested(session: Session, settings: Settings, *, at: datetime) -> int:
    """Held rows of subscriptions that now take each message become pending messages. Rows
    of a subscription removed from config, or rendered for an audience it no longer has,
    stay held and are never sent (the subscription was removed or changed for a reason)."""
    names = set(session.execute(select(N.c.subscription).distinct()
                                .where(N.c.status == HELD)).scalars())
    released = 0
    for name in names:
        sub = subscription_settings(settings, name)
        if sub is None or mode_of(settings, name) != "each":
            continue
        result = session.execute(update(N).where(
            N.c.status == HELD, N.c.subscription == name, N.c.audience == sub.audience)
            .values(status=PENDING, next_attempt_at=as_utc(at)))
        released += int(result.rowcount)  # type: ignore[attr-defined]
    return released


def assemble_due(engine: Engine, settings: Settings, *, at: datetime,
                 early: bool = False) -> list[str]:
    """Write every digest due at ``at`` (see the module docstring); returns their keys.

    One transaction: the digest rows are inserted and the rows they carry marked
    ``digested``. A digest whose key exists already is not written again.

    Args:
        early: send what is held now, without waiting for each digest time: the window
            ends at ``at`` (the key is made from it). Still once: the rows it carries are
            marked in the same transaction, so a re-run finds nothing left to send.
    """
    at = as_utc(at)
    with Session(engine.execution_options(assurance_write=True)) as s, s.begin():
        if s.get_bind().dialect.name == "postgresql":
            s.execute(select(func.pg_advisory_xact_lock(DIGEST_LOCK)))
        released = release_undigested(s, settings, at=at)
        written = []
        for d in plan(s, settings, at=at, early=early):
            if not d.due:
                continue
            exists = s.execute(select(N.c.id).where(
                N.c.idempotency_key == d.message.idempotency_key)).first()
            if exists is not None:  # already assembled: these late rows wait for the next
                continue
            result = s.execute(insert(N).values(
                idempotency_key=d.message.idempotency_key, kind=DIGEST, finding_id=None,
                event_id=None, episode=0, event="digest", subscription=d.subscription,
                channel=d.channel, audience=d.audience, message=to_json(d.message),
                status=PENDING, attempts=0, next_attempt_at=at, created_at=at))
            digest_id = result.inserted_primary_key[0]  # type: ignore[attr-defined]
            s.execute(update(N).where(N.c.id.in_(d.row_ids), N.c.status == HELD)
                      .values(status=DIGESTED, digest_id=digest_id))
            written.append(d.message.idempotency_key)
        if written or released:
            audit.append(s, at=at, actor="outbox", action="notify.digest", subject="outbox",
                         details={"digests": written, "released": released})
    return written

