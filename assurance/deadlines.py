"""The deadline calendar: what is due when, and reminders to the subscriptions that opt in.

The dates come from ``[calendar]`` (:mod:`assurance.config.calendar`, where every default and
its source is listed): WRES and WDES snapshots, returns and publication, the gender pay gap
snapshot and report (30 March for public bodies, for the snapshot of 31 March the year
before), Staff Survey publication, the EDI Improvement Plan's HIA milestones, and the
committee's meetings (``calendar.committee_dates`` and every ``board_reports`` job's
``committee_dates``).

**Reminders** go through the outbox like every other message: :func:`enqueue_reminders`
writes one ``notification`` row (kind ``reminder``, event ``reminder``) per deadline and
subscription named in ``calendar.remind``, rendered once and then delivered, paced, retried
and dead-lettered by :func:`assurance.outbox.deliver` (the ``notify`` job or ``assurance
notify``). A reminder is due from ``N`` days before the date (``calendar.remind_days_before``,
e.g. ``[28, 7]``) until the date itself; a run that finds several due sends only the nearest
(the 7-day one, not a stale 28-day one). Its idempotency key is sha256 of (deadline, date,
``N``, subscription), so a job run twice, or daily, sends each reminder once. The
``calendar_reminders`` job (:mod:`assurance.jobs`) calls it each day; ``assurance calendar
--remind`` does the same by hand.

Known limitations: reminders carry no figures, so every audience gets the same text; they are
always sent on their own, never held for a digest; only ``[[subscriptions]]`` in config.toml
can opt in (run-time subscriptions have no calendar option yet).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from assurance import audit
from assurance.channels import OutboundMessage
from assurance.config import Settings
from assurance.config.calendar import DeadlineDef
from assurance.outbox.messages import to_json
from assurance.outbox.models import PENDING, Notification, as_utc
from assurance.periods import long_date
from assurance.routing import Subscription, config_subscriptions

REMINDER = "reminder"
"""The notification kind and message event of a calendar reminder."""


@dataclass(frozen=True)
class Deadline:
    """One dated deadline in the calendar."""

    id: str
    day: date
    title: str
    topic: str
    source: str


def _title(d: DeadlineDef, year: int) -> str:
    return d.title.format(y=year, y_1=year - 1)


def _occurrences(d: DeadlineDef, start: date, end: date) -> list[date]:
    if d.on is not None:
        return [d.on] if start <= d.on <= end else []
    assert d.yearly is not None
    month, day = (int(x) for x in d.yearly.split("-"))
    days = (date(y, month, day) for y in range(start.year, end.year + 1))
    return [x for x in days if start <= x <= end]


def _job_committee_dates(settings: Settings) -> set[date]:
    found: set[date] = set()
    for job in settings.jobs:
        if job.type != "board_reports":
            continue
        for raw in job.options.get("committee_dates", []):
            try:
                found.add(raw if isinstance(raw, date) else date.fromisoformat(str(raw)))
            except ValueError:
                continue  # the job's own check reports it (assurance config check)
    return found


def deadlines(settings: Settings, start: date, end: date) -> list[Deadline]:
    """Every deadline from ``start`` to ``end`` (inclusive), by date then id."""
    out = [Deadline(d.id, day, _title(d, day.year), d.topic, d.source)
           for d in settings.calendar.deadlines for day in _occurrences(d, start, end)]
    configured = set(settings.calendar.committee_dates)
    for day in sorted(configured | _job_committee_dates(settings)):
        if start <= day <= end:
            where = ("calendar.committee_dates" if day in configured
                     else "a board_reports job's committee_dates")
            out.append(Deadline("committee", day, f"{settings.reports.committee} meeting",
                                "committee", f"configured ({where})"))
    return sorted(out, key=lambda x: (x.day, x.id))


@dataclass(frozen=True)
class Reminder:
    """A reminder due: the deadline and how many days before it this reminder is."""

    deadline: Deadline
    days_before: int  # the configured N this reminder is for
    days_left: int  # days from today to the deadline


def due_reminders(settings: Settings, today: date) -> list[Reminder]:
    """The reminders due on ``today``: for each deadline at most ``max(N)`` days away, the
    nearest configured ``N`` it has reached."""
    days = settings.calendar.remind_days_before
    if not days:
        return []
    out = []
    for d in deadlines(settings, today, today + timedelta(days=max(days))):
        left = (d.day - today).days
        reached = [n for n in days if left <= n]
        if reached:
            out.append(Reminder(d, min(reached), left))
    return out


def reminder_key(r: Reminder, subscription: str) -> str:
    """The idempotency key of one reminder to one subscription (64 hex characters)."""
    body = f"reminder|{r.deadline.id}|{r.deadline.day.isoformat()}|{r.days_before}|{subscription}"
    return hashlib.sha256(body.encode()).hexdigest()


def _message(r: Reminder, sub: Subscription, key: str, settings: Settings) -> OutboundMessage:
    d = r.deadline
    when = "today" if r.days_left == 0 else (
        "tomorrow" if r.days_left == 1 else f"in {r.days_left} days")
    return OutboundMessage(
        idempotency_key=key, event="reminder", thread_key=f"calendar:{d.id}:{d.day.isoformat()}",
        title=f"Due {when}: {d.title}", severity="low", organisation_code="-",
        organisation_name=settings.reports.branding.organisation_name, rule_id="-",
        period=d.day.isoformat(), state="ok", level=sub.audience,
        headline=f"{d.title}: {d.day:%A} {long_date(d.day)} ({when})",
        facts=(("Date", d.day.isoformat()), ("Days left", str(r.days_left)),
               ("Deadline", d.id), ("Date from", d.source)))


def opted_in(settings: Settings) -> list[Subscription]:
    """The config subscriptions named in ``calendar.remind``."""
    names = set(settings.calendar.remind)
    return [s for s in config_subscriptions(settings) if s.name in names]


def enqueue_reminders(session: Session, settings: Settings, *, today: date,
                      at: datetime) -> int:
    """Write the reminders due on ``today`` to the outbox, in the caller's transaction.

    Returns how many rows were written (0 when every due reminder was already queued).
    """
    subs = opted_in(settings)
    due = due_reminders(settings, today)
    if not subs or not due:
        return 0
    at = as_utc(at)
    wanted = {reminder_key(r, s.name): (r, s) for r in due for s in subs}
    existing = set(session.exec(select(Notification.idempotency_key).where(
        col(Notification.idempotency_key).in_(list(wanted)))).all())
    rows: list[dict[str, Any]] = []
    queued = []
    for key, (r, sub) in wanted.items():
        if key in existing:
            continue
        rows.append(dict(idempotency_key=key, kind=REMINDER, finding_id=None, event_id=None,
                         episode=0, event=REMINDER, subscription=sub.name, channel=sub.channel,
                         audience=sub.audience,
                         message=to_json(_message(r, sub, key, settings)), status=PENDING,
                         attempts=0, next_attempt_at=at, created_at=at))
        queued.append({"deadline": r.deadline.id, "date": r.deadline.day,
                       "days_before": r.days_before, "subscription": sub.name})
    if rows:
        session.execute(insert(Notification.__table__), rows)  # type: ignore[attr-defined]
        audit.append(session, at=at, actor="calendar", action="calendar.remind",
                     subject=f"calendar:{today.isoformat()}", details={"queued": queued})
    return len(rows)


def window(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The default listing window: from today for a year."""
    first = start or today
    return first, end or first + timedelta(days=365)


__all__ = ["REMINDER", "Deadline", "Reminder", "deadlines", "due_reminders",
           "enqueue_reminders", "opted_in", "reminder_key", "window"]

