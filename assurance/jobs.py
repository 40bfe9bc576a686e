"""Scheduled job types: an explicit registry, each a thin call into :mod:`assurance.api`.

A job type validates its options at start (so ``assurance run`` refuses a bad config with
every problem listed) and runs with an explicit ``at`` time. Jobs are idempotent — imports
by file hash, evaluations per period, notifications by idempotency key — so a run repeated
after a crash (see :mod:`assurance.scheduler`) changes nothing twice.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from assurance import api, audit, deadlines
from assurance.config import JobSettings, Settings
from assurance.db import session
from assurance.problems import ProblemsError, did_you_mean
from assurance.routing import config_subscriptions
from assurance.wording import counted


@dataclass(frozen=True)
class JobResult:
    summary: str
    details: Mapping[str, Any]


JobFn = Callable[[Engine, Settings, JobSettings, datetime], JobResult]
CheckFn = Callable[[Settings, JobSettings], list[str]]


def _folder(settings: Settings, job: JobSettings) -> Path | None:
    raw = job.options.get("folder")
    if raw:
        p = Path(str(raw)).expanduser()
        return p if p.is_absolute() else settings.base_dir / p
    return settings.watch_dir


def check_import(settings: Settings, job: JobSettings) -> list[str]:
    folder = _folder(settings, job)
    key = f"schedule.jobs.{job.name}"
    out = []
    settle = job.options.get("settle_seconds", 5)
    if isinstance(settle, bool) or not isinstance(settle, int | float) or not 0 <= settle <= 86400:
        out.append(f"{key}.settle_seconds: found {settle!r}; expected a number of seconds from "
                   "0 to 86400 (files modified more recently are left for a later run)")
    if folder is None:
        return [*out, f"{key}.folder: missing; set it or imports.watch_dir"]
    if not folder.is_dir():
        return [*out, f"{key}.folder: {folder} does not exist or is not a folder"]
    if not os.access(folder, os.W_OK):
        return [*out, f"{key}.folder: {folder} is not writable (processed files are moved "
                "aside)"]
    return out


PARTIAL_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial")


def run_import(engine: Engine, settings: Settings, job: JobSettings, at: datetime) -> JobResult:
    """Import every new file in the watched folder; move each to processed/ or rejected/."""
    folder = _folder(settings, job)
    assert folder is not None
    processed, rejected = folder / "processed", folder / "rejected"
    processed.mkdir(exist_ok=True)
    rejected.mkdir(exist_ok=True)
    done, bad = [], []
    settle = float(job.options.get("settle_seconds", 5))
    for f in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if f.suffix in PARTIAL_SUFFIXES or at.timestamp() - f.stat().st_mtime < settle:
            continue  # still being copied in: pick it up on a later run
        try:
            r = api.import_file(engine, settings, f, actor=f"job:{job.name}", at=at)
        except ProblemsError as exc:
            target = _unique(rejected / f.name)
            shutil.move(str(f), target)
            target.with_name(target.name + ".reason.txt").write_text(str(exc) + "\n",
                                                                     encoding="utf-8")
            bad.append(f.name)
            continue
        shutil.move(str(f), _unique(processed / f.name))
        done.append(f"{f.name}: {r.status}")
    return JobResult(f"{len(done)} imported, {len(bad)} rejected", {"imported": done,
                                                                     "rejected": bad})


def _unique(path: Path) -> Path:
    n, candidate = 1, path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
        n += 1
    return candidate


def run_evaluate(engine: Engine, settings: Settings, job: JobSettings, at: datetime
                 ) -> JobResult:
    result = api.evaluate_and_record(engine, settings, as_of=at.date(), at=at,
                                     actor=f"job:{job.name}")
    breaches = sum(1 for o in result.outcomes if o.status == "breach")
    return JobResult(f"{len(result.outcomes)} outcomes, {breaches} breaches, "
                     f"{len(result.transitions)} finding changes",
                     {"outcomes": len(result.outcomes), "transitions": len(result.transitions)})


def run_heartbeat(engine: Engine, settings: Settings, job: JobSettings, at: datetime
                  ) -> JobResult:
    report = api.verify_audit(engine)
    return JobResult(f"alive; audit chain {'OK' if report.ok else 'BROKEN'} at {report.events} "
                     "events", {"audit_ok": report.ok, "audit_head": report.head})


def no_options(settings: Settings, job: JobSettings) -> list[str]:
    return []


def _orgs(job: JobSettings) -> list[str]:
    raw = job.options.get("orgs", [])
    return [str(o).upper() for o in (raw if isinstance(raw, list) else [raw])]


def _committee_dates(job: JobSettings) -> list[date]:
    return [d if isinstance(d, date) else date.fromisoformat(str(d))
            for d in job.options.get("committee_dates", [])]


def check_board_reports(settings: Settings, job: JobSettings) -> list[str]:
    key = f"schedule.jobs.{job.name}"
    out = []
    if not _orgs(job):
        out.append(f"{key}.orgs: missing; list the organisation codes to report on")
    try:
        if not _committee_dates(job):
            out.append(f"{key}.committee_dates: missing; e.g. [2026-01-15, 2026-03-12]")
    except ValueError as exc:
        out.append(f"{key}.committee_dates: {exc}; expected dates like 2026-01-15")
    days = job.options.get("days_before", 7)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 366:
        out.append(f"{key}.days_before: expected a whole number of days from 0 to 366, found "
                   f"{days!r}")
    send_to = job.options.get("send_to", [])
    if not isinstance(send_to, list) or not all(isinstance(c, str) for c in send_to):
        out.append(f"{key}.send_to: expected a list of channel names, found {send_to!r}")
    else:
        for name in send_to:
            if name not in settings.channels:
                out.append(f"{key}.send_to: no channel named {name!r}"
                           + did_you_mean(name, settings.channels)
                           + "; expected a name from [channels]")
        out += [f"{key}.send_to: {p}" for p in api.board_paper_problems(
            config_subscriptions(settings), settings, send_to)]
    return out


def run_board_reports(engine: Engine, settings: Settings, job: JobSettings, at: datetime, *,
                      now: Callable[[], datetime] = lambda: datetime.now(UTC),
                      sleep: Callable[[float], None] = time.sleep) -> JobResult:
    """Before each committee date (within ``days_before``), write each organisation's board
    report once into ``<output_dir>/committee-<date>/`` and send it, attached, to each channel
    in ``send_to`` (through the outbox: retried, sent once per committee, organisation and
    channel). ``now`` and ``sleep`` are the deliverer's clock (the wall clock; tests drive a
    fake one)."""
    days = int(job.options.get("days_before", 7))
    send_to = list(job.options.get("send_to", []))
    today = at.date()
    written, queued, due = [], 0, False
    for committee in _committee_dates(job):
        if not 0 <= (committee - today).days <= days:
            continue
        due = True
        folder = settings.reports.output_dir / f"committee-{committee.isoformat()}"
        for org in _orgs(job):
            target = folder / f"{org}-board.docx"
            if not target.exists():  # built once per committee; a re-run changes nothing
                api.render(engine, settings, "board", org_code=org, as_of=today,
                           actor=f"job:{job.name}", at=at, out_path=target)
                written.append(str(target))
            # Queued even when the file was built by an earlier run that stopped before
            # queueing it; the outbox key (committee, organisation, channel) keeps it to one
            # message per channel.
            queued += api.distribute(engine, settings, target, channels=send_to, org_code=org,
                                     committee=committee, actor=f"job:{job.name}", at=at)
    if written:
        api.alert_operators(engine, settings, title=f"Board reports ready ({len(written)})",
                            text="; ".join(written), at=at, env=os.environ)
    # Deliver now (and on every run before the committee, so a send that failed is retried
    # even without a separate notify job).
    sent = (api.notify(engine, settings, os.environ, now=now, sleep=sleep).sent
            if send_to and due else 0)
    return JobResult(f"{counted(len(written), 'board report')} written, {queued} queued to channels, "
                     f"{counted(sent, 'message')} sent", {"written": written, "queued": queued})


def check_packs(settings: Settings, job: JobSettings) -> list[str]:
    return [] if _orgs(job) else [f"schedule.jobs.{job.name}.orgs: missing; list the "
                                  "organisation codes"]


def run_packs(engine: Engine, settings: Settings, job: JobSettings, at: datetime) -> JobResult:
    """Build each organisation's evidence pack as of the run date (e.g. quarterly)."""
    written = [str(api.render(engine, settings, "pack", org_code=org, as_of=at.date(),
                              actor=f"job:{job.name}", at=at)) for org in _orgs(job)]
    return JobResult(f"{counted(len(written), 'evidence pack')} built", {"written": written})


def run_notify(engine: Engine, settings: Settings, job: JobSettings, at: datetime, *,
               now: Callable[[], datetime] = lambda: datetime.now(UTC),
               sleep: Callable[[float], None] = time.sleep,
               env: Mapping[str, str] | None = None) -> JobResult:
    """Write the digests that are due (on ``now``, the deliverer's clock), then deliver every
    due notification. ``now``, ``sleep`` and ``env`` default to the wall clock and
    ``os.environ``; tests drive a fake clock."""
    report = api.notify(engine, settings, os.environ if env is None else env, now=now,
                        sleep=sleep)
    return JobResult(f"sent {report.sent} (digests assembled {report.digests}), retrying "
                     f"{report.retrying}, dead {report.dead}",
                     {"sent": report.sent, "retrying": report.retrying, "dead": report.dead,
                      "digests": report.digests})


def check_notify(settings: Settings, job: JobSettings) -> list[str]:
    return [p.message for p in api.check_channels(settings, os.environ)]


def run_escalate(engine: Engine, settings: Settings, job: JobSettings, at: datetime
                 ) -> JobResult:
    n = api.escalate(engine, settings, as_of=at.date(), at=at, actor=f"job:{job.name}")
    return JobResult(f"{counted(n, 'finding')} escalated for being unacknowledged or having an overdue "
                     "action", {"escalated": n})


def run_calendar_reminders(engine: Engine, settings: Settings, job: JobSettings,
                           at: datetime) -> JobResult:
    """Queue the calendar reminders due today (``[calendar]``) for the ``notify`` job to
    deliver; each reminder is queued once however often this runs (assurance.deadlines)."""
    with session(engine, write=True) as s, s.begin():
        n = deadlines.enqueue_reminders(s, settings, today=at.date(), at=at)
    return JobResult(f"{counted(n, 'calendar reminder')} queued", {"queued": n})


JOB_TYPES: dict[str, tuple[JobFn, CheckFn]] = {
    "import": (run_import, check_import),
    "evaluate": (run_evaluate, no_options),
    "heartbeat": (run_heartbeat, no_options),
    "board_reports": (run_board_reports, check_board_reports),
    "evidence_packs": (run_packs, check_packs),
    "notify": (run_notify, check_notify),
    "escalate": (run_escalate, no_options),
    "calendar_reminders": (run_calendar_reminders, no_options),
}


def record_run(engine: Engine, job: str, scheduled: datetime, at: datetime, result: JobResult,
               *, outcome: str = "ok") -> None:
    """The completion record that makes a scheduled run happen once (see scheduler)."""
    with session(engine, write=True) as s, s.begin():
        audit.append(s, at=at, actor=f"job:{job}", action="job.run",
                     subject=run_subject(job, scheduled),
                     details={"outcome": outcome, "summary": result.summary,
                              **dict(result.details)})


def run_subject(job: str, scheduled: datetime) -> str:
    return f"job:{job}@{scheduled.isoformat(timespec='seconds')}"
