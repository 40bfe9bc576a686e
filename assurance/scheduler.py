"""``assurance run``: the unattended service (APScheduler 3.x).

How it stays correct through restarts, outages and several instances:

* **Schedules live in the database** (APScheduler's SQLAlchemy job store, table
  ``apscheduler_jobs``), so next-run and misfire state survive a restart. Jobs coalesce.
* **Each scheduled run happens once.** A run is identified by job name and its scheduled
  fire time. Before running, an instance takes a lock for the job (PostgreSQL
  ``pg_try_advisory_lock``, released by the server if the process dies; on SQLite the whole
  store is locked by one instance) and checks the audit log for a completion record
  (``job.run`` with subject ``job:<name>@<time>``); the record is written when the job
  finishes. A second instance whose scheduler fires the same run finds the lock taken or the
  record written, and skips.
* **No run is lost.** Every ``recovery_seconds`` each instance looks at each job's latest
  fire time; if it has no completion record and is older than the recovery interval (the
  instance that took it died, or every instance was down), it runs it now as a catch-up —
  coalesced: one catch-up for however many were missed — and raises a ``job.missed`` alert.
  A job seen for the first time is not caught up.
* **Graceful shutdown** on SIGTERM/SIGINT: the scheduler stops taking runs and waits for the
  running job to finish. Jobs are transactional; a SIGKILL mid-job rolls back and the run is
  caught up by recovery.
* **SQLite allows one instance**: a second ``assurance run`` on the same file refuses to start.

APScheduler 3.x does not coordinate schedulers sharing a job store (its docs warn of
duplicate or missed runs); the lock, completion record and recovery above are what make
several instances safe on PostgreSQL.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import col, select

from assurance import api, audit
from assurance.config import Settings, scheduled_jobs
from assurance.db import session
from assurance.jobs import JOB_TYPES, JobResult, record_run, run_subject
from assurance.models import AuditEvent
from assurance.problems import Problem, ProblemsError, did_you_mean

log = logging.getLogger("assurance.scheduler")
LOOKBACKS = (timedelta(minutes=2), timedelta(hours=2), timedelta(days=2), timedelta(days=40),
             timedelta(days=400))


def trigger_for(expr: str, timezone: str) -> CronTrigger:
    """5 cron fields, or 6 with seconds first. Weekdays must be names (mon-sun): APScheduler
    3 numbers Monday 0 where crontab numbers Sunday 0, so numbers are refused, not guessed."""
    fields = expr.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"{expr!r} has {len(fields)} fields")
    if any(ch.isdigit() for ch in fields[-1]):
        raise ValueError(f"weekday field {fields[-1]!r} uses numbers; write day names "
                         "(mon-fri, sun)")
    if len(fields) == 5:
        return CronTrigger.from_crontab(expr, timezone=timezone)
    second, minute, hour, day, month, dow = fields
    return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                       day_of_week=dow, timezone=timezone)


FIRES_WITHIN = timedelta(days=400)
"""A cron expression must fire at least once this soon (``0 0 30 2 *`` never does)."""


def never_fires(trigger: CronTrigger, now: datetime) -> str | None:
    """Why a trigger is useless — it does not fire within :data:`FIRES_WITHIN` of ``now`` —
    or None when it does."""
    first = trigger.get_next_fire_time(None, now)
    if first is None:
        return "never fires"
    if first > now + FIRES_WITHIN:
        return f"first fires on {first:%Y-%m-%d}, more than {FIRES_WITHIN.days} days away"
    return None


def check(settings: Settings, now: datetime | None = None) -> list[Problem]:
    """Every problem with the configured jobs: unknown types, bad cron (including one that
    does not fire within 400 days of ``now``), bad folders."""
    where = str(settings.source or "<config>")
    now = now or datetime.now(ZoneInfo(settings.timezone))
    out: list[Problem] = []
    for job in settings.jobs:
        key = f"schedule.jobs.{job.name}"
        if job.type not in JOB_TYPES:
            out.append(Problem(where, f"{key}.type: unknown job type {job.type!r}"
                               f"{did_you_mean(job.type, JOB_TYPES)}; expected one of "
                               + ", ".join(JOB_TYPES)))
            continue
        try:
            trigger = trigger_for(job.cron, settings.timezone)
        except (ValueError, TypeError, KeyError, IndexError) as exc:  # APScheduler's parse errors
            out.append(Problem(where, f"{key}.cron: {exc}; expected 5 fields (minute hour "
                               "day month weekday) or 6 with seconds first"))
        else:
            why = never_fires(trigger, now)
            if why:
                out.append(Problem(where, f"{key}.cron: {job.cron!r} {why}; expected a "
                                   f"schedule that fires within {FIRES_WITHIN.days} days"))
        out.extend(Problem(where, msg) for msg in JOB_TYPES[job.type][1](settings, job))
    return out


def short_error(exc: BaseException) -> str:
    """Type and first line of an error, at most 200 characters: what goes to the audit log
    and the alert channel (database errors quote SQL and parameters; those stay in the local
    log)."""
    first = (str(exc).strip().splitlines() or [""])[0]
    if "[SQL:" in first:
        first = first.split("[SQL:")[0]
    return f"{type(exc).__name__}: {first}"[:200]


def latest_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The most recent time at or before ``now`` when the trigger fired (None: none in 400
    days)."""
    for back in LOOKBACKS:
        t = trigger.get_next_fire_time(None, now - back)
        if t is None or t > now:
            continue
        while True:
            nxt = trigger.get_next_fire_time(t, t + timedelta(microseconds=1))
            if nxt is None or nxt > now:
                return t
            t = nxt
    return None


class Service:
    """One running instance. ``clock`` is injectable for tests."""

    def __init__(self, settings: Settings, *, recovery_seconds: float = 30.0,
                 clock: Callable[[], datetime] | None = None):
        problems = check(settings)
        if problems:
            raise ProblemsError(problems)
        self.settings = settings
        self.tz = ZoneInfo(settings.timezone)
        self.clock = clock or (lambda: datetime.now(self.tz))
        self.recovery_seconds = recovery_seconds
        self.instance = f"{socket.gethostname()}:{os.getpid()}"
        self.engine: Engine = api.connect(settings)
        jobs = scheduled_jobs(settings)
        self.jobs = {j.name: j for j in jobs}
        self.triggers = {j.name: trigger_for(j.cron, settings.timezone) for j in jobs}
        self._lock_fh: Any = None
        self.scheduler: BlockingScheduler | None = None

    # ------------------------------------------------------------------ instance lock
    def acquire_instance(self) -> None:
        """On SQLite, refuse to start when another instance holds the store."""
        url = make_url(self.settings.database_url)
        if url.get_backend_name() != "sqlite" or not url.database:
            return
        path = Path(url.database + ".run.lock")
        self._lock_fh = path.open("a+")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.seek(0)
            holder = self._lock_fh.read().strip() or "another process"
            raise ProblemsError([Problem(str(path), f"another assurance run ({holder}) is "
                                         "using this SQLite store; only one instance may run "
                                         "on SQLite — use PostgreSQL (database.url_env) for "
                                         "several instances")]) from None
        self._lock_fh.seek(0)
        self._lock_fh.truncate()
        self._lock_fh.write(self.instance)
        self._lock_fh.flush()

    @contextmanager
    def job_lock(self, name: str) -> Iterator[bool]:
        """Exclusive right to run a job now (PostgreSQL advisory lock; SQLite: the instance
        lock already excludes others)."""
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        key = int.from_bytes(hashlib.sha256(f"assurance-job:{name}".encode()).digest()[:8],
                             "big", signed=True)
        with self.engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()

    # ------------------------------------------------------------------ runs
    def done(self, name: str, scheduled: datetime) -> bool:
        with session(self.engine) as s:
            return s.exec(select(AuditEvent.seq).where(
                AuditEvent.action == "job.run",
                AuditEvent.subject == run_subject(name, scheduled))).first() is not None

    def ever_ran(self, name: str) -> bool:
        with session(self.engine) as s:
            return s.exec(select(AuditEvent.seq).where(
                AuditEvent.action == "job.run",
                col(AuditEvent.subject).startswith(f"job:{name}@"))).first() is not None

    def run_scheduled(self, name: str, scheduled: datetime, *, catch_up: bool = False) -> str:
        """Run one scheduled run unless it is running elsewhere or already done."""
        job = self.jobs[name]
        with self.job_lock(name) as mine:
            if not mine:
                return "locked"
            if self.done(name, scheduled):
                return "done"
            at = self.clock()
            if catch_up:
                self.alert("job.missed", name, f"run scheduled for {scheduled:%Y-%m-%d %H:%M:%S}"
                           " was missed; running it now as a catch-up")
            try:
                result = JOB_TYPES[job.type][0](self.engine, self.settings, job, at)
            except Exception as exc:  # noqa: BLE001 - a failing job must not stop the service
                log.exception("job %s failed", name)  # full detail stays in the local log
                brief = short_error(exc)
                self.alert("job.error", name, brief)
                record_run(self.engine, name, scheduled, self.clock(),
                           JobResult(f"failed: {brief}", {}), outcome="error")
                return "error"
            record_run(self.engine, name, scheduled, self.clock(), result)
            log.info("job %s (%s): %s", name, scheduled.isoformat(), result.summary)
            return "ran"

    def fire(self, name: str) -> str:
        """Called by APScheduler at a fire time: run the latest scheduled run of the job."""
        scheduled = latest_fire_time(self.triggers[name], self.clock())
        if scheduled is None:
            return "none"
        return self.run_scheduled(name, scheduled)

    def recover(self) -> list[tuple[str, str]]:
        """Catch up runs that were due but never completed (dead instance, downtime)."""
        out = []
        now = self.clock()
        grace = timedelta(seconds=self.recovery_seconds)
        for name, trigger in self.triggers.items():
            scheduled = latest_fire_time(trigger, now)
            if scheduled is None or now - scheduled < grace:
                continue  # not due yet, or the scheduler is about to run it
            if self.done(name, scheduled) or not self.ever_ran(name):
                continue
            out.append((name, self.run_scheduled(name, scheduled, catch_up=True)))
        return out

    def alert(self, action: str, job: str, message: str) -> None:
        """Record a job error or missed run in the audit log (and the alert channels)."""
        log.warning("%s %s: %s", action, job, message)
        with session(self.engine, write=True) as s, s.begin():
            audit.append(s, at=self.clock(), actor=f"instance:{self.instance}", action=action,
                         subject=f"job:{job}", details={"message": message})
        api.alert_operators(self.engine, self.settings, title=f"{action} {job}", text=message,
                            at=self.clock(), env=os.environ)

    # ------------------------------------------------------------------ service
    def start(self) -> None:
        """Run until SIGTERM/SIGINT."""
        self.acquire_instance()
        self.scheduler = BlockingScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine,
                                                     tablename="apscheduler_jobs")},
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            timezone=self.tz)
        for name, trigger in self.triggers.items():
            self.scheduler.add_job(_fire, trigger, args=[name], id=name, name=name,
                                   replace_existing=True)
        for stale in self.scheduler.get_jobs():
            if stale.id not in self.triggers:
                with suppress(JobLookupError):  # another instance removed it first
                    stale.remove()
        _SERVICE[0] = self
        stop = threading.Event()
        recovery = threading.Thread(target=self._recovery_loop, args=(stop,), daemon=True)
        recovery.start()

        def shutdown(signum: int, _frame: Any) -> None:
            if stop.is_set():
                return
            log.info("signal %s: finishing the current job, then stopping", signum)
            stop.set()
            threading.Thread(target=self._stop_scheduler, daemon=True).start()

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        log.info("assurance run: instance %s, %d jobs, time zone %s", self.instance,
                 len(self.triggers), self.settings.timezone)
        self.scheduler.start()
        stop.set()

    def _stop_scheduler(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def _recovery_loop(self, stop: threading.Event) -> None:
        while not stop.wait(self.recovery_seconds):
            try:
                self.recover()
            except Exception:  # noqa: BLE001 - keep the loop alive; next tick retries
                log.exception("recovery check failed")


_SERVICE: list[Service | None] = [None]


def _fire(name: str) -> str:
    """Module-level entry point stored in the job store (a textual reference)."""
    service = _SERVICE[0]
    if service is None:
        raise RuntimeError("no running service")
    return service.fire(name)
