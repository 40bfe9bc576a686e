"""Delivering the outbox: claim due rows, pace them per channel, send, record, retry, dead-letter.

A call of :func:`deliver` first writes the digests that have fallen due
(:func:`assurance.outbox.digest.assemble_due`, on the same clock), then delivers in rounds:

1. **Claim.** Due rows are ``pending`` rows whose ``next_attempt_at`` has passed and
   ``sending`` rows whose lease expired (their deliverer died). A row waits while an earlier
   row for the same finding and channel is still pending or sending, so a finding's messages
   arrive in order and its first message starts the thread the later ones reply in. On
   PostgreSQL the claim is ``SELECT … FOR UPDATE SKIP LOCKED``, so several deliverers share
   the work without taking the same row; on SQLite it runs under ``BEGIN IMMEDIATE`` (a single
   writer). Claims take turns (an advisory lock on PostgreSQL), and a channel another
   deliverer holds live leases on is left to it, so one channel is paced by one process.
   Several deliverers therefore share out channels (one claim takes at most ``batch`` rows)
   and otherwise stand by, taking a dead one's channels once its leases expire.
   Claimed rows become ``sending`` with a lease (``lease_until``), renewed while the round
   runs. A reclaimed row whose provider message id is already recorded is marked ``sent`` and
   never sent again.
2. **Pace and send.** Each channel has one message in flight at a time and a pacer driven by
   the injected clock: a token bucket holding one token (messages start ``1/rate`` apart, so
   the receiver never sees a burst) plus a sliding window that starts message *i + N* only a
   second after message *i* finished (N = rate per second), which bounds what the server sees
   in any one-second window even when network latency varies (:mod:`assurance.outbox.pacing`). A
   ``Retry-After`` pauses the whole channel and hands its other claimed rows back, due when
   the pause ends. Channels are sent to in parallel from a small thread pool.
3. **Record.** Every ~0.2 s the results are written in one transaction with one audit event:
   ``sent`` with the provider's message id (the first one for a finding on a channel becomes
   its thread), retryable failures back to ``pending`` after exponential backoff (2 s doubling
   to a 10 minute cap, ±20 % jitter from a seeded generator) or the provider's ``Retry-After``,
   and non-retryable or exhausted rows to ``dead`` with the reason. Each newly dead row queues
   a ``dead_letter`` alert to the fallback channel (``channels.<name>.fallback = true``, else
   the first console channel, else one named ``console``); an alert that dies raises no alert.

**Repeats are prevented where the platform lets us check.** A message sent but not yet recorded
when the deliverer dies (killed, machine lost), or whose reply was lost (timeout, dropped
connection), is retried: after its lease expires, or after backoff. Before such a retry the
deliverer asks a channel that can look (:class:`~assurance.channels.FindsSent`) whether the
platform already has it: Slack reads the channel or thread back for a message whose metadata
carries the notification's idempotency key (needs ``channels:history``), and records the
earlier post instead of posting again. Webhook receivers dedupe on the ``Idempotency-Key``
header and mail systems on the ``Message-ID`` (both the idempotency key), so for them a
repeat is harmless. Teams Workflows webhooks can neither be read back nor dedupe: a message
in that window (the one in flight per channel, plus the last ``flush_every`` seconds of
results, 0.2 s by default) can arrive twice there, and on Slack when the token lacks the
history scope, when the earlier post is older than the 1,000 newest messages read back, or
for documents (file uploads carry no metadata).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from assurance import audit
from assurance.channels import (
    Channel,
    ChannelError,
    DeliveryResult,
    FindsSent,
    OutboundMessage,
    ThreadRef,
)
from assurance.config import Settings
from assurance.outbox import digest
from assurance.outbox.messages import dead_letter_message, to_json
from assurance.outbox.models import (
    DEAD,
    DEAD_LETTER,
    FINDING,
    PENDING,
    SENDING,
    SENT,
    Notification,
    NotificationThread,
    as_utc,
)
from assurance.outbox.pacing import Pacer, backoff

log = logging.getLogger(__name__)

N = Notification.__table__  # type: ignore[attr-defined]
T = NotificationThread.__table__  # type: ignore[attr-defined]
OUTBOX_OPTIONS = ("fallback", "rate_per_second")
"""Keys of a ``[channels.<name>]`` table read by the outbox, not by the channel itself."""
DEFAULT_RATES = {"slack": 1.0, "teams": 1.0, "email": 2.0, "webhook": 10.0, "console": 100.0}
"""Messages per second per channel when ``rate_per_second`` is not set (Slack: ~1/s/channel)."""
CLAIM_LOCK = 0x6F7574626F78
"""PostgreSQL advisory lock key held while claiming ("outbox"): claims take turns."""


def fallback_channel(settings: Settings) -> str:
    """Where dead-letter alerts go: the ``fallback = true`` channel, else a console channel."""
    for name, options in settings.channels.items():
        if options.get("fallback") is True:
            return name
    for name, options in settings.channels.items():
        if options.get("type") == "console":
            return name
    return "console"


def channel_rates(settings: Settings) -> dict[str, float]:
    """Messages per second for each configured channel (``rate_per_second`` or the default)."""
    rates = {}
    for name, options in settings.channels.items():
        rate = options.get("rate_per_second")
        if isinstance(rate, int | float) and not isinstance(rate, bool) and rate > 0:
            rates[name] = float(rate)
        else:
            rates[name] = DEFAULT_RATES.get(str(options.get("type")), 1.0)
    return rates


@dataclass
class DeliveryReport:
    """What one :func:`deliver` call did."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    already_sent: int = 0  # reclaimed rows whose provider id was recorded: not sent again
    found_sent: int = 0  # retried rows the platform already had (FindsSent): not sent again
    alerts: int = 0  # dead-letter alerts queued
    digests: int = 0  # digests assembled (then delivered like any other row)
    pending: int = 0  # rows still pending or sending when it returned
    failures: list[str] = field(default_factory=list)  # "notification 12 (slack): reason"


@dataclass
class _Claim:
    id: int
    kind: str
    finding_id: int | None
    channel: str
    subscription: str
    attempts: int
    message: OutboundMessage
    thread: ThreadRef | None
    maybe_sent: bool = False  # an earlier attempt may have reached the platform
    queued_at: datetime | None = None


@dataclass
class _Result:
    claim: _Claim
    delivery: DeliveryResult | None = None
    found: bool = False  # the platform already had it: an earlier attempt delivered it
    error: str = ""
    retryable: bool = False
    retry_after: float | None = None


@contextmanager
def _write(engine: Engine) -> Iterator[Connection]:
    """A write transaction; on SQLite it takes the write lock first (no upgrade deadlocks)."""
    with engine.connect() as conn:
        conn.execution_options(assurance_write=True)  # BEGIN IMMEDIATE (assurance.db)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def _insert(conn: Connection, table: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING where the dialect has it."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    return insert(table)


def _in_turn() -> Any:
    """No earlier row for the same finding and channel is still pending or sending."""
    earlier = N.alias("earlier")
    blocked = exists().where(earlier.c.finding_id == N.c.finding_id,
                             earlier.c.channel == N.c.channel, earlier.c.id < N.c.id,
                             earlier.c.status.in_((PENDING, SENDING)))
    return or_(N.c.finding_id.is_(None), ~blocked)


def _claimable(at: datetime) -> Any:
    due = or_(and_(N.c.status == PENDING, N.c.next_attempt_at <= at),
              and_(N.c.status == SENDING, N.c.lease_until < at))
    return and_(due, _in_turn())


class _Deliverer:
    def __init__(self, engine: Engine, settings: Settings, channels: Mapping[str, Channel], *,
                 now: Callable[[], datetime], sleep: Callable[[float], None], max_attempts: int,
                 batch: int, rates: Callable[[str], float], lease: float, seed: int,
                 flush_every: float, deliverer: str, should_stop: Callable[[], bool],
                 workers: int):
        self.engine, self.channels, self._now, self.sleep = engine, channels, now, sleep
        self.max_attempts, self.batch, self.rates, self.lease = max_attempts, batch, rates, lease
        self.flush_every, self.me, self.should_stop = flush_every, deliverer, should_stop
        self.workers = workers
        self.fallback = fallback_channel(settings)
        self.rng = random.Random(seed)
        self.pacers: dict[str, Pacer] = {}
        self.results: list[_Result] = []
        self.report = DeliveryReport()
        self.last_flush = self.last_renew = self.t()

    def now(self) -> datetime:
        return as_utc(self._now())

    def t(self) -> float:
        return self.now().timestamp()

    def pacer(self, channel: str) -> Pacer:
        if channel not in self.pacers:
            self.pacers[channel] = Pacer(self.rates(channel))
        return self.pacers[channel]

    def claim(self) -> tuple[list[_Claim], bool]:
        """Claim due rows; also says whether any row changed (some may need no sending)."""
        at = self.now()
        with _write(self.engine) as conn:
            q = select(N).where(_claimable(at)).order_by(N.c.id).limit(self.batch)
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
                q = q.with_for_update(skip_locked=True, of=N)
            # A channel another deliverer is sending on stays with it: pacing is per process.
            theirs = set(conn.execute(select(N.c.channel).distinct().where(
                N.c.status == SENDING, N.c.lease_until >= at,
                or_(N.c.claimed_by.is_(None), N.c.claimed_by != self.me))).scalars())
            per_channel: Counter[str] = Counter()
            chosen = []
            for row in conn.execute(q).all():
                if row.channel in theirs:
                    continue
                # About a third of a lease's worth of messages per channel and round.
                cap = max(1, math.ceil(self.rates(row.channel) * self.lease / 3))
                if per_channel[row.channel] < cap:
                    per_channel[row.channel] += 1
                    chosen.append(row)
            done = [r.id for r in chosen if r.provider_message_id]
            todo = [r for r in chosen if not r.provider_message_id]
            if done:
                conn.execute(update(N).where(N.c.id.in_(done)).values(
                    status=SENT, lease_until=None, sent_at=func.coalesce(N.c.sent_at, at)))
                self.report.already_sent += len(done)
            if todo:
                conn.execute(update(N).where(N.c.id.in_([r.id for r in todo])).values(
                    status=SENDING, claimed_by=self.me,
                    lease_until=at + timedelta(seconds=self.lease)))
            recent = conn.execute(select(N.c.channel, N.c.sent_at).where(
                N.c.channel.in_(set(per_channel)), N.c.status == SENT,
                N.c.sent_at >= at - timedelta(seconds=2), N.c.claimed_by != self.me))
            handed_over: dict[str, list[float]] = defaultdict(list)
            for channel, sent_at in recent:  # sends by the channel's previous deliverer
                handed_over[channel].append(as_utc(sent_at).timestamp())
            for channel, times in handed_over.items():
                self.pacer(channel).seed(times)
            finding_ids = {r.finding_id for r in todo if r.finding_id is not None}
            threads = {(t.finding_id, t.channel): ThreadRef(t.provider_message_id,
                                                              json.loads(t.extra))
                       for t in conn.execute(select(T).where(T.c.finding_id.in_(finding_ids)))
                       } if finding_ids else {}
        # A row reclaimed from a dead deliverer, or retried after an error, may already have
        # reached the platform: send() asks the channel first, where it can tell.
        return [_Claim(r.id, r.kind, r.finding_id, r.channel, r.subscription, r.attempts,
                       digest.load(r.kind, r.message),
                       threads.get((r.finding_id, r.channel)) if r.kind == FINDING else None,
                       maybe_sent=r.status == SENDING or r.last_error is not None,
                       queued_at=as_utc(r.created_at))
                for r in todo], bool(chosen)

    def send(self, c: _Claim) -> _Result:
        channel = self.channels.get(c.channel)
        if channel is None:
            return _Result(c, error=f"channel {c.channel!r} is not configured (or could not be "
                           "built); check [channels] in config.toml")
        try:
            if c.maybe_sent and c.queued_at is not None and isinstance(channel, FindsSent):
                found = channel.find_sent(c.message, c.thread, c.queued_at)
                if found is not None:
                    log.info("notification %s was already on %s (%s): not sent again", c.id,
                             c.channel, found.provider_message_id)
                    return _Result(c, delivery=found, found=True)
            return _Result(c, delivery=channel.send(c.message, c.thread))
        except ChannelError as exc:
            return _Result(c, error=str(exc), retryable=exc.retryable, retry_after=exc.retry_after)
        except Exception as exc:  # noqa: BLE001 - a channel bug must not stop the deliverer
            return _Result(c, error=f"unexpected {type(exc).__name__}: {exc}", retryable=True)

    def dispatch(self, pool: ThreadPoolExecutor, claims: list[_Claim]) -> None:
        queues: dict[str, deque[_Claim]] = defaultdict(deque)
        for c in claims:
            if c.channel in self.channels:
                queues[c.channel].append(c)
            else:
                self.results.append(self.send(c))
        in_flight: dict[Future[_Result], _Claim] = {}
        while queues or in_flight:
            if self.should_stop() and queues:
                self.release([c for q in queues.values() for c in q])
                queues.clear()
            t, wake = self.t(), math.inf
            busy = {c.channel for c in in_flight.values()}
            # Longest-waiting channel first, and only as many as there are free workers, so a
            # message starts when the pacer says it does (not later, from a pool queue).
            for ready, name in sorted((self.pacer(n).ready_at(), n) for n in queues
                                      if n not in busy):
                if ready > t:
                    wake = ready - t
                    break
                if len(in_flight) >= self.workers:
                    break
                c = queues[name].popleft()
                if not queues[name]:
                    del queues[name]
                self.pacer(name).started(t)
                in_flight[pool.submit(self.send, c)] = c
            if in_flight:
                timeout = min(wake, self.flush_every)
                finished, _ = wait(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
                for future in finished:
                    c = in_flight.pop(future)
                    result = future.result()
                    self.pacer(c.channel).finished(self.t(), result.retry_after)
                    self.results.append(result)
                    if result.retry_after and c.channel in queues:  # rate limited: hand back
                        until = self.now() + timedelta(seconds=result.retry_after)
                        self.release(list(queues.pop(c.channel)), due=until)
            elif queues:
                self.sleep(wake)
            self.maybe_flush()
        self.flush()

    def maybe_flush(self) -> None:
        t = self.t()
        if self.results and (t - self.last_flush >= self.flush_every or len(self.results) >= 500):
            self.flush()
        if t - self.last_renew >= self.lease / 3:
            self.last_renew = t
            with _write(self.engine) as conn:
                conn.execute(update(N).where(N.c.claimed_by == self.me, N.c.status == SENDING)
                             .values(lease_until=self.now() + timedelta(seconds=self.lease)))

    def release(self, claims: list[_Claim], due: datetime | None = None) -> None:
        """Give unsent claims back: pending again, due at ``due`` (default: as they were)."""
        values: dict[str, Any] = {"status": PENDING, "lease_until": None, "claimed_by": None}
        if due is not None:
            values["next_attempt_at"] = due
        with _write(self.engine) as conn:
            conn.execute(update(N).where(N.c.id.in_([c.id for c in claims]),
                                         N.c.status == SENDING).values(**values))

    def flush(self) -> None:
        results, self.results = self.results, []
        self.last_flush = self.t()
        if not results:
            return
        at = self.now()
        sent, retry, dead, threads, alerts = [], [], [], [], []
        for r in results:
            c = r.claim
            if r.delivery is not None:
                sent.append({"_id": c.id, "_pid": r.delivery.provider_message_id})
                if c.kind == FINDING and c.thread is None and c.finding_id is not None:
                    threads.append({"finding_id": c.finding_id, "channel": c.channel,
                                    "provider_message_id": r.delivery.provider_message_id,
                                    "extra": json.dumps(dict(r.delivery.extra)), "created_at": at})
            elif r.retryable and c.attempts + 1 < self.max_attempts:
                delay = r.retry_after if r.retry_after is not None else backoff(c.attempts + 1,
                                                                                 self.rng)
                retry.append({"_id": c.id, "_err": r.error,
                              "_next": at + timedelta(seconds=delay)})
            else:
                reason = r.error if not r.retryable else (
                    f"gave up after {c.attempts + 1} attempts; last error: {r.error}")
                dead.append({"_id": c.id, "_err": reason})
                self.report.failures.append(f"notification {c.id} ({c.channel}): {reason}")
                log.warning("notification %s to %s is dead: %s", c.id, c.channel, reason)
                if c.kind != DEAD_LETTER:
                    alerts.append(self.alert(c, reason, at))
        mine = and_(N.c.id == bindparam("_id"), N.c.status == SENDING)
        with _write(self.engine) as conn:
            if sent:
                conn.execute(update(N).where(mine).values(
                    status=SENT, provider_message_id=bindparam("_pid"), sent_at=at,
                    attempts=N.c.attempts + 1, lease_until=None, last_error=None), sent)
            if retry:
                conn.execute(update(N).where(mine).values(
                    status=PENDING, next_attempt_at=bindparam("_next"), last_error=bindparam("_err"),
                    attempts=N.c.attempts + 1, lease_until=None, claimed_by=None), retry)
            if dead:
                conn.execute(update(N).where(mine).values(
                    status=DEAD, dead_at=at, last_error=bindparam("_err"),
                    attempts=N.c.attempts + 1, lease_until=None), dead)
            if threads:
                conn.execute(_insert(conn, T), threads)
            if alerts:
                conn.execute(_insert(conn, N), alerts)
            with Session(bind=conn) as s:
                audit.append(s, at=at, actor=f"deliverer:{self.me}", action="notify.deliver",
                             subject="outbox", details={
                                 "sent": [p["_id"] for p in sent],
                                 "retrying": [p["_id"] for p in retry],
                                 "dead": {str(p["_id"]): p["_err"] for p in dead},
                                 "alerts": len(alerts)})
        self.report.sent += len(sent)
        self.report.found_sent += sum(1 for r in results if r.found)
        self.report.retrying += len(retry)
        self.report.dead += len(dead)
        self.report.alerts += len(alerts)

    def alert(self, c: _Claim, reason: str, at: datetime) -> dict[str, Any]:
        key = hashlib.sha256(f"dead_letter|{c.id}|{self.fallback}".encode()).hexdigest()
        message = dead_letter_message(digest.plain(c.message), key=key, channel=c.channel,
                                      subscription=c.subscription, attempts=c.attempts + 1,
                                      reason=reason)
        return {"idempotency_key": key, "kind": DEAD_LETTER, "finding_id": c.finding_id,
                "event_id": None, "episode": 0, "event": "dead_letter",
                "subscription": f"fallback:{c.subscription}", "channel": self.fallback,
                "audience": "executive", "message": to_json(message), "status": PENDING,
                "attempts": 0, "next_attempt_at": at, "alert_for": c.id, "created_at": at}

    def next_due(self) -> float | None:
        with self.engine.connect() as conn:
            pending = conn.execute(select(func.min(N.c.next_attempt_at)).where(
                N.c.status == PENDING, _in_turn())).scalar()
            leased = conn.execute(select(func.min(N.c.lease_until)).where(
                N.c.status == SENDING)).scalar()
        times = [as_utc(t).timestamp() for t in (pending, leased) if t is not None]
        return min(times) if times else None

    def left(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(N).where(
                N.c.status.in_((PENDING, SENDING)))).scalar() or 0)


def deliver(engine: Engine, settings: Settings, channels: Mapping[str, Channel], *,
            now: Callable[[], datetime], sleep: Callable[[float], None], max_attempts: int = 6,
            batch: int = 500, per_channel_rate: Mapping[str, float] | float = 1.0,
            lease_seconds: float = 60.0, wait_for_retries: float = 0.0, seed: int = 0,
            workers: int = 8, flush_every: float = 0.2, deliverer: str | None = None,
            should_stop: Callable[[], bool] = lambda: False) -> DeliveryReport:
    """Deliver every due notification (see the module docstring).

    Args:
        engine: the store.
        settings: gives the fallback channel for dead-letter alerts.
        channels: built channels by config name (``connectors.channels.build_channel``).
        now: the clock (timezone-aware); pacing, leases and backoff all read it.
        sleep: waits this many seconds (called only when nothing is in flight).
        max_attempts: sends before a retryable failure is dead-lettered.
        batch: most rows claimed per round.
        per_channel_rate: messages per second, per channel name or one figure for all
            (names missing from a mapping get 1.0); see :func:`channel_rates`.
        lease_seconds: how long a claim lasts without renewal; a dead deliverer's rows are
            reclaimed after it.
        wait_for_retries: keep going while a retry (or an expired lease) falls due within this
            many seconds of the start; 0 returns once nothing is due now.
        seed: seeds the backoff jitter.
        workers: threads sending in parallel (one channel per thread at a time).
        flush_every: seconds between writes of results (the unrecorded-results window).
        deliverer: this deliverer's id in ``claimed_by`` and the audit log (default random).
        should_stop: polled between messages; when it returns True, unsent claims are given
            back and deliver returns after in-flight messages finish.
    """
    rates = (lambda name: per_channel_rate) if isinstance(per_channel_rate, int | float) else (
        lambda name: float(per_channel_rate.get(name, 1.0)))
    d = _Deliverer(engine, settings, channels, now=now, sleep=sleep, max_attempts=max_attempts,
                   batch=batch, rates=rates, lease=lease_seconds, seed=seed,
                   flush_every=flush_every, deliverer=deliverer or uuid.uuid4().hex[:16],
                   should_stop=should_stop, workers=workers)
    deadline = d.t() + wait_for_retries
    d.report.digests = len(digest.assemble_due(engine, settings, at=d.now()))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
        while not should_stop():
            claims, progressed = d.claim()
            if claims:
                d.dispatch(pool, claims)
            if progressed:
                continue
            due = d.next_due()
            if due is None or due > deadline:
                break
            d.sleep(max(0.05, due - d.t()))
    d.report.pending = d.left()
    return d.report
